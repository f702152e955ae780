"""Customer search and customer page with 30,000 customers, through HTTP, on SQLite and PostgreSQL.

    .venv/bin/python bench/core_customers.py [--customers 30000] [--requests 200]

Targets (issue 2): search median < 50 ms and customer page median < 50 ms on both databases;
search time / bare SQL time of the same query <= 3.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_runtime, free_port
from core.audit.services import SystemActor
from core.config import PROJECT_ROOT
from core.customers.services import LIST_COLUMNS, PAGE_SIZE, search_condition
from core.customers.tables import Customer
from core.db import insert_objects
from core.demo import customer_rows
from core.identity.services import create_user
from tests.database import create_database, drop_database

PASSWORD = "bench-password-2026"
QUERIES = ["virt", "mäki", "aino", "kalevi ko", "hakala", "sill", "ahola eila", "nie"]


async def prepare(database_url: str, customers: int, tmp: Path) -> list[str]:
    runtime = bench_runtime(database_url, tmp)
    await runtime.database.start()
    try:
        await runtime.migrate()
        async with runtime.database.transaction():
            await create_user(
                SystemActor(full_name="bench"),
                username="bench",
                full_name="Bench User",
                password=PASSWORD,
                role_codes=["admin", "client_guidance"],
            )
            rows = customer_rows(random.Random(7), customers, runtime.settings.municipalities)
            await insert_objects(Customer, rows)
        sample = await Customer.select(Customer.identity_code, Customer.phone_digits).limit(40)
    finally:
        await runtime.database.stop()
    return (
        QUERIES
        + [r["identity_code"] for r in sample[:20]]
        + [r["phone_digits"][-6:] for r in sample[20:]]
    )


async def bare_sql_ms(database_url: str, queries: list[str], tmp: Path, rounds: int) -> float:
    runtime = bench_runtime(database_url, tmp)
    await runtime.database.start()
    try:
        timings = []
        for i in range(rounds):
            condition = search_condition(queries[i % len(queries)])
            started = time.perf_counter()
            await (
                Customer.select(*LIST_COLUMNS)
                .where(condition)
                .order_by(Customer.search_name, Customer.id)
                .limit(PAGE_SIZE)
            )
            await Customer.count().where(condition)
            timings.append((time.perf_counter() - started) * 1000)
        return statistics.median(timings)
    finally:
        await runtime.database.stop()


def start_server(database_url: str, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    config = tmp / "valvomo.toml"
    config.write_text("[plugins]\nenabled = []\n", encoding="utf-8")
    port = free_port()
    env = {
        **os.environ,
        "VALVOMO_CONFIG": str(config),
        "VALVOMO_DATABASE_URL": database_url,
        "VALVOMO_VAR_DIR": str(tmp),
        "VALVOMO_SECRET": "bench-secret-" + "x" * 32,
        "VALVOMO_DEVELOPMENT": "1",  # plain http: cookies without Secure
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "core.web.asgi:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            httpx.get(f"{url}/login", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


async def timed(call: Callable[[], Awaitable[httpx.Response]], rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = await call()
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings)


async def measure_http(
    url: str, queries: list[str], rounds: int, customers: int
) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=url, follow_redirects=True) as client:
        await client.get("/login")
        token = client.cookies["valvomo_csrf"]
        signed_in = await client.post(
            "/login", data={"username": "bench", "password": PASSWORD, "_csrf_token": token}
        )
        assert signed_in.status_code == 200, signed_in.status_code
        token = client.cookies["valvomo_csrf"]  # signing in gives the session a new token
        headers = {"x-csrftoken": token}
        counter = iter(range(10**9))

        def api_search() -> Awaitable[httpx.Response]:
            query = queries[next(counter) % len(queries)]
            return client.post("/api/customers/search", json={"query": query}, headers=headers)

        def page_search() -> Awaitable[httpx.Response]:
            query = queries[next(counter) % len(queries)]
            return client.post("/customers/search", data={"q": query, "_csrf_token": token})

        ids = [random.Random(i).randint(1, customers) for i in range(rounds)]
        pages = iter(ids)

        def customer_page() -> Awaitable[httpx.Response]:
            return client.get(f"/customers/{next(pages)}")

        await timed(api_search, 10)  # warm up
        return {
            "search_api": await timed(api_search, rounds),
            "search_page": await timed(page_search, rounds),
            "customer_page": await timed(customer_page, rounds),
        }


async def run_backend(backend: str, customers: int, rounds: int) -> dict[str, float]:
    os.environ["VALVOMO_TEST_DATABASE"] = backend
    tmp = Path(tempfile.mkdtemp(prefix=f"valvomo-bench-{backend}-"))
    database_url = await create_database(tmp)
    try:
        queries = await prepare(database_url, customers, tmp)
        process, url = start_server(database_url, tmp)
        try:
            figures = await measure_http(url, queries, rounds, customers)
        finally:
            process.terminate()
            process.wait(timeout=10)
        figures["bare_sql"] = await bare_sql_ms(database_url, queries, tmp, rounds)
        return figures
    finally:
        await drop_database(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(f"{args.customers} customers, {args.requests} requests each, medians in ms")
    print(
        f"{'database':10} {'search API':>11} {'search page':>12} {'customer page':>14} "
        f"{'bare SQL':>9} {'API/SQL':>8}"
    )
    for backend in backends:
        f = asyncio.run(run_backend(backend, args.customers, args.requests))
        print(
            f"{backend:10} {f['search_api']:11.1f} {f['search_page']:12.1f} "
            f"{f['customer_page']:14.1f} {f['bare_sql']:9.2f} "
            f"{f['search_api'] / f['bare_sql']:8.2f}"
        )
    print("targets: search and customer page < 50 ms; search API / bare SQL <= 3")


if __name__ == "__main__":
    main()
