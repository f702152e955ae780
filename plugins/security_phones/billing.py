"""Billing lines of security phones for a month (see docs/security_phones.md, "Billing").

Descriptions are written in the language of whoever produces the lines (Finnish by default),
as core billing stores and exports them as text.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from core.common.clock import HELSINKI
from core.i18n import N_, gettext
from core.plugins import BillingLine, BillingPeriod
from plugins.security_phones.settings import PhoneSettings
from plugins.security_phones.tables import AlarmVisit, Installation, PhoneService

SERVICE = N_("security_phones")  # core billing shows it translated
BASIC_KINDS = ("base_unit", "wrist_button")  # included in the monthly fee; others are extras
QUANTITY = Decimal("0.0001")


def _days(days: int, period: BillingPeriod) -> str:
    return gettext("%(days)s/%(month_days)s days", days=days, month_days=period.last_day.day)


def billable_share(
    start: dt.date, end: dt.date | None, period: BillingPeriod, rule: str
) -> tuple[Decimal, int]:
    """The share of the month to bill and the days counted, under the region's rule."""
    first = max(start, period.first_day)
    last = min(end or period.last_day, period.last_day)
    if last < first:
        return Decimal(0), 0
    days = (last - first).days + 1
    month_days = period.last_day.day
    if rule == "whole_month" or days == month_days:
        return Decimal(1), days
    return (Decimal(days) / Decimal(month_days)).quantize(QUANTITY), days


def _overlapping(start: Any, end: Any, period: BillingPeriod) -> Any:
    return (start <= period.last_day) & (end.is_null() | (end >= period.first_day))


async def billing_lines(period: BillingPeriod, settings: PhoneSettings) -> list[BillingLine]:
    lines = await _monthly_fees(period, settings)
    lines += await _installation_fees(period, settings)
    lines += await _extra_device_fees(period, settings)
    lines += await _visit_fees(period, settings)
    return lines


async def _monthly_fees(period: BillingPeriod, settings: PhoneSettings) -> list[BillingLine]:
    price = settings.price("monthly_fee", period.first_day)
    if price is None:
        return []
    services = await PhoneService.select(
        PhoneService.customer, PhoneService.start_date, PhoneService.end_date
    ).where(_overlapping(PhoneService.start_date, PhoneService.end_date, period))
    lines = []
    for s in services:
        share, days = billable_share(
            s["start_date"], s["end_date"], period, settings.start_end_month_rule
        )
        if share:
            lines.append(
                BillingLine(
                    customer_id=s["customer"],
                    service=SERVICE,
                    product="monthly_fee",
                    description=gettext("Security phone monthly fee"),
                    quantity=share,
                    unit_price=price,
                    detail=_days(days, period),
                )
            )
    return lines


async def _installation_fees(period: BillingPeriod, settings: PhoneSettings) -> list[BillingLine]:
    services = await PhoneService.select(
        PhoneService.customer, PhoneService.installation_date
    ).where(
        PhoneService.installation_date.is_not_null()
        & (PhoneService.installation_date >= period.first_day)
        & (PhoneService.installation_date <= period.last_day)
    )
    lines = []
    for s in services:
        price = settings.price("installation_fee", s["installation_date"])
        if price is not None:
            lines.append(
                BillingLine(
                    customer_id=s["customer"],
                    service=SERVICE,
                    product="installation_fee",
                    description=gettext("Security phone installation"),
                    quantity=Decimal(1),
                    unit_price=price,
                    detail=s["installation_date"].strftime("%d.%m.%Y"),
                )
            )
    return lines


async def _extra_device_fees(period: BillingPeriod, settings: PhoneSettings) -> list[BillingLine]:
    price = settings.price("extra_device_fee", period.first_day)
    if price is None:
        return []
    installations = await Installation.select(
        Installation.customer,
        Installation.installed_on,
        Installation.removed_on,
        Installation.device.kind,
        Installation.device.serial_number,
    ).where(
        _overlapping(Installation.installed_on, Installation.removed_on, period)
        & Installation.device.kind.not_in(list(BASIC_KINDS))
    )
    lines = []
    for i in installations:
        share, days = billable_share(
            i["installed_on"], i["removed_on"], period, settings.start_end_month_rule
        )
        if share:
            lines.append(
                BillingLine(
                    customer_id=i["customer"],
                    service=SERVICE,
                    product="extra_device_fee",
                    description=gettext("Security phone extra device"),
                    quantity=share,
                    unit_price=price,
                    detail=f"{i['device.serial_number']}, {_days(days, period)}",
                )
            )
    return lines


def month_bounds(period: BillingPeriod) -> tuple[dt.datetime, dt.datetime]:
    """The month as UTC instants from Helsinki midnight to Helsinki midnight."""
    start = dt.datetime.combine(period.first_day, dt.time(), HELSINKI)
    end = dt.datetime.combine(period.last_day + dt.timedelta(days=1), dt.time(), HELSINKI)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def _visit_fees(period: BillingPeriod, settings: PhoneSettings) -> list[BillingLine]:
    """One line per customer and price for the visits sent out during the month."""
    start, end = month_bounds(period)
    visits = await AlarmVisit.select(AlarmVisit.alarm.customer, AlarmVisit.dispatched_at).where(
        (AlarmVisit.dispatched_at >= start)
        & (AlarmVisit.dispatched_at < end)
        & AlarmVisit.alarm.customer.is_not_null()
    )
    counts: Counter[tuple[int, Decimal]] = Counter()
    for v in visits:
        price = settings.price("visit_fee", v["dispatched_at"].astimezone(HELSINKI).date())
        if price is not None:
            counts[(v["alarm.customer"], price)] += 1
    return [
        BillingLine(
            customer_id=customer_id,
            service=SERVICE,
            product="visit_fee",
            description=gettext("Security phone alarm visit"),
            quantity=Decimal(count),
            unit_price=price,
            detail=gettext("%(n)s visits", n=count),
        )
        for (customer_id, price), count in sorted(counts.items())
    ]
