"""The situational picture at national or region scale, SQLite or PostgreSQL.

    .venv/bin/python bench/situation_picture.py [--database sqlite|postgres] [--scale 25]
        [--municipalities 293] [--phones 5000] [--alarms 100000] [--booking]
        [--recorded-months 2] [--rounds 20]

Builds a fresh database: 1,200 × scale meal customers with their history (the meals
benchmark's builder: order changes, pauses, exceptions, endings; 25 × = 30,000 customers on 250
kitchens) spread over `--municipalities` municipalities (293 ≈ the whole country; 0 = the
repository's region), the security-phone benchmark's customers and alarms with visits, and the
booking benchmark's units, openings and bookings. Then it measures:
- computing the aggregates: every metric for 24 months, except the figures that need recorded
  meal days (meals, deliveries, billed euros), computed for the last `--recorded-months`
  (recording 24 months of days for 30,000 customers is the nightly job's work, not this one's);
- the page for the whole country and 24 months as a leader gets it over HTTP (session, queries,
  template), and the bare SQL over the aggregates that the page runs, and their ratio;
- one of the page's chart images;
- the worker's incremental round (current and previous month of every metric, recomputing only
  the customers whose stamp moved, or the metric-months whose stamp moved for metrics without
  customer stamps) after 1 % of the meal and security-phone services changed, the same round
  when nothing changed (each service's month stamp unchanged: no customer's stamp read), that
  round reading and comparing every customer's stamp as it did before the month stamps were
  kept, and a full recompute of the two months (every customer's share), in
  the same run, with their ratio.
Targets: page < 200 ms median on PostgreSQL nationally, < 500 ms on SQLite at region scale,
ratio to the bare SQL ≤ 3.
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

import httpx

from bench.meals_billing import build as build_meals
from bench.support import median_ms
from core.common.clock import today
from core.config import PROJECT_ROOT, load_settings
from core.db import transaction
from core.plugins import BillingPeriod, MetricContext
from core.situation import shares
from core.situation.months import add_months, months_between
from core.situation.refresh import RefreshResult, recent_months, refresh
from core.situation.services import declared_metrics
from core.situation.tables import SituationCustomerStamp, SituationFigure, SituationRefresh
from core.web.app import build_runtime, create_app
from core.web.runtime import Runtime
from plugins.meals.tables import MealService
from plugins.security_phones.tables import PhoneService
from tests.database import create_database, drop_database
from tests.helpers import make_user, sign_in

RECORDED = ("meals.meals", "meals.deliveries", "billing.euros")
# What the page reads for the region and 24 months: the figures with their trend and year-earlier
# months, one figure per municipality, the refresh times and the units for the area choice.
BARE_SQL = (
    "SELECT metric, month, split, value, weight, customers FROM situation_figure "
    "WHERE level = 'region' AND area = '' AND month >= {first} AND month <= {last}",
    "SELECT area, SUM(value), SUM(weight), SUM(customers) FROM situation_figure "
    "WHERE level = 'municipality' AND split = '' AND metric = 'meals.customers' "
    "AND month >= {last} AND month <= {last} GROUP BY area",
    "SELECT metric, MIN(refreshed_at) FROM situation_refresh "
    "WHERE month >= {start} AND month <= {last} GROUP BY metric",
    "SELECT DISTINCT area FROM situation_figure WHERE level = 'unit'",
)


async def build(runtime: Runtime, args: argparse.Namespace) -> dict[str, float]:
    from bench import booking_free_times, security_phones_import

    started = time.perf_counter()
    await build_meals(args.scale, random.Random(2026), runtime.settings.municipalities)
    if args.phones:
        centre, serials = await phone_services(args.phones)
        rows = security_phones_import.alarm_rows(args.alarms, serials)
        await security_phones_import.timed_import(runtime, centre, rows)
        await security_phones_import.add_visits(runtime)
    if args.booking:
        await booking_free_times.build(random.Random(5))
    return {"build s": time.perf_counter() - started}


async def phone_services(count: int) -> tuple[int, list[str]]:
    """Security phones for `count` of the meal customers (many have both), as the phone
    benchmark builds them: services started over two years, every tenth ending in March."""
    from core.audit.services import SystemActor
    from core.customers.tables import Customer
    from core.db import insert_objects
    from plugins.security_phones.alarms import create_centre
    from plugins.security_phones.tables import Device

    rng = random.Random(4)
    ids = [r["id"] for r in await Customer.select(Customer.id)]
    chosen = rng.sample(ids, min(count, len(ids)))
    async with transaction():
        centre, _ = await create_centre(SystemActor(full_name="bench"), "Bench centre")
        services, devices = [], []
        for n, customer in enumerate(chosen):
            start = dt.date(2026, 3, 1) - dt.timedelta(days=rng.randint(-25, 700))
            end = dt.date(2026, 3, rng.randint(1, 31)) if n % 10 == 0 else None
            services.append(PhoneService(customer=customer, decision_date=start, start_date=start,
                                         end_date=end, installation_date=start, centre=centre,
                                         centre_customer_id=f"C{n}"))  # fmt: skip
            devices.append(Device(serial_number=f"B{n}", model="M", kind="base_unit",
                                  status="installed", customer=customer))  # fmt: skip
        await insert_objects(PhoneService, services)
        await insert_objects(Device, devices)
    return centre, [f"B{n}" for n in range(len(chosen))]


async def compute_all(runtime: Runtime, recorded_months: int) -> float:
    metrics = declared_metrics(runtime.host)
    context = MetricContext(runtime.host, runtime.settings)
    current = BillingPeriod(today().year, today().month)
    history = months_between(add_months(current, -35), current)
    started = time.perf_counter()
    cheap = [m for name, m in metrics.items() if name not in RECORDED]
    costly = [m for name, m in metrics.items() if name in RECORDED]
    await refresh(cheap, history, context)
    await refresh(costly, history[-recorded_months:], context)
    return time.perf_counter() - started


async def change_services(share: float) -> None:
    """New versions of a share of the meal services and changed security-phone services."""
    rng = random.Random(11)
    async with transaction():
        for table in (MealService, PhoneService):
            ids = [r["id"] for r in await table.select(table.id)]
            if not ids:
                continue
            changed = rng.sample(ids, max(1, round(len(ids) * share)))
            await table.update({table.version: table.version + 1}).where(table.id.is_in(changed))


async def measure(runtime: Runtime, args: argparse.Namespace) -> dict[str, float]:
    figures: dict[str, float] = await build(runtime, args)
    await SituationFigure.raw("ANALYZE")
    figures["compute aggregates s"] = await compute_all(runtime, args.recorded_months)
    await SituationFigure.raw("ANALYZE")
    figures["aggregate rows"] = float(await SituationFigure.count())
    current = BillingPeriod(today().year, today().month)
    first = add_months(current, -23)
    query = f"start={first.year}-{first.month:02d}&end={current.year}-{current.month:02d}"
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
        await sign_in(client, await make_user("leader"))

        async def page() -> None:
            response = await client.get(f"/situation/?{query}")
            assert response.status_code == 200, (response.status_code, response.text[-3000:])

        async def chart() -> None:
            response = await client.get(f"/situation/chart/trend?{query}")
            assert response.status_code == 200, (response.status_code, response.text[-3000:])

        dates = {
            "first": f"'{first.first_day.isoformat()}'",
            "last": f"'{current.first_day.isoformat()}'",
            "start": f"'{add_months(first, -12).first_day.isoformat()}'",
        }

        async def bare() -> None:
            for sql in BARE_SQL:
                await SituationFigure.raw(sql.format(**dates))

        await page()  # the template compiled and the caches warm, as on a running server
        await bare()
        page_ms, bare_ms = await alternating_medians(page, bare, args.rounds)
        figures["page ms"] = page_ms
        figures["chart image ms"] = await median_ms(chart, args.rounds)
    figures["bare SQL ms"] = bare_ms
    figures["ratio"] = figures["page ms"] / max(figures["bare SQL ms"], 0.001)
    metrics = list(declared_metrics(runtime.host).values())

    async def worker_round() -> RefreshResult:
        context = MetricContext(runtime.host, runtime.settings)
        return await refresh(
            metrics, recent_months(today()), context, incremental=True, by_customer=True
        )

    await worker_round()  # the stamps of the recent months, as after any earlier round
    await change_services(0.01)
    changed = await worker_round()
    figures["refresh after 1 % changed s"] = changed.seconds
    figures["  metric-months recomputed"] = float(changed.metric_months)
    figures["  metric-months unchanged"] = float(changed.unchanged)
    figures["  customer-months recomputed"] = float(changed.customers)
    for row in await SituationRefresh.raw(
        "SELECT metric, SUM(seconds) AS seconds FROM situation_refresh WHERE month >= {} "
        "GROUP BY metric ORDER BY 2 DESC LIMIT 4",
        recent_months(today())[0].first_day,
    ):
        figures[f"  of which {row['metric']} s"] = float(row["seconds"])
    figures["refresh, nothing changed s"] = (await worker_round()).seconds
    # The same round as before the month stamps were kept beside the customers' stamps: every
    # customer's stamp read and compared (the month stamps forgotten first, so the round takes
    # that path once and keeps them again).
    await SituationCustomerStamp.delete().where(
        SituationCustomerStamp.customer == shares.MONTH_STAMP
    )
    figures["  reading every customer's stamp s"] = (await worker_round()).seconds
    figures["refresh, nothing changed, again s"] = (await worker_round()).seconds
    started = time.perf_counter()
    await refresh(
        metrics,
        recent_months(today()),
        MetricContext(runtime.host, runtime.settings),
        by_customer=True,
    )
    figures["full recompute of 2 months s"] = time.perf_counter() - started
    figures["ratio full / after 1 % changed"] = (
        figures["full recompute of 2 months s"] / figures["refresh after 1 % changed s"]
    )
    return figures


async def alternating_medians(
    first: Callable[[], Awaitable[None]], second: Callable[[], Awaitable[None]], rounds: int
) -> tuple[float, float]:
    """Median milliseconds of each, timed in turn: on a loaded machine both meet the same load,
    so their ratio is steadier than that of two separate series."""
    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for call, found in ((first, timings[0]), (second, timings[1])):
            started = time.perf_counter()
            await call()
            found.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings[0]), statistics.median(timings[1])


async def on_fresh_database(
    args: argparse.Namespace,
    name: str,
    measure: Callable[[Runtime, argparse.Namespace], Awaitable[dict[str, float]]],
) -> dict[str, float]:
    """`measure` on a freshly migrated database of `args.database`, with `args.municipalities`
    numbered municipalities (0: those of valvomo.toml); the database is dropped afterwards."""
    os.environ["VALVOMO_TEST_DATABASE"] = args.database
    tmp = Path(tempfile.mkdtemp(prefix=f"valvomo-bench-{name}-{args.database}-"))
    url = await create_database(tmp)
    settings = load_settings(PROJECT_ROOT / "valvomo.toml")
    municipalities: Any = settings.municipalities
    if args.municipalities:
        municipalities = tuple(f"Kunta {n:03d}" for n in range(1, args.municipalities + 1))
    settings = replace(settings, database_url=url, var_dir=tmp, municipalities=municipalities,
                       secret="bench-secret-" + "x" * 32, development=True,
                       public_base_url="http://bench.local",
                       allowed_hosts=(*settings.allowed_hosts, "bench.local"))  # fmt: skip
    runtime = build_runtime(settings)
    await runtime.database.start()
    try:
        await runtime.migrate()
        return await measure(runtime, args)
    finally:
        await runtime.database.stop()
        await drop_database(url)


async def run(args: argparse.Namespace) -> dict[str, float]:
    return await on_fresh_database(args, "situation", measure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--scale", type=float, default=25)
    parser.add_argument("--municipalities", type=int, default=293)
    parser.add_argument("--phones", type=int, default=5000)
    parser.add_argument("--alarms", type=int, default=100_000)
    parser.add_argument("--booking", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--recorded-months", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    print(
        f"situational picture, {args.database}, {args.scale:g} × meals "
        f"({round(1200 * args.scale):,} customers), {args.phones:,} phone customers, "
        f"{args.alarms:,} alarms, booking {'on' if args.booking else 'off'}, "
        f"{args.municipalities or 'region'} municipalities; page for the region, 24 months, "
        f"median of {args.rounds}; measured on a shared machine (load average "
        f"{os.getloadavg()[0]:.0f}), so absolute times are noisy, ratios steadier"
    )
    for name, value in figures.items():
        print(f"  {name:30}{value:14.1f}")


if __name__ == "__main__":
    main()
