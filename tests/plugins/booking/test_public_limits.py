"""Gaps 2 and 3: links from configuration, rate limits, SMS countries and the open-booking cap."""

from __future__ import annotations

import datetime as dt

import httpx

from core.common.clock import today
from core.notifications.tables import OutboxMessage
from plugins.booking.availability import local_moment
from plugins.booking.tables import Booking
from tests.helpers import assert_no_code_on_screen, csrf, post_form
from tests.plugins.booking.setup_data import create_setup, tomorrow_at
from tests.plugins.booking.test_public import details


def slot(day: int, index: int) -> dt.datetime:
    """The index-th 15-minute time from 9.00 on the day `day` days ahead."""
    moment = local_moment(
        today() + dt.timedelta(days=day), dt.time(9 + index // 4, 15 * (index % 4))
    )
    assert moment is not None
    return moment


async def test_links_in_messages_come_from_the_configured_base_url(
    client: httpx.AsyncClient,
) -> None:
    setup = await create_setup()
    await client.get("/book/")
    refused = await client.post(
        "/book/confirm",
        data={**details(setup, tomorrow_at(9)), "_csrf_token": csrf(client)},
        headers={"host": "evil.example"},
    )
    assert refused.status_code == 400 and await OutboxMessage.count() == 0
    booked = await client.post(
        "/book/confirm",
        data={**details(setup, tomorrow_at(9)), "_csrf_token": csrf(client)},
        headers={"host": "localhost"},  # allowed, but not the public address
    )
    assert booked.status_code == 200, booked.text
    bodies = [m["body"] for m in await OutboxMessage.select(OutboxMessage.body)]
    assert bodies and all("http://testserver.local/book/manage/" in b for b in bodies)
    assert not any("localhost" in b or "evil" in b for b in bodies)


async def test_one_address_cannot_fill_the_calendar(client: httpx.AsyncClient) -> None:
    setup = await create_setup()
    statuses = []
    for n in range(14):
        phone = f"040 555 {1000 + n}"
        response = await post_form(
            client, "/book/confirm", details(setup, slot(2 + n // 8, n % 8), phone=phone)
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [200] * 10
    assert set(statuses[10:]) == {429}
    assert await Booking.count() == 10
    page = await post_form(client, "/book/confirm", details(setup, slot(5, 0)))
    assert page.status_code == 429 and "retry-after" in page.headers
    assert "<h1>Liian monta yritystä</h1>" in page.text  # a page for a person, in the layout
    assert_no_code_on_screen(page.text, "the booking site's 429 page")


async def test_sms_only_to_allowed_countries(client: httpx.AsyncClient) -> None:
    setup = await create_setup()
    for number in ("+44 7911 123456", "+882 1234 5678", "00 252 61 234 5678"):
        response = await post_form(
            client, "/book/confirm", details(setup, tomorrow_at(9), phone=number)
        )
        assert response.status_code == 400, number
        assert "Tekstiviestejä ei voi lähettää" in response.text
    assert await OutboxMessage.count() == 0 and await Booking.count() == 0


async def test_a_contact_has_a_limited_number_of_open_bookings(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    setup = await create_setup()
    for n in range(3):
        response = await post_form(client, "/book/confirm", details(setup, slot(2, n)))
        assert response.status_code == 200
    over = await post_form(other_client, "/book/confirm", details(setup, slot(2, 5)))
    assert over.status_code == 429
    assert "3" in over.text and await Booking.count() == 3
