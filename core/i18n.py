"""Message catalogues (Babel) and Finnish-style formatting of dates, times and euros."""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

from core.common.clock import HELSINKI

LANGUAGES = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)
_catalogues: dict[str, NullTranslations] = {}
_region_terms: dict[str, str] = {}
_generation = [0]  # counts changes of the catalogues and terms, for caches of translated text


def generation() -> int:
    """Changes whenever catalogues are loaded or region terms added: part of a cache key."""
    return _generation[0]


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def load_catalogues(locale_dirs: Iterable[Path]) -> None:
    """Compile each `<dir>/<lang>/LC_MESSAGES/messages.po` in memory; merge them per language."""
    dirs = list(locale_dirs)
    for language in LANGUAGES:
        merged: NullTranslations = NullTranslations()
        for locale_dir in dirs:
            po_file = locale_dir / language / "LC_MESSAGES" / "messages.po"
            if not po_file.exists():
                continue
            with po_file.open("rb") as handle:
                catalog = read_po(handle, locale=language)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            translations = Translations(fp=buffer)
            if isinstance(merged, Translations):
                merged.merge(translations)
            else:
                merged = translations
        _catalogues[language] = merged
    _generation[0] += 1
    _translated.clear()


def add_region_terms(terms: dict[str, str]) -> None:
    """Names a region gives its own codes in valvomo.toml (a meal product "lunch" → "Lounas").

    They are shown whenever no catalogue translates the code.
    """
    _region_terms.update(terms)
    _generation[0] += 1
    _translated.clear()


_translated: dict[tuple[str, str], str] = {}  # (language, message) → text; emptied on changes


def gettext(message: str, **variables: Any) -> str:
    language = current_language.get()
    text = _translated.get((language, message))
    if text is None:
        catalogue = _catalogues.get(language)
        text = catalogue.gettext(message) if catalogue else message
        if text == message:
            text = _region_terms.get(message, message)
        if len(_translated) < 50_000:  # messages with data in them are not to fill memory
            _translated[(language, message)] = text
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    catalogue = _catalogues.get(current_language.get())
    text = (
        catalogue.ngettext(singular, plural, n) if catalogue else (singular if n == 1 else plural)
    )
    return text % {"num": n, **variables}


def pick_language(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate and candidate[:2].lower() in LANGUAGES:
            return candidate[:2].lower()
    return DEFAULT_LANGUAGE


def _locale() -> str:
    return LOCALES[current_language.get()]


def fmt_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(HELSINKI).date()
    # Finland-Swedish writes dates as Finnish does (7.12.2026); Babel's sv_FI short format
    # is Sweden's ISO date, which a letter or page in Finland would not use.
    if _locale() != "en_GB":
        return f"{value.day}.{value.month}.{value.year}"  # Babel's "d.M.yyyy", without Babel
    return format_date(value, format="short", locale=_locale())


def fmt_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(HELSINKI)
    return f"{fmt_date(local.date())} {fmt_time(local)}"


def fmt_time(value: dt.datetime | dt.time) -> str:
    """Babel's "H.mm" in Finnish (9.05), else "HH:mm" (09:05), without Babel: it parses the
    pattern and looks up the locale on every call, and a page of free times shows dozens."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(HELSINKI)
    if _locale() == "fi_FI":
        return f"{value.hour}.{value.minute:02d}"
    return f"{value.hour:02d}:{value.minute:02d}"


def fmt_money(value: Decimal | float | int) -> str:
    return format_currency(value, "EUR", locale=_locale())


def fmt_number(value: Decimal | float | int) -> str:
    return format_decimal(value, locale=_locale())


def fmt_date_weekday(value: dt.date | dt.datetime | None, year: bool = False) -> str:
    """A day with its weekday where that helps: "ma 7.12." (sv "mån 7.12.", en "Mon 7.12.");
    with `year`, "ma 7.12.2026", for a date that ends a sentence."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(HELSINKI).date()
    weekday = _weekday_name(_locale(), value.weekday())
    return f"{weekday} {fmt_date(value)}" if year else f"{weekday} {value.day}.{value.month}."


@functools.cache
def _weekday_name(locale: str, weekday: int) -> str:
    """ "ma", "mån", "Mon": the short weekday name, looked up in Babel once per process (it
    parses the locale on every call otherwise, on every day a page shows)."""
    pattern = "EEEEEE" if locale == "fi_FI" else "EEE"
    day = dt.date(2026, 1, 5) + dt.timedelta(days=weekday)  # a Monday, then the weekday
    return format_date(day, format=pattern, locale=locale).rstrip(".")


def fmt_month(value: dt.date | Any | None) -> str:
    """A month in words: "joulukuu 2026", "december 2026", "December 2026".

    Takes a date, anything with `year` and `month` (a billing period) or a report's "2026-12"."""
    if value is None:
        return ""
    if isinstance(value, str):
        first = dt.date(int(value[:4]), int(value[5:7]), 1)
    else:
        first = dt.date(value.year, value.month, 1)
    return format_date(first, format="LLLL yyyy", locale=_locale())


def fmt_date_field(value: dt.date | str | None) -> str:
    """A date as it stands in a date input: always 7.12.2026, what the parser reads back."""
    if value is None or value == "":
        return ""
    day: dt.date
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
    elif isinstance(value, dt.datetime):
        day = value.astimezone(HELSINKI).date()
    else:
        day = value
    return f"{day.day}.{day.month}.{day.year}"


def fmt_value(value: Any) -> Any:
    """A value interpolated into a message: dates, times and amounts as the reader writes them."""
    if isinstance(value, dt.datetime):
        return fmt_datetime(value)
    if isinstance(value, dt.date):
        return fmt_date(value)
    if isinstance(value, Decimal):
        return fmt_number(value)
    return value if isinstance(value, str | int | float) else str(value)


_AREA_CODES_3 = ("013", "014", "015", "016", "017", "018", "019")


def fmt_phone(value: str | None) -> str:
    """A Finnish number in national form: +358401234567 → 040 123 4567, +35861234567 →
    06 123 4567; other countries' numbers are left as they were written."""
    if not value:
        return ""
    compact = "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if compact.startswith("+358"):
        national = "0" + compact[4:]
    elif compact.startswith("0") and not compact.startswith("00"):
        national = compact
    else:
        return value
    if not national.isdigit() or len(national) < 6:
        return value
    if national.startswith(("04", "050")) or national.startswith(_AREA_CODES_3):
        prefix, rest = national[:3], national[3:]
    else:
        prefix, rest = national[:2], national[2:]
    return f"{prefix} {rest[:3]} {rest[3:]}".rstrip()


@contextmanager
def in_language(language: str | None) -> Iterator[None]:
    """Translate and format in `language` (e.g. a message to a customer in their own)."""
    token = current_language.set(pick_language(language))
    try:
        yield
    finally:
        current_language.reset(token)
