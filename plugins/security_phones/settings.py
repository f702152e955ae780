"""The plugin's settings from `[plugins.security_phones]`: billing rule and dated prices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from valvomo.api import N_, PluginConfigError, PriceSeed, Product

RULES = ("whole_month", "by_days")
SERVICE = N_("security_phones")  # core billing shows it translated
# Product codes; core billing shows them translated, so they are messages too.
PRODUCTS = (N_("monthly_fee"), N_("installation_fee"), N_("visit_fee"), N_("extra_device_fee"))


@dataclass(frozen=True)
class Price:
    product: str
    amount: Decimal
    valid_from: dt.date
    valid_to: dt.date | None = None


@dataclass(frozen=True)
class PhoneSettings:
    start_end_month_rule: str = "whole_month"
    prices: tuple[Price, ...] = field(default_factory=tuple)

    def products_for_billing(self) -> list[Product]:
        """The products, with this file's prices as seeds for core's price lists."""
        return [
            Product(
                code,
                SERVICE,
                code,
                unit=N_("month") if code == "monthly_fee" else N_("piece"),
                seed_prices=tuple(
                    PriceSeed(p.valid_from, p.amount, p.valid_to)
                    for p in sorted(self.prices, key=lambda p: p.valid_from)
                    if p.product == code
                ),
            )
            for code in PRODUCTS
        ]


_current = PhoneSettings()


def current() -> PhoneSettings:
    return _current


def configure(raw: dict[str, Any]) -> PhoneSettings:
    """Validate the settings table and make it current; raises PluginConfigError."""
    global _current
    rule = raw.get("start_end_month_rule", "whole_month")
    if rule not in RULES:
        raise PluginConfigError(f"start_end_month_rule must be one of {', '.join(RULES)}")
    unknown = set(raw) - {"start_end_month_rule", "prices"}
    if unknown:
        raise PluginConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    prices = tuple(_price(i, p) for i, p in enumerate(raw.get("prices", [])))
    _check_overlaps(prices)
    _current = PhoneSettings(start_end_month_rule=rule, prices=prices)
    return _current


def _price(index: int, raw: Any) -> Price:
    where = f"prices[{index}]"
    if not isinstance(raw, dict):
        raise PluginConfigError(f"{where} must be a table with product, amount and valid_from")
    product = raw.get("product")
    if product not in PRODUCTS:
        raise PluginConfigError(f"{where}.product must be one of {', '.join(PRODUCTS)}")
    try:
        amount = Decimal(str(raw.get("amount")))
    except InvalidOperation:
        raise PluginConfigError(f'{where}.amount must be a number like "35.00"') from None
    if not amount.is_finite() or amount < 0:
        raise PluginConfigError(f"{where}.amount must be zero or more")
    valid_from, valid_to = _date(raw.get("valid_from"), where + ".valid_from"), None
    if raw.get("valid_to") is not None:
        valid_to = _date(raw["valid_to"], where + ".valid_to")
        if valid_to < valid_from:
            raise PluginConfigError(f"{where}.valid_to is before valid_from")
    return Price(product, amount, valid_from, valid_to)


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise PluginConfigError(f"{where} must be a date like 2026-01-01") from None


def _check_overlaps(prices: tuple[Price, ...]) -> None:
    for i, a in enumerate(prices):
        for b in prices[i + 1 :]:
            if a.product == b.product and _overlap(a, b):
                raise PluginConfigError(
                    f"two prices of {a.product} are valid on the same days ({b.valid_from})"
                )


def _overlap(a: Price, b: Price) -> bool:
    a_end = a.valid_to or dt.date.max
    b_end = b.valid_to or dt.date.max
    return a.valid_from <= b_end and b.valid_from <= a_end
