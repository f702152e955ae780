"""Notes on a booking: what was discussed, for staff with `booking.notes`. Reading them is a
view of the customer's data (the caller writes the access log); adding one is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from plugins.booking.tables import BookingNote
from valvomo.api import Actor, audit


async def add_note(actor: Actor, booking: dict[str, Any], text: str, moment: dt.datetime) -> int:
    """Store a note as `forms.NoteForm` read it (not empty, at most 5,000 characters)."""
    rows = await BookingNote.insert(
        BookingNote(booking=booking["id"], author=actor.id, text=text, created_at=moment)
    ).returning(BookingNote.id)
    await audit.record(
        actor,
        "create",
        "booking_note",
        rows[0]["id"],
        customer_id=booking["customer"],
        after={"booking": booking["id"], "text": text},
    )
    return int(rows[0]["id"])


async def notes_of(booking_id: int) -> list[dict[str, Any]]:
    return (
        await BookingNote.select(
            BookingNote.id, BookingNote.text, BookingNote.created_at, BookingNote.author.full_name
        )
        .where(BookingNote.booking == booking_id)
        .order_by(BookingNote.created_at)
    )
