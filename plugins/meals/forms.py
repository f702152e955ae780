"""Parsing and checking submitted meal-service input; every problem names its field."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from core.common.errors import ValidationFailed
from core.i18n import N_
from plugins.meals.settings import MealSettings

MAX_MEALS_PER_DAY = 10
FIRST_YEAR, LAST_YEAR = 2000, 2100
WEEKDAYS = range(7)


@dataclass(frozen=True)
class WeeklyOrder:
    """The standing order as submitted: (weekday, product) → quantity, weekday → delivery day."""

    quantities: dict[tuple[int, str], int]
    delivery_weekdays: dict[int, int]


def text(data: dict[str, Any], name: str, limit: int) -> str:
    return str(data.get(name, "") or "").strip()[:limit]


def parse_date(
    data: dict[str, Any], name: str, errors: dict[str, str], required: bool = True
) -> dt.date | None:
    raw = text(data, name, 20)
    if not raw:
        if required:
            errors[name] = N_("Enter a date.")
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = N_("Enter the date as YYYY-MM-DD.")
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors[name] = N_("Enter a date between 2000 and 2100.")
        return None
    return day


def parse_quantity(raw: Any, name: str, errors: dict[str, str]) -> int:
    value = str(raw if raw is not None else "").strip() or "0"
    try:
        number = int(value)
    except ValueError:
        errors[name] = N_("Enter a whole number.")
        return 0
    if number < 0 or number > MAX_MEALS_PER_DAY:
        errors[name] = N_("Enter a number from 0 to 10.")
        return 0
    return number


def parse_weekday(raw: Any, name: str, errors: dict[str, str]) -> int:
    try:
        weekday = int(str(raw))
    except ValueError:
        weekday = -1
    if weekday not in WEEKDAYS:
        errors[name] = N_("Choose a weekday.")
    return weekday


def parse_weekly_order(data: dict[str, Any], settings: MealSettings) -> WeeklyOrder:
    """Fields `qty_<weekday>_<product>` and `delivery_<weekday>` (0 = Monday)."""
    errors: dict[str, str] = {}
    quantities: dict[tuple[int, str], int] = {}
    deliveries: dict[int, int] = {}
    for weekday in WEEKDAYS:
        for product in settings.products:
            name = f"qty_{weekday}_{product}"
            quantity = parse_quantity(data.get(name), name, errors)
            if quantity:
                quantities[(weekday, product)] = quantity
        if any(w == weekday for w, _ in quantities):
            name = f"delivery_{weekday}"
            deliveries[weekday] = parse_weekday(data.get(name, weekday), name, errors)
    if not quantities and not errors:
        errors["order"] = N_("Order at least one meal a week.")
    if errors:
        raise ValidationFailed(errors)
    return WeeklyOrder(quantities, deliveries)


def order_form_values(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Form values showing the given order lines."""
    values: dict[str, Any] = {}
    for line in lines:
        values[f"qty_{line['weekday']}_{line['product']}"] = line["quantity"]
        values[f"delivery_{line['weekday']}"] = line["delivery_weekday"]
    return values
