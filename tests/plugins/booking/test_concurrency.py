"""Fifty people confirm the same free time at once: one booking, forty-nine clear answers."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from litestar import Litestar

from core.audit.tables import AuditEntry
from core.common.clock import now
from core.db import transaction
from core.notifications.tables import OutboxMessage
from plugins.booking import availability, bookings
from plugins.booking.tables import Booking, BookingContact
from tests.helpers import SYSTEM, post_form
from tests.plugins.booking.setup_data import create_setup, tomorrow_at
from tests.plugins.booking.test_public import details


async def test_fifty_simultaneous_requests_for_one_slot(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    setup = await create_setup()
    await client.get("/book/")  # the CSRF cookie, shared by the fifty requests
    form = details(setup, tomorrow_at(10))

    async def confirm(n: int) -> httpx.Response:
        # Fifty people: each from their own address and phone, under the rate limits.
        transport = httpx.ASGITransport(app=app, client=(f"198.51.100.{n + 1}", 1))
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver.local",
            cookies=client.cookies,
            follow_redirects=True,
        ) as person:
            phone = f"040 777 {1000 + n}"
            data = {**form, "name": f"Asiakas {n}", "phone": phone}
            return await post_form(person, "/book/confirm", data)

    responses = await asyncio.gather(*(confirm(n) for n in range(50)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 49
    taken = next(r for r in responses if r.status_code == 409)
    assert "/book/times?type_id=" in taken.text  # the answer offers other times
    assert await Booking.count() == 1
    assert await BookingContact.count() == 1  # the losers' contacts were rolled back
    assert await OutboxMessage.count() == 2
    assert await AuditEntry.count().where(AuditEntry.entity == "booking") == 1


async def test_unique_slot_holds_even_when_the_check_before_insert_misses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two transactions that both passed the free-time check: the constraint decides."""
    setup = await create_setup()
    request = bookings.BookingRequest(
        professional_id=setup.professional_id,
        appointment_type_id=setup.advice_type_id,
        starts_at=tomorrow_at(9),
        mode="phone",
        name="Aino Asiakas",
        phone="+358401234567",
    )
    async with transaction():
        await bookings.create_booking(SYSTEM, request, now())

    async def nothing_busy(*_: object) -> dict[int, list[object]]:
        return {}

    monkeypatch.setattr(availability, "busy_periods", nothing_busy)
    with pytest.raises(bookings.SlotTaken):
        async with transaction():
            await bookings.create_booking(SYSTEM, request, now())
    assert await Booking.count() == 1
    assert await BookingContact.count() == 1
