"""Property: whoever the payer history and the fee decisions say, every day of a month's
invoice lines goes to the payer in force on that day, and the amount equals an independent
day-by-day count with the decision in force on each day, for any plugin's lines (here the fake
service's)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.billing import fees, invoices, services
from core.billing.days import decode, encode
from core.billing.tables import FeeDecision
from core.customers import payers
from core.customers.tables import CustomerPayer
from core.db import transaction
from core.plugins import BillingLine, BillingPeriod
from core.web.runtime import Runtime
from tests.core.billing.conftest import add_customer
from tests.core.billing.fake_service import FakeService
from tests.helpers import SYSTEM

MONTH = BillingPeriod(2025, 6)
PRICE = Decimal("8.50")
NAMES = ("", "Korhonen Liisa", "Laine Pekka", "Virtanen Kaisa")  # "" = the customer pays
days_of_month = st.integers(1, 30)


@st.composite
def payer_changes(draw: st.DrawFn) -> list[tuple[dt.date, str]]:
    starts = draw(st.lists(st.integers(0, 120), min_size=0, max_size=4, unique=True))
    first = dt.date(2025, 4, 1)
    return [(first + dt.timedelta(days=d), draw(st.sampled_from(NAMES))) for d in sorted(starts)]


@st.composite
def decisions(draw: st.DrawFn) -> tuple[str, Decimal | None, int, int | None] | None:
    if draw(st.booleans()):
        return None
    kind = draw(st.sampled_from(["reduction", "waiver"]))
    percent = draw(st.integers(1, 100)) if kind == "reduction" else None
    start = draw(days_of_month)
    end = draw(st.one_of(st.none(), st.integers(start, 30)))
    return kind, None if percent is None else Decimal(percent), start, end


def expected_payer(changes: list[tuple[dt.date, str]], day: dt.date, customer_name: str) -> str:
    in_force = [name for start, name in changes if start <= day]
    return (in_force[-1] if in_force else "") or customer_name


def expected_amount(billed: dict[int, int], decision: tuple | None) -> Decimal:  # type: ignore[type-arg]
    total = Decimal(0)
    for day, quantity in billed.items():
        price = PRICE
        if decision is not None:
            kind, percent, start, end = decision
            if start <= day and (end is None or day <= end):
                price = Decimal(0) if kind == "waiver" else (PRICE * (100 - percent) / 100)
        total += quantity * price.quantize(Decimal("0.0001"))
    return total


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    changes=payer_changes(),
    decision=decisions(),
    billed=st.dictionaries(days_of_month, st.integers(1, 3), min_size=1, max_size=12),
)
async def test_invoice_payer_and_amount(
    runtime: Runtime,
    fake_service: FakeService,
    changes: list[tuple[dt.date, str]],
    decision: tuple | None,  # type: ignore[type-arg]
    billed: dict[int, int],
) -> None:
    customer = await add_customer("Aino", "Virtanen")
    try:
        async with transaction():
            for start, name in changes:
                address = {"street_address": "Tie 1", "postal_code": "60100"} if name else {}
                await payers.add_payer(
                    SYSTEM, customer, {"valid_from": start.isoformat(), "name": name, **address},
                    None,
                )  # fmt: skip
            if decision is not None:
                kind, percent, start, end = decision
                await fees.add_decision(SYSTEM, customer, {
                    "kind": kind, "percent": str(percent or ""), "basis": "tulot",
                    "decided_by": "Laine", "valid_from": f"{start}.6.2025",
                    "valid_to": f"{end}.6.2025" if end else "",
                })  # fmt: skip
        quantity = Decimal(sum(billed.values()))
        fake_service.lines[(2025, 6)] = [
            BillingLine(customer, "meals", "lunch", "Lounas", quantity, PRICE, days=encode(billed))
        ]
        bill = await services.month_bill(runtime.host, MONTH)
        month = await invoices.invoice_month(bill, with_identity_codes=False)
        invoiced_days: dict[int, int] = {}
        for invoiced in month.customers:
            for item in invoiced.lines:
                for day, count in decode(item.line.days).items():
                    on = MONTH.first_day.replace(day=day)
                    assert invoiced.payer.name == expected_payer(changes, on, "Virtanen Aino")
                    invoiced_days[day] = invoiced_days.get(day, 0) + count
        assert invoiced_days == billed
        assert month.line_count >= len(bill.lines)
        exact = expected_amount(billed, decision)
        assert abs(month.total - exact) <= Decimal("0.01") * month.line_count
        assert month.total == bill.total_amount  # splitting by payer never moves a cent
    finally:
        await CustomerPayer.delete().where(CustomerPayer.customer == customer)
        await FeeDecision.delete().where(FeeDecision.customer == customer)
