"""What a move offers: only times that do not overlap the professional's other bookings (of
any type and length, and joint meetings), never the booking's own time; and booking for a
customer preselects no time, so "Book" without a choice books nothing."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from core.common.clock import now, today
from core.db import transaction
from plugins.booking import availability, bookings, links, meetings
from plugins.booking.tables import Booking, Opening
from tests.core.test_customers import create as create_customer
from tests.helpers import SYSTEM, post_form
from tests.plugins.booking.setup_data import add_colleague, tomorrow_at
from tests.plugins.booking.test_absences import book, signed_in
from tests.plugins.booking.test_public import SECRET


def offered(page: str) -> list[dt.datetime]:
    values = re.findall(r'name="starts_at"[^>]*value="([^"]+)"', page)
    values += re.findall(r'value="([^"]+)"[^>]*name="starts_at"', page)
    return sorted({dt.datetime.fromisoformat(v) for v in values})


async def test_a_move_offers_no_time_overlapping_the_professionals_other_bookings(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    async with transaction():  # a 30-minute type open over the same morning
        await Opening.insert(
            Opening(
                professional=setup.professional_id,
                appointment_type=setup.followup_type_id,
                on_date=today() + dt.timedelta(days=2),
                valid_from=today() + dt.timedelta(days=2),
                start_time=dt.time(9),
                end_time=dt.time(11),
            )
        )
        follow_up = bookings.BookingRequest(
            professional_id=setup.professional_id,
            appointment_type_id=setup.followup_type_id,
            starts_at=tomorrow_at(9, 30),
            mode="phone",
            reminder_channel="none",
        )
        await bookings.create_booking(SYSTEM, follow_up, now())  # 9.30–10.00
    booking_id = await book(setup, tomorrow_at(10, 30))
    booking = await bookings.get_booking(booking_id)
    token = links.sign(SECRET, booking_id, booking["starts_at"])
    page = await client.get(
        f"/book/manage/{token}/move", params={"after": tomorrow_at(8).isoformat()}
    )
    assert page.status_code == 200
    times = [t for t in offered(page.text) if t < tomorrow_at(11)]
    assert times == [
        tomorrow_at(9),
        tomorrow_at(9, 15),
        tomorrow_at(10),
        tomorrow_at(10, 15),
        tomorrow_at(10, 45),
    ]  # not 9.30 or 9.45 (the follow-up), not 10.30 (the booking itself)
    refused = await post_form(
        client, f"/book/manage/{token}/move", {"starts_at": tomorrow_at(9, 45).isoformat()}
    )
    assert refused.status_code == 409  # and a forged choice of an overlapping time is refused
    assert (await Booking.select(Booking.starts_at).where(Booking.id == booking_id))[0][
        "starts_at"
    ] == tomorrow_at(10, 30)


async def test_booking_for_a_customer_preselects_no_time(
    admin: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer_id = await create_customer(admin)
    setup = await signed_in(other_client)
    path = f"/booking/customers/{customer_id}"
    page = await other_client.get(path, params={"type_id": setup.advice_type_id})
    radios = re.findall(r'<input type="radio"[^>]*name="slot"[^>]*>', page.text)
    assert radios and not [r for r in radios if "checked" in r]
    unchosen = await post_form(
        other_client,
        path,
        {"action": "book", "appointment_type_id": setup.advice_type_id, "mode": "phone"},
    )
    assert unchosen.status_code == 400 and 'id="f-starts_at-error"' in unchosen.text
    assert await Booking.count() == 0
    radios = re.findall(r'<input type="radio"[^>]*name="slot"[^>]*>', unchosen.text)
    assert radios and not [r for r in radios if "checked" in r]


async def test_a_joint_meeting_may_move_to_a_time_overlapping_its_current_one(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    colleague = await add_colleague(setup)
    day = today() + dt.timedelta(days=1)  # the move page lists the first 12 common times

    def at(hour: int, minute: int = 0) -> dt.datetime:
        moment = availability.local_moment(day, dt.time(hour, minute))
        assert moment is not None
        return moment

    async with transaction():
        meeting_id = await meetings.book_meeting(
            SYSTEM,
            organiser_id=setup.professional_id,
            colleague_ids=[colleague],
            appointment_type_id=setup.advice_type_id,
            starts_at=at(9),
            mode="office",
            title="Palaveri",
            customer_id=None,
            moment=now(),
        )
        for professional in (setup.professional_id, colleague):  # both also open 9.05–9.20
            await Opening.insert(
                Opening(
                    professional=professional,
                    appointment_type=setup.advice_type_id,
                    on_date=day,
                    valid_from=day,
                    start_time=dt.time(9, 5),
                    end_time=dt.time(9, 20),
                )
            )
    path = f"/booking/meetings/{meeting_id}/move"
    form = await client.get(path)
    times = offered(form.text)
    assert at(9, 5) in times and at(9) not in times
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    moved = await post_form(
        client, path, {"starts_at": at(9, 5).isoformat(), "version": version[1]}
    )
    assert moved.status_code == 200, moved.text
    rows = await Booking.select().where(Booking.meeting == meeting_id)
    assert {r["starts_at"] for r in rows} == {at(9, 5)} and all(r["slot_key"] for r in rows)
