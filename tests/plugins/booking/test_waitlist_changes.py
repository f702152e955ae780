"""The waiting list after a request was made: a closure removed (or a new opening) offers the
freed times at once, in the same transaction; a closure over a held time takes the hold back
and tells the citizen; the citizen withdraws or declines a time by their links, once only, even
when the same click arrives several times at once; staff see every request's situation."""

from __future__ import annotations

import asyncio
import re

import httpx
from litestar import Litestar

from core.audit.tables import AuditEntry
from core.db import transaction
from core.notifications.tables import OutboxMessage
from plugins.booking.tables import Booking, Closure, ServiceUnit, WaitlistEntry
from tests.helpers import post_form
from tests.plugins.booking.setup_data import BookingSetup, tomorrow_at
from tests.plugins.booking.test_absences import signed_in
from tests.plugins.booking.test_waitlist import (
    booked_day,
    cancel_publicly,
    full_day,
    hold_messages,
    hold_path,
    request_form,
)


async def join(citizen: httpx.AsyncClient, setup: BookingSetup, phone: str) -> str:
    """Join the waiting list; the path of the request's own page, as the done page links it."""
    done = await post_form(citizen, "/book/waitlist", request_form(setup, phone))
    assert done.status_code == 200, done.text
    match = re.search(r'href="(/book/waitlist/[0-9a-f-]+)"', done.text)
    assert match, done.text
    return match[1]


async def request_messages(phone: str) -> list[dict[str, object]]:
    return await OutboxMessage.select().where(
        OutboxMessage.reference.like("booking:waitlist-request:%")
        & (OutboxMessage.recipient == phone)
    )


async def closure_form(staff: httpx.AsyncClient, start: str, end: str) -> httpx.Response:
    calendar = await staff.get("/booking")
    assert 'href="/booking/openings' in calendar.text
    return await post_form(
        staff,
        "/booking/openings",
        {
            "action": "close",
            "closure_date": booked_day().isoformat(),
            "closure_start": start,
            "closure_end": end,
            "reason": "Sairas",
        },
    )


async def remove_closure_path(staff: httpx.AsyncClient) -> dict[str, str]:
    page = await staff.get("/booking/openings")
    match = re.search(r'name="id" value="(\d+)">\s*<button[^>]*value="reopen"', page.text)
    assert match, page.text
    return {"action": "reopen", "id": match[1]}


async def test_removing_a_closure_offers_its_times_to_the_waiting_list_at_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    setup = await signed_in(client)
    closed = await closure_form(client, "8.00", "12.00")  # the whole day's advice times
    assert closed.status_code == 200 and await Closure.count() == 1
    await join(other_client, setup, "0401000001")
    entry = await WaitlistEntry.select().first()
    assert entry["status"] == "waiting"  # a closed time is not free
    assert not await hold_messages("+358401000001")

    form = await remove_closure_path(client)
    asked = await post_form(client, "/booking/openings", form)
    assert asked.status_code == 200 and 'name="confirm"' in asked.text
    assert await Closure.count() == 1  # asking first changed nothing
    done = await post_form(client, "/booking/openings", {**form, "confirm": "yes"})
    assert done.status_code == 200 and 'role="status"' in done.text
    assert await Closure.count() == 0
    # No cron run in between: the removal itself held the first time and queued the message.
    messages = await hold_messages("+358401000001")
    assert len(messages) == 1
    held = await Booking.select().where(Booking.status == "held").first()
    assert held["starts_at"] == tomorrow_at(9)
    assert (await WaitlistEntry.select().first())["status"] == "offered"
    assert await AuditEntry.count().where(
        (AuditEntry.entity == "booking_closure") & (AuditEntry.action == "delete")
    )
    again = await post_form(client, "/booking/openings", {**form, "confirm": "yes"})
    assert again.status_code == 404  # removed once; nothing offered twice
    assert len(await hold_messages("+358401000001")) == 1


