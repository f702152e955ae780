"""Security phones: importing 100,000 alarm rows twice, and a month's billing for 5,000 customers.

    .venv/bin/python bench/security_phones_import.py [--database sqlite|postgres]
        [--alarms 100000] [--customers 5000] [--rounds 5]

Targets (issue 4): the first import under 10 s and a second import of the same rows adding none,
on both databases; the billing lines of a month for 5,000 phone customers under 1 s.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.audit.services import SystemActor
from core.config import PROJECT_ROOT, load_settings
from core.customers.tables import Customer
from core.db import insert_objects
from core.demo import customer_rows
from core.plugins import BillingPeriod
from core.web.app import build_runtime
from core.web.runtime import Runtime
from plugins.security_phones import settings as phone_settings
from plugins.security_phones.alarms import KINDS, create_centre, import_alarms
from plugins.security_phones.billing import billing_lines
from plugins.security_phones.tables import AlarmVisit, Device, Installation, PhoneService
from tests.database import create_database, drop_database

ACTOR = SystemActor(full_name="bench")
PERIOD = BillingPeriod(2026, 3)


async def prepare(runtime: Runtime, customers: int) -> tuple[int, list[str]]:
    """Customers with services starting and ending around March, devices, an alarm centre."""
    rng = random.Random(4)
    async with runtime.database.transaction():
        rows = customer_rows(rng, customers, runtime.settings.municipalities)
        ids = await insert_objects(Customer, rows)
        centre_id, _ = await create_centre(ACTOR, "Bench centre")
        services, devices = [], []
        for n, customer_id in enumerate(ids):
            start = dt.date(2026, 3, 1) - dt.timedelta(days=rng.randint(-25, 700))
            end = dt.date(2026, 3, rng.randint(1, 31)) if n % 10 == 0 else None
            services.append(PhoneService(customer=customer_id, decision_date=start,
                                         start_date=start, end_date=end,
                                         installation_date=start, centre=centre_id,
                                         centre_customer_id=f"C{n}"))  # fmt: skip
            devices.append(Device(serial_number=f"B{n}", model="M", kind="base_unit",
                                  status="installed", customer=customer_id))  # fmt: skip
            if n % 4 == 0:
                devices.append(Device(serial_number=f"F{n}", model="M", kind="fall_detector",
                                      status="installed", customer=customer_id))  # fmt: skip
        await insert_objects(PhoneService, services)
        device_ids = await insert_objects(Device, devices)
        await insert_objects(Installation, [
            Installation(device=device_id, customer=d.customer, installed_on=dt.date(2026, 1, 1))
            for device_id, d in zip(device_ids, devices, strict=True)
        ])  # fmt: skip
    return centre_id, [f"B{n}" for n in range(len(ids))]


def alarm_rows(count: int, serials: list[str]) -> list[dict[str, str]]:
    rng = random.Random(9)
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(count):
        kind = "technical" if n % 200 == 0 else rng.choice(KINDS[:4])
        moment = start + dt.timedelta(seconds=rng.randint(0, 30 * 86400))
        rows.append({
            "alarm_id": f"A{n}", "time": moment.isoformat(), "device_serial": rng.choice(serials),
            "kind": kind, "detail": "low_battery" if kind == "technical" else "",
            "outcome": "", "visit_needed": "yes" if n % 5 == 0 else "no",
        })  # fmt: skip
    return rows


async def timed_import(
    runtime: Runtime, centre_id: int, rows: list[dict[str, str]]
) -> tuple[float, int]:
    started = time.perf_counter()
    async with runtime.database.transaction():
        result = await import_alarms(ACTOR, centre_id, rows)
    assert not result.errors, result.errors[:3]
    return time.perf_counter() - started, result.added


async def add_visits(runtime: Runtime) -> None:
    from plugins.security_phones.tables import Alarm

    needing = await Alarm.select(Alarm.id, Alarm.occurred_at).where(Alarm.visit_needed == True)  # noqa: E712
    async with runtime.database.transaction():
        await insert_objects(AlarmVisit, [
            AlarmVisit(alarm=a["id"], dispatched_at=a["occurred_at"] + dt.timedelta(minutes=5),
                       arrived_at=a["occurred_at"] + dt.timedelta(minutes=30))
            for a in needing
        ])  # fmt: skip


async def run(database: str, alarms: int, customers: int, rounds: int) -> None:
    os.environ["VALVOMO_TEST_DATABASE"] = database
    tmp = Path(tempfile.mkdtemp(prefix="valvomo-bench-"))
    url = await create_database(tmp)
    base = load_settings(PROJECT_ROOT / "valvomo.toml")
    settings = load_settings(
        PROJECT_ROOT / "valvomo.toml", database_url=url, var_dir=tmp,
        enabled_plugins=("security_phones",),
        plugin_settings={"security_phones": base.plugin_settings.get("security_phones", {})},
    )  # fmt: skip
    runtime = build_runtime(settings)
    await runtime.database.start()
    try:
        await runtime.migrate()
        centre_id, serials = await prepare(runtime, customers)
        rows = alarm_rows(alarms, serials)
        first, added = await timed_import(runtime, centre_id, rows)
        second, added_again = await timed_import(runtime, centre_id, rows)
        print(f"{database}: first import of {alarms:,} rows {first:.2f} s ({added:,} added); "
              f"second import {second:.2f} s ({added_again} added)")  # fmt: skip
        await add_visits(runtime)
        prices = phone_settings.current()
        timings, count = [], 0
        for _ in range(rounds):
            started = time.perf_counter()
            count = len(await billing_lines(PERIOD, prices))
            timings.append((time.perf_counter() - started) * 1000)
        print(f"{database}: billing lines for {customers:,} customers ({count:,} lines) "
              f"median {statistics.median(timings):.0f} ms, max {max(timings):.0f} ms")  # fmt: skip
    finally:
        await runtime.database.stop()
        await drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--alarms", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.database, args.alarms, args.customers, args.rounds))


if __name__ == "__main__":
    main()
