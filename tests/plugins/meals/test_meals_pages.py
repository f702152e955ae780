"""Pages and API: opening by client guidance, coordinator's forms, lists, the biller's exports."""

from __future__ import annotations

import datetime as dt
import json

import httpx

from core.audit.tables import AuditEntry
from core.common.clock import today
from core.db import is_sqlite, transaction
from core.engines import count_statements
from plugins.meals import change_reports, services
from plugins.meals.dashboard import COUNTS_SQL, coordinator_day, count_queries
from plugins.meals.scope import bind_user
from plugins.meals.tables import Kitchen, MealService
from tests.helpers import SYSTEM, api_headers, make_user, post_form, sign_in
from tests.plugins.meals.conftest import (
    OPENING_DECISION,
    active_service,
    new_customer,
    new_region,
    version_of,
    weekly_order,
)

ENDING_DECISION = {
    "decided_on": today().isoformat(),
    "decision_maker": "Sosiaaliohjaaja Laine",
    "basis": "Asiakas muutti palvelutaloon",
}


async def signed_in(client: httpx.AsyncClient, *roles: str) -> str:
    username = await make_user(*roles)
    await sign_in(client, username)
    return username


async def kitchen_user(client: httpx.AsyncClient, kitchen_id: int) -> None:
    """Sign in as a kitchen user bound to the kitchen."""
    username = await signed_in(client, "kitchen")
    async with transaction():
        await bind_user(SYSTEM, kitchen_id, username)


async def test_client_guidance_opens_and_coordinator_completes(client: httpx.AsyncClient) -> None:
    region = await new_region()
    customer = await new_customer()
    await signed_in(client, "client_guidance")
    page = await client.get(f"/customers/{customer}")
    assert f"/meals/customers/{customer}/open" in page.text
    bad = await post_form(client, f"/meals/customers/{customer}/open", {"start_date": "x"})
    assert bad.status_code == 400
    ok = await post_form(
        client,
        f"/meals/customers/{customer}/open",
        {
            "start_date": "2026-03-02",
            "diet": "normal",
            "requested_meals": "lunch daily",
            **OPENING_DECISION,
        },
    )
    assert ok.status_code == 200
    service_id = (await MealService.select(MealService.id).first())["id"]
    forbidden = await client.get(f"/meals/services/{service_id}/complete")
    assert forbidden.status_code in (403, 404)

    client.cookies.clear()
    await signed_in(client, "meal_coordinator")
    form = await client.get(f"/meals/services/{service_id}/complete")
    assert form.status_code == 200
    wrong = await post_form(
        client,
        f"/meals/services/{service_id}/complete",
        {"version": "1", "kitchen": region.kitchen, "route": region.other_route, **weekly_order()},
    )
    assert wrong.status_code == 400
    done = await post_form(
        client,
        f"/meals/services/{service_id}/complete",
        {"version": "1", "kitchen": region.kitchen, "route": region.route, **weekly_order()},
    )
    assert done.status_code == 200
    assert (await MealService.select(MealService.status).first())["status"] == "active"
    stale = await post_form(
        client,
        f"/meals/services/{service_id}/pause",
        {"version": "1", "start_date": "2026-03-10", "reason": "hospital"},
    )
    assert stale.status_code == 409


async def test_kitchen_lists_and_csv(client: httpx.AsyncClient) -> None:
    region = await new_region()
    await active_service(region)
    await kitchen_user(client, region.kitchen)
    production = await client.get(f"/meals/lists/kitchens/{region.kitchen}?day=2026-03-02")
    assert production.status_code == 200 and "<td>3</td>" in production.text
    route = await client.get(f"/meals/lists/routes/{region.route}?day=2026-03-05")
    assert "Kauppatie 1" in route.text
    listed = await AuditEntry.select(AuditEntry.customer_id).where(
        (AuditEntry.action == "view") & (AuditEntry.entity == "meal_route_list")
    )
    assert len(listed) == 1 and listed[0]["customer_id"] is not None  # in its access log
    csv = await client.get(f"/meals/lists/routes/{region.route}?day=2026-03-05&format=csv")
    assert csv.headers["content-type"].startswith("text/csv") and "Virtanen" in csv.text
    api = await client.get(f"/api/meals/kitchens/{region.kitchen}/production?day=2026-03-02")
    assert api.json() == [{"product": "lunch", "diet": "normal", "meals": 3}]
    assert (await client.get("/meals/reports/billing")).status_code in (403, 404)
    far = await client.get(f"/meals/lists/kitchens/{region.kitchen}?day=9999-12-31")
    assert far.status_code == 400


