"""Loading services' plans set-based: a handful of queries for any number of services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.common.errors import NotFound
from plugins.meals.schedule import DELIVERY_LOOKAHEAD, DayException, OrderLine, Pause, ServicePlan
from plugins.meals.tables import MealException, MealOrderLine, MealPause, MealService

BILLABLE = ("active", "paused", "ending_requested", "ended")


@dataclass
class LoadedService:
    """A service row with its plan; `row` holds the service columns and customer details."""

    row: dict[str, Any]
    plan: ServicePlan


BILLING_COLUMNS = (
    MealService.id,
    MealService.customer,
    MealService.status,
    MealService.start_date,
    MealService.end_date,
)
SERVICE_COLUMNS = (
    MealService.id,
    MealService.customer,
    MealService.status,
    MealService.start_date,
    MealService.end_date,
    MealService.diet,
    MealService.kitchen,
    MealService.route,
    MealService.route_stop,
    MealService.door_notes,
    MealService.kitchen.name,
    MealService.route.name,
    MealService.customer.first_name,
    MealService.customer.last_name,
    MealService.customer.street_address,
    MealService.customer.postal_code,
    MealService.customer.municipality,
)


def _service_condition(
    first: dt.date, last: dt.date, kitchen_id: int | None, route_id: int | None
) -> Any:
    condition = (
        MealService.status.is_in(list(BILLABLE))
        & (MealService.start_date <= last + DELIVERY_LOOKAHEAD)
        & (MealService.end_date.is_null() | (MealService.end_date >= first))
    )
    if kitchen_id is not None:
        condition &= MealService.kitchen == kitchen_id
    if route_id is not None:
        condition &= MealService.route == route_id
    return condition


def _joined(column_owner: Any, first: dt.date, last: dt.date) -> Any:
    """The service condition, seen through a child table's `service` foreign key."""
    service = column_owner.service
    return (
        service.status.is_in(list(BILLABLE))
        & (service.start_date <= last + DELIVERY_LOOKAHEAD)
        & (service.end_date.is_null() | (service.end_date >= first))
    )


async def load_services(
    first: dt.date,
    last: dt.date,
    kitchen_id: int | None = None,
    route_id: int | None = None,
    details: bool = True,
) -> list[LoadedService]:
    """Every billable service touching first..last (plus delivery look-ahead), with its plan;
    `details` adds kitchen, route, diet, door notes and the customer's name and address."""
    horizon = last + DELIVERY_LOOKAHEAD
    columns = SERVICE_COLUMNS if details else BILLING_COLUMNS
    rows = await MealService.select(*columns).where(
        _service_condition(first, last, kitchen_id, route_id)
    )
    loaded = {r["id"]: LoadedService(r, ServicePlan(r["start_date"], r["end_date"])) for r in rows}
    if not loaded:
        return []
    if kitchen_id is None and route_id is None:

        def of_services(child: Any) -> Any:
            return _joined(child, first, last)

    else:  # one kitchen's or route's services: a short id list beats a join

        def of_services(child: Any) -> Any:
            return child.service.is_in(list(loaded))

    lines = await MealOrderLine.select(
        MealOrderLine.service,
        MealOrderLine.weekday,
        MealOrderLine.product,
        MealOrderLine.quantity,
        MealOrderLine.delivery_weekday,
        MealOrderLine.valid_from,
        MealOrderLine.valid_to,
    ).where(
        of_services(MealOrderLine)
        & (MealOrderLine.valid_from <= horizon)
        & (MealOrderLine.valid_to.is_null() | (MealOrderLine.valid_to >= first))
    )
    exceptions = await MealException.select(
        MealException.service,
        MealException.day,
        MealException.kind,
        MealException.product,
        MealException.quantity,
    ).where(
        of_services(MealException) & (MealException.day >= first) & (MealException.day <= horizon)
    )
    pauses = await MealPause.select(
        MealPause.service, MealPause.start_date, MealPause.end_date
    ).where(
        of_services(MealPause)
        & (MealPause.start_date <= horizon)
        & (MealPause.end_date.is_null() | (MealPause.end_date >= first))
    )
    _attach(loaded, lines, exceptions, pauses)
    return list(loaded.values())


def _attach(
    loaded: dict[int, LoadedService],
    lines: Sequence[dict[str, Any]],
    exceptions: Sequence[dict[str, Any]],
    pauses: Sequence[dict[str, Any]],
) -> None:
    for ln in lines:
        if ln["service"] in loaded:
            loaded[ln["service"]].plan.lines.append(
                OrderLine(
                    ln["weekday"],
                    ln["product"],
                    ln["quantity"],
                    ln["delivery_weekday"],
                    ln["valid_from"],
                    ln["valid_to"],
                )
            )
    for ex in exceptions:
        if ex["service"] in loaded:
            plan = loaded[ex["service"]].plan
            plan.exceptions.setdefault(ex["day"], []).append(
                DayException(ex["day"], ex["kind"], ex["product"], ex["quantity"])
            )
    for pause in pauses:
        if pause["service"] in loaded:
            loaded[pause["service"]].plan.pauses.append(
                Pause(pause["start_date"], pause["end_date"])
            )


async def load_plan(service_id: int) -> ServicePlan:
    """One service's complete plan (all history), whatever its status."""
    row = (
        await MealService.select(MealService.start_date, MealService.end_date)
        .where(MealService.id == service_id)
        .first()
    )
    if row is None:
        raise NotFound(f"meal service {service_id}")
    plan = ServicePlan(row["start_date"], row["end_date"])
    lines = await MealOrderLine.select().where(MealOrderLine.service == service_id)
    exceptions = await MealException.select().where(MealException.service == service_id)
    pauses = await MealPause.select().where(MealPause.service == service_id)
    loaded = {service_id: LoadedService({}, plan)}
    _attach(loaded, lines, exceptions, pauses)
    return plan
