"""Billing lines for a month: meals by eating day at each day's price, deliveries by delivery day.

Set-based: `plans.load_services` reads the month's services, order lines, exceptions and pauses
in four queries; everything else is computed in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from core.common.errors import ValidationFailed
from core.i18n import N_
from core.plugins import BillingLine, BillingPeriod
from plugins.meals.plans import LoadedService, load_services
from plugins.meals.schedule import compute_schedule
from plugins.meals.settings import DELIVERY, MealSettings

SERVICE = "meals"


def day_label(day: dt.date) -> str:
    return f"{day.day}.{day.month}."


def _detail(days: dict[dt.date, int]) -> str:
    return ", ".join(
        f"{day_label(day)} ×{n}" if n != 1 else day_label(day) for day, n in sorted(days.items())
    )


@dataclass
class LineBuilder:
    """Quantities per (product, unit price) with the days behind them."""

    days: dict[tuple[str, Decimal], dict[dt.date, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )

    def add(self, product: str, price: Decimal, day: dt.date, quantity: int) -> None:
        self.days[(product, price)][day] += quantity


def _price(settings: MealSettings, product: str, day: dt.date) -> Decimal:
    try:
        return settings.price_on(product, day)
    except LookupError as exc:
        raise ValidationFailed({"period": N_("A day of this month has no valid price.")}) from exc


def service_lines(
    service: LoadedService, period: BillingPeriod, settings: MealSettings
) -> list[BillingLine]:
    schedule = compute_schedule(
        service.plan, period.first_day, period.last_day, settings.holiday_rule
    )
    builder = LineBuilder()
    for day, meals in schedule.meals.items():
        for product, quantity in meals.items():
            builder.add(product, _price(settings, product, day), day, quantity)
    for day in schedule.deliveries:
        builder.add(DELIVERY, _price(settings, DELIVERY, day), day, 1)
    customer_id = service.row["customer"]
    lines = []
    for (product, price), days in sorted(builder.days.items()):
        label = "Deliveries" if product == DELIVERY else settings.products.get(product, product)
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
    services = await load_services(period.first_day, period.last_day)
    return [line for service in services for line in service_lines(service, period, settings)]
