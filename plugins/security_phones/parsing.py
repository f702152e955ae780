"""Reading dates and times typed into forms or import files (Helsinki local time)."""

from __future__ import annotations

import datetime as dt

from core.common.clock import HELSINKI
from core.i18n import N_

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
TIME_FORMATS = (
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%d.%m.%Y %H.%M",
    "%d.%m.%Y %H:%M",
)


def parse_date(
    raw: object, name: str, errors: dict[str, str], required: bool = True
) -> dt.date | None:
    text = str(raw or "").strip()
    if not text:
        if required:
            errors[name] = N_("Enter a date like 31.12.2026.")
        return None
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    errors[name] = N_("Enter a date like 31.12.2026.")
    return None


def parse_moment(text: str) -> dt.datetime | None:
    """An ISO 8601 time with offset, or a local Helsinki time; None if it is neither."""
    text = text.strip()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
        for pattern in TIME_FORMATS:
            try:
                moment = dt.datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=HELSINKI)
    return moment.astimezone(dt.UTC)


def parse_time_field(
    raw: object, name: str, errors: dict[str, str], required: bool = True
) -> dt.datetime | None:
    text = str(raw or "").strip()
    if not text:
        if required:
            errors[name] = N_("Enter a time like 31.12.2026 14.30.")
        return None
    moment = parse_moment(text)
    if moment is None:
        errors[name] = N_("Enter a time like 31.12.2026 14.30.")
    return moment
