"""A month's billing export at national scale in every invoice format, and the go-live import.

    .venv/bin/python bench/billing_export.py [--database postgres|sqlite] [--customers 30000]
                                             [--rounds 3] [--skip exports|imports] [--profile]

Builds a fresh database with `--customers` meal customers (the meals demo generator, 250
kitchens at 30,000), records last month as the nightly job would, and measures per format the
whole export as a biller's click runs it (the month's lines, customers, payers and accounts,
the file, and one access-log entry per customer), next to one raw SQL aggregate of the same
recorded days. Targets: every format under 5 s at 30,000 customers on PostgreSQL.

Then, on another fresh database, `valvomo import customers` and `valvomo import meals` of
generated files with one row per customer (30,000 rows each), and the same again unchanged;
then on a third fresh database the combined sheet (`valvomo import FILE`, customers and their
meal orders in one row) and the same again. Targets: under 60 s together, the second run under
20 s. The floor of an import is the start-up of the `valvomo` process it runs in (measured as
`valvomo import --help`), printed with each import's ratio to it.

`--profile` runs each export once more under cProfile first and prints its 45 costliest
functions (cumulative time): where the time goes, the query, the per-line Python or the writer.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.meals_billing import RAW_AGGREGATE, build
from bench.support import bench_runtime, median_ms
from core.audit.services import SystemActor
from core.billing import invoices
from core.common.clock import today
from core.config import PROJECT_ROOT
from core.plugins import BillingPeriod
from core.plugins.host import PluginHost
from plugins.meals.ledger import record_month
from plugins.meals.settings import current
from plugins.meals.tables import MealDay
from tests.database import create_database, drop_database

ACTOR = SystemActor(full_name="bench")
# The targets at 30,000 customers on PostgreSQL (figure name → at most).
TARGETS = {"csv export ms": 5000, "xlsx export ms": 5000, "jsonl export ms": 5000,
           "import customers + meals s": 60, "second, unchanged run s": 20,
           "combined sheet s": 60, "combined sheet, unchanged s": 20}  # fmt: skip


def show(name: str, value: float) -> None:
    target = TARGETS.get(name)
    met = target is not None and value <= target
    verdict = "" if target is None else f"   target {target}: {'met' if met else 'NOT met'}"
    print(f"  {name:30}{value:12.1f}{verdict}")


async def profiled(
    code: str, host: PluginHost, period: BillingPeriod, file_format: invoices.InvoiceFormat
) -> None:
    """One export under cProfile; prints the 25 costliest functions by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    await invoices.export_month(ACTOR, host, period, file_format, with_identity_codes=True)
    profiler.disable()
    print(f"  profile of the {code} export (cumulative):")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


async def exports(customers: int, rounds: int, profile: bool = False) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="valvomo-bench-export-"))
    url = await create_database(tmp)
    runtime = bench_runtime(url, tmp, ["meals"])
    await runtime.database.start()
    try:
        await runtime.migrate()
        await build(customers / 1200, random.Random(2026), runtime.settings.municipalities)
        month = today().replace(day=1) - dt.timedelta(days=1)
        period = BillingPeriod(month.year, month.month)
        await record_month(period, current().holiday_rule)
        await MealDay.raw("ANALYZE")
        first, last = (f"'{d.isoformat()}'" for d in (period.first_day, period.last_day))
        figures: dict[str, float] = {}
        figures["raw aggregate ms"] = await median_ms(
            lambda: MealDay.raw(RAW_AGGREGATE.format(first=first, last=last)), rounds
        )
        for code, file_format in invoices.invoice_formats(runtime.host).items():
            if profile:
                await profiled(code, runtime.host, period, file_format)
            cpu = time.process_time()
            figures[f"{code} export ms"] = ms = await median_ms(
                lambda f=file_format: invoices.export_month(  # type: ignore[misc]
                    ACTOR, runtime.host, period, f, with_identity_codes=True
                ),
                rounds,
            )
            # The CPU of this process (the database server's is not in it): the load of a
            # shared machine inflates it far less than the wall clock.
            figures[f"{code} export cpu ms"] = (time.process_time() - cpu) * 1000 / rounds
            figures[f"{code} ratio"] = ms / figures["raw aggregate ms"]
        return figures
    finally:
        await runtime.database.stop()
        await drop_database(url)


