"""The security phone service's figures in the situational picture, per municipality.

Customers are the services running at some time in the month; openings and endings the services
started or ended in it; alarms and visits those of alarms received in the month (Helsinki time);
response time is from the alarm to the visitor's arrival, as a mean and as a distribution.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from plugins.security_phones.tables import Alarm, AlarmVisit, PhoneService
from valvomo.api import (
    N_,
    BillingPeriod,
    Metric,
    MetricCell,
    MetricCompute,
    MetricContext,
    MetricCustomerStamps,
    MetricStamp,
    MonthRows,
    Rows,
    column_of,
    counted,
    grouped,
    month_bounds,
    month_query,
    municipalities_on,
    shared,
    stamp_text,
)

SERVICE = "security_phones"
RUNNING = "s.start_date <= :last AND (s.end_date IS NULL OR s.end_date >= :first)"
# The alarm centre that served the service at the month's end: the centre it changed from, if
# the first change after :last was recorded (`sp_service_centre_change`), else its current one;
# a centre's figures of past months stay its own after services move to another centre.
WITH_CUSTOMER = (
    " JOIN customer c ON c.id = s.customer"
    " LEFT JOIN sp_service_centre_change cc ON cc.service = s.id AND cc.id = (SELECT c2.id"
    " FROM sp_service_centre_change c2 WHERE c2.service = s.id AND c2.changed_on > :last"
    " ORDER BY c2.changed_on, c2.id LIMIT 1)"
    " LEFT JOIN sp_alarm_centre ac"
    " ON ac.id = CASE WHEN cc.id IS NULL THEN s.centre ELSE cc.previous_centre END"
)
# Services per municipality and alarm centre (the service's unit): running, started, ended.
SERVICE_COLUMNS = {
    **counted("running", RUNNING),
    **counted("openings", "s.start_date >= :first"),
    **counted("endings", "s.end_date <= :last"),
}
SERVICE_SOURCE = "sp_service s" + WITH_CUSTOMER
SERVICES = grouped(SERVICE_COLUMNS, SERVICE_SOURCE, RUNNING, "ac.name", "s.customer")
# The same without a row per customer: the year's report behind these figures, month by month.
SERVICES_BY_AREA = grouped(SERVICE_COLUMNS, SERVICE_SOURCE, RUNNING, "ac.name")
SERVICES_STAMP = (
    "SELECT COUNT(*) AS services, SUM(s.id) AS ids, SUM(s.version) AS versions,"  # noqa: S608
    " SUM(CAST(s.id AS BIGINT) * s.version) AS weighted, SUM(c.version) AS customers,"
    " SUM(COALESCE(ac.version, 0)) AS centres FROM sp_service s"
    + WITH_CUSTOMER
    + " WHERE "
    + RUNNING
)
# Per customer: their services running in the month, their alarms and visits of the month.
CUSTOMER_SERVICES = (
    "SELECT s.customer AS customer, COUNT(*) AS services, SUM(s.id) AS ids,"  # noqa: S608
    " SUM(s.version) AS versions, MAX(c.version) AS customer_version,"
    " SUM(COALESCE(ac.version, 0)) AS centres FROM sp_service s"
    + WITH_CUSTOMER
    + " WHERE "
    + RUNNING
    + " GROUP BY s.customer"
)
# Minutes from alarm to arrival: upper bounds of the bands, the last band open-ended.
RESPONSE_BANDS = (
    ("0-15", N_("Under 15 minutes"), 15),
    ("15-30", N_("15–30 minutes"), 30),
    ("30-45", N_("30–45 minutes"), 45),
    ("45-60", N_("45–60 minutes"), 60),
    ("60-", N_("Over an hour"), None),
)

BAND_SPLITS = tuple((code, label) for code, label, _ in RESPONSE_BANDS)


def _in_month(period: BillingPeriod) -> Any:
    start, end = month_bounds(period)
    return (Alarm.occurred_at >= start) & (Alarm.occurred_at < end)


async def _alarms(period: BillingPeriod, context: MetricContext) -> Rows:
    """The month's alarms (Helsinki time) with their customer's municipality, their centre and
    the visit's arrival, if any: the rows every alarm figure is counted from (of the context's
    customers, when it names some)."""
    start, end = month_bounds(period)
    homes = await municipalities_on(period.last_day)  # where each lived at the month's end
    alarms_query = Alarm.select(
        Alarm.id, Alarm.customer, Alarm.centre.name, Alarm.occurred_at
    ).where(_in_month(period))
    visits_query = AlarmVisit.select(AlarmVisit.alarm, AlarmVisit.arrived_at).where(
        (AlarmVisit.alarm.occurred_at >= start) & (AlarmVisit.alarm.occurred_at < end)
    )
    if context.customers is not None:
        chosen = sorted(context.customers) or [0]  # 0: the alarms of no known customer
        alarms_query = alarms_query.where(_of_customers(Alarm.customer, chosen))
        visits_query = visits_query.where(_of_customers(AlarmVisit.alarm.customer, chosen))
    visits = {r["alarm"]: r["arrived_at"] for r in await visits_query}
    return [
        {
            "customer": r["customer"],
            "area": (homes.get(r["customer"], ""), r["centre.name"] or ""),
            "visited": r["id"] in visits,
            "minutes": _minutes(r["occurred_at"], visits.get(r["id"])),
        }
        for r in await alarms_query
    ]


def _of_customers(column: Any, chosen: list[int]) -> Any:
    condition = column.is_in(chosen)
    return condition | column.is_null() if 0 in chosen else condition


def _minutes(occurred: Any, arrived: Any) -> float | None:
    return None if arrived is None else (arrived - occurred).total_seconds() / 60


def band_of(minutes: float) -> str:
    for code, _label, upper in RESPONSE_BANDS:
        if upper is None or minutes < upper:
            return code
    return RESPONSE_BANDS[-1][0]


Key = tuple[str, str, str]  # municipality, centre, split
CustomerKey = tuple[str, str, str, int | None]  # the same for one customer


class Tally:
    """Counts (or a total and its count, for a mean) per customer, municipality, centre and
    split: one cell per customer (`Metric.customer_stamps`)."""

    def __init__(self) -> None:
        self.total: dict[CustomerKey, float] = defaultdict(float)
        self.count: dict[CustomerKey, int] = defaultdict(int)

    def add(self, key: Key, customer: int | None, amount: float = 1.0) -> None:
        self.total[(*key, customer)] += amount
        self.count[(*key, customer)] += 1

    def cells(self, mean: bool = False) -> list[MetricCell]:
        return [
            MetricCell(
                municipality=key[0],
                unit=key[1],
                split=key[2],
                value=round(total, 3) if mean else int(total),
                customers=1 if key[3] else 0,
                weight=self.count[key] if mean else 0,
                customer=key[3],
            )
            for key, total in self.total.items()
        ]


def _from_alarms(tally: Callable[[Rows], Tally], mean: bool = False) -> MetricCompute:
    """A figure counted from the month's alarm rows, read once per round for all of them."""

    async def compute(period: BillingPeriod, context: MetricContext) -> list[MetricCell]:
        return tally(await shared(_alarms, period, context)).cells(mean)

    return compute


