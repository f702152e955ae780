"""Shared set-up for the meal tests: customers, a kitchen with routes, and services in any state."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from core.common.clock import now
from core.customers.tables import Customer
from core.customers.validation import phone_digits
from core.db import transaction
from plugins.meals import places, services
from plugins.meals.settings import current
from tests.helpers import SYSTEM

_numbers = itertools.count(1)
OPENING_DECISION = {
    "decided_on": "2026-02-20",
    "decision_maker": "Sosiaaliohjaaja Laine",
    "basis": "Palvelutarpeen arviointi",
}
MONDAY = dt.date(2026, 3, 2)


async def new_customer(last_name: str = "Virtanen", phone: str = "", language: str = "fi") -> int:
    moment = now()
    number = next(_numbers)
    rows = await Customer.insert(
        Customer(
            identity_code=f"0202{number % 100:02d}-8{number:03d}"[:11],
            first_name="Aino",
            last_name=last_name,
            search_name=f"{last_name.lower()} aino",
            street_address="Kauppatie 1",
            postal_code="60100",
            municipality="Seinäjoki",
            phone=phone,
            phone_digits=phone_digits(phone),
            language=language,
            created_at=moment,
            updated_at=moment,
        )
    ).returning(Customer.id)
    return int(rows[0]["id"])


@dataclass
class Region:
    kitchen: int
    route: int
    other_kitchen: int
    other_route: int


async def new_region() -> Region:
    async with transaction():
        kitchen = await places.create_kitchen(SYSTEM, "Seinäjoki keskuskeittiö")
        route = await places.create_route(SYSTEM, kitchen, "Reitti 1")
        other = await places.create_kitchen(SYSTEM, "Lapua")
        other_route = await places.create_route(SYSTEM, other, "Lapua 1")
    return Region(kitchen, route, other, other_route)


def weekly_order(lunches: int = 1, delivery: dict[int, int] | None = None) -> dict[str, Any]:
    """Lunch every day; Monday's delivery carries Mon–Wed, Thursday's Thu–Sun by default."""
    delivery = delivery or {0: 0, 1: 0, 2: 0, 3: 3, 4: 3, 5: 3, 6: 3}
    data: dict[str, Any] = {}
    for weekday in range(7):
        data[f"qty_{weekday}_lunch"] = str(lunches)
        data[f"delivery_{weekday}"] = str(delivery[weekday])
    return data


async def active_service(
    region: Region,
    start: dt.date = MONDAY,
    lunches: int = 1,
    customer: int | None = None,
    **extra: Any,
) -> int:
    customer = customer or await new_customer()
    async with transaction():
        service_id = await services.open_service(
            SYSTEM,
            customer,
            {
                "start_date": start.isoformat(),
                "diet": "normal",
                "requested_meals": "lunch daily",
                **OPENING_DECISION,
            },
            current(),
        )
        await services.complete_opening(
            SYSTEM,
            service_id,
            1,
            {
                "kitchen": region.kitchen,
                "route": region.route,
                "route_stop": "1",
                **weekly_order(lunches),
                **extra,
            },
            current(),
        )
    return service_id


async def version_of(service_id: int) -> int:
    return int((await services.get_service(service_id))["version"])
