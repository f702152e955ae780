"""Booking, cancelling and moving appointments. Call these inside `core.db.transaction()`."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from plugins.booking import availability, forms, reminders
from plugins.booking.forms import CHANNELS as CHANNELS
from plugins.booking.forms import CHOOSE_TIME
from plugins.booking.forms import EXTRA_NEEDS as EXTRA_NEEDS
from plugins.booking.forms import MODES as MODES
from plugins.booking.forms import parse_start as parse_start
from plugins.booking.forms import split_slot as split_slot
from plugins.booking.settings import current as settings
from plugins.booking.tables import AppointmentType, Booking, BookingContact
from valvomo.api import (
    N_,
    Actor,
    CachedQuery,
    NotFound,
    ValidationFailed,
    audit,
    current_language,
    in_language,
    normalise_phone,
    read_form,
    sms_recipient_problem,
)

ACTIVE = "booked"
# "offered": the time was withdrawn by staff and the customer was sent a link to choose anew
OFFERED = "offered"
STATUSES = ("booked", "offered", "cancelled", "done", "no_show")
CANCELLERS = ("customer", "staff", "system")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
SLOT_TAKEN = N_("This time was just taken. Please choose another time.")


class SlotTaken(Exception):
    """Someone else booked the time first."""


@dataclass
class BookingRequest:
    """What a customer or a member of staff asks for, already cleaned."""

    professional_id: int
    appointment_type_id: int
    starts_at: dt.datetime
    mode: str
    description: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    reminder_channel: str = "sms"
    extra_needs: list[str] = field(default_factory=list)
    interpreter_language: str = ""
    customer_id: int | None = None
    language: str = ""
    needs_answers: list[dict[str, str]] = field(default_factory=list)


def record_id(raw: Any) -> int:
    """A record id from a query or form field: its digits, or 0 for anything else."""
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) < 10 else 0


def clean_request(form: dict[str, Any], *, contact_required: bool) -> BookingRequest:
    """A BookingRequest from form fields, or ValidationFailed naming every bad field."""
    errors: dict[str, str] = {}
    chosen = read_form(forms.BookingTimeForm, form, errors)
    contact = read_form(forms.ContactForm, form, errors)
    for hidden in ("professional_id", "appointment_type_id"):
        if errors.pop(hidden, None):
            errors["starts_at"] = CHOOSE_TIME
    if chosen and "interpreter" in chosen.extra_needs and not chosen.interpreter_language:
        errors["interpreter_language"] = N_("Tell us the language you need an interpreter for.")
    phone = contact_problems(contact, contact_required, errors) if contact else ""
    if errors or chosen is None or contact is None:
        raise ValidationFailed(errors)
    return BookingRequest(
        professional_id=chosen.professional_id,
        appointment_type_id=chosen.appointment_type_id,
        starts_at=chosen.starts_at,
        mode=chosen.mode,
        description=chosen.description,
        name=contact.name,
        phone=phone,
        email=contact.email,
        reminder_channel=contact.reminder_channel,
        extra_needs=sorted(set(chosen.extra_needs)),
        interpreter_language=chosen.interpreter_language,
    )


def contact_problems(contact: forms.ContactForm, required: bool, errors: dict[str, str]) -> str:
    """Puts into `errors` what is missing or wrong for the reminder channel (all of name,
    phone and e-mail only when `required`); returns the phone in E.164 form."""
    if required and not 2 <= len(contact.name) <= 200:
        errors["name"] = N_("Give your name.")
    phone, channel = contact.phone, contact.reminder_channel
    if phone or (required and channel == "sms"):
        normal = normalise_phone(phone)
        problem = sms_recipient_problem(phone)
        if normal is None or (problem and channel == "sms"):
            errors["phone"] = problem or N_("Give a mobile number that can receive text messages.")
        else:
            phone = normal
    if contact.email or (required and channel == "email"):
        if not EMAIL_PATTERN.fullmatch(contact.email) or len(contact.email) > 254:
            errors["email"] = N_("Give an e-mail address like name@example.fi.")
    return phone


async def open_bookings_of_contact(phone: str, email: str, moment: dt.datetime) -> int:
    """Upcoming active self-service bookings whose contact has this phone number or e-mail."""
    same = (Booking.contact.phone == phone) if phone else (Booking.contact.email == email)
    return await Booking.count().where(
        same & (Booking.status == ACTIVE) & (Booking.starts_at > moment)
    )


async def open_bookings_of_customer(customer_id: int, moment: dt.datetime) -> int:
    """The customer's upcoming active appointments, however they were booked."""
    return await Booking.count().where(
        (Booking.customer == customer_id)
        & (Booking.status == ACTIVE)
        & (Booking.starts_at > moment)
    )


