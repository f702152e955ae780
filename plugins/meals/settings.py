"""The region's meal settings from `[plugins.meals]`: products, diets, prices, holiday rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from valvomo.api import N_, PluginConfigError, PriceSeed, Product, add_region_terms

DELIVERY = N_("delivery")  # a product code; core billing shows it translated
SERVICE = N_("meals")  # core billing shows codes through the catalogues
UNIT_MEAL, UNIT_DELIVERY = N_("meal"), N_("delivery")
HOLIDAY_RULES = ("previous_working_day", "keep")

DEFAULT_SETTINGS: dict[str, Any] = {
    "holiday_rule": "previous_working_day",
    # Customers report absences online until this hour of the working day that is this many
    # working days before the day; after it the page gives `absence_phone` to call.
    "absence_cutoff_working_days": 2,
    "absence_cutoff_hour": 12,
    "absence_phone": "",
    "products": {"lunch": "Lunch", "evening_meal": "Evening meal"},
    "diets": {
        "normal": "Normal",
        "lactose_free": "Lactose-free",
        "gluten_free": "Gluten-free",
        "soft": "Soft",
        "diabetic": "Diabetic",
    },
    "allergies": {"milk": "Milk", "egg": "Egg", "fish": "Fish", "nuts": "Nuts", "celery": "Celery"},
    "textures": {"normal": "Normal", "soft": "Soft", "pureed": "Puréed"},
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
    absence_cutoff_working_days: int = 2
    absence_cutoff_hour: int = 12
    absence_phone: str = ""
    allergies: dict[str, str] = field(default_factory=dict)
    textures: dict[str, str] = field(default_factory=dict)
    # (kind, code) of code-list entries retired on the admin pages (plugins.meals.codes)
    retired: frozenset[tuple[str, str]] = frozenset()
    # (kind, code, language) → the Swedish or English name the file gives a diet, allergy or
    # texture (`gluten_free = { fi = "Gluteeniton", sv = "Glutenfri" }`); the plain names above
    # are the Finnish ones
    other_names: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def offered(self, kind: str) -> list[tuple[str, str]]:
        """(code, label) of the entries of `kind` (diets, allergies, textures) forms offer."""
        entries: dict[str, str] = getattr(self, kind)
        return [(c, label) for c, label in entries.items() if (kind, c) not in self.retired]

    def diet_label(self, key: str) -> str:
        """A production-list diet key (diets, allergies, texture) in the region's words."""
        from plugins.meals.diets import label

        return label(self, key)

    def products_for_billing(self) -> list[Product]:
        """The meal products and the delivery fee, with the prices of this file as seeds for
        core's price lists (`core.billing.prices`), where billers keep them from then on."""
        labels = {**self.products, DELIVERY: N_("Delivery")}
        return [
            Product(
                code,
                SERVICE,
                label,
                unit=UNIT_DELIVERY if code == DELIVERY else UNIT_MEAL,
                seed_prices=tuple(
                    PriceSeed(p.valid_from, p.amount, p.valid_to)
                    for p in sorted(self.prices, key=lambda p: p.valid_from)
                    if p.product == code
                ),
            )
            for code, label in labels.items()
        ]


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


NAME_LANGUAGES = ("fi", "sv", "en")


def _code_names(raw: Any, kind: str, others: dict[tuple[str, str, str], str]) -> dict[str, str]:
    """A code list's Finnish names, from `code = "name"` or `code = { fi = …, sv = …, en = … }`
    (only `fi` required); the Swedish and English names go to `others`."""
    if not isinstance(raw, dict) or not raw:
        raise PluginConfigError(f"{kind} must be a non-empty table of code = label")
    names = {}
    for code, value in raw.items():
        if not isinstance(value, dict):
            names[str(code)] = str(value)
            continue
        unknown = set(value) - set(NAME_LANGUAGES)
        if unknown or not value.get("fi"):
            raise PluginConfigError(
                f"{kind}.{code} must give a Finnish name (fi) and may give sv and en"
            )
        names[str(code)] = str(value["fi"])
        for language in NAME_LANGUAGES[1:]:
            if value.get(language):
                others[(kind, str(code), language)] = str(value[language])
    return names


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
    days, hour = merged["absence_cutoff_working_days"], merged["absence_cutoff_hour"]
    if type(days) is not int or not 0 <= days <= 10:
        raise PluginConfigError("absence_cutoff_working_days must be a whole number 0–10")
    if type(hour) is not int or not 0 <= hour <= 23:
        raise PluginConfigError("absence_cutoff_hour must be an hour 0–23")
    others: dict[tuple[str, str, str], str] = {}
    return MealSettings(
        products,
        _code_names(merged["diets"], "diets", others),
        prices,
        merged["holiday_rule"],
        allergies=_code_names(merged["allergies"], "allergies", others),
        textures=_code_names(merged["textures"], "textures", others),
        other_names=others,
        absence_cutoff_working_days=days,
        absence_cutoff_hour=hour,
        absence_phone=str(merged["absence_phone"]),
    )


_current = parse_settings({})


def configure(raw: dict[str, Any]) -> None:
    global _current
    _current = parse_settings(raw)
    add_region_terms(
        {**_current.products, **_current.diets, **_current.allergies, **_current.textures}
    )


def current() -> MealSettings:
    return _current
