"""Devices, a customer's service, installing, keys, calling order and ending, through the pages."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from core.audit.tables import AuditEntry
from core.customers.tables import ContactPerson
from core.engines import count_statements
from core.tasks.tables import Task
from plugins.security_phones.tables import (
    CallingContact,
    Device,
    DeviceEvent,
    HomeKey,
    Installation,
    KeyHandover,
    PhoneService,
)
from tests.helpers import make_user, post_confirmed, post_form, sign_in
from tests.plugins.security_phones.factories import new_customer

BASE = "/security-phones"


async def add_device(client: httpx.AsyncClient, serial: str, kind: str = "base_unit") -> int:
    response = await post_form(
        client, f"{BASE}/devices/", {"serial_number": serial, "model": "Essence", "kind": kind}
    )
    assert response.status_code == 200, response.text
    return int(
        (await Device.select(Device.id).where(Device.serial_number == serial.upper()).first())["id"]
    )


OPENING = {"decision_maker": "Sosiaaliohjaaja Laine", "basis": "Kaatumisriski, asuu yksin."}
ENDING = {"decided_on": "2026-05-20", "decision_maker": "Sosiaaliohjaaja Laine",
          "basis": "Muuttaa palvelutaloon."}  # fmt: skip


async def start_service(
    client: httpx.AsyncClient, customer_id: int, start: str = "2026-03-10"
) -> None:
    response = await post_form(
        client,
        f"{BASE}/customers/{customer_id}/service",
        {"decision_date": "2026-03-01", "start_date": start, "centre_customer_id": "HK1"} | OPENING,
    )
    assert response.status_code == 200, response.text


async def install(
    client: httpx.AsyncClient, customer_id: int, serial: str, day: str = "2026-03-12"
) -> httpx.Response:
    return await post_form(
        client,
        f"{BASE}/customers/{customer_id}/devices",
        {"serial_number": serial, "installed_on": day},
    )


async def test_device_is_added_once_and_its_history_starts_in_stock(
    coordinator: httpx.AsyncClient,
) -> None:
    device_id = await add_device(coordinator, "ab-100")
    again = await post_form(
        coordinator,
        f"{BASE}/devices/",
        {"serial_number": "AB-100", "model": "X", "kind": "base_unit"},
    )
    assert again.status_code == 400
    assert "Laite tällä sarjanumerolla on jo olemassa." in again.text
    bad = await post_form(
        coordinator, f"{BASE}/devices/", {"serial_number": "", "model": "", "kind": "toaster"}
    )
    assert bad.status_code == 400 and 'id="f-kind-error"' in bad.text
    assert await Device.count() == 1
    page = await coordinator.get(f"{BASE}/devices/{device_id}")
    assert "AB-100" in page.text and "Lisätty varastoon" in page.text


async def test_install_refuses_devices_installed_elsewhere_retired_or_unknown(
    coordinator: httpx.AsyncClient,
) -> None:
    first, second = await new_customer(), await new_customer(last_name="Korhonen")
    await start_service(coordinator, first)
    await start_service(coordinator, second)
    await add_device(coordinator, "B1")
    retired = await add_device(coordinator, "R1")
    device = await Device.select().where(Device.id == retired).first()
    response = await post_form(
        coordinator,
        f"{BASE}/devices/{retired}/status",
        {"status": "retired", "version": device["version"], "note": "broken"},
    )
    assert response.status_code == 200

    assert (await install(coordinator, first, "b1")).status_code == 200
    elsewhere = await install(coordinator, second, "B1")
    assert elsewhere.status_code == 400
    assert "Laite on jo asennettu asiakkaalle." in elsewhere.text
    retired_answer = await install(coordinator, second, "R1")
    assert "Laite on poistettu käytöstä eikä sitä voi asentaa." in retired_answer.text
    unknown = await install(coordinator, second, "NOPE")
    assert "Tällä sarjanumerolla ei ole laitetta." in unknown.text
    early = await install(coordinator, second, "R1", day="2026-01-01")
    assert early.status_code == 400
    assert await Installation.count() == 1
    assert (await Device.select().where(Device.serial_number == "B1").first())["customer"] == first


async def test_remove_returns_device_and_history_shows_who_had_it(
    coordinator: httpx.AsyncClient,
) -> None:
    customer = await new_customer()
    await start_service(coordinator, customer)
    device_id = await add_device(coordinator, "C1", kind="fall_detector")
    await install(coordinator, customer, "C1")
    before_install = await post_confirmed(
        coordinator,
        f"{BASE}/customers/{customer}/devices/{device_id}/remove",
        {"removed_on": "2026-03-01"},
    )
    assert before_install.status_code == 400
    response = await post_confirmed(
        coordinator,
        f"{BASE}/customers/{customer}/devices/{device_id}/remove",
        {"removed_on": "2026-04-30"},
    )
    assert response.status_code == 200
    device = await Device.select().where(Device.id == device_id).first()
    assert device["status"] == "returned" and device["customer"] is None
    events = (
        await DeviceEvent.select().where(DeviceEvent.device == device_id).order_by(DeviceEvent.id)
    )
    assert [e["status"] for e in events] == ["in_stock", "installed", "returned"]
    assert events[1]["customer"] == customer
    installation = await Installation.select().where(Installation.device == device_id).first()
    assert str(installation["removed_on"]) == "2026-04-30"
    # a returned device can be installed again
    assert (await install(coordinator, customer, "C1", day="2026-05-02")).status_code == 200


async def test_keys_calling_order_and_ending_create_a_collection_task(
    coordinator: httpx.AsyncClient,
) -> None:
    customer = await new_customer()
    await start_service(coordinator, customer)
    await add_device(coordinator, "D1")
    await install(coordinator, customer, "D1")
    first = (
        await ContactPerson.insert(
            ContactPerson(customer=customer, name="Matti", phone="+358401")
        ).returning(ContactPerson.id)
    )[0]["id"]
    second = (
        await ContactPerson.insert(
            ContactPerson(customer=customer, name="Liisa", phone="+358402")
        ).returning(ContactPerson.id)
    )[0]["id"]

    shown = f"{first}:0,{second}:0"  # the order the form was based on
    same = await post_form(
        coordinator,
        f"{BASE}/customers/{customer}/calling-order",
        {f"position_{first}": "1", f"position_{second}": "1", "order_version": shown},
    )
    assert same.status_code == 400 and "Anna jokaiselle yhteyshenkilölle eri numero." in same.text
    ok = await post_form(
        coordinator,
        f"{BASE}/customers/{customer}/calling-order",
        {f"position_{first}": "2", f"position_{second}": "1", "order_version": shown},
    )
    assert ok.status_code == 200 and f'value="{first}:2,{second}:1"' in ok.text
    stale = await post_form(
        coordinator,
        f"{BASE}/customers/{customer}/calling-order",
        {f"position_{first}": "1", "order_version": shown},
    )
    assert stale.status_code == 400 and "tarkista ja tallenna uudelleen" in stale.text
    order = (
        await CallingContact.select()
        .where(CallingContact.customer == customer)
        .order_by(CallingContact.position)
    )
    assert [c["contact"] for c in order] == [second, first]

    missing = await post_form(
        coordinator, f"{BASE}/customers/{customer}/keys", {"label": "", "holder": ""}
    )
    assert missing.status_code == 400 and 'id="f-label-error"' in missing.text
    await post_form(
        coordinator,
        f"{BASE}/customers/{customer}/keys",
        {"label": "Kaappi 3", "holder": "Kotihoito"},
    )
    key = await HomeKey.select().where(HomeKey.customer == customer).first()
    handed = await post_form(
        coordinator,
        f"{BASE}/customers/{customer}/keys/{key['id']}",
        {"to_holder": "Turvapalvelu Oy", "version": key["version"]},
    )
    assert handed.status_code == 200
    stale = await post_form(
        coordinator,
        f"{BASE}/customers/{customer}/keys/{key['id']}",
        {"to_holder": "Someone", "version": key["version"]},
    )
    assert stale.status_code == 409 and "Turvapalvelu Oy" in stale.text
    resubmitted = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', stale.text))
    resubmitted.pop("_csrf_token", None)
    assert resubmitted["to_holder"] == "Someone"
    overwritten = await post_form(
        coordinator, f"{BASE}/customers/{customer}/keys/{key['id']}", resubmitted
    )
    assert overwritten.status_code == 200
    handovers = (
        await KeyHandover.select().where(KeyHandover.key == key["id"]).order_by(KeyHandover.id)
    )
    assert [(h["from_holder"], h["to_holder"]) for h in handovers] == [
        ("", "Kotihoito"),
        ("Kotihoito", "Turvapalvelu Oy"),
        ("Turvapalvelu Oy", "Someone"),
    ]

    service = await PhoneService.select().where(PhoneService.customer == customer).first()
    too_early = await post_confirmed(
        coordinator,
        f"{BASE}/customers/{customer}/end",
        {"end_date": "2026-01-01", "version": service["version"], **ENDING},
    )
    assert too_early.status_code == 400
    ended = await post_confirmed(
        coordinator,
        f"{BASE}/customers/{customer}/end",
        {"end_date": "2026-08-31", "version": service["version"], **ENDING},
    )
    assert ended.status_code == 200
    task = (
        await Task.select()
        .where(Task.kind == "security_phones.collect_devices")
        .first()
        .output(load_json=True)
    )
    assert task["customer"] == customer and task["role"] == "security_phone_coordinator"
    assert "turvapuhelin päättyy 31.08.2026" in task["summary"]
    assert task["payload"]["devices"] == ["D1"] and task["payload"]["keys"] == ["Kaappi 3"]
    actions = {
        (e["entity"], e["action"])
        for e in await AuditEntry.select().where(AuditEntry.customer_id == customer)
    }
    assert {
        ("sp_service", "create"),
        ("sp_device", "update"),
        ("sp_key", "update"),
        ("task", "create"),
    } <= actions


async def test_service_page_is_logged_and_home_care_cannot_manage(
    client: httpx.AsyncClient,
) -> None:
    customer = await new_customer()
    await sign_in(client, await make_user("home_care"))
    page = await client.get(f"{BASE}/customers/{customer}")
    assert page.status_code == 200 and "Ei turvapuhelinpalvelua." in page.text
    views = await AuditEntry.select().where(
        (AuditEntry.customer_id == customer) & (AuditEntry.action == "view")
    )
    assert views and views[0]["entity"] == "security_phone_service"
    refused = await post_form(
        client,
        f"{BASE}/customers/{customer}/service",
        {"decision_date": "2026-03-01", "start_date": "2026-03-10", **OPENING},
    )
    assert refused.status_code == 403
    assert await PhoneService.count() == 0
    panel = await client.get(f"/customers/{customer}")
    assert f"{BASE}/customers/{customer}" in panel.text


async def test_stale_status_change_is_a_conflict_and_installed_devices_stay_put(
    coordinator: httpx.AsyncClient,
) -> None:
    device_id = await add_device(coordinator, "E1")
    url = f"{BASE}/devices/{device_id}/status"
    assert (
        await post_form(coordinator, url, {"status": "in_maintenance", "version": 1})
    ).is_success
    stale = await post_form(coordinator, url, {"status": "lost", "version": 1})
    assert stale.status_code == 409
    # A note too long is refused at its field (it used to be cut to 500 characters silently).
    long = await post_form(coordinator, url, {"status": "lost", "version": 2, "note": "x" * 501})
    assert long.status_code == 400 and 'id="f-note-error"' in long.text
    assert (await Device.select().where(Device.id == device_id).first())["status"] == (
        "in_maintenance"
    )
    customer = await new_customer()
    await start_service(coordinator, customer)
    back = await post_form(coordinator, url, {"status": "in_stock", "version": 2})
    assert back.is_success
    assert (await install(coordinator, customer, "E1")).is_success
    refused = await post_form(coordinator, url, {"status": "lost", "version": 4})
    assert refused.status_code == 400
    assert (await Device.select().where(Device.id == device_id).first())["status"] == "installed"


async def test_one_active_service_at_a_time_and_a_new_one_after_the_end(
    coordinator: httpx.AsyncClient,
) -> None:
    customer = await new_customer()
    no_service = await install(coordinator, customer, "X")
    assert no_service.status_code == 400
    await start_service(coordinator, customer)
    second = await post_form(
        coordinator,
        f"{BASE}/customers/{customer}/service",
        {"decision_date": "2026-03-01", "start_date": "2026-03-10", **OPENING},
    )
    assert second.status_code == 400
    service = await PhoneService.select().where(PhoneService.customer == customer).first()
    await post_confirmed(
        coordinator,
        f"{BASE}/customers/{customer}/end",
        {"end_date": "2026-05-31", "version": service["version"], **ENDING},
    )
    overlapping = await post_form(
        coordinator,
        f"{BASE}/customers/{customer}/service",
        {"decision_date": "2026-05-01", "start_date": "2026-05-31", **OPENING},
    )
    assert overlapping.status_code == 400
    again = await post_form(
        coordinator,
        f"{BASE}/customers/{customer}/service",
        {"decision_date": "2026-06-01", "start_date": "2026-06-01", **OPENING},
    )
    assert again.is_success and await PhoneService.count() == 2


async def test_biller_reads_reports_but_not_customer_services(client: httpx.AsyncClient) -> None:
    customer = await new_customer()
    await sign_in(client, await make_user("biller"))
    assert (await client.get(f"/api/security-phones/customers/{customer}")).status_code == 403
    assert (await client.get(f"{BASE}/customers/{customer}")).status_code == 403
    assert (await client.get(f"{BASE}/reports")).status_code == 200


async def test_the_database_itself_refuses_a_second_active_service() -> None:
    customer = await new_customer()
    day = dt.date(2026, 1, 1)
    await PhoneService.insert(PhoneService(customer=customer, decision_date=day, start_date=day))
    with pytest.raises(Exception, match=r"(?i)unique"):
        await PhoneService.insert(
            PhoneService(customer=customer, decision_date=day, start_date=day)
        )
    assert await PhoneService.count() == 1


async def test_device_history_page_is_in_the_customers_access_log(
    coordinator: httpx.AsyncClient,
) -> None:
    customer = await new_customer()
    await start_service(coordinator, customer)
    device_id = await add_device(coordinator, "H1")
    assert (await install(coordinator, customer, "H1")).status_code == 200
    page = await coordinator.get(f"{BASE}/devices/{device_id}")
    assert page.status_code == 200
    views = await AuditEntry.count().where(
        (AuditEntry.customer_id == customer)
        & (AuditEntry.action == "view")
        & (AuditEntry.entity == "security_phone_device")
    )
    assert views == 1


async def test_customer_page_panel_reads_the_service_and_its_devices_in_one_statement(
    coordinator: httpx.AsyncClient,
) -> None:
    customer = await new_customer()
    await start_service(coordinator, customer)
    for serial, kind, day in (
        ("P2", "fall_detector", "2026-03-14"),
        ("P1", "base_unit", "2026-03-12"),
    ):
        await add_device(coordinator, serial, kind=kind)
        assert (await install(coordinator, customer, serial, day)).status_code == 200
    with count_statements() as statements:
        page = await coordinator.get(f"/customers/{customer}")
    assert page.status_code == 200
    panel = page.text.split(f'href="{BASE}/customers/{customer}"')[0].rsplit("<section", 1)[1]
    assert "10.3.2026" in panel and panel.index("P1 (") < panel.index("P2 (")  # installed first
    assert len([s for s in statements if "sp_service" in s.sql or "sp_installation" in s.sql]) == 1