_TYPE = CachedQuery(
    lambda type_id: (
        AppointmentType.select().where(AppointmentType.id == type_id).output(load_json=True)
    )
)


async def get_type(appointment_type_id: int) -> dict[str, Any]:
    rows = await _TYPE(appointment_type_id) if appointment_type_id is not None else []
    if not rows:
        raise NotFound(f"appointment type {appointment_type_id}")
    return dict(rows[0])


async def _check_slot(
    request: BookingRequest, moment: dt.datetime, ignore_booking: int = 0
) -> tuple[dt.datetime, dt.datetime]:
    appointment_type = await get_type(request.appointment_type_id)
    if request.mode not in appointment_type["modes"]:
        raise ValidationFailed({"mode": N_("This appointment is not available in that mode.")})
    earliest = moment + dt.timedelta(minutes=settings().minimum_notice_minutes)
    if request.starts_at < earliest:
        raise ValidationFailed({"starts_at": N_("This time has already passed. Choose another.")})
    slot = await availability.offered_slot(
        request.professional_id, request.appointment_type_id, request.starts_at
    )
    if slot is None:
        raise ValidationFailed({"starts_at": N_("This time is not open for booking.")})
    busy = await availability.busy_periods([request.professional_id], slot[0], slot[1])
    own = await _held_period(ignore_booking)
    if any(period != own for period in busy.get(request.professional_id, [])):
        raise SlotTaken()
    return slot


async def _held_period(booking_id: int) -> tuple[dt.datetime, dt.datetime] | None:
    if not booking_id:
        return None
    row = (
        await Booking.select(Booking.starts_at, Booking.ends_at)
        .where(Booking.id == booking_id)
        .first()
    )
    if row is None:
        return None
    return (
        row["starts_at"].astimezone(dt.UTC),
        row["ends_at"].astimezone(dt.UTC),
    )


def is_unique_violation(exc: Exception) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    return isinstance(exc, asyncpg.exceptions.UniqueViolationError)


async def create_booking(
    actor: Actor,
    request: BookingRequest,
    moment: dt.datetime,
    booked_by: int | None = None,
) -> int:
    """Hold the slot, keep the contact apart from the register and audit. Raises SlotTaken."""
    starts_at, ends_at = await _check_slot(request, moment)
    contact_id = await _create_contact(request, moment) if request.name else None
    try:
        rows = await Booking.insert(
            Booking(
                professional=request.professional_id,
                appointment_type=request.appointment_type_id,
                starts_at=starts_at,
                ends_at=ends_at,
                mode=request.mode,
                status=ACTIVE,
                slot_key=availability.slot_key(request.professional_id, starts_at),
                customer=request.customer_id,
                contact=contact_id,
                description=request.description,
                reminder_channel=request.reminder_channel,
                extra_needs=request.extra_needs,
                interpreter_language=request.interpreter_language,
                booked_by=booked_by,
                created_at=moment,
                language=request.language or current_language.get(),
                needs_answers=request.needs_answers,
            )
        ).returning(Booking.id)
    except Exception as exc:
        if is_unique_violation(exc):
            raise SlotTaken() from exc
        raise
    booking_id = int(rows[0]["id"])
    await audit.record(
        actor,
        "create",
        "booking",
        booking_id,
        customer_id=request.customer_id,
        after=_audit_view(request, starts_at, contact_id),
    )
    return booking_id


