"""Whole calendar months: parsing what a person types, stepping and ranges."""

from __future__ import annotations

import datetime as dt

from core.common.clock import HELSINKI
from core.common.dates import parse_month as parse_first_day
from core.plugins.types import BillingPeriod


def parse_month(raw: str) -> BillingPeriod:
    """A month typed as 11/2026, 11.2026 or 2026-11; ValueError otherwise."""
    first_day = parse_first_day(raw)
    return BillingPeriod(first_day.year, first_day.month)


def add_months(period: BillingPeriod, months: int) -> BillingPeriod:
    index = period.year * 12 + period.month - 1 + months
    return BillingPeriod(index // 12, index % 12 + 1)


def months_between(first: BillingPeriod, last: BillingPeriod) -> list[BillingPeriod]:
    """The months from `first` to `last`, both included; empty if `last` is earlier."""
    count = (last.year * 12 + last.month) - (first.year * 12 + first.month) + 1
    return [add_months(first, n) for n in range(max(count, 0))]


def month_text(period: BillingPeriod) -> str:
    """The month as written in Finland, e.g. 11/2026."""
    return f"{period.month}/{period.year}"


def month_bounds(period: BillingPeriod) -> tuple[dt.datetime, dt.datetime]:
    """The month's first moment and the next month's, Helsinki time, in UTC: for timestamps."""
    first = dt.datetime.combine(period.first_day, dt.time(), HELSINKI)
    following = dt.datetime.combine(period.last_day + dt.timedelta(days=1), dt.time(), HELSINKI)
    return first.astimezone(dt.UTC), following.astimezone(dt.UTC)
