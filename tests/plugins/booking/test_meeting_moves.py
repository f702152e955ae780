"""Moving a joint meeting: every participant's booking moves to the new common time together,
each participant is told, a time someone is busy at is refused with nothing written, and two
moves of the same meeting at once give one result."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import httpx

from core.common.clock import now, today
from core.common.errors import ValidationFailed
from core.db import transaction
from core.identity.tables import StaffUser
from core.notifications.tables import OutboxMessage
from plugins.booking import availability, bookings, meeting_moves, meetings
from plugins.booking.tables import Booking, JointMeeting, Professional
from tests.helpers import SYSTEM, post_form
from tests.plugins.booking.setup_data import BookingSetup, add_colleague, create_setup
from tests.plugins.booking.test_absences import book, signed_in

HOURS_2 = dt.timedelta(hours=2)


def offered(page: str) -> list[str]:
    return re.findall(r'name="starts_at" value="([^"]+)"', page)


def later(times: list[str]) -> list[str]:
    """Times beyond a customer booking's minimum notice (what is offered depends on the clock)."""
    return [t for t in times if dt.datetime.fromisoformat(t) > now() + HOURS_2]


async def colleague_with_email(setup: BookingSetup) -> int:
    colleague = await add_colleague(setup)
    user = await Professional.select(Professional.user).where(Professional.id == colleague)
    async with transaction():
        await StaffUser.update({StaffUser.email: "kollega@example.fi"}).where(
            StaffUser.id == user[0]["user"]
        )
    return colleague


async def meeting_times(
    client: httpx.AsyncClient, setup: BookingSetup, colleague: int
) -> tuple[dict[str, object], list[str]]:
    """The meeting form's search for the advice type with this colleague, and the common free
    times it offers, latest last."""
    query: dict[str, object] = {"type_id": setup.advice_type_id, "colleagues": str(colleague)}
    return query, later(offered((await client.get("/booking/meetings/new", params=query)).text))


async def test_a_joint_meeting_moves_for_everyone_and_a_busy_time_is_refused(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    colleague = await colleague_with_email(setup)
    query, times = await meeting_times(client, setup, colleague)
    first = times[0]
    booked = await post_form(
        client,
        "/booking/meetings/new",
        {**query, "mode": "office", "title": "Verkostopalaveri", "starts_at": first},
    )
    assert booked.status_code == 200
    meeting = await JointMeeting.select().first()
    page = await client.get(f"/booking/meetings/{meeting['id']}")
    move_path = f"/booking/meetings/{meeting['id']}/move"
    assert f'href="{move_path}"' in page.text

    form = await client.get(move_path)
    choices = later(offered(form.text))
    assert first not in choices
    busy_time, new_time = choices[0], choices[1]
    await book(setup, dt.datetime.fromisoformat(busy_time))  # the organiser gets busy meanwhile
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    refused = await post_form(client, move_path, {"starts_at": busy_time, "version": version[1]})
    assert refused.status_code == 400 and "on varattu tähän aikaan" in refused.text
    unchanged = await Booking.select().where(Booking.meeting == meeting["id"])
    assert {b["starts_at"] for b in unchanged} == {dt.datetime.fromisoformat(first)}
    assert all(b["slot_key"] for b in unchanged)  # the refused move released nothing

    moved = await post_form(client, move_path, {"starts_at": new_time, "version": version[1]})
    assert moved.status_code == 200 and 'role="status"' in moved.text
    new_start = dt.datetime.fromisoformat(new_time)
    rows = await Booking.select().where(Booking.meeting == meeting["id"])
    assert {b["starts_at"] for b in rows} == {new_start}
    assert sorted(b["slot_key"] for b in rows) == sorted(
        availability.slot_key(p, new_start) for p in (setup.professional_id, colleague)
    )
    assert (await JointMeeting.select().first())["starts_at"] == new_start
    told = await OutboxMessage.select().where(
        OutboxMessage.reference.like("booking-meeting:%:moved:%")
    )
    assert [m["recipient"] for m in told] == ["kollega@example.fi"]
    assert "siirretty" in str(told[0]["body"])
    again = await post_form(client, move_path, {"starts_at": first, "version": version[1]})
    assert again.status_code == 409  # moved on a page that was no longer current
    reopened = offered((await client.get("/booking/meetings/new", params=query)).text)
    assert first in reopened  # the old time is free again for everyone


async def test_two_moves_of_one_meeting_at_once_give_one_result() -> None:
    setup = await create_setup()
    colleague = await colleague_with_email(setup)
    horizon = today() + dt.timedelta(days=14)
    common = await meetings.common_free_times(
        setup.advice_type_id, [setup.professional_id, colleague], now() + HOURS_2, horizon
    )
    async with transaction():
        meeting_id = await meetings.book_meeting(
            SYSTEM,
            organiser_id=setup.professional_id,
            colleague_ids=[colleague],
            appointment_type_id=setup.advice_type_id,
            starts_at=common[0].starts_at,
            mode="remote",
            title="Palaveri",
            customer_id=None,
            moment=now(),
        )
    version = (await meetings.get_meeting(meeting_id))["version"]

    async def attempt(target: dt.datetime) -> str:
        try:
            async with transaction():
                await meeting_moves.move_meeting(SYSTEM, meeting_id, target, version, now())
        except ValidationFailed:
            return "refused"
        except bookings.SlotTaken:
            return "taken"
        return "moved"

    targets = [common[1 + n % 4].starts_at for n in range(10)]
    results = await asyncio.gather(*(attempt(t) for t in targets))
    assert results.count("moved") == 1, results
    meeting = await meetings.get_meeting(meeting_id)
    rows = await Booking.select().where(Booking.meeting == meeting_id)
    assert len({b["starts_at"] for b in rows}) == 1
    assert rows[0]["starts_at"] == meeting["starts_at"] != common[0].starts_at
    assert all(b["slot_key"] for b in rows) and meeting["version"] == version + 1
    told = await OutboxMessage.count().where(
        OutboxMessage.reference.like("booking-meeting:%:moved:%")
    )
    assert told == 1  # the colleague, once
