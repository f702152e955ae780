"""Loading services' plans set-based: a handful of queries for any number of services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from plugins.meals.diets import DietChoice, DietPeriod, choice_on, period_of_row
from plugins.meals.schedule import (
    DELIVERY_LOOKAHEAD,
    DayException,
    OrderLine,
    Pause,
    Schedule,
    ServicePlan,
    compute_schedule,
)
from plugins.meals.tables import (
    MealDietPeriod,
    MealException,
    MealOrderLine,
    MealPause,
    MealRouteAssignment,
    MealService,
)
from valvomo.api import CachedQuery, NotFound, in_conditions

BILLABLE = ("active", "paused", "ending_requested", "ended")


@dataclass(frozen=True)
class Assignment:
    kitchen: int
    route: int
    kitchen_name: str
    route_name: str
    valid_from: dt.date
    valid_to: dt.date | None

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass
class LoadedService:
    """A service row with its plan; `row` holds the service columns and customer details,
    `assignments` the kitchen and route history (loaded with details)."""

    row: dict[str, Any]
    plan: ServicePlan
    assignments: list[Assignment] = field(default_factory=list)
    diet_periods: list[DietPeriod] = field(default_factory=list)
    # (day, holiday rule) → the plan's schedule of that one day, computed once per load: a
    # kitchen's printout asks for each day again per route and for the previous lists.
    day_schedules: dict[tuple[dt.date, str], Schedule] = field(
        default_factory=dict, repr=False, compare=False
    )
    day_assignments: dict[dt.date, Assignment | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    def schedule_of_day(self, day: dt.date, holiday_rule: str) -> Schedule:
        """`compute_schedule(plan, day, day, holiday_rule)`, kept for later calls."""
        schedule = self.day_schedules.get((day, holiday_rule))
        if schedule is None:
            schedule = compute_schedule(self.plan, day, day, holiday_rule)
            self.day_schedules[(day, holiday_rule)] = schedule
        return schedule

    def assignment_on(self, day: dt.date) -> Assignment | None:
        if day in self.day_assignments:
            return self.day_assignments[day]
        found = next((a for a in self.assignments if a.covers(day)), None)
        if self.assignments:  # loaded (with details): kept for the printout's later calls
            self.day_assignments[day] = found
        return found

    def diet_on(self, day: dt.date) -> str:
        """The key of the diets, allergies and texture valid on `day` (loaded with details)."""
        return choice_on(self.diet_periods, DietChoice.opening(self.row["diet"]), day).key


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
    MealService.customer.phone,
)


def _service_condition(first: dt.date, last: dt.date) -> Any:
    return (
        MealService.status.is_in(list(BILLABLE))
        & (MealService.start_date <= last + DELIVERY_LOOKAHEAD)
        & (MealService.end_date.is_null() | (MealService.end_date >= first))
    )


async def load_services(
    first: dt.date,
    last: dt.date,
    kitchen_id: int | None = None,
    route_id: int | None = None,
    details: bool = True,
    service_ids: Sequence[int] | None = None,
) -> list[LoadedService]:
    """Every billable service touching first..last (plus delivery look-ahead), with its plan,
    or those of them delivered by a kitchen or route or listed in `service_ids`;
    `details` adds kitchen, route, diet, door notes and the customer's name and address."""
    horizon = last + DELIVERY_LOOKAHEAD
    columns = SERVICE_COLUMNS if details else BILLING_COLUMNS
    condition = _service_condition(first, last)
    if kitchen_id is not None or route_id is not None:  # a subquery: one statement, not two
        condition &= MealService.id.is_in(_assigned_services(first, last, kitchen_id, route_id))
    if service_ids is not None:
        condition &= MealService.id.is_in(list(service_ids) or [0])
    rows = await MealService.select(*columns).where(condition)
    loaded = {r["id"]: LoadedService(r, ServicePlan(r["start_date"], r["end_date"])) for r in rows}
    if not loaded:
        return []
    if kitchen_id is None and route_id is None and service_ids is None:
        # The whole region: rows of services not loaded are dropped in `_attach`; skipping
        # the join to the service table is faster than filtering through it.

        def of_services(child: Any) -> Any:
            return child.id.is_not_null()

    else:  # some services: a short id list beats a join
        ids = list(loaded)

        def of_services(child: Any) -> Any:
            # PostgreSQL: one array value, `= ANY($1)`, instead of Piccolo's work per id (a
            # kitchen's list of ~200 services spent a tenth of its CPU there); SQLite: IN (...)
            conditions = in_conditions(child.service, ids)
            return conditions[0] if len(conditions) == 1 else child.service.is_in(ids)

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
    if details:
        await _attach_assignments(loaded, of_services(MealRouteAssignment), first, horizon)
        await _attach_diets(loaded, of_services(MealDietPeriod), horizon)
    return list(loaded.values())


