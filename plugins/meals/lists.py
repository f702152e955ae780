"""Kitchen production lists, route delivery lists and what changed since the previous list."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from plugins.meals.plans import LoadedService, load_services
from plugins.meals.schedule import Schedule, compute_schedule, meals_on
from plugins.meals.settings import MealSettings
from plugins.meals.tables import DeliveryRoute, Kitchen

PREVIOUS_LIST_WINDOW = 14


@dataclass
class Stop:
    """One customer on a route's delivery list: the meals the delivery carries."""

    service_id: int
    customer_id: int
    name: str
    address: str
    door_notes: str
    diet: str
    route_stop: int
    meals: dict[str, int]
    meal_days: list[dt.date]


@dataclass
class RouteChanges:
    new: list[Stop] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    changed: list[Stop] = field(default_factory=list)
    previous_day: dt.date | None = None


def _carried_meals(service: LoadedService, meal_days: list[dt.date]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for day in meal_days:
        for product, quantity in meals_on(service.plan, day).items():
            totals[product] += quantity
    return dict(totals)


def _stop(service: LoadedService, meal_days: list[dt.date]) -> Stop:
    row = service.row
    address = f"{row['customer.street_address']}, {row['customer.postal_code']} " + str(
        row["customer.municipality"]
    )
    return Stop(
        service_id=row["id"],
        customer_id=row["customer"],
        name=f"{row['customer.last_name']} {row['customer.first_name']}",
        address=address,
        door_notes=row["door_notes"],
        diet=row["diet"],
        route_stop=row["route_stop"],
        meals=_carried_meals(service, meal_days),
        meal_days=sorted(meal_days),
    )


def _delivered_on(
    services: list[LoadedService],
    day: dt.date,
    settings: MealSettings,
    kitchen_id: int | None = None,
    route_id: int | None = None,
) -> list[tuple[LoadedService, Schedule]]:
    """Services with a delivery on `day` by the kitchen or route assigned to them that day."""
    out = []
    for service in services:
        assignment = service.assignment_on(day)
        if assignment is None or (kitchen_id is not None and assignment.kitchen != kitchen_id):
            continue
        if route_id is not None and assignment.route != route_id:
            continue
        schedule = compute_schedule(service.plan, day, day, settings.holiday_rule)
        if schedule.deliveries.get(day):
            out.append((service, schedule))
    return out


async def route_delivery_list(route_id: int, day: dt.date, settings: MealSettings) -> list[Stop]:
    """Stops in route order with the meals each delivery carries."""
    services = await load_services(day, day, route_id=route_id)
    delivered = _delivered_on(services, day, settings, route_id=route_id)
    stops = [_stop(s, sched.deliveries[day]) for s, sched in delivered]
    return sorted(stops, key=lambda s: (s.route_stop, s.name))


async def production_list(
    kitchen_id: int, day: dt.date, settings: MealSettings
) -> dict[tuple[str, str], int]:
    """Meals to prepare for the day's deliveries: counts by (product, diet)."""
    services = await load_services(day, day, kitchen_id=kitchen_id)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for service, schedule in _delivered_on(services, day, settings, kitchen_id=kitchen_id):
        for product, quantity in _carried_meals(service, schedule.deliveries[day]).items():
            counts[(product, service.row["diet"])] += quantity
    return dict(sorted(counts.items()))


async def route_changes(
    route_id: int, day: dt.date, current: list[Stop], settings: MealSettings
) -> RouteChanges:
    """Compare with the route's previous delivery day within two weeks."""
    first = day - dt.timedelta(days=PREVIOUS_LIST_WINDOW)
    services = await load_services(first, day, route_id=route_id)
    previous: dict[int, Stop] = {}
    changes = RouteChanges()
    for offset in range(1, PREVIOUS_LIST_WINDOW + 1):
        candidate = day - dt.timedelta(days=offset)
        delivered = _delivered_on(services, candidate, settings, route_id=route_id)
        if delivered:
            changes.previous_day = candidate
            previous = {s.row["id"]: _stop(s, sch.deliveries[candidate]) for s, sch in delivered}
            break
    if changes.previous_day is None:
        return changes
    by_id = {s.row["id"]: s for s in services}
    previous_day = changes.previous_day
    # Stops differ from list to list by delivery weekday; only a start, a pause, a
    # reactivation or an ending makes a customer new or gone.
    changes.new = [s for s in current if not by_id[s.service_id].plan.is_running(previous_day)]
    for service_id, stop in previous.items():
        if not by_id[service_id].plan.is_running(day):
            changes.dropped.append({"stop": stop, "status": by_id[service_id].row["status"]})
    changes.changed = [
        s for s in current if s.service_id in previous and _differs(s, previous[s.service_id])
    ]
    return changes


def _differs(now: Stop, before: Stop) -> bool:
    """Meals per eating day or delivery details differ."""
    per_day_now = sum(now.meals.values()) / max(len(now.meal_days), 1)
    per_day_before = sum(before.meals.values()) / max(len(before.meal_days), 1)
    return (
        set(now.meals) != set(before.meals)
        or per_day_now != per_day_before
        or now.door_notes != before.door_notes
        or now.diet != before.diet
    )


async def kitchens() -> list[dict[str, Any]]:
    return await Kitchen.select(Kitchen.id, Kitchen.name).order_by(Kitchen.name)


async def routes(kitchen_id: int | None = None) -> list[dict[str, Any]]:
    query = DeliveryRoute.select(
        DeliveryRoute.id, DeliveryRoute.name, DeliveryRoute.kitchen, DeliveryRoute.kitchen.name
    ).order_by(DeliveryRoute.kitchen.name, DeliveryRoute.name)
    if kitchen_id is not None:
        query = query.where(DeliveryRoute.kitchen == kitchen_id)
    return await query
