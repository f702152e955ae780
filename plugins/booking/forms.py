"""The forms of booking, declared on core's form layer (`parse_form`, `read_form`): setting up
(units, types, professionals, openings, closures), a booking request and a waiting-list
request. Each field's type, limits and message; what needs the database, the clock or another
field comes after, in the module that saves."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from valvomo.api import N_, After, Check, DateField, Message, OneOf, Parse

MODES = ("phone", "remote", "office")
CHANNELS = ("sms", "email")
GUEST_LANGUAGES = ("fi", "sv", "en")
EXTRA_NEEDS = ("interpreter", "security_guard")
END_AFTER_START = N_("The end must be after the start.")
CHOOSE_TIME = N_("Choose a time.")
CHOOSE_MODE = Message(N_("Choose how you want to meet."))
REQUIRED = Message(missing=N_("Required."))
RecordId = Annotated[int, Meta(ge=0, lt=2**31)]
Time = Annotated[
    dt.time,
    Check(lambda time: time.minute % 5 == 0 and not time.second),
    Message(N_("Give a time like 9.00.")),
]


class UnitForm(msgspec.Struct):
    name: Annotated[str, Meta(max_length=200), REQUIRED]
    municipality: Annotated[str, Message(N_("Choose a municipality."))]
    street_address: Annotated[str, Meta(max_length=200)] = ""


class TypeForm(msgspec.Struct):
    code: Annotated[
        str,
        Parse(str.upper),
        Meta(pattern=r"^[A-Z0-9_]{2,30}$"),
        Message(N_("Use 2–30 capital letters, digits or underscores."), missing=N_("Required.")),
    ]
    name: Annotated[str, Meta(max_length=200), REQUIRED]
    duration_minutes: Annotated[
        int,
        Meta(ge=5, le=480, multiple_of=5),
        Message(N_("Give 5 to 480 minutes in steps of 5.")),
    ]
    modes: Annotated[
        list[str],
        OneOf(MODES),
        Meta(min_length=1),
        Message(N_("Choose at least one meeting mode.")),
    ] = []
    public: bool = False
    preparation: Annotated[str, Meta(max_length=2000)] = ""
    bring_list: Annotated[str, Meta(max_length=2000)] = ""


class ProfessionalForm(msgspec.Struct):
    user_id: Annotated[RecordId, Message(N_("Choose a staff user with the professional role."))] = 0
    unit_id: Annotated[RecordId, Message(N_("Choose a service unit."))] = 0
    title: Annotated[str, Meta(max_length=200)] = ""


class ProfessionalEditForm(msgspec.Struct):
    unit_id: Annotated[RecordId, Message(N_("Choose a service unit."))] = 0
    title: Annotated[str, Meta(max_length=200)] = ""
    phone: Annotated[str, Meta(max_length=30)] = ""


class OpeningForm(msgspec.Struct, kw_only=True):
    start_time: Time
    end_time: Annotated[Time, After("start_time", END_AFTER_START)]
    appointment_type_id: Annotated[RecordId, Message(N_("Choose an appointment type."))] = 0


class OnceOpeningForm(OpeningForm, kw_only=True):
    on_date: DateField


class WeeklyOpeningForm(OpeningForm, kw_only=True):
    weekday: Annotated[int, Meta(ge=0, le=6), Message(N_("Choose a weekday."))]
    valid_from: DateField
    valid_until: Annotated[DateField | None, After("valid_from", END_AFTER_START, or_same=True)] = (
        None
    )


class ClosureForm(msgspec.Struct):
    closure_date: DateField
    closure_start: Time
    closure_end: Annotated[Time, After("closure_start", END_AFTER_START)]
    reason: Annotated[str, Meta(max_length=200)] = ""


def parse_start(raw: str) -> dt.datetime | None:
    """An ISO 8601 moment with an offset, as put in the forms, in UTC."""
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return None if moment.tzinfo is None else moment.astimezone(dt.UTC)


def split_slot(value: object) -> tuple[str, str]:
    """A free time's radio value, "professional id|start", as those two form fields."""
    professional_id, _, start = str(value or "").partition("|")
    return professional_id, start


def _first(limit: int) -> Parse:
    """The text cut to `limit` characters (a field whose excess is dropped, not refused)."""
    return Parse(lambda text: text[:limit])


StartsAt = Annotated[dt.datetime, Parse(parse_start), Message(CHOOSE_TIME)]


