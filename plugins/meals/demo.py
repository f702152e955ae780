"""Demo data: 11 kitchens, about 60 routes and 1,200 meal customers (about 22,000 meals a month)
with 12 months of history: order changes, pauses, exceptions, endings and waiting openings."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from plugins.meals import services
from plugins.meals.services import KITCHEN
from plugins.meals.settings import MealSettings
from plugins.meals.tables import (
    DeliveryRoute,
    Kitchen,
    KitchenUser,
    MealException,
    MealOrderLine,
    MealPause,
    MealRouteAssignment,
    MealService,
)
from valvomo.api import DemoContext, SystemActor, insert_objects, now

KITCHENS = (
    "Seinäjoki",
    "Lapua",
    "Kauhava",
    "Kurikka",
    "Alavus",
    "Kauhajoki",
    "Ilmajoki",
    "Ähtäri",
    "Alajärvi",
    "Teuva",
    "Vimpeli",
)
ROUTES_PER_KITCHEN = (10, 6, 6, 6, 5, 5, 5, 4, 5, 4, 4)
# (weekdays with lunch, delivery weekday for each weekday, share of customers)
PATTERNS: tuple[tuple[tuple[int, ...], dict[int, int], float], ...] = (
    (tuple(range(7)), {0: 0, 1: 0, 2: 0, 3: 3, 4: 3, 5: 3, 6: 3}, 0.2),
    ((0, 1, 2, 3, 4), {0: 0, 1: 0, 2: 2, 3: 2, 4: 2}, 0.30),
    ((0, 2, 4), {0: 0, 2: 2, 4: 4}, 0.5),
)
DOOR_NOTES = (
    "",
    "",
    "Avain avainlaatikossa, koodi kotihoidolla.",
    "Soita ovikelloa kahdesti.",
    "Takaovi, koira pihalla.",
    "Jätä ateriat jääkaappiin.",
)


async def kitchens_and_routes(
    names: Sequence[str] = KITCHENS, routes_per_kitchen: Sequence[int] = ROUTES_PER_KITCHEN
) -> list[tuple[int, int]]:
    """Create kitchens and their routes; returns (kitchen id, route id) pairs."""
    kitchen_ids = await insert_objects(Kitchen, [Kitchen(name=name) for name in names])
    routes = [
        DeliveryRoute(kitchen=kitchen_id, name=f"{name} {n}")
        for kitchen_id, name, count in zip(kitchen_ids, names, routes_per_kitchen, strict=True)
        for n in range(1, count + 1)
    ]
    route_ids = await insert_objects(DeliveryRoute, routes)
    return [(int(r.kitchen), route_id) for r, route_id in zip(routes, route_ids, strict=True)]


def _pattern(rng: random.Random) -> tuple[tuple[int, ...], dict[int, int]]:
    pick = rng.random()
    for weekdays, deliveries, share in PATTERNS:
        if pick < share:
            return weekdays, deliveries
        pick -= share
    return PATTERNS[-1][0], PATTERNS[-1][1]


def _lines(service_id: int, rng: random.Random, start: dt.date, today: dt.date) -> list[Any]:
    weekdays, deliveries = _pattern(rng)
    evening = rng.random() < 0.07
    change = start + dt.timedelta(days=rng.randint(60, 400)) if rng.random() < 0.3 else None
    if change is not None and change >= today:
        change = None
    lines = []
    for weekday in weekdays:
        products = [("lunch", 1)] + ([("evening_meal", 1)] if evening else [])
        for product, quantity in products:
            lines.append(
                MealOrderLine(
                    service=service_id,
                    weekday=weekday,
                    product=product,
                    quantity=quantity,
                    delivery_weekday=deliveries[weekday],
                    valid_from=start,
                    valid_to=change - dt.timedelta(days=1) if change else None,
                )
            )
            if change is not None:
                lines.append(
                    MealOrderLine(
                        service=service_id,
                        weekday=weekday,
                        product=product,
                        quantity=2 if product == "lunch" and rng.random() < 0.1 else quantity,
                        delivery_weekday=deliveries[weekday],
                        valid_from=change,
                    )
                )
    return lines


async def create_demo_data(demo: DemoContext, settings: MealSettings) -> None:
    routes = await kitchens_and_routes()
    customers = list(demo.customer_ids)
    demo.random.shuffle(customers)
    count = min(len(customers), round(1200 * demo.scale))
    service_ids, lines = await insert_meal_services(
        demo.random, demo.today, customers[:count], routes, settings
    )
    await _waiting_work(demo, customers[count : count + 8], settings)
    kitchen_users = demo.user_ids_by_role.get(KITCHEN, [])
    if kitchen_users and routes:  # the demo kitchen user works in the first kitchen
        await KitchenUser.insert(
            *[KitchenUser(user=u, kitchen=routes[0][0]) for u in kitchen_users]
        )
    demo.progress(f"meals: {service_ids} services, {lines} order lines")


async def insert_meal_services(
    rng: random.Random,
    today: dt.date,
    customers: Sequence[int],
    routes: Sequence[tuple[int, int]],
    settings: MealSettings,
) -> tuple[int, int]:
    """Services with up to 30 months of history for `customers`; returns how many services
    and order lines were written."""
    service_rows = []
    for index, customer_id in enumerate(customers):
        kitchen_id, route_id = routes[index % len(routes)]
        start = today - dt.timedelta(days=rng.randint(30, 900))
        ended = rng.random() < 0.08
        end = today - dt.timedelta(days=rng.randint(1, 330)) if ended else None
        if end is not None and end <= start:
            start = end - dt.timedelta(days=rng.randint(30, 200))
        service_rows.append(
            MealService(
                customer=customer_id,
                status="ended" if ended else "active",
                start_date=start,
                end_date=end,
                diet=rng.choice(list(settings.diets)),
                requested_meals="Lounas",
                kitchen=kitchen_id,
                route=route_id,
                route_stop=index // len(routes) + 1,
                door_notes=rng.choice(DOOR_NOTES),
                ending_reason="Muutti palvelutaloon" if ended else "",
                created_at=now(),
            )
        )
    service_ids = await insert_objects(MealService, service_rows)
    lines, pauses, exceptions, assignments = [], [], [], []
    for service_id, row in zip(service_ids, service_rows, strict=True):
        start = row.start_date
        assignments.append(
            MealRouteAssignment(
                service=service_id, kitchen=row.kitchen, route=row.route, valid_from=start
            )
        )
        lines += _lines(service_id, rng, start, today)
        if rng.random() < 0.12:
            pause_start = today - dt.timedelta(days=rng.randint(5, 300))
            if pause_start > start:
                pauses.append(
                    MealPause(
                        service=service_id,
                        start_date=pause_start,
                        end_date=pause_start + dt.timedelta(days=rng.randint(3, 21)),
                        reason=rng.choice(("Sairaalajakso", "Lomalla omaisten luona")),
                    )
                )
        if rng.random() < 0.1:
            day = today - dt.timedelta(days=rng.randint(1, 200))
            exceptions.append(
                MealException(service=service_id, day=day, kind="cancel", note="Asiakas poissa")
            )
    await insert_objects(MealRouteAssignment, assignments)
    await insert_objects(MealOrderLine, lines)
    await insert_objects(MealPause, pauses)
    await insert_objects(MealException, exceptions)
    return len(service_ids), len(lines)


async def _waiting_work(demo: DemoContext, customers: list[int], settings: MealSettings) -> None:
    """A few openings waiting in the meal coordinator's inbox."""
    actor = SystemActor(full_name="demo")
    for customer_id in customers:
        await services.open_service(
            actor,
            customer_id,
            {
                "start_date": (demo.today + dt.timedelta(days=7)).isoformat(),
                "diet": "normal",
                "requested_meals": "Lounas arkipäivisin",
                "decided_on": demo.today.isoformat(),
                "decision_maker": "Sosiaaliohjaaja Laine",
                "basis": "Palvelutarpeen arviointi: ateriapalvelu myönnetään",
            },
            settings,
        )
