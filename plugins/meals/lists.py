"""Kitchen production lists, route delivery lists and what changed since the previous list."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from plugins.meals.plans import LoadedService, load_services
from plugins.meals.schedule import Schedule, delivery_day_mover, meals_on
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
    phone: str
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


def _stop(service: LoadedService, meal_days: list[dt.date], day: dt.date) -> Stop:
    """The service's stop on the delivery list of `day`, with the diets valid that day."""
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
        diet=service.diet_on(day),
        route_stop=row["route_stop"],
        phone=row.get("customer.phone") or "",
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
        schedule = service.schedule_of_day(day, settings.holiday_rule)
        if schedule.deliveries.get(day):
            out.append((service, schedule))
    return out


async def route_delivery_list(route_id: int, day: dt.date, settings: MealSettings) -> list[Stop]:
    """Stops in route order with the meals each delivery carries."""
    services = await load_services(day, day, route_id=route_id)
    return _route_stops(services, route_id, day, settings)


def _route_stops(
    services: list[LoadedService], route_id: int, day: dt.date, settings: MealSettings
) -> list[Stop]:
    delivered = _delivered_on(services, day, settings, route_id=route_id)
    stops = [_stop(s, sched.deliveries[day], day) for s, sched in delivered]
    return sorted(stops, key=lambda s: (s.route_stop, s.name))


async def production_list(
    kitchen_id: int, day: dt.date, settings: MealSettings
) -> dict[tuple[str, str], int]:
    """Meals to prepare for the day's deliveries: counts by (product, diet key), each
    combination of diets, allergies and texture valid that day counted apart."""
    services = await load_services(day, day, kitchen_id=kitchen_id)
    return _counts(_delivered_on(services, day, settings, kitchen_id=kitchen_id), day)


async def route_changes(
    route_id: int, day: dt.date, current: list[Stop], settings: MealSettings
) -> RouteChanges:
    """Compare with the route's previous delivery day within two weeks."""
    first = day - dt.timedelta(days=PREVIOUS_LIST_WINDOW)
    services = await load_services(first, day, route_id=route_id)
    return _route_changes(services, route_id, day, current, settings)


def _route_changes(
    services: list[LoadedService],
    route_id: int,
    day: dt.date,
    current: list[Stop],
    settings: MealSettings,
) -> RouteChanges:
    previous: dict[int, Stop] = {}
    changes = RouteChanges()
    for offset in range(1, PREVIOUS_LIST_WINDOW + 1):
        candidate = day - dt.timedelta(days=offset)
        delivered = _delivered_on(services, candidate, settings, route_id=route_id)
        if delivered:
            changes.previous_day = candidate
            previous = {
                s.row["id"]: _stop(s, sch.deliveries[candidate], candidate) for s, sch in delivered
            }
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


@dataclass
class RouteSheet:
    """One route's delivery list in a kitchen's printout, with its totals."""

    route_id: int
    name: str
    stops: list[Stop]
    changes: RouteChanges
    totals: dict[str, int]


@dataclass
class KitchenPrintout:
    """Everything a kitchen prints for a day: the production list split per route, what changed
    since the previous delivery day, and every route's delivery list."""

    day: dt.date
    counts: dict[tuple[str, str], int]
    counts_by_route: dict[int, dict[tuple[str, str], int]]
    previous_day: dt.date | None
    previous_counts: dict[tuple[str, str], int]
    routes: list[RouteSheet]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def count_changes(self) -> dict[tuple[str, str], int]:
        """(product, diet) → meals now minus meals on the previous delivery day, where differing."""
        keys = sorted(set(self.counts) | set(self.previous_counts))
        diffs = {k: self.counts.get(k, 0) - self.previous_counts.get(k, 0) for k in keys}
        return {k: d for k, d in diffs.items() if d}


def _counts(
    delivered: list[tuple[LoadedService, Schedule]], day: dt.date
) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for service, schedule in delivered:
        for product, quantity in _carried_meals(service, schedule.deliveries[day]).items():
            counts[(product, service.diet_on(day))] += quantity
    return dict(sorted(counts.items()))


def route_totals(stops: list[Stop]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for stop in stops:
        for product, quantity in stop.meals.items():
            totals[product] += quantity
    return dict(sorted(totals.items()))


async def kitchen_printout(
    kitchen_id: int,
    day: dt.date,
    settings: MealSettings,
    kitchen_routes: list[dict[str, Any]] | None = None,
) -> KitchenPrintout:
    """The kitchen's whole day in one load of its services (two weeks back for the changes);
    `kitchen_routes`: its routes where the caller has them (`routes(kitchen_id)`)."""
    first = day - dt.timedelta(days=PREVIOUS_LIST_WINDOW)
    services = await load_services(first, day, kitchen_id=kitchen_id)
    delivered = _delivered_on(services, day, settings, kitchen_id=kitchen_id)
    by_route: dict[int, list[tuple[LoadedService, Schedule]]] = defaultdict(list)
    for service, schedule in delivered:
        assignment = service.assignment_on(day)
        if assignment is not None:
            by_route[assignment.route].append((service, schedule))
    previous_day, previous_counts = None, {}
    for offset in range(1, PREVIOUS_LIST_WINDOW + 1):
        candidate = day - dt.timedelta(days=offset)
        earlier = _delivered_on(services, candidate, settings, kitchen_id=kitchen_id)
        if earlier:
            previous_day, previous_counts = candidate, _counts(earlier, candidate)
            break
    sheets = []
    for route in kitchen_routes if kitchen_routes is not None else await routes(kitchen_id):
        stops = _route_stops(services, route["id"], day, settings)
        sheets.append(
            RouteSheet(
                route_id=route["id"],
                name=route["name"],
                stops=stops,
                changes=_route_changes(services, route["id"], day, stops, settings),
                totals=route_totals(stops),
            )
        )
    return KitchenPrintout(
        day=day,
        counts=_counts(delivered, day),
        counts_by_route={r: _counts(d, day) for r, d in by_route.items()},
        previous_day=previous_day,
        previous_counts=previous_counts,
        routes=sheets,
    )


async def next_delivery_day(
    kitchen_ids: frozenset[int] | None, after: dt.date, settings: MealSettings
) -> dt.date:
    """The first day after `after` on which a running order of the kitchens is delivered
    (a weekday some order line delivers on; a public holiday moves to the previous working
    day as the lists do); the day after `after` when nothing is ordered."""
    from plugins.meals.tables import MealOrderLine, MealService

    condition: Any = MealOrderLine.valid_to.is_null() | (MealOrderLine.valid_to > after)
    if kitchen_ids is not None:  # the kitchens' services as a subquery: one statement, not two
        condition &= MealOrderLine.service.is_in(
            MealService.select(MealService.id).where(
                MealService.kitchen.is_in(list(kitchen_ids) or [0])
            )
        )
    rows = await MealOrderLine.select(MealOrderLine.delivery_weekday).where(condition).distinct()
    weekdays = {r["delivery_weekday"] for r in rows}
    move = delivery_day_mover(settings.holiday_rule)
    planned = (after + dt.timedelta(days=n) for n in range(1, 16))
    moved = sorted(move(d) for d in planned if d.weekday() in weekdays)
    return next((d for d in moved if d > after), after + dt.timedelta(days=1))
