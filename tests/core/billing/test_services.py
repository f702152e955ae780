"""Billing services directly: months, plugin contract, corrections in gaps and the snapshot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

import pytest

from core.billing import services
from core.billing.lines import MonthLine, corrections
from core.billing.periods import months_between, next_period, period_of, previous_period
from core.billing.views import parse_month_input
from core.common.errors import NotFound, ValidationFailed
from core.db import transaction
from core.plugins import BillingLine, BillingPeriod, hookimpl
from core.plugins.host import PluginError
from core.web.runtime import Runtime
from tests.core.billing.conftest import add_customer
from tests.core.billing.fake_service import FakeService
from tests.helpers import SYSTEM

JAN, FEB, MAR, APR = (BillingPeriod(2025, m) for m in (1, 2, 3, 4))
LATER = BillingPeriod(2026, 1).first_day


def test_months_step_over_year_ends_and_refuse_impossible_ones() -> None:
    assert next_period(BillingPeriod(2025, 12)) == BillingPeriod(2026, 1)
    assert previous_period(BillingPeriod(2025, 1)) == BillingPeriod(2024, 12)
    assert list(months_between(BillingPeriod(2024, 11), BillingPeriod(2025, 2))) == [
        BillingPeriod(2024, 12),
        BillingPeriod(2025, 1),
    ]
    for year, month in ((2025, 0), (2025, 13), (1999, 5), (2101, 1)):
        with pytest.raises(NotFound):
            period_of(year, month)


def test_month_input_accepts_iso_and_finnish_forms() -> None:
    assert parse_month_input("2025-03") == MAR
    assert parse_month_input(" 3/2025 ") == MAR
    assert parse_month_input("3.2025") == MAR
    for bad in ("", "2025-13", "maaliskuu", "2025-3-1"):
        with pytest.raises(ValidationFailed):
            parse_month_input(bad)


def test_correction_amount_is_the_difference_of_rounded_amounts() -> None:
    def line(quantity: str) -> MonthLine:
        q, price = Decimal(quantity), Decimal("0.335")
        return MonthLine(1, "Meals", "Soup", "", q, price, (q * price).quantize(Decimal("0.01")))

    billed = [line("1")]  # 0.335 rounds to 0.34
    found = corrections(JAN, [line("2")], billed)  # 0.67 now
    assert [(c.quantity, c.amount, c.corrects) for c in found] == [
        (Decimal(1), Decimal("0.33"), JAN)
    ]
    assert corrections(JAN, billed, billed) == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("not a line", "not BillingLine"),
        (BillingLine(1, "Meals", "Lunch", "", Decimal(1), 8.5), r"unit_price is 8\.5, a float"),  # type: ignore[arg-type]
        (BillingLine(None, "Meals", "Lunch", "", Decimal(1), Decimal(1)), "without a customer"),  # type: ignore[arg-type]
        (BillingLine(1, "", "Lunch", "", Decimal(1), Decimal(1)), "service is empty"),
        (BillingLine(1, "Meals", "x" * 121, "", Decimal(1), Decimal(1)), "product is empty or"),
        (BillingLine(1, "Meals", "Lunch", "", Decimal("NaN"), Decimal(1)), "finite"),
        (BillingLine(1, "Meals", "Lunch", "", Decimal(10) ** 12, Decimal(1)), "absurd"),
        (BillingLine(1, "Meals", "Lunch", "", Decimal("0.3333"), Decimal(1)), "3 decimals"),
        (BillingLine(1, "Meals", "Lunch", "", Decimal(1), Decimal("8.12345")), "4 in unit"),
    ],
)
async def test_a_plugin_breaking_the_line_contract_is_refused(
    runtime: Runtime, value: object, problem: str
) -> None:
    class Broken:
        @hookimpl
        def valvomo_billing_lines(self, period: BillingPeriod) -> list[object]:
            return [value]

    runtime.host.pm.register(Broken(), name="broken_billing")
    try:
        with pytest.raises(PluginError, match=problem) as refused:
            await services.month_bill(runtime.host, JAN)
        assert refused.value.plugin == "broken_billing"
    finally:
        runtime.host.pm.unregister(name="broken_billing")


async def test_a_line_for_a_customer_that_does_not_exist_is_refused_naming_the_plugin(
    runtime: Runtime, make_customer: Callable[..., Awaitable[int]]
) -> None:
    customer_id = await make_customer(last_name="Olemassa")
    missing_id = customer_id + 1000

    class Stray:
        @hookimpl
        def valvomo_billing_lines(self, period: BillingPeriod) -> list[BillingLine]:
            return [
                BillingLine(customer_id, "Meals", "Lunch", "", Decimal(1), Decimal("8.50")),
                BillingLine(missing_id, "Meals", "Lunch", "", Decimal(1), Decimal("8.50")),
            ]

    runtime.host.pm.register(Stray(), name="stray_billing")
    try:
        with pytest.raises(PluginError) as refused:
            await services.month_bill(runtime.host, JAN)
    finally:
        runtime.host.pm.unregister(name="stray_billing")
    assert refused.value.plugin == "stray_billing"
    assert f"customer_id {missing_id}, but no customer has that id" in str(refused.value)
    assert "Plugin 'stray_billing'" in str(refused.value)


async def test_corrections_go_to_the_first_open_month_after_the_closed_run(
    runtime: Runtime, fake_service: FakeService
) -> None:
    customer = await add_customer("Aino", "Korhonen")
    fake_service.bill(2025, 1, customer, "10")
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, JAN, 1, LATER)
    fake_service.bill(2025, 1, customer, "12")
    february = await services.month_bill(runtime.host, FEB)
    assert [(x.quantity, x.corrects) for x in february.lines] == [(Decimal(2), JAN)]
    assert (await services.month_bill(runtime.host, MAR)).lines == []
    with pytest.raises(services.EarlierMonthOpen) as refused:
        async with transaction():
            await services.close_period(SYSTEM, runtime.host, MAR, 1, LATER)
    assert refused.value.month == FEB
    async with transaction():
        closed = await services.close_period(SYSTEM, runtime.host, FEB, 1, LATER)
    assert closed.state.is_closed and closed.state.version == 2
    assert (await services.month_bill(runtime.host, MAR)).lines == []


async def test_a_closed_month_is_read_from_its_snapshot_without_asking_plugins(
    runtime: Runtime, fake_service: FakeService
) -> None:
    customer = await add_customer("Aino", "Korhonen")
    fake_service.bill(2025, 1, customer, "10", detail="ten days")
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, JAN, 1, LATER)
    fake_service.calls.clear()
    fake_service.bill(2025, 1, customer, "0")
    bill = await services.month_bill(runtime.host, JAN)
    assert fake_service.calls == []
    assert [(x.quantity, x.amount, x.detail) for x in bill.lines] == [
        (Decimal(10), Decimal("85.00"), "ten days")
    ]
    assert bill.total_amount == Decimal("85.00")
