"""Pages under concurrency against the floor: Valvomo and a bare Litestar app, side by side.

    .venv/bin/python bench/http_load.py [--customers 30000] [--seconds 5] [--connections 10,50]
        [--workers 2] [--pages customer,search,...] [--search-sizes 1500,150000]

Builds a PostgreSQL database with the demo data of every enabled plugin and `--customers`
customers, then serves it twice with `core.web.serving.serve` (uvicorn, `--workers` each,
TCP_NODELAY, no access log): Valvomo, and bench/floor_app.py, which runs only the page's main
SQL query (the slowest SELECT Valvomo ran for the page, with the same arguments) and renders
a comparable Jinja2 template. For each page and connection count a keep-alive load of
`--seconds` seconds measures requests/s, p50 and p99 on both, one after the other.

The customer search is measured as a user searches: the search form's POST (the terms, perhaps
an identity code, never enter a URL), answered with the list of matches.

Also printed: SQL statements per request of each page (counted in-process on the request's
connection, BEGIN and COMMIT included), and, with `--search-sizes`, the customer search's p50
at one connection on registers of those sizes (the search page's form POST and the API).

Targets (issue 16): every page within 2x of the floor's requests/s at 10 connections; the
customer page's p99 under 300 ms at 50 connections with 2 workers; customer page at most 8
statements; search p50 at 150,000 customers within 1.5x of that at 1,500.

Measured (2026-11-26, `--search-only --search-sizes 1500,150000`, 2 cores shared with other
work, load average 15-16): search p50 at 1,500 / 150,000 customers: page 6.2 / 6.5 ms (1.04x),
API 8.4 / 10.2 ms (1.22x), with the search read from ordered parts of the name index and
counted up to 500. Before (issue text): page 6.7 / 41 ms (6.1x), API 4.6 / 70 ms (15x).

Measured (2026-11-26, 1,500 customers, `bench/profile_page.py`'s in-process way, best of five
runs of 300 requests, server and client CPU, load average 5-11): the dashboard 2.51 -> 1.91 ms
per request and 10 -> 8 statements (the meals figures in one statement, the panels' SQL built
once), the customer page 2.35 -> 2.09 ms (the audit entry's INSERT prepared, the menu built once
per permission set). Short runs of this bench at that load were too noisy to compare: the
floor's own requests/s varied 1,500-6,300 from run to run.

Measured (2026-11-26, 30,000 customers, `bench/profile_page.py --requests 300`, main and this
branch alternately, median of three runs each, server and client CPU, load average 2.3-3.2):
customer page 5.90 -> 4.31 ms per request and 7 -> 6 statements (the permission guard a
coroutine: Litestar ran the plain function in a worker thread on every request; one guard
instead of two; template globals a dict rather than a ChainMap; template files stat'ed at most
once a second; the access-log entry written by the customer's read on PostgreSQL), public
booking times 6.04 -> 3.83 ms and 5 -> 4 statements (openings and type SQL built once, a
window's bookings and closures in one statement, times formatted without Babel), dashboard
5.20 -> 4.59 ms (8 statements). A PostgreSQL round trip's socket write was about a quarter of
the customer page's sampled CPU (py-spy), so statements count most. Then this bench, once
(`--seconds 5`, load average 4.7-6 from other work during the run):

    page             conns valvomo r/s floor r/s  ratio  p50 ms  p99 ms same-SQL r/s  ratio
    customer page       10         301      1672   5.5x    30.8    67.1          710   2.4x
    customer page       50         335      2106   6.3x   127.4   509.7          745   2.2x
    customer search     10         216       669   3.1x    42.6   100.0          492   2.3x
    customer search     50         239       805   3.4x   143.8   610.6          643   2.7x
    meal services       10          89       166   1.9x   104.7   224.6          127   1.4x
    meal services       50         115       169   1.5x   288.3  4556.1          136   1.2x
    kitchen list        10          19        63   3.3x   503.4   839.2           32   1.6x
    kitchen list        50          30        68   2.2x  1002.5  6452.4           25   0.8x
    dashboard           10         150      1875  12.5x    64.4   131.4          268   1.8x
    dashboard           50         178      2967  16.7x   135.9  2047.7          330   1.9x
    public booking      10         267       503   1.9x    29.9   112.7          253   0.9x
    public booking      50         244       415   1.7x   128.7  5125.2          271   1.1x

Measured 26.11.2026, 13:50 UTC, quiet machine (load average 1 before, 4.4 at the end from the
run itself), issues 13 and 16 merged, the database of 30,000 customers reused, 5 s per load:

    page           conns  r/s   floor  ratio  p50 ms  p99 ms  same-SQL r/s  ratio
    customer page     10   478   2980   6.2x    19.4    32.9          1315   2.8x
    customer page     50   493   4190   8.5x    85.1   307.7          1420   2.9x
    customer search   10   429   1088   2.5x    19.9    50.3           890   2.1x
    meal services     10    93    137   1.5x   105.7   154.0           123   1.3x
    kitchen list      10    24     98   4.1x   398.9   690.7            55   2.3x
    dashboard         10   299   1097   3.7x    36.7    85.6           543   1.8x
    public booking    10   441    962   2.2x    22.2    35.0           406   0.9x

Statements per request: customer page 6, search 3, meal services 5, kitchen list 10,
dashboard 8, public booking 4. The floor runs one statement of each page; the same-SQL floor
runs all of them, bare: most of what separates Valvomo from the floor is the statements a
page must run (the session, the access-log entry, one per plugin panel), and what separates it
from the same-SQL floor (0.9-2.9x) is its own Python.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pickle
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import BENCH_HOST, bench_runtime, free_port
from core.config import PROJECT_ROOT, load_settings
from core.customers.tables import Customer
from core.db import insert_objects, transaction
from core.demo import DEMO_PASSWORD, customer_rows, load_demo
from core.engines import Statement, count_statements
from core.web.app import create_app
from core.web.runtime import Runtime

# A fragment of a common last name ("Niemi"): a full page of matches, counted up to the cap.
# ("virt" found no one: the demo names have no Virtanen, so the page measured was empty.)
SEARCH = "nie"
SEARCH_QUERIES = ["virt", "mäki", "aino", "kalevi ko", "hakala", "sill", "ahola eila", "nie"]
SECRET = "bench-secret-" + "x" * 32
# Pages that are a form's POST, as a user sends them (a search's terms, perhaps an identity
# code, never enter a URL): the form's fields besides the CSRF token.
FORMS: dict[str, dict[str, str]] = {"customer search": {"q": SEARCH}}
PAGES = (
    "customer page", "customer search", "meal services", "kitchen list", "dashboard",
    "public booking",
)  # fmt: skip


@dataclass(frozen=True)
class Load:
    requests: int
    per_second: float
    p50: float
    p99: float
    errors: int


# -- data --------------------------------------------------------------------------------


async def prepare(runtime: Runtime, customers: int, reuse: bool) -> dict[str, str]:
    """Migrate, load the demo data and return the path of each measured page."""
    await runtime.migrate()
    if reuse:
        customers = await Customer.count()
    else:
        await load_demo(runtime, customers=customers)
    from plugins.booking.tables import AppointmentType
    from plugins.meals.tables import Kitchen

    customer = await Customer.select(Customer.id).order_by(Customer.id).offset(customers // 2)
    kitchen = await Kitchen.select(Kitchen.id).order_by(Kitchen.id).first()
    booking_type = (
        await AppointmentType.select(AppointmentType.id, AppointmentType.modes)
        .where(AppointmentType.public.eq(True))
        .order_by(AppointmentType.id)
        .first()
        .output(load_json=True)
    )
    assert customer and kitchen and booking_type, "the demo data lacks a page to measure"
    paths = {
        "customer page": f"/customers/{customer[0]['id']}",
        "customer search": "/customers/search",
        "meal services": "/meals/services",
        "kitchen list": f"/meals/lists/kitchens/{kitchen['id']}",
        "dashboard": "/",
        "public booking": f"/book/times?type_id={booking_type['id']}"
        f"&mode={booking_type['modes'][0]}",
    }
    assert tuple(paths) == PAGES
    return paths


async def sign_in(client: httpx.AsyncClient) -> None:
    await client.get("/login")
    token = client.cookies["valvomo_csrf"]
    response = await client.post(
        "/login", data={"username": "admin", "password": DEMO_PASSWORD, "_csrf_token": token}
    )
    assert response.status_code == 200, response.status_code


async def request_page(client: httpx.AsyncClient, name: str, path: str) -> httpx.Response:
    """The page as a user asks for it: a GET, or the POST of its form (FORMS)."""
    if name in FORMS:
        token = client.cookies["valvomo_csrf"]
        return await client.post(path, data={**FORMS[name], "_csrf_token": token})
    return await client.get(path)


async def statements_per_page(
    runtime: Runtime, paths: dict[str, str]
) -> dict[str, list[Statement]]:
    """Each page's statements, counted in-process on the request's connection."""
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    result = {}
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://{BENCH_HOST}", follow_redirects=True
    ) as client:
        await sign_in(client)
        for name, path in paths.items():
            await request_page(client, name, path)  # warm caches
            with count_statements() as statements:
                response = await request_page(client, name, path)
                await asyncio.sleep(0)  # the query loggers run on the next loop iteration
            assert response.status_code == 200, (name, response.status_code)
            result[name] = list(statements)
    return result


def main_query(statements: list[Statement]) -> tuple[str, tuple[Any, ...]]:
    """The page's main query: its slowest SELECT besides the session lookup."""
    selects = [
        s
        for s in statements
        if s.sql.lstrip().upper().startswith(("SELECT", "WITH")) and "staff_session" not in s.sql
    ]
    slowest = max(selects, key=lambda s: s.seconds)
    return slowest.sql, slowest.args


