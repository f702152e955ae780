"""`valvomo import meals FILE`: customers' standing orders from the old pivot spreadsheets.

Columns (CSV with ; or , or XLSX, first row headers, see docs/meals.md and samples/):
identity_code, kitchen, route, route_stop, start_date, diet, product, mon … sun (meals on each
weekday), delivery_days (e.g. "mon,thu": each meal day is carried by the latest of these days on
or before it), door_notes. Several rows of one customer (one per product) make one service.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from core.audit import services as audit
from core.audit.services import Actor
from core.common.clock import now
from core.customers.tables import Customer
from plugins.meals.forms import FIRST_YEAR, LAST_YEAR, MAX_MEALS_PER_DAY
from plugins.meals.settings import MealSettings
from plugins.meals.tables import (
    DeliveryRoute,
    Kitchen,
    MealOrderLine,
    MealRouteAssignment,
    MealService,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REQUIRED = ("identity_code", "kitchen", "route", "start_date", "diet", "product", "delivery_days")
COLUMNS = (*REQUIRED[:6], "route_stop", *DAYS, "delivery_days", "door_notes")


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
    errors: list[str] = field(default_factory=list)
    rows: int = 0


def read_rows(path: Path) -> list[dict[str, str]]:
    """The file's rows as dicts keyed by lower-case header; ValueError if it cannot be read."""
    if path.suffix.lower() == ".xlsx":
        try:
            sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        except (BadZipFile, InvalidFileException) as exc:
            raise ValueError("not a readable XLSX workbook") from exc
        values = [
            ["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)
        ]
    else:
        text = path.read_text(encoding="utf-8-sig")
        try:
            dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=";,")
        except csv.Error as exc:
            raise ValueError("the first row must be the headers, separated by ; or ,") from exc
        values = list(csv.reader(io.StringIO(text), dialect))
    if not values:
        return []
    headers = [h.strip().lower() for h in values[0]]
    return [
        dict(zip(headers, (c.strip() for c in row), strict=False)) for row in values[1:] if any(row)
    ]


def delivery_weekdays(raw: str) -> list[int] | None:
    days = [d.strip().lower()[:3] for d in raw.replace(";", ",").split(",") if d.strip()]
    if not days or any(d not in DAYS for d in days):
        return None
    return sorted({DAYS.index(d) for d in days})


def carrying_day(weekday: int, deliveries: list[int]) -> int:
    """The latest delivery weekday on or before `weekday`, wrapping to the previous week."""
    return min(deliveries, key=lambda d: (weekday - d) % 7)


async def _lookups(
    rows: list[dict[str, str]],
) -> tuple[dict[str, int], dict[str, int], dict[tuple[int, str], int], set[int]]:
    codes = list({r.get("identity_code", "").upper() for r in rows})
    customers = {
        c["identity_code"]: c["id"]
        for c in await Customer.select(Customer.id, Customer.identity_code).where(
            Customer.identity_code.is_in(codes or [""])
        )
    }
    kitchens = {k["name"].lower(): k["id"] for k in await Kitchen.select(Kitchen.id, Kitchen.name)}
    routes = {
        (r["kitchen"], r["name"].lower()): r["id"]
        for r in await DeliveryRoute.select(
            DeliveryRoute.id, DeliveryRoute.kitchen, DeliveryRoute.name
        )
    }
    served = {
        s["customer"]
        for s in await MealService.select(MealService.customer).where(MealService.status != "ended")
    }
    return customers, kitchens, routes, served


