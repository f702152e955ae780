"""What a move offers: only times that do not overlap the professional's other bookings (of
any type and length, and joint meetings), never the booking's own time; and booking for a
customer preselects no time, so "Book" without a choice books nothing."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from core.common.clock import now, today
from core.db import transaction
from plugins.booking import bookings, links
from plugins.booking.tables import Booking, Opening
from tests.core.test_customers import create as create_customer
from tests.helpers import SYSTEM, post_form
from tests.plugins.booking.setup_data import tomorrow_at
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
