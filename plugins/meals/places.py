"""Kitchens and their delivery routes."""

from __future__ import annotations

from plugins.meals.tables import DeliveryRoute, Kitchen
from valvomo.api import N_, Actor, ValidationFailed, audit


async def create_kitchen(actor: Actor, name: str) -> int:
    name = name.strip()[:100]
    if not name:
        raise ValidationFailed({"name": N_("Enter a name.")})
    if await Kitchen.exists().where(Kitchen.name == name):
        raise ValidationFailed({"name": N_("A kitchen with this name exists already.")})
    rows = await Kitchen.insert(Kitchen(name=name)).returning(Kitchen.id)
    await audit.record(actor, "create", "meal_kitchen", rows[0]["id"], after={"name": name})
    return int(rows[0]["id"])


async def create_route(actor: Actor, kitchen_id: int, name: str) -> int:
    name = name.strip()[:100]
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = N_("Enter a name.")
    if not await Kitchen.exists().where(Kitchen.id == kitchen_id):
        errors["kitchen"] = N_("Choose a kitchen.")
    if errors:
        raise ValidationFailed(errors)
    rows = await DeliveryRoute.insert(DeliveryRoute(kitchen=kitchen_id, name=name)).returning(
        DeliveryRoute.id
    )
    await audit.record(
        actor, "create", "meal_route", rows[0]["id"], after={"kitchen": kitchen_id, "name": name}
    )
    return int(rows[0]["id"])
