"""Billing lines for a month: meals by eating day at each day's price, deliveries by delivery day.

The month's recorded days (`plugins.meals.ledger`) are brought up to date, then one SQL query
sums them per service and product; each sum is split by the prices valid on its days.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from core.common.errors import ValidationFailed
from core.db import get_database, is_sqlite
from core.i18n import N_, gettext
from core.plugins import BillingLine, BillingPeriod
from plugins.meals import ledger
from plugins.meals.settings import DELIVERY, MealSettings
from plugins.meals.tables import MealDay

SERVICE = N_("meals")  # core billing shows codes through the catalogues


# A line's days as one integer (recorded days have distinct `day_bit`s, so their sum is the set)
# and the few days whose quantity is not 1 as "bit:quantity" text: the query reads the rows just
# as a plain SUM would, and Python splits the days by price and labels them.
MONTH_LINES = """
SELECT d.service, d.product, SUM(d.day_bit) AS days,
  {join_text}(CASE WHEN d.quantity <> 1
    THEN CAST(d.day_bit AS VARCHAR(12)) || ':' || CAST(d.quantity AS VARCHAR(12)) END, ',')
    AS other_quantities
FROM meals_day d WHERE d.day >= {{}} AND d.day <= {{}}
GROUP BY d.service, d.product
ORDER BY d.service, d.product
"""


@dataclass(frozen=True)
class MonthPrices:
    """Each product's prices in a month with the days (as bits) each one is valid on."""

    masks: dict[str, list[tuple[Decimal, int]]]
    unpriced: dict[str, int]

    def split(self, product: str, days: int) -> list[tuple[Decimal, int]]:
        """`days` of `product` by unit price; a day without a valid price is an error."""
        if product not in self.masks or days & self.unpriced[product]:
            raise ValidationFailed({"period": N_("A day of this month has no valid price.")})
        return [(price, days & mask) for price, mask in self.masks[product] if days & mask]


def month_prices(settings: MealSettings, period: BillingPeriod) -> MonthPrices:
    masks: dict[str, dict[Decimal, int]] = {}
    unpriced: dict[str, int] = {}
    for product in {p.product for p in settings.prices}:
        by_price, missing = masks.setdefault(product, {}), 0
        for day in range(1, period.last_day.day + 1):
            try:
                price = settings.price_on(product, period.first_day.replace(day=day))
            except LookupError:
                missing |= 1 << (day - 1)
                continue
            by_price[price] = by_price.get(price, 0) | 1 << (day - 1)
        unpriced[product] = missing
    return MonthPrices({p: list(m.items()) for p, m in masks.items()}, unpriced)


def _other_quantities(text: str | None) -> dict[int, int]:
    pairs = (item.split(":") for item in text.split(",")) if text else ()
    return {int(bit): int(quantity) for bit, quantity in pairs}


@lru_cache(maxsize=4096)
def _detail(days: int, month: int, others: tuple[tuple[int, int], ...]) -> str:
    """The days of a line as "2.3., 3.3. ×2"."""
    quantities = dict(others)
    labels = []
    for day in range(1, days.bit_length() + 1):
        bit = 1 << (day - 1)
        if days & bit:
            label = f"{day}.{month}."
            labels.append(f"{label} ×{quantities[bit]}" if bit in quantities else label)
    return ", ".join(labels)


def _description(product: str, settings: MealSettings) -> str:
    if product == DELIVERY:
        return gettext("Deliveries")
    return settings.products.get(product, product)


def _line(
    customer_id: int,
    product: str,
    description: str,
    price: Decimal,
    days: int,
    others: dict[int, int],
    month: int,
) -> BillingLine:
    mine = tuple((bit, n) for bit, n in sorted(others.items()) if days & bit)
    return BillingLine(
        customer_id=customer_id,
        service=SERVICE,
        product=product,
        description=description,
        quantity=Decimal(days.bit_count() + sum(n - 1 for _, n in mine)),
        unit_price=price,
        detail=_detail(days, month, mine),
    )


async def billing_lines(period: BillingPeriod, settings: MealSettings) -> list[BillingLine]:
    month = await ledger.record_month(period, settings.holiday_rule)
    join_text = "group_concat" if is_sqlite(get_database().engine) else "string_agg"
    rows = await MealDay.raw(
        MONTH_LINES.format(join_text=join_text), period.first_day, period.last_day
    )
    if any(row["service"] not in month.customers for row in rows):
        # Another process recorded a new service between the two reads: look again.
        month = await ledger.record_month(period, settings.holiday_rule)
    prices = month_prices(settings, period)
    descriptions = {p: _description(p, settings) for p in {row["product"] for row in rows}}
    return [
        _line(
            month.customers[row["service"]],
            row["product"],
            descriptions[row["product"]],
            price,
            days,
            _other_quantities(row["other_quantities"]),
            period.month,
        )
        for row in rows
        if row["service"] in month.customers  # not a service deleted meanwhile
        for price, days in prices.split(row["product"], int(row["days"]))
    ]
