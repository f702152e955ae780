"""The meal service's figures in the situational picture, per municipality and kitchen.

Customers are the services running at some time in the month; openings and endings are the
services started or ended in it; pauses the pauses begun in it; absences the cancelled days;
meals and deliveries come from the recorded service days (brought up to date first, as billing
does), so the current month counts its plan to the month's end. One grouped query per source
(services, pauses, cancelled days, recorded days) gives all its figures, once per refresh round.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from piccolo.columns.combination import WhereRaw

from plugins.meals import ledger
from plugins.meals.schedule import DELIVERY_LOOKAHEAD
from plugins.meals.settings import current
from plugins.meals.tables import MealService
from valvomo.api import (
    N_,
    BillingPeriod,
    Metric,
    MetricContext,
    MetricCustomerStamps,
    MetricStamp,
    MonthRows,
    Rows,
    chunked,
    column_of,
    counted,
    customer_stamps_of,
    grouped,
    month_query,
    stamp_of,
)

SERVICE = "meals"
RUNNING = "s.start_date <= :last AND (s.end_date IS NULL OR s.end_date >= :first)"
OPENED = "s.status <> 'opening_requested'"
KITCHEN = "k.name"
CUSTOMER = "s.customer"  # every figure is kept per customer: a round recomputes the changed
# The kitchen that delivered the service at the month's end (or on its last assignment before,
# if it ended earlier), from the service's kitchen and route history; its current kitchen if the
# history has none: a kitchen's figures of past months stay its own after services move.
KITCHEN_AT = (
    "COALESCE((SELECT a.kitchen FROM meals_route_assignment a WHERE a.service = s.id"
    " AND a.valid_from <= :last ORDER BY a.valid_from DESC, a.id DESC LIMIT 1), s.kitchen)"
)
WITH_CUSTOMER = (
    f" JOIN customer c ON c.id = s.customer LEFT JOIN meals_kitchen k ON k.id = {KITCHEN_AT}"
)


def in_kitchen_at(kitchen: int, day: dt.date) -> WhereRaw:
    """A condition on `meals_service`: the service is filed under `kitchen` (by id) on `day`,
    the last day of a month, as the figures file it (`KITCHEN_AT`)."""
    at = KITCHEN_AT.replace(":last", "{}").replace("s.id", "meals_service.id")
    at = at.replace("s.kitchen", "meals_service.kitchen")
    return WhereRaw(f"{at} = {{}}", day, kitchen)


async def kitchens_at(day: dt.date, services: Iterable[int]) -> dict[int, str]:
    """The kitchen (by name) each of `services` is filed under on `day`, the last day of a
    month, as the figures file it (`KITCHEN_AT`): for the lists behind a kitchen's figures."""
    sql = (
        "SELECT s.id AS id, k.name AS kitchen FROM meals_service s"  # noqa: S608
        f" LEFT JOIN meals_kitchen k ON k.id = {KITCHEN_AT.replace(':last', '{}')}"
    )
    found: dict[int, str] = {}
    for chunk in chunked(sorted(set(services))):
        ids = ", ".join(str(int(i)) for i in chunk)  # integers only enter the text
        for r in await MealService.raw(f"{sql} WHERE s.id IN ({ids})", day):
            found[r["id"]] = r["kitchen"] or ""
    return found


