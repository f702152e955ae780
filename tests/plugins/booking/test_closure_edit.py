"""Editing a closed time: a wider closure lists the bookings it now covers for the per-booking
choice (as adding one does), a narrower one frees its times again, a stale form gets the
conflict page and bad input a message next to the field; nothing half-written, audited."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from core.audit.tables import AuditEntry
from core.common.clock import today
from core.db import transaction
from plugins.booking.public import next_times
from plugins.booking.tables import Booking, Closure, WaitlistEntry
from tests.helpers import post_form
from tests.plugins.booking.setup_data import add_colleague, tomorrow_at
from tests.plugins.booking.test_absences import book, signed_in
from tests.plugins.booking.test_waitlist import booked_day, hold_messages
from tests.plugins.booking.test_waitlist_changes import closure_form, join

DAY = "{0.day}.{0.month}.{0.year}"


async def closure_row() -> dict[str, object]:
    row = await Closure.select().first()
    assert row is not None
    return row


async def free_starts(professional_id: int, type_id: int) -> list[dt.datetime]:
    free = await next_times(type_id, tomorrow_at(8), professional_id=professional_id)
    return [f.starts_at for f in free]


def version_of(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found
    return found[1]


async def test_a_closure_is_edited_with_the_same_effects_as_adding_one(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    first = await book(setup, tomorrow_at(9))
    second = await book(setup, tomorrow_at(10))
    day = DAY.format(today() + dt.timedelta(days=2))  # tomorrow_at's Helsinki day
    fields = {
        "closure_date": day,
        "closure_start": "9.00",
        "closure_end": "9.30",
        "reason": "Sairas",
    }
    added = await post_form(client, "/booking/openings", {"action": "close", **fields})
    assert f"/bookings/{first}" in added.text and f"/bookings/{second}" not in added.text
    closure = await closure_row()
    edit = f"/booking/closures/{closure['id']}/edit"
    assert f'href="{edit}"' in added.text

    form = await client.get(edit)
    assert form.status_code == 200 and 'value="09:00"' in form.text and day in form.text
    version = version_of(form.text)

    bad = await post_form(client, edit, {**fields, "closure_end": "8.00", "version": version})
    assert bad.status_code == 400 and 'id="f-closure_end-error"' in bad.text
    assert (await closure_row())["version"] == closure["version"]  # nothing written

    wider = await post_form(
        client, edit, {**fields, "closure_end": "10.30", "reason": "Koko aamu", "version": version}
    )
    assert wider.status_code == 200 and 'role="status"' in wider.text
    assert str(wider.url.path) == f"/booking/closures/{closure['id']}"
    assert f"/bookings/{first}" in wider.text and f"/bookings/{second}" in wider.text
    saved = await closure_row()
    assert saved["version"] == int(version) + 1 and saved["reason"] == "Koko aamu"
    assert saved["ends_at"] == tomorrow_at(10, 30)
    audited = await AuditEntry.select().where(
        (AuditEntry.entity == "booking_closure") & (AuditEntry.action == "update")
    )
    assert len(audited) == 1 and "Koko aamu" in str(audited[0]["after"])

    stale = await post_form(
        client, edit, {**fields, "closure_end": "11.00", "reason": "Vanha", "version": version}
    )
    assert stale.status_code == 409 and "Vanha" in stale.text  # the conflict page keeps it
    assert (await closure_row())["version"] == saved["version"]

    assert tomorrow_at(9, 15) not in await free_starts(setup.professional_id, setup.advice_type_id)
    narrower = await post_form(
        client,
        edit,
        {
            **fields,
            "closure_start": "10.30",
            "closure_end": "11.00",
            "version": version_of((await client.get(edit)).text),
        },
    )
    assert narrower.status_code == 200 and str(narrower.url.path) == "/booking/openings"
    assert "tallennettiin" in narrower.text  # "The closure was saved."
    assert (await closure_row())["starts_at"] == tomorrow_at(10, 30)
    free = await free_starts(setup.professional_id, setup.advice_type_id)
    assert tomorrow_at(9, 15) in free and tomorrow_at(10, 30) not in free  # freed, still closed


async def test_another_professionals_closure_is_not_found(client: httpx.AsyncClient) -> None:
    setup = await signed_in(client)
    colleague = await add_colleague(setup)
    async with transaction():
        await Closure.insert(
            Closure(professional=colleague, starts_at=tomorrow_at(9), ends_at=tomorrow_at(10))
        )
    closure = await closure_row()
    edit = f"/booking/closures/{closure['id']}/edit"
    assert (await client.get(edit)).status_code == 404
    day = DAY.format(today() + dt.timedelta(days=2))
    fields = {"closure_date": day, "closure_start": "9.00", "closure_end": "11.00"}
    refused = await post_form(client, edit, {**fields, "version": "1"})
    assert refused.status_code == 404
    assert (await closure_row())["ends_at"] == tomorrow_at(10)


async def test_an_edited_closure_gives_freed_times_to_the_line_and_takes_back_holds(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    setup = await signed_in(client)
    await closure_form(client, "8.00", "12.00")  # the whole day's advice times
    await join(other_client, setup, "0401000001")
    assert (await WaitlistEntry.select().first())["status"] == "waiting"
    closure = await closure_row()
    edit = f"/booking/closures/{closure['id']}/edit"
    fields = {"closure_date": booked_day().isoformat(), "closure_start": "8.00", "reason": ""}

    shorter = await post_form(
        client,
        edit,
        {**fields, "closure_end": "9.30", "version": version_of((await client.get(edit)).text)},
    )
    assert shorter.status_code == 200
    held = await Booking.select().where(Booking.status == "held").first()
    assert held["starts_at"] == tomorrow_at(9, 30)  # offered in the edit's own transaction
    assert len(await hold_messages("+358401000001")) == 1

    longer = await post_form(
        client,
        edit,
        {**fields, "closure_end": "10.00", "version": version_of((await client.get(edit)).text)},
    )
    assert longer.status_code == 200
    taken_back = await Booking.select().where(Booking.id == held["id"]).first()
    assert taken_back["status"] == "cancelled"  # as when a closure is added over a held time
    now_held = await Booking.select().where(Booking.status == "held").first()
    assert now_held["starts_at"] == tomorrow_at(10)
    assert len(await hold_messages("+358401000001")) == 2
