"""The customer register's forms (a customer, a contact person), declared on core's form layer;
the same forms read the JSON API's bodies, so the pages and the API refuse the same input with
the same messages."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from core.customers import validation as v
from core.i18n import N_
from core.web.forms import PHONE, DateField, FieldError, Message, OneOf, Parse, Rule

STATUSES = ("active", "ended", "deceased")
LANGUAGES = ("fi", "sv", "en")
AT_MOST_100 = N_("At most 100 characters.")
IDENTITY_CODE_FORMAT = N_("Enter the identity code as DDMMYYCZZZQ, for example 010150-123A.")


def identity_code(text: str) -> str:
    """A henkilötunnus in capitals; FieldError naming what is wrong with it."""
    code = v.normalise_identity_code(text)
    if problem := v.identity_code_problem(code):
        raise FieldError(problem)
    return code


def postal_code(text: str) -> str:
    if problem := v.postal_code_problem(text):
        raise FieldError(problem)
    return text


class CustomerForm(msgspec.Struct, kw_only=True):
    """A customer's details; the municipality's choices (the region's) are given at parse time.
    A status other than active needs its date (kept only with such a status, by `services`)."""

    identity_code: Annotated[str, Parse(identity_code), Message(missing=IDENTITY_CODE_FORMAT)]
    first_name: Annotated[
        str, Meta(max_length=100), Message(AT_MOST_100, N_("Enter the customer's first name."))
    ]
    last_name: Annotated[
        str, Meta(max_length=100), Message(AT_MOST_100, N_("Enter the customer's last name."))
    ]
    street_address: Annotated[str, Meta(max_length=200), Message(N_("At most 200 characters."))] = (
        ""
    )
    postal_code: Annotated[str, Parse(postal_code)] = ""
    municipality: Annotated[str, Message(N_("Choose one of the region's municipalities."))]
    phone: Annotated[
        str,
        PHONE,
        Message(N_("Enter a phone number like 040 123 4567 or +358 40 123 4567.")),
    ] = ""
    language: Annotated[
        str, OneOf(LANGUAGES), Message(N_("Choose Finnish, Swedish or English."))
    ] = "fi"
    status: Annotated[str, OneOf(STATUSES), Message(N_("Choose active, ended or deceased."))] = (
        "active"
    )
    status_date: Annotated[
        DateField | None,
        Rule(
            lambda v: v.get("status", "active") == "active" or v.get("status_date") is not None,
            N_("Enter the date the service ended or the customer died."),
        ),
    ] = None
    notes: Annotated[str, Meta(max_length=5000), Message(N_("At most 5,000 characters."))] = ""


class ContactForm(msgspec.Struct, kw_only=True):
    """A contact person: a phone number or an e-mail address, at least one."""

    name: Annotated[
        str, Meta(max_length=100), Message(AT_MOST_100, N_("Enter the contact person's name."))
    ]
    relationship: Annotated[str, Meta(max_length=100), Message(AT_MOST_100)] = ""
    phone: Annotated[
        str,
        PHONE,
        Message(N_("Enter a phone number like 040 123 4567.")),
        Rule(
            lambda v: bool(v.get("phone") or v.get("email")),
            N_("Enter a phone number or an e-mail address."),
        ),
    ] = ""
    email: Annotated[
        str,
        Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
        Message(N_("Enter an e-mail address like name@example.fi.")),
    ] = ""
    notes: str = ""
