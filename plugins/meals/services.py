"""The meal-service lifecycle: opening, completion, order changes, exceptions, pauses, ending.

Plain async functions; call them inside `core.db.transaction()`. Each writes its audit entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.query.functions.aggregate import Count

from core.audit import services as audit
from core.audit.services import Actor
from core.common.clock import now, today
from core.common.errors import NotFound, ValidationFailed
from core.common.versioned import update_versioned
from core.customers.services import get_customer
from core.i18n import N_
from core.plugins import TaskKind
from core.tasks.services import create_task
from core.tasks.tables import Task
from plugins.meals import forms
from plugins.meals.forms import WeeklyOrder
from plugins.meals.plans import load_plan
from plugins.meals.schedule import meals_on, planned_delivery
from plugins.meals.settings import MealSettings
from plugins.meals.tables import (
    DeliveryRoute,
    Kitchen,
    MealException,
    MealOrderLine,
    MealPause,
    MealRouteAssignment,
    MealService,
)

COORDINATOR = "meal_coordinator"
KITCHEN = "kitchen"
OPENING_TASK = TaskKind("meals.opening", N_("Complete a meal service opening"), COORDINATOR)
ENDING_TASK = TaskKind("meals.ending", N_("Decide on ending a meal service"), "client_guidance")
STATUSES = {
    "opening_requested": N_("Opening requested"),
    "active": N_("Active"),
    "paused": N_("Paused"),
    "ending_requested": N_("Ending requested"),
    "ended": N_("Ended"),
}
RUNNING = ("active", "paused")
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


async def current_service(customer_id: int) -> dict[str, Any] | None:
    """The customer's latest meal service (ended ones too)."""
    return (
        await MealService.select()
        .where(MealService.customer == customer_id)
        .order_by(MealService.id, ascending=False)
        .first()
    )


def _require_status(service: dict[str, Any], allowed: tuple[str, ...], field: str) -> None:
    if service["status"] not in allowed:
        raise ValidationFailed({field: N_("Not possible in the service's current state.")})


