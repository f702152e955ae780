"""Regression tests of the faults found when billing met the kitchens' lists (issue 11)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.common.errors import ValidationFailed
from core.db import transaction
from core.plugins import BillingPeriod
from core.web.runtime import Runtime
from plugins.meals import services
from plugins.meals.billing import MissingPrice, billing_lines
from plugins.meals.lists import production_list, route_delivery_list
from plugins.meals.settings import DELIVERY, current, parse_settings
from tests.helpers import SYSTEM, run_cli
from tests.plugins.meals.conftest import active_service, new_region

MARCH = BillingPeriod(2026, 3)


async def test_a_service_starting_between_deliveries_is_billed_as_the_lists_show() -> None:
    region = await new_region()
    tuesday = dt.date(2026, 3, 3)  # Monday's delivery carries Mon–Wed
    await active_service(region, start=tuesday)
    lines = await billing_lines(MARCH, current())
    billed_meals = sum(int(ln.quantity) for ln in lines if ln.product != DELIVERY)
    billed_deliveries = sum(int(ln.quantity) for ln in lines if ln.product == DELIVERY)

    listed_meals = listed_deliveries = kitchen_meals = 0
    day = MARCH.first_day
    while day <= MARCH.last_day:
        stops = await route_delivery_list(region.route, day, current())
        listed_deliveries += len(stops)
        listed_meals += sum(1 for s in stops for d in s.meal_days if d.month == 3)
        kitchen = await production_list(region.kitchen, day, current())
        kitchen_meals += sum(kitchen.values())
        day += dt.timedelta(days=1)
    assert not await route_delivery_list(region.route, dt.date(2026, 3, 2), current())
    first = await route_delivery_list(region.route, tuesday, current())
    assert first[0].meal_days == [tuesday, dt.date(2026, 3, 4)]
    assert billed_meals == listed_meals == 29  # 3.–31.3.
    assert billed_deliveries == listed_deliveries
    assert kitchen_meals == listed_meals + 1  # Monday 30.3. also carries 1.4.
    delivery = next(ln for ln in lines if ln.product == DELIVERY)
    assert delivery.detail.startswith("3.3., 5.3.")


@pytest.mark.parametrize(("kind", "quantity"), [("extra", "10"), ("replace", "11")])
async def test_an_exception_cannot_take_a_day_over_ten_meals(kind: str, quantity: str) -> None:
    region = await new_region()
    service_id = await active_service(region)
    with pytest.raises(ValidationFailed) as refused:
        async with transaction():
            await services.add_exception(
                SYSTEM,
                service_id,
                {"day": "2026-03-10", "kind": kind, "product": "lunch", "quantity": quantity},
                current(),
            )
    assert "quantity" in refused.value.errors
    lines = await billing_lines(MARCH, current())
    assert sum(int(ln.quantity) for ln in lines if ln.product == "lunch") == 30


async def test_an_exception_up_to_ten_meals_is_billed() -> None:
    region = await new_region()
    service_id = await active_service(region)
    async with transaction():
        await services.add_exception(
            SYSTEM,
            service_id,
            {"day": "2026-03-10", "kind": "extra", "product": "lunch", "quantity": "9"},
            current(),
        )
    lines = await billing_lines(MARCH, current())
    assert sum(int(ln.quantity) for ln in lines if ln.product == "lunch") == 30 + 9


async def test_a_missing_price_names_the_product_and_the_earliest_day() -> None:
    region = await new_region()
    await active_service(region, start=dt.date(2024, 6, 10))  # listed first
    await active_service(region, start=dt.date(2024, 6, 3))
    settings = parse_settings(
        {
            "prices": [
                {"product": "lunch", "valid_from": "2025-01-01", "price": "6.00"},
                {"product": "evening_meal", "valid_from": "2024-01-01", "price": "5.00"},
                {"product": "delivery", "valid_from": "2024-01-01", "price": "3.00"},
            ]
        }
    )
    with pytest.raises(MissingPrice) as refused:
        await billing_lines(BillingPeriod(2024, 6), settings)
    message = str(refused.value.errors["period"])
    assert "3.6.2024" in message and "10.6." not in message
    assert "Lounas" in message or "Lunch" in message  # the name (in Finnish), not "lunch"


async def test_a_missing_price_is_one_line_and_exit_code_2_in_the_cli(runtime: Runtime) -> None:
    region = await new_region()
    await active_service(region, start=dt.date(2024, 12, 20))
    await active_service(region, start=dt.date(2024, 12, 16))
    result = run_cli(runtime, "billing", "export", "2024-12")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "16.12.2024" in result.stderr
    assert "delivery" not in result.stderr  # the product's name, not its code
    assert "never awaited" not in result.stderr and "Traceback" not in result.stderr
