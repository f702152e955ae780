"""Calendar months as billing periods: parsing, stepping and their stored open/closed state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.billing.tables import BillingPeriodRecord
from core.common.errors import NotFound
from core.db import CachedQuery
from core.plugins.types import BillingPeriod

FIRST_YEAR, LAST_YEAR = 2000, 2100


def period_of(year: int, month: int) -> BillingPeriod:
    """The period for a year and month from a URL; NotFound for impossible months."""
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise NotFound(f"billing period {year}-{month}")
    return BillingPeriod(year, month)


def period_containing(day: dt.date) -> BillingPeriod:
    return BillingPeriod(day.year, day.month)


def previous_period(period: BillingPeriod) -> BillingPeriod:
    return period_containing(period.first_day - dt.timedelta(days=1))


def next_period(period: BillingPeriod) -> BillingPeriod:
    return period_containing(period.last_day + dt.timedelta(days=1))


def label(period: BillingPeriod) -> str:
    """The month as billers write it, e.g. 11/2026."""
    return f"{period.month}/{period.year}"


def key(period: BillingPeriod) -> str:
    """The month as an audit entity id and file name part, e.g. 2026-11."""
    return f"{period.year}-{period.month:02d}"


@dataclass(frozen=True)
class PeriodState:
    """A month's status. Months never closed have no row: they are open at version 1."""

    period: BillingPeriod
    status: str = "open"
    version: int = 1
    record_id: int | None = None
    closed_at: dt.datetime | None = None
    closed_by_name: str = ""

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PeriodState:
        return cls(
            period=BillingPeriod(row["year"], row["month"]),
            status=row["status"],
            version=row["version"],
            record_id=row["id"],
            closed_at=row["closed_at"],
            closed_by_name=row["closed_by_name"],
        )


# On every biller's dashboard: the SQL is built once (see CachedQuery).
_PERIOD_RECORD = CachedQuery(
    lambda year, month: (
        BillingPeriodRecord.select()
        .where((BillingPeriodRecord.year == year) & (BillingPeriodRecord.month == month))
        .limit(1)
    )
)


async def period_state(period: BillingPeriod) -> PeriodState:
    rows = await _PERIOD_RECORD(period.year, period.month)
    row = rows[0] if rows else None
    return PeriodState.from_row(row) if row else PeriodState(period)


async def closed_periods() -> list[PeriodState]:
    """Every closed month, oldest first."""
    rows = (
        await BillingPeriodRecord.select()
        .where(BillingPeriodRecord.status == "closed")
        .order_by(BillingPeriodRecord.year, BillingPeriodRecord.month)
    )
    return [PeriodState.from_row(r) for r in rows]


def months_between(after: BillingPeriod, before: BillingPeriod) -> Iterable[BillingPeriod]:
    """The months strictly between two months, oldest first."""
    month = next_period(after)
    while (month.year, month.month) < (before.year, before.month):
        yield month
        month = next_period(month)


def recent_periods(today: dt.date, count: int = 13) -> list[BillingPeriod]:
    """The current month and the months before it, newest first, for the month picker."""
    months = [period_containing(today)]
    while len(months) < count:
        months.append(previous_period(months[-1]))
    return months
