"""The label catalogue: every code a person sees (a status, kind, role, entity) has a name.

Labels are English msgids marked with `N_()`, translated into the reader's language when
shown. Core registers its own kinds below; a plugin registers its kinds when its module is
imported (at start-up), e.g. `register_labels("meals.service_status", {"active": N_("Active")})`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from core.i18n import N_, gettext

# A label is an N_() msgid, or a function giving the translated text (for composed names).
Label = str | Callable[[], str]
_catalogue: dict[str, dict[str, Label]] = {}
_tones: dict[str, dict[str, str]] = {}


def register_labels(kind: str, labels: Mapping[str, Label]) -> None:
    """Add (or override) the names of codes of one kind, e.g. "audit.entity"."""
    _catalogue.setdefault(kind, {}).update(labels)


def _text(message: Label) -> str:
    return message() if callable(message) else gettext(message)


def label(kind: str, code: object) -> str:
    """The translated name of `code`; a region term or the code itself if none is registered."""
    if code is None or code == "":
        return ""
    text = str(code)
    return _text(_catalogue.get(kind, {}).get(text, text))


def labels_of(kind: str) -> dict[str, str]:
    """Every registered code of a kind with its translated name (for select options)."""
    return {code: _text(message) for code, message in _catalogue.get(kind, {}).items()}


def register_tones(kind: str, tones: Mapping[str, str]) -> None:
    """The colour of a status tag per code: neutral, info, success, warning or danger."""
    _tones.setdefault(kind, {}).update(tones)


def tone(kind: str, code: object) -> str:
    return _tones.get(kind, {}).get(str(code), "neutral")


def has_label(kind: str, code: str) -> bool:
    return code in _catalogue.get(kind, {})


register_labels("language", {"fi": N_("Finnish"), "sv": N_("Swedish"), "en": N_("English")})
register_labels(
    "audit.action",
    {
        "view": N_("viewed"),
        "create": N_("created"),
        "update": N_("changed"),
        "delete": N_("removed"),
        "export": N_("exported"),
        "import": N_("imported"),
        "close": N_("closed"),
        "login": N_("signed in"),
    },
)
register_labels(
    "audit.entity",
    {
        "billing": N_("Billing"),
        "billing_period": N_("Billing period"),
        "contact_person": N_("Contact person"),
        "customer": N_("Customer details"),
        "demo_data": N_("Demo data"),
        "notification": N_("Message"),
        "staff_role": N_("Role"),
        "staff_user": N_("User"),
        "task": N_("Task"),
    },
)
register_labels(
    "customer.status",
    {"active": N_("Active"), "ended": N_("Service ended"), "deceased": N_("Deceased")},
)
register_labels(
    "field",
    {
        "identity_code": N_("Identity code"),
        "first_name": N_("First names"),
        "last_name": N_("Last name"),
        "street_address": N_("Street address"),
        "postal_code": N_("Postal code"),
        "municipality": N_("Municipality"),
        "phone": N_("Phone"),
        "language": N_("Language"),
        "status": N_("Status"),
        "status_date": N_("Date of ending or death"),
        "notes": N_("Notes"),
        "name": N_("Name"),
        "relationship": N_("Relationship"),
        "email": N_("E-mail"),
        "full_name": N_("Name"),
        "is_active": N_("Active"),
        "roles": N_("Roles"),
        "permissions": N_("Permissions"),
        "outcome": N_("Outcome"),
    },
)
register_tones("customer.status", {"active": "success", "ended": "neutral", "deceased": "neutral"})
register_tones(
    "notification.status",
    {"queued": "info", "sending": "info", "sent": "success", "failed": "danger"},
)
