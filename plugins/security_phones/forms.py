"""The security phone forms, declared on core's form layer (`parse_form`): each field's type,
limits and message; the rules that need the database or the service come after parsing."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from valvomo.api import (
    N_,
    After,
    DateField,
    DecisionBasis,
    DecisionFields,
    DecisionMaker,
    Message,
    MomentField,
    OneOf,
    Parse,
)

KINDS = (
    "base_unit",
    "wrist_button",
    "fall_detector",
    "door_sensor",
    "smoke_detector",
    "gps_tracker",
)
# Statuses a coordinator sets by hand; "installed" and "returned" come from installing and removing.
MANUAL_STATUSES = ("in_stock", "in_maintenance", "lost", "retired")
KEY_HOLDER = Message(N_("Enter who holds the key (at most 200 characters)."))


class CentreForm(msgspec.Struct):
    name: Annotated[
        str,
        Meta(max_length=100),
        Message(N_("Enter the alarm centre's name (at most 100 characters).")),
    ]


class DeviceForm(msgspec.Struct):
    serial_number: Annotated[
        str,
        Parse(str.upper),
        Meta(max_length=50),
        Message(N_("Enter the serial number (at most 50 characters).")),
    ]
    model: Annotated[
        str, Meta(max_length=100), Message(N_("Enter the model (at most 100 characters)."))
    ]
    kind: Annotated[str, OneOf(KINDS), Message(N_("Choose the kind of device."))]


class DeviceStatusForm(msgspec.Struct):
    status: Annotated[
        str,
        OneOf(MANUAL_STATUSES),
        Message(N_("Choose in stock, in maintenance, lost or retired.")),
    ]
    note: Annotated[str, Meta(max_length=500), Message(N_("At most 500 characters."))] = ""


class KeyForm(msgspec.Struct):
    label: Annotated[
        str,
        Meta(max_length=100),
        Message(N_("Enter the key code or where the key is kept (at most 100 characters).")),
    ]
    holder: Annotated[str, Meta(max_length=200), KEY_HOLDER]


class HandoverForm(msgspec.Struct):
    """A key handed to `to_holder`, or given back to the customer (`returned`, no holder)."""

    returned: bool = False
    to_holder: Annotated[str, Meta(max_length=200), KEY_HOLDER] = ""


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


class OpeningForm(ServiceForm, kw_only=True):
    """Starting a service records the decision to grant it: who decided and on what basis."""

    decision_maker: DecisionMaker
    basis: DecisionBasis


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


class EndServiceForm(DecisionFields):
    """The decision to end the service and its last day."""

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