def _alarm_count(rows: Rows) -> Tally:
    tally = Tally()
    for r in rows:
        tally.add((*r["area"], ""), r["customer"])
    return tally


def _visit_count(rows: Rows) -> Tally:
    return _alarm_count([r for r in rows if r["visited"]])


def _response_total(rows: Rows) -> Tally:
    tally = Tally()
    for r in rows:
        if r["minutes"] is not None:
            tally.add((*r["area"], ""), r["customer"], r["minutes"])
    return tally


def _response_bands(rows: Rows) -> Tally:
    """Arrived visits per response-time band, and their total (split "")."""
    tally = Tally()
    for r in rows:
        if r["minutes"] is not None:
            for split in (band_of(r["minutes"]), ""):
                tally.add((*r["area"], split), r["customer"])
    return tally


async def _alarm_stamp(period: BillingPeriod) -> tuple[Any, ...]:
    start, end = month_bounds(period)
    alarms = await Alarm.select(
        Count(), Sum(Alarm.id), Sum(Alarm.customer), Sum(Alarm.centre)
    ).where(_in_month(period))
    visits = await AlarmVisit.select(Count(), Sum(AlarmVisit.id), Sum(AlarmVisit.version)).where(
        (AlarmVisit.alarm.occurred_at >= start) & (AlarmVisit.alarm.occurred_at < end)
    )
    return (tuple(alarms[0].values()), tuple(visits[0].values()))


