"""The region's meal settings from `[plugins.meals]`: products, diets, prices, holiday rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from core.i18n import N_, add_region_terms
from core.plugins import PluginConfigError

DELIVERY = N_("delivery")  # a product code; core billing shows it translated
HOLIDAY_RULES = ("previous_working_day", "keep")

DEFAULT_SETTINGS: dict[str, Any] = {
    "holiday_rule": "previous_working_day",
    "products": {"lunch": "Lunch", "evening_meal": "Evening meal"},
    "diets": {
        "normal": "Normal",
        "lactose_free": "Lactose-free",
        "gluten_free": "Gluten-free",
        "soft": "Soft",
        "diabetic": "Diabetic",
    },
    "prices": [
        {"product": "lunch", "valid_from": "2025-01-01", "price": "6.50"},
        {"product": "evening_meal", "valid_from": "2025-01-01", "price": "5.20"},
        {"product": DELIVERY, "valid_from": "2025-01-01", "price": "2.90"},
    ],
}


@dataclass(frozen=True)
class Price:
    """The unit price of a product (or of one delivery) from `valid_from` to `valid_to`."""

    product: str
    valid_from: dt.date
    valid_to: dt.date | None
    amount: Decimal

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class MealSettings:
    products: dict[str, str]
    diets: dict[str, str]
    prices: tuple[Price, ...]
    holiday_rule: str = "previous_working_day"

    def price_on(self, product: str, day: dt.date) -> Decimal:
        """The price valid on `day`; the latest-starting one wins where periods overlap."""
        matching = [p for p in self.prices if p.product == product and p.covers(day)]
        if not matching:
            raise LookupError(f"no price for {product} on {day.isoformat()}")
        return max(matching, key=lambda p: p.valid_from).amount


def _date(raw: Any, where: str) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError as exc:
        raise PluginConfigError(f"{where}: {raw!r} is not a date (YYYY-MM-DD)") from exc


def _price(raw: Any, index: int, products: dict[str, str]) -> Price:
    where = f"prices[{index}]"
    if not isinstance(raw, dict):
        raise PluginConfigError(f"{where} must be a table")
    product = str(raw.get("product", ""))
    if product != DELIVERY and product not in products:
        raise PluginConfigError(f"{where}.product {product!r} is not a meal product")
    if not raw.get("valid_from"):
        raise PluginConfigError(f"{where}.valid_from is missing: a price needs validity")
    valid_from = _date(raw["valid_from"], f"{where}.valid_from")
    valid_to = _date(raw["valid_to"], f"{where}.valid_to") if raw.get("valid_to") else None
    if valid_to is not None and valid_to < valid_from:
        raise PluginConfigError(f"{where}.valid_to is before valid_from")
    try:
        amount = Decimal(str(raw.get("price")))
    except InvalidOperation as exc:
        raise PluginConfigError(f"{where}.price is not a number") from exc
    if not amount.is_finite() or amount < 0 or amount > 1000:
        raise PluginConfigError(f"{where}.price must be between 0 and 1000")
    return Price(product, valid_from, valid_to, amount)


def _labels(raw: Any, name: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        raise PluginConfigError(f"{name} must be a non-empty table of code = label")
    return {str(code): str(label) for code, label in raw.items()}


def parse_settings(raw: dict[str, Any]) -> MealSettings:
    """Validate `[plugins.meals]`; missing keys take the defaults above."""
    merged = {**DEFAULT_SETTINGS, **raw}
    unknown = set(raw) - set(DEFAULT_SETTINGS)
    if unknown:
        raise PluginConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    if merged["holiday_rule"] not in HOLIDAY_RULES:
        raise PluginConfigError(f"holiday_rule must be one of {', '.join(HOLIDAY_RULES)}")
    products = _labels(merged["products"], "products")
    if not isinstance(merged["prices"], list):
        raise PluginConfigError("prices must be a list of tables")
    prices = tuple(_price(p, i, products) for i, p in enumerate(merged["prices"]))
    for product in [*products, DELIVERY]:
        if not any(p.product == product for p in prices):
            raise PluginConfigError(f"prices: no price for {product!r}")
    return MealSettings(products, _labels(merged["diets"], "diets"), prices, merged["holiday_rule"])


_current = parse_settings({})


def configure(raw: dict[str, Any]) -> None:
    global _current
    _current = parse_settings(raw)
    add_region_terms({**_current.products, **_current.diets})


def current() -> MealSettings:
    return _current
