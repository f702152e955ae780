"""Meal billing and kitchen lists at demo, 10× and national (25×) scale, SQLite or PostgreSQL.

    .venv/bin/python bench/meals_billing.py [--database sqlite|postgres] [--scales 1,10,25]
                                             [--rounds 5]

For each scale it builds a fresh database: 1,200 × scale meal customers with up to 30 months of
history (order changes, pauses, exceptions, endings) on 11 kitchens at 1× and 10 × scale kitchens
above (250 at 25× = 30,000 customers), about 5.5 routes per kitchen. Then it measures:
- recording every service's days of the month (`valvomo meals record-days`, nightly, or the
  first report of a month when that job has not run);
- the month's billing lines (the `valvomo_billing_lines` hook) as a biller meets them, with
  2 % of the services changed since the last report (written again first);
- the same with nothing changed, and one raw SQL aggregate over the same recorded days;
- the ratio of the two, and one kitchen's daily production list;
each a median of the rounds. Targets: billing < 300 ms for the demo region on SQLite, < 3 s at
30,000 customers on PostgreSQL, production list < 100 ms, ratio ≤ 3.
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
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.common.clock import today
from core.config import PROJECT_ROOT, load_settings
from core.customers.tables import Customer
from core.db import insert_objects, transaction
from core.demo import customer_rows
from core.plugins import BillingPeriod
from core.web.app import build_runtime
from plugins.meals.billing import billing_lines
from plugins.meals.demo import insert_meal_services, kitchens_and_routes
from plugins.meals.ledger import record_month
from plugins.meals.lists import production_list
from plugins.meals.settings import current
from plugins.meals.tables import MealDay, MealService
from tests.database import create_database, drop_database

CUSTOMERS_PER_SCALE = 1200
CHANGED_SHARE = 0.02
# The month's recorded days summed per service and product: the rows billing reads.
RAW_AGGREGATE = """
SELECT d.service, d.product, SUM(d.quantity) AS quantity
FROM meals_day d WHERE d.day >= {first} AND d.day <= {last}
GROUP BY d.service, d.product
"""


async def median_ms(
    work: Callable[[], Awaitable[Any]],
    rounds: int,
    before: Callable[[], Awaitable[Any]] | None = None,
) -> float:
    """Median time of `work`; `before` runs untimed ahead of each round."""
    await work()  # warm caches
    times = []
    for _ in range(rounds):
        if before is not None:
            await before()
        start = time.perf_counter()
        await work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def change_some_services(rng: random.Random, share: float) -> None:
    """New versions of a share of the services, as coordinators' edits would make."""
    ids = [r["id"] for r in await MealService.select(MealService.id)]
    changed = rng.sample(ids, max(1, round(len(ids) * share)))
    async with transaction():
        await MealService.update({MealService.version: MealService.version + 1}).where(
            MealService.id.is_in(changed)
        )


async def build(scale: float, rng: random.Random, municipalities: tuple[str, ...]) -> int:
    customers = round(CUSTOMERS_PER_SCALE * scale)
    kitchens = 11 if scale <= 1 else round(10 * scale)
    names = [f"Keittiö {n}" for n in range(1, kitchens + 1)]
    async with transaction():
        ids = await insert_objects(Customer, customer_rows(rng, customers, municipalities))
        routes = await kitchens_and_routes(names, [rng.randint(4, 7) for _ in names])
        await insert_meal_services(rng, today(), ids, routes, current())
    return kitchens


async def measure(scale: float, backend: str, rounds: int) -> dict[str, float]:
    os.environ["VALVOMO_TEST_DATABASE"] = backend
    tmp = Path(tempfile.mkdtemp(prefix=f"valvomo-bench-meals-{backend}-"))
    url = await create_database(tmp)
    settings = load_settings(PROJECT_ROOT / "valvomo.toml")
    meal_settings = {"meals": settings.plugin_settings.get("meals", {})}
    settings = replace(settings, database_url=url, var_dir=tmp, enabled_plugins=("meals",),
                       plugin_settings=meal_settings)  # fmt: skip
    runtime = build_runtime(settings)
    await runtime.database.start()
    try:
        await runtime.migrate()
        started = time.perf_counter()
        kitchens = await build(scale, random.Random(2026), settings.municipalities)
        build_s = time.perf_counter() - started
        month = today().replace(day=1) - dt.timedelta(days=1)
        period = BillingPeriod(month.year, month.month)
        first, last = (f"'{d.isoformat()}'" for d in (period.first_day, period.last_day))
        started = time.perf_counter()
        await record_month(period, current().holiday_rule)
        record_whole_month = (time.perf_counter() - started) * 1000
        lines = await billing_lines(period, current())
        await MealDay.raw("ANALYZE")  # planner statistics, as autovacuum would gather them
        meals = sum(ln.quantity for ln in lines if ln.product != "delivery")
        rng = random.Random(7)
        with_changes = await median_ms(
            lambda: billing_lines(period, current()),
            rounds,
            before=lambda: change_some_services(rng, CHANGED_SHARE),
        )
        billing = await median_ms(lambda: billing_lines(period, current()), rounds)
        raw = await median_ms(
            lambda: MealDay.raw(RAW_AGGREGATE.format(first=first, last=last)), rounds
        )
        weekday = period.last_day - dt.timedelta(days=(period.last_day.weekday()) % 7)
        production = await median_ms(lambda: production_list(1, weekday, current()), rounds)
        return {
            "customers": CUSTOMERS_PER_SCALE * scale, "kitchens": kitchens,
            "build s": build_s, "billing lines": len(lines), "meals in month": float(meals),
            "record month ms": record_whole_month, "2 % changed ms": with_changes,
            "billing ms": billing, "raw aggregate ms": raw, "ratio": billing / max(raw, 0.001),
            "production list ms": production,
        }  # fmt: skip
    finally:
        await runtime.database.stop()
        await drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--scales", default="1,10,25")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    scales = [float(s) for s in args.scales.split(",")]
    results = {scale: asyncio.run(measure(scale, args.database, args.rounds)) for scale in scales}
    print(f"meal billing, {args.database}, previous full month, median of {args.rounds} rounds")
    names = list(next(iter(results.values())))
    print(f"  {'':22}" + "".join(f"{f'{s:g}×':>14}" for s in scales))
    for name in names:
        print(f"  {name:22}" + "".join(f"{results[s][name]:14.1f}" for s in scales))
    base = results[scales[0]]["billing ms"]
    growth = ", ".join(f"{s:g}×: {results[s]['billing ms'] / base:.1f}" for s in scales)
    print(f"  billing time growth relative to {scales[0]:g}×: {growth}")


if __name__ == "__main__":
    main()
