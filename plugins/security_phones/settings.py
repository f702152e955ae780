"""The plugin's settings from `[plugins.security_phones]`: billing rule and dated prices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from core.i18n import N_
from core.plugins import PluginConfigError

RULES = ("whole_month", "by_days")
# Product codes; core billing shows them translated, so they are messages too.
PRODUCTS = (N_("monthly_fee"), N_("installation_fee"), N_("visit_fee"), N_("extra_device_fee"))


@dataclass(frozen=True)
class Price:
    product: str
    amount: Decimal
    valid_from: dt.date
    valid_to: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class PhoneSettings:
    start_end_month_rule: str = "whole_month"
    prices: tuple[Price, ...] = field(default_factory=tuple)

    def price(self, product: str, day: dt.date) -> Decimal | None:
        """The price of `product` valid on `day`, or None when the region has set none."""
        for price in self.prices:
            if price.product == product and price.valid_on(day):
                return price.amount
        return None


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
