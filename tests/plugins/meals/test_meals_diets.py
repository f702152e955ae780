"""Special diets, allergies and texture are effective-dated: a change from a date shows on the
kitchens' lists of that day on, never on earlier ones, and its history stays on the service."""

from __future__ import annotations

import datetime as dt

import httpx

from core.audit.tables import AuditEntry
from core.db import transaction
from plugins.meals import diets
from plugins.meals.diets import DietChoice
from plugins.meals.lists import production_list, route_changes, route_delivery_list
from plugins.meals.settings import current
from plugins.meals.tables import MealDietPeriod
from tests.helpers import SYSTEM, make_user, notices, post_form, sign_in
from tests.plugins.meals.conftest import active_service, new_region, version_of

MONDAY, THURSDAY = dt.date(2026, 3, 9), dt.date(2026, 3, 12)
COMBINATION = DietChoice(("gluten_free", "lactose_free"), ("fish",), "pureed").key


def change(valid_from: str, **fields: object) -> dict[str, object]:
    return {
        "valid_from": valid_from,
        "diets": ["lactose_free", "gluten_free"],
        "allergies": "fish",
        "texture": "pureed",
        **fields,
    }


async def test_a_change_appears_on_the_lists_from_its_day_and_not_before() -> None:
    region = await new_region()
    changed = await active_service(region)
    await active_service(region, lunches=2)
    async with transaction():
        await diets.change_diet(
            SYSTEM, changed, await version_of(changed), change("12.3.2026"), current()
        )
    assert await production_list(region.kitchen, MONDAY, current()) == {
        ("lunch", "normal"): 3 * 1 + 3 * 2
    }
    assert await production_list(region.kitchen, THURSDAY, current()) == {
        ("lunch", COMBINATION): 4,
        ("lunch", "normal"): 4 * 2,
    }
    monday_stops = await route_delivery_list(region.route, MONDAY, current())
    thursday_stops = await route_delivery_list(region.route, THURSDAY, current())
    assert {s.diet for s in monday_stops} == {"normal"}
    assert {s.service_id: s.diet for s in thursday_stops}[changed] == COMBINATION
    changes = await route_changes(region.route, THURSDAY, thursday_stops, current())
    assert [s.service_id for s in changes.changed] == [changed]


async def test_a_later_change_ends_the_earlier_and_one_day_holds_one_change() -> None:
    region = await new_region()
    service = await active_service(region)
    async with transaction():
        await diets.change_diet(SYSTEM, service, 2, change("9.3.2026"), current())
        await diets.change_diet(
            SYSTEM,
            service,
            3,
            change("12.3.2026", diets=[], allergies=[], texture="soft"),
            current(),
        )
        await diets.change_diet(
            SYSTEM, service, 4, change("12.3.2026", diets="diabetic", allergies=[]), current()
        )
    assert await MealDietPeriod.count() == 2
    assert await production_list(region.kitchen, MONDAY, current()) == {("lunch", COMBINATION): 3}
    thursday_key = DietChoice(("diabetic",), (), "pureed").key
    assert await production_list(region.kitchen, THURSDAY, current()) == {
        ("lunch", thursday_key): 4
    }


def test_the_combination_reads_in_the_regions_words() -> None:
    settings = current()
    text = settings.diet_label(COMBINATION)
    assert settings.diets["gluten_free"] in text and settings.allergies["fish"] in text
    assert settings.textures["pureed"] in text
    assert DietChoice.from_key(COMBINATION) == DietChoice(
        ("gluten_free", "lactose_free"), ("fish",), "pureed"
    )
    assert settings.diet_label("normal") == settings.diets["normal"]


async def test_coordinator_changes_diets_with_a_finnish_date_and_sees_the_history(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    service = await active_service(region)
    await sign_in(client, await make_user("meal_coordinator"))
    page = await client.get(f"/meals/services/{service}")
    assert f'href="/meals/services/{service}/diet"' in page.text
    form = await client.get(f"/meals/services/{service}/diet")
    assert form.status_code == 200 and 'name="allergies"' in form.text
    assert "p.k.vvvv" in form.text or "7.12.2026" in form.text  # the Finnish date hint

    unknown = await post_form(
        client,
        f"/meals/services/{service}/diet",
        change("12.3.2026", diets="vegan_keto", version=await version_of(service)),
    )
    assert unknown.status_code == 400 and 'id="f-diets-error"' in unknown.text
    assert await MealDietPeriod.count() == 0, "nothing half-written"
    early = await post_form(
        client,
        f"/meals/services/{service}/diet",
        change("1.1.2026", version=await version_of(service)),
    )
    assert early.status_code == 400 and 'id="f-valid_from-error"' in early.text

    saved = await post_form(
        client,
        f"/meals/services/{service}/diet",
        change("12.3.2026", version=await version_of(service)),
    )
    assert [kind for kind, _text in notices(saved.text)] == ["success"], saved.text
    assert "12.3.2026" in saved.text and "Test " in saved.text  # the history: from when, by whom
    assert await AuditEntry.count().where(AuditEntry.entity == "meal_diet") == 1
