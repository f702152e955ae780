"""Dates and months as people type them: Finnish first (7.12.2026, 12/2026), ISO accepted too."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from core.common.clock import HELSINKI
from core.i18n import N_

FIRST_YEAR, LAST_YEAR = 2000, 2100
DATE_HINT = "p.k.vvvv"
MONTH_HINT = "kk/vvvv"

_FINNISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_FINNISH_MONTH = re.compile(r"^(\d{1,2})[/.](\d{4})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _in_range(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year} is outside {FIRST_YEAR}–{LAST_YEAR}")


def parse_date(text: str) -> dt.date:
    """A date typed as 7.12.2026, 07.12.2026 or ISO 2026-12-07; ValueError for anything else."""
    cleaned = (text or "").strip()
    if match := _FINNISH_DATE.match(cleaned):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DATE.match(cleaned):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(f"not a date: {text!r}")
    _in_range(year)
    return dt.date(year, month, day)


def parse_month(text: str) -> dt.date:
    """A month typed as 12/2026, 12.2026 or ISO 2026-12, as its first day; ValueError otherwise."""
    cleaned = (text or "").strip()
    if match := _FINNISH_MONTH.match(cleaned):
        month, year = int(match[1]), int(match[2])
    elif match := _ISO_MONTH.match(cleaned):
        year, month = int(match[1]), int(match[2])
    else:
        raise ValueError(f"not a month: {text!r}")
    _in_range(year)
    return dt.date(year, month, 1)


def date_from_form(
    data: Mapping[str, Any], name: str, errors: dict[str, str], required: bool = True
) -> dt.date | None:
    """The date in form field `name`, or None with a message in `errors[name]`."""
    raw = str(data.get(name) or "").strip()
    if not raw:
        if required:
            errors[name] = N_("Enter a date like 7.12.2026.")
        return None
    try:
        return parse_date(raw)
    except ValueError:
        errors[name] = N_("Enter a date like 7.12.2026.")
        return None


_TIME = re.compile(r"^(\d{1,2})[.:](\d{2})$")


def parse_time(text: str) -> dt.time:
    """A time of day typed as 9.30, 09.30 or 9:30; ValueError otherwise."""
    match = _TIME.match((text or "").strip())
    if not match:
        raise ValueError(f"not a time: {text!r}")
    return dt.time(int(match[1]), int(match[2]))


_MOMENT_FORMATS = (
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%d.%m.%Y %H.%M",
    "%d.%m.%Y %H:%M",
)


def parse_moment(text: str) -> dt.datetime:
    """A moment typed as 31.12.2026 14.30 (Helsinki time) or ISO 8601, with or without an
    offset, in UTC; ValueError for anything else."""
    cleaned = (text or "").strip()
    try:
        moment = dt.datetime.fromisoformat(cleaned)
    except ValueError:
        moment = None
        for pattern in _MOMENT_FORMATS:
            try:
                moment = dt.datetime.strptime(cleaned, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        raise ValueError(f"not a moment: {text!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=HELSINKI)
    return moment.astimezone(dt.UTC)
