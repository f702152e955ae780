"""Joint meetings: a common free time found over the professionals' openings, booked in every
calendar, refused when someone is busy or lacks the type, cancelled for everyone, and one
meeting only when twenty try the same time at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import httpx

from core.audit.tables import AuditEntry
from core.common.clock import HELSINKI, now
from core.common.errors import ValidationFailed
from core.db import transaction
from core.i18n import gettext, in_language
from core.identity.tables import StaffUser
from core.notifications.tables import OutboxMessage
from plugins.booking import bookings, meetings
from plugins.booking.tables import Booking, JointMeeting, Professional
from tests.helpers import SYSTEM, post_form
from tests.plugins.booking.setup_data import add_colleague, create_setup, tomorrow_at
from tests.plugins.booking.test_absences import book, signed_in
from tests.plugins.booking.test_meeting_moves import meeting_times

HOURS_2 = dt.timedelta(hours=2)


async def test_professional_books_a_joint_meeting_at_a_common_free_time(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    colleague = await add_colleague(setup)
    async with transaction():
        await StaffUser.update({StaffUser.email: "kollega@example.fi"}).where(
            StaffUser.id
            == (await Professional.select(Professional.user).where(Professional.id == colleague))[
                0
            ]["user"]
        )
    calendar = await client.get("/booking")
    assert 'href="/booking/meetings/new"' in calendar.text
    query = {"type_id": setup.advice_type_id, "colleagues": str(colleague)}

    async def offered_times() -> list[str]:
        form = await client.get("/booking/meetings/new", params=query)
        assert form.status_code == 200
        return re.findall(r'name="starts_at" value="([^"]+)"', form.text)

    # What is offered depends on the clock (today's times are offered until they pass), so the
    # organiser is made busy at an offered time beyond the customer booking's minimum notice.
    later = [t for t in await offered_times() if dt.datetime.fromisoformat(t) > now() + HOURS_2]
    first, second = later[:2]
    await book(setup, dt.datetime.fromisoformat(first))
    offered = await offered_times()
    assert first not in offered and second in offered

    data = {
        "type_id": setup.advice_type_id,
        "colleagues": str(colleague),
        "mode": "office",
        "title": "Verkostopalaveri",
    }
    # A colleague that is not a record id is named (it used to be left out silently).
    odd = {**data, "colleagues": [str(colleague), "x"], "starts_at": second}
    refused = await post_form(client, "/booking/meetings/new", odd)
    assert refused.status_code == 400 and 'id="f-colleagues-error"' in refused.text
    busy = await post_form(client, "/booking/meetings/new", {**data, "starts_at": first})
    assert busy.status_code == 400 and "on varattu tähän aikaan" in busy.text
    assert 'value="Verkostopalaveri"' in busy.text  # the form keeps what was given
    assert await JointMeeting.count() == 0

    booked = await post_form(client, "/booking/meetings/new", {**data, "starts_at": second})
    assert booked.status_code == 200 and 'role="status"' in booked.text
    meeting = await JointMeeting.select().first()
    held = await Booking.select().where(Booking.meeting == meeting["id"])
    assert sorted(b["professional"] for b in held) == sorted([setup.professional_id, colleague])
    assert all(b["slot_key"] for b in held)
    day = dt.datetime.fromisoformat(second).astimezone(HELSINKI).date()
    week = await client.get("/booking", params={"date": day.isoformat()})
    assert sum(f'href="/booking/bookings/{b["id"]}"' in week.text for b in held) == 1

    asked = await post_form(client, f"/booking/meetings/{meeting['id']}/cancel", {})
    assert asked.status_code == 200 and 'name="confirm"' in asked.text
    done = await post_form(client, f"/booking/meetings/{meeting['id']}/cancel", {"confirm": "yes"})
    assert done.status_code == 200
    assert {
        b["status"] for b in await Booking.select().where(Booking.meeting == meeting["id"])
    } == {"cancelled"}
    told = await OutboxMessage.select().where(OutboxMessage.reference.like("booking-meeting:%"))
    assert [(m["recipient"], str(m["reference"]).split(":")[2]) for m in told] == [
        ("kollega@example.fi", "invited"),
        ("kollega@example.fi", "cancelled"),
    ]


async def test_a_colleague_without_the_type_is_refused_and_nothing_is_written() -> None:
    setup = await create_setup()
    colleague = await add_colleague(setup, type_ids=(setup.followup_type_id,))
    try:
        async with transaction():
            await meetings.book_meeting(
                SYSTEM,
                organiser_id=setup.professional_id,
                colleague_ids=[colleague],
                appointment_type_id=setup.advice_type_id,
                starts_at=tomorrow_at(9),
                mode="phone",
                title="Palaveri",
                customer_id=None,
                moment=now(),
            )
    except ValidationFailed as exc:
        assert "ei ole tämän tyyppistä" in exc.errors["starts_at"]
    else:
        raise AssertionError("a colleague without the type was accepted")
    assert await JointMeeting.count() == 0 and await Booking.count() == 0


async def test_twenty_simultaneous_meetings_for_one_common_time_end_with_one() -> None:
    setup = await create_setup()
    colleagues = [await add_colleague(setup) for _ in range(3)]
    moment = tomorrow_at(10)

    async def attempt(n: int) -> str:
        try:
            async with transaction():
                await meetings.book_meeting(
                    SYSTEM,
                    organiser_id=colleagues[n % 3],
                    colleague_ids=[setup.professional_id, *colleagues],
                    appointment_type_id=setup.advice_type_id,
                    starts_at=moment,
                    mode="remote",
                    title=f"Palaveri {n}",
                    customer_id=None,
                    moment=now(),
                )
        except bookings.SlotTaken:
            return "taken"
        except ValidationFailed:
            return "busy"
        return "booked"

    results = await asyncio.gather(*(attempt(n) for n in range(20)))
    assert results.count("booked") == 1, results
    assert await JointMeeting.count() == 1
    assert await Booking.count() == 4
    assert await Booking.count().where(Booking.starts_at == moment) == 4
    assert dt.timedelta(0) < moment - now()


async def test_a_meeting_refused_by_its_form_names_the_fields_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    query, times = await meeting_times(client, setup, await add_colleague(setup))
    with in_language("fi"):
        title, mode = gettext("Give the meeting a title."), gettext("Choose how you want to meet.")
    for fields in ({"title": "x", "mode": "boat"}, {"title": "", "mode": ""}):
        refused = await post_form(
            client, "/booking/meetings/new", {**query, **fields, "starts_at": times[-1]}
        )
        assert refused.status_code == 400
        assert f'<p class="error" id="f-title-error">{title}</p>' in refused.text
        assert f'<p class="error" id="f-mode-error">{mode}</p>' in refused.text
        assert f'value="{fields["title"]}"' in refused.text  # the input is kept
    assert await JointMeeting.count() == 0 and await Booking.count() == 0
    assert not await AuditEntry.exists().where(AuditEntry.entity == "booking_meeting")
