"""Billing lines of security phones for a month (see docs/security_phones.md, "Billing").

Descriptions are written in the language of whoever produces the lines (Finnish by default),
as core billing stores and exports them as text.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from plugins.security_phones.settings import SERVICE, PhoneSettings
from plugins.security_phones.tables import AlarmVisit, Installation, PhoneService
from valvomo.api import HELSINKI, BillingLine, BillingPeriod, PriceList, gettext, price_list
from valvomo.api import encode_days as day_code

BASIC_KINDS = ("base_unit", "wrist_button")  # included in the monthly fee; others are extras
QUANTITY = Decimal("0.001")  # core stores quantities with three decimals
PRICE_STEP = Decimal("0.0001")  # and unit prices with four


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


def priced_share(
    price: Decimal, start: dt.date, end: dt.date | None, period: BillingPeriod, rule: str
) -> tuple[Decimal, Decimal, int]:
    """(quantity, unit price, days) of a monthly fee: one month at the monthly price, or under
    `by_days` in a start or end month the days at the monthly price over the month's days (so
    10 days of a 30-day month at 30 € are 10,00 €, which a share with three decimals is not)."""
    share, days = billable_share(start, end, period, rule)
    if share in (0, 1):
        return share, price, days
    return Decimal(days), (price / period.last_day.day).quantize(PRICE_STEP), days


def covered_days(start: dt.date, end: dt.date | None, period: BillingPeriod) -> str:
    """The days of the month from `start` to `end` as core's day code, for fee decisions."""
    first = max(start, period.first_day)
    last = min(end or period.last_day, period.last_day)
    return day_code({day: 1 for day in range(first.day, last.day + 1)}) if first <= last else ""


def _overlapping(start: Any, end: Any, period: BillingPeriod) -> Any:
    return (start <= period.last_day) & (end.is_null() | (end >= period.first_day))


def _price(prices: PriceList, product: str, day: dt.date) -> Decimal | None:
    """The price valid on `day`, or None when the region has set none (nothing is billed)."""
    try:
        return prices.price_on(product, day)
    except LookupError:
        return None


async def billing_lines(period: BillingPeriod, settings: PhoneSettings) -> list[BillingLine]:
    prices = await price_list(settings.products_for_billing())
    lines = await _monthly_fees(period, settings, prices)
    lines += await _installation_fees(period, settings, prices)
    lines += await _extra_device_fees(period, settings, prices)
    lines += await _visit_fees(period, settings, prices)
    return lines


async def _monthly_fees(
    period: BillingPeriod, settings: PhoneSettings, prices: PriceList
) -> list[BillingLine]:
    price = _price(prices, "monthly_fee", period.first_day)
    if price is None:
        return []
    services = await PhoneService.select(
        PhoneService.customer, PhoneService.start_date, PhoneService.end_date
    ).where(_overlapping(PhoneService.start_date, PhoneService.end_date, period))
    lines = []
    for s in services:
        share, unit_price, days = priced_share(
            price, s["start_date"], s["end_date"], period, settings.start_end_month_rule
        )
        if share:
            lines.append(
                BillingLine(
                    customer_id=s["customer"],
                    service=SERVICE,
                    product="monthly_fee",
                    description=gettext("Security phone monthly fee"),
                    quantity=share,
                    unit_price=unit_price,
                    detail=_days(days, period),
                    period_days=covered_days(s["start_date"], s["end_date"], period),
                )
            )
    return lines


async def _installation_fees(
    period: BillingPeriod, settings: PhoneSettings, prices: PriceList
) -> list[BillingLine]:
    services = await PhoneService.select(
        PhoneService.customer, PhoneService.installation_date
    ).where(
        PhoneService.installation_date.is_not_null()
        & (PhoneService.installation_date >= period.first_day)
        & (PhoneService.installation_date <= period.last_day)
    )
    lines = []
    for s in services:
        price = _price(prices, "installation_fee", s["installation_date"])
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
                    days=str(s["installation_date"].day),
                )
            )
    return lines


async def _extra_device_fees(
    period: BillingPeriod, settings: PhoneSettings, prices: PriceList
) -> list[BillingLine]:
    price = _price(prices, "extra_device_fee", period.first_day)
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
        share, unit_price, days = priced_share(
            price, i["installed_on"], i["removed_on"], period, settings.start_end_month_rule
        )
        if share:
            lines.append(
                BillingLine(
                    customer_id=i["customer"],
                    service=SERVICE,
                    product="extra_device_fee",
                    description=gettext("Security phone extra device"),
                    quantity=share,
                    unit_price=unit_price,
                    detail=f"{i['device.serial_number']}, {_days(days, period)}",
                    period_days=covered_days(i["installed_on"], i["removed_on"], period),
                )
            )
    return lines


def month_bounds(period: BillingPeriod) -> tuple[dt.datetime, dt.datetime]:
    """The month as UTC instants from Helsinki midnight to Helsinki midnight."""
    start = dt.datetime.combine(period.first_day, dt.time(), HELSINKI)
    end = dt.datetime.combine(period.last_day + dt.timedelta(days=1), dt.time(), HELSINKI)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def _visit_fees(
    period: BillingPeriod, settings: PhoneSettings, prices: PriceList
) -> list[BillingLine]:
    """One line per customer and price for the visits sent out during the month."""
    start, end = month_bounds(period)
    visits = await AlarmVisit.select(AlarmVisit.alarm.customer, AlarmVisit.dispatched_at).where(
        (AlarmVisit.dispatched_at >= start)
        & (AlarmVisit.dispatched_at < end)
        & AlarmVisit.alarm.customer.is_not_null()
    )
    counts: Counter[tuple[int, Decimal]] = Counter()
    visit_days: dict[tuple[int, Decimal], Counter[int]] = {}
    for v in visits:
        day = v["dispatched_at"].astimezone(HELSINKI).date()
        price = _price(prices, "visit_fee", day)
        if price is not None:
            counts[(v["alarm.customer"], price)] += 1
            visit_days.setdefault((v["alarm.customer"], price), Counter())[day.day] += 1
    return [
        BillingLine(
            customer_id=customer_id,
            service=SERVICE,
            product="visit_fee",
            description=gettext("Security phone alarm visit"),
            quantity=Decimal(count),
            unit_price=price,
            detail=gettext("%(n)s visits", n=count),
            days=day_code(visit_days[(customer_id, price)]),
        )
        for (customer_id, price), count in sorted(counts.items())
    ]