def every_statement(statements: list[Statement]) -> list[tuple[str, tuple[Any, ...]]]:
    """All the page's statements in order, for the second floor (bench/floor_app.py's
    `/all/`): BEGIN and COMMIT are left to its own transaction."""
    return [
        (s.sql, s.args)
        for s in statements
        if not s.sql.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))
    ]


# -- servers -----------------------------------------------------------------------------


def start_server(
    app: str, workers: int, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    code = (
        "from core.web.serving import serve; "
        f"serve({app!r}, '127.0.0.1', {port}, {workers}, log_level='warning', access_log=False)"
    )
    log = open(Path(tempfile.gettempdir()) / f"valvomo-http-load-{port}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, port


def wait_until_serving(port: int, path: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError("server did not start in 180 seconds")


def http_session(port: int) -> tuple[str, str]:
    """Sign in over HTTP; the Cookie header of that session and its CSRF token."""

    async def run() -> tuple[str, str]:
        async with httpx.AsyncClient(  # a loaded machine hashes a password slowly
            base_url=f"http://127.0.0.1:{port}", follow_redirects=True, timeout=120
        ) as client:
            await sign_in(client)
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            return cookie, client.cookies["valvomo_csrf"]

    return asyncio.run(run())


# -- load --------------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    return status


def raw_request(port: int, path: str, cookie: str, form: dict[str, str] | None) -> bytes:
    """One keep-alive request: a GET, or a form's POST (urlencoded, as a browser sends it)."""
    head = f"Host: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
    if form is None:
        return f"GET {path} HTTP/1.1\r\n{head}\r\n".encode()
    body = urlencode(form).encode()
    return (
        f"POST {path} HTTP/1.1\r\n{head}Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _load(
    port: int,
    path: str,
    cookie: str,
    connections: int,
    seconds: float,
    form: dict[str, str] | None = None,
) -> Load:
    request = raw_request(port, path, cookie, form)
    timings: list[float] = []
    errors = 0

    async def connection(until: float, record: bool) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < until:
                started = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                if record:
                    timings.append(time.perf_counter() - started)
                    errors += status != 200
        finally:
            writer.close()

    warm = time.perf_counter() + min(2.0, seconds / 2)
    await asyncio.gather(*(connection(warm, False) for _ in range(connections)))
    started = time.perf_counter()
    await asyncio.gather(*(connection(started + seconds, True) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    ordered = sorted(timings)
    return Load(
        requests=len(ordered),
        per_second=len(ordered) / elapsed,
        p50=ordered[len(ordered) // 2] * 1000,
        p99=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        errors=errors,
    )


def load(
    port: int,
    path: str,
    cookie: str,
    connections: int,
    seconds: float,
    form: dict[str, str] | None = None,
) -> Load:
    return asyncio.run(_load(port, path, cookie, connections, seconds, form))


# -- search at two register sizes --------------------------------------------------------


async def search_p50(
    database_url: str, tmp: Path, customers: int, rounds: int
) -> tuple[float, float]:
    """p50 of the customer search at one connection (in-process) on `customers`: the search
    page (the form's POST, as a user sends it) and the API search."""
    runtime = bench_runtime(database_url, tmp)
    await runtime.database.start()
    try:
        await runtime.migrate()
        from core.audit.services import SystemActor
        from core.identity.services import create_user

        async with transaction():
            await create_user(
                SystemActor(full_name="bench"),
                username="admin",
                full_name="Bench",
                password=DEMO_PASSWORD,
                role_codes=["admin"],
            )
            rows = customer_rows(random.Random(7), customers, runtime.settings.municipalities)
            await insert_objects(Customer, rows)
        await Customer.raw("ANALYZE customer")
        app = create_app(runtime=runtime)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{BENCH_HOST}", follow_redirects=True
        ) as client:
            await sign_in(client)
            token = client.cookies["valvomo_csrf"]

            async def page(query: str) -> httpx.Response:  # one match answers with its page
                form = {"q": query, "_csrf_token": token}
                return await client.post("/customers/search", data=form, follow_redirects=False)

            async def api(query: str) -> httpx.Response:
                return await client.post(
                    "/api/customers/search", json={"query": query}, headers={"x-csrftoken": token}
                )

            figures = []
            for call in (page, api):
                timings = []
                for i in range(rounds + 10):
                    query = SEARCH_QUERIES[i % len(SEARCH_QUERIES)]
                    started = time.perf_counter()
                    response = await call(query)
                    if i >= 10:
                        timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code in (200, 302), response.status_code
                figures.append(statistics.median(timings))
        return figures[0], figures[1]
    finally:
        await runtime.database.stop()


# -- the run -----------------------------------------------------------------------------


def chosen_pages(paths: dict[str, str], names: str) -> dict[str, str]:
    """The pages `--pages` names: each name as printed ("customer page") or with hyphens, or
    the start of names ("customer": the customer page and the customer search). A name that
    selects no page stops the run with the list of pages (an empty selection would otherwise
    fail later, with no hint, when the floor app is started)."""
    chosen: dict[str, str] = {}
    for name in (n.strip().replace("-", " ") for n in names.split(",") if n.strip()):
        found = {k: v for k, v in paths.items() if k == name or k.startswith(name)}
        if not found:
            raise SystemExit(f"--pages: no page {name!r}; the pages are: {', '.join(paths)}")
        chosen.update(found)
    if not chosen:
        raise SystemExit(f"--pages names no page; the pages are: {', '.join(paths)}")
    return {k: v for k, v in paths.items() if k in chosen}  # in the usual order


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per page and load")
    parser.add_argument("--connections", default="10,50")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pages", default="", help="comma-separated names; default all")
    parser.add_argument(
        "--search-sizes", default="", help="e.g. 1500,150000: search p50 per register size"
    )
    parser.add_argument("--search-rounds", type=int, default=200)
    parser.add_argument("--search-only", action="store_true", help="only --search-sizes")
    parser.add_argument(
        "--statements-only", action="store_true", help="only count each page's statements"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database; print its URL")
    parser.add_argument("--database-url", default="", help="reuse a database kept by --keep")
    args = parser.parse_args()
    os.environ["VALVOMO_TEST_DATABASE"] = "postgres"
    if args.pages:
        chosen_pages(dict.fromkeys(PAGES, ""), args.pages)  # a wrong name stops before the build
    if args.search_only:
        search_scaling(args.search_sizes or "1500,150000", args.search_rounds)
        return
    from tests.database import create_database, drop_database

    tmp = Path(tempfile.mkdtemp(prefix="valvomo-http-load-"))
    database_url = args.database_url or asyncio.run(create_database(tmp))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        enabled = load_settings(PROJECT_ROOT / "valvomo.toml").enabled_plugins
        runtime = bench_runtime(database_url, tmp, enabled)

        async def build() -> tuple[dict[str, str], dict[str, list[Statement]], int]:
            await runtime.database.start()
            try:
                paths = await prepare(runtime, args.customers, reuse=bool(args.database_url))
                customers = await Customer.count()  # a reused database has its own number
                return paths, await statements_per_page(runtime, paths), customers
            finally:
                await runtime.database.stop()

        started = time.perf_counter()
        paths, statements, customers = asyncio.run(build())
        print(f"{customers} customers and demo data in {time.perf_counter() - started:.0f} s")
        if args.pages:
            paths = chosen_pages(paths, args.pages)
        print("SQL statements per request (BEGIN and COMMIT included)", flush=True)
        for name in paths:
            sql = [s.sql for s in statements[name]]
            audit = sum(1 for s in sql if "audit_" in s or s.startswith(("BEGIN", "COMMIT")))
            print(f"  {name:16} {len(sql):3}  ({audit} of them audit)")
        if args.statements_only:
            return
        queries = {
            name.replace(" ", "-"): {
                "main": main_query(statements[name]),
                "all": every_statement(statements[name]),
            }
            for name in paths
        }
        (tmp / "floor.pickle").write_bytes(pickle.dumps(queries))
        valvomo, valvomo_port = start_server(
            "core.web.asgi:app",
            args.workers,
            {
                "VALVOMO_DATABASE_URL": database_url,
                "VALVOMO_VAR_DIR": str(tmp),
                "VALVOMO_SECRET": SECRET,
                "VALVOMO_DEVELOPMENT": "1",  # plain http: cookies without Secure
            },
        )
        floor, floor_port = start_server(
            "bench.floor_app:app",
            args.workers,
            {"FLOOR_DATABASE_URL": database_url, "FLOOR_QUERIES": str(tmp / "floor.pickle")},
        )
        processes += [valvomo, floor]
        wait_until_serving(valvomo_port, "/login", valvomo)
        wait_until_serving(floor_port, "/" + next(iter(queries)), floor)
        cookie, token = http_session(valvomo_port)
        print(
            f"{args.workers} uvicorn workers each, TCP_NODELAY, {args.seconds:g} s per load, "
            f"{os.cpu_count()} CPUs shared with the load generator"
        )
        print(
            f"{'page':16} {'conns':>5} {'valvomo r/s':>11} {'floor r/s':>9} {'ratio':>6} "
            f"{'p50 ms':>7} {'p99 ms':>7} {'floor p50':>9} {'floor p99':>9} "
            f"{'same-SQL r/s':>12} {'ratio':>6} {'errors':>6}"
        )
        for name, path in paths.items():
            for connections in [int(c) for c in args.connections.split(",")]:
                form = {**FORMS[name], "_csrf_token": token} if name in FORMS else None
                ours = load(valvomo_port, path, cookie, connections, args.seconds, form)
                floor_path = "/" + name.replace(" ", "-")
                base = load(floor_port, floor_path, "", connections, args.seconds)
                same = load(floor_port, "/all" + floor_path, "", connections, args.seconds)
                print(
                    f"{name:16} {connections:5} {ours.per_second:11.0f} {base.per_second:9.0f} "
                    f"{base.per_second / ours.per_second:5.1f}x {ours.p50:7.1f} {ours.p99:7.1f} "
                    f"{base.p50:9.1f} {base.p99:9.1f} {same.per_second:12.0f} "
                    f"{same.per_second / ours.per_second:5.1f}x "
                    f"{ours.errors + base.errors + same.errors:6}",
                    flush=True,
                )
        print(
            "targets: ratio <= 2.0x at 10 connections; customer page p99 < 300 ms at 50; "
            "customer page <= 8 statements\n"
            "same-SQL: the floor app running every statement the page ran (bench/floor_app.py)"
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        if args.keep or args.database_url:
            print(f"database kept: --database-url {database_url}")
        else:
            asyncio.run(drop_database(database_url))
    if args.search_sizes:
        search_scaling(args.search_sizes, args.search_rounds)


def search_scaling(sizes: str, rounds: int) -> None:
    from tests.database import create_database, drop_database

    print("\ncustomer search, p50 at one connection (in-process), PostgreSQL", flush=True)
    figures = []
    for size in [int(s) for s in sizes.split(",")]:
        tmp = Path(tempfile.mkdtemp(prefix="valvomo-search-"))
        url = asyncio.run(create_database(tmp))
        try:
            figures.append((size, *asyncio.run(search_p50(url, tmp, size, rounds))))
        finally:
            asyncio.run(drop_database(url))
        print(
            f"{size:8} customers  page (form POST) p50 {figures[-1][1]:6.1f} ms  "
            f"API p50 {figures[-1][2]:6.1f} ms  load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    if len(figures) > 1:
        page = figures[-1][1] / figures[0][1]
        api = figures[-1][2] / figures[0][2]
        print(f"ratio largest/smallest: page {page:.2f}x, API {api:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
