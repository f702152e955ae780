"""A joint meeting inside sick days of more than one participant is still one meeting: the
closure page of either offers to move or cancel it as a whole, the move goes to a common time
outside every closure, and each participant is told once."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from core.common.clock import now
from core.notifications.tables import OutboxMessage
from plugins.booking import absences
from plugins.booking.tables import Booking, JointMeeting
from tests.helpers import post_form, sign_in
from tests.plugins.booking.setup_data import (
    BookingSetup,
    add_colleague,
    create_setup,
    tomorrow_at,
)
from tests.plugins.booking.test_closure_holds import book_meeting, give_email
from tests.plugins.booking.test_meeting_staff import username_of
from tests.plugins.booking.test_waitlist_changes import closure_form


async def both_ill(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, colleague_language: str
) -> tuple[BookingSetup, int, int, httpx.Response, httpx.Response]:
    """A meeting tomorrow 9.30 of the organiser (`client`) and a colleague (`other_client`),
    both with e-mail, and then both closed 9–10: the meeting and their two closure pages."""
    setup = await create_setup()
    colleague = await add_colleague(setup)
    await give_email(setup.professional_id, "jarjestaja@example.fi")
    await give_email(colleague, "kollega@example.fi", colleague_language)
    assert (await sign_in(client, setup.username)).status_code == 200
    assert (await sign_in(other_client, await username_of(colleague))).status_code == 200
    meeting_id = await book_meeting(setup, colleague)
    own = await closure_form(client, "9.00", "10.00")
    theirs = await closure_form(other_client, "9.00", "10.00")
    return setup, colleague, meeting_id, own, theirs


async def test_a_meeting_in_two_sick_days_is_moved_once_for_everyone(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    setup, colleague, meeting_id, own, theirs = await both_ill(client, other_client, "fi")
    # each closure page offers the meeting as a whole
    for page in (own, theirs):
        assert page.status_code == 200
        assert f'href="/booking/meetings/{meeting_id}/move"' in page.text
        assert f'action="/booking/meetings/{meeting_id}/cancel"' in page.text

    # the colleague moves it from their closure page to a common time outside both closures
    move = await other_client.get(f"/booking/meetings/{meeting_id}/move")
    offered = re.findall(r'name="starts_at" value="([^"]+)"', move.text)
    version = re.search(r'name="version" value="(\d+)"', move.text)
    assert offered and version
    starts = [dt.datetime.fromisoformat(value) for value in offered]
    assert all(
        s >= tomorrow_at(10) or s + dt.timedelta(minutes=15) <= tomorrow_at(9) for s in starts
    )
    moved = await post_form(
        other_client,
        f"/booking/meetings/{meeting_id}/move",
        {"starts_at": offered[0], "version": version[1]},
    )
    assert moved.status_code == 200, moved.text
    meeting = await JointMeeting.select().where(JointMeeting.id == meeting_id).first()
    assert meeting is not None
    rows = await Booking.select().where(Booking.meeting == meeting_id)
    assert {(r["status"], r["starts_at"]) for r in rows} == {("booked", meeting["starts_at"])}
    assert meeting["starts_at"] == starts[0]

    told = await OutboxMessage.select().where(
        OutboxMessage.reference.like(f"booking-meeting:{meeting_id}:moved:%")
    )
    assert sorted(m["recipient"] for m in told) == ["jarjestaja@example.fi", "kollega@example.fi"]

    # nothing waits for a choice any more, for either of them
    assert await absences.needing_a_choice(setup.professional_id, now()) == []
    assert await absences.needing_a_choice(colleague, now()) == []
    again = await client.get(str(own.url.path))
    assert f'href="/booking/meetings/{meeting_id}/move"' not in again.text


async def test_a_meeting_in_two_sick_days_is_cancelled_once_for_everyone(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    _, _, meeting_id, own, theirs = await both_ill(client, other_client, "sv")

    # the organiser cancels everything in their sick day: the meeting goes as a whole
    done = await post_form(
        client, f"{own.url.path}/cancel-all", {"reason": "illness", "confirm": "yes"}
    )
    assert done.status_code == 200, done.text
    # the colleague's closure page no longer offers it, and cancelling theirs tells no one again
    page = await other_client.get(str(theirs.url.path))
    assert f"/booking/meetings/{meeting_id}/" not in page.text
    await post_form(
        other_client, f"{theirs.url.path}/cancel-all", {"reason": "illness", "confirm": "yes"}
    )
    rows = await Booking.select().where(Booking.meeting == meeting_id)
    assert {r["status"] for r in rows} == {"cancelled"}
    told = await OutboxMessage.select().where(
        OutboxMessage.reference.like(f"booking-meeting:{meeting_id}:%")
        & OutboxMessage.reference.not_like("%:invited:%")
    )
    assert sorted((m["recipient"], m["subject"]) for m in told) == [
        ("jarjestaja@example.fi", "Tapaaminen peruttu: Verkostopalaveri"),
        ("kollega@example.fi", "Mötet avbokat: Verkostopalaveri"),
    ]
