"""The dashboard (inbox and plugin panels) and the reports index."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from core.common.clock import HELSINKI, today
from core.common.pagination import page_count
from core.identity.guards import AUTHENTICATED, require_user
from core.plugins.types import TaskKind
from core.tasks.services import open_tasks_for_roles
from core.web.pages import render
from core.web.panels import collect_panels
from core.web.runtime import runtime_of

Req = Request[Any, Any, Any]


def _with_link_and_age(task: dict[str, Any], kind: TaskKind | None) -> dict[str, Any]:
    """The task with the page its work is done on, its age in days and how it closes."""
    created: dt.date = task["created_at"].astimezone(HELSINKI).date()
    href = kind.href(task["payload"], task["customer"]) if kind else ""
    return {
        **task,
        "href": href or (f"/customers/{task['customer']}" if task["customer"] else ""),
        "age_days": (today() - created).days,
        "closes_by_action": bool(kind and kind.closes_by_action),
    }


class DashboardPages(Controller):
    include_in_schema = False
    opt = {"permission": AUTHENTICATED}

    @get("/")
    async def dashboard(self, request: Req, page: int = 1) -> Template:
        user = require_user(request)
        runtime = runtime_of(request)
        page = max(1, page)
        tasks: list[dict[str, Any]] = []
        total = 0
        if user.can("tasks.work"):
            tasks, total = await open_tasks_for_roles(user.role_codes, 20, (page - 1) * 20)
            tasks = [_with_link_and_age(t, runtime.task_kinds.get(t["kind"])) for t in tasks]
        panels = await collect_panels(request, "valvomo_dashboard_panels", user=user)
        return render(
            request,
            "web/dashboard.html",
            tasks=tasks,
            task_total=total,
            page=page,
            pages=page_count(total, 20),
            task_kinds=runtime.task_kinds,
            panels=panels,
        )

    @get("/reports")
    async def reports(self, request: Req) -> Template:
        user = require_user(request)
        reports = [r for r in runtime_of(request).reports if user.can(r.permission)]
        return render(request, "web/reports.html", reports=reports)
