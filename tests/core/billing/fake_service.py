"""A tiny service plugin for billing tests: its lines per month live in a dict the test changes."""

from __future__ import annotations

from decimal import Decimal

from core.plugins import BillingLine, BillingPeriod, hookimpl


class FakeService:
    """Registered into the real plugin manager; answers the billing hook asynchronously."""

    def __init__(self) -> None:
        self.lines: dict[tuple[int, int], list[BillingLine]] = {}
        self.calls: list[BillingPeriod] = []

    @hookimpl
    async def valvomo_billing_lines(self, period: BillingPeriod) -> list[BillingLine]:
        self.calls.append(period)
        return list(self.lines.get((period.year, period.month), []))

    def bill(
        self,
        year: int,
        month: int,
        customer_id: int,
        quantity: str,
        unit_price: str = "8.50",
        product: str = "Lunch",
        detail: str = "",
    ) -> None:
        """Replace the customer's line of this product and price in the month."""
        kept = [
            line
            for line in self.lines.get((year, month), [])
            if (line.customer_id, line.product, line.unit_price)
            != (customer_id, product, Decimal(unit_price))
        ]
        if Decimal(quantity):
            kept.append(
                BillingLine(
                    customer_id=customer_id,
                    service="Meals",
                    product=product,
                    description=f"{product} {quantity} pcs",
                    quantity=Decimal(quantity),
                    unit_price=Decimal(unit_price),
                    detail=detail,
                )
            )
        self.lines[(year, month)] = kept
