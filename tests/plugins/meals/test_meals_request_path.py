"""The meals pages a kitchen and a coordinator open all day: statements per request, and the
code lists (diets, allergies, textures) kept in each process until one of them changes."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest

from core.db import get_database, transaction
from core.engines import count_statements
from plugins.meals import codes
from plugins.meals.scope import bind_user
from plugins.meals.tables import MealCode, MealCodeVersion
from tests.helpers import SYSTEM, make_user, sign_in
from tests.plugins.meals.conftest import active_service, new_region


async def _lists_read() -> tuple[dict[str, list[codes.CodeEntry]], list[str]]:
    """The code lists as a request reads them, and the statements that took."""
    with count_statements() as statements:
        async with get_database().connection():
            entries = await codes.all_entries()
            await asyncio.sleep(0)  # the statement loggers run on the next loop iteration
    return entries, [s.sql for s in statements]


async def test_code_lists_are_kept_in_the_process_and_a_change_by_any_process_is_seen() -> None:
    async with transaction():
        await codes.add(SYSTEM, "allergies", {"label": "Sinappi"})
    first, _ = await _lists_read()
    assert "sinappi" in [e.code for e in first["allergies"]]
    again, statements = await _lists_read()
    assert again == first and len(statements) == 1, statements  # only the version token

    # Another process renames an entry: its transaction writes a new token with the change.
    sinappi = await MealCode.select().where(MealCode.code == "sinappi").first()
    async with transaction():
        await MealCode.update({MealCode.label: "Sinappi (Dijon)", MealCode.version: 2}).where(
            MealCode.id == sinappi["id"]
        )
        await MealCodeVersion.update({MealCodeVersion.token: secrets.token_hex(16)}, force=True)
    seen, statements = await _lists_read()
    assert [e.label for e in seen["allergies"] if e.code == "sinappi"] == ["Sinappi (Dijon)"]
    assert len(statements) == 2  # the token, then the lists once

    # This process's own change is seen too, and a change rolled back leaves the lists as they
    # were (its token is never committed).
    async with transaction():
        await codes.rename(SYSTEM, "allergies", "sinappi", 2, {"label": "Sinappi"})
    assert [e.label for e in (await codes.all_entries())["allergies"] if e.code == "sinappi"] == [
        "Sinappi"
    ]
    with pytest.raises(RuntimeError):
        async with transaction():
            await codes.add(SYSTEM, "allergies", {"label": "Piparjuuri"})
            assert "piparjuuri" in [e.code for e in (await codes.all_entries())["allergies"]]
            raise RuntimeError("the request failed after the change")
    assert "piparjuuri" not in [e.code for e in (await codes.all_entries())["allergies"]]
    settings = await codes.effective()
    assert settings.allergies["sinappi"] == "Sinappi" and "piparjuuri" not in settings.allergies


# Statements per request as the database sees them, after a first request (issue 16 prints
# them in bench/http_load.py). The kitchen's production list: the session with its
# permissions, the kitchen with its routes, the code lists' version token, then the day's
# services and their order lines, exceptions, pauses, route assignments and diet periods.
KITCHEN_LIST_STATEMENTS = 9
# The dashboard of an administrator: the session, the open tasks, the booking panel's
# professionals, the meals figures (three count groups in one statement, and the reported
# exceptions), the security phones' alarms waiting for a visit, the outbox and the billing
# period.
DASHBOARD_STATEMENTS = 8


async def _statements_of(client: httpx.AsyncClient, path: str) -> list[str]:
    assert (await client.get(path)).status_code == 200  # the first request fills the caches
    with count_statements() as statements:
        response = await client.get(path)
    assert response.status_code == 200
    return [" ".join(s.sql.split()) for s in statements]


async def test_the_kitchen_list_and_the_dashboard_run_a_fixed_number_of_statements(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    for _ in range(3):  # statements do not grow with the services listed
        await active_service(region)
    await sign_in(client, await make_user("admin"))
    kitchen_list = await _statements_of(
        client, f"/meals/lists/kitchens/{region.kitchen}?day=2026-03-02"
    )
    assert len(kitchen_list) == KITCHEN_LIST_STATEMENTS, "\n".join(kitchen_list)
    assert "SELECT token FROM meals_code_version" in kitchen_list
    assert not [s for s in kitchen_list if 'FROM "meals_code"' in s]  # the lists were kept
    assert not [s for s in kitchen_list if s.startswith(("BEGIN", "COMMIT", "INSERT", "UPDATE"))]
    dashboard = await _statements_of(client, "/")
    assert len(dashboard) == DASHBOARD_STATEMENTS, "\n".join(dashboard)


async def test_a_kitchen_users_list_of_the_next_delivery_day(client: httpx.AsyncClient) -> None:
    """Without a day the list opens on the kitchen's next delivery day: one statement finds
    the weekdays its running orders deliver on (the kitchen's services as a subquery)."""
    region = await new_region()
    await active_service(region)
    username = await make_user("kitchen")
    async with transaction():
        await bind_user(SYSTEM, region.kitchen, username)
    await sign_in(client, username)
    statements = await _statements_of(client, f"/meals/lists/kitchens/{region.kitchen}")
    weekdays = [s for s in statements if "delivery_weekday" in s and "DISTINCT" in s]
    assert len(weekdays) == 1 and "meals_service" in weekdays[0], weekdays
    # the admin's list with a day given, plus the user's kitchens and the delivery weekdays
    assert len(statements) == KITCHEN_LIST_STATEMENTS + 2, "\n".join(statements)