def _row_problems(
    number: int, row: dict[str, str], settings: MealSettings, lookups: Any
) -> tuple[list[str], dict[str, Any]]:
    customers, kitchens, routes, served = lookups
    problems: list[str] = []
    values: dict[str, Any] = {}

    def problem(column: str, message: str) -> None:
        problems.append(f"row {number}, {column}: {message}")

    for column in REQUIRED:
        if not row.get(column):
            problem(column, "missing")
    if problems:
        return problems, values
    code = row["identity_code"].upper()
    values["customer_id"] = customers.get(code)
    if values["customer_id"] is None:
        problem("identity_code", "no customer with this identity code in the register")
    elif values["customer_id"] in served:
        problem("identity_code", "the customer already has a meal service")
    values["kitchen_id"] = kitchens.get(row["kitchen"].lower())
    if values["kitchen_id"] is None:
        problem("kitchen", f"unknown kitchen {row['kitchen']!r}")
    else:
        values["route_id"] = routes.get((values["kitchen_id"], row["route"].lower()))
        if values["route_id"] is None:
            problem("route", f"kitchen {row['kitchen']!r} has no route {row['route']!r}")
    try:
        values["start_date"] = dt.date.fromisoformat(row["start_date"])
        if not FIRST_YEAR <= values["start_date"].year <= LAST_YEAR:
            raise ValueError
    except ValueError:
        problem("start_date", f"not a date (YYYY-MM-DD) from {FIRST_YEAR} to {LAST_YEAR}")
    if row["diet"] not in settings.diets:
        problem("diet", f"unknown diet {row['diet']!r}")
    if row["product"] not in settings.products:
        problem("product", f"unknown meal product {row['product']!r}")
    quantities = {}
    count_before = len(problems)
    for weekday, day in enumerate(DAYS):
        raw = row.get(day, "") or "0"
        if not raw.isdigit() or int(raw) > MAX_MEALS_PER_DAY:
            problem(day, f"{raw!r} is not a number from 0 to {MAX_MEALS_PER_DAY}")
        elif int(raw):
            quantities[weekday] = int(raw)
    if not quantities and len(problems) == count_before:
        problem("mon…sun", "no meals on any weekday")
    values["quantities"] = quantities
    values["deliveries"] = delivery_weekdays(row["delivery_days"])
    if values["deliveries"] is None:
        problem("delivery_days", "use weekday abbreviations such as mon,thu")
    stop = row.get("route_stop", "") or "0"
    if not stop.isdigit() or int(stop) > 10_000:
        problem("route_stop", "not a number from 0 to 10,000")
    values["route_stop"] = int(stop) if stop.isdigit() else 0
    return problems, values


async def check_rows(rows: list[dict[str, str]], settings: MealSettings) -> ImportReport:
    """Check every row; the rows of one customer make one service, and a customer with any
    bad row is left out whole (so a partial import never writes half a customer's order)."""
    report = ImportReport(rows=len(rows))
    lookups = await _lookups(rows)
    by_customer: dict[int, ImportedService] = {}
    rejected: set[int] = set()
    for number, row in enumerate(rows, start=2):
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
        service.products[row["product"]] = number
        for weekday, quantity in values["quantities"].items():
            service.quantities[(weekday, row["product"])] = quantity
            service.delivery_weekdays[weekday] = carrying_day(weekday, values["deliveries"])
    for service in report.services:
        if service.customer_id in rejected:
            rows_text = ", ".join(str(n) for n in service.rows)
            report.errors.append(
                f"rows {rows_text}: not imported, another row of the same customer has problems"
            )
    report.services = [s for s in report.services if s.customer_id not in rejected]
    return report


def _conflicts(
    number: int, row: dict[str, str], values: dict[str, Any], service: ImportedService
) -> list[str]:
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
        f"row {number}, {column}: differs from row {first} of the same customer"
        for column, (mine, theirs) in given.items()
        if mine != theirs
    ]
    if row["product"] in service.products:
        problems.append(
            f"row {number}, product: {row['product']!r} is already on row "
            f"{service.products[row['product']]} of the same customer"
        )
    carried = {day: carrying_day(day, values["deliveries"]) for day in values["quantities"]}
    if any(service.delivery_weekdays.get(day, by) != by for day, by in carried.items()):
        problems.append(
            f"row {number}, delivery_days: differ from row {first} of the same customer"
        )
    return problems


async def write_services(actor: Actor, services: list[ImportedService]) -> None:
    """Insert the checked services as active, with their standing orders and audit entries."""
    for service in services:
        rows = await MealService.insert(
            MealService(
                customer=service.customer_id,
                status="active",
                start_date=service.start_date,
                diet=service.diet,
                requested_meals="import",
                kitchen=service.kitchen_id,
                route=service.route_id,
                route_stop=service.route_stop,
                door_notes=service.door_notes,
                created_at=now(),
            )
        ).returning(MealService.id)
        service_id = int(rows[0]["id"])
        await MealRouteAssignment.insert(
            MealRouteAssignment(
                service=service_id,
                kitchen=service.kitchen_id,
                route=service.route_id,
                valid_from=service.start_date,
            )
        )
        await MealOrderLine.insert(
            *[
                MealOrderLine(
                    service=service_id,
                    weekday=weekday,
                    product=product,
                    quantity=quantity,
                    delivery_weekday=service.delivery_weekdays[weekday],
                    valid_from=service.start_date,
                )
                for (weekday, product), quantity in sorted(service.quantities.items())
            ]
        )
        await audit.record(
            actor,
            "import",
            "meal_service",
            service_id,
            customer_id=service.customer_id,
            after={
                "rows": service.rows,
                "kitchen": service.kitchen_id,
                "route": service.route_id,
                "start_date": service.start_date,
                "order": {f"{w}:{p}": q for (w, p), q in sorted(service.quantities.items())},
            },
        )
