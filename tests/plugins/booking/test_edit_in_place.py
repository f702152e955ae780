"""Professionals and openings are changed in place (not removed and added again): the version
check catches a concurrent edit (conflict page, nothing written), bad input gets a message
next to the field, each save is audited and confirmed."""

from __future__ import annotations

import datetime as dt

import httpx

from core.audit.tables import AuditEntry
from core.common.clock import today
from plugins.booking.tables import Booking, Opening, Professional
from tests.helpers import post_form
from tests.plugins.booking.setup_data import add_colleague, create_setup, tomorrow_at
from tests.plugins.booking.test_absences import book, signed_in
from tests.plugins.booking.test_closure_edit import version_of


async def test_a_professional_is_edited_with_the_version_check(admin: httpx.AsyncClient) -> None:
    setup = await create_setup()
    path = f"/booking/setup/professionals/{setup.professional_id}"
    setup_page = await admin.get("/booking/setup")
    assert f'href="{path}"' in setup_page.text
    form = await admin.get(path)
    assert form.status_code == 200 and 'value="Sosiaaliohjaaja"' in form.text
    version = version_of(form.text)
    values = {"unit_id": str(setup.unit_id), "title": "Perheterapeutti", "version": version}

    bad = await post_form(admin, path, {**values, "phone": "09 123 4567"})
    assert bad.status_code == 400 and 'id="f-phone-error"' in bad.text
    assert 'value="Perheterapeutti"' in bad.text  # the input is kept
    assert (await Professional.select().first())["version"] == 1

    saved = await post_form(admin, path, {**values, "phone": "040 111 2222"})
    assert saved.status_code == 200 and 'role="status"' in saved.text
    row = await Professional.select().where(Professional.id == setup.professional_id).first()
    assert (row["title"], row["phone"], row["version"]) == ("Perheterapeutti", "+358401112222", 2)
    audited = await AuditEntry.select().where(
        (AuditEntry.entity == "booking_professional") & (AuditEntry.action == "update")
    )
    assert len(audited) == 1 and "Perheterapeutti" in str(audited[0]["after"])

    stale = await post_form(admin, path, {**values, "title": "Vanha", "phone": ""})
    assert stale.status_code == 409 and "Vanha" in stale.text
    row = await Professional.select().where(Professional.id == setup.professional_id).first()
    assert row["title"] == "Perheterapeutti" and row["version"] == 2

    no_unit = await post_form(admin, path, {**values, "unit_id": "999999", "version": "2"})
    assert no_unit.status_code == 400 and 'id="f-unit_id-error"' in no_unit.text


async def test_an_opening_is_edited_in_place_and_its_bookings_stay(
    client: httpx.AsyncClient,
) -> None:
    setup = await signed_in(client)
    booking_id = await book(setup, tomorrow_at(9))
    opening = (
        await Opening.select()
        .where(
            (Opening.professional == setup.professional_id)
            & (Opening.weekday == tomorrow_at(9).astimezone(dt.UTC).weekday())
            & (Opening.appointment_type == setup.advice_type_id)
        )
        .first()
    )
    edit = f"/booking/openings/{opening['id']}/edit"
    page = await client.get("/booking/openings")
    assert f'href="{edit}"' in page.text
    form = await client.get(edit)
    assert form.status_code == 200 and 'value="09:00"' in form.text
    values = {
        "appointment_type_id": str(setup.advice_type_id),
        "kind": "weekly",
        "weekday": str(opening["weekday"]),
        "valid_from": (today() - dt.timedelta(days=7)).isoformat(),
        "valid_until": "",
        "on_date": "",
        "start_time": "9.00",
        "version": version_of(form.text),
    }

    bad = await post_form(client, edit, {**values, "end_time": "8.00"})
    assert bad.status_code == 400 and 'id="f-end_time-error"' in bad.text
    assert (await Opening.select().where(Opening.id == opening["id"]).first())["version"] == 1

    saved = await post_form(client, edit, {**values, "end_time": "12.00"})
    assert saved.status_code == 200 and 'role="status"' in saved.text
    assert str(saved.url.path) == "/booking/openings"
    row = await Opening.select().where(Opening.id == opening["id"]).first()
    assert (row["end_time"], row["version"]) == (dt.time(12), 2)
    assert await Opening.count() == 14  # changed in place, not removed and added
    assert (await Booking.select().where(Booking.id == booking_id).first())["status"] == "booked"
    audited = await AuditEntry.select().where(
        (AuditEntry.entity == "booking_opening") & (AuditEntry.action == "update")
    )
    assert len(audited) == 1

    stale = await post_form(client, edit, {**values, "end_time": "10.00"})
    assert stale.status_code == 409
    assert (await Opening.select().where(Opening.id == opening["id"]).first())["end_time"] == (
        dt.time(12)
    )


async def test_another_professionals_opening_is_not_found(client: httpx.AsyncClient) -> None:
    setup = await signed_in(client)
    colleague = await add_colleague(setup)
    theirs = await Opening.select().where(Opening.professional == colleague).first()
    edit = f"/booking/openings/{theirs['id']}/edit"
    assert (await client.get(edit)).status_code == 404
    refused = await post_form(client, edit, {"start_time": "9.00", "end_time": "12.00"})
    assert refused.status_code == 404
    assert (await Opening.select().where(Opening.id == theirs["id"]).first())["version"] == 1
