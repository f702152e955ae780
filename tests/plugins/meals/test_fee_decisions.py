"""Fee decisions applied day by day on meal lines and shown on them; bad decisions refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from core.billing import fees
from core.billing.tables import FeeDecision
from core.common.errors import ValidationFailed
from core.db import transaction
from core.plugins import BillingPeriod
from plugins.meals.billing import billing_lines
from plugins.meals.settings import current
from tests.helpers import SYSTEM
from tests.plugins.meals.conftest import active_service, new_region
from tests.plugins.meals.test_meals_billing import PRICES

MARCH = BillingPeriod(2026, 3)


async def decide(customer_id: int, **data: Any) -> int:
    base = {"basis": "income", "decided_by": "Sosiaalityöntekijä Laine"}
    async with transaction():
        return await fees.add_decision(SYSTEM, customer_id, {**base, **data})


async def customer_of(service_id: int) -> int:
    from plugins.meals.services import get_service

    return int((await get_service(service_id))["customer"])


async def test_a_reduction_and_a_waiver_apply_from_their_day() -> None:
    region = await new_region()
    customer = await customer_of(await active_service(region, start=dt.date(2026, 3, 2)))
    await decide(customer, kind="reduction", percent="30", valid_from="16.3.2026", product="lunch")
    await decide(customer, kind="waiver", valid_from="23.3.2026", product="delivery")
    lines = await billing_lines(MARCH, PRICES)
    parts = sorted((ln.product, ln.unit_price, int(ln.quantity)) for ln in lines)
    assert parts == [
        ("delivery", Decimal(0), 3),  # 23., 26., 30.3.
        ("delivery", Decimal("3.00"), 6),
        ("lunch", Decimal("4.9000"), 16),  # 7.00 − 30 % from 16.3.
        ("lunch", Decimal("6.00"), 14),
    ]
    reduced = next(ln for ln in lines if ln.unit_price == Decimal("4.9"))
    assert "30 %" in reduced.description and reduced.detail.startswith("16.3., 17.3.")
    waived = next(ln for ln in lines if ln.unit_price == 0)
    assert waived.days == "23,26,30"


async def test_a_fixed_price_never_raises_the_price() -> None:
    region = await new_region()
    customer = await customer_of(await active_service(region, start=dt.date(2026, 3, 2)))
    await decide(customer, kind="fixed_price", price="6,50", valid_from="1.3.2026")
    lines = await billing_lines(MARCH, PRICES)
    lunch = {ln.unit_price for ln in lines if ln.product == "lunch"}
    assert lunch == {Decimal("6.00"), Decimal("6.50")}  # 6.00 stays, 7.00 becomes 6.50


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "reduction", "percent": "120", "valid_from": "1.3.2026"}, "percent"),
        ({"kind": "reduction", "percent": "x", "valid_from": "1.3.2026"}, "percent"),
        ({"kind": "fixed_price", "price": "-1", "valid_from": "1.3.2026"}, "price"),
        ({"kind": "waiver", "valid_from": ""}, "valid_from"),
        ({"kind": "waiver", "valid_from": "1.3.2026", "basis": ""}, "basis"),
        ({"kind": "gift", "valid_from": "1.3.2026"}, "kind"),
        ({"kind": "waiver", "valid_from": "10.3.2026"}, "valid_from"),  # overlaps the first
    ],
)
async def test_bad_decisions_name_the_field_and_write_nothing(
    data: dict[str, str], field: str
) -> None:
    region = await new_region()
    customer = await customer_of(await active_service(region))
    await decide(customer, kind="waiver", valid_from="1.3.2026", valid_to="31.3.2026")
    with pytest.raises(ValidationFailed) as refused:
        await decide(customer, **data)
    assert field in refused.value.errors
    assert await FeeDecision.count() == 1
    assert current()  # the settings are untouched
