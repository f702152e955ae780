"""The biller's reports for a month: billing lines per customer, deviations, transport."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from plugins.meals.billing import billing_lines
from plugins.meals.metrics import kitchens_at
from plugins.meals.plans import LoadedService, load_services
from plugins.meals.schedule import compute_schedule
from plugins.meals.settings import MealSettings
from plugins.meals.tables import MealException, MealPause, MealService
from valvomo.api import (
    N_,
    BillingLine,
    BillingPeriod,
    Cell,
    ListArea,
    audit,
    customer_names,
    customers_living_in,
    fmt_date,
    gettext,
    label,
    transaction,
)

DEVIATION_HEADERS = (
    N_("Date"),
    N_("Customer number"),
    N_("Customer"),
    N_("Deviation"),
    N_("Details"),
)
TRANSPORT_HEADERS = (N_("Kitchen"), N_("Route"), N_("Customers"), N_("Deliveries"), N_("Meals"))


@dataclass
class CustomerBilling:
    customer_id: int
    name: str
    lines: list[BillingLine]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def _name(row: dict[str, Any], prefix: str = "customer.") -> str:
    return f"{row[prefix + 'last_name']} {row[prefix + 'first_name']}"


async def billing_by_customer(
    period: BillingPeriod, settings: MealSettings
) -> list[CustomerBilling]:
    by_customer: dict[int, list[BillingLine]] = defaultdict(list)
    for line in await billing_lines(period, settings):
        by_customer[line.customer_id].append(line)
    names = await customer_names(list(by_customer))
    customers = [CustomerBilling(c, names.get(c, ""), lines) for c, lines in by_customer.items()]
    return sorted(customers, key=lambda c: (c.name, c.customer_id))


async def record_report_view(
    actor: audit.Actor, report: str, period: BillingPeriod, customer_ids: Iterable[int], form: str
) -> None:
    """One access-log entry for a month's report, naming the customers it shows."""
    async with transaction():
        await audit.record(
            actor,
            "view",
            f"meal_{report}_report",
            f"{period.year}-{period.month:02d}",
            after={"format": form, "customers": sorted(set(customer_ids))},
        )


async def deviations(period: BillingPeriod, area: ListArea | None = None) -> list[dict[str, Any]]:
    """Openings, endings, pauses and exceptions touching the month, by date; with `area`, of
    the customers who lived in its municipality at the month's end or of its kitchen (the one
    that delivered the service at the month's end, by name), as the figures count them."""
    first, last = period.first_day, period.last_day
    names = (
        MealService.id,
        MealService.customer,
        MealService.customer.first_name,
        MealService.customer.last_name,
    )
    rows: list[dict[str, Any]] = []
    opened = await MealService.select(MealService.start_date, *names).where(
        (MealService.start_date >= first)
        & (MealService.start_date <= last)
        & (MealService.status != "opening_requested")
    )
    rows += [_deviation(r["start_date"], r, N_("Opening"), "") for r in opened]
    ended = await MealService.select(MealService.end_date, MealService.ending_reason, *names).where(
        (MealService.end_date >= first) & (MealService.end_date <= last)
    )
    rows += [_deviation(r["end_date"], r, N_("Ending"), r["ending_reason"]) for r in ended]
    pause: Any = MealPause.service
    pauses = await MealPause.select(
        MealPause.start_date,
        MealPause.end_date,
        MealPause.reason,
        pause.id,
        pause.customer,
        pause.customer.first_name,
        pause.customer.last_name,
    ).where(
        (MealPause.start_date <= last)
        & (MealPause.end_date.is_null() | (MealPause.end_date >= first))
    )
    for p in pauses:
        until = fmt_date(p["end_date"]) if p["end_date"] else "…"
        rows.append(
            _deviation(p["start_date"], p, N_("Paused"), f"–{until} {p['reason']}", "service.")
        )
    exc: Any = MealException.service
    exceptions = await MealException.select(
        MealException.day,
        MealException.kind,
        MealException.product,
        MealException.quantity,
        MealException.note,
        exc.id,
        exc.customer,
        exc.customer.first_name,
        exc.customer.last_name,
    ).where((MealException.day >= first) & (MealException.day <= last))
    for e in exceptions:
        what = label("meals.exception_kind", e["kind"])
        if e["kind"] != "cancel":
            what += f": {gettext(e['product'])} ×{e['quantity']}"
        rows.append(
            _deviation(e["day"], e, N_("Exception"), f"{what} {e['note']}".strip(), "service.")
        )
    if area:
        living = await customers_living_in(area, last)
        chosen = None if living is None else set(living)
        kitchens = await kitchens_at(last, {r["service_id"] for r in rows}) if area.unit else {}
        rows = [
            r
            for r in rows
            if (chosen is None or r["customer_id"] in chosen)
            and (not area.unit or kitchens.get(r["service_id"]) == area.unit)
        ]
    return sorted(rows, key=lambda r: (r["date"], r["customer"]))


def _deviation(
    day: dt.date, row: dict[str, Any], kind: str, details: str, prefix: str = ""
) -> dict[str, Any]:
    return {
        "date": day,
        "customer_id": row[f"{prefix}customer"],
        "customer": _name(row, f"{prefix}customer."),
        "kind": kind,
        "details": details,
        "service_id": row[f"{prefix}id"],
    }


def deviation_rows(rows: list[dict[str, Any]]) -> list[list[Cell]]:
    return [
        [r["date"].isoformat(), r["customer_id"], r["customer"], gettext(r["kind"]), r["details"]]
        for r in rows
    ]


async def transport(
    period: BillingPeriod, settings: MealSettings, area: ListArea | None = None
) -> list[dict[str, Any]]:
    """Per kitchen and route: customers served, deliveries made and meals eaten in the month;
    with `area`, of the customers who lived in its municipality at the month's end or of its
    kitchen."""
    services = await load_services(period.first_day, period.last_day)
    living = await customers_living_in(area, period.last_day) if area else None
    if living is not None:
        chosen = set(living)
        services = [s for s in services if s.row["customer"] in chosen]
    totals: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"customers": 0, "deliveries": 0, "meals": 0}
    )
    for service in services:
        schedule = compute_schedule(
            service.plan, period.first_day, period.last_day, settings.holiday_rule
        )
        served: set[tuple[str, str]] = set()
        for day in schedule.deliveries:
            key = _route_key(service, day)
            totals[key]["deliveries"] += 1
            served.add(key)
        for day, meals in schedule.meals.items():
            key = _route_key(service, day)
            totals[key]["meals"] += sum(meals.values())
            served.add(key)
        for key in served:
            totals[key]["customers"] += 1
    unit = area.unit if area else ""
    return [
        {"kitchen": k, "route": r, **v}
        for (k, r), v in sorted(totals.items())
        if not unit or k == unit
    ]


def _route_key(service: LoadedService, day: dt.date) -> tuple[str, str]:
    """The kitchen and route assigned on `day` (the current ones if no history covers it)."""
    assignment = service.assignment_on(day)
    if assignment is not None:
        return assignment.kitchen_name, assignment.route_name
    return service.row["kitchen.name"] or "", service.row["route.name"] or ""


def transport_rows(rows: list[dict[str, Any]]) -> list[list[Cell]]:
    return [[r["kitchen"], r["route"], r["customers"], r["deliveries"], r["meals"]] for r in rows]
