"""Property: whatever changes and closes happen, every euro is billed exactly once overall."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.billing import services
from core.billing.lines import MonthLine
from core.billing.tables import BilledLine, BillingPeriodRecord
from core.common.clock import today
from core.common.errors import ValidationFailed, VersionConflict
from core.db import transaction
from core.plugins import BillingPeriod
from core.web.runtime import Runtime
from tests.core.billing.conftest import add_customer
from tests.core.billing.fake_service import FakeService
from tests.helpers import SYSTEM

MONTHS = [BillingPeriod(2025, m) for m in range(1, 7)]
PRICES = ["8.50", "9.15", "3.333"]
Totals = dict[tuple[int, str, Decimal], tuple[Decimal, Decimal]]

change = st.tuples(
    st.just("set"),
    st.integers(0, len(MONTHS) - 1),
    st.integers(1, 3),
    st.sampled_from(PRICES),
    st.integers(0, 31),
)
close = st.tuples(
    st.just("close"), st.integers(0, len(MONTHS) - 1), st.just(0), st.just(""), st.just(0)
)


def add_up(lines: list[MonthLine], into: dict[tuple[int, str, Decimal], list[Decimal]]) -> None:
    for line in lines:
        into[line.key[0], line.product, line.unit_price][0] += line.quantity
        into[line.key[0], line.product, line.unit_price][1] += line.amount


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.one_of(change, change, close), max_size=25))
async def test_billed_over_all_months_equals_the_final_recomputed_totals(
    runtime: Runtime, fake_service: FakeService, steps: list[tuple[str, int, int, str, int]]
) -> None:
    await BilledLine.delete(force=True)
    await BillingPeriodRecord.delete(force=True)
    fake_service.lines.clear()
    customers = [await add_customer("Aino", f"Asiakas{n}") for n in range(3)]
    for action, month_index, customer, price, quantity in steps:
        month = MONTHS[month_index]
        if action == "set":
            customer_id = customers[customer - 1]
            fake_service.bill(month.year, month.month, customer_id, str(quantity), price)
            continue
        try:  # months out of order are refused; the invariant must hold either way
            async with transaction():
                await services.close_period(SYSTEM, runtime.host, month, 1, today())
            event("a month closed")
        except (ValidationFailed, VersionConflict):
            event("a close refused")

    billed: dict[tuple[int, str, Decimal], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
    for month in [*MONTHS, BillingPeriod(2025, 7)]:
        add_up((await services.month_bill(runtime.host, month)).lines, billed)
    expected: dict[tuple[int, str, Decimal], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
    for month in MONTHS:
        add_up(
            [
                MonthLine.from_plugin(x)
                for x in fake_service.lines.get((month.year, month.month), [])
            ],
            expected,
        )
    nonzero = {k: v for k, v in billed.items() if v != [0, 0]}
    assert nonzero == {k: v for k, v in expected.items() if v != [0, 0]}
