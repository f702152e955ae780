"""Messages to the professionals of a joint meeting: an invitation when booked into it and a
message when it moves or is cancelled, each in the recipient's own language, by e-mail or, for
one without an address, by text message to their mobile number; one with neither is named on
the meeting page."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from core.common.clock import now
from core.db import transaction
from core.identity.tables import StaffUser
from core.notifications.tables import OutboxMessage
from plugins.booking import meeting_staff, meetings
from plugins.booking.tables import JointMeeting, Professional
from tests.helpers import SYSTEM, post_form, sign_in
from tests.plugins.booking.setup_data import (
    BookingSetup,
    add_colleague,
    create_setup,
    tomorrow_at,
)
from tests.plugins.booking.test_closure_holds import give_email


async def set_phone(professional_id: int, phone: str, language: str) -> None:
    user = await Professional.select(Professional.user).where(Professional.id == professional_id)
    async with transaction():
        await Professional.update({Professional.phone: phone}).where(
            Professional.id == professional_id
        )
        await StaffUser.update({StaffUser.language: language}).where(
            StaffUser.id == user[0]["user"]
        )


async def name_of(professional_id: int) -> str:
    row = await Professional.select(Professional.user.full_name).where(
        Professional.id == professional_id
    )
    return str(row[0]["user.full_name"])


async def messages(kind: str) -> list[dict[str, object]]:
    rows = await OutboxMessage.select().where(
        OutboxMessage.reference.like(f"booking-meeting:%:{kind}:%")
    )
    return [m for m in rows if ":customer:" not in str(m["reference"])]


async def test_each_professional_is_told_in_their_own_channel_and_language(
    client: httpx.AsyncClient,
) -> None:
    setup = await create_setup()
    by_email = await add_colleague(setup)
    by_sms = await add_colleague(setup)
    nobody = await add_colleague(setup)
    await give_email(by_email, "kollega@example.fi", "sv")
    await set_phone(by_sms, "040 765 4321", "en")
    assert (await sign_in(client, setup.username)).status_code == 200

    # the organiser books the meeting; the three colleagues are invited
    meeting_id = await book(setup, [by_email, by_sms, nobody])
    invited = {m["recipient"]: m for m in await messages("invited")}
    assert set(invited) == {"kollega@example.fi", "+358407654321"}
    assert invited["kollega@example.fi"]["channel"] == "email"
    assert str(invited["kollega@example.fi"]["subject"]).startswith("Inbjudan till ett möte")
    assert invited["+358407654321"]["channel"] == "sms"
    assert "has booked you into the joint meeting" in str(invited["+358407654321"]["body"])

    page = await client.get(f"/booking/meetings/{meeting_id}")
    assert page.status_code == 200
    warning = re.search(r'notice--warning">([^<]+)<', page.text)
    assert warning and await name_of(nobody) in warning[1]
    assert await name_of(by_sms) not in warning[1]

    # moving tells the one without e-mail by text message, in English
    await move_to_first_offered(client, meeting_id)
    by_phone = [m for m in await messages("moved") if m["recipient"] == "+358407654321"]
    assert len(by_phone) == 1 and "has been moved from" in str(by_phone[0]["body"])

    cancelled = await post_form(
        client, f"/booking/meetings/{meeting_id}/cancel", {"confirm": "yes"}
    )
    assert cancelled.status_code == 200
    told = {m["recipient"] for m in await messages("cancelled")}
    assert told == {"kollega@example.fi", "+358407654321"}


async def book(setup: BookingSetup, colleagues: list[int]) -> int:
    async with transaction():
        return await meetings.book_meeting(
            SYSTEM,
            organiser_id=setup.professional_id,
            colleague_ids=colleagues,
            appointment_type_id=setup.advice_type_id,
            starts_at=tomorrow_at(9, 30),
            mode="phone",
            title="Verkostopalaveri",
            customer_id=None,
            moment=now(),
        )


async def username_of(professional_id: int) -> str:
    row = await Professional.select(Professional.user.username).where(
        Professional.id == professional_id
    )
    return str(row[0]["user.username"])


def notice_forms(page: str) -> list[str]:
    return re.findall(r'action="(/booking/meetings/notices/\d+/read)"', page)


async def test_one_without_email_or_mobile_is_told_in_the_app(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    setup = await create_setup()
    nobody = await add_colleague(setup)
    by_email = await add_colleague(setup)
    await give_email(by_email, "kollega@example.fi")
    await set_phone(nobody, "", "sv")
    assert (await sign_in(client, setup.username)).status_code == 200
    assert (await sign_in(other_client, await username_of(nobody))).status_code == 200

    meeting_id = await book(setup, [nobody, by_email])
    page = await client.get(f"/booking/meetings/{meeting_id}")
    warning = re.search(r'notice--warning">([^<]+)<', page.text)
    assert warning and await name_of(nobody) in warning[1] and "Valvomo" in warning[1]

    # the invitation waits on their dashboard and their own calendar, in their language
    dashboard = await other_client.get("/")
    assert "Inbjudan till ett möte: Verkostopalaveri" in dashboard.text
    assert f'href="/booking/meetings/{meeting_id}"' in dashboard.text
    [read_invitation] = notice_forms(dashboard.text)
    calendar = await other_client.get("/booking")
    assert notice_forms(calendar.text) == [read_invitation]
    assert notice_forms((await client.get("/booking")).text) == []  # not on others' pages
    assert not [m for m in await messages("invited") if m["recipient"] != "kollega@example.fi"]

    # another professional cannot mark it read; its owner can, and it is gone
    refused = await post_form(client, read_invitation, {"back": "calendar"})
    assert refused.status_code == 404
    marked = await post_form(other_client, read_invitation, {"back": "calendar"})
    assert marked.status_code == 200 and 'role="status"' in marked.text
    assert str(marked.url).endswith("/booking") and notice_forms(marked.text) == []
    again = await post_form(other_client, read_invitation, {"back": "calendar"})
    assert again.status_code == 404  # already read: nothing written twice

    # a move and a cancellation each leave one notice
    await move_to_first_offered(client, meeting_id)
    cancelled = await post_form(
        client, f"/booking/meetings/{meeting_id}/cancel", {"confirm": "yes"}
    )
    assert cancelled.status_code == 200
    dashboard = await other_client.get("/")
    assert len(notice_forms(dashboard.text)) == 2
    assert "Mötet flyttat: Verkostopalaveri" in dashboard.text
    assert "Mötet avbokat: Verkostopalaveri" in dashboard.text
    for action in notice_forms(dashboard.text):
        assert (await post_form(other_client, action, {})).status_code == 200
    assert notice_forms((await other_client.get("/")).text) == []


async def move_to_first_offered(client: httpx.AsyncClient, meeting_id: int) -> None:
    """Move the meeting to the first common time its move page offers."""
    move = await client.get(f"/booking/meetings/{meeting_id}/move")
    slot = re.search(r'name="starts_at" value="([^"]+)"', move.text)
    version = re.search(r'name="version" value="(\d+)"', move.text)
    assert slot and version
    moved = await post_form(
        client,
        f"/booking/meetings/{meeting_id}/move",
        {"starts_at": slot[1], "version": version[1]},
    )
    assert moved.status_code == 200, moved.text


async def test_a_notice_of_a_meeting_whose_time_is_over_is_not_shown() -> None:
    setup = await create_setup()
    nobody = await add_colleague(setup)
    meeting_id = await book(setup, [nobody])
    [notice] = await meeting_staff.unread_notices(nobody)
    assert notice["meeting"] == meeting_id and notice["subject"].startswith("Kutsu")
    async with transaction():  # booked for the day after tomorrow; now it was yesterday
        await JointMeeting.update(
            {
                JointMeeting.starts_at: JointMeeting.starts_at - dt.timedelta(days=3),
                JointMeeting.ends_at: JointMeeting.ends_at - dt.timedelta(days=3),
            }
        ).where(JointMeeting.id == meeting_id)
    assert await meeting_staff.unread_notices(nobody) == []
