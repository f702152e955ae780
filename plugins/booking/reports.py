"""Booking reports per service unit and month: appointments, no-shows, cancellations by whom,
lead time from booking to meeting, and the use of each appointment type and meeting mode.

Appointments count by their start in the month (Helsinki time); joint meetings between
professionals are not customers' appointments and are left out. The figures name no person,
so reading them writes no access-log entry.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from plugins.booking.tables import Booking
from valvomo.api import (
    HELSINKI,
    N_,
    BillingPeriod,
    Cell,
    gettext,
    month_bounds,
    month_text,
)

NAMES = ("appointments", "types_and_modes")
NOT_APPOINTMENTS = ["held"]  # a waiting-list hold until the citizen books it
MODE_LABELS = {
    "phone": N_("Phone call"),
    "remote": N_("Remote meeting"),
    "office": N_("Office visit"),
}
SECONDS_PER_DAY = Decimal(86400)


@dataclass(frozen=True)
class ReportTable:
    """A report table: header labels (English msgids) and rows of plain values."""

    title: str
    header: tuple[str, ...]
    rows: Sequence[tuple[Cell, ...]]

    def translated_header(self) -> list[str]:
        return [gettext(h) for h in self.header]


@dataclass(frozen=True)
class ReportScope:
    """The months (both included) and optionally one service unit."""

    first: BillingPeriod
    last: BillingPeriod
    unit_id: int | None = None


async def _rows(scope: ReportScope) -> list[dict[str, Any]]:
    start = month_bounds(scope.first)[0]
    end = month_bounds(scope.last)[1]
    where = (
        (Booking.starts_at >= start)
        & (Booking.starts_at < end)
        & Booking.meeting.is_null()
        & Booking.status.not_in(NOT_APPOINTMENTS)
        & (Booking.cancelled_by != "waitlist")  # a hold that expired was never an appointment
    )
    if scope.unit_id is not None:
        where &= Booking.professional.unit == scope.unit_id
    return await Booking.select(
        Booking.status,
        Booking.cancelled_by,
        Booking.created_at,
        Booking.starts_at,
        Booking.mode,
        Booking.appointment_type.name,
        Booking.professional.unit.name,  # type: ignore[union-attr]
    ).where(where)


def _month(moment: dt.datetime) -> str:
    local = moment.astimezone(HELSINKI)
    return month_text(BillingPeriod(local.year, local.month))


def _sort_key(key: tuple[str, ...]) -> tuple[Any, ...]:
    unit, month, *rest = key
    number, year = month.split("/")
    return (unit, int(year), int(number), *rest)


def _lead_days(row: dict[str, Any]) -> Decimal:
    seconds = (row["starts_at"] - row["created_at"]).total_seconds()
    return Decimal(seconds) / SECONDS_PER_DAY


def _days(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"))


def _appointments_table(rows: Iterable[dict[str, Any]]) -> ReportTable:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["professional.unit.name"], _month(row["starts_at"]))].append(row)
    table = []
    for key in sorted(groups, key=_sort_key):
        group = groups[key]
        statuses = [r["status"] for r in group]
        cancelled = [r["cancelled_by"] for r in group if r["status"] == "cancelled"]
        leads = [_lead_days(r) for r in group if r["status"] != "cancelled"]
        table.append(
            (
                *key,
                len(group),
                statuses.count("done"),
                statuses.count("no_show"),
                cancelled.count("customer"),
                cancelled.count("staff"),
                statuses.count("booked") + statuses.count("offered"),
                _days(statistics.median(leads)) if leads else None,
                _days(sum(leads, Decimal(0)) / len(leads)) if leads else None,
            )
        )
    return ReportTable(
        N_("Appointments per unit and month"),
        (
            N_("Unit"),
            N_("Month"),
            N_("Appointments"),
            N_("Took place"),
            N_("Did not come"),
            N_("Cancelled by the customer"),
            N_("Cancelled by staff"),
            N_("Still coming"),
            N_("Lead time, median (days)"),
            N_("Lead time, mean (days)"),
        ),
        table,
    )


def _types_and_modes_table(rows: Iterable[dict[str, Any]]) -> ReportTable:
    counts: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        mode = row["mode"]
        key = (
            row["professional.unit.name"],
            _month(row["starts_at"]),
            row["appointment_type.name"],
            gettext(MODE_LABELS.get(mode, mode)),
        )
        counts[key][0] += 1
        counts[key][1] += row["status"] == "cancelled"
    return ReportTable(
        N_("Use of appointment types and meeting modes"),
        (
            N_("Unit"),
            N_("Month"),
            N_("Appointment type"),
            N_("Meeting mode"),
            N_("Appointments"),
            N_("Cancelled"),
        ),
        [(*key, *counts[key]) for key in sorted(counts, key=_sort_key)],
    )


async def build(scope: ReportScope) -> dict[str, ReportTable]:
    """Every booking report of the scope, by name, from one query."""
    rows = await _rows(scope)
    return {
        "appointments": _appointments_table(rows),
        "types_and_modes": _types_and_modes_table(rows),
    }