async def test_biller_reports_and_exports(client: httpx.AsyncClient) -> None:
    region = await new_region()
    await active_service(region)
    await signed_in(client, "biller")
    page = await client.get("/meals/reports/billing?month=2026-03")
    assert page.status_code == 200 and "Virtanen" in page.text
    assert "/billing/2026/3" in page.text  # the month's one billing export is core's
    logged = AuditEntry.count().where(AuditEntry.entity == "meal_billing_report")
    views_before = await logged
    xlsx = await client.get("/meals/reports/billing?month=2026-03&format=xlsx")
    assert xlsx.status_code == 404
    assert await logged == views_before, "a refused download is not a view"
    for report in ("deviations", "transport"):
        assert (await client.get(f"/meals/reports/{report}?month=2026-03")).status_code == 200
        csv = await client.get(f"/meals/reports/{report}?month=2026-03&format=csv")
        assert csv.status_code == 200 and len(csv.text.splitlines()) >= 2
    bad = await client.get("/meals/reports/billing?month=2026-13")
    assert bad.status_code == 400
    api = await client.get("/api/meals/billing-lines?month=2026-03", headers=api_headers(client))
    assert {line["product"] for line in api.json()} == {"lunch", "delivery"}


async def test_api_opening_validates_and_creates(client: httpx.AsyncClient) -> None:
    customer = await new_customer()
    await signed_in(client, "client_guidance")
    bad = await client.post(
        "/api/meals/openings",
        json={
            "customer_id": customer,
            "start_date": "2026-02-30",
            "diet": "normal",
            "requested_meals": "lunch",
        },
        headers=api_headers(client),
    )
    assert bad.status_code == 400 and "start_date" in bad.text
    ok = await client.post(
        "/api/meals/openings",
        json={
            "customer_id": customer,
            "start_date": "2026-03-02",
            "diet": "normal",
            "requested_meals": "lunch",
            **OPENING_DECISION,
        },
        headers=api_headers(client),
    )
    assert ok.status_code == 201 and ok.json()["status"] == "opening_requested"
    read = await client.get(f"/api/meals/services/{ok.json()['id']}")
    assert read.json()["customer_id"] == customer


async def test_coordinator_adds_kitchens_and_routes(client: httpx.AsyncClient) -> None:
    await signed_in(client, "meal_coordinator")
    assert (await post_form(client, "/meals/kitchens/", {"name": ""})).status_code == 400
    assert (await post_form(client, "/meals/kitchens/", {"name": "Kuortane"})).status_code == 200
    kitchen = (await Kitchen.select(Kitchen.id).first())["id"]
    bad = await post_form(client, "/meals/kitchens/routes", {"kitchen": "999", "name": "R1"})
    assert bad.status_code == 400
    await post_form(client, "/meals/kitchens/routes", {"kitchen": kitchen, "name": "Kuortane 1"})
    page = await client.get("/meals/kitchens/")
    assert "Kuortane 1" in page.text
    # A name too long is refused at its field (it used to be cut to 100 characters silently).
    long = await post_form(client, "/meals/kitchens/", {"name": "K" * 101})
    assert long.status_code == 400 and 'id="f-kitchen_name-error"' in long.text
    assert 'value="' + "K" * 101 + '"' in long.text  # kept for correcting
    nobody = await post_form(client, "/meals/kitchens/staff", {"staff_kitchen": kitchen})
    assert nobody.status_code == 400 and 'id="f-username-error"' in nobody.text
    assert await Kitchen.count() == 1


