"""Fifty people confirm the same free time at once: one booking, forty-nine clear answers."""

from __future__ import annotations

import asyncio

import httpx

from core.audit.tables import AuditEntry
from core.notifications.tables import OutboxMessage
from plugins.booking.tables import Booking, BookingContact
from tests.helpers import post_form
from tests.plugins.booking.setup_data import create_setup, tomorrow_at
from tests.plugins.booking.test_public import details


async def test_fifty_simultaneous_requests_for_one_slot(client: httpx.AsyncClient) -> None:
    setup = await create_setup()
    await client.get("/book/")  # the CSRF cookie, shared by the fifty requests
    form = details(setup, tomorrow_at(10))

    async def confirm(n: int) -> httpx.Response:
        return await post_form(client, "/book/confirm", {**form, "name": f"Asiakas {n}"})

    responses = await asyncio.gather(*(confirm(n) for n in range(50)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 49
    taken = next(r for r in responses if r.status_code == 409)
    assert "/book/times?type_id=" in taken.text  # the answer offers other times
    assert await Booking.count() == 1
    assert await BookingContact.count() == 1  # the losers' contacts were rolled back
    assert await OutboxMessage.count() == 2
    assert await AuditEntry.count().where(AuditEntry.entity == "booking") == 1