SERVICES = grouped(
    {
        **counted("running", f"{OPENED} AND {RUNNING}"),
        **counted("openings", f"{OPENED} AND s.start_date >= :first"),
        **counted("endings", "s.end_date <= :last"),
    },
    "meals_service s" + WITH_CUSTOMER,
    RUNNING,
    KITCHEN,
    CUSTOMER,
)
PAUSES = grouped(
    counted("pauses", "1 = 1"),
    "meals_pause p JOIN meals_service s ON s.id = p.service" + WITH_CUSTOMER,
    "p.start_date >= :first AND p.start_date <= :last",
    KITCHEN,
    CUSTOMER,
)
ABSENCES = grouped(
    counted("absences", "1 = 1"),
    "meals_exception e JOIN meals_service s ON s.id = e.service" + WITH_CUSTOMER,
    "e.kind = 'cancel' AND e.day >= :first AND e.day <= :last",
    KITCHEN,
    CUSTOMER,
)
DAYS = grouped(
    {
        "meals": "SUM(CASE WHEN d.product <> 'delivery' THEN d.quantity ELSE 0 END)",
        "meals_customers": "COUNT(DISTINCT CASE WHEN d.product <> 'delivery' THEN s.customer END)",
        **counted("deliveries", "d.product = 'delivery'"),
    },
    "meals_day d JOIN meals_service s ON s.id = d.service" + WITH_CUSTOMER,
    "d.day >= :first AND d.day <= :last",
    KITCHEN,
    CUSTOMER,
)
# What every figure of a month is computed from: the services that can have days in it (up to
# the delivery look-ahead) with their pauses and exceptions, which raise the service's version,
# their customers (a move re-files them) and kitchens. Any change there changes the stamp.
STAMP = (
    "SELECT COUNT(*) AS services, SUM(s.id) AS ids, SUM(s.version) AS versions,"  # noqa: S608
    " SUM(CAST(s.id AS BIGINT) * s.version) AS weighted, SUM(c.version) AS customers,"
    " SUM(COALESCE(k.version, 0)) AS kitchens FROM meals_service s"
    + WITH_CUSTOMER
    + " WHERE s.start_date <= :horizon AND (s.end_date IS NULL OR s.end_date >= :first)"
)
# The same per customer: what each customer's part of the month's figures is computed from.
CUSTOMER_STAMP = (
    "SELECT s.customer AS customer, COUNT(*) AS services, SUM(s.id) AS ids,"  # noqa: S608
    " SUM(s.version) AS versions, MAX(c.version) AS customer_version,"
    " SUM(COALESCE(k.version, 0)) AS kitchens FROM meals_service s"
    + WITH_CUSTOMER
    + " WHERE s.start_date <= :horizon AND (s.end_date IS NULL OR s.end_date >= :first)"
    + " GROUP BY s.customer"
)


def horizon(period: BillingPeriod) -> object:
    return period.last_day + DELIVERY_LOOKAHEAD


def recorded(load: MonthRows) -> MonthRows:
    """`load` after bringing the month's recorded days up to date, exactly as billing does."""

    async def load_recorded(period: BillingPeriod, context: MetricContext) -> Rows:
        await ledger.record_month(period, current().holiday_rule)
        return await load(period, context)

    return load_recorded


Figure = tuple[str, str, str, MonthRows, str, str, str]


def meal_metrics() -> list[Metric]:
    services = month_query(MealService, SERVICES)
    pauses, absences = month_query(MealService, PAUSES), month_query(MealService, ABSENCES)
    days = recorded(month_query(MealService, DAYS))
    stamp = stamp_of(
        month_query(MealService, STAMP, horizon=horizon), lambda c: current().holiday_rule
    )
    customer_stamps = customer_stamps_of(
        month_query(MealService, CUSTOMER_STAMP, horizon=horizon),
        lambda c: current().holiday_rule,
    )
    lists = {
        "services": ("/meals/services?month={month}", "meals.manage"),
        "deviations": ("/meals/reports/deviations?month={month}", "meals.reports"),
        "transport": ("/meals/reports/transport?month={month}", "meals.reports"),
    }
    # name, label, unit of measure, query, column, kind, list behind the figure
    figures: list[Figure] = [
        ("customers", N_("Meal service customers"), "customers", services, "running", "stock",
         "services"),
        ("openings", N_("Meal services opened"), "count", services, "openings", "sum",
         "deviations"),
        ("endings", N_("Meal services ended"), "count", services, "endings", "sum", "deviations"),
        ("pauses", N_("Meal service pauses begun"), "count", pauses, "pauses", "sum",
         "deviations"),
        ("absences", N_("Cancelled meal days"), "count", absences, "absences", "sum",
         "deviations"),
        ("meals", N_("Meals"), "meals", days, "meals", "sum", "transport"),
        ("deliveries", N_("Meal deliveries"), "deliveries", days, "deliveries", "sum",
         "transport"),
    ]  # fmt: skip
    return [
        declared(n, figure, lists[figure[6]], stamp, customer_stamps)
        for n, figure in enumerate(figures, start=10)
    ]


def declared(
    order: int,
    figure: Figure,
    listing: tuple[str, str],
    stamp: MetricStamp,
    customer_stamps: MetricCustomerStamps,
) -> Metric:
    name, label, unit, load, column, kind, _ = figure
    return Metric(
        f"{SERVICE}.{name}",
        label,
        unit,
        SERVICE,
        column_of(load, column, f"{column}_customers"),
        kind=kind,
        list_path=listing[0],
        list_permission=listing[1],
        list_areas=("municipality", "unit"),  # every list behind them narrows to both
        order=order,
        stamp=stamp,
        customer_stamps=customer_stamps,
    )