async def open_service(
    actor: Actor, customer_id: int, data: dict[str, Any], settings: MealSettings
) -> int:
    """Client guidance enters an opening; it lands in the meal coordinator's inbox."""
    customer = await get_customer(customer_id)
    errors: dict[str, str] = {}
    start = forms.parse_date(data, "start_date", errors)
    diet = forms.text(data, "diet", 40)
    if diet not in settings.diets:
        errors["diet"] = N_("Choose a diet.")
    requested = forms.text(data, "requested_meals", 1000)
    if not requested:
        errors["requested_meals"] = N_("Describe the meals the customer needs.")
    existing = await current_service(customer_id)
    if existing is not None and existing["status"] != "ended":
        errors["start_date"] = N_("The customer already has a meal service.")
    if errors:
        raise ValidationFailed(errors)
    values: dict[str, Any] = {
        "customer": customer_id,
        "status": "opening_requested",
        "start_date": start,
        "diet": diet,
        "requested_meals": requested,
        "door_notes": forms.text(data, "door_notes", 1000),
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
    return service_id


async def _check_route(data: dict[str, Any], errors: dict[str, str]) -> tuple[int, int, int]:
    """Kitchen, route and stop number; the route must belong to the kitchen."""
    try:
        kitchen_id = int(str(data.get("kitchen", "")))
    except ValueError:
        kitchen_id = 0
    try:
        route_id = int(str(data.get("route", "")))
    except ValueError:
        route_id = 0
    stop = 0
    try:
        stop = int(str(data.get("route_stop", "0") or "0"))
        if not 0 <= stop <= 10_000:
            raise ValueError
    except ValueError:
        errors["route_stop"] = N_("Enter a stop number from 0 to 10,000.")
    if not await Kitchen.exists().where(Kitchen.id == kitchen_id):
        errors["kitchen"] = N_("Choose a kitchen.")
        return kitchen_id, route_id, stop
    route = (
        await DeliveryRoute.select(DeliveryRoute.kitchen)
        .where(DeliveryRoute.id == route_id)
        .first()
    )
    if route is None:
        errors["route"] = N_("Choose a delivery route.")
    elif route["kitchen"] != kitchen_id:
        errors["route"] = N_("The route belongs to another kitchen.")
    return kitchen_id, route_id, stop


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
    errors: dict[str, str] = {}
    kitchen_id, route_id, stop = await _check_route(data, errors)
    try:
        order = forms.parse_weekly_order(data, settings)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    changes = {
        "status": "active",
        "kitchen": kitchen_id,
        "route": route_id,
        "route_stop": stop,
        "door_notes": forms.text(data, "door_notes", 1000) or service["door_notes"],
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
    errors: dict[str, str] = {}
    valid_from = forms.parse_date(data, "valid_from", errors)
    if valid_from is not None and valid_from < service["start_date"]:
        errors["valid_from"] = N_("The change cannot start before the service starts.")
    try:
        order = forms.parse_weekly_order(data, settings)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors or valid_from is None:
        raise ValidationFailed(errors)
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
    """Kitchen, route, stop, diet and door/key notes; a new kitchen or route applies from
    today on (the assignment history keeps the earlier one for past days)."""
    service = await get_service(service_id)
    _require_status(service, (*RUNNING, "ending_requested"), "kitchen")
    errors: dict[str, str] = {}
    kitchen_id, route_id, stop = await _check_route(data, errors)
    diet = forms.text(data, "diet", 40)
    if diet not in settings.diets:
        errors["diet"] = N_("Choose a diet.")
    if errors:
        raise ValidationFailed(errors)
    after = {
        "kitchen": kitchen_id,
        "route": route_id,
        "route_stop": stop,
        "diet": diet,
        "door_notes": forms.text(data, "door_notes", 1000),
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
    actor: Actor, service_id: int, data: dict[str, Any], settings: MealSettings
) -> int:
    """One day differs: the day must have a delivered standing order."""
    await _plan_changed(service_id)  # first: see `_plan_changed`
    service = await get_service(service_id)
    _require_status(service, (*RUNNING, "ending_requested"), "day")
    errors: dict[str, str] = {}
    day = forms.parse_date(data, "day", errors)
    kind = forms.text(data, "kind", 10)
    if kind not in EXCEPTION_KINDS:
        errors["kind"] = N_("Choose what changes.")
    product = forms.text(data, "product", 40)
    quantity = forms.parse_quantity(data.get("quantity"), "quantity", errors)
    if kind in ("extra", "replace") and product not in settings.products:
        errors["product"] = N_("Choose a meal product.")
    if kind == "extra" and quantity == 0 and "quantity" not in errors:
        errors["quantity"] = N_("Enter how many extra meals.")
    if day is not None:
        plan = await load_plan(service_id)
        if plan.exceptions.get(day):
            errors["day"] = N_("This day already has an exception.")
        elif not meals_on(plan, day) or planned_delivery(plan, day) is None:
            errors["day"] = N_("The customer has no meals delivered on this day.")
    if errors or day is None:
        raise ValidationFailed(errors)
    cancel = kind == "cancel"
    values: dict[str, Any] = {
        "day": day,
        "kind": kind,
        "product": "" if cancel else product,
        "quantity": 0 if cancel else quantity,
        "note": forms.text(data, "note", 300),
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


async def remove_exception(actor: Actor, service_id: int, exception_id: int) -> None:
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


async def _plan_changed(service_id: int) -> None:
    """A new service version for a change made without the service form (an exception): the
    recorded meal days (`ledger`) of the changed months are then written again. Called before
    the change is checked: the update locks the service row until commit, so two coordinators
    changing the same service's exceptions are checked one after the other, never both against
    the same old state (SQLite's write lock already serialises them)."""
    await MealService.update({MealService.version: MealService.version + 1}).where(
        MealService.id == service_id
    )


def _overlaps(start: dt.date, end: dt.date | None, pause: dict[str, Any]) -> bool:
    other_end = pause["end_date"]
    return (end is None or pause["start_date"] <= end) and (other_end is None or start <= other_end)


async def pause_service(actor: Actor, service_id: int, version: int, data: dict[str, Any]) -> int:
    """A pause with a reason and an optional end; without an end it lasts until reactivation."""
    service = await get_service(service_id)
    _require_status(service, ("active", "ending_requested"), "start_date")
    errors: dict[str, str] = {}
    start = forms.parse_date(data, "start_date", errors)
    end = forms.parse_date(data, "end_date", errors, required=False)
    reason = forms.text(data, "reason", 300)
    if not reason:
        errors["reason"] = N_("Give a reason, e.g. hospital stay.")
    if start is not None and end is not None and end < start:
        errors["end_date"] = N_("The end date is before the start date.")
    if start is not None and start < service["start_date"]:
        errors["start_date"] = N_("The pause cannot start before the service starts.")
    if start is not None and "end_date" not in errors:
        pauses = await MealPause.select().where(MealPause.service == service_id)
        if any(_overlaps(start, end, p) for p in pauses):
            errors["start_date"] = N_("The pause overlaps another pause.")
    if errors or start is None:
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
    errors: dict[str, str] = {}
    resume = forms.parse_date(data, "resume_date", errors)
    pause = (
        await MealPause.select()
        .where((MealPause.service == service_id) & MealPause.end_date.is_null())
        .first()
    )
    if resume is not None and pause is not None and resume <= pause["start_date"]:
        errors["resume_date"] = N_("Meals resume after the pause has started.")
    if errors or resume is None:
        raise ValidationFailed(errors)
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
    errors: dict[str, str] = {}
    end = forms.parse_date(data, "end_date", errors)
    reason = forms.text(data, "ending_reason", 1000)
    if not reason:
        errors["ending_reason"] = N_("Give a reason for ending.")
    if end is not None and end < service["start_date"]:
        errors["end_date"] = N_("The end date is before the start date.")
    if errors or end is None:
        raise ValidationFailed(errors)
    changes = {"status": "ending_requested", "end_date": end, "ending_reason": reason}
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


async def decide_ending(actor: Actor, service_id: int, version: int) -> None:
    """Client guidance's formal decision closes the service on its end date."""
    service = await get_service(service_id)
    _require_status(service, ("ending_requested",), "decision")
    await update_versioned(MealService, service_id, version, {MealService.status: "ended"}, {})
    await audit.record(
        actor,
        "update",
        "meal_service",
        service_id,
        customer_id=service["customer"],
        before={"status": service["status"]},
        after={"status": "ended", "end_date": service["end_date"]},
    )
    await _close_tasks(actor, ENDING_TASK, service, "decided")


async def _close_tasks(actor: Actor, kind: TaskKind, service: dict[str, Any], outcome: str) -> None:
    """Completing the work on the service page also completes its inbox task."""
    service_id = service["id"]
    tasks = (
        await Task.select(Task.id, Task.payload, Task.customer)
        .where(
            (Task.kind == kind.code)
            & (Task.status == "open")
            & (Task.customer == service["customer"])
        )
        .output(load_json=True)
    )
    for task in tasks:
        if task["payload"].get("meal_service") != service_id:
            continue
        await Task.update(
            {
                Task.status: "done",
                Task.completed_at: now(),
                Task.completed_by: actor.id,
                Task.outcome: outcome,
                Task.version: Task.version + 1,
            }
        ).where(Task.id == task["id"])
        await audit.record(
            actor,
            "update",
            "task",
            task["id"],
            customer_id=task["customer"],
            before={"status": "open"},
            after={"status": "done"},
        )


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


async def status_counts() -> dict[str, int]:
    """How many services are in each status (the coordinator's dashboard)."""
    rows = await MealService.select(MealService.status, Count(alias="services")).group_by(
        MealService.status
    )
    return {row["status"]: int(row["services"]) for row in rows}


async def list_services(status: str, page: int, page_size: int) -> tuple[int, list[dict[str, Any]]]:
    """One page of services by customer name, optionally of one status; and the total."""
    condition = MealService.status == status if status in STATUSES else None
    query = (
        MealService.select(
            MealService.id,
            MealService.status,
            MealService.start_date,
            MealService.end_date,
            MealService.customer,
            MealService.customer.first_name,
            MealService.customer.last_name,
            MealService.kitchen.name,
            MealService.route.name,
        )
        .order_by(MealService.customer.last_name, MealService.customer.first_name)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    count = MealService.count()
    if condition is not None:
        query, count = query.where(condition), count.where(condition)
    return await count, await query
