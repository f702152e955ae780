"""Booking's figures in the situational picture, per the service unit and its municipality.

Appointments count by their start in the month (Helsinki time): booked ones (not cancelled),
no-shows and cancellations; customers are the different people (customers or contacts who
booked without logging in) with an appointment in the month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from plugins.booking.tables import Booking, Professional, ServiceUnit
from valvomo.api import (
    N_,
    BillingPeriod,
    ListArea,
    Metric,
    MetricCell,
    MetricCompute,
    MetricContext,
    Rows,
    month_bounds,
    shared,
    stamp_text,
)

SERVICE = N_("booking")  # the code, translated as the service's name
HELD_OR_PAST = ("booked", "done", "no_show")  # not cancelled, nor offered a new time
# Which appointments each figure counts, by status; also the list behind the figure.
STATUSES: dict[str, Callable[[str], bool]] = {
    "held": lambda status: status in HELD_OR_PAST,
    "no_show": lambda status: status == "no_show",
    "cancelled": lambda status: status == "cancelled",
}


def _in_month(period: BillingPeriod) -> Any:
    start, end = month_bounds(period)
    # joint meetings between professionals are not customers' appointments, nor is a
    # waiting-list hold that expired unused
    return (
        (Booking.starts_at >= start)
        & (Booking.starts_at < end)
        & Booking.meeting.is_null()
        & (Booking.cancelled_by != "waitlist")
    )


async def _appointments(period: BillingPeriod, context: MetricContext) -> Rows:
    """The month's appointments (by their start, Helsinki time) with their unit: read once per
    round for every booking figure."""
    return await Booking.select(
        Booking.status,
        Booking.customer,
        Booking.contact,
        Booking.professional.unit.name,  # type: ignore[union-attr]
        Booking.professional.unit.municipality,  # type: ignore[union-attr]
    ).where(_in_month(period))


def _counting(status: str, people: bool = False) -> MetricCompute:
    """Appointments of `status` (or, with `people`, the different people having them) per
    unit and its municipality."""
    wanted = STATUSES[status]

    async def compute(period: BillingPeriod, context: MetricContext) -> list[MetricCell]:
        counts: dict[tuple[str, str], int] = defaultdict(int)
        persons: dict[tuple[str, str], set[str]] = defaultdict(set)
        for r in await shared(_appointments, period, context):
            if wanted(r["status"]):
                key = (r["professional.unit.municipality"], r["professional.unit.name"])
                counts[key] += 1
                persons[key].add(f"c{r['customer']}" if r["customer"] else f"k{r['contact']}")
        return [
            MetricCell(
                municipality=area,
                value=len(persons[(area, unit)]) if people else n,
                customers=len(persons[(area, unit)]),
                unit=unit,
            )
            for (area, unit), n in counts.items()
        ]

    return compute


async def stamp(period: BillingPeriod, context: MetricContext) -> str | None:
    """The month's appointments and the units and professionals they are filed under."""

    async def load() -> str:
        bookings = await Booking.select(
            Count(), Sum(Booking.id), Sum(Booking.version), Sum(Booking.professional)
        ).where(_in_month(period))
        units = await ServiceUnit.select(Count(), Sum(ServiceUnit.id), Sum(ServiceUnit.version))
        staff = await Professional.select(Count(), Sum(Professional.version))
        return stamp_text(*(tuple(rows[0].values()) for rows in (bookings, units, staff)))

    return await context.once((stamp, period), load)


async def month_appointments(
    period: BillingPeriod, status: str, area: ListArea | None = None
) -> Rows:
    """The list behind a figure: the month's appointments of `status` ("held", "no_show",
    "cancelled"), by time, with their unit; with `area`, those of the units in its
    municipality or of its unit (by name), as the figures file them."""
    wanted = STATUSES.get(status, STATUSES["held"])
    where = _in_month(period)
    if area and area.municipality:
        unit_in = Booking.professional.unit.municipality  # type: ignore[union-attr]
        where &= (unit_in == area.municipality) if area.known else (Booking.id < 0)
    if area and area.unit:
        where &= Booking.professional.unit.name == area.unit  # type: ignore[union-attr]
    rows = (
        await Booking.select(
            Booking.id,
            Booking.starts_at,
            Booking.status,
            Booking.appointment_type.name,
            Booking.professional.user.full_name,  # type: ignore[union-attr]
            Booking.professional.unit.name,  # type: ignore[union-attr]
        )
        .where(where)
        .order_by(Booking.starts_at)
    )
    return [r for r in rows if wanted(r["status"])]


def booking_metrics() -> list[Metric]:
    listing = "/booking/appointments?month={month}&status="
    # name, label, unit of measure, status counted, people rather than appointments
    figures = [
        ("customers", N_("People with an appointment"), "customers", "held", True),
        ("bookings", N_("Appointments booked"), "count", "held", False),
        ("no_shows", N_("Appointments missed (no-show)"), "count", "no_show", False),
        ("cancellations", N_("Appointments cancelled"), "count", "cancelled", False),
    ]
    return [
        Metric(
            f"booking.{name}",
            label,
            unit,
            SERVICE,
            _counting(status, people),
            kind="stock" if people else "sum",
            list_path=listing + status,
            list_permission="booking.work",
            list_areas=("municipality", "unit"),
            order=order,
            stamp=stamp,
        )
        for order, (name, label, unit, status, people) in enumerate(figures, start=30)
    ]
