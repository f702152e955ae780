"""Booking rights: a professional lets a customer book one follow-up of a type before a date.

The customer gets a code (or a link carrying it); only its SHA-256 is stored. Using the right
is a conditional UPDATE in the booking's transaction, so it works once, never after expiry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from plugins.booking.tables import AppointmentType, BookingRight
from valvomo.api import N_, Actor, ValidationFailed, audit

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 12
UNKNOWN = N_("This booking code is not valid. Check it or ask your professional for a new one.")
USED = N_("This booking code has already been used.")
EXPIRED = N_("This booking code has expired. Ask your professional for a new one.")


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


async def grant_right(
    actor: Actor,
    customer_id: int,
    appointment_type_id: int,
    professional_id: int,
    valid_until: dt.date,
    moment: dt.datetime,
    today: dt.date,
) -> str:
    """Store a new right and return its code, shown to the professional once."""
    if valid_until < today or valid_until > today + dt.timedelta(days=400):
        raise ValidationFailed({"valid_until": N_("Give a date within the next 400 days.")})
    if not await AppointmentType.exists().where(AppointmentType.id == appointment_type_id):
        raise ValidationFailed({"appointment_type_id": N_("Choose an appointment type.")})
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    rows = await BookingRight.insert(
        BookingRight(
            customer=customer_id,
            appointment_type=appointment_type_id,
            professional=professional_id,
            code_hash=code_hash(code),
            valid_until=valid_until,
            created_at=moment,
        )
    ).returning(BookingRight.id)
    await audit.record(
        actor,
        "create",
        "booking_right",
        int(rows[0]["id"]),
        customer_id=customer_id,
        after={"appointment_type": appointment_type_id, "valid_until": valid_until.isoformat()},
    )
    return format_code(code)


RIGHT_COLUMNS = (
    BookingRight.id,
    BookingRight.customer,
    BookingRight.appointment_type,
    BookingRight.professional,
    BookingRight.valid_until,
    BookingRight.used_at,
    BookingRight.appointment_type.name,
    BookingRight.professional._.user._.full_name,
)


async def find_right(code: str, today: dt.date) -> dict[str, Any]:
    """The usable right of `code`, or ValidationFailed saying why it cannot be used."""
    row = (
        await BookingRight.select(*RIGHT_COLUMNS)
        .where(BookingRight.code_hash == code_hash(code))
        .first()
    )
    if row is None:
        raise ValidationFailed({"code": UNKNOWN})
    if row["used_at"] is not None:
        raise ValidationFailed({"code": USED})
    if row["valid_until"] < today:
        raise ValidationFailed({"code": EXPIRED})
    return dict(row)


async def claim_right(code: str, today: dt.date, moment: dt.datetime) -> dict[str, Any]:
    """Mark the right used; only one of two simultaneous claims succeeds."""
    right = await find_right(code, today)
    claimed = (
        await BookingRight.update({BookingRight.used_at: moment})
        .where(
            (BookingRight.id == right["id"])
            & BookingRight.used_at.is_null()
            & (BookingRight.valid_until >= today)
        )
        .returning(BookingRight.id)
    )
    if not claimed:
        raise ValidationFailed({"code": USED})
    return right


async def attach_booking(right_id: int, booking_id: int) -> None:
    await BookingRight.update({BookingRight.booking: booking_id}).where(BookingRight.id == right_id)


async def rights_of_customer(customer_id: int) -> list[dict[str, Any]]:
    return (
        await BookingRight.select(*RIGHT_COLUMNS)
        .where(BookingRight.customer == customer_id)
        .order_by(BookingRight.created_at, ascending=False)
        .limit(20)
    )
