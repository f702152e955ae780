"""The forms of setting up booking, declared on core's form layer (`parse_form`): each
field's type, limits and message; what needs the database or another field comes after."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta

from plugins.booking.bookings import MODES
from valvomo.api import N_, After, Check, DateField, Message, OneOf, Parse

END_AFTER_START = N_("The end must be after the start.")
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
