"""Alarms: the idempotent CSV import, the token-protected endpoint, technical tasks and visits."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from core.common.clock import HELSINKI
from core.db import PG_ROWS_PER_STATEMENT, transaction
from core.tasks.tables import Task
from plugins.security_phones import alarms
from plugins.security_phones.tables import (
    Alarm,
    AlarmCentre,
    AlarmVisit,
    Device,
    HomeKey,
    PhoneService,
)
from tests.helpers import SYSTEM, api_headers, make_user, post_form, sign_in
from tests.plugins.security_phones.factories import new_centre, new_customer

HEADER = "alarm_id;time;device_serial;centre_customer_id;kind;detail;outcome;visit_needed\n"
ROWS = (
    "A1;2026-03-01T10:00:00+02:00;S1;;button;;Puhelu;no\n"
    "A2;2026-03-01 11:30;;HK7;fall;;Apu lähetetty;yes\n"
    "A3;2026-03-02T08:00:00Z;S1;;technical;low_battery;;no\n"
)


async def phone_customer(centre_id: int) -> int:
    customer = await new_customer()
    await PhoneService.insert(
        PhoneService(
            customer=customer,
            decision_date=dt.date(2026, 1, 1),
            start_date=dt.date(2026, 1, 1),
            centre=centre_id,
            centre_customer_id="HK7",
        )
    )
    await Device.insert(
        Device(
            serial_number="S1", model="M", kind="base_unit", status="installed", customer=customer
        )
    )
    return customer


async def run_import(centre_id: int, text: str) -> alarms.ImportResult:
    rows, problems = alarms.read_csv(text)
    assert not problems
    async with transaction():
        return await alarms.import_alarms(SYSTEM, centre_id, rows)


async def test_import_is_idempotent_and_technical_alarms_make_tasks() -> None:
    centre_id, _ = await new_centre()
    customer = await phone_customer(centre_id)
    first = await run_import(centre_id, HEADER + ROWS)
    assert (first.rows, first.added, first.tasks, first.errors) == (3, 3, 1, [])
    again = await run_import(centre_id, HEADER + ROWS)
    assert (again.added, again.skipped, again.tasks) == (0, 3, 0)
    assert await Alarm.count() == 3
    stored = await Alarm.select().where(Alarm.centre_alarm_id == "A2").first()
    assert stored["customer"] == customer and stored["visit_needed"] is True
    assert stored["occurred_at"] == dt.datetime(2026, 3, 1, 11, 30, tzinfo=HELSINKI)
    task = await Task.select().where(Task.kind == "security_phones.technical_alarm").first()
    assert task["customer"] == customer and "low_battery" in task["summary"]
    assert await Task.count() == 1


async def test_same_alarm_id_from_another_centre_is_another_alarm() -> None:
    centre_a, _ = await new_centre("A")
    centre_b, _ = await new_centre("B")
    await phone_customer(centre_a)
    row = "X1;2026-03-01T10:00:00+02:00;S1;;button;;;no\n"
    assert (await run_import(centre_a, HEADER + row)).added == 1
    assert (await run_import(centre_b, HEADER + row)).added == 1


async def test_a_malformed_row_or_unknown_device_refuses_the_whole_file() -> None:
    centre_id, _ = await new_centre()
    await phone_customer(centre_id)
    bad = HEADER + ROWS + "A4;yesterday;S1;;button;;;no\nA5;2026-03-03T10:00;ZZZ;;button;;;no\n"
    result = await run_import(centre_id, bad)
    assert result.added == 0
    assert any("row 5: time" in e for e in result.errors)
    assert any("row 6: no device has the serial number 'ZZZ'" in e for e in result.errors)
    assert await Alarm.count() == 0
    _, problems = alarms.read_csv("a,b\n1,2\n")
    assert problems and "alarm_id" in problems[0]


async def test_upload_form_imports_and_reports(client: httpx.AsyncClient) -> None:
    centre_id, _ = await new_centre()
    await phone_customer(centre_id)
    await sign_in(client, await make_user("security_phone_coordinator"))
    await client.get("/security-phones/import")
    token = str(client.cookies.get("valvomo_csrf"))
    files = {"file": ("alarms.csv", (HEADER + ROWS).encode("utf-8"), "text/csv")}
    data = {"centre": str(centre_id), "_csrf_token": token}
    response = await client.post("/security-phones/import", data=data, files=files)
    assert response.status_code == 200 and await Alarm.count() == 3
    bad = {"file": ("alarms.csv", (HEADER + "Q;nope;S1;;button;;;no\n").encode(), "text/csv")}
    refused = await client.post("/security-phones/import", data=data, files=bad)
    assert refused.status_code == 400 and "row 2: time" in refused.text
    assert await Alarm.count() == 3


def alarm_body(alarm_id: str = "J1", **changes: object) -> dict[str, object]:
    return {
        "alarm_id": alarm_id,
        "time": "2026-03-05T12:00:00+02:00",
        "kind": "fall",
        "device_serial": "S1",
        "visit_needed": True,
        **changes,
    }


async def test_endpoint_needs_the_centres_own_token(client: httpx.AsyncClient) -> None:
    centre_a, token_a = await new_centre("A")
    _, token_b = await new_centre("B")
    await phone_customer(centre_a)
    url = f"/api/security-phones/centres/{centre_a}/alarms"
    no_token = await client.post(url, json=alarm_body())
    assert no_token.status_code == 401
    wrong = await client.post(url, json=alarm_body(), headers={"authorization": "Bearer nonsense"})
    assert wrong.status_code == 401
    other = await client.post(
        url, json=alarm_body(), headers={"authorization": f"Bearer {token_b}"}
    )
    assert other.status_code == 403 and "another alarm centre" in other.json()["detail"]
    assert await Alarm.count() == 0

    auth = {"authorization": f"Bearer {token_a}"}
    created = await client.post(url, json=alarm_body(), headers=auth)
    assert created.status_code == 201 and created.json()["created"] is True
    repeated = await client.post(url, json=alarm_body(), headers=auth)
    assert repeated.status_code == 200 and repeated.json() == {
        "id": created.json()["id"],
        "created": False,
    }
    unknown = await client.post(url, json=alarm_body("J2", device_serial="NOPE"), headers=auth)
    assert unknown.status_code == 400 and "NOPE" in unknown.text
    malformed = await client.post(url, json={"alarm_id": "J3"}, headers=auth)
    assert malformed.status_code == 400
    technical = await client.post(
        url, json=alarm_body("J4", kind="technical", detail="connection_lost"), headers=auth
    )
    assert technical.status_code == 201
    assert await Alarm.count() == 2 and await Task.count() == 1
    stored = await alarms.check_centre_token(centre_a, token_a)
    assert stored["token_hash"] != token_a and len(stored["token_hash"]) == 64


async def test_home_care_records_a_visit_that_cannot_arrive_before_the_alarm(
    client: httpx.AsyncClient,
) -> None:
    centre_id, _ = await new_centre()
    await phone_customer(centre_id)
    await run_import(centre_id, HEADER + ROWS)
    alarm = await Alarm.select().where(Alarm.centre_alarm_id == "A2").first()  # 1.3.2026 11.30
    await HomeKey.insert(HomeKey(customer=alarm["customer"], label="Kaappi 7", holder="Tiimi 2"))
    await sign_in(client, await make_user("home_care"))
    alarm_page = await client.get(f"/security-phones/alarms/{alarm['id']}")
    assert "Kaappi 7: Tiimi 2" in alarm_page.text
    waiting = await client.get("/security-phones/alarms?waiting=true")
    assert waiting.status_code == 200 and f"/security-phones/alarms/{alarm['id']}" in waiting.text
    url = f"/security-phones/alarms/{alarm['id']}/visit"
    early = await post_form(
        client, url, {"dispatched_at": "2026-03-01T11:35", "arrived_at": "2026-03-01T11:00"}
    )
    assert early.status_code == 400 and "Käynti ei voi olla perillä ennen hälytystä." in early.text
    assert await AlarmVisit.count() == 0
    saved = await post_form(
        client,
        url,
        {
            "dispatched_at": "2026-03-01T11:35",
            "arrived_at": "2026-03-01T11:52",
            "done_at": "2026-03-01T12:20",
            "notes": "Autettu ylös",
        },
    )
    assert saved.status_code == 200
    visit = await AlarmVisit.select().where(AlarmVisit.alarm == alarm["id"]).first()
    assert visit["arrived_at"] == dt.datetime(2026, 3, 1, 11, 52, tzinfo=HELSINKI)
    stale = await post_form(client, url, {"dispatched_at": "2026-03-01T11:35", "version": "99"})
    assert stale.status_code == 409
    waiting_after = await client.get("/api/security-phones/alarms?waiting=true")
    assert waiting_after.status_code == 200 and waiting_after.json()["total"] == 0


async def test_import_across_chunks_with_repeated_rows_adds_each_alarm_once() -> None:
    centre_id, _ = await new_centre()
    await phone_customer(centre_id)
    distinct = PG_ROWS_PER_STATEMENT + 100  # more than one statement on either database
    rows = [
        {"alarm_id": f"N{n % distinct}", "time": "2026-03-01T10:00:00+02:00", "device_serial": "S1",
         "kind": "button", "visit_needed": "no"}
        for n in range(distinct + 200)
    ]  # fmt: skip
    async with transaction():
        first = await alarms.import_alarms(SYSTEM, centre_id, rows)
    assert first.added == distinct and await Alarm.count() == distinct
    async with transaction():
        again = await alarms.import_alarms(
            SYSTEM, centre_id, [*rows[:500], {**rows[0], "alarm_id": "NEW"}]
        )
    assert again.added == 1 and await Alarm.count() == distinct + 1


async def test_centre_page_shows_a_new_token_once_and_renewal_replaces_it(
    coordinator: httpx.AsyncClient,
) -> None:
    created = await post_form(coordinator, "/security-phones/centres", {"name": "Keskus"})
    token = re.search(r"<code>([A-Za-z0-9_-]{40,})</code>", created.text)
    assert created.status_code == 200 and token
    centre = await AlarmCentre.select().first()
    assert centre["token_hash"] == alarms.token_hash(token.group(1))
    listed = await coordinator.get("/security-phones/centres")
    assert token.group(1) not in listed.text
    duplicate = await post_form(coordinator, "/security-phones/centres", {"name": "Keskus"})
    assert duplicate.status_code == 400
    renewed = await post_form(coordinator, f"/security-phones/centres/{centre['id']}/token", {})
    new_token = re.search(r"<code>([A-Za-z0-9_-]{40,})</code>", renewed.text)
    assert new_token and new_token.group(1) != token.group(1)
    with pytest.raises(alarms.TokenRefused):
        await alarms.check_centre_token(centre["id"], token.group(1))


async def test_dashboard_counts_alarms_waiting_for_a_visit(client: httpx.AsyncClient) -> None:
    centre_id, _ = await new_centre()
    await phone_customer(centre_id)
    await run_import(centre_id, HEADER + ROWS)  # A2 needs a visit
    await sign_in(client, await make_user("home_care"))
    dashboard = await client.get("/")
    assert "1 hälytystä odottaa käyntiä." in dashboard.text


async def test_no_second_task_while_one_for_the_same_problem_is_open() -> None:
    centre_id, _ = await new_centre()
    await phone_customer(centre_id)
    await run_import(centre_id, HEADER + ROWS)
    later = "A9;2026-03-09T08:00:00Z;S1;;technical;low_battery;;no\n"
    result = await run_import(centre_id, HEADER + later)
    assert result.added == 1 and result.tasks == 0
    other = "A10;2026-03-09T09:00:00Z;S1;;technical;connection_lost;;no\n"
    assert (await run_import(centre_id, HEADER + other)).tasks == 1
    assert await Task.count() == 2


async def test_visit_api_records_updates_and_detects_stale_versions(
    client: httpx.AsyncClient,
) -> None:
    centre_id, _ = await new_centre()
    await phone_customer(centre_id)
    await run_import(centre_id, HEADER + ROWS)
    alarm = await Alarm.select().where(Alarm.centre_alarm_id == "A2").first()
    await sign_in(client, await make_user("home_care"))
    url = f"/api/security-phones/alarms/{alarm['id']}/visit"
    assert (await client.get(url)).json() is None
    early = {"dispatched_at": "2026-03-01T11:00:00+02:00"}
    refused = await client.put(url, json=early, headers=api_headers(client))
    assert refused.status_code == 400 and "dispatched_at" in refused.text
    body = {"dispatched_at": "2026-03-01T11:35:00+02:00", "arrived_at": "2026-03-01T11:50:00+02:00"}
    created = await client.put(url, json=body, headers=api_headers(client))
    assert created.status_code == 200 and created.json()["version"] == 1
    updated = await client.put(
        url, json={**body, "notes": "ok", "version": 1}, headers=api_headers(client)
    )
    assert updated.json()["version"] == 2 and updated.json()["notes"] == "ok"
    stale = await client.put(url, json={**body, "version": 1}, headers=api_headers(client))
    assert stale.status_code == 409
