"""Relatives and other participants in a joint meeting, and the remote meeting's one video
room: a guest is invited in their channel, told of the move (with the new room) and of the
cancellation; bad input writes nothing; every participant's booking shows the same room."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from core.notifications.tables import OutboxMessage
from plugins.booking import settings
from plugins.booking.tables import Booking, JointMeeting, MeetingGuest
from tests.helpers import post_form
from tests.plugins.booking.test_absences import signed_in
from tests.plugins.booking.test_meeting_moves import colleague_with_email, later, offered

TEMPLATE = "https://video.example.fi/ephva-{room}"
ROOM = re.compile(r"https://video\.example\.fi/ephva-[0-9a-f]{24}")


async def guest_messages() -> list[dict[str, object]]:
    return await (
        OutboxMessage.select()
        .where(OutboxMessage.recipient == "+358405550001")
        .order_by(OutboxMessage.id)
    )


async def test_a_relative_is_invited_told_of_the_move_and_cancellation_with_the_video_room(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        settings, "_current", settings.parse_settings({"video_link_template": TEMPLATE})
    )
    setup = await signed_in(client)
    colleague = await colleague_with_email(setup)
    query = {"type_id": setup.advice_type_id, "colleagues": str(colleague)}
    times = later(offered((await client.get("/booking/meetings/new", params=query)).text))
    await post_form(
        client,
        "/booking/meetings/new",
        {**query, "mode": "remote", "title": "Verkostopalaveri", "starts_at": times[0]},
    )
    meeting = await JointMeeting.select().first()
    path = f"/booking/meetings/{meeting['id']}"
    page = await client.get(path)
    rooms = set(ROOM.findall(page.text))
    assert len(rooms) == 1
    room = rooms.pop()
    for booking in await Booking.select().where(Booking.meeting == meeting["id"]):
        booking_page = await client.get(f"/booking/bookings/{booking['id']}")
        assert set(ROOM.findall(booking_page.text)) == {room}  # one room for everyone

    assert f'action="{path}/guests"' in page.text
    for bad, field in (
        ({"guest_name": "", "guest_phone": "0405550001"}, "guest_name"),
        ({"guest_name": "Äiti Asiakas", "guest_phone": "09 123"}, "guest_phone"),
        ({"guest_name": "Äiti Asiakas", "guest_channel": "email"}, "guest_email"),
    ):
        refused = await post_form(
            client, f"{path}/guests", {"guest_channel": "sms", "guest_language": "fi", **bad}
        )
        assert refused.status_code == 400 and f'id="f-{field}-error"' in refused.text, bad
    assert await MeetingGuest.count() == 0 and not await guest_messages()
    added = await post_form(
        client,
        f"{path}/guests",
        {
            "guest_name": "Äiti Asiakas",
            "guest_relation": "äiti",
            "guest_phone": "040 555 0001",
            "guest_channel": "sms",
            "guest_language": "fi",
        },
    )
    assert added.status_code == 200 and 'role="status"' in added.text
    assert "Äiti Asiakas (äiti)" in added.text
    invitation = await guest_messages()
    assert len(invitation) == 1 and room in str(invitation[0]["body"])
    assert "Verkostopalaveri" in str(invitation[0]["body"])

    move_form = await client.get(f"{path}/move")
    version = re.search(r'name="version" value="(\d+)"', move_form.text)
    assert version
    new_time = later(offered(move_form.text))[0]
    moved = await post_form(client, f"{path}/move", {"starts_at": new_time, "version": version[1]})
    assert moved.status_code == 200
    messages = await guest_messages()
    assert len(messages) == 2
    new_rooms = ROOM.findall(str(messages[1]["body"]))
    assert len(new_rooms) == 1 and new_rooms[0] != room  # the room changes with the time
    colleague_told = await OutboxMessage.select().where(
        OutboxMessage.recipient == "kollega@example.fi"
    )
    assert new_rooms[0] in str(colleague_told[-1]["body"])

    await post_form(client, f"{path}/cancel", {"confirm": "yes"})
    messages = await guest_messages()
    assert len(messages) == 3 and "peruttu" in str(messages[2]["body"])
    assert not ROOM.search(str(messages[2]["body"]))


async def test_a_guest_is_removed_after_confirmation_and_told(client: httpx.AsyncClient) -> None:
    setup = await signed_in(client)
    colleague = await colleague_with_email(setup)
    query = {"type_id": setup.advice_type_id, "colleagues": str(colleague)}
    times = later(offered((await client.get("/booking/meetings/new", params=query)).text))
    await post_form(
        client,
        "/booking/meetings/new",
        {**query, "mode": "office", "title": "Palaveri", "starts_at": times[0]},
    )
    meeting = await JointMeeting.select().first()
    path = f"/booking/meetings/{meeting['id']}"
    await post_form(
        client,
        f"{path}/guests",
        {
            "guest_name": "Isä Asiakas",
            "guest_phone": "0405550001",
            "guest_channel": "sms",
            "guest_language": "fi",
        },
    )
    guest = await MeetingGuest.select().first()
    remove = f"{path}/guests/{guest['id']}/remove"
    assert f'action="{remove}"' in (await client.get(path)).text
    asked = await post_form(client, remove, {})
    assert asked.status_code == 200 and 'name="confirm"' in asked.text
    assert await MeetingGuest.count() == 1
    done = await post_form(client, remove, {"confirm": "yes"})
    assert done.status_code == 200 and await MeetingGuest.count() == 0
    messages = await guest_messages()
    assert len(messages) == 2 and "enää mukana" in str(messages[1]["body"])
    assert (await post_form(client, remove, {"confirm": "yes"})).status_code == 404
    assert dt.datetime.fromisoformat(times[0]) == meeting["starts_at"]
