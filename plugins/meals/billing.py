"""Billing lines for a month: meals by eating day at each day's price, deliveries by delivery day.

The month's recorded days (`plugins.meals.ledger`) are brought up to date, then one SQL query
sums them per service and product; each sum is split by the prices valid on its days.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from plugins.meals import ledger
from plugins.meals.settings import DELIVERY, SERVICE, MealSettings
from plugins.meals.tables import MealDay
from valvomo.api import (
    BillingLine,
    BillingPeriod,
    ValidationFailed,
    fees,
    fmt_date,
    gettext,
    price_list,
)
from valvomo.api import encode_days as day_code

OtherQuantities = tuple[tuple[int, int], ...]  # (day bit, quantity) of days not of one meal


# One statement (one snapshot) in two parts. First each line's days as one integer: the recorded
# days of a service and product have distinct `day_bit`s, so their sum is the set of days; this
# part reads the rows as a plain SUM would. Then the few days with more than one meal of a
# product (index `meals_day_other_quantities`), each with its quantity.
MONTH_DAYS = """
SELECT service, product, SUM(day_bit) AS days, NULL AS quantity FROM meals_day
WHERE day >= {} AND day <= {}{only} GROUP BY service, product
UNION ALL
SELECT service, product, day_bit, quantity FROM meals_day
WHERE day >= {} AND day <= {} AND quantity <> 1{only}
"""


class MissingPrice(ValidationFailed):
    """A billed day of a product has no valid price."""


@dataclass(frozen=True)
class MonthPrices:
    """Each product's prices in a month with the days (as bits) each one is valid on."""

    period: BillingPeriod
    masks: dict[str, list[tuple[Decimal, int]]]
    unpriced: dict[str, int]

    def split(self, product: str, days: int) -> list[tuple[Decimal, int]]:
        """`days` of `product` by unit price (`check` has made sure every day has one)."""
        return [(price, days & mask) for price, mask in self.masks[product] if days & mask]

    def check(self, used: dict[str, int], labels: dict[str, str]) -> None:
        """Refuse the month, naming the earliest day of any product that has no price."""
        missing = [
            (self.period.first_day.replace(day=(gap & -gap).bit_length()), product)
            for product, days in used.items()
            if (gap := days & self.unpriced.get(product, days))
        ]
        if missing:
            day, product = min(missing)
            message = gettext(
                "No valid price for %(product)s on %(day)s: add one on the billing price pages.",
                product=gettext(labels.get(product, product)),
                day=fmt_date(day),
            )
            raise MissingPrice({"period": message})


async def month_prices(settings: MealSettings, period: BillingPeriod) -> MonthPrices:
    """The month's prices from core's price lists (seeded from the settings)."""
    prices = await price_list(settings.products_for_billing())
    masks: dict[str, dict[Decimal, int]] = {}
    unpriced: dict[str, int] = {}
    for product in prices.periods:
        by_price, missing = masks.setdefault(product, {}), 0
        for day in range(1, period.last_day.day + 1):
            try:
                price = prices.price_on(product, period.first_day.replace(day=day))
            except LookupError:
                missing |= 1 << (day - 1)
                continue
            by_price[price] = by_price.get(price, 0) | 1 << (day - 1)
        unpriced[product] = missing
    return MonthPrices(period, {p: list(m.items()) for p, m in masks.items()}, unpriced)


def _detail(days: int, month: int, others: OtherQuantities) -> str:
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


@dataclass(frozen=True)
class PricedDays:
    """The part of a service's month of one product billed at one unit price."""

    unit_price: Decimal
    quantity: Decimal
    detail: str
    days: str  # core's day code, "3,4,5:2"


class MonthLines:
    """Turns a month's summed days into priced parts. Most services share a few weekly patterns,
    so each distinct (product, days, other quantities) is priced and labelled once."""

    def __init__(self, prices: MonthPrices, month: int) -> None:
        self.prices = prices
        self.month = month
        self._parts: dict[tuple[str, int, OtherQuantities], list[PricedDays]] = {}

    def parts(self, product: str, days: int, others: OtherQuantities) -> list[PricedDays]:
        key = (product, days, others)
        if key not in self._parts:
            self._parts[key] = [
                self._priced(price, priced_days, others)
                for price, priced_days in self.prices.split(product, days)
            ]
        return self._parts[key]

    def _priced(self, price: Decimal, days: int, others: OtherQuantities) -> PricedDays:
        mine = tuple((bit, n) for bit, n in others if days & bit)
        quantity = days.bit_count() + sum(n - 1 for _, n in mine)
        quantities = dict(mine)
        code = day_code(
            {d: quantities.get(1 << (d - 1), 1) for d in range(1, 32) if days & 1 << (d - 1)}
        )
        return PricedDays(price, Decimal(quantity), _detail(days, self.month, mine), code)


async def billing_lines(period: BillingPeriod, settings: MealSettings) -> list[BillingLine]:
    """The month's lines as they are billed: priced, then split by the customers' fee
    decisions as core billing does for every plugin (the meals report and API show these)."""
    return await fees.apply_decisions(period, await priced_lines(period, settings))


async def priced_lines(
    period: BillingPeriod, settings: MealSettings, customers: frozenset[int] | None = None
) -> list[BillingLine]:
    """The month's lines at the price lists' prices, for core billing's hook (core applies the
    fee decisions); of `customers` only, if given."""
    month = await ledger.record_month(period, settings.holiday_rule)
    services = None
    if customers is not None:
        services = {s for s, customer in month.customers.items() if customer in customers}
    rows, others = await _month_days(period, services)
    if any(service not in month.customers for service, _ in rows):
        # Another process recorded a new service between the two reads: look again.
        month = await ledger.record_month(period, settings.holiday_rule)
    prices = await month_prices(settings, period)
    used: dict[str, int] = {}
    for (_service, product), days in rows.items():
        used[product] = used.get(product, 0) | days
    prices.check(used, {p.code: p.label for p in settings.products_for_billing()})
    priced = MonthLines(prices, period.month)
    descriptions = {p: _description(p, settings) for p in {product for _, product in rows}}
    lines = []
    for (service, product), days in rows.items():
        customer = month.customers.get(service)
        if customer is None:  # a service deleted meanwhile
            continue
        for part in priced.parts(product, days, others.get((service, product), ())):
            lines.append(BillingLine(
                customer_id=customer,
                service=SERVICE,
                product=product,
                description=descriptions[product],
                quantity=part.quantity,
                unit_price=part.unit_price,
                detail=part.detail,
                days=part.days,
            ))  # fmt: skip
    return lines


async def _month_days(
    period: BillingPeriod, services: set[int] | None = None
) -> tuple[dict[tuple[int, str], int], dict[tuple[int, str], OtherQuantities]]:
    """Each (service, product)'s days of the month, and its days with more than one meal; of
    `services` only, if given."""
    first, last = period.first_day, period.last_day
    days: dict[tuple[int, str], int] = {}
    others: dict[tuple[int, str], list[tuple[int, int]]] = {}
    sql = MONTH_DAYS.replace("{only}", "")
    if services is not None:
        ids = ", ".join(str(int(s)) for s in sorted(services)) or "0"
        sql = MONTH_DAYS.replace("{only}", f" AND service IN ({ids})")
    for row in await MealDay.raw(sql, first, last, first, last):
        key = (row["service"], row["product"])
        if row["quantity"] is None:
            days[key] = int(row["days"])
        else:
            others.setdefault(key, []).append((int(row["days"]), row["quantity"]))
    return days, {key: tuple(sorted(pairs)) for key, pairs in others.items()}