async def _attach_diets(loaded: dict[int, LoadedService], of_services: Any, last: dt.date) -> None:
    rows = (
        await MealDietPeriod.select(
            MealDietPeriod.service,
            MealDietPeriod.valid_from,
            MealDietPeriod.diets,
            MealDietPeriod.allergies,
            MealDietPeriod.texture,
        )
        .where(of_services & (MealDietPeriod.valid_from <= last))
        .order_by(MealDietPeriod.valid_from)
    )
    for row in rows:
        if row["service"] in loaded:
            loaded[row["service"]].diet_periods.append(period_of_row(row))


def _assigned_services(
    first: dt.date, last: dt.date, kitchen_id: int | None, route_id: int | None
) -> Any:
    """The ids of services the kitchen or route delivered at some time in first..last: a
    subquery."""
    condition = (MealRouteAssignment.valid_from <= last) & (
        MealRouteAssignment.valid_to.is_null() | (MealRouteAssignment.valid_to >= first)
    )
    if kitchen_id is not None:
        condition &= MealRouteAssignment.kitchen == kitchen_id
    if route_id is not None:
        condition &= MealRouteAssignment.route == route_id
    return MealRouteAssignment.select(MealRouteAssignment.service).where(condition)


async def _attach_assignments(
    loaded: dict[int, LoadedService], of_services: Any, first: dt.date, horizon: dt.date
) -> None:
    rows = await MealRouteAssignment.select(
        MealRouteAssignment.service,
        MealRouteAssignment.kitchen,
        MealRouteAssignment.route,
        MealRouteAssignment.kitchen.name,
        MealRouteAssignment.route.name,
        MealRouteAssignment.valid_from,
        MealRouteAssignment.valid_to,
    ).where(
        of_services
        & (MealRouteAssignment.valid_from <= horizon)
        & (MealRouteAssignment.valid_to.is_null() | (MealRouteAssignment.valid_to >= first))
    )
    for r in rows:
        if r["service"] in loaded:
            loaded[r["service"]].assignments.append(
                Assignment(
                    r["kitchen"],
                    r["route"],
                    r["kitchen.name"],
                    r["route.name"],
                    r["valid_from"],
                    r["valid_to"],
                )
            )


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
    plan, _exceptions = await plan_of_service(service_id, row["start_date"], row["end_date"])
    return plan


# A service's plan is read on every customer page and citizen front page: SQL built once.
_LINES_OF = CachedQuery(lambda sid: MealOrderLine.select().where(MealOrderLine.service == sid))
_EXCEPTIONS_OF = CachedQuery(lambda sid: MealException.select().where(MealException.service == sid))
_PAUSES_OF = CachedQuery(lambda sid: MealPause.select().where(MealPause.service == sid))


async def plan_of_service(
    service_id: int, start: dt.date, end: dt.date | None
) -> tuple[ServicePlan, list[dict[str, Any]]]:
    """`load_plan` for a service whose dates the caller has read already (one statement
    fewer), with the service's exception rows as read (their `reported_by` too)."""
    plan = ServicePlan(start, end)
    lines = await _LINES_OF(service_id)
    exceptions: list[dict[str, Any]] = await _EXCEPTIONS_OF(service_id)
    pauses = await _PAUSES_OF(service_id)
    loaded = {service_id: LoadedService({}, plan)}
    _attach(loaded, lines, exceptions, pauses)
    return plan, exceptions
