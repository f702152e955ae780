"""The page, its chart images, the API and the export command, as leaders and tools meet them."""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
import pytest

from core.situation.services import declared_metrics, known_units
from core.web.runtime import Runtime
from tests.core.situation.scenario import (
    MARCH,
    bookings_march,
    compute,
    meals_march,
    phones_march,
)
from tests.helpers import make_user, run_cli, sign_in

MARCH_QUERY = "start=3/2026&end=3/2026"


@pytest.fixture
async def march(runtime: Runtime) -> None:
    await meals_march()
    await phones_march()
    await compute(runtime, MARCH)


async def test_leader_reaches_the_page_and_small_cells_are_hidden(
    client: httpx.AsyncClient, march: None
) -> None:
    await sign_in(client, await make_user("leader"))
    dashboard = await client.get("/")
    assert 'href="/situation"' in dashboard.text
    page = await client.get(f"/situation/?{MARCH_QUERY}&municipality=Seinäjoki")
    assert page.status_code == 200
    assert "Tilannekuva" in page.text and "Ateriapalvelun asiakkaat" in page.text
    assert "alle 5" in page.text  # three openings are a small cell for a leader
    assert "/meals/reports/deviations" not in page.text  # no links a leader cannot follow
    assert "minuuttia sitten" in page.text or "juuri nyt" in page.text  # the figures' age
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)  # no inline script (CSP)


async def test_coordinator_sees_the_counts_and_the_lists_behind_them(
    client: httpx.AsyncClient, march: None
) -> None:
    await sign_in(client, await make_user("meal_coordinator"))
    page = await client.get(f"/situation/?{MARCH_QUERY}")
    assert page.status_code == 200
    assert 'href="/meals/reports/deviations?month=2026-03"' in page.text
    listed = await client.get("/meals/reports/deviations?month=2026-03")
    assert listed.status_code == 200


async def test_a_figure_of_a_municipality_links_to_that_municipalitys_list(
    client: httpx.AsyncClient, runtime: Runtime, march: None
) -> None:
    """The customers behind a municipality's figure are that municipality's customers: the
    lists behind its figures are narrowed to it (see also test_list_areas)."""
    from plugins.meals.tables import MealService
    from tests.plugins.meals.conftest import Region, active_service
    from tests.plugins.security_phones.factories import new_customer

    first = await MealService.select(MealService.kitchen, MealService.route).first()
    region = Region(first["kitchen"], first["route"], first["kitchen"], first["route"])
    elsewhere = await new_customer("Lapua", last_name="Muualla")
    await active_service(region, dt.date(2026, 3, 2), customer=elsewhere)
    await compute(runtime, MARCH)
    await sign_in(client, await make_user("meal_coordinator"))
    page = await client.get(f"/situation/?{MARCH_QUERY}&municipality=Seinäjoki")
    link = 'href="/meals/services?month=2026-03&amp;municipality=Sein%C3%A4joki"'
    assert link in page.text
    assert 'href="/meals/reports/deviations?month=2026-03&amp;municipality=Sein' in page.text
    assert 'href="/meals/reports/deviations?month=2026-03"' not in page.text  # never everyone
    listed = await client.get("/meals/services?month=2026-03&municipality=Sein%C3%A4joki")
    assert listed.status_code == 200
    assert "Virtanen" in listed.text and "Muualla" not in listed.text
    lapua = await client.get("/meals/services?month=2026-03&municipality=Lapua")
    assert "Muualla" in lapua.text and "Virtanen" not in lapua.text
    bad = await client.get("/meals/services?month=13/2026")  # a clear message, no list
    assert bad.status_code == 400 and "11/2026" in bad.text and "Virtanen" not in bad.text


async def test_charts_are_svg_images_without_scripts(
    client: httpx.AsyncClient, march: None
) -> None:
    await sign_in(client, await make_user("leader"))
    page = await client.get(f"/situation/?{MARCH_QUERY}&chart=security_phones.alarms")
    for name in ("customers", "trend", "municipalities", "split-security_phones.response_times"):
        assert f"/situation/chart/{name}?" in page.text
        chart = await client.get(
            f"/situation/chart/{name}?start=2026-03&end=2026-03&chart=security_phones.alarms"
        )
        assert chart.status_code == 200, name
        assert chart.headers["content-type"].startswith("image/svg+xml")
        assert "default-src 'none'" in chart.headers["content-security-policy"]
        assert "<svg" in chart.text and "<script" not in chart.text
    assert (await client.get(f"/situation/chart/nope?{MARCH_QUERY}")).status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=5/2026&end=3/2026", "Jakso päättyy ennen kuin se alkaa."),
        ("start=1/2020&end=3/2026", "Jakso voi olla enintään viisi vuotta pitkä."),
        ("start=maaliskuu", "Anna kuukausi muodossa 11/2026."),
        ("municipality=Tampere", "Hyvinvointialueella ei ole tämännimistä kuntaa."),
        ("unit=Olematon keittiö", "Tämännimistä keittiötä tai yksikköä ei ole."),
    ],
)
async def test_bad_input_is_named_and_nothing_is_computed(
    client: httpx.AsyncClient, query: str, message: str
) -> None:
    await sign_in(client, await make_user("leader"))
    page = await client.get(f"/situation/?{query}")
    assert page.status_code == 400
    assert message in page.text
    assert "situation-figures" not in page.text
    api = await client.get(
        f"/api/situation/metrics?{query.replace('start', 'from').replace('end', 'to')}"
    )
    assert api.status_code == 400 and api.json()["errors"]


