"""How figures read on the page: euros, counts and means in Finnish, hidden cells, changes, age."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, get_decimal_symbol, get_group_symbol

from core.i18n import LOCALES, current_language, gettext, ngettext
from core.plugins.types import Metric
from core.situation.services import Cell


@lru_cache(maxsize=8)
def _babel_locale(language: str) -> Locale:
    """Parsed once: the page formats hundreds of numbers and parsing is most of Babel's work."""
    return Locale.parse(LOCALES[language])


@lru_cache(maxsize=8)
def _separators(language: str) -> tuple[str, str]:
    locale = _babel_locale(language)
    return get_group_symbol(locale), get_decimal_symbol(locale)


def fmt_number(value: Decimal | int | float) -> str:
    """A count or a mean with the language's separators (1 234,5): the page shows hundreds, and
    Babel's own formatting would take much of its time."""
    group, decimal = _separators(current_language.get())
    number = Decimal(str(value))
    if number == number.to_integral_value():
        text = f"{int(number):,}"
    else:
        text = f"{number.normalize():,f}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


def amount(metric: Metric, value: Decimal) -> str:
    if metric.unit == "euros":
        return format_currency(value, "EUR", locale=_babel_locale(current_language.get()))
    return fmt_number(value)


def figure_value(metric: Metric, cell: Cell) -> str:
    if cell.suppressed:
        return gettext("fewer than 5")
    if cell.value is None:
        return "–"
    return amount(metric, cell.value)


def figure_change(metric: Metric, change: Decimal | None) -> str:
    if change is None:
        return "–"
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    return sign + amount(metric, abs(change))


def cell_text(cell: Cell) -> str:
    if cell.suppressed:
        return gettext("fewer than 5")
    return "–" if cell.value is None else fmt_number(cell.value)


def age(refreshed_at: dt.datetime, now: dt.datetime) -> str:
    minutes = max(0, int((now - refreshed_at).total_seconds() // 60))
    if minutes < 1:
        return gettext("just now")
    if minutes < 120:
        return ngettext("%(num)s minute ago", "%(num)s minutes ago", minutes)
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(num)s hour ago", "%(num)s hours ago", hours)
    return ngettext("%(num)s day ago", "%(num)s days ago", hours // 24)


FRESH_MINUTES = 15  # figures refreshed within this are current; older ones get a warning tag


def age_tone(refreshed_at: dt.datetime, now: dt.datetime) -> str:
    return "success" if now - refreshed_at <= dt.timedelta(minutes=FRESH_MINUTES) else "warning"