def _audit_view(
    request: BookingRequest, starts_at: dt.datetime, contact_id: int | None
) -> dict[str, Any]:
    return {
        "professional": request.professional_id,
        "appointment_type": request.appointment_type_id,
        "starts_at": starts_at.isoformat(),
        "mode": request.mode,
        "contact": contact_id,
        "extra_needs": request.extra_needs,
    }


async def _create_contact(request: BookingRequest, moment: dt.datetime) -> int:
    rows = await BookingContact.insert(
        BookingContact(
            name=request.name[:200],
            phone=request.phone,
            email=request.email,
            created_at=moment,
        )
    ).returning(BookingContact.id)
    return int(rows[0]["id"])


BOOKING_COLUMNS = (
    Booking.id,
    Booking.professional,
    Booking.appointment_type,
    Booking.starts_at,
    Booking.ends_at,
    Booking.mode,
    Booking.status,
    Booking.customer,
    Booking.contact,
    Booking.description,
    Booking.reminder_channel,
    Booking.extra_needs,
    Booking.needs_answers,
    Booking.interpreter_language,
    Booking.version,
    Booking.created_at,
    Booking.language,
    Booking.cancelled_by,
    Booking.cancel_reason,
    Booking.cancelled_at,
    Booking.meeting,
    Booking.professional.unit,
    Booking.appointment_type.name,
    Booking.appointment_type.code,
    Booking.appointment_type.preparation,
    Booking.appointment_type.bring_list,
    Booking.professional._.user._.full_name,
    Booking.professional._.unit._.name,
    Booking.professional._.unit._.street_address,
    Booking.professional._.unit._.municipality,
    Booking.contact.name,
    Booking.contact.phone,
    Booking.contact.email,
    Booking.customer.first_name,
    Booking.customer.last_name,
    Booking.customer.phone,
)


async def get_booking(booking_id: int) -> dict[str, Any]:
    row = (
        await Booking.select(*BOOKING_COLUMNS)
        .where(Booking.id == booking_id)
        .first()
        .output(load_json=True)
    )
    if row is None:
        raise NotFound(f"booking {booking_id}")
    return dict(row)


def recipient(booking: dict[str, Any]) -> str:
    """Where the booking's messages go; empty for no messages."""
    if booking["reminder_channel"] == "none":
        return ""
    if booking["reminder_channel"] == "email":
        return str(booking["contact.email"] or "")
    return str(booking["contact.phone"] or booking["customer.phone"] or "")


def place(booking: dict[str, Any]) -> str:
    if booking["mode"] != "office":
        return str(booking["professional.unit.name"])
    return f"{booking['professional.unit.name']}, {booking['professional.unit.street_address']}"


def message_details(booking: dict[str, Any], manage_url: str) -> reminders.MessageDetails | None:
    """What a message about the booking says and where it goes; None without a recipient."""
    to = recipient(booking)
    if not to:
        return None
    return reminders.MessageDetails(
        booking_id=booking["id"],
        version=booking["version"],
        channel=booking["reminder_channel"],
        recipient=to,
        starts_at=booking["starts_at"],
        type_name=booking["appointment_type.name"],
        mode=booking["mode"],
        place=place(booking),
        manage_url=manage_url,
        preparation=booking["appointment_type.preparation"],
        customer_id=booking["customer"],
        video_url=video_url(booking, manage_url),
    )


def video_url(booking: dict[str, Any], manage_url: str) -> str:
    """The remote meeting's address from the region's template; its room name is derived from
    the signed manage link, so it cannot be guessed and changes when the booking moves."""
    template = settings().video_link_template
    if booking["mode"] != "remote" or not template or not manage_url:
        return ""
    token = manage_url.rsplit("/", 1)[-1]
    room = hashlib.sha256(f"video:{token}".encode()).hexdigest()[:24]
    return template.replace("{room}", room)


