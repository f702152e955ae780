"""The meal-service lifecycle: opening, completion, order changes, exceptions, pauses, ending.

Plain async functions; call them inside `core.db.transaction()`. Each writes its audit entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from plugins.meals import decisions, diets, forms
from plugins.meals.forms import WeeklyOrder
from plugins.meals.metrics import in_kitchen_at
from plugins.meals.plans import load_plan
from plugins.meals.schedule import (
    DayException,
    meals_on,
    meals_with_exception,
    planned_delivery,
)
from plugins.meals.settings import MealSettings
from plugins.meals.tables import (
    DeliveryRoute,
    Kitchen,
    MealChangeReport,
    MealException,
    MealOrderLine,
    MealPause,
    MealRouteAssignment,
    MealService,
)
from valvomo.api import (
    CLOSED_BY_ACTION,
    HELSINKI,
    N_,
    Actor,
    BillingPeriod,
    CachedQuery,
    Customer,
    ListArea,
    NotFound,
    TaskKind,
    ValidationFailed,
    audit,
    close_tasks,
    create_task,
    customers_living_in,
    decision_date_problems,
    decision_values,
    get_customer,
    now,
    parse_form,
    search_condition,
    today,
    update_versioned,
)

COORDINATOR = "meal_coordinator"
KITCHEN = "kitchen"
OPENING_TASK = TaskKind(
    "meals.opening",
    N_("Complete a meal service opening"),
    COORDINATOR,
    link="/meals/services/{meal_service}/complete",
    closed_by=CLOSED_BY_ACTION,
)
ENDING_TASK = TaskKind(
    "meals.ending",
    N_("Decide on ending a meal service"),
    "client_guidance",
    link="/meals/services/{meal_service}/decide",
    closed_by=CLOSED_BY_ACTION,
)
STATUSES = {
    "opening_requested": N_("Opening requested"),
    "active": N_("Active"),
    "paused": N_("Paused"),
    "ending_requested": N_("Ending requested"),
    "ended": N_("Ended"),
}
RUNNING = ("active", "paused")
CHANGEABLE = (*RUNNING, "ending_requested")  # a service whose order, route or days may change
MAX_SEARCH_MATCHES = 2000
DIET_KEY_LENGTH = 400  # meals_service.diet
EXCEPTION_KINDS = {
    "cancel": N_("Cancel the day's meals"),
    "extra": N_("Extra meals"),
    "replace": N_("Another product"),
}


async def get_service(service_id: int) -> dict[str, Any]:
    row = await MealService.select().where(MealService.id == service_id).first()
    if row is None:
        raise NotFound(f"meal service {service_id}")
    return row


_LATEST_SERVICE = CachedQuery(
    lambda customer_id: (
        MealService.select()
        .where(MealService.customer == customer_id)
        .order_by(MealService.id, ascending=False)
        .limit(1)
    )
)


async def current_service(customer_id: int) -> dict[str, Any] | None:
    """The customer's latest meal service (ended ones too)."""
    rows: list[dict[str, Any]] = await _LATEST_SERVICE(customer_id)
    return rows[0] if rows else None


def takes_exceptions(service: dict[str, Any]) -> bool:
    return service["status"] in CHANGEABLE


def _require_status(service: dict[str, Any], allowed: tuple[str, ...], field: str) -> None:
    if service["status"] not in allowed:
        raise ValidationFailed({field: N_("Not possible in the service's current state.")})


def opening_choice(
    data: dict[str, Any], settings: MealSettings, errors: dict[str, str]
) -> diets.DietChoice:
    """The diets, allergies and texture of an opening; a request naming one `diet` code
    only (API clients, older forms) gives that diet alone."""
    legacy = str(data.get("diet") or "").strip()
    if legacy and not data.get("texture"):
        if legacy not in dict(settings.offered("diets")):
            errors["diet"] = N_("Choose a diet.")
        return diets.DietChoice.opening(legacy)
    choice = diets.parse_choice(data, settings, errors)
    if len(choice.key) > DIET_KEY_LENGTH:
        errors["diets"] = N_("Too many diets and allergies for one customer.")
    return choice


