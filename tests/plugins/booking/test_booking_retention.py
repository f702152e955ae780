"""Retention of past appointments: a booking with its notes goes once the region's days have
passed, and the contact details of who booked without logging in go with their last booking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from core.audit.sealing import verify_chain
from core.audit.tables import AuditEntry
from core.common.clock import now
from core.operations import retention
from core.web.runtime import Runtime
from plugins.booking.tables import Booking, BookingContact, BookingNote
from tests.plugins.booking.setup_data import create_setup


async def contact(name: str) -> int:
    rows = await BookingContact.insert(
        BookingContact(name=name, phone="0401234567", created_at=now())
    ).returning(BookingContact.id)
    return int(rows[0]["id"])


async def booking(
    setup: object, age_days: int, customer: int | None = None, contact_id: int | None = None
) -> int:
    start = now() - dt.timedelta(days=age_days)
    rows = await Booking.insert(
        Booking(
            professional=setup.professional_id,  # type: ignore[attr-defined]
            appointment_type=setup.advice_type_id,  # type: ignore[attr-defined]
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=15),
            mode="phone",
            status="done",
            customer=customer,
            contact=contact_id,
            description="Toimeentulotuki",
            created_at=start - dt.timedelta(days=3),
        )
    ).returning(Booking.id)
    await BookingNote.insert(
        BookingNote(
            booking=rows[0]["id"], text="Keskusteltiin velkajärjestelystä", created_at=start
        )
    )
    return int(rows[0]["id"])


async def test_past_bookings_go_with_their_notes_and_only_contacts(
    runtime: Runtime, make_customer: Callable[..., Awaitable[int]]
) -> None:
    setup = await create_setup()
    customer = await make_customer()
    only_old, shared = await contact("Eila Ahola"), await contact("Kalevi Koski")
    old_of_customer = await booking(setup, 1200, customer=customer)
    old_of_contact = await booking(setup, 1200, contact_id=only_old)
    old_shared = await booking(setup, 1200, contact_id=shared)
    recent = await booking(setup, 20, contact_id=shared)
    rules = runtime.host.collect("valvomo_retention_rules")
    plans = retention.plans(rules, {"booking_past_bookings": 1095})

    dry = {r.kind: r for r in await retention.run(plans, dry_run=True)}
    assert dry["booking_past_bookings"].records == 3
    assert await Booking.count() == 4

    await retention.run(plans, dry_run=False)
    assert [r["id"] for r in await Booking.select(Booking.id)] == [recent]
    assert [r["booking"] for r in await BookingNote.select(BookingNote.booking)] == [recent]
    assert [r["id"] for r in await BookingContact.select(BookingContact.id)] == [shared]
    audit = await AuditEntry.select().where(AuditEntry.action == "retention_delete")
    assert sorted((a["entity"], a["entity_id"], a["customer_id"]) for a in audit) == sorted(
        [
            ("booking", str(old_of_customer), customer),
            ("booking", str(old_of_contact), None),
            ("booking", str(old_shared), None),
        ]
    )
    assert not any("Toimeentulo" in str(a) or "Eila" in str(a) for a in audit)
    report, problems = await verify_chain()
    assert problems == [] and report.checked > 0
