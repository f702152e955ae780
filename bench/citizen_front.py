"""The citizen's front page ("Oma Valvomo", all panels) at national scale, through HTTP, on
SQLite and PostgreSQL, against the bare SQL statements the page runs.

    .venv/bin/python bench/citizen_front.py [--customers 30000] [--meal-customers 300]
                                            [--requests 200] [--database both]

Target (issue 13): median under 50 ms at 30,000 customers on both databases; page time /
bare SQL time of the same statements at most 3.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.core_customers import free_port
from bench.support import bench_runtime
from core.audit.services import SystemActor
from core.citizen.services import sign_in_citizen
from core.common.clock import now, today
from core.config import PROJECT_ROOT, IdentityProvider
from core.customers.tables import Customer
from core.db import insert_objects
from core.demo import customer_rows
from plugins.meals import places, services
from plugins.meals.settings import current
from tests.database import create_database, drop_database

SECRET = "bench-secret-" + "x" * 32
BROKER = IdentityProvider(name="suomifi", issuer="https://broker.invalid", client_id="bench",
                          audience="citizen", identity_code_claim="hetu")  # fmt: skip
SYSTEM = SystemActor(full_name="bench")
WEEKLY = {f"qty_{d}_lunch": "1" for d in range(7)} | {
    f"delivery_{d}": str(3 if d >= 3 else 0) for d in range(7)
}

# What GET /oma runs, statement by statement (core.citizen, the meals and booking panels, the
# audit entry).
BARE_SQL = [
    ("SELECT * FROM citizen_session WHERE token_hash = {} AND last_seen_at > {}", "session"),
    ("UPDATE citizen_session SET last_seen_at = {}, acting_for = {} WHERE id = {}", "touch"),
    ("SELECT * FROM meals_service WHERE customer = {} ORDER BY id DESC LIMIT 1", "customer"),
    ("SELECT start_date, end_date FROM meals_service WHERE id = {}", "service"),
    ("SELECT * FROM meals_order_line WHERE service = {}", "service"),
    ("SELECT * FROM meals_exception WHERE service = {}", "service"),
    ("SELECT * FROM meals_pause WHERE service = {}", "service"),
    ("SELECT day, reported_by FROM meals_exception WHERE service = {} AND kind = 'cancel'"
     " AND day >= {} ORDER BY day", "away"),
    ("INSERT INTO audit_log (at, actor_id, actor_name, actor_roles, action, entity, entity_id,"
     " customer_id, key_id, mac) VALUES ({}, NULL, 'x', 'customer', 'view', 'citizen_front',"
     " {}, {}, 'k', 'm')", "audit"),
    ("SELECT first_name, last_name FROM customer WHERE id = {}", "customer"),
    ("SELECT p.id, p.customer, c.first_name, c.last_name, p.services FROM proxy_right p"
     " JOIN customer c ON c.id = p.customer WHERE p.proxy_key = {} AND p.valid_from <= {}"
     " AND (p.valid_to IS NULL OR p.valid_to >= {}) AND p.withdrawn_at IS NULL", "rights"),
    ("SELECT b.id, b.starts_at, b.mode, t.name FROM booking_booking b"
     " LEFT JOIN booking_appointment_type t ON t.id = b.appointment_type"
     " WHERE b.customer = {} AND b.status = 'booked' AND b.ends_at > {}"
     " ORDER BY b.starts_at LIMIT 5", "bookings"),
]  # fmt: skip
PLUGINS = ["meals", "booking"]


async def prepare(database_url: str, customers: int, meal_customers: int, tmp: Path) -> list[dict]:
    """Customers, meal services for a sample of them, and a citizen session for each."""
    runtime = bench_runtime(database_url, tmp, plugins=PLUGINS)
    await runtime.database.start()
    sessions = []
    try:
        await runtime.migrate()
        async with runtime.database.transaction():
            rows = customer_rows(random.Random(13), customers, runtime.settings.municipalities)
            await insert_objects(Customer, rows)
            kitchen = await places.create_kitchen(SYSTEM, "Keskuskeittiö")
            route = await places.create_route(SYSTEM, kitchen, "Reitti 1")
        sample = await Customer.select(Customer.id, Customer.identity_code).limit(meal_customers)
        start = (today() - dt.timedelta(days=60)).isoformat()
        for row in sample:
            async with runtime.database.transaction():
                service = await services.open_service(SYSTEM, row["id"], {
                    "start_date": start, "diet": "normal", "requested_meals": "lunch",
                    "decided_on": start, "decision_maker": "bench", "basis": "bench"},
                    current())  # fmt: skip
                await services.complete_opening(SYSTEM, service, 1, {
                    "kitchen": kitchen, "route": route, "route_stop": "1", **WEEKLY},
                    current())  # fmt: skip
                token = await sign_in_citizen(BROKER, {"hetu": row["identity_code"],
                                                       "name": "Bench"}, SECRET)  # fmt: skip
            sessions.append({"token": token, "customer": row["id"], "service": service})
    finally:
        await runtime.database.stop()
    return sessions


def start_server(database_url: str, tmp: Path) -> tuple[object, str]:
    import subprocess

    config = tmp / "valvomo.toml"
    config.write_text('[plugins]\nenabled = ["meals", "booking"]\n', encoding="utf-8")
    port = free_port()
    env = {
        **os.environ,
        "VALVOMO_CONFIG": str(config),
        "VALVOMO_DATABASE_URL": database_url,
        "VALVOMO_VAR_DIR": str(tmp),
        "VALVOMO_SECRET": SECRET,
        "VALVOMO_DEVELOPMENT": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "core.web.asgi:app", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}/login", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


async def page_ms(url: str, sessions: list[dict], rounds: int) -> float:
    timings = []
    async with httpx.AsyncClient(base_url=url) as client:
        for i in range(rounds + 10):
            session = sessions[i % len(sessions)]
            client.cookies.set("valvomo_citizen", session["token"], path="/oma")
            started = time.perf_counter()
            response = await client.get("/oma")
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.status_code
            if i >= 10:  # the first requests warm the server up
                timings.append(elapsed)
    return statistics.median(timings)


async def bare_sql_ms(database_url: str, sessions: list[dict], tmp: Path, rounds: int) -> float:
    import hashlib

    runtime = bench_runtime(database_url, tmp, plugins=PLUGINS)
    await runtime.database.start()
    try:
        timings = []
        for i in range(rounds):
            s = sessions[i % len(sessions)]
            moment, day = now(), today()
            args = {
                "session": (hashlib.sha256(s["token"].encode()).hexdigest(),
                            moment - dt.timedelta(minutes=30)),
                "touch": (moment, s["customer"], 1), "customer": (s["customer"],),
                "service": (s["service"],), "away": (s["service"], day),
                "audit": (moment, str(s["customer"]), s["customer"]),
                "rights": ("k", day, day), "bookings": (s["customer"], moment),
            }  # fmt: skip
            started = time.perf_counter()
            async with runtime.database.connection():
                for sql, kind in BARE_SQL:
                    await Customer.raw(sql, *args[kind])
            timings.append((time.perf_counter() - started) * 1000)
        return statistics.median(timings)
    finally:
        await runtime.database.stop()


async def run_backend(backend: str, customers: int, meal_customers: int, rounds: int) -> None:
    os.environ["VALVOMO_TEST_DATABASE"] = backend
    tmp = Path(tempfile.mkdtemp(prefix=f"valvomo-bench-citizen-{backend}-"))
    database_url = await create_database(tmp)
    try:
        sessions = await prepare(database_url, customers, meal_customers, tmp)
        process, url = start_server(database_url, tmp)
        try:
            page = await page_ms(url, sessions, rounds)
        finally:
            process.terminate()  # type: ignore[attr-defined]
            process.wait(timeout=10)  # type: ignore[attr-defined]
        bare = await bare_sql_ms(database_url, sessions, tmp, rounds)
        verdict = "ok" if page < 50 and page / bare <= 3 else "MISSED"
        print(f"{backend:9} front page {page:7.1f} ms   bare SQL {bare:6.1f} ms   "
              f"ratio {page / bare:4.1f}   (target < 50 ms, ratio <= 3: {verdict})")  # fmt: skip
    finally:
        await drop_database(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--meal-customers", type=int, default=300)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(f"{args.customers} customers ({args.meal_customers} with meals and a citizen session),"
          f" {args.requests} requests, medians")  # fmt: skip
    for backend in backends:
        asyncio.run(run_backend(backend, args.customers, args.meal_customers, args.requests))


if __name__ == "__main__":
    main()
