"""Row scope for kitchens: a user who does not manage meal services sees only the lists and
customers of the kitchens bound to them. A row outside the scope is a 404, like a missing one."""

from __future__ import annotations

from typing import Any

from plugins.meals.tables import DeliveryRoute, Kitchen, KitchenUser
from valvomo.api import N_, Actor, CurrentUser, NotFound, StaffUser, ValidationFailed, audit

ALL_KITCHENS = None


async def kitchen_scope(user: CurrentUser) -> frozenset[int] | None:
    """The kitchens whose rows `user` may see; None means every kitchen (`meals.manage`)."""
    if user.can("meals.manage"):
        return ALL_KITCHENS
    rows = await KitchenUser.select(KitchenUser.kitchen).where(KitchenUser.user == user.id)
    return frozenset(r["kitchen"] for r in rows)


def in_scope(scope: frozenset[int] | None, kitchen_id: int) -> bool:
    return scope is None or kitchen_id in scope


async def scoped_kitchen(user: CurrentUser, kitchen_id: int) -> dict[str, Any]:
    """The kitchen, or NotFound when it does not exist or is outside the user's scope."""
    scope = await kitchen_scope(user)
    kitchen = await Kitchen.select().where(Kitchen.id == kitchen_id).first()
    if kitchen is None or not in_scope(scope, kitchen_id):
        raise NotFound(f"kitchen {kitchen_id}")
    return kitchen


KITCHEN_WITH_ROUTES_SQL = """
SELECT k.id, k.name, k.version, r.id AS route_id, r.name AS route_name
FROM meals_kitchen k LEFT JOIN meals_route r ON r.kitchen = k.id
WHERE k.id = {} ORDER BY r.name
"""


async def scoped_kitchen_with_routes(
    scope: frozenset[int] | None, kitchen_id: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`scoped_kitchen` in `scope` (`kitchen_scope`) and the kitchen's routes by name (as
    `lists.routes` gives them), in one statement."""
    rows = await Kitchen.raw(KITCHEN_WITH_ROUTES_SQL, kitchen_id)
    if not rows or not in_scope(scope, kitchen_id):
        raise NotFound(f"kitchen {kitchen_id}")
    first = rows[0]
    kitchen = {"id": first["id"], "name": first["name"], "version": first["version"]}
    routes = [
        {"id": r["route_id"], "name": r["route_name"], "kitchen": first["id"],
         "kitchen.name": first["name"]}
        for r in rows
        if r["route_id"] is not None
    ]  # fmt: skip
    return kitchen, routes


async def scoped_route(user: CurrentUser, route_id: int) -> dict[str, Any]:
    """The route with its kitchen's name, or NotFound when outside the user's scope."""
    route = (
        await DeliveryRoute.select(
            DeliveryRoute.id, DeliveryRoute.name, DeliveryRoute.kitchen, DeliveryRoute.kitchen.name
        )
        .where(DeliveryRoute.id == route_id)
        .first()
    )
    if route is None or not in_scope(await kitchen_scope(user), route["kitchen"]):
        raise NotFound(f"route {route_id}")
    return route


async def kitchen_staff() -> dict[int, list[dict[str, Any]]]:
    """Every kitchen's bound users by name."""
    rows = await KitchenUser.select(
        KitchenUser.id,
        KitchenUser.kitchen,
        KitchenUser.user,
        KitchenUser.user.full_name,
        KitchenUser.user.username,
    ).order_by(KitchenUser.user.full_name)
    staff: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        staff.setdefault(row["kitchen"], []).append(row)
    return staff


async def bind_user(actor: Actor, kitchen_id: int, username: str) -> int:
    """Bind a staff user (by username) to a kitchen; binding twice is refused."""
    username = username.strip().lower()
    user = await StaffUser.select(StaffUser.id).where(StaffUser.username == username).first()
    if user is None:
        raise ValidationFailed({"username": N_("No user has this username.")})
    if not await Kitchen.exists().where(Kitchen.id == kitchen_id):
        raise ValidationFailed({"staff_kitchen": N_("Choose a kitchen.")})
    bound = (KitchenUser.user == user["id"]) & (KitchenUser.kitchen == kitchen_id)
    if await KitchenUser.exists().where(bound):
        raise ValidationFailed({"username": N_("The user is already bound to this kitchen.")})
    rows = await KitchenUser.insert(KitchenUser(user=user["id"], kitchen=kitchen_id)).returning(
        KitchenUser.id
    )
    await audit.record(
        actor,
        "create",
        "meal_kitchen_user",
        rows[0]["id"],
        after={"kitchen": kitchen_id, "user": user["id"]},
    )
    return int(rows[0]["id"])


async def unbind_user(actor: Actor, kitchen_id: int, binding_id: int) -> None:
    row = (
        await KitchenUser.select()
        .where((KitchenUser.id == binding_id) & (KitchenUser.kitchen == kitchen_id))
        .first()
    )
    if row is None:
        raise NotFound(f"kitchen user {binding_id}")
    await KitchenUser.delete().where(KitchenUser.id == binding_id)
    await audit.record(
        actor,
        "delete",
        "meal_kitchen_user",
        binding_id,
        before={"kitchen": kitchen_id, "user": row["user"]},
    )