async def open_service(
    actor: Actor, customer_id: int, data: dict[str, Any], settings: MealSettings
) -> int:
    """Client guidance enters an opening; it lands in the meal coordinator's inbox."""
    customer = await get_customer(customer_id)
    errors: dict[str, str] = {}
    diet = opening_choice(data, settings, errors).key
    existing = await current_service(customer_id)
    if existing is not None and existing["status"] != "ended":
        errors["start_date"] = N_("The customer already has a meal service.")
    opening = parse_form(forms.OpeningForm, data, errors=errors)
    if problems := decision_date_problems(opening.decided_on, None):
        raise ValidationFailed(problems)
    start, requested = opening.start_date, opening.requested_meals
    values: dict[str, Any] = {
        "customer": customer_id,
        "status": "opening_requested",
        "start_date": start,
        "diet": diet,
        "requested_meals": requested,
        "door_notes": opening.door_notes,
        "created_at": now(),
    }
    rows = await MealService.insert(MealService(**values)).returning(MealService.id)
    service_id = int(rows[0]["id"])
    await audit.record(
        actor,
        "create",
        "meal_service",
        service_id,
        customer_id=customer_id,
        after={k: v for k, v in values.items() if k != "created_at"},
    )
    await create_task(
        actor,
        OPENING_TASK,
        f"{customer.full_name}: {requested[:200]}",
        customer_id=customer_id,
        payload={"meal_service": service_id},
    )
    decision = decision_values(opening)
    await decisions.record_decision(actor, service_id, customer, "opening", decision, start)
    return service_id


async def _check_route(data: dict[str, Any]) -> tuple[forms.RouteForm, dict[str, str]]:
    """Kitchen, route and stop number, and the problems with them: the route must belong to
    the kitchen."""
    route_form = parse_form(forms.RouteForm, data)
    kitchen_id, route_id = route_form.kitchen, route_form.route
    if not await Kitchen.exists().where(Kitchen.id == kitchen_id):
        return route_form, {"kitchen": N_("Choose a kitchen.")}
    route = (
        await DeliveryRoute.select(DeliveryRoute.kitchen)
        .where(DeliveryRoute.id == route_id)
        .first()
    )
    if route is None:
        return route_form, {"route": N_("Choose a delivery route.")}
    if route["kitchen"] != kitchen_id:
        return route_form, {"route": N_("The route belongs to another kitchen.")}
    return route_form, {}


async def _replace_order(service_id: int, order: WeeklyOrder, valid_from: dt.date) -> None:
    """Close the lines running on `valid_from` and add the new order from that day on."""
    later = (MealOrderLine.service == service_id) & (MealOrderLine.valid_from >= valid_from)
    await MealOrderLine.delete().where(later)
    running = (MealOrderLine.service == service_id) & (
        MealOrderLine.valid_to.is_null() | (MealOrderLine.valid_to >= valid_from)
    )
    await MealOrderLine.update({MealOrderLine.valid_to: valid_from - dt.timedelta(days=1)}).where(
        running
    )
    await MealOrderLine.insert(
        *[
            MealOrderLine(
                service=service_id,
                weekday=weekday,
                product=product,
                quantity=quantity,
                delivery_weekday=order.delivery_weekdays[weekday],
                valid_from=valid_from,
            )
            for (weekday, product), quantity in sorted(order.quantities.items())
        ]
    )


