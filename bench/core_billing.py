"""Core billing's own cost around the plugins' lines, on SQLite or PostgreSQL.

    .venv/bin/python bench/core_billing.py [--database sqlite|postgres] [--customers 1200]

A synthetic plugin answers the billing hook from memory (3 lines a customer), so the figures
are what core adds: collecting and ordering lines, a page with names, CSV and XLSX exports,
closing a month (snapshot insert), reading a closed month, the pending corrections of an open
month after 12 closed months, and the per-customer access log of an export.
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
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_runtime, median_ms
from core.audit.services import SystemActor
from core.billing import exports, invoices, services
from core.customers.tables import Customer
from core.db import insert_objects, transaction
from core.demo import customer_rows
from core.plugins import BillingLine, BillingPeriod, hookimpl
from tests.database import create_database, drop_database

ACTOR = SystemActor(full_name="bench")
MONTHS = [BillingPeriod(2025, m) for m in range(1, 13)]
OPEN_MONTH = BillingPeriod(2026, 1)


class SyntheticService:
    """Meals-like lines for every customer; after each close 1 % of customers change."""

    def __init__(self, customer_ids: list[int]) -> None:
        self.customer_ids = customer_ids
        self.changed: set[int] = set()

    @hookimpl
    def valvomo_billing_lines(self, period: BillingPeriod) -> list[BillingLine]:
        lines = []
        for customer_id in self.customer_ids:
            meals = Decimal(20 + customer_id % 9 - (customer_id in self.changed))
            lines += [
                BillingLine(customer_id, "Meals", "Lunch", "Lunch", meals, Decimal("8.50"),
                            "weekdays"),
                BillingLine(customer_id, "Meals", "Dessert", "Dessert", meals, Decimal("1.20")),
                BillingLine(customer_id, "Meals", "Delivery", "Delivery", Decimal(4),
                            Decimal("3.20")),
            ]  # fmt: skip
        return lines


async def measure(customers: int, rounds: int, database_url: str, tmp: Path) -> dict[str, float]:
    runtime = bench_runtime(database_url, tmp)
    host = runtime.host
    await runtime.database.start()
    try:
        await runtime.migrate()
        async with transaction():
            rows = customer_rows(random.Random(7), customers, runtime.settings.municipalities)
            ids = await insert_objects(Customer, rows)
        service = SyntheticService(ids)
        host.pm.register(service, name="synthetic")
        figures: dict[str, float] = {}
        first = MONTHS[0]
        bill = await services.month_bill(host, first)
        figures["lines"] = len(bill.lines)
        figures["open_month_ms"] = await median_ms(lambda: services.month_bill(host, first), rounds)
        figures["page_with_names_ms"] = await median_ms(lambda: services.bill_page(bill, 3), rounds)
        figures["names_all_customers_ms"] = await median_ms(
            lambda: services.customer_names(bill.customer_ids), rounds
        )
        invoice = await invoices.invoice_month(bill, with_identity_codes=True)
        figures["invoice_month_ms"] = await median_ms(
            lambda: invoices.invoice_month(bill, with_identity_codes=True), rounds
        )
        figures["csv_ms"] = await median_ms(lambda: _sync(exports.to_csv, invoice), rounds)
        figures["xlsx_ms"] = await median_ms(lambda: _sync(exports.to_xlsx, invoice), rounds)
        figures["jsonl_ms"] = await median_ms(lambda: _sync(exports.to_jsonl, invoice), rounds)

        close_timings = []
        for month in MONTHS:
            started = time.perf_counter()
            async with transaction():
                await services.close_period(ACTOR, host, month, 1, dt.date(2026, 11, 1))
            close_timings.append((time.perf_counter() - started) * 1000)
            service.changed.update(random.Random(month.month).sample(ids, len(ids) // 100))
        figures["close_month_median_ms"] = statistics.median(close_timings)
        figures["closed_month_ms"] = await median_ms(
            lambda: services.month_bill(host, MONTHS[-1]), rounds
        )
        corrected = await services.month_bill(host, OPEN_MONTH)
        figures["corrections_after_12_closed"] = corrected.correction_count
        figures["open_month_with_corrections_ms"] = await median_ms(
            lambda: services.month_bill(host, OPEN_MONTH), rounds
        )
        return figures
    finally:
        await runtime.database.stop()


async def _sync(function: Callable[..., Any], *args: Any) -> Any:
    return function(*args)


async def run(backend: str, customers: int, rounds: int) -> dict[str, float]:
    os.environ["VALVOMO_TEST_DATABASE"] = backend
    tmp = Path(tempfile.mkdtemp(prefix=f"valvomo-bench-billing-{backend}-"))
    database_url = await create_database(tmp)
    try:
        return await measure(customers, rounds, database_url, tmp)
    finally:
        await drop_database(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--customers", type=int, default=1200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    figures = asyncio.run(run(args.database, args.customers, args.rounds))
    print(f"core billing, {args.database}, {args.customers} customers, median of {args.rounds}")
    for name, value in figures.items():
        print(f"  {name:32} {value:10.1f}")


if __name__ == "__main__":
    main()
