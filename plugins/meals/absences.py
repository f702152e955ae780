"""Absences a customer (or their proxy) reports online, and what their own page shows.

An absence cancels the meal days in it exactly as the coordinator's day exception does
(`services.add_exception` with kind "cancel"), so the kitchen and route lists and billing
follow; the exception remembers that the customer reported it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from plugins.meals import forms, services
from plugins.meals.plans import load_plan, plan_of_service
from plugins.meals.schedule import compute_schedule, is_holiday, meals_on, planned_delivery
from plugins.meals.settings import MealSettings
from plugins.meals.tables import MealException, MealPause, MealService
from valvomo.api import (
    HELSINKI,
    N_,
    Actor,
    ValidationFailed,
    label,
    parse_form,
    today,
)

MAX_ABSENCE_DAYS = 62
COMING_DAYS = 14


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def cutoff_for(day: dt.date, settings: MealSettings) -> dt.datetime:
    """When reporting `day` closes: the cut-off hour of the working day that is the set number
    of working days before it (e.g. 12.00 on Monday for Wednesday, on Thursday for Saturday)."""
    moment = day
    for _ in range(settings.absence_cutoff_working_days):
        moment -= dt.timedelta(days=1)
        while not is_working_day(moment):
            moment -= dt.timedelta(days=1)
    return dt.datetime.combine(moment, dt.time(settings.absence_cutoff_hour), tzinfo=HELSINKI)


def first_open_day(at: dt.datetime, settings: MealSettings) -> dt.date:
    """The first day that can still be reported away at the moment `at`."""
    day = at.astimezone(HELSINKI).date()
    while cutoff_for(day, settings) <= at:
        day += dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class Absence:
    first: dt.date
    last: dt.date


def _parse(data: dict[str, Any], at: dt.datetime, settings: MealSettings) -> Absence:
    absence = parse_form(forms.AbsenceForm, data)
    first = absence.first_day
    last = absence.last_day or first
    errors: dict[str, str] = {}
    if (last - first).days >= MAX_ABSENCE_DAYS:
        errors["last_day"] = N_("Report at most two months at a time.")
    if first < first_open_day(at, settings):
        errors["first_day"] = N_("This day can no longer be changed online; call us.")
    if errors:
        raise ValidationFailed(errors)
    return Absence(first, last)


async def report_absence(
    actor: Actor,
    customer_id: int,
    data: dict[str, Any],
    settings: MealSettings,
    at: dt.datetime,
    reported_by: str,
) -> int:
    """Cancel the meal days of the absence; how many days were cancelled. Refuses (next to the
    field) a day past the cut-off, an overlap with a pause and a day with another change."""
    service = await services.current_service(customer_id)
    if service is None or service["status"] not in (*services.RUNNING, "ending_requested"):
        raise ValidationFailed({"first_day": N_("You have no meal service running.")})
    absence = _parse(data, at, settings)
    pauses = await MealPause.select().where(MealPause.service == service["id"])
    if any(services.overlaps(absence.first, absence.last, p) for p in pauses):
        raise ValidationFailed({"first_day": N_("You are already away on some of these days.")})
    plan = await load_plan(service["id"])
    cancelled = 0
    day = absence.first
    while day <= absence.last:
        changes = plan.exceptions.get(day, [])
        if changes and any(c.kind != "cancel" for c in changes):
            raise ValidationFailed(
                {"first_day": N_("Some of these days have another change; call us.")}
            )
        if not changes and meals_on(plan, day) and planned_delivery(plan, day) is not None:
            data = {"day": day.isoformat(), "kind": "cancel"}
            await services.add_exception(actor, service["id"], data, settings, reported_by)
            cancelled += 1
        day += dt.timedelta(days=1)
    if cancelled == 0:
        raise ValidationFailed({"first_day": N_("You have no meals on these days.")})
    return cancelled


async def citizen_panel(customer_id: int, settings: MealSettings) -> dict[str, Any] | None:
    """The next deliveries with their meals and the coming absences, for the customer's page."""
    service = await services.current_service(customer_id)
    if service is None or service["status"] in ("opening_requested", "ended"):
        return None
    start = today()
    plan, exceptions = await plan_of_service(
        service["id"], service["start_date"], service["end_date"]
    )
    schedule = compute_schedule(plan, start, start + dt.timedelta(days=COMING_DAYS),
                                settings.holiday_rule)  # fmt: skip
    deliveries = []
    for delivered, meal_days in sorted(schedule.deliveries.items())[:4]:
        products: dict[str, int] = {}
        for day in meal_days:
            # The schedule holds the meals of its days; a delivery may carry days after them.
            meals = schedule.meals.get(day)
            for product, count in (meals if meals is not None else meals_on(plan, day)).items():
                products[product] = products.get(product, 0) + count
        deliveries.append({"day": delivered, "meal_days": sorted(meal_days), "products": products})
    away = sorted(
        ({"day": e["day"], "reported_by": e["reported_by"]} for e in exceptions
         if e["kind"] == "cancel" and e["day"] >= start),
        key=lambda e: e["day"],
    )  # fmt: skip
    return {"deliveries": deliveries, "away": away, "settings": settings}


async def customer_data(customer_id: int) -> dict[str, Any]:
    """The customer's meal services with their day exceptions and pauses, for the download."""
    rows = await MealService.select(
        MealService.id, MealService.status, MealService.start_date, MealService.end_date,
        MealService.diet, MealService.kitchen.name, MealService.route.name,
    ).where(MealService.customer == customer_id)  # fmt: skip
    found = []
    for row in rows:
        service_id = row.pop("id")
        row["status"] = label("meals.service_status", row["status"])
        row["exceptions"] = await MealException.select(
            MealException.day, MealException.kind, MealException.product,
            MealException.quantity, MealException.reported_by,
        ).where(MealException.service == service_id)  # fmt: skip
        row["pauses"] = await MealPause.select(
            MealPause.start_date, MealPause.end_date, MealPause.reason
        ).where(MealPause.service == service_id)
        found.append(row)
    return {"services": found} if found else {}