async def _assign_route(service_id: int, kitchen_id: int, route_id: int, from_day: dt.date) -> None:
    """Close the running kitchen and route assignment and start the new one on `from_day`."""
    later = (MealRouteAssignment.service == service_id) & (
        MealRouteAssignment.valid_from >= from_day
    )
    await MealRouteAssignment.delete().where(later)
    running = (MealRouteAssignment.service == service_id) & (
        MealRouteAssignment.valid_to.is_null() | (MealRouteAssignment.valid_to >= from_day)
    )
    await MealRouteAssignment.update(
        {MealRouteAssignment.valid_to: from_day - dt.timedelta(days=1)}
    ).where(running)
    await MealRouteAssignment.insert(
        MealRouteAssignment(
            service=service_id, kitchen=kitchen_id, route=route_id, valid_from=from_day
        )
    )


def _order_audit(order: WeeklyOrder) -> dict[str, Any]:
    return {
        "order": {f"{w}:{p}": q for (w, p), q in sorted(order.quantities.items())},
        "delivery_weekdays": {str(w): d for w, d in sorted(order.delivery_weekdays.items())},
    }


async def complete_opening(
    actor: Actor, service_id: int, version: int, data: dict[str, Any], settings: MealSettings
) -> None:
    """The coordinator adds kitchen, route and weekly order; the service becomes active."""
    service = await get_service(service_id)
    _require_status(service, ("opening_requested",), "kitchen")
    route_form, errors = await _check_route(data)
    order = forms.parse_weekly_order(data, settings, errors)
    kitchen_id, route_id = route_form.kitchen, route_form.route
    changes = {
        "status": "active",
        "kitchen": kitchen_id,
        "route": route_id,
        "route_stop": route_form.route_stop,
        "door_notes": route_form.door_notes or service["door_notes"],
    }
    await update_versioned(
        MealService,
        service_id,
        version,
        {getattr(MealService, k): v for k, v in changes.items()},
        data,
    )
    await _replace_order(service_id, order, service["start_date"])
    await _assign_route(service_id, kitchen_id, route_id, service["start_date"])
    await audit.record(
        actor,
        "update",
        "meal_service",
        service_id,
        customer_id=service["customer"],
        before={"status": service["status"]},
        after={**changes, **_order_audit(order)},
    )
    await _close_tasks(actor, OPENING_TASK, service, "completed")


async def change_order(
    actor: Actor, service_id: int, version: int, data: dict[str, Any], settings: MealSettings
) -> None:
    """A new weekly order from `valid_from` on; the old one stays in history."""
    service = await get_service(service_id)
    _require_status(service, (*RUNNING, "ending_requested"), "valid_from")
    valid_from = parse_form(forms.ValidFromForm, data).valid_from
    errors: dict[str, str] = {}
    if valid_from < service["start_date"]:
        errors["valid_from"] = N_("The change cannot start before the service starts.")
    order = forms.parse_weekly_order(data, settings, errors)
    await update_versioned(MealService, service_id, version, {}, data)
    await _replace_order(service_id, order, valid_from)
    await audit.record(
        actor,
        "update",
        "meal_order",
        service_id,
        customer_id=service["customer"],
        after={"valid_from": valid_from, **_order_audit(order)},
    )


async def update_delivery(
    actor: Actor, service_id: int, version: int, data: dict[str, Any], settings: MealSettings
) -> None:
    """Kitchen, route, stop and door/key notes; a new kitchen or route applies from today on
    (the assignment history keeps the earlier one for past days). Diets change from a date
    of their own (`diets.change_diet`)."""
    service = await get_service(service_id)
    _require_status(service, (*RUNNING, "ending_requested"), "kitchen")
    route_form, errors = await _check_route(data)
    if errors:
        raise ValidationFailed(errors)
    kitchen_id, route_id = route_form.kitchen, route_form.route
    after = {
        "kitchen": kitchen_id,
        "route": route_id,
        "route_stop": route_form.route_stop,
        "door_notes": route_form.door_notes,
    }
    await update_versioned(
        MealService,
        service_id,
        version,
        {getattr(MealService, k): v for k, v in after.items()},
        data,
    )
    if (kitchen_id, route_id) != (service["kitchen"], service["route"]):
        await _assign_route(service_id, kitchen_id, route_id, max(today(), service["start_date"]))
    before, after = audit.changes(service, after)
    await audit.record(
        actor,
        "update",
        "meal_service",
        service_id,
        customer_id=service["customer"],
        before=before,
        after=after,
    )


