"""`valvomo import meals FILE`: customers' standing orders from the old pivot spreadsheets.

Columns (CSV with ; or , or XLSX, first row headers, see docs/meals.md and samples/):
identity_code, kitchen, route, route_stop, start_date (2026-01-05 or 5.1.2026), diet, product
(default: the region's first meal product), mon … sun (meals on each weekday), delivery_days
(e.g. "mon,thu": each meal day is carried by the latest of these days on or before it),
door_notes. Several rows of one customer (one per product) make one service. The same columns
beside the customer columns make the combined sheet (`valvomo import FILE`, core.imports).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from plugins.meals.codes import with_codes
from plugins.meals.forms import FIRST_YEAR, LAST_YEAR, MAX_MEALS_PER_DAY
from plugins.meals.settings import MealSettings
from plugins.meals.tables import (
    DeliveryRoute,
    Kitchen,
    MealOrderLine,
    MealRouteAssignment,
    MealService,
)
from valvomo.api import (
    N_,
    Actor,
    Customer,
    NumberedRow,
    RowProblem,
    StepResult,
    audit,
    gettext,
    in_conditions,
    insert_rows,
    now,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REQUIRED = ("identity_code", "kitchen", "route", "start_date", "diet", "delivery_days")
COLUMNS = (*REQUIRED[:5], "product", "route_stop", *DAYS, "delivery_days", "door_notes")
MEAL_COLUMNS = ("kitchen", "route", "diet", *DAYS, "delivery_days")  # a row that orders meals


@dataclass
class ImportedService:
    customer_id: int
    kitchen_id: int
    route_id: int
    route_stop: int
    start_date: dt.date
    diet: str
    door_notes: str
    rows: list[int] = field(default_factory=list)
    quantities: dict[tuple[int, str], int] = field(default_factory=dict)
    delivery_weekdays: dict[int, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)  # product → its row


@dataclass
class ImportReport:
    services: list[ImportedService] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    rows: int = 0
    unchanged: int = 0  # customers whose service already is what their rows say


def delivery_weekdays(raw: str) -> list[int] | None:
    days = [d.strip().lower()[:3] for d in raw.replace(";", ",").split(",") if d.strip()]
    if not days or any(d not in DAYS for d in days):
        return None
    return sorted({DAYS.index(d) for d in days})


def carrying_day(weekday: int, deliveries: list[int]) -> int:
    """The latest delivery weekday on or before `weekday`, wrapping to the previous week."""
    return min(deliveries, key=lambda d: (weekday - d) % 7)


def start_date(raw: str) -> dt.date:
    """2026-01-05 or 5.1.2026 (as the old spreadsheets write it); ValueError otherwise."""
    if "." in raw:
        day, month, year = (int(part) for part in raw.strip(".").split("."))
        return dt.date(year, month, day)
    return dt.date.fromisoformat(raw)


@dataclass(frozen=True)
class Lookups:
    customers: dict[str, int]  # identity code → customer id
    kitchens: dict[str, int]
    routes: dict[tuple[int, str], int]
    served: dict[int, dict[str, Any]]  # customer id → running service


async def _lookups(rows: list[NumberedRow]) -> Lookups:
    codes = list({r.get("identity_code", "").strip().upper() for _, r in rows})
    customers: dict[str, int] = {}
    for condition in in_conditions(Customer.identity_code, codes):
        found = await Customer.select(Customer.id, Customer.identity_code).where(condition)
        customers.update({c["identity_code"]: c["id"] for c in found})
    kitchens = {k["name"].lower(): k["id"] for k in await Kitchen.select(Kitchen.id, Kitchen.name)}
    routes = {
        (r["kitchen"], r["name"].lower()): r["id"]
        for r in await DeliveryRoute.select(
            DeliveryRoute.id, DeliveryRoute.kitchen, DeliveryRoute.name
        )
    }
    served: dict[int, dict[str, Any]] = {}
    for condition in in_conditions(MealService.customer, list(customers.values())):
        running = (MealService.status != "ended") & condition
        found = await MealService.select(
            MealService.id, MealService.customer, MealService.kitchen, MealService.route,
            MealService.route_stop, MealService.start_date, MealService.diet,
            MealService.door_notes,
        ).where(running)  # fmt: skip
        served.update({s["customer"]: s for s in found})
    return Lookups(customers, kitchens, routes, served)


def _row_problems(
    number: int, row: dict[str, str], settings: MealSettings, lookups: Lookups
) -> tuple[list[RowProblem], dict[str, Any]]:
    problems: list[RowProblem] = []
    values: dict[str, Any] = {}

    def problem(column: str, message: str, **variables: Any) -> None:
        problems.append(RowProblem(number, column, gettext(message, **variables)))

    for column in REQUIRED:
        if not row.get(column):
            problem(column, N_("missing"))
    if problems:
        return problems, values
    values["product"] = row.get("product") or next(iter(settings.products), "")
    code = row["identity_code"].strip().upper()
    values["customer_id"] = lookups.customers.get(code)
    if values["customer_id"] is None:
        problem("identity_code", N_("no customer with this identity code in the register"))
    values["kitchen_id"] = lookups.kitchens.get(row["kitchen"].lower())
    if values["kitchen_id"] is None:
        problem("kitchen", N_("unknown kitchen %(name)s"), name=repr(row["kitchen"]))
    else:
        values["route_id"] = lookups.routes.get((values["kitchen_id"], row["route"].lower()))
        if values["route_id"] is None:
            problem(
                "route",
                N_("kitchen %(kitchen)s has no route %(route)s"),
                kitchen=repr(row["kitchen"]),
                route=repr(row["route"]),
            )
    try:
        values["start_date"] = start_date(row["start_date"])
        if not FIRST_YEAR <= values["start_date"].year <= LAST_YEAR:
            raise ValueError
    except ValueError:
        problem(
            "start_date",
            N_("not a date (5.1.2026 or 2026-01-05) from %(first)s to %(last)s"),
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    if row["diet"] not in dict(settings.offered("diets")):
        problem("diet", N_("unknown diet %(diet)s"), diet=repr(row["diet"]))
    if values["product"] not in settings.products:
        problem("product", N_("unknown meal product %(product)s"), product=repr(values["product"]))
    quantities = {}
    count_before = len(problems)
    for weekday, day in enumerate(DAYS):
        raw = row.get(day, "") or "0"
        if not raw.isdigit() or int(raw) > MAX_MEALS_PER_DAY:
            problem(
                day,
                N_("%(value)s is not a number from 0 to %(max)s"),
                value=repr(raw),
                max=MAX_MEALS_PER_DAY,
            )
        elif int(raw):
            quantities[weekday] = int(raw)
    if not quantities and len(problems) == count_before:
        problem("mon…sun", N_("no meals on any weekday"))
    values["quantities"] = quantities
    values["deliveries"] = delivery_weekdays(row["delivery_days"])
    if values["deliveries"] is None:
        problem("delivery_days", N_("use weekday abbreviations such as mon,thu"))
    stop = row.get("route_stop", "") or "0"
    if not stop.isdigit() or int(stop) > 10_000:
        problem("route_stop", N_("not a number from 0 to 10,000"))
    values["route_stop"] = int(stop) if stop.isdigit() else 0
    return problems, values


async def check_rows(rows: list[NumberedRow], settings: MealSettings) -> ImportReport:
    """Check every row; the rows of one customer make one service, and a customer with any
    bad row is left out whole (so a partial import never writes half a customer's order)."""
    report = ImportReport(rows=len(rows))
    settings = await with_codes(settings)  # the diets kept on the admin pages
    lookups = await _lookups(rows)
    by_customer: dict[int, ImportedService] = {}
    rejected: set[int] = set()
    for number, row in rows:
        problems, values = _row_problems(number, row, settings, lookups)
        service = by_customer.get(values.get("customer_id", -1))
        if not problems and service is not None:
            problems = _conflicts(number, row, values, service)
        if problems:
            report.errors += problems
            if values.get("customer_id") is not None:
                rejected.add(values["customer_id"])
            continue
        if service is None:
            service = ImportedService(
                values["customer_id"],
                values["kitchen_id"],
                values["route_id"],
                values["route_stop"],
                values["start_date"],
                row["diet"],
                row.get("door_notes", ""),
            )
            by_customer[service.customer_id] = service
            report.services.append(service)
        service.rows.append(number)
        service.products[values["product"]] = number
        for weekday, quantity in values["quantities"].items():
            service.quantities[(weekday, values["product"])] = quantity
            service.delivery_weekdays[weekday] = carrying_day(weekday, values["deliveries"])
    served = lookups.served
    running = await _running_orders([s["id"] for s in served.values()])
    for service in report.services:
        existing = served.get(service.customer_id)
        if existing is None or service.customer_id in rejected:
            continue
        rejected.add(service.customer_id)
        if _same_service(service, existing, running.get(existing["id"], {})):
            report.unchanged += 1
        else:
            report.errors.append(
                RowProblem(
                    service.rows[0],
                    "identity_code",
                    gettext(
                        "the customer already has a different meal service; change it on its page"
                    ),
                )
            )
    reported = {p.row for p in report.errors}
    for service in report.services:
        if service.customer_id in rejected and service.customer_id not in served:
            for number in service.rows:
                if number not in reported:
                    report.errors.append(
                        RowProblem(
                            number,
                            "",
                            gettext("not imported: another row of the same customer has problems"),
                        )
                    )
    report.services = [s for s in report.services if s.customer_id not in rejected]
    return report


Order = dict[tuple[int, str], tuple[int, int]]  # (weekday, product) → (quantity, delivery day)


async def _running_orders(service_ids: list[int]) -> dict[int, Order]:
    """The standing orders in force of the given services, a few queries in all."""
    orders: dict[int, Order] = {}
    for condition in in_conditions(MealOrderLine.service, service_ids):
        in_force = condition & MealOrderLine.valid_to.is_null()
        lines = await MealOrderLine.select(
            MealOrderLine.service, MealOrderLine.weekday, MealOrderLine.product,
            MealOrderLine.quantity, MealOrderLine.delivery_weekday,
        ).where(in_force)  # fmt: skip
        for r in lines:
            orders.setdefault(r["service"], {})[(r["weekday"], r["product"])] = (
                r["quantity"],
                r["delivery_weekday"],
            )
    return orders


def _same_service(service: ImportedService, existing: dict[str, Any], stored: Order) -> bool:
    """The customer's running service is what the rows say (a second run of the same file)."""
    if (
        existing["kitchen"], existing["route"], existing["route_stop"], existing["start_date"],
        existing["diet"], existing["door_notes"],
    ) != (
        service.kitchen_id, service.route_id, service.route_stop, service.start_date,
        service.diet, service.door_notes,
    ):  # fmt: skip
        return False
    wanted = {
        (weekday, product): (quantity, service.delivery_weekdays[weekday])
        for (weekday, product), quantity in service.quantities.items()
    }
    return stored == wanted


def _conflicts(
    number: int, row: dict[str, str], values: dict[str, Any], service: ImportedService
) -> list[RowProblem]:
    """What a further row of a customer contradicts in the rows already read."""
    first = service.rows[0]
    given = {
        "kitchen": (values["kitchen_id"], service.kitchen_id),
        "route": (values["route_id"], service.route_id),
        "route_stop": (values["route_stop"], service.route_stop),
        "start_date": (values["start_date"], service.start_date),
        "diet": (row["diet"], service.diet),
        "door_notes": (row.get("door_notes", ""), service.door_notes),
    }
    problems = [
        RowProblem(
            number, column, gettext("differs from row %(row)s of the same customer", row=first)
        )
        for column, (mine, theirs) in given.items()
        if mine != theirs
    ]
    product = values["product"]
    if product in service.products:
        problems.append(
            RowProblem(
                number,
                "product",
                gettext(
                    "%(product)s is already on row %(row)s of the same customer",
                    product=repr(product),
                    row=service.products[product],
                ),
            )
        )
    carried = {day: carrying_day(day, values["deliveries"]) for day in values["quantities"]}
    if any(service.delivery_weekdays.get(day, by) != by for day, by in carried.items()):
        problems.append(
            RowProblem(
                number,
                "delivery_days",
                gettext("differs from row %(row)s of the same customer", row=first),
            )
        )
    return problems


async def write_services(actor: Actor, services: list[ImportedService]) -> None:
    """Insert the checked services as active, with their standing orders and audit entries, in
    a few bulk statements. Call inside a transaction."""
    created = now()
    service_columns = [
        MealService.customer, MealService.status, MealService.start_date, MealService.diet,
        MealService.requested_meals, MealService.kitchen, MealService.route,
        MealService.route_stop, MealService.door_notes, MealService.created_at,
    ]  # fmt: skip
    rows = [
        (s.customer_id, "active", s.start_date, s.diet, "import", s.kitchen_id, s.route_id,
         s.route_stop, s.door_notes, created)
        for s in services
    ]  # fmt: skip
    inserted = await insert_rows(
        MealService, service_columns, rows, returning=[MealService.id, MealService.customer]
    )
    ids = {row["customer"]: row["id"] for row in inserted}
    pairs = [(ids[s.customer_id], s) for s in services]
    await insert_rows(
        MealRouteAssignment,
        [MealRouteAssignment.service, MealRouteAssignment.kitchen, MealRouteAssignment.route,
         MealRouteAssignment.valid_from],
        [(i, s.kitchen_id, s.route_id, s.start_date) for i, s in pairs],
    )  # fmt: skip
    await insert_rows(
        MealOrderLine,
        [MealOrderLine.service, MealOrderLine.weekday, MealOrderLine.product,
         MealOrderLine.quantity, MealOrderLine.delivery_weekday, MealOrderLine.valid_from],
        [
            (i, weekday, product, quantity, s.delivery_weekdays[weekday], s.start_date)
            for i, s in pairs
            for (weekday, product), quantity in sorted(s.quantities.items())
        ],
    )  # fmt: skip
    await audit.record_many(
        actor,
        "import",
        "meal_service",
        [
            (i, s.customer_id, None, {
                "rows": s.rows, "kitchen": s.kitchen_id, "route": s.route_id,
                "start_date": s.start_date,
                "order": {f"{w}:{p}": q for (w, p), q in sorted(s.quantities.items())},
            })
            for i, s in pairs
        ],
    )  # fmt: skip


class MealsStep:
    """Meal services of a sheet (see `core.imports`); a row without meal columns is skipped
    in the combined sheet."""

    name = N_("meal services")

    def __init__(self, settings: MealSettings, *, every_row: bool = False) -> None:
        self.settings = settings
        self.every_row = every_row  # `valvomo import meals`: each row must order meals

    def carries(self, row: dict[str, str]) -> bool:
        return self.every_row or any(row.get(column) for column in MEAL_COLUMNS)

    async def check(self, rows: list[NumberedRow]) -> StepResult:
        report = await check_rows(rows, self.settings)

        async def write_checked(actor: Actor) -> None:
            await write_services(actor, report.services)

        return StepResult(
            problems=report.errors,
            new=len(report.services),
            unchanged=report.unchanged,
            write=write_checked,
        )