async def queue_messages(booking: dict[str, Any], manage_url: str, moment: dt.datetime) -> None:
    """Confirmation and reminder for the booking's current time, in the customer's language."""
    details = message_details(booking, manage_url)
    if details is None:
        return
    with in_language(booking["language"]):
        await reminders.queue_booking_messages(details, moment, settings().reminder_hours_before)


async def _active(booking_id: int, statuses: tuple[str, ...] = (ACTIVE,)) -> dict[str, Any]:
    booking = await get_booking(booking_id)
    if booking["status"] not in statuses:
        raise ValidationFailed({"booking": N_("This booking has already been cancelled.")})
    return booking


async def cancel_booking(
    actor: Actor,
    booking_id: int,
    status: str = "cancelled",
    *,
    by: str = "customer",
    reason: str = "",
    moment: dt.datetime | None = None,
) -> dict[str, Any]:
    """Free the time, cancel its unsent messages and audit. `status` may be no_show or done.

    Returns the booking as it is after the change."""
    booking = await _active(booking_id, (ACTIVE, OFFERED))
    values: dict[Any, Any] = {
        Booking.status: status,
        Booking.slot_key: None,
        Booking.version: Booking.version + 1,
    }
    if status == "cancelled":
        values.update(
            {
                Booking.cancelled_by: by,
                Booking.cancel_reason: reason,
                Booking.cancelled_at: moment or dt.datetime.now(dt.UTC),
            }
        )
    rows = (
        await Booking.update(values)
        .where((Booking.id == booking_id) & (Booking.version == booking["version"]))
        .returning(Booking.id)
    )
    if not rows:
        raise ValidationFailed({"booking": N_("This booking was changed at the same time.")})
    await reminders.cancel_booking_messages(booking_id, booking["version"])
    await audit_cancellation(actor, booking, status, by, reason)
    return {**booking, "status": status, "version": booking["version"] + 1}


async def audit_cancellation(
    actor: Actor, booking: dict[str, Any], status: str, by: str, reason: str
) -> None:
    after = (
        {"status": status, "cancelled_by": by, "reason": reason} if reason else {"status": status}
    )
    await audit.record(
        actor,
        "update",
        "booking",
        booking["id"],
        customer_id=booking["customer"],
        before={"status": booking["status"]},
        after=after,
    )


async def move_booking(
    actor: Actor,
    booking_id: int,
    new_start: dt.datetime,
    moment: dt.datetime,
    professional_id: int = 0,
) -> dict[str, Any]:
    """Take the new time (with `professional_id`, or the same professional), release the old
    one and cancel the old time's messages. The booking keeps its id, so its history stays."""
    booking = await _active(booking_id, (ACTIVE, OFFERED))
    professional_id = professional_id or booking["professional"]
    request = BookingRequest(
        professional_id=professional_id,
        appointment_type_id=booking["appointment_type"],
        starts_at=new_start,
        mode=booking["mode"],
    )
    own = booking_id if professional_id == booking["professional"] else 0
    starts_at, ends_at = await _check_slot(request, moment, ignore_booking=own)
    try:
        rows = (
            await Booking.update(
                {
                    Booking.professional: professional_id,
                    Booking.status: ACTIVE,
                    Booking.starts_at: starts_at,
                    Booking.ends_at: ends_at,
                    Booking.slot_key: availability.slot_key(professional_id, starts_at),
                    Booking.version: Booking.version + 1,
                }
            )
            .where((Booking.id == booking_id) & (Booking.version == booking["version"]))
            .returning(Booking.id)
        )
    except Exception as exc:
        if is_unique_violation(exc):
            raise SlotTaken() from exc
        raise
    if not rows:
        raise ValidationFailed({"booking": N_("This booking was changed at the same time.")})
    await reminders.cancel_booking_messages(booking_id, booking["version"])
    await audit.record(
        actor,
        "update",
        "booking",
        booking_id,
        customer_id=booking["customer"],
        before={
            "starts_at": booking["starts_at"].isoformat(),
            "professional": booking["professional"],
            "status": booking["status"],
        },
        after={"starts_at": starts_at.isoformat(), "professional": professional_id},
    )
    return await get_booking(booking_id)