class MeetingForm(msgspec.Struct, kw_only=True):
    """A joint meeting at a common free time; `meetings.book_meeting` checks the colleagues
    against the type and the calendars."""

    starts_at: StartsAt
    colleagues: Annotated[list[RecordId], Message(N_("Choose colleagues from the list."))] = []
    type_id: Annotated[RecordId, Message(N_("Choose an appointment type."))] = 0
    mode: Annotated[str, OneOf(MODES), CHOOSE_MODE]
    title: Annotated[
        str, Meta(min_length=2, max_length=200), Message(N_("Give the meeting a title."))
    ]
    customer_id: Annotated[RecordId, Message(N_("No customer has this number."))] = 0


class RightForm(msgspec.Struct, kw_only=True):
    """A booking right a professional grants a customer; `rights.grant_right` checks that the
    type exists and the date falls within the next 400 days."""

    appointment_type_id: Annotated[RecordId, Message(N_("Choose an appointment type."))] = 0
    valid_until: DateField


class NoteForm(msgspec.Struct):
    """A note on a booking: what was discussed."""

    note: Annotated[
        str,
        Meta(max_length=5000),
        Message(N_("At most 5,000 characters."), missing=N_("Write the note first.")),
    ]


class MoveForm(msgspec.Struct):
    """A booking's or a meeting's new time."""

    starts_at: StartsAt


CLOSURE_CHOICES = ("move", "offer", "cancel")
CHOOSE_REASON = Message(N_("Choose the reason the customer is told."))


class CancelReasonForm(msgspec.Struct):
    """Bookings cancelled for staff reasons; the reasons are the choices at parse time."""

    reason: Annotated[str, CHOOSE_REASON]


def closure_booking_form(booking_id: int) -> type[msgspec.Struct]:
    """What happens to a booking inside a closure: moved to the colleague chosen in its own
    field `colleague_<booking id>`, offered new times, or cancelled (with a reason)."""
    choice = Annotated[
        str, OneOf(CLOSURE_CHOICES), Message(N_("Choose what happens to the booking."))
    ]
    colleague = Annotated[RecordId, Message(N_("Choose a colleague."))]
    fields: list[tuple[str, Any, Any]] = [
        ("choice", choice, msgspec.NODEFAULT),
        ("reason", str, ""),
        (f"colleague_{booking_id}", colleague, 0),
    ]
    return msgspec.defstruct("ClosureBookingForm", fields)


class ContactForm(msgspec.Struct, kw_only=True):
    """How to reach a person who books or waits; `bookings.contact_problems` checks it against
    the reminder channel."""

    name: str = ""
    phone: str = ""
    email: str = ""
    reminder_channel: Annotated[str, OneOf(CHANNELS), Message(N_("Choose SMS or e-mail."))] = "sms"


class BookingTimeForm(msgspec.Struct, kw_only=True):
    """The chosen time (its professional and type come with it, hidden), the meeting mode and
    the extra needs; a wrong hidden field is named at the time."""

    starts_at: StartsAt
    professional_id: Annotated[int, Meta(gt=0, lt=2**31), Message(CHOOSE_TIME)]
    appointment_type_id: Annotated[int, Meta(gt=0, lt=2**31), Message(CHOOSE_TIME)]
    mode: Annotated[str, OneOf(MODES), CHOOSE_MODE]
    extra_needs: Annotated[
        list[str], OneOf(EXTRA_NEEDS), Message(N_("Choose from the listed needs."))
    ] = []
    interpreter_language: Annotated[str, _first(50)] = ""
    description: Annotated[str, Meta(max_length=2000), Message(N_("At most 2,000 characters."))] = (
        ""
    )


class WaitlistForm(msgspec.Struct, kw_only=True):
    """A waiting-list request: the type's modes are its choices at run time."""

    mode: Annotated[str, CHOOSE_MODE]
    first_day: DateField
    last_day: Annotated[
        DateField, After("first_day", N_("The last day cannot be before the first."), or_same=True)
    ]
    unit_id: Annotated[RecordId, Message(N_("Choose an office from the list."))] = 0
    description: Annotated[str, _first(2000)] = ""


class WaitlistContactForm(ContactForm, kw_only=True):
    reminder_channel: Annotated[
        str, OneOf(CHANNELS), Message(N_("Choose text message or e-mail."))
    ] = "sms"


class GuestForm(msgspec.Struct, kw_only=True):
    """A meeting's guest: checked as a `ContactForm` once read."""

    guest_name: str = ""
    guest_relation: Annotated[str, _first(100)] = ""
    guest_phone: str = ""
    guest_email: str = ""
    guest_channel: Annotated[
        str, OneOf(CHANNELS), Message(N_("Choose text message or e-mail."))
    ] = "sms"
    guest_language: Annotated[
        str, OneOf(GUEST_LANGUAGES), Message(N_("Choose the language of the messages."))
    ] = ""
