"""Recorded meal days: each billable service's meals per eating day and deliveries per delivery
day, written from its plan (`schedule.compute_schedule`) one month at a time.

Billing reads these rows with one SQL aggregate instead of expanding every plan on every read.
A month's rows of a service carry the service version and holiday rule they were written from
(`MealDayMonth`); every change to a service's plan raises its version, so `record_month` finds
the services changed since and writes just those again before the month is read. No write path
has to remember the ledger, and a change shows in the very next report.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from plugins.meals.plans import BILLABLE, LoadedService, load_services
from plugins.meals.schedule import DELIVERY_LOOKAHEAD, compute_schedule
from plugins.meals.settings import DELIVERY
from plugins.meals.tables import MealDay, MealDayMonth, MealService
from valvomo.api import BillingPeriod, chunked, get_database, insert_rows, is_sqlite, transaction

LEDGER_LOCK = 7201  # PostgreSQL advisory lock class of month recording

_TOUCHING = (
    "s.status IN ("
    + ", ".join(f"'{status}'" for status in BILLABLE)
    + ") AND s.start_date <= {} AND (s.end_date IS NULL OR s.end_date >= {})"
)
# The services that can have days in the month (as in `plans.load_services`) with their
# customers, marked stale unless recorded from their current version and holiday rule; then
# recorded services whose version has moved on (and may no longer touch the month).
MONTH_SERVICES = (
    """
SELECT s.id AS service, s.customer, s.version, CASE WHEN m.id IS NULL OR m.plan_version <> s.version
  OR m.holiday_rule <> {} THEN 1 ELSE 0 END AS stale
FROM meals_service s LEFT JOIN meals_day_month m ON m.service = s.id AND m.month = {}
WHERE """
    + _TOUCHING
    + """
UNION ALL
SELECT m.service, NULL, s.version, 1 FROM meals_day_month m JOIN meals_service s ON s.id = m.service
WHERE m.month = {} AND (m.plan_version <> s.version OR m.holiday_rule <> {})
"""
)


@dataclass(frozen=True)
class MonthServices:
    """The services that can have days in a month, each with its customer, and how many
    services' days were written to bring the month up to date."""

    customers: dict[int, int]
    written: int = 0


def day_rows(service: LoadedService, period: BillingPeriod, holiday_rule: str) -> list[Any]:
    """The month's recorded days of one service: (service, day, product, quantity, day_bit)."""
    schedule = compute_schedule(service.plan, period.first_day, period.last_day, holiday_rule)
    service_id = service.row["id"]
    rows = [
        (service_id, day, product, quantity, 1 << (day.day - 1))
        for day, meals in schedule.meals.items()
        for product, quantity in meals.items()
    ]
    rows += [(service_id, day, DELIVERY, 1, 1 << (day.day - 1)) for day in schedule.deliveries]
    return rows


async def record_month(period: BillingPeriod, holiday_rule: str) -> MonthServices:
    """Write the recorded days of every service changed since the month was last recorded."""
    customers, stale = await _month_services(period, holiday_rule)
    if not stale:
        return MonthServices(customers)  # the common case, without taking the write lock
    async with transaction():
        await _lock_month(period)
        # Again under the lock: another process may have recorded some meanwhile.
        customers, stale = await _month_services(period, holiday_rule)
        await _forget(stale, period)
        services = await _load(stale, period, len(customers))
        rows = [row for service in services for row in day_rows(service, period, holiday_rule)]
        await _insert_days(rows)
        await _mark_recorded(stale, period, holiday_rule)
    return MonthServices(customers, len(stale))


async def _month_services(
    period: BillingPeriod, rule: str
) -> tuple[dict[int, int], dict[int, int]]:
    """Customers of the month's services, and the current version of each stale service."""
    month, horizon = period.first_day, period.last_day + DELIVERY_LOOKAHEAD
    rows = await MealService.raw(MONTH_SERVICES, rule, month, horizon, month, month, rule)
    customers = {r["service"]: r["customer"] for r in rows if r["customer"] is not None}
    return customers, {r["service"]: r["version"] for r in rows if r["stale"]}


async def _lock_month(period: BillingPeriod) -> None:
    """Serialise recording a month between processes (SQLite's write lock already does)."""
    if not is_sqlite(get_database().engine):
        key = period.year * 100 + period.month
        await MealService.raw("SELECT pg_advisory_xact_lock({}, {})", LEDGER_LOCK, key)


async def _forget(services: Collection[int], period: BillingPeriod) -> None:
    for chunk in chunked(sorted(services)):
        await MealDay.delete().where(
            MealDay.service.is_in(list(chunk))
            & (MealDay.day >= period.first_day)
            & (MealDay.day <= period.last_day)
        )
        await MealDayMonth.delete().where(
            MealDayMonth.service.is_in(list(chunk)) & (MealDayMonth.month == period.first_day)
        )


async def _load(
    services: Collection[int], period: BillingPeriod, month_services: int
) -> list[LoadedService]:
    """The plans of `services`; when most of the month's services are stale, the whole region
    is read at once and filtered here (fewer, larger queries)."""
    if len(services) > month_services // 2:
        loaded = await load_services(period.first_day, period.last_day, details=False)
        return [s for s in loaded if s.row["id"] in services]
    return [
        service
        for chunk in chunked(sorted(services))
        for service in await load_services(
            period.first_day, period.last_day, details=False, service_ids=chunk
        )
    ]


async def _insert_days(rows: Sequence[Any]) -> None:
    columns = (MealDay.service, MealDay.day, MealDay.product, MealDay.quantity, MealDay.day_bit)
    await insert_rows(MealDay, columns, rows)


async def _mark_recorded(versions: dict[int, int], period: BillingPeriod, rule: str) -> None:
    columns = (MealDayMonth.service, MealDayMonth.month, MealDayMonth.plan_version,
               MealDayMonth.holiday_rule)  # fmt: skip
    rows = [(s, period.first_day, version, rule) for s, version in sorted(versions.items())]
    await insert_rows(MealDayMonth, columns, rows)
