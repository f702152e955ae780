"""Staff cancellations and closures reach the customer: cancel with a notice, offer new times,
move to a colleague; nothing is sent any more for the old time."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from core.audit.tables import AuditEntry
from core.common.clock import now
from core.db import transaction
from core.i18n import gettext, in_language
from core.notifications.tables import OutboxMessage
from core.plugins import PluginConfigError
from plugins.booking import absences, bookings, links, settings
from plugins.booking.forms import ContactForm
from plugins.booking.tables import AppointmentType, Booking, BookingNote, Closure
from tests.core.test_customers import create as create_customer
from tests.helpers import SYSTEM, make_user, post_form, sign_in
from tests.plugins.booking.setup_data import (
    BookingSetup,
    add_colleague,
    create_setup,
    tomorrow_at,
)
from tests.plugins.booking.test_public import SECRET


async def book(
    setup: BookingSetup,
    starts_at: dt.datetime,
    language: str = "fi",
    phone: str = "0401234567",
    mode: str = "phone",
) -> int:
    request = bookings.BookingRequest(
        professional_id=setup.professional_id,
        appointment_type_id=setup.advice_type_id,
        starts_at=starts_at,
        mode=mode,
        name="Aino Asiakas",
        phone=phone,
        reminder_channel="sms",
        language=language,
    )
    request.phone = bookings.contact_problems(ContactForm(name=request.name, phone=phone), True, {})
    async with transaction():
        booking_id = await bookings.create_booking(SYSTEM, request, now())
        booking = await bookings.get_booking(booking_id)
        token = links.sign(SECRET, booking_id, booking["starts_at"])
        await bookings.queue_messages(booking, f"https://example.fi/book/manage/{token}", now())
    return booking_id


async def live_messages(booking_id: int) -> list[dict[str, object]]:
    return await OutboxMessage.select().where(
        OutboxMessage.reference.like(f"booking:{booking_id}:%")
        & (OutboxMessage.status != "cancelled")
    )


async def signed_in(client: httpx.AsyncClient) -> BookingSetup:
    setup = await create_setup()
    assert (await sign_in(client, setup.username)).status_code == 200
    return setup


async def test_staff_cancellation_tells_the_customer_in_their_language_with_a_link(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    booking_id = await book(setup, tomorrow_at(9), language="sv")
    path = f"/booking/bookings/{booking_id}"
    with in_language("fi"):
        message = gettext("Choose the reason the customer is told.")
    for reason in ("", "holiday"):  # none, or not one of the reasons
        refused = await post_form(
            client, path, {"action": "cancel", "reason": reason, "confirm": "yes"}
        )
        assert refused.status_code == 400
        assert f'<p class="error" id="f-reason-error">{message}</p>' in refused.text
    assert (await Booking.select(Booking.status).first())["status"] == "booked"

    asked = await post_form(client, path, {"action": "cancel", "reason": "illness"})
    assert asked.status_code == 200 and 'name="confirm"' in asked.text
    assert (await Booking.select(Booking.status).first())["status"] == "booked"
    done = await post_form(
        client, path, {"action": "cancel", "reason": "illness", "confirm": "yes"}
    )
    assert done.status_code == 200, done.text
    assert 'role="status"' in done.text
    row = await Booking.select().where(Booking.id == booking_id).first()
    assert (row["status"], row["cancelled_by"], row["cancel_reason"]) == (
        "cancelled",
        "staff",
        "illness",
    )
    assert row["slot_key"] is None
    messages = await live_messages(booking_id)
    notices = [m for m in messages if str(m["reference"]).endswith(":cancelled")]
    assert len(notices) == 1
    notice = notices[0]
    assert notice["recipient"] == "+358401234567" and notice["channel"] == "sms"
    with in_language("sv"):
        assert gettext("Your appointment has been cancelled.") in str(notice["body"])
        assert gettext("the professional is ill") in str(notice["body"])
    assert "http://testserver.local/book/" in str(notice["body"])
    # the reminder of the old time is withdrawn; only the confirmation had gone and the notice
    assert not [m for m in messages if str(m["reference"]).endswith(":reminder")]
    again = await post_form(
        client, path, {"action": "cancel", "reason": "illness", "confirm": "yes"}
    )
    assert again.status_code == 400  # already cancelled: no second notice
    assert len(await live_messages(booking_id)) == len(messages)


async def test_sick_day_move_offer_and_cancel_each_booking(client: httpx.AsyncClient) -> None:
    setup = await signed_in(client)
    colleague = await add_colleague(setup)
    ids = [await book(setup, tomorrow_at(9, minute)) for minute in (0, 15, 30)]
    day = tomorrow_at(9).astimezone(dt.UTC)
    closed = await post_form(
        client,
        "/booking/openings",
        {
            "action": "close",
            "closure_date": f"{(day + dt.timedelta(hours=3)).date():%Y-%m-%d}",
            "closure_start": "08:00",
            "closure_end": "16:00",
            "reason": "Sairauspoissaolo",
        },
    )
    assert closed.status_code == 200, closed.text
    assert re.search(r"/booking/closures/\d+$", str(closed.url)), closed.url
    for booking_id in ids:
        assert f"/bookings/{booking_id}" in closed.text
    base = str(closed.url.path)

    moved = await post_form(
        client,
        f"{base}/bookings/{ids[0]}",
        {"choice": "move", f"colleague_{ids[0]}": str(colleague), "reason": ""},
    )
    assert moved.status_code == 200, moved.text
    row = await Booking.select().where(Booking.id == ids[0]).first()
    assert (row["professional"], row["status"], row["id"]) == (colleague, "booked", ids[0])
    live = await live_messages(ids[0])
    assert {m["reference"] for m in live} >= {
        f"booking:{ids[0]}:2:confirmation",
        f"booking:{ids[0]}:2:reminder",
    }
    assert not [m for m in live if str(m["reference"]).startswith(f"booking:{ids[0]}:1:rem")]

    no_choice = await post_form(client, f"{base}/bookings/{ids[1]}", {"reason": "illness"})
    assert no_choice.status_code == 400
    offered = await post_form(
        client, f"{base}/bookings/{ids[1]}", {"choice": "offer", "reason": "illness"}
    )
    assert offered.status_code == 200, offered.text
    offer = [m for m in await live_messages(ids[1]) if str(m["reference"]).endswith(":offer")]
    assert len(offer) == 1
    link = re.search(r"http://testserver.local(/book/offer/\S+)", str(offer[0]["body"]))
    assert link, offer[0]["body"]

    asked = await post_form(
        client, f"{base}/bookings/{ids[2]}", {"choice": "cancel", "reason": "illness"}
    )
    assert asked.status_code == 200 and 'name="confirm"' in asked.text
    assert (await Booking.select().where(Booking.id == ids[2]).first())["status"] == "booked"
    cancelled = await post_form(
        client,
        f"{base}/bookings/{ids[2]}",
        {"choice": "cancel", "reason": "illness", "confirm": "yes"},
    )
    assert cancelled.status_code == 200
    assert "Every customer has been handled" in cancelled.text or "/bookings/" not in (
        cancelled.text
    )
    notices = [m for m in await live_messages(ids[2]) if str(m["reference"]).endswith(":cancelled")]
    assert len(notices) == 1

    # the customer opens the offer, sees the colleague's times by day and chooses one
    customer = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    page = await customer.get(link[1])
    assert page.status_code == 200
    slot = re.search(r'name="slot"[^>]*value="([^"]+)"', page.text)
    assert slot and "checked" not in page.text.split('name="slot"', 1)[1].split(">", 1)[0]
    await customer.get("/book/")
    chosen = await post_form(customer, link[1], {"slot": slot[1]})
    assert chosen.status_code in (200, 302, 303), chosen.text
    row = await Booking.select().where(Booking.id == ids[1]).first()
    assert row["status"] == "booked" and row["slot_key"] is not None
    twice = await post_form(customer, link[1], {"slot": slot[1]})
    assert twice.status_code in (200, 303, 302, 400)
    assert await Booking.count().where(Booking.id == ids[1]) == 1


async def test_move_to_a_colleague_without_the_type_is_refused(client: httpx.AsyncClient) -> None:
    setup = await signed_in(client)
    colleague = await add_colleague(setup, type_ids=(setup.followup_type_id,))
    booking_id = await book(setup, tomorrow_at(9))
    async with transaction():
        try:
            await absences.move_to_colleague(SYSTEM, booking_id, colleague, str, now())
        except absences.ValidationFailed as exc:
            assert "colleague" in exc.errors
        else:
            raise AssertionError("a move to a professional without the type was accepted")
    row = await Booking.select().where(Booking.id == booking_id).first()
    assert row["professional"] == setup.professional_id and row["version"] == 1


async def test_a_unit_closed_for_a_day_cancels_every_booking_with_one_notice_each(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    ids = [await book(setup, tomorrow_at(9, minute)) for minute in (0, 15, 30, 45)]
    no_phone = await book(setup, tomorrow_at(10), phone="")
    start = tomorrow_at(8)
    async with transaction():
        rows = await Closure.insert(
            Closure(
                professional=setup.professional_id,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=8),
            )
        ).returning(Closure.id)
    page = f"/booking/closures/{rows[0]['id']}"
    bad = await post_form(client, f"{page}/cancel-all", {"reason": "nonsense"})
    assert bad.status_code == 400
    asked = await post_form(client, f"{page}/cancel-all", {"reason": "unit_closed"})
    assert asked.status_code == 200 and await Booking.count().where(Booking.status == "booked")
    done = await post_form(
        client, f"{page}/cancel-all", {"reason": "unit_closed", "confirm": "yes"}
    )
    assert done.status_code == 200
    assert "5 " in done.text  # the notice says how many were cancelled
    for booking_id in ids:
        notices = [
            m for m in await live_messages(booking_id) if str(m["reference"]).endswith(":cancelled")
        ]
        assert len(notices) == 1
    assert await Booking.count().where(Booking.status == "booked") == 0
    assert not await live_messages(no_phone)


async def test_remote_meeting_confirmation_carries_the_video_link(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = "https://video.example.fi/ephva-{room}"
    monkeypatch.setattr(
        settings, "_current", settings.parse_settings({"video_link_template": template})
    )
    with pytest.raises(PluginConfigError):
        settings.parse_settings({"video_link_template": "http://no-room.example.fi/"})
    setup = await signed_in(client)
    async with transaction():
        await AppointmentType.update({AppointmentType.modes: ["phone", "remote"]}).where(
            AppointmentType.id == setup.advice_type_id
        )
    remote = await book(setup, tomorrow_at(9), mode="remote")
    phone = await book(setup, tomorrow_at(9, 15))
    bodies = [str(m["body"]) for m in await live_messages(remote)]
    rooms = {re.search(r"https://video\.example\.fi/ephva-[0-9a-f]{24}", b)[0] for b in bodies}
    assert len(rooms) == 1  # the same room in the confirmation and the reminder
    assert not [m for m in await live_messages(phone) if "video.example" in str(m["body"])]
    page = await client.get(f"/booking/bookings/{remote}")
    assert rooms.pop() in page.text  # staff see the same room as the customer


async def test_notes_are_for_staff_with_the_permission_and_reading_is_logged(
    admin: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer_id = await create_customer(admin)
    setup = await signed_in(other_client)
    booking_id = await book(setup, tomorrow_at(9))
    async with transaction():
        await Booking.update({Booking.customer: customer_id}).where(Booking.id == booking_id)
    path = f"/booking/bookings/{booking_id}"
    empty = await post_form(other_client, f"{path}/notes", {"note": "  "})
    long = await post_form(other_client, f"{path}/notes", {"note": "x" * 5001})
    with in_language("fi"):
        for refused, message in [
            (empty, "Write the note first."),
            (long, "At most 5,000 characters."),
        ]:
            assert refused.status_code == 400
            assert f'<p class="error" id="f-note-error">{gettext(message)}</p>' in refused.text
    assert not await BookingNote.exists().where(BookingNote.booking == booking_id)
    saved = await post_form(other_client, f"{path}/notes", {"note": "Puhuttiin kotiavusta."})
    assert saved.status_code == 200 and "Puhuttiin kotiavusta." in saved.text
    logged = await AuditEntry.select().where(
        (AuditEntry.customer_id == customer_id) & (AuditEntry.action == "view")
    )
    assert [e["entity"] for e in logged].count("booking_note") == 1  # the page after saving
    guidance = await make_user("client_guidance")
    await sign_in(other_client, guidance)
    refused = await post_form(other_client, f"{path}/notes", {"note": "Ei saa"})
    assert refused.status_code == 403
