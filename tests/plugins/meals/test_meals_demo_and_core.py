"""The demo data loads, and core billing accepts the meal lines through its hook contract."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from core.billing.lines import plugin_lines
from core.db import transaction
from core.plugins import BillingPeriod, DemoContext
from plugins.meals.demo import create_demo_data
from plugins.meals.settings import current
from plugins.meals.tables import DeliveryRoute, Kitchen, MealService
from tests.plugins.meals.conftest import active_service, new_customer, new_region


async def test_demo_data_builds_kitchens_routes_and_services() -> None:
    customers = [await new_customer() for _ in range(30)]
    demo = DemoContext(
        random=random.Random(1),
        customer_ids=customers,
        user_ids_by_role={},
        today=dt.date(2026, 11, 23),
        scale=0.02,
        progress=lambda _: None,
    )
    async with transaction():
        await create_demo_data(demo, current())
    assert await Kitchen.count() == 11 and await DeliveryRoute.count() == 60
    assert await MealService.count() == 24 + 6  # 24 running or ended, 6 openings waiting
    waiting = await MealService.count().where(MealService.status == "opening_requested")
    assert waiting == 6


async def test_core_billing_takes_the_meal_lines(runtime: Any) -> None:
    region = await new_region()
    await active_service(region)
    lines = await plugin_lines(runtime.host, BillingPeriod(2026, 3))
    meals = [ln for ln in lines if ln.service == "meals"]
    assert {ln.product for ln in meals} == {"lunch", "delivery"}
    assert sum(ln.quantity for ln in meals if ln.product == "lunch") == 30