async def add_exception(
    actor: Actor,
    service_id: int,
    data: dict[str, Any],
    settings: MealSettings,
    reported_by: str = "",
) -> int:
    """One day differs: the day must have a delivered standing order. `reported_by` is
    "customer" or "proxy" for an absence reported online (core.citizen)."""
    await _plan_changed(service_id)  # first: see `_plan_changed`
    service = await get_service(service_id)
    _require_status(service, CHANGEABLE, "day")
    exception = parse_form(forms.ExceptionForm, data, choices={"kind": EXCEPTION_KINDS})
    day, kind, product, quantity = (
        exception.day,
        exception.kind,
        exception.product,
        exception.quantity,
    )
    errors: dict[str, str] = {}
    if kind in ("extra", "replace") and product not in settings.products:
        errors["product"] = N_("Choose a meal product.")
    if kind == "extra" and quantity == 0:
        errors["quantity"] = N_("Enter how many extra meals.")
    plan = await load_plan(service_id)
    if plan.exceptions.get(day):
        errors["day"] = N_("This day already has an exception.")
    elif not meals_on(plan, day) or planned_delivery(plan, day) is None:
        errors["day"] = N_("The customer has no meals delivered on this day.")
    elif kind in ("extra", "replace") and "quantity" not in errors:
        after = meals_with_exception(plan, DayException(day, kind, product, quantity))
        if max(after.values(), default=0) > forms.MAX_MEALS_PER_DAY:
            errors["quantity"] = N_("At most 10 meals of a product a day.")
    if errors:
        raise ValidationFailed(errors)
    cancel = kind == "cancel"
    values: dict[str, Any] = {
        "day": day,
        "kind": kind,
        "product": "" if cancel else product,
        "quantity": 0 if cancel else quantity,
        "note": exception.note,
        "reported_by": reported_by,
    }
    rows = await MealException.insert(MealException(service=service_id, **values)).returning(
        MealException.id
    )
    await audit.record(
        actor,
        "create",
        "meal_exception",
        rows[0]["id"],
        customer_id=service["customer"],
        after=values,
    )
    return int(rows[0]["id"])


async def remove_exception(actor: Actor, service_id: int, exception_id: int) -> dict[str, Any]:
    """Remove one day's exception; returns the removed row (for an undo)."""
    await _plan_changed(service_id)  # first: see `_plan_changed`
    service = await get_service(service_id)
    row = (
        await MealException.select()
        .where((MealException.id == exception_id) & (MealException.service == service_id))
        .first()
    )
    if row is None:
        raise NotFound(f"meal exception {exception_id}")
    await MealException.delete().where(MealException.id == exception_id)
    await audit.record(
        actor,
        "delete",
        "meal_exception",
        exception_id,
        customer_id=service["customer"],
        before={"day": row["day"], "kind": row["kind"]},
    )
    return dict(row)


async def _plan_changed(service_id: int) -> None:
    """A new service version for a change made without the service form (an exception): the
    recorded meal days (`ledger`) of the changed months are then written again. Called before
    the change is checked: the update locks the service row until commit, so two coordinators
    changing the same service's exceptions are checked one after the other, never both against
    the same old state (SQLite's write lock already serialises them)."""
    await MealService.update({MealService.version: MealService.version + 1}).where(
        MealService.id == service_id
    )


def overlaps(start: dt.date, end: dt.date | None, pause: dict[str, Any]) -> bool:
    other_end = pause["end_date"]
    return (end is None or pause["start_date"] <= end) and (other_end is None or start <= other_end)


