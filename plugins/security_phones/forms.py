"""The security phone forms, declared on core's form layer (`parse_form`): each field's type,
limits and message; the rules that need the database or the service come after parsing."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from valvomo.api import N_, After, DateField, Message, MomentField, Parse


class ServiceForm(msgspec.Struct):
    decision_date: DateField
    start_date: Annotated[
        DateField,
        After("decision_date", N_("The service cannot start before the decision."), or_same=True),
    ]
    centre: Annotated[
        int | None, Meta(ge=0, lt=2**31), Message(N_("Choose one of the alarm centres."))
    ] = None
    centre_customer_id: Annotated[
        str, Meta(max_length=50), Message(N_("At most 50 characters."))
    ] = ""


class InstallationVisitForm(msgspec.Struct):
    installation_date: DateField
    installer: Annotated[
        str,
        Meta(max_length=200),
        Message(N_("Enter who installed the phone (at most 200 characters).")),
    ]


class InstallDeviceForm(msgspec.Struct):
    installed_on: DateField
    serial_number: Annotated[
        str, Parse(str.upper), Message(N_("No device has this serial number."))
    ]


class RemoveDeviceForm(msgspec.Struct):
    removed_on: DateField


class EndServiceForm(msgspec.Struct):
    end_date: DateField


class VisitForm(msgspec.Struct):
    dispatched_at: MomentField
    arrived_at: MomentField | None = None
    done_at: MomentField | None = None
    notes: Annotated[str, Meta(max_length=5000), Message(N_("At most 5,000 characters."))] = ""


POSITION = Annotated[
    int | None, Meta(ge=1, le=99), Message(N_("Enter a number from 1 to 99 or leave empty."))
]


def calling_order_form(contact_ids: list[int]) -> type[msgspec.Struct]:
    """A position field `position_<contact id>` for each contact person."""
    fields = [(f"position_{contact_id}", POSITION, None) for contact_id in contact_ids]
    return msgspec.defstruct("CallingOrderForm", fields)
