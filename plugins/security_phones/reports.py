"""Reports: devices by status and model, customers per municipality, alarms and response times.

Customers are counted month by month, as the situational picture counts its figures: under the
municipality each customer lived in at the month's end and the alarm centre that served the
service then. From the picture the reports of a year can be narrowed to an area (`ListArea`): the
customers who lived in a municipality (at the end of each month), or one alarm centre (the
services it served, the alarms it sent). The devices are not about an area and are left out
then."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count

from plugins.security_phones.alarms import KINDS
from plugins.security_phones.metrics import SERVICES_BY_AREA
from plugins.security_phones.tables import Alarm, AlarmVisit, Device, PhoneService
from valvomo.api import (
    HELSINKI,
    N_,
    BillingPeriod,
    ListArea,
    MetricContext,
    customers_living_in,
    gettext,
    month_query,
    municipalities_on,
    to_csv,
)

KIND_HEADERS = {
    "button": N_("Button"),
    "fall": N_("Fall"),
    "smoke": N_("Smoke"),
    "door": N_("Door"),
    "technical": N_("Technical"),
}
NAMES = ("devices", "municipalities", "alarms", "response_times")
AREA_NAMES = NAMES[1:]  # the reports that can be narrowed to an area


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


async def customers_per_municipality(
    year: int, today: dt.date, area: ListArea | None = None
) -> Table:
    """Month by month of the year (to the current month): the customers whose service ran at
    some time in the month, and the services started and ended in it, per municipality the
    customer lived in at the month's end. The figures' own query (`SERVICES_BY_AREA`), so a
    figure of a month and an area is that month's row; an area keeps its municipality's rows,
    or the services of an alarm centre (the centre that served them at the month's end)."""
    if area and not area.known:
        return _customers_table([])
    load = month_query(PhoneService, SERVICES_BY_AREA)
    context = MetricContext(host=None, settings=None)
    rows: list[tuple[Any, ...]] = []
    for month in range(1, 13):
        period = BillingPeriod(year, month)
        if period.first_day > today:
            break
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for r in await load(period, context):
            if area and area.municipality and r["municipality"] != area.municipality:
                continue
            if area and area.unit and r["unit"] != area.unit:
                continue
            found = totals[r["municipality"]]
            for n, column in enumerate(("running_customers", "openings", "endings")):
                found[n] += int(r[column] or 0)
        label = period.first_day.strftime("%Y-%m")
        rows.extend((label, m, *totals[m]) for m in sorted(totals) if any(totals[m]))
    return _customers_table(rows)


def _customers_table(rows: list[tuple[Any, ...]]) -> Table:
    return Table(
        N_("Customers per municipality"),
        (
            N_("Month"),
            N_("Municipality"),
            N_("Customers"),
            N_("Services started"),
            N_("Services ended"),
        ),
        rows,
    )


class AreaOfYear:
    """Which alarms of a year belong to an area: sent by its alarm centre, of customers who
    lived in its municipality at the end of the alarm's month (read once per month)."""

    def __init__(self, area: ListArea | None, year: int) -> None:
        self.area, self.year = area, year
        self.living: dict[str, set[int] | None] = {}

    def condition(self, centre: Any) -> Any:
        """The query's own narrowing: the alarm centre's name."""
        if self.area and self.area.unit:
            return centre.name == self.area.unit
        return None

    async def holds(self, month: str, customer: int | None) -> bool:
        if not self.area:
            return True
        if month not in self.living:
            period = BillingPeriod(self.year, int(month[5:7]))
            found = await customers_living_in(self.area, period.last_day)
            self.living[month] = None if found is None else set(found)
        living = self.living[month]
        return living is None or customer in living


def _where(condition: Any, extra: Any) -> Any:
    return condition if extra is None else condition & extra


async def alarms_by_kind_per_month(year: int, area: ListArea | None = None) -> Table:
    start, end = year_bounds(year)
    counts: Counter[tuple[str, str]] = Counter()
    within = AreaOfYear(area, year)
    rows = await Alarm.select(Alarm.occurred_at, Alarm.kind, Alarm.customer).where(
        _where(
            (Alarm.occurred_at >= start) & (Alarm.occurred_at < end),
            within.condition(Alarm.centre),
        )
    )
    for r in rows:
        if not await within.holds(month_of(r["occurred_at"]), r["customer"]):
            continue
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


async def response_times(year: int, area: ListArea | None = None) -> Table:
    """Visits per month and municipality (where the customer lived at the month's end); minutes
    from alarm to arrival (median, 90th pct)."""
    start, end = year_bounds(year)
    within = AreaOfYear(area, year)
    rows = [
        r
        for r in await AlarmVisit.select(
            AlarmVisit.arrived_at,
            AlarmVisit.alarm.occurred_at,
            AlarmVisit.alarm.customer,
        ).where(
            _where(
                (AlarmVisit.alarm.occurred_at >= start) & (AlarmVisit.alarm.occurred_at < end),
                within.condition(AlarmVisit.alarm.centre),
            )
        )
        if await within.holds(month_of(r["alarm.occurred_at"]), r["alarm.customer"])
    ]
    alarms = [(month_of(r["alarm.occurred_at"]), r["alarm.customer"]) for r in rows]
    homes = await _homes(year, alarms)
    visits: Counter[tuple[str, str]] = Counter()
    minutes: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in rows:
        month = month_of(r["alarm.occurred_at"])
        key = (month, homes[month].get(r["alarm.customer"], "–"))
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


async def _homes(year: int, alarms: list[tuple[str, int | None]]) -> dict[str, dict[int, str]]:
    """Per month of the alarms ("2026-03"), where their customers lived at the month's end (as
    the figures file them)."""
    customers: dict[str, set[int]] = defaultdict(set)
    for month, customer in alarms:
        ids = customers[month]  # a month of alarms of unknown customers only has no homes
        if customer:
            ids.add(customer)
    return {
        month: await municipalities_on(BillingPeriod(year, int(month[5:7])).last_day, ids)
        for month, ids in customers.items()
    }


async def build(name: str, year: int, day: dt.date, area: ListArea | None = None) -> Table:
    """The report `name` of `year` (its months to `day`'s), narrowed to `area` if given (not the
    devices: `AREA_NAMES`)."""
    if name == "devices":
        return await devices_by_status_and_model()
    if name == "municipalities":
        return await customers_per_municipality(year, day, area)
    if name == "alarms":
        return await alarms_by_kind_per_month(year, area)
    return await response_times(year, area)


def as_csv(table: Table) -> bytes:
    return to_csv([gettext(h) for h in table.header], [list(row) for row in table.rows])
