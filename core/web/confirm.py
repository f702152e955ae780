"""The confirmation step of a destructive action, without JavaScript.

A destructive POST handler first checks `is_confirmed(data)`; without the confirmation field
it changes nothing and answers with `render_confirmation(...)`: a page that says what will
happen, offers the safe choice first (a link back) and a warning button that posts the same
fields again with `confirm=yes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.response import Template

from core.i18n import N_, fmt_value, gettext
from core.web.pages import render

CONFIRM_FIELD = "confirm"
CONFIRM_VALUE = "yes"
_NOT_REPOSTED = {CONFIRM_FIELD, "_csrf_token"}


def is_confirmed(data: Mapping[str, Any]) -> bool:
    return str(data.get(CONFIRM_FIELD, "")) == CONFIRM_VALUE


def hidden_fields(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, value) pairs to re-post; a list value (checkboxes) becomes several pairs."""
    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        if name in _NOT_REPOSTED or value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        pairs += [(name, str(v)) for v in values]
    return pairs


def render_confirmation(
    request: Request[Any, Any, Any],
    *,
    title: str,
    message: str,
    action: str,
    fields: Mapping[str, Any],
    confirm_label: str,
    cancel_href: str,
    cancel_label: str = N_("Cancel"),
    **variables: Any,
) -> Template:
    """The "are you sure" page: title and message are N_() msgids with %(name)s variables."""
    variables = {name: fmt_value(value) for name, value in variables.items()}
    return render(
        request,
        "confirm.html",
        title=gettext(title, **variables),
        message=gettext(message, **variables),
        action=action,
        hidden=hidden_fields(fields),
        confirm_field=CONFIRM_FIELD,
        confirm_value=CONFIRM_VALUE,
        confirm_label=gettext(confirm_label),
        cancel_href=cancel_href,
        cancel_label=gettext(cancel_label),
    )
