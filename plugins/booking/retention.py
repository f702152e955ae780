"""Retention of past appointments: a booking (with its notes) some days after it ended, and
the contact details of who booked without logging in once no booking or waiting-list request
of theirs remains."""

from __future__ import annotations

import datetime as dt

from plugins.booking.tables import Booking, BookingContact, WaitlistEntry
from valvomo.api import ExpiredRecord, RetentionRule, expired_records


async def expired_bookings(cutoff: dt.datetime, limit: int) -> list[ExpiredRecord]:
    return await expired_records("booking", Booking.customer, Booking.ends_at < cutoff, limit)


async def delete_bookings(ids: list[int]) -> None:
    contacts = {
        r["contact"]
        for r in await Booking.select(Booking.contact).where(
            Booking.id.is_in(ids) & Booking.contact.is_not_null()
        )
    }
    # Notes cascade with the booking; a right used by it or a waiting-list hold keeps no link.
    await Booking.delete().where(Booking.id.is_in(ids))
    if contacts:
        await BookingContact.delete().where(
            BookingContact.id.is_in(sorted(contacts))
            & BookingContact.id.not_in(
                Booking.select(Booking.contact).where(Booking.contact.is_not_null())
            )
            & BookingContact.id.not_in(WaitlistEntry.select(WaitlistEntry.contact))
        )


PAST_BOOKINGS = RetentionRule(
    kind="booking_past_bookings",
    label="Past appointments with their notes (and the contact details only they used)",
    find_expired=expired_bookings,
    delete=delete_bookings,
)
