"""Billing lines for a month: meals by eating day at each day's price, deliveries by delivery day.

Set-based: `plans.load_services` reads the month's services, order lines, exceptions and pauses
in four queries; everything else is computed in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from core.common.errors import ValidationFailed
from core.i18n import N_, gettext
from core.plugins import BillingLine, BillingPeriod
from plugins.meals.plans import LoadedService, load_services
from plugins.meals.schedule import compute_schedule
from plugins.meals.settings import DELIVERY, MealSettings

SERVICE = N_("meals")  # core billing shows codes through the catalogues


@lru_cache(maxsize=2048)
def day_text(day: dt.date, quantity: int) -> str:
    """A day of a line's detail in Finnish style, "2.3." or "2.3. ×2" (a month has few)."""
    label = f"{day.day}.{day.month}."
    return label if quantity == 1 else f"{label} ×{quantity}"


def _detail(days: dict[dt.date, int]) -> str:
    return ", ".join(day_text(day, n) for day, n in sorted(days.items()))


@dataclass
class LineBuilder:
    """Quantities per (product, unit price) with the days behind them."""

    days: dict[tuple[str, Decimal], dict[dt.date, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )

    def add(self, product: str, price: Decimal, day: dt.date, quantity: int) -> None:
        self.days[(product, price)][day] += quantity


class PriceBook:
    """Each (product, day) price looked up once per report."""

    def __init__(self, settings: MealSettings) -> None:
        self.settings = settings
        self.known: dict[tuple[str, dt.date], Decimal] = {}

    def price(self, product: str, day: dt.date) -> Decimal:
        key = (product, day)
        if key not in self.known:
            try:
                self.known[key] = self.settings.price_on(product, day)
            except LookupError as exc:
                message = N_("A day of this month has no valid price.")
                raise ValidationFailed({"period": message}) from exc
        return self.known[key]


def service_lines(
    service: LoadedService,
    period: BillingPeriod,
    settings: MealSettings,
    prices: PriceBook | None = None,
) -> list[BillingLine]:
    prices = prices or PriceBook(settings)
    schedule = compute_schedule(
        service.plan, period.first_day, period.last_day, settings.holiday_rule
    )
    builder = LineBuilder()
    for day, meals in schedule.meals.items():
        for product, quantity in meals.items():
            builder.add(product, prices.price(product, day), day, quantity)
    for day in schedule.deliveries:
        builder.add(DELIVERY, prices.price(DELIVERY, day), day, 1)
    customer_id = service.row["customer"]
    lines = []
    for (product, price), days in sorted(builder.days.items()):
        label = (
            gettext("Deliveries")
            if product == DELIVERY
            else settings.products.get(product, product)
        )
        lines.append(
            BillingLine(
                customer_id=customer_id,
                service=SERVICE,
                product=product,
                description=label,
                quantity=Decimal(sum(days.values())),
                unit_price=price,
                detail=_detail(days),
            )
        )
    return lines


async def billing_lines(period: BillingPeriod, settings: MealSettings) -> list[BillingLine]:
    services = await load_services(period.first_day, period.last_day, details=False)
    prices = PriceBook(settings)
    return [
        line for service in services for line in service_lines(service, period, settings, prices)
    ]
