"""Message catalogues (Babel) and Finnish-style formatting of dates, times and euros."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_time
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


def add_region_terms(terms: dict[str, str]) -> None:
    """Names a region gives its own codes in valvomo.toml (a meal product "lunch" → "Lounas").

    They are shown whenever no catalogue translates the code.
    """
    _region_terms.update(terms)


def gettext(message: str, **variables: Any) -> str:
    catalogue = _catalogues.get(current_language.get())
    text = catalogue.gettext(message) if catalogue else message
    if text == message:
        text = _region_terms.get(message, message)
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
    return format_date(
        value, format="short" if _locale() != "fi_FI" else "d.M.yyyy", locale=_locale()
    )


def fmt_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(HELSINKI)
    return f"{fmt_date(local.date())} {fmt_time(local)}"


def fmt_time(value: dt.datetime | dt.time) -> str:
    if isinstance(value, dt.datetime):
        value = value.astimezone(HELSINKI)
    return format_time(value, format="H.mm" if _locale() == "fi_FI" else "HH:mm", locale=_locale())


def fmt_money(value: Decimal | float | int) -> str:
    return format_currency(value, "EUR", locale=_locale())


def fmt_number(value: Decimal | float | int) -> str:
    return format_decimal(value, locale=_locale())


def fmt_phone(value: str | None) -> str:
    """+358401234567 as a Finn writes it, 040 123 4567; other numbers unchanged."""
    if not value or not value.startswith("+358"):
        return value or ""
    national = "0" + value[4:]
    if national.startswith(("04", "050")):
        return f"{national[:3]} {national[3:6]} {national[6:]}"
    return national
