"""The situational picture page over national-shaped aggregates, with where its time goes.

    .venv/bin/python bench/situation_page.py [--database sqlite|postgres] [--rounds 30]
        [--municipalities 293] [--units 250] [--profile]

Fills the aggregates directly (no services behind them: the page reads only the aggregates):
every declared metric for 36 months for the region, 60 of `--municipalities` municipalities
(the first figure, which the page splits by municipality: all of them) and 20 of `--units`
units: somewhat more rows than the national run of bench/situation_picture.py leaves
(59,074), which takes half an hour to build on the shared machine; this takes seconds.
Then it times the page for the whole country and 24 months as a leader gets it, each request
followed by the bare SQL the page runs (bench/situation_picture.py's BARE_SQL), prints both
medians and their ratio (target ≤ 3), this process's median CPU time per page and per bare
SQL run (the app and the driver; the database server's CPU is not in it), and with `--profile`
the functions the page spends most of its CPU time in.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.situation_picture import BARE_SQL, alternating_medians, on_fresh_database
from bench.support import median_ms, print_profile
from core.common.clock import now, today
from core.db import insert_rows, transaction
from core.plugins import BillingPeriod
from core.situation.months import add_months, months_between
from core.situation.refresh import FIGURE_COLUMNS
from core.situation.services import declared_metrics
from core.situation.tables import SituationFigure, SituationRefresh
from core.web.app import create_app
from core.web.runtime import Runtime
from tests.helpers import make_user, sign_in

SPLIT = "meals.customers"  # the figure the page splits by municipality (the first)


async def fill(runtime: Runtime, municipalities: tuple[str, ...], units: int) -> int:
    rng = random.Random(7)
    current = BillingPeriod(today().year, today().month)
    months = months_between(add_months(current, -35), current)
    rows: list[tuple[Any, ...]] = []
    refreshed = []
    for metric in declared_metrics(runtime.host).values():
        splits = [""] + [code for code, _ in metric.splits]
        for period in months:
            month = period.first_day
            # about the rows the national run leaves (59,074): every municipality for the
            # figure split by municipality, a sample for the others (data in some only)
            chosen = municipalities if metric.name == SPLIT else rng.sample(municipalities, 60)
            areas = [("region", "")] + [("municipality", m) for m in chosen]
            areas += [("unit", f"Yksikkö {n:03d}") for n in rng.sample(range(units), 20)]
            for level, area in areas:
                for split in splits:
                    customers = rng.randint(0, 120)
                    rows.append((metric.name, month, level, area, split, customers * 3,
                                 customers, customers))  # fmt: skip
            refreshed.append(
                SituationRefresh(
                    metric=metric.name,
                    month=month,
                    refreshed_at=now(),
                    computed_at=now(),
                    seconds=0.1,
                    stamp="bench",
                )
            )
    async with transaction():
        for start in range(0, len(rows), 5000):
            await insert_rows(SituationFigure, FIGURE_COLUMNS, rows[start : start + 5000])
        await SituationRefresh.insert(*refreshed)
    return len(rows)


async def measure(runtime: Runtime, args: argparse.Namespace) -> dict[str, float]:
    municipalities = runtime.settings.municipalities
    figures = {"aggregate rows": float(await fill(runtime, municipalities, args.units))}
    await SituationFigure.raw("ANALYZE")
    current = BillingPeriod(today().year, today().month)
    first = add_months(current, -23)
    query = f"start={first.year}-{first.month:02d}&end={current.year}-{current.month:02d}"
    dates = {
        "first": f"'{first.first_day.isoformat()}'",
        "last": f"'{current.first_day.isoformat()}'",
        "start": f"'{add_months(first, -12).first_day.isoformat()}'",
    }
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
        await sign_in(client, await make_user("leader"))

        async def page() -> None:
            response = await client.get(f"/situation/?{query}")
            assert response.status_code == 200, (response.status_code, response.text[-3000:])

        async def bare() -> None:
            for sql in BARE_SQL:
                await SituationFigure.raw(sql.format(**dates))

        await page()
        await bare()
        page_ms, bare_ms = await alternating_medians(page, bare, args.rounds)
        figures.update({"page ms": page_ms, "bare SQL ms": bare_ms, "ratio": page_ms / bare_ms})
        # this process's CPU time (the app and its in-process client, not the database
        # server's): less disturbed by the other engineers' load than the wall clock
        page_cpu = await median_ms(page, args.rounds, time.process_time)
        bare_cpu = await median_ms(bare, args.rounds, time.process_time)
        figures.update({"page CPU ms": page_cpu, "bare SQL CPU ms (driver)": bare_cpu})
        if args.profile:
            profiler = cProfile.Profile(time.process_time)  # CPU time: the load does not count
            profiler.enable()
            for _ in range(args.rounds):
                await page()
            profiler.disable()
            print_profile(profiler)
    return figures


async def run(args: argparse.Namespace) -> dict[str, float]:
    return await on_fresh_database(args, "situation-page", measure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--municipalities", type=int, default=293)
    parser.add_argument("--units", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    print(
        f"situational picture page, {args.database}, aggregates of {args.municipalities} "
        f"municipalities and {args.units} units, region, 24 months, median of {args.rounds}, "
        f"page and bare SQL timed in turn; shared machine (load average "
        f"{os.getloadavg()[0]:.0f}), absolute times noisy, the ratio steadier"
    )
    for name, value in figures.items():
        print(f"  {name:30}{value:14.1f}")


if __name__ == "__main__":
    main()
