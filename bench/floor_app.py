"""The floors of bench/http_load.py: a bare Litestar app that runs a page's main SQL query and
renders a comparable Jinja2 template, nothing else (no session, no audit, no panels).

`/{page}` is the issue's floor: the page's main query only. `/all/{page}` runs every statement
Valvomo ran for the page (the session lookup, the panels' reads, the access-log INSERT), raw,
in the same order on one connection, in one transaction when the page wrote, and renders the
rows of all of them: the same database work served by the bare framework, so the gap between
the two floors is the database's share and the gap above the second is Valvomo's own code.

Served by bench/http_load.py with `core.web.serving.serve("bench.floor_app:app", ...)`, so it
gets the same uvicorn set-up as Valvomo (TCP_NODELAY, workers). Environment:
FLOOR_DATABASE_URL (PostgreSQL) and FLOOR_QUERIES (a pickle of
{page: {"main": (sql, args), "all": [(sql, args), ...]}}).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import asyncpg
from jinja2 import DictLoader, Environment, select_autoescape
from litestar import Litestar, get
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

PAGE = """<!doctype html>
<html lang="fi">
<head><meta charset="utf-8"><title>{{ name }} – Valvomo</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body>
<header class="site-header"><div class="brand"><a href="/">Valvomo</a></div>
<nav><ul class="nav">{% for item in navigation %}<li><a href="{{ item }}">{{ item }}</a></li>
{% endfor %}</ul></nav></header>
<main id="main"><h1>{{ name }}</h1>
<table>{% for row in rows %}<tr>{% for key, value in row.items() %}
<td data-key="{{ key }}">{{ value }}</td>{% endfor %}</tr>{% endfor %}</table>
</main><footer class="site-footer">Valvomo</footer></body></html>
"""
NAVIGATION = [f"/section/{n}" for n in range(10)]
QUERIES: dict[str, dict[str, Any]] = pickle.loads(Path(os.environ["FLOOR_QUERIES"]).read_bytes())
_pool: list[asyncpg.Pool] = []


async def _no_reset(connection: Any) -> None:
    """The floor keeps no session state either: no reset round trip on release."""


async def start() -> None:
    _pool.append(
        await asyncpg.create_pool(
            os.environ["FLOOR_DATABASE_URL"], min_size=2, max_size=20, reset=_no_reset
        )
    )


async def stop() -> None:
    await _pool.pop().close()


@get("/{page:str}")
async def page(page: str) -> Template:
    sql, args = QUERIES[page]["main"]
    rows = await _pool[0].fetch(sql, *args)
    return Template(
        "page.html",
        context={"name": page, "rows": [dict(r) for r in rows], "navigation": NAVIGATION},
    )


@get("/all/{page:str}")
async def all_statements(page: str) -> Template:
    statements = QUERIES[page]["all"]
    writes = any(not sql.lstrip().upper().startswith(("SELECT", "WITH")) for sql, _ in statements)
    rows: list[dict[str, Any]] = []
    async with _pool[0].acquire() as connection:
        transaction = connection.transaction() if writes else None
        if transaction:
            await transaction.start()
        for sql, args in statements:
            rows += [dict(r) for r in await connection.fetch(sql, *args)]
        if transaction:
            await transaction.commit()
    return Template("page.html", context={"name": page, "rows": rows, "navigation": NAVIGATION})


environment = Environment(loader=DictLoader({"page.html": PAGE}), autoescape=select_autoescape())
app = Litestar(
    route_handlers=[page, all_statements],
    on_startup=[start],
    on_shutdown=[stop],
    template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment)),
    logging_config=None,
)
