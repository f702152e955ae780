"""Waiting list: a citizen who finds no time leaves a request; when a matching time frees up
the first in line gets a hold link (their channel), the time is held for them, a second use
or an expired hold gets a clear message and nothing half-written, and an expired hold passes
the time to the next in line."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from core.common.clock import HELSINKI, now, today
from core.notifications.tables import OutboxMessage
from plugins.booking import links, settings, waitlist
from plugins.booking.tables import Booking, BookingContact, WaitlistEntry
from tests.helpers import post_form
from tests.plugins.booking.setup_data import BookingSetup, create_setup, tomorrow_at
from tests.plugins.booking.test_absences import book
from tests.plugins.booking.test_public import SECRET


def booked_day() -> dt.date:
    """The day of tomorrow_at(), always beyond the notice; asked when used, since a run may
    pass midnight between importing this module and a test."""
    return today() + dt.timedelta(days=2)


def fi_date(day: dt.date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def request_form(setup: BookingSetup, number: str, **changes: str) -> dict[str, str]:
    return {
        "type_id": str(setup.advice_type_id),
        "mode": "phone",
        "unit_id": "",
        "first_day": fi_date(booked_day()),
        "last_day": fi_date(booked_day()),
        "name": "Odottava Olli",
        "phone": number,
        "email": "",
        "reminder_channel": "sms",
        **changes,
    }


async def full_day(setup: BookingSetup) -> list[int]:
    """Every advice time of booked_day() booked (09:00–11:00, 15 minutes each)."""
    return [await book(setup, tomorrow_at(9 + q // 4, 15 * (q % 4))) for q in range(8)]


async def hold_messages(phone: str) -> list[dict[str, object]]:
    return await OutboxMessage.select().where(
        OutboxMessage.reference.like("booking:waitlist:%") & (OutboxMessage.recipient == phone)
    )


def hold_path(message: dict[str, object]) -> str:
    match = re.search(r"http://testserver.local(/book/hold/[0-9a-f-]+)", str(message["body"]))
    assert match, message["body"]
    return match[1]


async def cancel_publicly(client: httpx.AsyncClient, booking_id: int) -> None:
    booking = await Booking.select(Booking.starts_at).where(Booking.id == booking_id).first()
    token = links.sign(SECRET, booking_id, booking["starts_at"])
    response = await post_form(client, f"/book/manage/{token}/cancel", {"confirm": "yes"})
    assert response.status_code == 200, response.text


async def test_no_time_leads_to_the_waitlist_and_bad_requests_write_nothing(
    client: httpx.AsyncClient,
) -> None:
    setup = await create_setup()
    await full_day(setup)
    times = await client.get(
        "/book/times", params={"type_id": setup.advice_type_id, "mode": "phone"}
    )
    assert "/book/waitlist?type_id=" in times.text
    form = await client.get(
        "/book/waitlist", params={"type_id": setup.advice_type_id, "mode": "phone"}
    )
    assert form.status_code == 200 and 'name="first_day"' in form.text
    contacts_before = await BookingContact.count()
    for changes, field in (
        ({"last_day": fi_date(booked_day() - dt.timedelta(days=1))}, "last_day"),
        ({"first_day": fi_date(today() - dt.timedelta(days=1))}, "first_day"),
        ({"first_day": "31.2.2026"}, "first_day"),
        ({"last_day": fi_date(today() + dt.timedelta(days=400))}, "last_day"),
        ({"name": ""}, "name"),
        ({"phone": "09 123 456"}, "phone"),
        ({"mode": "remote"}, "mode"),
    ):
        bad = await post_form(
            client, "/book/waitlist", request_form(setup, "0401000001", **changes)
        )
        assert bad.status_code == 400, (changes, bad.status_code)
        assert f'id="f-{field}-error"' in bad.text, changes
    assert await WaitlistEntry.count() == 0
    assert await BookingContact.count() == contacts_before
    joined = await post_form(client, "/book/waitlist", request_form(setup, "0401000001"))
    assert joined.status_code == 200 and 'role="status"' in joined.text
    entry = await WaitlistEntry.select().first()
    assert entry["status"] == "waiting"  # the day is full: nothing to hold yet
    assert not await hold_messages("+358401000001")


async def test_freed_time_is_held_for_the_first_in_line_and_the_hold_works_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    setup = await create_setup()
    booked = await full_day(setup)
    for phone in ("0401000001", "0401000002"):
        response = await post_form(client, "/book/waitlist", request_form(setup, phone))
        assert response.status_code == 200
    await cancel_publicly(other_client, booked[3])  # 09:45 frees up

    first, second = await hold_messages("+358401000001"), await hold_messages("+358401000002")
    assert len(first) == 1 and not second
    assert first[0]["channel"] == "sms"
    held = await Booking.select().where(Booking.status == "held").first()
    assert held["starts_at"] == tomorrow_at(9, 45)
    assert held["slot_key"]  # nobody else can book it meanwhile
    taken = await post_form(
        other_client,
        "/book/confirm",
        {
            "appointment_type_id": setup.advice_type_id,
            "professional_id": setup.professional_id,
            "starts_at": tomorrow_at(9, 45).isoformat(),
            "mode": "phone",
            "name": "Joku Muu",
            "phone": "0401000009",
            "reminder_channel": "sms",
        },
    )
    assert taken.status_code == 409

    path = hold_path(first[0])
    page = await client.get(path)
    assert page.status_code == 200 and "/book/hold/" in page.text
    used = await post_form(client, path, {})
    assert used.status_code == 200 and "/book/manage/" in str(used.url)
    booking = await Booking.select().where(Booking.id == held["id"]).first()
    assert booking["status"] == "booked"
    entries = await WaitlistEntry.select().order_by(WaitlistEntry.id)
    assert [e["status"] for e in entries] == ["booked", "waiting"]
    messages_before = await OutboxMessage.count()

    again = await post_form(client, path, {})
    assert again.status_code == 409
    assert "already been booked" in again.text or "jo varattu" in again.text
    assert await OutboxMessage.count() == messages_before
    assert (await Booking.select().where(Booking.id == held["id"]).first())["version"] == booking[
        "version"
    ]
    assert (await client.get(path)).status_code == 409
    manage_token = links.sign(SECRET, held["id"], held["starts_at"])
    assert (await client.get(f"/book/hold/{manage_token}")).status_code == 404  # not a hold link


async def test_expired_hold_says_so_and_passes_the_time_to_the_next_in_line(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = await create_setup()
    booked = await full_day(setup)
    for phone in ("0401000001", "0401000002"):
        await post_form(client, "/book/waitlist", request_form(setup, phone))
    monkeypatch.setattr(settings, "_current", settings.parse_settings({"waitlist_hold_hours": 0}))
    await cancel_publicly(other_client, booked[0])
    first = await hold_messages("+358401000001")
    assert len(first) == 1
    expired = await post_form(client, hold_path(first[0]), {})
    assert expired.status_code == 410
    assert (await Booking.count().where(Booking.status == "booked")) == 7  # nothing written

    monkeypatch.setattr(settings, "_current", settings.parse_settings({"waitlist_hold_hours": 2}))
    held = await waitlist.serve(SECRET, lambda p: "http://testserver.local" + p, now())
    assert held == 1
    entries = await WaitlistEntry.select().order_by(WaitlistEntry.id)
    assert [e["status"] for e in entries] == ["expired", "offered"]
    released = await Booking.select().where(Booking.cancelled_by == "waitlist").first()
    assert released["slot_key"] is None
    second = await hold_messages("+358401000002")
    assert len(second) == 1
    assert (await client.get(hold_path(second[0]))).status_code == 200
    local_time = tomorrow_at(9).astimezone(HELSINKI).strftime("%-H.%M")
    assert local_time in str(second[0]["body"])
    assert await waitlist.serve(SECRET, lambda p: p, now()) == 0  # nothing held twice