async def link_to_customer(actor: Actor, booking_id: int, customer_id: int) -> None:
    """A professional links a self-service contact to a customer of the register."""
    booking = await get_booking(booking_id)
    await Booking.update(
        {Booking.customer: customer_id, Booking.version: Booking.version + 1}
    ).where(Booking.id == booking_id)
    if booking["contact"]:
        await BookingContact.update({BookingContact.customer: customer_id}).where(
            BookingContact.id == booking["contact"]
        )
    await audit.record(
        actor,
        "update",
        "booking",
        booking_id,
        customer_id=customer_id,
        before={"customer": booking["customer"]},
        after={"customer": customer_id},
    )


async def set_outcome(actor: Actor, booking_id: int, status: str, moment: dt.datetime) -> None:
    """Record that a past appointment took place (done) or the customer did not come."""
    booking = await get_booking(booking_id)
    if status not in ("done", "no_show"):
        raise ValidationFailed({"status": N_("Choose an outcome.")})
    if booking["starts_at"] > moment:
        raise ValidationFailed({"status": N_("The appointment has not started yet.")})
    await cancel_booking(actor, booking_id, status)


_BOOKINGS_OF_CUSTOMER = CachedQuery(
    lambda customer_id, limit: (
        Booking.select(*BOOKING_COLUMNS)
        .where(Booking.customer == customer_id)
        .order_by(Booking.starts_at, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
)


async def bookings_of_customer(customer_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The customer's latest bookings, newest first (the customer page's panel: its SQL, with
    four joined columns, is built once)."""
    result: list[dict[str, Any]] = await _BOOKINGS_OF_CUSTOMER(customer_id, limit=limit)
    return result


_COMING_OF_CUSTOMER = CachedQuery(
    lambda customer_id, moment, limit: (
        Booking.select(Booking.id, Booking.starts_at, Booking.mode, Booking.appointment_type.name)
        .where(
            (Booking.customer == customer_id)
            & (Booking.status == ACTIVE)
            & (Booking.ends_at > moment)
        )
        .order_by(Booking.starts_at)
        .limit(limit)
    )
)


async def coming_bookings_of_customer(
    customer_id: int, moment: dt.datetime, limit: int = 5
) -> list[dict[str, Any]]:
    """The customer's next active appointments, soonest first: what their own front page
    shows (one indexed query, only the columns shown; its SQL with a join is built once)."""
    result: list[dict[str, Any]] = await _COMING_OF_CUSTOMER(customer_id, moment, limit=limit)
    return result


async def cancel_future_bookings(actor: Actor, customer_id: int, moment: dt.datetime) -> int:
    """Cancel the customer's coming appointments (e.g. the customer died); returns how many."""
    coming = await Booking.select(Booking.id).where(
        (Booking.customer == customer_id)
        & (Booking.status == ACTIVE)
        & (Booking.starts_at > moment)
    )
    for row in coming:
        await cancel_booking(actor, row["id"])
    return len(coming)


async def bookings_of_professional(
    professional_id: int, first_day: dt.date, last_day: dt.date
) -> list[dict[str, Any]]:
    """Every booking (any status) starting on the Helsinki days from `first_day` to `last_day`."""
    since = availability.local_moment(first_day, dt.time(0))
    until = availability.local_moment(last_day + dt.timedelta(days=1), dt.time(0))
    return (
        await Booking.select(*BOOKING_COLUMNS)
        .where(
            (Booking.professional == professional_id)
            & (Booking.starts_at >= since)
            & (Booking.starts_at < until)
        )
        .order_by(Booking.starts_at)
        .output(load_json=True)
    )