def _stamp(services: MonthRows) -> MetricStamp:
    """The services running in the month (with their customers and centres) and the month's
    alarms and visits: any change there changes the stamp."""

    async def load(period: BillingPeriod, context: MetricContext) -> str:
        rows = await services(period, context)
        return stamp_text(*(tuple(r.values()) for r in rows), await _alarm_stamp(period))

    async def stamp(period: BillingPeriod, context: MetricContext) -> str | None:
        return await context.once((load, period), lambda: load(period, context))

    return stamp


async def _customer_alarms(period: BillingPeriod) -> dict[int, tuple[Any, ...]]:
    start, end = month_bounds(period)
    alarms = (
        await Alarm.select(Alarm.customer, Count(), Sum(Alarm.id), Sum(Alarm.centre))
        .where(_in_month(period))
        .group_by(Alarm.customer)
    )
    visits = (
        await AlarmVisit.select(
            AlarmVisit.alarm.customer.as_alias("customer"),
            Count(),
            Sum(AlarmVisit.id),
            Sum(AlarmVisit.version),
        )
        .where((AlarmVisit.alarm.occurred_at >= start) & (AlarmVisit.alarm.occurred_at < end))
        .group_by(AlarmVisit.alarm.customer)
    )
    found: dict[int, tuple[Any, ...]] = defaultdict(tuple)
    for r in alarms:
        found[r["customer"]] += ("alarms", *r.values())
    for r in visits:
        found[r["customer"]] += ("visits", *r.values())
    return found


def _customer_stamps(services: MonthRows) -> MetricCustomerStamps:
    """Per customer: their services running in the month and their alarms and visits."""

    async def load(period: BillingPeriod, context: MetricContext) -> dict[int, str]:
        parts: dict[int, list[Any]] = defaultdict(list)
        for r in await services(period, context):
            parts[r["customer"]].append(tuple(r.values()))
        for customer, alarms in (await _customer_alarms(period)).items():
            parts[customer or 0].append(alarms)
        return {customer: stamp_text(*p) for customer, p in parts.items()}

    async def stamps(period: BillingPeriod, context: MetricContext) -> dict[int, str] | None:
        return await context.once((load, period), lambda: load(period, context))

    return stamps


def phone_metrics() -> list[Metric]:
    services = month_query(PhoneService, SERVICES)
    stamp = _stamp(month_query(PhoneService, SERVICES_STAMP))
    customer_stamps = _customer_stamps(month_query(PhoneService, CUSTOMER_SERVICES))
    reports = ("/security-phones/reports?year={year}", "security_phones.reports")
    alarms = ("/security-phones/alarms?month={month}", "security_phones.visits")
    # name, label, unit of measure, compute, kind, list behind the figure
    figures: list[tuple[str, str, str, MetricCompute, str, tuple[str, str]]] = [
        ("customers", N_("Security phone customers"), "customers",
         column_of(services, "running", "running_customers"), "stock", reports),
        ("openings", N_("Security phone services started"), "count",
         column_of(services, "openings", "openings_customers"), "sum", reports),
        ("endings", N_("Security phone services ended"), "count",
         column_of(services, "endings", "endings_customers"), "sum", reports),
        ("alarms", N_("Alarms"), "count", _from_alarms(_alarm_count), "sum", alarms),
        ("visits", N_("Alarm visits"), "count", _from_alarms(_visit_count), "sum", alarms),
        ("response_minutes", N_("Mean minutes from alarm to arrival"), "minutes",
         _from_alarms(_response_total, mean=True), "mean", alarms),
        ("response_times", N_("Visits by time from alarm to arrival"), "count",
         _from_alarms(_response_bands), "sum", alarms),
    ]  # fmt: skip
    return [
        Metric(
            f"{SERVICE}.{name}",
            label,
            unit,
            SERVICE,
            compute,
            kind=kind,
            splits=tuple((c, lbl) for c, lbl, _ in RESPONSE_BANDS)
            if name == "response_times"
            else (),
            list_path=listing[0],
            list_permission=listing[1],
            # the alarms list and the year's reports narrow to the customers of a
            # municipality or to an alarm centre
            list_areas=("municipality", "unit"),
            order=order,
            stamp=stamp,
            customer_stamps=customer_stamps,
        )
        for order, (name, label, unit, compute, kind, listing) in enumerate(figures, start=20)
    ]
