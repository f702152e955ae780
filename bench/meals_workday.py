"""The meal coordinator's and the kitchen's day at national scale, through HTTP, SQLite or
PostgreSQL.

    .venv/bin/python bench/meals_workday.py [--database sqlite|postgres] [--scale 25]
                                             [--rounds 20]

Builds the data of `bench/meals_billing.py` (1,200 × scale meal customers with history; 25× =
30,000 customers on 250 kitchens), gives one kitchen 10 routes, and measures in-process through
the ASGI app (the framework, the session, the queries and the template, no network):
- finding a customer from the meal services list (POST of the search, then the page it leads to)
  by name, phone and customer number;
- the coordinator's dashboard, and the bare SQL of its counts (the same statements, run directly);
  the ratio of the two (target ≤ 3);
- "print all" of the kitchen with 10 routes for its next delivery day.
Targets: search and dashboard medians < 50 ms, print all < 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.meals_billing import build
from bench.support import bench_runtime, median_ms
from core.audit.services import SystemActor
from core.common.clock import today
from core.customers.tables import Customer
from core.identity.services import create_user
from core.web.app import create_app
from plugins.meals.dashboard import count_queries
from plugins.meals.lists import next_delivery_day
from plugins.meals.settings import current
from plugins.meals.tables import DeliveryRoute, MealRouteAssignment, MealService
from tests.database import create_database, drop_database

PASSWORD = "bench-password-2026"
ROUTES_IN_KITCHEN = 10


async def timed(call: Callable[[], Awaitable[Any]], rounds: int) -> float:
    """Median of `rounds` calls after one warming call."""
    await call()
    return await median_ms(call, rounds)


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


async def measure(backend: str, scale: float, rounds: int) -> dict[str, float]:
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
        queries = [p["last_name"][:5] for p in samples[:8]]
        queries += [p["phone_digits"] for p in samples[8:14] if p["phone_digits"]]
        queries += [str(p["id"]) for p in samples[14:]]
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
            query_cycle = iter(queries * (rounds + 2))

            async def search() -> None:
                response = await client.post(
                    "/meals/services/search",
                    data={"q": next(query_cycle), "_csrf_token": token},
                )
                assert response.status_code == 200, response.status_code

            async def dashboard() -> None:
                assert (await client.get("/")).status_code == 200

            async def bare_counts() -> None:
                for sql, params in count_queries(today()):
                    await MealService.raw(sql, *params)

            day = await next_delivery_day(frozenset({kitchen}), today(), current())

            async def print_all() -> None:
                path = f"/meals/lists/kitchens/{kitchen}/print?day={day.isoformat()}"
                assert (await client.get(path)).status_code == 200

            search_ms = await timed(search, rounds)
            dashboard_ms = await timed(dashboard, rounds)
            bare_ms = await timed(bare_counts, rounds)
            print_ms = await timed(print_all, max(3, rounds // 4))
            stops = await MealService.count().where(MealService.kitchen == kitchen)
        return {
            "customers": 1200 * scale, "search ms": search_ms, "dashboard ms": dashboard_ms,
            "bare SQL of the dashboard's counts ms": bare_ms,
            "ratio dashboard / bare SQL": dashboard_ms / max(bare_ms, 0.001),
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
    results = asyncio.run(measure(args.database, args.scale, args.rounds))
    print(f"meal workday, {args.database}, {args.scale:g}× scale, median of {args.rounds} rounds")
    for name, value in results.items():
        print(f"  {name:40} {value:10.1f}")


if __name__ == "__main__":
    main()
