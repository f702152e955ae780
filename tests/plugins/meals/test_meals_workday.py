"""The meal-service workday: the inbox links and closes by action, the start-up check for task
kinds, kitchen row scope, decisions with the customer's notice, reported changes turned into
actions, finding a customer in one step, the services list's filters, the kitchen lists' next
delivery day and remembered kitchen, and client guidance's requests on its dashboard."""

from __future__ import annotations

import datetime as dt
import importlib

import httpx
import pytest

from core.common.clock import today
from core.customers.tables import Customer
from core.db import transaction
from core.i18n import gettext, in_language
from core.identity.tables import StaffRole, StaffSession
from core.notifications.tables import OutboxMessage
from core.plugins import TaskKind, hookimpl
from core.plugins.host import PluginError, PluginHost
from core.tasks.kinds import collect_task_kinds
from core.tasks.tables import Task
from core.web.runtime import Runtime
from plugins.meals import services
from plugins.meals.lists import production_list
from plugins.meals.scope import bind_user
from plugins.meals.settings import current
from plugins.meals.tables import MealChangeReport, MealDecision, MealPause, MealService
from tests.helpers import SYSTEM, make_user, post_form, sign_in
from tests.plugins.meals.conftest import (
    OPENING_DECISION,
    Region,
    active_service,
    new_customer,
    new_region,
    version_of,
    weekly_order,
)

DECISION = {"decision_maker": "Sosiaaliohjaaja Laine", "basis": "Muutti palvelutaloon"}


async def signed_in(client: httpx.AsyncClient, *roles: str) -> str:
    client.cookies.clear()
    username = await make_user(*roles)
    await sign_in(client, username)
    return username


async def request_ending(service_id: int, end: dt.date) -> None:
    async with transaction():
        await services.request_ending(
            SYSTEM,
            service_id,
            await version_of(service_id),
            {"end_date": end.isoformat(), "ending_reason": "moved to a care home"},
        )


async def ending_before_client_guidance(client: httpx.AsyncClient, last_day: dt.date) -> int:
    """An active service whose ending waits for client guidance, who is signed in."""
    service_id = await active_service(await new_region())
    await request_ending(service_id, last_day)
    await signed_in(client, "client_guidance")
    return service_id


class UnaddressedKind:
    @hookimpl
    def valvomo_task_kinds(self) -> list[TaskKind]:
        return [TaskKind("laundry.pickup", "Pick up laundry", "kitchen")]


def test_a_task_kind_for_a_role_without_the_inbox_stops_start_up(runtime: Runtime) -> None:
    host = PluginHost(runtime.settings)
    collect_task_kinds(host, runtime.roles, runtime.permissions)  # the shipped kinds all reach
    host.pm.register(UnaddressedKind(), name="laundry")
    with pytest.raises(
        PluginError, match=r"'laundry'.*'laundry.pickup'.*role 'kitchen'.*tasks.work"
    ):
        collect_task_kinds(host, runtime.roles, runtime.permissions)


async def test_decision_tasks_link_to_their_page_and_close_only_by_deciding(
    client: httpx.AsyncClient,
) -> None:
    service_id = await ending_before_client_guidance(client, today() + dt.timedelta(days=20))
    dashboard = await client.get("/")
    assert f'href="/meals/services/{service_id}/decide"' in dashboard.text
    task = await Task.select().where(Task.kind == "meals.ending").first()
    refused = await post_form(
        client, f"/tasks/{task['id']}/complete", {"version": task["version"], "outcome": "ok"}
    )
    assert refused.status_code == 400
    assert (await Task.select(Task.status).where(Task.id == task["id"]).first())["status"] == "open"


async def test_ending_decision_with_a_date_before_the_request_is_refused(
    client: httpx.AsyncClient,
) -> None:
    service_id = await ending_before_client_guidance(client, today() + dt.timedelta(days=20))
    version = await version_of(service_id)
    early = (today() - dt.timedelta(days=3)).strftime("%-d.%-m.%Y")
    response = await post_form(
        client,
        f"/meals/services/{service_id}/decide",
        {"version": version, "decided_on": early, **DECISION},
    )
    assert response.status_code == 400
    assert "f-decided_on-error" in response.text
    assert await MealDecision.count().where(MealDecision.kind == "ending") == 0
    assert (await services.get_service(service_id))["status"] == "ending_requested"


