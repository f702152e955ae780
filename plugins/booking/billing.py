"""Billing: the optional no-show fee (off while `no_show_fee` is 0)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.common.clock import HELSINKI
from core.i18n import N_
from core.plugins.types import BillingLine, BillingPeriod
from plugins.booking.availability import local_moment
from plugins.booking.settings import current as settings
from plugins.booking.tables import Booking


async def no_show_lines(period: BillingPeriod) -> list[BillingLine]:
    fee = settings().no_show_fee
    if fee <= 0:
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
    return [
        BillingLine(
            customer_id=row["customer"],
            service="booking",
            product="no_show",
            description=N_("Missed appointment"),
            quantity=Decimal(1),
            unit_price=fee,
            detail=f"{row['appointment_type.name']} {_local_date(row['starts_at'])}",
        )
        for row in rows
    ]


def _local_date(moment: dt.datetime) -> str:
    return f"{moment.astimezone(HELSINKI):%d.%m.%Y}"