async def test_coordinator_dashboard_counts_a_planned_pause_covering_today_as_paused(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    await active_service(region)
    paused = await active_service(region)
    async with transaction():
        await services.pause_service(
            SYSTEM,
            paused,
            await version_of(paused),
            {
                "start_date": (today() - dt.timedelta(days=1)).isoformat(),
                "end_date": (today() + dt.timedelta(days=3)).isoformat(),
                "reason": "hospital",
            },
        )
    assert (await services.get_service(paused))["status"] == "active"  # planned, with an end
    day = await coordinator_day()
    assert (day.totals["running"], day.totals["paused"]) == (2, 1)
    assert day.totals["pauses_ending"] + day.totals["pauses_starting"] >= 1
    await signed_in(client, "meal_coordinator")
    dashboard = await client.get("/")
    assert "/meals/services?status=opening_requested" in dashboard.text
    assert "Seinäjoki keskuskeittiö" in dashboard.text


async def test_api_walks_pause_reactivation_ending_and_decision(client: httpx.AsyncClient) -> None:
    region = await new_region()
    service_id = await active_service(region)
    await signed_in(client, "meal_coordinator", "client_guidance")
    base = f"/api/meals/services/{service_id}"
    headers = api_headers(client)
    version = (await client.get(base)).json()["version"]
    too_early = {"version": version, "start_date": "2026-03-01", "reason": "x"}
    assert (await client.post(f"{base}/pause", json=too_early, headers=headers)).status_code == 400
    paused = await client.post(
        f"{base}/pause",
        json={"version": version, "start_date": "2026-03-10", "reason": "hospital"},
        headers=headers,
    )
    assert paused.json()["status"] == "paused"
    active = await client.post(
        f"{base}/reactivate",
        json={"version": paused.json()["version"], "resume_date": "2026-03-16"},
        headers=headers,
    )
    assert active.json()["status"] == "active"
    stale = await client.post(
        f"{base}/ending",
        json={"version": 1, "end_date": "2026-03-31", "ending_reason": "moved"},
        headers=headers,
    )
    assert stale.status_code == 409
    ending = await client.post(
        f"{base}/ending",
        json={
            "version": active.json()["version"],
            "end_date": "2026-03-31",
            "ending_reason": "moved",
        },
        headers=headers,
    )
    decided = await client.post(
        f"{base}/decision",
        json={"version": ending.json()["version"], **ENDING_DECISION},
        headers=headers,
    )
    assert decided.json()["status"] == "ended"
    listing = await client.get("/api/meals/services?status=ended")
    assert [s["id"] for s in listing.json()["services"]] == [service_id]


async def test_api_reports(client: httpx.AsyncClient) -> None:
    region = await new_region()
    await active_service(region)
    await signed_in(client, "biller")
    transport = await client.get("/api/meals/reports/transport?month=2026-03")
    assert transport.json()[0]["meals"] == 30 and transport.json()[0]["deliveries"] == 9
    deviations = await client.get("/api/meals/reports/deviations?month=2026-03")
    assert [d["kind"] for d in deviations.json()] == ["Opening"]


async def test_lists_and_reports_showing_customers_are_in_the_access_log(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    await active_service(region)
    customer = (await MealService.select(MealService.customer).first())["customer"]
    await kitchen_user(client, region.kitchen)
    stops = await client.get(f"/api/meals/routes/{region.route}/deliveries?day=2026-03-05")
    assert stops.status_code == 200 and stops.json()[0]["customer_id"] == customer
    route_views = await AuditEntry.select(AuditEntry.customer_id).where(
        AuditEntry.entity == "meal_route_list"
    )
    assert [v["customer_id"] for v in route_views] == [customer]
    await signed_in(client, "biller")
    await client.get("/meals/reports/deviations?month=2026-03")
    await client.get("/api/meals/billing-lines?month=2026-03", headers=api_headers(client))
    reports = await AuditEntry.select(AuditEntry.entity, AuditEntry.after).where(
        AuditEntry.entity.is_in(["meal_deviations_report", "meal_billing_report"])
    )
    assert sorted(r["entity"] for r in reports) == ["meal_billing_report", "meal_deviations_report"]
    assert all(json.loads(r["after"])["customers"] == [customer] for r in reports)


async def test_dashboard_counts_reported_changes_per_kitchen_in_a_few_statements(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    first, second = await active_service(region), await active_service(region)
    async with transaction():
        for service_id in (first, second, first):
            await change_reports.report_change(
                SYSTEM,
                service_id,
                {"kind": "other", "channel": "phone", "details": "uusi ovikoodi"},
            )
    day = await coordinator_day()
    assert day.by_kitchen[region.kitchen]["reported"] == 3
    assert day.totals["reported"] == 3 and day.totals["running"] == 2
    await signed_in(client, "meal_coordinator")
    with count_statements() as statements:
        assert (await client.get("/")).status_code == 200
    counts = [s.sql for s in statements if "meals_service s" in s.sql or "meals_pause p" in s.sql]
    assert len(counts) == len(count_queries(today())) == 1, counts  # all groups, any kitchens
    if is_sqlite(MealService._meta.db):  # the counts read one covering index, not every row
        plan = await MealService.raw(
            "EXPLAIN QUERY PLAN " + COUNTS_SQL, *count_queries(today())[0][1][:4]
        )
        assert "COVERING INDEX meals_service_counts" in str(plan), plan
