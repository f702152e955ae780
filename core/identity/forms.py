"""The user administration's forms, declared on core's form layer. A password is not a form
field: it is taken as typed (never stripped) and checked by `password_problem`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from core.i18n import N_
from core.identity.passwords import password_problem
from core.web.forms import Message, OneOf, Parse

USERNAME = r"^[a-z0-9._-]{2,150}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
LANGUAGES = ("fi", "sv", "en")


class UserForm(msgspec.Struct, kw_only=True):
    """A user's details as an administrator changes them; the roles' choices (the roles in use)
    are given at parse time."""

    full_name: Annotated[
        str,
        Meta(max_length=200),
        Message(N_("The text is too long."), missing=N_("Enter the person's name.")),
    ]
    email: Annotated[
        str,
        Meta(pattern=EMAIL, max_length=254),
        Message(N_("Enter an e-mail address like name@example.fi.")),
    ] = ""
    language: Annotated[
        str, OneOf(LANGUAGES), Message(N_("Choose Finnish, Swedish or English."))
    ] = "fi"
    roles: Annotated[list[str], Message(N_("Choose roles from the list."))] = []
    is_active: bool = False


class NewUserForm(UserForm, kw_only=True):
    username: Annotated[
        str,
        Parse(str.lower),
        Meta(pattern=USERNAME),
        Message(N_("Use 2–150 lowercase letters, digits, dots, dashes or underscores.")),
    ]


def password_errors(data: Mapping[str, Any], *, required: bool) -> dict[str, str]:
    """The submitted password's problem, at the field (an empty one is kept when not
    `required`: the user's password stays)."""
    password = str(data.get("password") or "")
    if not password and not required:
        return {}
    problem = password_problem(password)
    return {"password": problem} if problem else {}


class RoleForm(msgspec.Struct, kw_only=True):
    """A role's permissions (their choices given at parse time) and second-factor rule."""

    permissions: Annotated[list[str], Message(N_("Choose permissions from the list."))] = []
    requires_second_factor: bool = False