async def test_a_closure_over_a_held_time_takes_it_back_and_offers_another(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    setup = await signed_in(client)
    booked = await full_day(setup)
    await cancel_publicly(other_client, booked[3])  # 09:45
    await cancel_publicly(other_client, booked[6])  # 10:30
    await join(other_client, setup, "0401000001")
    held = await Booking.select().where(Booking.status == "held").first()
    assert held["starts_at"] == tomorrow_at(9, 45)
    first_link = hold_path((await hold_messages("+358401000001"))[0])

    closed = await closure_form(client, "9.30", "10.00")  # the professional's dentist
    assert closed.status_code == 200
    taken_back = await Booking.select().where(Booking.id == held["id"]).first()
    assert taken_back["status"] == "cancelled" and taken_back["slot_key"] is None
    notices = [
        m for m in await request_messages("+358401000001") if "taken-back" in str(m["reference"])
    ]
    assert len(notices) == 1 and "9.45" in str(notices[0]["body"])
    holds = await hold_messages("+358401000001")
    assert len(holds) == 2  # in the closure's own transaction: the next free time, 10.30
    now_held = await Booking.select().where(Booking.status == "held").first()
    assert now_held["starts_at"] == tomorrow_at(10, 30)
    assert (await other_client.get(first_link)).status_code == 410
    assert (await other_client.get(hold_path(holds[-1]))).status_code == 200


async def test_citizen_withdraws_by_their_link_and_a_held_time_goes_to_the_next(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    setup = await signed_in(client)
    booked = await full_day(setup)
    first_page = await join(other_client, setup, "0401000001")
    await join(other_client, setup, "0401000002")
    joined = await request_messages("+358401000001")
    assert len(joined) == 1 and first_page in str(joined[0]["body"])
    await cancel_publicly(other_client, booked[0])
    assert len(await hold_messages("+358401000001")) == 1

    page = await other_client.get(first_page)
    assert page.status_code == 200 and "/book/hold/" in page.text
    match = re.search(r'action="(/book/waitlist/[^"]+/withdraw)"', page.text)
    assert match
    asked = await post_form(other_client, match[1], {})
    assert asked.status_code == 200 and 'name="confirm"' in asked.text
    first = await WaitlistEntry.select().order_by(WaitlistEntry.id).first()
    assert first["status"] == "offered"
    done = await post_form(other_client, match[1], {"confirm": "yes"})
    assert done.status_code == 200 and 'role="status"' in done.text
    statuses = [e["status"] for e in await WaitlistEntry.select().order_by(WaitlistEntry.id)]
    assert statuses == ["withdrawn", "offered"]  # the time went on at once
    assert len(await hold_messages("+358401000002")) == 1
    again = await post_form(other_client, match[1], {"confirm": "yes"})
    assert again.status_code == 409 and 'role="alert"' in again.text

    staff = await client.get("/booking")
    assert 'href="/booking/waitlist/"' in staff.text
    listing = await client.get("/booking/waitlist/")
    assert listing.status_code == 200
    assert "Asiakas poistui jonosta" in listing.text and "Aika odottaa vahvistusta" in listing.text
    assert await AuditEntry.count().where(
        (AuditEntry.entity == "booking_waitlist") & (AuditEntry.action == "view")
    )
    withdrawn = await client.get("/booking/waitlist/", params={"status": "withdrawn"})
    assert withdrawn.text.count("Odottava Olli") == 1


async def test_declined_time_goes_to_the_next_once_even_when_clicked_five_times_at_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, app: Litestar
) -> None:
    setup = await signed_in(client)
    booked = await full_day(setup)
    await join(other_client, setup, "0401000001")
    await join(other_client, setup, "0401000002")
    await cancel_publicly(other_client, booked[2])  # 09:30
    path = hold_path((await hold_messages("+358401000001"))[0])
    page = await other_client.get(path)
    assert f'action="{path}/decline"' in page.text
    asked = await post_form(other_client, f"{path}/decline", {})
    assert asked.status_code == 200 and 'name="confirm"' in asked.text
    assert await Booking.count().where(Booking.status == "held") == 1

    async def decline() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 1))
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver.local",
            cookies=other_client.cookies,
            follow_redirects=True,
        ) as tab:
            return await post_form(tab, f"{path}/decline", {"confirm": "yes"})

    responses = await asyncio.gather(*(decline() for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200] + [410] * 4
    entries = await WaitlistEntry.select().order_by(WaitlistEntry.id).output(load_json=True)
    assert [e["status"] for e in entries] == ["waiting", "offered"]
    assert len(entries[0]["declined_slots"]) == 1
    second = await hold_messages("+358401000002")
    assert len(second) == 1  # the declined 09:30 went to the next in line, once
    held = await Booking.select().where(Booking.status == "held").first()
    assert held["starts_at"] == tomorrow_at(9, 30)

    await post_form(other_client, hold_path(second[0]) + "/decline", {"confirm": "yes"})
    # Both declined 09:30: it stays free, offered to no one on the list again.
    assert await Booking.count().where(Booking.status == "held") == 0
    await cancel_publicly(other_client, booked[5])  # 10:15 frees up
    first = await hold_messages("+358401000001")
    assert len(first) == 2
    held = await Booking.select().where(Booking.status == "held").first()
    assert held["starts_at"] == tomorrow_at(10, 15)


async def test_a_time_held_for_the_waiting_list_shows_in_the_calendar_grid(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    setup = await signed_in(client)
    booked = await full_day(setup)
    await join(other_client, setup, "0401000001")
    await cancel_publicly(other_client, booked[1])  # 09:15 is held for the first in line
    week = await client.get("/booking", params={"date": booked_day().isoformat()})
    assert week.status_code == 200
    held_cells = re.findall(r'<td class="slot slot--held">(.*?)</td>', week.text, re.S)
    assert len(held_cells) == 1
    assert "9.15" in held_cells[0] and "Pidetty jonottajalle" in held_cells[0]
    assert "asti" in held_cells[0]  # until when
    day = await client.get("/booking", params={"date": booked_day().isoformat(), "view": "day"})
    assert 'class="slot slot--held"' in day.text


async def test_a_professional_sees_their_own_units_requests_and_those_for_any_office(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    setup = await signed_in(client)
    await full_day(setup)
    async with transaction():
        other_unit = await ServiceUnit.insert(
            ServiceUnit(name="Toinen toimipiste", municipality="Seinäjoki")
        ).returning(ServiceUnit.id)
    for phone, unit in (("0401000001", ""), ("0401000002", str(other_unit[0]["id"]))):
        form = {**request_form(setup, phone, unit_id=unit), "name": f"Jonottaja {phone[-1]}"}
        assert (await post_form(other_client, "/book/waitlist", form)).status_code == 200
    listing = await client.get("/booking/waitlist/")
    assert "Jonottaja 1" in listing.text and "Jonottaja 2" not in listing.text
    no_such_office = request_form(setup, "0401000003", unit_id="999999")
    refused = await post_form(other_client, "/book/waitlist", no_such_office)
    assert refused.status_code == 400 and 'id="f-unit_id-error"' in refused.text