async def pause_service(actor: Actor, service_id: int, version: int, data: dict[str, Any]) -> int:
    """A pause with a reason and an optional end; without an end it lasts until reactivation."""
    service = await get_service(service_id)
    _require_status(service, ("active", "ending_requested"), "start_date")
    pause = parse_form(forms.PauseForm, data)
    start, end, reason = pause.start_date, pause.end_date, pause.reason
    errors: dict[str, str] = {}
    if start < service["start_date"]:
        errors["start_date"] = N_("The pause cannot start before the service starts.")
    pauses = await MealPause.select().where(MealPause.service == service_id)
    if any(overlaps(start, end, p) for p in pauses):
        errors["start_date"] = N_("The pause overlaps another pause.")
    if errors:
        raise ValidationFailed(errors)
    status = "paused" if end is None and service["status"] == "active" else service["status"]
    await update_versioned(MealService, service_id, version, {MealService.status: status}, data)
    rows = await MealPause.insert(
        MealPause(service=service_id, start_date=start, end_date=end, reason=reason)
    ).returning(MealPause.id)
    await audit.record(
        actor,
        "create",
        "meal_pause",
        rows[0]["id"],
        customer_id=service["customer"],
        after={"start_date": start, "end_date": end, "reason": reason, "status": status},
    )
    return int(rows[0]["id"])


async def reactivate_service(
    actor: Actor, service_id: int, version: int, data: dict[str, Any]
) -> None:
    """End the open pause: meals run again from `resume_date`."""
    service = await get_service(service_id)
    _require_status(service, ("paused",), "resume_date")
    resume = parse_form(forms.ResumeForm, data).resume_date
    pause = (
        await MealPause.select()
        .where((MealPause.service == service_id) & MealPause.end_date.is_null())
        .first()
    )
    if pause is not None and resume <= pause["start_date"]:
        raise ValidationFailed({"resume_date": N_("Meals resume after the pause has started.")})
    await update_versioned(MealService, service_id, version, {MealService.status: "active"}, data)
    if pause is not None:
        last_paused = resume - dt.timedelta(days=1)
        await MealPause.update(
            {MealPause.end_date: last_paused, MealPause.version: MealPause.version + 1}
        ).where(MealPause.id == pause["id"])
    await audit.record(
        actor,
        "update",
        "meal_service",
        service_id,
        customer_id=service["customer"],
        before={"status": "paused"},
        after={"status": "active", "resume_date": resume},
    )


async def request_ending(actor: Actor, service_id: int, version: int, data: dict[str, Any]) -> None:
    """The coordinator ends the service; client guidance decides."""
    service = await get_service(service_id)
    _require_status(service, RUNNING, "end_date")
    ending = parse_form(forms.EndingRequestForm, data)
    end, reason = ending.end_date, ending.ending_reason
    if end < service["start_date"]:
        raise ValidationFailed({"end_date": N_("The end date is before the start date.")})
    changes = {
        "status": "ending_requested",
        "end_date": end,
        "ending_reason": reason,
        "ending_requested_on": today(),
    }
    await update_versioned(
        MealService,
        service_id,
        version,
        {getattr(MealService, k): v for k, v in changes.items()},
        data,
    )
    await audit.record(
        actor,
        "update",
        "meal_service",
        service_id,
        customer_id=service["customer"],
        before={"status": service["status"]},
        after=changes,
    )
    customer = await get_customer(service["customer"])
    await create_task(
        actor,
        ENDING_TASK,
        f"{customer.full_name}: {end.isoformat()} {reason[:200]}",
        customer_id=service["customer"],
        payload={"meal_service": service_id},
    )


