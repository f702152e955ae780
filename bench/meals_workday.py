"""The meal coordinator's and the kitchen's day at national scale, through HTTP, SQLite or
PostgreSQL.

    .venv/bin/python bench/meals_workday.py [--database sqlite|postgres] [--scale 25]
                                             [--rounds 20]

Builds the data of `bench/meals_billing.py` (1,200 × scale meal customers with history; 25× =
30,000 customers on 250 kitchens), gives one kitchen 10 routes, and measures in-process through
the ASGI app (the framework, the session, the queries and the template, no network):
- finding a customer from the meal services list (POST of the search, then the page it leads to)
  by name, phone and customer number, in all and by kind; and the bare SQL of each search (the
  services page of the customers found and their count, as one statement each, run directly),
  with the ratio of the two;
- the coordinator's dashboard, and the bare SQL of its counts (the same statements, run directly);
  the ratio of the two (target ≤ 3);
- "print all" of the kitchen with 10 routes for its next delivery day;
- the app's CPU time (this process) of each kind of search, less moved by other load;
- the statements of the dashboard and of one search by name and by customer number (on SQLite
  these include the ones SQLite runs inside its FTS5 tables, e.g. reading a candidate's text
  back), and the plan of a search by customer number (EXPLAIN ANALYZE on PostgreSQL).
Targets: search and dashboard medians < 50 ms, print all < 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.meals_billing import build
from bench.support import bench_runtime, median_ms
from core.audit.services import SystemActor
from core.common.clock import today
from core.customers.services import search_condition
from core.customers.tables import Customer
from core.engines import count_statements
from core.identity.services import create_user
from core.web.app import create_app
from plugins.meals.dashboard import count_queries
from plugins.meals.lists import next_delivery_day
from plugins.meals.settings import current
from plugins.meals.tables import DeliveryRoute, MealRouteAssignment, MealService
from tests.database import create_database, drop_database

PASSWORD = "bench-password-2026"
ROUTES_IN_KITCHEN = 10
# The services page of a search, written by hand around the customers the search condition finds
# (the condition rendered by core's search, so the same index is used): the bare SQL of a search.
SEARCH_PAGE_SQL = (
    "SELECT s.id, s.status, s.start_date, s.end_date, s.customer, c.first_name, c.last_name,"
    " c.phone, k.name AS kitchen, r.name AS route FROM meals_service s"
    " JOIN customer c ON c.id = s.customer LEFT JOIN meals_kitchen k ON k.id = s.kitchen"
    " LEFT JOIN meals_route r ON r.id = s.route WHERE s.customer IN ({customers})"
    " ORDER BY c.last_name, c.first_name LIMIT 50"
)
SEARCH_COUNT_SQL = "SELECT COUNT(*) AS n FROM meals_service s WHERE s.customer IN ({customers})"


async def timed(call: Callable[[], Awaitable[Any]], rounds: int) -> float:
    """Median of `rounds` calls after one warming call."""
    await call()
    return await median_ms(call, rounds)


async def cpu_ms(call: Callable[[], Awaitable[Any]], rounds: int) -> float:
    """Median CPU time of this process (the app: framework, queries' driver side, template) over
    `rounds` calls: far less moved by other processes' load than the wall-clock median."""
    await call()
    return await median_ms(call, rounds, time.process_time)


async def kitchen_with_ten_routes() -> int:
    """Move routes (with their services) from other kitchens until kitchen 1 has ten."""
    have = await DeliveryRoute.count().where(DeliveryRoute.kitchen == 1)
    spare = (
        await DeliveryRoute.select(DeliveryRoute.id)
        .where(DeliveryRoute.kitchen != 1)
        .limit(ROUTES_IN_KITCHEN - have)
    )
    moved = [r["id"] for r in spare]
    if moved:
        await DeliveryRoute.update({DeliveryRoute.kitchen: 1}).where(DeliveryRoute.id.is_in(moved))
        await MealService.update({MealService.kitchen: 1}).where(MealService.route.is_in(moved))
        await MealRouteAssignment.update({MealRouteAssignment.kitchen: 1}).where(
            MealRouteAssignment.route.is_in(moved)
        )
    return 1


async def measure(
    backend: str, scale: float, rounds: int, plans: dict[str, list[str]]
) -> dict[str, float]:
    """The figures; `plans` receives the query plan of a search by customer number."""
    os.environ["VALVOMO_TEST_DATABASE"] = backend
    tmp = Path(tempfile.mkdtemp(prefix=f"valvomo-bench-workday-{backend}-"))
    url = await create_database(tmp)
    runtime = bench_runtime(url, tmp, ("meals",))
    await runtime.database.start()
    try:
        await runtime.migrate()
        await build(scale, random.Random(2026), runtime.settings.municipalities)
        async with runtime.database.transaction():
            kitchen = await kitchen_with_ten_routes()
            await create_user(
                SystemActor(full_name="bench"), username="coordinator", full_name="Bench",
                password=PASSWORD, role_codes=["meal_coordinator"],
            )  # fmt: skip
        await MealService.raw("ANALYZE")
        people = await Customer.select(
            Customer.id, Customer.last_name, Customer.phone_digits
        ).limit(200)
        rng = random.Random(5)
        samples = rng.sample(people, 20)
        by_kind = {
            "name": [p["last_name"][:5] for p in samples[:8]],
            "phone": [p["phone_digits"] for p in samples[8:14] if p["phone_digits"]],
            "customer number": [str(p["id"]) for p in samples[14:]],
        }
        queries = [q for kind in by_kind.values() for q in kind]
        app = create_app(runtime=runtime)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench.local", follow_redirects=True
        ) as client:
            await client.get("/login")
            token = client.cookies.get("valvomo_csrf")
            signed = await client.post(
                "/login",
                data={"username": "coordinator", "password": PASSWORD, "_csrf_token": token},
            )
            assert signed.status_code == 200, signed.status_code
            token = client.cookies.get("valvomo_csrf")  # the signed-in session's own token

            def searcher(of: list[str]) -> Callable[[], Awaitable[None]]:
                cycle = iter(of * (rounds + 2))

                async def search() -> None:
                    response = await client.post(
                        "/meals/services/search", data={"q": next(cycle), "_csrf_token": token}
                    )
                    assert response.status_code == 200, response.status_code

                return search

            def bare_searcher(of: list[str]) -> Callable[[], Awaitable[None]]:
                cycle = iter(of * (rounds + 2))

                async def bare_search() -> None:
                    customers = str(
                        Customer.select(Customer.id).where(search_condition(next(cycle)))
                    ).replace("SELECT ALL", "SELECT", 1)
                    await MealService.raw(SEARCH_PAGE_SQL.format(customers=customers))
                    await MealService.raw(SEARCH_COUNT_SQL.format(customers=customers))

                return bare_search

            async def dashboard() -> None:
                assert (await client.get("/")).status_code == 200

            async def bare_counts() -> None:
                for sql, params in count_queries(today()):
                    await MealService.raw(sql, *params)

            day = await next_delivery_day(frozenset({kitchen}), today(), current())

            async def print_all() -> None:
                path = f"/meals/lists/kitchens/{kitchen}/print?day={day.isoformat()}"
                assert (await client.get(path)).status_code == 200

            search_ms = await timed(searcher(queries), rounds)
            bare_search_ms = await timed(bare_searcher(queries), rounds)
            kinds = {
                f"  of which by {kind} ms": await timed(searcher(of), rounds)
                for kind, of in by_kind.items()
            }
            kinds.update(
                {
                    f"  of which by {kind}, app CPU ms": await cpu_ms(searcher(of), rounds)
                    for kind, of in by_kind.items()
                }
            )
            dashboard_ms = await timed(dashboard, rounds)
            bare_ms = await timed(bare_counts, rounds)
            print_ms = await timed(print_all, max(3, rounds // 4))
            with count_statements() as dashboard_statements:
                await dashboard()
            with count_statements() as name_search_statements:
                await searcher(by_kind["name"])()
            with count_statements() as number_search_statements:
                await searcher(by_kind["customer number"])()
            number = Customer.select(Customer.id).where(
                search_condition(by_kind["customer number"][0])
            )
            explain = "EXPLAIN QUERY PLAN" if backend == "sqlite" else "EXPLAIN ANALYZE"
            plans["customer number"] = [
                " ".join(str(v) for v in row.values())
                for row in await Customer.raw(f"{explain} {number}")
            ]
            stops = await MealService.count().where(MealService.kitchen == kitchen)
        return {
            "customers": 1200 * scale, "search ms": search_ms, **kinds,
            "bare SQL of the searches ms": bare_search_ms,
            "ratio search / bare SQL": search_ms / max(bare_search_ms, 0.001),
            "dashboard ms": dashboard_ms,
            "bare SQL of the dashboard's counts ms": bare_ms,
            "ratio dashboard / bare SQL": dashboard_ms / max(bare_ms, 0.001),
            "statements of the dashboard": float(len(dashboard_statements)),
            "statements of a search by name": float(len(name_search_statements)),
            "statements of a search by customer number": float(len(number_search_statements)),
            "print all, 10 routes ms": print_ms, "services of that kitchen": float(stops),
        }  # fmt: skip
    finally:
        await runtime.database.stop()
        await drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--scale", type=float, default=25)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    plans: dict[str, list[str]] = {}
    results = asyncio.run(measure(args.database, args.scale, args.rounds, plans))
    print(f"meal workday, {args.database}, {args.scale:g}× scale, median of {args.rounds} rounds")
    for name, value in results.items():
        print(f"  {name:40} {value:10.1f}")
    for name, lines in plans.items():
        print(f"plan of a search by {name}:")
        for line in lines:
            print(f"    {line}")


if __name__ == "__main__":
    main()