def identity_code(n: int) -> str:
    """A valid henkilötunnus for person number n (born 1930–1949)."""
    day, month, year = 1 + n % 28, 1 + (n // 28) % 12, 30 + (n // 336) % 20
    individual = 2 + n % 997
    check = "0123456789ABCDEFHJKLMNPRSTUVWXY"[
        int(f"{day:02d}{month:02d}{year:02d}{individual:03d}") % 31
    ]
    return f"{day:02d}{month:02d}{year:02d}-{individual:03d}{check}"


def write_files(tmp: Path, customers: int) -> tuple[Path, Path]:
    codes = list(dict.fromkeys(identity_code(n) for n in range(customers * 2)))[:customers]
    people = tmp / "customers.csv"
    meals = tmp / "meals.csv"
    with people.open("w", encoding="utf-8") as out:
        out.write("identity_code;first_name;last_name;street_address;postal_code;municipality;"
                  "phone;external_number;payer_name;payer_street_address;payer_postal_code;"
                  "payer_post_office\n")  # fmt: skip
        for n, code in enumerate(codes):
            payer = f"Maksaja {n};Tie {n};60100;Seinäjoki" if n % 10 == 0 else ";;;"
            out.write(f"{code};Aino;Asiakas{n};Katu {n};60100;Seinäjoki;040{n:07d};X{n};{payer}\n")
    with meals.open("w", encoding="utf-8") as out:
        out.write("identity_code;kitchen;route;route_stop;start_date;diet;product;"
                  "mon;tue;wed;thu;fri;sat;sun;delivery_days;door_notes\n")  # fmt: skip
        for n, code in enumerate(codes):
            kitchen = f"K{n % 250}"
            out.write(f"{code};{kitchen};{kitchen} R1;{n % 50};2026-01-05;normal;lunch;"
                      "1;1;1;1;1;1;1;mon,thu;\n")  # fmt: skip
    return people, meals


def cli(url: str, tmp: Path, *args: str) -> float:
    env = {**os.environ, "VALVOMO_DATABASE_URL": url, "VALVOMO_VAR_DIR": str(tmp),
           "VALVOMO_SECRET": "bench-" + "x" * 40}  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{args}: {done.stdout[-500:]} {done.stderr[-500:]}")
    if args[-1] != "--help":
        print(f"    {' '.join(args[:2])}: {done.stdout.strip().splitlines()[-1]}")
    return elapsed


def write_sheet(tmp: Path, people: Path, meals: Path) -> Path:
    """The combined one-row-per-customer sheet: each customer row with its meal columns."""
    sheet = tmp / "sheet.csv"
    person_rows = people.read_text(encoding="utf-8").splitlines()
    meal_rows = meals.read_text(encoding="utf-8").splitlines()
    with sheet.open("w", encoding="utf-8") as out:
        for person, meal in zip(person_rows, meal_rows, strict=True):
            out.write(person + ";" + meal.split(";", 1)[1] + "\n")
    return sheet


async def fresh_region(tmp: Path) -> str:
    """A migrated database with the 250 kitchens and routes the generated files name."""
    url = await create_database(tmp)
    cli(url, tmp, "migrate")
    from core.db import transaction
    from plugins.meals import places

    runtime = bench_runtime(url, tmp, ["meals"])
    await runtime.database.start()
    async with transaction():
        for k in range(250):
            kitchen = await places.create_kitchen(ACTOR, f"K{k}")
            await places.create_route(ACTOR, kitchen, f"K{k} R1")
    await runtime.database.stop()
    return url


async def imports(customers: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="valvomo-bench-import-"))
    people, meals = write_files(tmp, customers)
    url = await fresh_region(tmp)
    figures: dict[str, float] = {}
    try:
        figures["floor: CLI start-up s"] = floor = cli(url, tmp, "import", "--help")
        first = cli(url, tmp, "import", "customers", str(people))
        first += cli(url, tmp, "import", "meals", str(meals))
        second = cli(url, tmp, "import", "customers", str(people))
        second += cli(url, tmp, "import", "meals", str(meals))
        figures["import customers + meals s"] = first
        figures["  ratio to two start-ups"] = first / (2 * floor)
        figures["second, unchanged run s"] = second
        figures["  unchanged: ratio to two"] = second / (2 * floor)
    finally:
        await drop_database(url)
    sheet = write_sheet(tmp, people, meals)
    url = await fresh_region(tmp)
    try:
        figures["combined sheet s"] = first = cli(url, tmp, "import", str(sheet))
        figures["  ratio to one start-up"] = first / floor
        figures["combined sheet, unchanged s"] = second = cli(url, tmp, "import", str(sheet))
        figures["  unchanged: ratio to one"] = second / floor
    finally:
        await drop_database(url)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip", choices=["exports", "imports"], default=None)
    parser.add_argument("--profile", action="store_true", help="cProfile each export once")
    args = parser.parse_args()
    os.environ["VALVOMO_TEST_DATABASE"] = args.database
    print(f"billing export and import, {args.database}, {args.customers} customers")
    print("  load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    if args.skip != "exports":
        for name, value in asyncio.run(exports(args.customers, args.rounds, args.profile)).items():
            show(name, value)
    if args.skip != "imports":
        for name, value in asyncio.run(imports(args.customers)).items():
            show(name, value)
    print("  load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