async def decide_ending(actor: Actor, service_id: int, version: int, data: dict[str, Any]) -> int:
    """Client guidance's formal decision: date, decision maker, basis and the last day of
    meals (the requested end date unless changed). Meals go on until that day; the customer
    is sent a notice. Completes the inbox task."""
    service = await get_service(service_id)
    _require_status(service, ("ending_requested",), "decided_on")
    requested_on = service["ending_requested_on"] or service["created_at"].date()
    ending = parse_form(forms.EndingDecisionForm, data)
    errors = decision_date_problems(ending.decided_on, requested_on)
    effective = ending.effective_date or service["end_date"]
    if effective is not None and effective < service["start_date"]:
        errors["effective_date"] = N_("The end date is before the start date.")
    if errors:
        raise ValidationFailed(errors)
    decision = decision_values(ending)
    await update_versioned(
        MealService,
        service_id,
        version,
        {MealService.status: "ended", MealService.end_date: effective},
        data,
    )
    await audit.record(
        actor,
        "update",
        "meal_service",
        service_id,
        customer_id=service["customer"],
        before={"status": service["status"], "end_date": service["end_date"]},
        after={"status": "ended", "end_date": effective},
    )
    customer = await get_customer(service["customer"])
    decision_id = await decisions.record_decision(
        actor, service_id, customer, "ending", decision, effective
    )
    await _close_tasks(actor, ENDING_TASK, service, "decided")
    return decision_id


async def _close_tasks(actor: Actor, kind: TaskKind, service: dict[str, Any], outcome: str) -> None:
    """Completing the work on the service page also completes its inbox task."""
    await close_tasks(actor, kind, service["customer"], {"meal_service": service["id"]}, outcome)


async def end_for_deceased(actor: Actor, customer_id: int, died_on: dt.date) -> None:
    """The customer died: the service ends on that day at once, without a decision task,
    and open inbox tasks about it are completed."""
    service = await current_service(customer_id)
    if service is None or service["status"] == "ended":
        return
    end = max(died_on, service["start_date"])
    if service["end_date"] is not None:
        end = min(end, service["end_date"])
    changes = {"status": "ended", "end_date": end, "ending_reason": "deceased"}
    await MealService.update(
        {
            **{getattr(MealService, k): v for k, v in changes.items()},
            MealService.version: MealService.version + 1,
        }
    ).where(MealService.id == service["id"])
    await audit.record(
        actor,
        "update",
        "meal_service",
        service["id"],
        customer_id=customer_id,
        before={"status": service["status"], "end_date": service["end_date"]},
        after=changes,
    )
    for kind in (OPENING_TASK, ENDING_TASK):
        await _close_tasks(actor, kind, service, "customer deceased")


