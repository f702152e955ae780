"""The customer attached to a joint meeting is told of it like any booking's customer (a
confirmation, a reminder, a move and a cancellation, by text message in the register's
language, each exactly once), and a relative invited to the meeting is written to in the
language given for them, not in the staff member's."""

from __future__ import annotations

import re

import httpx

from core.audit.tables import AuditEntry
from core.notifications.tables import OutboxMessage
from plugins.booking.tables import JointMeeting, MeetingGuest
from tests.core.test_customers import create as create_customer
from tests.helpers import post_form
from tests.plugins.booking.test_absences import signed_in
from tests.plugins.booking.test_meeting_moves import colleague_with_email, later, offered

CUSTOMER_PHONE = "+358401234567"  # tests.core.test_customers.VALID


async def customer_messages(status: str = "") -> list[dict[str, object]]:
    rows = await (
        OutboxMessage.select()
        .where(OutboxMessage.recipient == CUSTOMER_PHONE)
        .order_by(OutboxMessage.id)
    )
    return [r for r in rows if not status or r["status"] == status]


async def book_meeting_with(
    client: httpx.AsyncClient, customer_id: int, colleague: int, type_id: int
) -> tuple[str, list[str]]:
    query = {"type_id": type_id, "colleagues": str(colleague)}
    times = later(offered((await client.get("/booking/meetings/new", params=query)).text))
    booked = await post_form(
        client,
        "/booking/meetings/new",
        {
            **query,
            "mode": "office",
            "title": "Verkostopalaveri",
            # the last of the 12 offered is always over a day ahead of some other offered
            # time's clock, so its reminder (24 h before) is still ahead whatever the hour
            "starts_at": times[-1],
            "customer_id": str(customer_id),
        },
    )
    assert booked.status_code == 200, booked.text
    meeting = await JointMeeting.select().first()
    return f"/booking/meetings/{meeting['id']}", times


async def test_the_meeting_customer_gets_confirmation_reminder_move_and_cancel_once(
    admin: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer_id = await create_customer(admin, language="sv")
    setup = await signed_in(other_client)
    colleague = await colleague_with_email(setup)
    path, _ = await book_meeting_with(other_client, customer_id, colleague, setup.advice_type_id)

    sent = await customer_messages()
    assert [str(m["reference"]).rsplit(":", 1)[-1] for m in sent] == ["confirmation", "reminder"]
    assert all(m["customer_id"] == customer_id and m["channel"] == "sms" for m in sent)
    assert "möte" in str(sent[0]["body"])  # Swedish: the register's language
    assert "Verkostopalaveri" in str(sent[0]["body"])
    assert sent[1]["send_at"] > sent[0]["send_at"]  # the reminder waits for its time

    page = await other_client.get(path)
    assert "Virtanen" in page.text  # the customer is named, so the view is logged
    assert await AuditEntry.count().where(
        (AuditEntry.customer_id == customer_id) & (AuditEntry.action == "view")
    )

    move_form = await other_client.get(f"{path}/move")
    version = re.search(r'name="version" value="(\d+)"', move_form.text)
    assert version
    new_time = later(offered(move_form.text))[-1]
    moved = await post_form(
        other_client, f"{path}/move", {"starts_at": new_time, "version": version[1]}
    )
    assert moved.status_code == 200
    again = await post_form(  # a second submit of the same form: nothing more is sent
        other_client, f"{path}/move", {"starts_at": new_time, "version": version[1]}
    )
    assert again.status_code in (400, 409)
    messages = await customer_messages()
    # the old time's unsent confirmation and reminder are withdrawn (a worker would have sent
    # the confirmation at once; the reminder never goes out)
    assert [m["status"] for m in messages[:2]] == ["cancelled", "cancelled"]
    kinds = [str(m["reference"]).rsplit(":", 1)[-1] for m in messages[2:]]
    assert kinds == ["moved", "reminder"]
    assert all(m["status"] == "queued" for m in messages[2:])
    assert "flyttats" in str(messages[2]["body"])

    await post_form(other_client, f"{path}/cancel", {"confirm": "yes"})
    await post_form(other_client, f"{path}/cancel", {"confirm": "yes"})  # twice: told once
    messages = await customer_messages()
    assert [str(m["reference"]).rsplit(":", 1)[-1] for m in messages[4:]] == ["cancelled"]
    assert "ställts in" in str(messages[4]["body"])
    live = await customer_messages("queued")
    assert [str(m["reference"]).rsplit(":", 1)[-1] for m in live] == ["cancelled"]


async def test_a_customer_without_a_mobile_number_gets_nothing_and_the_page_says_so(
    admin: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer_id = await create_customer(admin, phone="")
    setup = await signed_in(other_client)
    colleague = await colleague_with_email(setup)
    path, _ = await book_meeting_with(other_client, customer_id, colleague, setup.advice_type_id)
    page = await other_client.get(path)
    assert "ei viestejä" in page.text
    assert not await OutboxMessage.select().where(OutboxMessage.customer_id == customer_id)


async def test_a_guest_is_written_to_in_their_own_language(client: httpx.AsyncClient) -> None:
    setup = await signed_in(client)  # the staff member's pages are in Finnish
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
    guest = {"guest_name": "Mormor Kund", "guest_phone": "0405550002", "guest_channel": "sms"}
    refused = await post_form(client, f"{path}/guests", {**guest, "guest_language": "de"})
    assert refused.status_code == 400 and 'id="f-guest_language-error"' in refused.text
    assert await MeetingGuest.count() == 0
    added = await post_form(client, f"{path}/guests", {**guest, "guest_language": "sv"})
    assert added.status_code == 200 and "ruotsi" in added.text
    invitation = await OutboxMessage.select().where(OutboxMessage.recipient == "+358405550002")
    assert len(invitation) == 1 and "Inbjudan" in str(invitation[0]["subject"])
    await post_form(client, f"{path}/cancel", {"confirm": "yes"})
    told = await OutboxMessage.select().where(OutboxMessage.recipient == "+358405550002")
    assert len(told) == 2 and "ställts in" in str(told[1]["body"])