async def test_api_refuses_across_its_parameters_what_the_page_refuses(
    client: httpx.AsyncClient, march: None
) -> None:
    """What a schema cannot state for query parameters (rules across them, units known only
    from the figures) the API refuses with the documented 400 body naming the field, as the page
    does, and computes nothing; the fuzz test accepts exactly these refusals of schema-valid
    requests (tests/core/test_api_fuzz.py)."""
    await sign_in(client, await make_user("leader"))
    unit = (await known_units())[0]
    for query, field, message in (
        ("from=2026-05&to=2026-03", "to", "The period ends before it starts."),
        ("from=2020-03&to=2026-03", "to", "The period can be at most five years long."),
        ("from=2026-03&to=2026-03&unit=Olematon keittiö", "unit", "There is no such kitchen"),
        (
            f"from=2026-03&to=2026-03&municipality=Seinäjoki&unit={unit}",
            "unit",
            "Choose either a municipality or a kitchen or unit",
        ),
    ):
        response = await client.get(f"/api/situation/metrics?{query}")
        assert response.status_code == 400, (query, response.text)
        body = response.json()
        assert list(body["errors"]) == [field], query
        assert body["errors"][field].startswith(message), body
        assert "figures" not in body
    alone = await client.get(f"/api/situation/metrics?from=2026-03&to=2026-03&unit={unit}")
    assert alone.status_code == 200
    assert {r["level"] for r in alone.json()["figures"]} == {"unit"}
    schema = (await client.get("/api/schema/openapi.json")).json()
    operation = schema["paths"]["/api/situation/metrics"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert "Seinäjoki" in parameters["municipality"]["enum"]
    assert "meals.customers" in parameters["metric"]["oneOf"][0]["items"]["enum"]
    assert "400" in operation["responses"]
    assert "both a municipality and a unit" in operation["description"]


async def test_api_gives_figures_without_personal_data(
    client: httpx.AsyncClient, march: None
) -> None:
    await sign_in(client, await make_user("leader"))
    response = await client.get("/api/situation/metrics?from=2026-03&to=2026-03")
    assert response.status_code == 200
    rows = response.json()["figures"]
    openings = [r for r in rows if r["metric"] == "meals.openings"]
    assert {(r["level"], r["area"]) for r in openings} == {
        ("region", ""),
        ("municipality", "Seinäjoki"),
    }
    assert all(r["suppressed"] and r["value"] is None for r in openings)
    customers = next(r for r in rows if r["metric"] == "meals.customers" and r["level"] == "region")
    assert (customers["value"], customers["suppressed"]) == (5, False)
    assert "Aino" not in response.text and "Virtanen" not in response.text
    unknown = await client.get("/api/situation/metrics?from=2026-03&to=2026-03&metric=nope")
    assert unknown.status_code == 400 and "metric" in unknown.json()["errors"]
    csv = await client.get("/api/situation/metrics?from=2026-03&to=2026-03&format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "meals.customers;meals;customers;2026-03;region;;;5;5;0" in csv.text


async def test_export_command_writes_json_and_refuses_bad_periods(
    runtime: Runtime, march: None
) -> None:
    done = run_cli(runtime, "export", "metrics", "--from", "2026-03", "--to", "3/2026",
                   "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["figures"]
    alarms = next(r for r in rows if r["metric"] == "security_phones.alarms")
    assert alarms["suppressed"] and alarms["value"] is None  # two customers only
    refused = run_cli(runtime, "export", "metrics", "--from", "2026-05", "--to", "2026-03")
    assert refused.returncode == 2
    assert "Jakso päättyy ennen kuin se alkaa." in refused.stdout
    assert refused.stdout.count("\n") <= 2  # a message, no figures


async def test_every_figure_links_to_a_list_that_opens_or_to_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """An administrator follows every figure to its list (no 403 or 404 behind a link); a
    leader without the lists' permissions sees no links at all."""
    await meals_march()
    await phones_march()
    await bookings_march()
    await compute(runtime, MARCH)
    await sign_in(client, await make_user("admin"))
    page = await client.get(f"/situation/?{MARCH_QUERY}")
    links = re.findall(r'<th scope="row"><a href="([^"]+)"', page.text)
    assert len(links) == len(declared_metrics(runtime.host))
    assert "/booking/appointments?month=2026-03&amp;status=no_show" in links
    assert "/security-phones/alarms?month=2026-03" in links
    for link in set(links):
        listed = await client.get(link.replace("&amp;", "&"))
        assert listed.status_code == 200, link
    no_shows = await client.get("/booking/appointments?month=2026-03&status=no_show")
    assert no_shows.text.count('href="/booking/bookings/') == 1
    alarms = await client.get("/security-phones/alarms?month=2026-03")
    assert alarms.status_code == 200 and "3/2026" in alarms.text
    await client.post("/logout")
    client.cookies.clear()
    await sign_in(client, await make_user("leader"))
    page = await client.get(f"/situation/?{MARCH_QUERY}")
    assert not re.findall(r'<th scope="row"><a href=', page.text)
