"""Billing lines: meals at each day's price, deliveries at the delivery fee, day-level detail."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from core.common.errors import ValidationFailed
from core.db import transaction
from core.plugins import BillingLine, BillingPeriod
from core.web.runtime import Runtime
from plugins.meals import ledger, services
from plugins.meals.billing import billing_lines
from plugins.meals.settings import current, parse_settings
from tests.helpers import SYSTEM, run_cli
from tests.plugins.meals.conftest import active_service, new_region, version_of, weekly_order

PRICES = parse_settings(
    {
        "prices": [
            {
                "product": "lunch",
                "valid_from": "2025-01-01",
                "valid_to": "2026-03-15",
                "price": "6.00",
            },
            {"product": "lunch", "valid_from": "2026-03-16", "price": "7.00"},
            {"product": "evening_meal", "valid_from": "2025-01-01", "price": "5.00"},
            {"product": "delivery", "valid_from": "2025-01-01", "price": "3.00"},
        ]
    }
)


async def test_mid_month_price_change_bills_each_day_at_its_price() -> None:
    region = await new_region()
    await active_service(region, start=dt.date(2026, 3, 2))
    lines = await billing_lines(BillingPeriod(2026, 3), PRICES)
    by_price = {(ln.product, ln.unit_price): ln for ln in lines}
    assert by_price[("lunch", Decimal("6.00"))].quantity == 14  # 2.–15.3.
    assert by_price[("lunch", Decimal("7.00"))].quantity == 16  # 16.–31.3.
    assert by_price[("lunch", Decimal("6.00"))].detail.startswith("2.3., 3.3.")
    # Mondays and Thursdays from 2.3.: 2, 5, 9, 12, 16, 19, 23, 26, 30 → 9 deliveries
    assert by_price[("delivery", Decimal("3.00"))].quantity == 9
    assert sum(ln.amount for ln in lines) == Decimal("14") * 6 + 16 * 7 + 9 * 3


async def test_pause_and_ending_reduce_the_bill() -> None:
    region = await new_region()
    service_id = await active_service(region, start=dt.date(2026, 3, 2))
    async with transaction():
        await services.pause_service(
            SYSTEM,
            service_id,
            await version_of(service_id),
            {"start_date": "2026-03-09", "end_date": "2026-03-15", "reason": "hospital"},
        )
        await services.request_ending(
            SYSTEM,
            service_id,
            await version_of(service_id),
            {"end_date": "2026-03-22", "ending_reason": "moved"},
        )
    lines = await billing_lines(BillingPeriod(2026, 3), PRICES)
    meals = sum(ln.quantity for ln in lines if ln.product == "lunch")
    assert meals == 21 - 7
    deliveries = next(ln for ln in lines if ln.product == "delivery")
    assert deliveries.quantity == 4  # 2, 5, 16, 19 March


async def test_opening_requests_are_not_billed() -> None:
    await new_region()
    assert await billing_lines(BillingPeriod(2026, 3), PRICES) == []


async def test_a_day_without_price_is_a_clear_error() -> None:
    region = await new_region()
    await active_service(region, start=dt.date(2024, 6, 3))
    with pytest.raises(ValidationFailed, match=r"(Kuljetus|Delivery|Lounas|Lunch) .*3\.6\.2024"):
        await billing_lines(BillingPeriod(2024, 6), PRICES)


def test_price_without_validity_is_a_configuration_error() -> None:
    from core.plugins import PluginConfigError

    with pytest.raises(PluginConfigError, match="valid_from"):
        parse_settings({"prices": [{"product": "lunch", "price": "6.00"}]})


def lunches(lines: list[BillingLine]) -> int:
    return sum(int(ln.quantity) for ln in lines if ln.product == "lunch")


async def test_a_change_after_a_report_shows_in_the_next_one() -> None:
    region = await new_region()
    service_id = await active_service(region, start=dt.date(2026, 3, 2))
    march = BillingPeriod(2026, 3)
    assert lunches(await billing_lines(march, PRICES)) == 30
    async with transaction():
        exception_id = await services.add_exception(
            SYSTEM, service_id, {"day": "2026-03-10", "kind": "cancel"}, PRICES
        )
    assert lunches(await billing_lines(march, PRICES)) == 29
    async with transaction():
        await services.remove_exception(SYSTEM, service_id, exception_id)
    assert lunches(await billing_lines(march, PRICES)) == 30
    async with transaction():
        await services.change_order(
            SYSTEM,
            service_id,
            await version_of(service_id),
            {**weekly_order(lunches=2), "valid_from": "2026-03-30"},
            PRICES,
        )
    assert lunches(await billing_lines(march, PRICES)) == 32


async def test_the_month_is_recorded_again_when_the_holiday_rule_changes() -> None:
    region = await new_region()
    await active_service(region, start=dt.date(2026, 3, 2))
    april = BillingPeriod(2026, 4)  # Easter Monday 6.4. is a Monday delivery

    def delivery_days(lines: list[BillingLine]) -> list[str]:
        return next(ln.detail for ln in lines if ln.product == "delivery").split(", ")

    moved = delivery_days(await billing_lines(april, PRICES))
    kept = delivery_days(await billing_lines(april, replace(PRICES, holiday_rule="keep")))
    assert "4.4." in moved and "6.4." not in moved
    assert "6.4." in kept and "4.4." not in kept


async def test_recording_a_month_writes_only_changed_services() -> None:
    region = await new_region()
    first = await active_service(region, start=dt.date(2026, 3, 2))
    await active_service(region, start=dt.date(2026, 3, 2))
    march = BillingPeriod(2026, 3)
    assert (await ledger.record_month(march, PRICES.holiday_rule)).written == 2
    assert (await ledger.record_month(march, PRICES.holiday_rule)).written == 0
    async with transaction():
        await services.add_exception(
            SYSTEM,
            first,
            {"day": "2026-03-11", "kind": "extra", "product": "lunch", "quantity": "1"},
            PRICES,
        )
    assert (await ledger.record_month(march, PRICES.holiday_rule)).written == 1


async def test_record_days_command_leaves_the_report_nothing_to_write(runtime: Runtime) -> None:
    region = await new_region()
    await active_service(region, start=dt.date(2026, 3, 2))
    march = BillingPeriod(2026, 3)
    recorded = run_cli(runtime, "meals", "record-days", "--month", "2026-03")
    assert recorded.returncode == 0, recorded.stderr
    assert "3/2026: 1 meal services, days recorded for 1." in recorded.stdout
    assert (await ledger.record_month(march, current().holiday_rule)).written == 0
    refused = run_cli(runtime, "meals", "record-days", "--month", "March")
    assert refused.returncode == 2 and "2026-10 or 10/2026" in refused.stdout
