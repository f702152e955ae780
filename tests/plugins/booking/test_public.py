"""Self-service booking without login: the whole flow, the signed link and bad input."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import icalendar

from core.common.clock import HELSINKI
from core.customers.tables import Customer
from core.notifications.tables import OutboxMessage
from plugins.booking import links
from plugins.booking.tables import Booking, BookingContact
from tests.helpers import post_form
from tests.plugins.booking.setup_data import BookingSetup, create_setup, tomorrow_at

SECRET = "test-secret-" + "x" * 32


def details(setup: BookingSetup, starts_at: dt.datetime, **changes: Any) -> dict[str, Any]:
    return {
        "appointment_type_id": setup.advice_type_id,
        "professional_id": setup.professional_id,
        "starts_at": starts_at.isoformat(),
        "mode": "office",
        "name": "Aino Asiakas",
        "phone": "040 123 4567",
        "email": "",
        "reminder_channel": "sms",
        "description": "Questions about support at home",
        **changes,
    }


def manage_path(response: httpx.Response) -> str:
    match = re.search(r"/book/manage/([0-9a-f-]+)", str(response.url))
    assert match, response.url
    return f"/book/manage/{match[1]}"


async def book(client: httpx.AsyncClient, setup: BookingSetup, starts_at: dt.datetime) -> str:
    response = await post_form(client, "/book/confirm", details(setup, starts_at))
    assert response.status_code == 200, response.text
    assert 'class="notice notice--success" role="status"' in response.text
    return manage_path(response)


async def test_public_booking_flow_keeps_contact_apart_and_queues_messages(
    client: httpx.AsyncClient,
) -> None:
    setup = await create_setup()
    start = await client.get("/book/")
    assert start.status_code == 200 and "Advice" in start.text
    assert "Follow-up" not in start.text  # follow-up only types are not offered publicly
    times = await client.get(
        "/book/times", params={"type_id": setup.advice_type_id, "mode": "office"}
    )
    assert times.status_code == 200
    slot = re.search(r'name="slot"[^>]*value="([^"]+)"', times.text)
    assert slot, times.text
    assert slot[1].startswith(f"{setup.professional_id}|")
    form = await client.get(
        "/book/details",
        params={"type_id": setup.advice_type_id, "mode": "office", "slot": slot[1]},
    )
    assert form.status_code == 200 and "Kela-kortti" in form.text
    starts_at = tomorrow_at(9)
    path = await book(client, setup, starts_at)

    booking = await Booking.select().where(Booking.status == "booked").first()
    assert booking["customer"] is None and booking["contact"] is not None
    assert await Customer.count() == 0  # a public booking does not create a customer
    contact = await BookingContact.select().first()
    assert contact["phone"] == "+358401234567"
    messages = await OutboxMessage.select().order_by(OutboxMessage.send_at)
    assert [m["reference"].rsplit(":", 1)[1] for m in messages] == ["confirmation", "reminder"]
    reminder_at = messages[1]["send_at"].astimezone(HELSINKI)
    assert reminder_at.hour == 9 and reminder_at.date() == starts_at.astimezone(
        HELSINKI
    ).date() - dt.timedelta(days=1)
    assert path.split("/")[-1] in messages[0]["body"]

    ics = await client.get(f"{path}/appointment.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == starts_at
    assert "Koulukatu 1" in str(event.get("location"))


async def test_cancel_by_link_frees_time_and_cancels_unsent_messages(
    client: httpx.AsyncClient,
) -> None:
    setup = await create_setup()
    path = await book(client, setup, tomorrow_at(9))
    page = await client.get(path)
    assert page.status_code == 200
    asked = await post_form(client, f"{path}/cancel", {})
    assert asked.status_code == 200 and 'name="confirm"' in asked.text
    assert (await Booking.select().first())["status"] == "booked"  # nothing until confirmed
    cancelled = await post_form(client, f"{path}/cancel", {"confirm": "yes"})
    assert cancelled.status_code == 200
    booking = await Booking.select().first()
    assert booking["status"] == "cancelled" and booking["slot_key"] is None
    statuses = {m["status"] for m in await OutboxMessage.select(OutboxMessage.status)}
    assert statuses == {"cancelled"}
    again = await post_form(client, f"{path}/cancel", {"confirm": "yes"})
    assert again.status_code == 409
    # the time can be booked again
    await book(client, setup, tomorrow_at(9))


async def test_move_replaces_messages_and_nothing_is_sent_for_the_old_time(
    client: httpx.AsyncClient,
) -> None:
    setup = await create_setup()
    path = await book(client, setup, tomorrow_at(9))
    move_page = await client.get(f"{path}/move")
    assert move_page.status_code == 200
    moved = await post_form(client, f"{path}/move", {"starts_at": tomorrow_at(10, 30).isoformat()})
    assert moved.status_code == 200, moved.text
    booking = await Booking.select().first()
    assert booking["starts_at"] == tomorrow_at(10, 30)
    messages = await OutboxMessage.select().order_by(OutboxMessage.id)
    old, new = messages[:2], messages[2:]
    assert {m["status"] for m in old} == {"cancelled"}
    assert {m["status"] for m in new} == {"queued"} and len(new) == 2
    assert new[1]["send_at"] == tomorrow_at(10, 30) - dt.timedelta(hours=24)
    # the old time is free again and the new one is held
    other = await post_form(client, "/book/confirm", details(setup, tomorrow_at(10, 30)))
    assert other.status_code == 409
    await book(client, setup, tomorrow_at(9))


async def test_bad_input_gets_clear_answers_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    setup = await create_setup()
    past = tomorrow_at(9) - dt.timedelta(days=3)
    cases = [
        (details(setup, past), "starts_at"),
        (details(setup, tomorrow_at(9, 5)), "starts_at"),
        (details(setup, tomorrow_at(9), phone="06 123 4567"), "phone"),
        (details(setup, tomorrow_at(9), phone="12"), "phone"),
        (details(setup, tomorrow_at(9), reminder_channel="email"), "email"),
        (details(setup, tomorrow_at(9), name=""), "name"),
        (details(setup, tomorrow_at(9), mode="remote"), "mode"),
        ({**details(setup, tomorrow_at(9)), "starts_at": "tomorrow"}, "starts_at"),
        (
            details(
                setup, tomorrow_at(13), appointment_type_id=setup.followup_type_id, mode="phone"
            ),
            "code",
        ),
    ]
    for form, field in cases:
        response = await post_form(client, "/book/confirm", form)
        assert response.status_code == 400, (form, response.status_code)
        assert f'href="#f-{field}"' in response.text, (field, form)
    assert await Booking.count() == 0
    assert await BookingContact.count() == 0
    assert await OutboxMessage.count() == 0


async def test_tampered_and_expired_links_are_refused(client: httpx.AsyncClient) -> None:
    setup = await create_setup()
    path = await book(client, setup, tomorrow_at(9))
    booking_id, expires, signature = path.split("/")[-1].split("-")
    tampered = f"/book/manage/{int(booking_id) + 1}-{expires}-{signature}"
    assert (await client.get(tampered)).status_code == 404
    longer = f"/book/manage/{booking_id}-{int(expires) + 86400}-{signature}"
    assert (await client.get(longer)).status_code == 404
    assert (await post_form(client, f"{tampered}/cancel", {})).status_code == 404
    expired_token = links.sign(SECRET, int(booking_id), dt.datetime.now(dt.UTC) - dt.timedelta(1))
    expired = await client.get(f"/book/manage/{expired_token}")
    assert expired.status_code == 410
    assert (await Booking.select(Booking.status).first())["status"] == "booked"


async def test_staff_pages_are_not_public(client: httpx.AsyncClient) -> None:
    for path in ("/booking", "/booking/setup", "/booking/openings"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303, 401), path


async def test_move_to_a_past_or_taken_time_changes_nothing(client: httpx.AsyncClient) -> None:
    setup = await create_setup()
    path = await book(client, setup, tomorrow_at(9))
    await book(client, setup, tomorrow_at(9, 15))
    past = (tomorrow_at(9) - dt.timedelta(days=3)).isoformat()
    assert (await post_form(client, f"{path}/move", {"starts_at": past})).status_code == 400
    taken = tomorrow_at(9, 15).isoformat()
    assert (await post_form(client, f"{path}/move", {"starts_at": taken})).status_code == 409
    assert (await post_form(client, f"{path}/move", {"starts_at": "x"})).status_code == 400
    first = await Booking.select().order_by(Booking.id).first()
    assert first["starts_at"] == tomorrow_at(9) and first["version"] == 1
    assert await OutboxMessage.count().where(OutboxMessage.status == "cancelled") == 0