def start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in Helsinki."""
    return dt.datetime.combine(day, dt.time(), tzinfo=HELSINKI)


def status_label(service: dict[str, Any], day: dt.date) -> tuple[str, dict[str, Any]]:
    """What the service's status reads as on `day`: an ending decided for a later day shows
    "ending decided, meals until …"; a planned pause is not yet a status."""
    if service["status"] == "ended" and service["end_date"] and service["end_date"] >= day:
        return N_("Ending decided, meals until %(date)s"), {"date": service["end_date"]}
    return STATUSES.get(service["status"], service["status"]), {}


@dataclass(frozen=True)
class ServiceFilter:
    """What the services list shows: a status, kitchen or route, services changed this week,
    and a customer search (name, phone, identity code or customer number)."""

    status: str = ""
    kitchen: int = 0
    route: int = 0
    changed_this_week: bool = False
    query: str = ""
    municipality: str = ""  # the customer's municipality in the register
    # a month's first day: the services running at some time in it (opened ones), with the
    # municipality and kitchen at its end, as the situational picture counts its customers
    month: dt.date | None = None


async def changed_between(first: dt.date, last: dt.date) -> set[int]:
    """Services with a change taking effect first..last: a start or end, an order or route
    change, a pause starting or ending, an exception, or a reported change."""
    queries = [
        MealService.select(MealService.id).where(
            ((MealService.start_date >= first) & (MealService.start_date <= last))
            | ((MealService.end_date >= first) & (MealService.end_date <= last))
        ),
        MealOrderLine.select(MealOrderLine.service.as_alias("id")).where(
            (MealOrderLine.valid_from >= first) & (MealOrderLine.valid_from <= last)
        ),
        MealRouteAssignment.select(MealRouteAssignment.service.as_alias("id")).where(
            (MealRouteAssignment.valid_from >= first) & (MealRouteAssignment.valid_from <= last)
        ),
        MealPause.select(MealPause.service.as_alias("id")).where(
            ((MealPause.start_date >= first) & (MealPause.start_date <= last))
            | ((MealPause.end_date >= first) & (MealPause.end_date <= last))
        ),
        MealException.select(MealException.service.as_alias("id")).where(
            (MealException.day >= first) & (MealException.day <= last)
        ),
        MealChangeReport.select(MealChangeReport.service.as_alias("id")).where(
            MealChangeReport.reported_at >= start_of(first)
        ),
    ]
    found: set[int] = set()
    for query in queries:
        found.update(int(r["id"]) for r in await query)
    return found


async def matching_service_ids(query: str, limit: int) -> list[int]:
    """Up to `limit` services of the customers a search finds (none for an empty search)."""
    if not query.strip():
        return []
    customers = Customer.select(Customer.id).where(search_condition(query)).limit(limit + 1)
    ids = [r["id"] for r in await customers]
    if len(ids) > limit:
        return [0] * (limit + 1)  # more customers than asked for: no single match
    rows = await MealService.select(MealService.id).where(MealService.customer.is_in(ids or [0]))
    return [r["id"] for r in rows][: limit + 1]


async def _in_month(filters: ServiceFilter) -> list[Any]:
    """The conditions of `filters.month`: opened services running at some time in the month, of
    its kitchen and of the customers of its municipality at the month's end."""
    assert filters.month is not None
    period = BillingPeriod(filters.month.year, filters.month.month)
    first, last = period.first_day, period.last_day
    conditions: list[Any] = [
        (MealService.start_date <= last)
        & (MealService.end_date.is_null() | (MealService.end_date >= first))
        & (MealService.status != "opening_requested")
    ]
    if filters.kitchen:
        conditions.append(in_kitchen_at(filters.kitchen, last))
    if filters.municipality:
        living = await customers_living_in(ListArea(filters.municipality), last)
        conditions.append(MealService.customer.is_in(living or [0]))
    return conditions


async def list_services(
    filters: ServiceFilter, page: int, page_size: int
) -> tuple[int, list[dict[str, Any]]]:
    """One page of services by customer name, filtered; and the total."""
    conditions: list[Any] = []
    if filters.status in STATUSES:
        conditions.append(MealService.status == filters.status)
    if filters.month:
        conditions += await _in_month(filters)
    else:
        if filters.kitchen:
            conditions.append(MealService.kitchen == filters.kitchen)
        if filters.municipality:
            conditions.append(MealService.customer.municipality == filters.municipality)
    if filters.route:
        conditions.append(MealService.route == filters.route)
    if filters.changed_this_week:
        monday = today() - dt.timedelta(days=today().weekday())
        ids = await changed_between(monday, monday + dt.timedelta(days=6))
        conditions.append(MealService.id.is_in(sorted(ids) or [0]))
    if filters.query.strip():
        # A sub-select, not a list of ids: one statement each for the page and the count, and
        # no list of up to 2,000 numbers to send and plan twice.
        matching = (
            Customer.select(Customer.id)
            .where(search_condition(filters.query))
            .limit(MAX_SEARCH_MATCHES)
        )
        conditions.append(MealService.customer.is_in(matching))
    query = (
        MealService.select(
            MealService.id,
            MealService.status,
            MealService.start_date,
            MealService.end_date,
            MealService.customer,
            MealService.customer.first_name,
            MealService.customer.last_name,
            MealService.customer.phone,
            MealService.kitchen.name,
            MealService.route.name,
        )
        .order_by(MealService.customer.last_name, MealService.customer.first_name)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    count = MealService.count()
    if conditions:
        condition = conditions[0]
        for extra in conditions[1:]:
            condition &= extra
        query, count = query.where(condition), count.where(condition)
    return await count, await query
