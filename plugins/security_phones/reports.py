"""Reports: devices by status and model, customers per municipality, alarms and response times."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count

from plugins.security_phones.alarms import KINDS
from plugins.security_phones.tables import Alarm, AlarmVisit, Device, PhoneService
from valvomo.api import HELSINKI, N_, Customer, chunked, gettext, to_csv

KIND_HEADERS = {
    "button": N_("Button"),
    "fall": N_("Fall"),
    "smoke": N_("Smoke"),
    "door": N_("Door"),
    "technical": N_("Technical"),
}
NAMES = ("devices", "municipalities", "alarms", "response_times")


@dataclass(frozen=True)
class Table:
    """A report table: header labels (English msgids) and rows of plain values."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, 1, 1, tzinfo=HELSINKI).astimezone(dt.UTC)
    return start, dt.datetime(year + 1, 1, 1, tzinfo=HELSINKI).astimezone(dt.UTC)


def month_of(moment: dt.datetime) -> str:
    return moment.astimezone(HELSINKI).strftime("%Y-%m")


async def devices_by_status_and_model() -> Table:
    rows = (
        await Device.select(Device.model, Device.status, Count(Device.id, alias="count"))
        .group_by(Device.model, Device.status)
        .order_by(Device.model)
        .order_by(Device.status)
    )
    return Table(
        N_("Devices by status and model"),
        (N_("Model"), N_("Status"), N_("Devices")),
        [(r["model"], r["status"], r["count"]) for r in rows],
    )


async def customers_per_municipality(day: dt.date) -> Table:
    active = (PhoneService.start_date <= day) & (
        PhoneService.end_date.is_null() | (PhoneService.end_date >= day)
    )
    rows = (
        await PhoneService.select(
            PhoneService.customer.municipality, Count(PhoneService.id, alias="count")
        )
        .where(active)
        .group_by(PhoneService.customer.municipality)
        .order_by(PhoneService.customer.municipality)
    )
    return Table(
        N_("Customers per municipality"),
        (N_("Municipality"), N_("Customers")),
        [(r["customer.municipality"], r["count"]) for r in rows],
    )


async def alarms_by_kind_per_month(year: int) -> Table:
    start, end = year_bounds(year)
    counts: Counter[tuple[str, str]] = Counter()
    rows = await Alarm.select(Alarm.occurred_at, Alarm.kind).where(
        (Alarm.occurred_at >= start) & (Alarm.occurred_at < end)
    )
    for r in rows:
        counts[(month_of(r["occurred_at"]), r["kind"])] += 1
    months = sorted({m for m, _ in counts})
    return Table(
        N_("Alarms by kind per month"),
        (N_("Month"), *(KIND_HEADERS[k] for k in KINDS), N_("Total")),
        [(m, *(counts[(m, k)] for k in KINDS), sum(counts[(m, k)] for k in KINDS)) for m in months],
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def response_times(year: int) -> Table:
    """Visits per month and municipality; minutes from alarm to arrival (median, 90th pct)."""
    start, end = year_bounds(year)
    rows = await AlarmVisit.select(
        AlarmVisit.arrived_at,
        AlarmVisit.alarm.occurred_at,
        AlarmVisit.alarm.customer,
    ).where((AlarmVisit.alarm.occurred_at >= start) & (AlarmVisit.alarm.occurred_at < end))
    municipality = await _municipalities({r["alarm.customer"] for r in rows if r["alarm.customer"]})
    visits: Counter[tuple[str, str]] = Counter()
    minutes: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in rows:
        key = (month_of(r["alarm.occurred_at"]), municipality.get(r["alarm.customer"], "–"))
        visits[key] += 1
        if r["arrived_at"] is not None:
            minutes[key].append((r["arrived_at"] - r["alarm.occurred_at"]).total_seconds() / 60)
    table_rows = []
    for key in sorted(visits):
        times = minutes.get(key, [])
        median = round(statistics.median(times), 1) if times else None
        p90 = round(percentile(times, 0.9), 1) if times else None
        table_rows.append((*key, visits[key], median, p90))
    return Table(
        N_("Visits and response times"),
        (
            N_("Month"),
            N_("Municipality"),
            N_("Visits"),
            N_("Median minutes to arrival"),
            N_("90th percentile minutes"),
        ),
        table_rows,
    )


async def _municipalities(customer_ids: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in chunked(sorted(customer_ids)):
        for c in await Customer.select(Customer.id, Customer.municipality).where(
            Customer.id.is_in(list(chunk))
        ):
            found[c["id"]] = c["municipality"]
    return found


async def build(name: str, year: int, day: dt.date) -> Table:
    if name == "devices":
        return await devices_by_status_and_model()
    if name == "municipalities":
        return await customers_per_municipality(day)
    if name == "alarms":
        return await alarms_by_kind_per_month(year)
    return await response_times(year)


def as_csv(table: Table) -> bytes:
    return to_csv([gettext(h) for h in table.header], [list(row) for row in table.rows])
