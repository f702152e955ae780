"""The region's diets, allergies and textures are kept on admin pages reached from the
coordinator's dashboard; valvomo.toml seeds them; an opening takes several of them."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from core.audit.tables import AuditEntry
from core.common.clock import today
from core.common.errors import ValidationFailed
from core.db import transaction
from core.i18n import gettext, in_language
from core.identity.tables import StaffUser
from core.plugins.host import PluginConfigError
from plugins.meals import codes, diets, services
from plugins.meals.diets import DietChoice
from plugins.meals.forms import NAME_TOO_LONG
from plugins.meals.lists import production_list, route_delivery_list
from plugins.meals.settings import current, parse_settings
from plugins.meals.tables import MealCode, MealService
from tests.helpers import (
    SYSTEM,
    assert_asks_first,
    make_user,
    notices,
    post_confirmed,
    post_form,
    sign_in,
)
from tests.plugins.meals.conftest import (
    OPENING_DECISION,
    active_service,
    new_customer,
    new_region,
    version_of,
    weekly_order,
)


async def test_the_file_seeds_the_lists_until_the_first_change_stores_them() -> None:
    assert await codes.effective() == current()
    async with transaction():
        await codes.add(SYSTEM, "allergies", {"label": "Sinappi"})
    stored = await MealCode.select().where(MealCode.kind == "allergies").order_by(MealCode.position)
    assert [r["code"] for r in stored] == [*current().allergies, "sinappi"]
    assert await MealCode.count().where(MealCode.kind != "allergies") == 0
    settings = await codes.effective()
    assert settings.allergies["sinappi"] == "Sinappi"
    assert settings.diets == current().diets  # the file still holds the kinds never changed


async def test_retired_entries_keep_their_label_but_are_not_offered_and_not_accepted() -> None:
    region = await new_region()
    service = await active_service(region)
    async with transaction():
        await codes.retire(SYSTEM, "allergies", "celery", 0)
    settings = await codes.effective()
    assert "celery" not in dict(settings.offered("allergies"))
    assert settings.diet_label(DietChoice((), ("celery",)).key).endswith(
        current().allergies["celery"]
    )
    change = {"valid_from": "12.3.2026", "allergies": "celery", "texture": "normal"}
    with pytest.raises(ValidationFailed) as refused:
        async with transaction():
            await diets.change_diet(SYSTEM, service, await version_of(service), change, settings)
    assert "allergies" in refused.value.errors
    async with transaction():
        await codes.restore(SYSTEM, "allergies", "celery", 2)
    assert "celery" in dict((await codes.effective()).offered("allergies"))


async def test_an_entry_a_running_service_has_cannot_be_retired() -> None:
    region = await new_region()
    service = await active_service(region)
    settings = current()
    async with transaction():
        await diets.change_diet(
            SYSTEM,
            service,
            await version_of(service),
            {"valid_from": today().isoformat(), "diets": "diabetic", "texture": "soft"},
            settings,
        )
    assert await codes.services_using("diets", "diabetic") == [service]
    assert await codes.services_using("textures", "soft") == [service]
    assert await codes.services_using("diets", "gluten_free") == []
    for kind, code in (("diets", "diabetic"), ("textures", "soft"), ("diets", "normal")):
        with pytest.raises(ValidationFailed) as refused:
            async with transaction():
                await codes.retire(SYSTEM, kind, code, 0)
        assert "retire" in refused.value.errors
    assert await MealCode.count() == 0, "nothing half-written"


async def test_an_opening_takes_several_diets_allergies_and_a_texture_onto_the_lists() -> None:
    region = await new_region()
    customer = await new_customer("Monivalinta")
    start = dt.date(2026, 3, 9)
    async with transaction():
        service_id = await services.open_service(
            SYSTEM,
            customer,
            {
                "start_date": start.isoformat(),
                "diets": ["lactose_free", "gluten_free"],
                "allergies": ["fish", "egg"],
                "texture": "pureed",
                "requested_meals": "lounas",
                **OPENING_DECISION,
            },
            current(),
        )
        await services.complete_opening(
            SYSTEM,
            service_id,
            1,
            {"kitchen": region.kitchen, "route": region.route, **weekly_order()},
            current(),
        )
    key = DietChoice(("gluten_free", "lactose_free"), ("egg", "fish"), "pureed").key
    service = await MealService.select().where(MealService.id == service_id).first()
    assert service["diet"] == key
    assert await production_list(region.kitchen, start, current()) == {("lunch", key): 3}
    stops = await route_delivery_list(region.route, start, current())
    assert [s.diet for s in stops] == [key]
    label = current().diet_label(key)
    assert all(current().allergies[a] in label for a in ("egg", "fish"))


async def test_an_opening_with_a_code_the_region_has_not_configured_is_refused() -> None:
    customer = await new_customer("Tuntematon")
    with pytest.raises(ValidationFailed) as refused:
        async with transaction():
            await services.open_service(
                SYSTEM,
                customer,
                {"start_date": "2026-03-09", "diets": ["vegan_keto"], "allergies": ["moon"],
                 "texture": "liquid", "requested_meals": "lounas", **OPENING_DECISION},
                current(),
            )  # fmt: skip
    assert {"diets", "allergies", "texture"} <= set(refused.value.errors)
    assert await MealService.count() == 0


async def test_coordinator_keeps_the_lists_from_her_dashboard(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, await make_user("meal_coordinator"))
    dashboard = await client.get("/")
    assert 'href="/meals/codes"' in dashboard.text
    index = await client.get("/meals/codes")
    assert index.status_code == 200 and 'href="/meals/codes/allergies"' in index.text
    assert current().allergies["fish"] in index.text  # labels, not codes

    empty = await post_form(client, "/meals/codes/allergies", {"label": " "})
    assert empty.status_code == 400 and 'id="f-label-error"' in empty.text
    twice = await post_form(client, "/meals/codes/allergies", {"label": current().allergies["egg"]})
    assert twice.status_code == 400 and 'id="f-label-error"' in twice.text
    assert await MealCode.count() == 0, "nothing half-written"

    added = await post_form(client, "/meals/codes/allergies", {"label": "Seesaminsiemen"})
    assert [kind for kind, _text in notices(added.text)] == ["success"], added.text
    assert 'href="/meals/codes/allergies/seesaminsiemen"' in added.text

    entry = await client.get("/meals/codes/allergies/seesaminsiemen")
    renamed = await post_form(
        client,
        "/meals/codes/allergies/seesaminsiemen",
        {"label": "Seesami", "version": "1"},
    )
    assert entry.status_code == 200 and "Seesami" in renamed.text
    assert [kind for kind, _text in notices(renamed.text)] == ["success"]

    path = "/meals/codes/allergies/seesaminsiemen/retire"
    await assert_asks_first(client, path, {"version": "2"})
    retired = await post_confirmed(client, path, {"version": "2"})
    assert [kind for kind, _text in notices(retired.text)] == ["success"]
    row = await MealCode.select().where(MealCode.code == "seesaminsiemen").first()
    assert row["label"] == "Seesami" and row["retired"] is True
    stale = await post_form(
        client, "/meals/codes/allergies/seesaminsiemen/restore", {"version": "2"}
    )
    assert stale.status_code == 409
    audited = await AuditEntry.select(AuditEntry.action).where(AuditEntry.entity == "meal_code")
    assert [a["action"] for a in audited] == ["create", "update", "update"]

    unknown = await client.get("/meals/codes/colours")
    assert unknown.status_code == 404


async def test_the_lists_are_not_for_kitchen_or_client_guidance(client: httpx.AsyncClient) -> None:
    for role in ("kitchen", "client_guidance"):
        await sign_in(client, await make_user(role))
        assert (await client.get("/meals/codes")).status_code == 403
        refused = await post_form(client, "/meals/codes/diets", {"label": "Vegaani"})
        assert refused.status_code == 403
    assert await MealCode.count() == 0


async def test_the_opening_form_offers_the_lists_and_the_service_page_shows_them(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    customer = await new_customer("Lomake")
    async with transaction():
        await codes.add(SYSTEM, "diets", {"label": "Vegaani"})
        await codes.retire(SYSTEM, "diets", "diabetic", 1)
    await sign_in(client, await make_user("client_guidance"))
    form = await client.get(f"/meals/customers/{customer}/open")
    assert 'value="vegaani"' in form.text and 'value="diabetic"' not in form.text
    assert 'name="allergies"' in form.text and 'name="texture"' in form.text
    start = today()
    sent = await post_form(
        client,
        f"/meals/customers/{customer}/open",
        {
            "start_date": f"{start.day}.{start.month}.{start.year}",
            "diets": ["vegaani", "gluten_free"],
            "allergies": "nuts",
            "texture": "soft",
            "requested_meals": "lounas",
            **OPENING_DECISION,
        },
    )
    assert [kind for kind, _text in notices(sent.text)] == ["success"], sent.text
    for text in ("Vegaani", current().diets["gluten_free"], current().allergies["nuts"],
                 current().textures["soft"]):  # fmt: skip
        assert text in sent.text
    assert region.kitchen  # the service waits for the coordinator to complete it


async def test_entries_have_finnish_and_swedish_names_shown_in_the_page_language(
    client: httpx.AsyncClient,
) -> None:
    username = await make_user("meal_coordinator")
    await sign_in(client, username)
    added = await post_form(
        client, "/meals/codes/allergies", {"label": "Seesami", "label_sv": "Sesam"}
    )
    assert [kind for kind, _text in notices(added.text)] == ["success"], added.text
    row = await MealCode.select().where(MealCode.code == "seesami").first()
    assert (row["label"], row["label_sv"], row["label_en"]) == ("Seesami", "Sesam", "")
    fish = await MealCode.select().where(MealCode.code == "fish").first()
    assert fish["label"] == current().allergies["fish"] and fish["label_sv"] == ""  # seeded

    with in_language("sv"):
        swedish = await codes.effective()
    with in_language("en"):
        english = await codes.effective()
    assert swedish.allergies["seesami"] == "Sesam"
    assert english.allergies["seesami"] == "Seesami"  # no English name: the Finnish one
    assert swedish.allergies["fish"] == current().allergies["fish"]
    assert (await codes.effective()).allergies["seesami"] == "Seesami"
    with in_language("sv"):
        assert swedish.diet_label(DietChoice((), ("seesami",)).key).endswith("Sesam")

    taken = await post_form(
        client,
        "/meals/codes/allergies/fish",
        {"label": fish["label"], "label_sv": "Sesam", "version": str(fish["version"])},
    )
    assert taken.status_code == 400 and 'id="f-label_sv-error"' in taken.text
    renamed = await post_form(
        client,
        "/meals/codes/allergies/fish",
        {"label": "Kalat", "label_sv": "Fisk", "label_en": "Fish", "version": "1"},
    )
    assert [kind for kind, _text in notices(renamed.text)] == ["success"], renamed.text
    audited = await AuditEntry.select(AuditEntry.after).where(
        (AuditEntry.entity == "meal_code") & (AuditEntry.action == "update")
    )
    assert audited and "Fisk" in str(audited[-1]["after"])

    await StaffUser.update({StaffUser.language: "sv"}).where(StaffUser.username == username)
    page = await client.get("/meals/codes/allergies")
    assert ">Fisk</a>" in page.text and ">Sesam</a>" in page.text
    index = await client.get("/meals/codes")
    assert "Fisk" in index.text and "Kalat" not in index.text
    await StaffUser.update({StaffUser.language: "fi"}).where(StaffUser.username == username)
    page = await client.get("/meals/codes/allergies")
    assert ">Kalat</a>" in page.text and ">Seesami</a>" in page.text


def test_the_file_may_name_entries_in_finnish_swedish_and_english() -> None:
    parsed = parse_settings(
        {"allergies": {"fish": {"fi": "Kala", "sv": "Fisk"}, "egg": "Kananmuna"}}
    )
    assert parsed.allergies == {"fish": "Kala", "egg": "Kananmuna"}
    assert parsed.other_names == {("allergies", "fish", "sv"): "Fisk"}
    with pytest.raises(PluginConfigError, match=r"allergies\.fish"):
        parse_settings({"allergies": {"fish": {"sv": "Fisk"}}})
    with pytest.raises(PluginConfigError, match=r"allergies\.fish"):
        parse_settings({"allergies": {"fish": {"fi": "Kala", "de": "Fisch"}}})


async def test_file_names_in_swedish_are_shown_until_the_list_is_changed() -> None:
    base = parse_settings({"allergies": {"fish": {"fi": "Kala", "sv": "Fisk"}}})
    with in_language("sv"):
        assert (await codes.with_codes(base)).allergies["fish"] == "Fisk"
    assert (await codes.with_codes(base)).allergies["fish"] == "Kala"


async def test_code_list_forms_refuse_at_the_field_and_write_nothing(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, await make_user("meal_coordinator"))
    long = "x" * 101
    with in_language("fi"):
        missing, too_long = gettext("Enter the name in Finnish."), gettext(NAME_TOO_LONG)
        bad_code = gettext("A code has 1–40 letters a–z, digits or underscores.")
    cases = [
        ({"label": " "}, "label", missing),
        ({"label": long}, "label", too_long),
        ({"label": "Seesami", "label_sv": long}, "label_sv", too_long),
        ({"label": "Seesami", "code": "Bad code!"}, "code", bad_code),
    ]
    for fields, field, message in cases:
        refused = await post_form(client, "/meals/codes/allergies", fields)
        assert refused.status_code == 400, fields
        assert f'<p class="error" id="f-{field}-error">{message}</p>' in refused.text, fields
    renamed = await post_form(
        client, "/meals/codes/allergies/fish", {"label": "Kala", "label_en": long, "version": "1"}
    )
    assert renamed.status_code == 400
    assert f'<p class="error" id="f-label_en-error">{too_long}</p>' in renamed.text
    assert await MealCode.count() == 0  # not even the seeds stored
    assert not await AuditEntry.exists().where(AuditEntry.entity == "meal_code")
    added = await post_form(client, "/meals/codes/allergies", {"label": " Seesamin \n siemen "})
    assert added.status_code == 200
    stored = await MealCode.select().where(MealCode.code == "seesamin_siemen").first()
    assert stored["label"] == "Seesamin siemen"  # on one line, as lists print it
