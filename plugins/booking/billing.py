"""Billing: the optional no-show fee, priced in core's price lists (seeded from `no_show_fee`;
no line on a day without a price or at a price of 0)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from plugins.booking.availability import local_moment
from plugins.booking.settings import NO_SHOW, SERVICE
from plugins.booking.settings import current as settings
from plugins.booking.tables import Booking
from valvomo.api import HELSINKI, N_, BillingLine, BillingPeriod, price_list


async def no_show_lines(period: BillingPeriod) -> list[BillingLine]:
    prices = await price_list(settings().products_for_billing())
    if not prices.periods.get(NO_SHOW):
        return []
    since = local_moment(period.first_day, dt.time(0))
    until = local_moment(period.last_day + dt.timedelta(days=1), dt.time(0))
    rows = (
        await Booking.select(Booking.customer, Booking.starts_at, Booking.appointment_type.name)
        .where(
            (Booking.status == "no_show")
            & Booking.customer.is_not_null()
            & (Booking.starts_at >= since)
            & (Booking.starts_at < until)
        )
        .order_by(Booking.starts_at)
    )
    lines = []
    for row in rows:
        day = row["starts_at"].astimezone(HELSINKI).date()
        try:
            fee = prices.price_on(NO_SHOW, day)
        except LookupError:
            continue
        if fee > 0:
            lines.append(
                BillingLine(
                    customer_id=row["customer"],
                    service=SERVICE,
                    product=NO_SHOW,
                    description=N_("Missed appointment"),
                    quantity=Decimal(1),
                    unit_price=fee,
                    detail=f"{row['appointment_type.name']} {_local_date(row['starts_at'])}",
                    days=str(day.day),
                )
            )
    return lines


def _local_date(moment: dt.datetime) -> str:
    return f"{moment.astimezone(HELSINKI):%d.%m.%Y}"