async def test_ending_decision_notice_goes_by_sms_in_swedish_and_meals_go_on(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    customer = await new_customer("Lindqvist", phone="+358401234567", language="sv")
    service_id = await active_service(region, customer=customer)
    last_day = today() + dt.timedelta(days=20)
    await request_ending(service_id, last_day)
    await signed_in(client, "client_guidance")
    form = await client.get(f"/meals/services/{service_id}/decide")
    assert form.status_code == 200 and 'id="f-decision_maker"' in form.text
    saved = await post_form(
        client,
        f"/meals/services/{service_id}/decide",
        {"version": await version_of(service_id), "decided_on": today().isoformat(), **DECISION},
    )
    assert saved.status_code == 200
    assert "The decision was saved" in saved.text or "Päätös tallennettiin" in saved.text
    ending = last_day.strftime("%-d.%-m.%Y")
    assert ending in saved.text  # "ending decided, meals until …"
    decision = await MealDecision.select().where(MealDecision.kind == "ending").first()
    assert (decision["notice_channel"], decision["notice_language"]) == ("sms", "sv")
    message = (
        await OutboxMessage.select()
        .where(OutboxMessage.reference == f"meals:decision:{decision['id']}")
        .first()
    )
    assert message["recipient"] == "+358401234567"
    assert "måltidsservice" in message["body"] and ending in message["body"]
    assert await Task.count().where(Task.status == "open") == 0


async def test_a_customer_without_a_mobile_gets_a_printable_letter(
    client: httpx.AsyncClient,
) -> None:
    service_id = await ending_before_client_guidance(client, today() + dt.timedelta(days=5))
    await post_form(
        client,
        f"/meals/services/{service_id}/decide",
        {"version": await version_of(service_id), "decided_on": today().isoformat(), **DECISION},
    )
    decision = await MealDecision.select().where(MealDecision.kind == "ending").first()
    assert decision["notice_channel"] == "letter"
    assert await OutboxMessage.count() == 0
    page = await client.get(f"/meals/services/{service_id}")
    letter_href = f"/meals/services/{service_id}/decisions/{decision['id']}/letter"
    assert letter_href in page.text
    letter = await client.get(letter_href)
    assert letter.headers["content-type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF")


async def test_kitchen_users_see_only_their_kitchens_lists(client: httpx.AsyncClient) -> None:
    region = await new_region()
    await active_service(region)
    username = await signed_in(client, "kitchen")
    async with transaction():
        await bind_user(SYSTEM, region.kitchen, username)
    day = "2026-03-02"
    own = [
        f"/meals/lists/kitchens/{region.kitchen}?day={day}",
        f"/meals/lists/kitchens/{region.kitchen}/print?day={day}",
        f"/meals/lists/routes/{region.route}?day={day}",
        f"/api/meals/routes/{region.route}/deliveries?day={day}",
        f"/api/meals/kitchens/{region.kitchen}/production?day={day}",
    ]
    other = [
        f"/meals/lists/kitchens/{region.other_kitchen}?day={day}",
        f"/meals/lists/kitchens/{region.other_kitchen}/print?day={day}",
        f"/meals/lists/routes/{region.other_route}?day={day}",
        f"/meals/lists/route?route={region.other_route}",
        f"/api/meals/routes/{region.other_route}/deliveries?day={day}",
        f"/api/meals/kitchens/{region.other_kitchen}/production?day={day}",
    ]
    for path in own:
        assert (await client.get(path)).status_code == 200, path
    for path in other:
        assert (await client.get(path)).status_code == 404, path
    index = await client.get("/meals/lists/")
    assert "Lapua" not in index.text and "Seinäjoki keskuskeittiö" in index.text
    await signed_in(client, "kitchen")  # bound to no kitchen: sees none
    assert (await client.get(own[0])).status_code == 404


async def test_print_all_is_one_document_with_every_route_and_page_breaks(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    customer = await new_customer("Mäkelä", phone="+358401112222")
    await active_service(region, customer=customer)
    username = await signed_in(client, "kitchen")
    async with transaction():
        await bind_user(SYSTEM, region.kitchen, username)
    printout = await client.get(f"/meals/lists/kitchens/{region.kitchen}/print?day=2026-03-02")
    assert printout.status_code == 200
    text = printout.text
    assert text.count('class="print-sheet"') == 2  # production + the kitchen's one route
    stylesheet = (await client.get("/static/style.css")).text  # no inline style under the CSP
    assert "break-after: page" in stylesheet and "counter(page)" in stylesheet
    assert "040 111 2222" in text and "☐" in text and "Mäkelä" in text
    assert "Reitti 1" in text


async def test_home_care_reports_an_absence_that_becomes_a_pause_from_the_inbox(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    service_id = await active_service(region)
    start, end = today() + dt.timedelta(days=2), today() + dt.timedelta(days=9)
    await signed_in(client, "home_care")
    service_page = await client.get(f"/meals/services/{service_id}")
    assert f'href="/meals/services/{service_id}/report"' in service_page.text
    backwards = await post_form(
        client,
        f"/meals/services/{service_id}/report",
        {"kind": "absence", "channel": "phone", "start_date": end.isoformat(),
         "end_date": start.isoformat(), "details": "hospital"},
    )  # fmt: skip
    assert backwards.status_code == 400 and "f-end_date-error" in backwards.text
    assert await MealChangeReport.count() == 0
    assert await Task.count().where(Task.kind == "meals.change_report") == 0
    reported = await post_form(
        client,
        f"/meals/services/{service_id}/report",
        {"kind": "absence", "channel": "phone", "start_date": start.strftime("%-d.%-m.%Y"),
         "end_date": end.strftime("%-d.%-m.%Y"), "details": "Seinäjoen keskussairaala"},
    )  # fmt: skip
    assert reported.status_code == 200
    report = await MealChangeReport.select().first()

    await signed_in(client, "meal_coordinator")
    inbox = await client.get("/")
    report_href = f"/meals/services/{service_id}/reports/{report['id']}"
    assert report_href in inbox.text
    report_page = await client.get(report_href)
    pause_href = f"/meals/services/{service_id}/pause?report={report['id']}"
    assert pause_href in report_page.text.replace("&amp;", "&")
    form = await client.get(pause_href)
    assert start.strftime("%-d.%-m.%Y") in form.text and end.strftime("%-d.%-m.%Y") in form.text
    saved = await post_form(
        client,
        f"/meals/services/{service_id}/pause",
        {"version": await version_of(service_id), "report": report["id"],
         "start_date": start.isoformat(), "end_date": end.isoformat(), "reason": "sairaala"},
    )  # fmt: skip
    assert saved.status_code == 200
    pause = await MealPause.select().where(MealPause.service == service_id).first()
    assert (pause["start_date"], pause["end_date"]) == (start, end)
    handled = await MealChangeReport.select().first()
    assert (handled["status"], handled["handled_action"]) == ("handled", "pause")
    assert await Task.count().where(Task.status == "open") == 0
    history = await client.get(f"/meals/services/{service_id}")
    assert "Seinäjoen keskussairaala" in history.text

    await signed_in(client, "home_care")
    overlapping = await post_form(
        client,
        f"/meals/services/{service_id}/report",
        {"kind": "absence", "channel": "visit", "start_date": end.isoformat()},
    )
    assert overlapping.status_code == 400 and "f-start_date-error" in overlapping.text


async def test_coordinator_finds_a_customer_in_one_step(client: httpx.AsyncClient) -> None:
    region = await new_region()
    await active_service(region)
    wanted = await new_customer("Kivelä", phone="+358405556666")
    service_id = await active_service(region, customer=wanted)
    await Customer.update({Customer.external_number: "SJK-40123"}).where(Customer.id == wanted)
    # A customer whose phone holds the wanted one's customer number: a number is read out
    # whole and matched whole, so the search still opens the one service.
    holder = await new_customer("Puhelin", phone=f"+35840{(str(wanted) * 7)[:7]}")
    await active_service(region, customer=holder)
    await signed_in(client, "meal_coordinator")
    for query in ("kivelä", "040 555 6666", str(wanted), "SJK-40123", "sjk-40123"):
        found = await post_form(client, "/meals/services/search", {"q": query})
        assert str(found.url).endswith(f"/meals/services/{service_id}"), query
    await active_service(region, customer=await new_customer("Kivelämaa"))
    several = await post_form(client, "/meals/services/search", {"q": "Kivelä"})
    assert several.status_code == 200 and "Kivelämaa" in several.text  # answered at once
    sessions = await StaffSession.select(StaffSession.data)
    assert not any("Kivel" in str(row["data"]) for row in sessions)  # in no session row
    customer_page = await client.get(f"/customers/{wanted}")
    assert customer_page.status_code == 200  # the coordinator may open the customer
    code = (await MealService.select(MealService.customer.identity_code).where(
        MealService.id == service_id).first())["customer.identity_code"]  # fmt: skip
    by_code = await post_form(client, "/customers/search", {"q": code})
    assert str(by_code.url).endswith(f"/customers/{wanted}") and code not in str(by_code.url)


async def test_an_existing_coordinator_role_gets_the_inbox_and_the_customer_page() -> None:
    migration = importlib.import_module("plugins.meals.migrations.meals_2026_11_25t15_54_07_000000")
    await StaffRole.update({StaffRole.permissions: ["meals.manage"]}).where(
        StaffRole.code == "meal_coordinator"
    )
    await migration.grant_coordinator(StaffRole._meta.db)
    role = (
        await StaffRole.select(StaffRole.permissions)
        .where(StaffRole.code == "meal_coordinator")
        .first()
        .output(load_json=True)
    )
    assert role["permissions"] == ["customers.view", "meals.manage", "tasks.work"]


async def test_a_search_lists_the_services_of_every_customer_it_finds(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    found = [await new_customer(name) for name in ("Kivelä", "Kivelämaa", "Kivi")]
    for customer in found:
        await active_service(region, customer=customer)
    await active_service(region, customer=await new_customer("Niemi", phone="+358405551234"))
    total, rows = await services.list_services(services.ServiceFilter(query="kiv"), 1, 50)
    assert total == 3 and sorted(r["customer"] for r in rows) == sorted(found)
    total, rows = await services.list_services(services.ServiceFilter(query="555 12"), 1, 50)
    assert total == 1 and rows[0]["customer.last_name"] == "Niemi"
    total, _rows = await services.list_services(services.ServiceFilter(query="kivelä x"), 1, 50)
    assert total == 0
    await signed_in(client, "meal_coordinator")
    several = await post_form(client, "/meals/services/search", {"q": "kiv"})
    assert several.status_code == 200
    assert all(name in several.text for name in ("Kivelämaa", "Kivi", "Kivelä"))
    assert "Niemi" not in several.text


async def test_the_services_list_filters_by_kitchen_route_status_and_changed_this_week(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    await active_service(region, customer=await new_customer("Hiljainen"))
    paused = await active_service(region, customer=await new_customer("Tauottaja"))
    elsewhere = Region(region.other_kitchen, region.other_route, region.kitchen, region.route)
    await active_service(elsewhere, customer=await new_customer("Lapualainen"))
    async with transaction():
        await services.pause_service(
            SYSTEM,
            paused,
            await version_of(paused),
            {"start_date": today().isoformat(), "reason": "hospital"},
        )
    await signed_in(client, "meal_coordinator")

    async def names(query: str) -> set[str]:
        page = await client.get(f"/meals/services?{query}")
        assert page.status_code == 200, query
        return {n for n in ("Hiljainen", "Tauottaja", "Lapualainen") if n in page.text}

    assert await names("") == {"Hiljainen", "Tauottaja", "Lapualainen"}
    assert await names(f"kitchen={region.kitchen}") == {"Hiljainen", "Tauottaja"}
    assert await names(f"kitchen={region.other_kitchen}&route={region.other_route}") == {
        "Lapualainen"
    }
    assert await names(f"route={region.route}") == {"Hiljainen", "Tauottaja"}
    assert await names("status=paused") == {"Tauottaja"}
    assert await names("changed=week") == {"Tauottaja"}  # its pause starts this week


async def test_kitchen_lists_open_on_the_next_delivery_day_and_remember_the_kitchen(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    await active_service(region)  # delivered on Mondays and Thursdays
    elsewhere = Region(region.other_kitchen, region.other_route, region.kitchen, region.route)
    await active_service(elsewhere)
    username = await signed_in(client, "kitchen")
    async with transaction():
        await bind_user(SYSTEM, region.kitchen, username)
        await bind_user(SYSTEM, region.other_kitchen, username)
    chosen = await client.get(
        f"/meals/lists/kitchen?kitchen={region.kitchen}", follow_redirects=False
    )
    day = dt.date.fromisoformat(chosen.headers["location"].rsplit("day=", 1)[1])
    # Kitchens cook ahead: the first coming day with deliveries, not today.
    assert today() < day <= today() + dt.timedelta(days=7)
    assert await production_list(region.kitchen, day, current())
    for earlier in range(1, (day - today()).days):
        assert not await production_list(
            region.kitchen, today() + dt.timedelta(days=earlier), current()
        )
    opened = await client.get(f"/meals/lists/kitchens/{region.other_kitchen}")
    assert opened.status_code == 200 and day.strftime("%-d.%-m.%Y") in opened.text
    index = await client.get("/meals/lists/")
    assert f'<option value="{region.other_kitchen}" selected>' in index.text  # remembered
    await client.get(f"/meals/lists/kitchens/{region.kitchen}?day={day.isoformat()}")
    index = await client.get("/meals/lists/")
    assert f'<option value="{region.kitchen}" selected>' in index.text


async def test_client_guidance_sees_the_requests_it_sent_and_their_state(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    customer = await new_customer("Pyytäjä")
    await signed_in(client, "client_guidance")
    sent = await post_form(
        client,
        f"/meals/customers/{customer}/open",
        {"start_date": today().isoformat(), "diet": "normal", "requested_meals": "lounas",
         **OPENING_DECISION},
    )  # fmt: skip
    assert sent.status_code == 200
    service_id = (await MealService.select(MealService.id).first())["id"]
    dashboard = (await client.get("/")).text
    assert "Pyytäjä" in dashboard and f'href="/meals/services/{service_id}"' in dashboard
    assert "waiting for the coordinator" in dashboard or "odottaa yhdyshenkilöä" in dashboard
    async with transaction():
        await services.complete_opening(
            SYSTEM,
            service_id,
            await version_of(service_id),
            {"kitchen": region.kitchen, "route": region.route, "route_stop": "1",
             **weekly_order()},
            current(),
        )  # fmt: skip
    dashboard = (await client.get("/")).text
    assert "completed by the coordinator" in dashboard or "yhdyshenkilö täydensi" in dashboard


@pytest.mark.parametrize(
    ("kind", "action", "shown"),
    [("wish_to_end", "end", "Muuttaa tyttären luo"), ("address", "delivery", "Ovikoodi 4321")],
)
async def test_a_reported_ending_or_address_change_opens_its_action_pre_filled(
    client: httpx.AsyncClient, kind: str, action: str, shown: str
) -> None:
    service_id = await active_service(await new_region())
    last_day = today() + dt.timedelta(days=12)
    await signed_in(client, "home_care")
    reported = await post_form(
        client,
        f"/meals/services/{service_id}/report",
        {"kind": kind, "channel": "phone", "start_date": last_day.isoformat(), "details": shown},
    )
    assert reported.status_code == 200
    report = await MealChangeReport.select().first()
    await signed_in(client, "meal_coordinator")
    report_page = await client.get(f"/meals/services/{service_id}/reports/{report['id']}")
    href = f"/meals/services/{service_id}/{action}?report={report['id']}"
    assert href in report_page.text.replace("&amp;", "&")  # one click from the report
    form = await client.get(href)
    assert form.status_code == 200 and shown in form.text
    if action == "end":
        assert last_day.strftime("%-d.%-m.%Y") in form.text


async def test_a_report_marked_handled_needs_a_note_of_what_was_done(
    client: httpx.AsyncClient,
) -> None:
    region = await new_region()
    service_id = await active_service(region)
    await signed_in(client, "home_care")
    reported = await post_form(
        client,
        f"/meals/services/{service_id}/report",
        {"kind": "other", "channel": "phone", "details": "Ovikoodi vaihtui"},
    )
    assert reported.status_code == 200, reported.text
    report = await MealChangeReport.select().first()
    await signed_in(client, "meal_coordinator")
    path = f"/meals/services/{service_id}/reports/{report['id']}"
    assert f'action="{path}/handled"' in (await client.get(path)).text
    with in_language("fi"):
        empty, long = gettext("Write what was done."), gettext("At most 2,000 characters.")
    for outcome, message in [("  ", empty), ("x" * 2001, long)]:
        refused = await post_form(client, f"{path}/handled", {"outcome": outcome})
        assert refused.status_code == 400
        assert f'<p class="error" id="f-outcome-error">{message}</p>' in refused.text
    still = await MealChangeReport.select().first()
    assert (still["status"], still["version"]) == ("open", report["version"])
    assert await Task.count().where(Task.status == "open") == 1
    done = await post_form(client, f"{path}/handled", {"outcome": " Soitettu kotihoitoon. "})
    assert done.status_code == 200
    handled = await MealChangeReport.select().first()
    assert (handled["status"], handled["outcome"]) == ("handled", "Soitettu kotihoitoon.")
    assert await Task.count().where(Task.status == "open") == 0
