"""The private ICS feed of a professional: created, parsed back with icalendar, revoked."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import icalendar
import pytest

from core.common.clock import HELSINKI
from core.customers.tables import Customer
from core.db import transaction
from plugins.booking.calendar import _fold, _line
from plugins.booking.tables import Booking, CalendarFeed, Closure
from tests.core.test_customers import create as create_customer
from tests.helpers import post_form
from tests.plugins.booking.setup_data import tomorrow_at
from tests.plugins.booking.test_absences import book, signed_in


async def test_feed_shows_appointments_without_identity_and_stops_when_revoked(
    admin: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer_id = await create_customer(admin)
    client = other_client
    setup = await signed_in(client)
    booking_id = await book(setup, tomorrow_at(9))
    await book(setup, tomorrow_at(9, 15))
    async with transaction():
        await Booking.update({Booking.customer: customer_id}).where(Booking.id == booking_id)
    page = await client.get("/booking/feed/")
    assert page.status_code == 200
    created = await post_form(client, "/booking/feed/", {"action": "create"})
    assert created.status_code == 200
    address = re.search(
        r"http://testserver.local(/calendar-feed/[A-Za-z0-9_-]+\.ics)", created.text
    )
    assert address, created.text
    feed_row = await CalendarFeed.select().first()
    assert address[1].split("/")[-1].removesuffix(".ics") not in str(feed_row)  # only a hash

    anonymous = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    response = await anonymous.get(address[1])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 2
    first = min(events, key=lambda e: e.decoded("dtstart"))
    assert first.decoded("dtstart") == tomorrow_at(9)
    assert str(first.get("uid")) == f"booking-{booking_id}@valvomo"
    assert "Advice" in str(first.get("summary"))
    text = response.content.decode()
    assert "Aino" not in text and "Asiakas" not in text  # no names
    customer = await Customer.select().where(Customer.id == customer_id).first()
    for personal in (customer["identity_code"], customer["last_name"], customer["first_name"]):
        assert personal not in text

    async with transaction():
        await Booking.update({Booking.status: "cancelled", Booking.slot_key: None}).where(
            Booking.id == booking_id
        )
    after_cancel = icalendar.Calendar.from_ical((await anonymous.get(address[1])).content)
    assert len(list(after_cancel.walk("VEVENT"))) == 1

    asked = await post_form(client, "/booking/feed/", {"action": "revoke"})
    assert asked.status_code == 200 and 'name="confirm"' in asked.text
    assert (await anonymous.get(address[1])).status_code == 200  # not stopped before confirming
    stopped = await post_form(client, "/booking/feed/", {"action": "revoke", "confirm": "yes"})
    assert stopped.status_code == 200
    gone = await anonymous.get(address[1])
    assert gone.status_code == 404 and "stopped" in gone.text
    assert (await anonymous.get("/calendar-feed/not-a-token.ics")).status_code == 404


@pytest.mark.nodb
def test_long_lines_are_folded_so_icalendar_reads_them_back() -> None:
    url = "https://valvomo.example.fi/" + "a" * 200
    text = "Neuvonta-aika; perheasiat, pitkä nimi " * 5
    raw = b"BEGIN:VEVENT\r\n" + _line("SUMMARY", text) + _fold(f"URL:{url}") + b"END:VEVENT\r\n"
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    event = icalendar.Event.from_ical(raw)
    assert str(event["summary"]) == text and str(event["url"]) == url


async def test_week_grid_shows_free_booked_and_closed_times(client: httpx.AsyncClient) -> None:
    setup = await signed_in(client)
    booking_id = await book(setup, tomorrow_at(9))
    start = tomorrow_at(10)
    async with transaction():
        await Closure.insert(
            Closure(
                professional=setup.professional_id,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=30),
            )
        )
    day = start.astimezone(HELSINKI).date()
    week = await client.get("/booking", params={"date": day.isoformat()})
    assert week.status_code == 200
    cells = re.findall(r'class="slot slot--(\w+)"', week.text)
    assert cells.count("booked") == 1 and cells.count("closed") == 2
    assert cells.count("free") > 7 * 8  # every day of the week has its openings
    assert f'href="/booking/bookings/{booking_id}"' in week.text
    assert '<th scope="row">9.00</th>' in week.text
    single = await client.get("/booking", params={"date": day.isoformat(), "view": "day"})
    day_cells = re.findall(r'class="slot slot--(\w+)"', single.text)
    assert day_cells[:5] == ["booked", "free", "free", "free", "closed"]
