"""Price lists: seeds until a biller saves a price, next year's price ahead, overlaps and the
closed-month lock refused with a message naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.billing import prices
from core.billing.tables import BillingPeriodRecord, Price
from core.common.errors import ValidationFailed
from core.db import transaction
from core.plugins import PriceSeed, Product
from tests.helpers import SYSTEM

LUNCH = Product(
    "lunch",
    "meals",
    "Lunch",
    seed_prices=(PriceSeed(dt.date(2025, 1, 1), Decimal("6.50")),),
)


async def add(data: dict[str, str]) -> int:
    async with transaction():
        return await prices.add_price(SYSTEM, LUNCH, data)


async def test_seed_prices_apply_until_a_price_is_saved() -> None:
    seeded = await prices.price_list([LUNCH])
    assert seeded.price_on("lunch", dt.date(2026, 5, 1)) == Decimal("6.50")
    assert await Price.count() == 0


async def test_next_years_price_ends_the_running_one() -> None:
    await add({"amount": "6,90", "valid_from": "1.1.2027"})
    listed = await prices.price_list([LUNCH])
    assert listed.price_on("lunch", dt.date(2026, 12, 31)) == Decimal("6.50")
    assert listed.price_on("lunch", dt.date(2027, 1, 1)) == Decimal("6.90")
    periods = listed.of("lunch")
    assert [(p.valid_from, p.valid_to) for p in periods] == [
        (dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
        (dt.date(2027, 1, 1), None),
    ]
    actions = await _audit_actions()
    assert actions.count("create") == 2 and "update" in actions  # the seed, the new, the end


async def test_removing_next_years_price_lets_the_running_one_continue() -> None:
    price_id = await add({"amount": "6,90", "valid_from": "1.1.2027"})
    async with transaction():
        await prices.remove_price(SYSTEM, LUNCH, price_id, 1)
    listed = await prices.price_list([LUNCH])
    assert [(p.valid_from, p.valid_to) for p in listed.of("lunch")] == [(dt.date(2025, 1, 1), None)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "abc", "valid_from": "1.1.2027"}, "amount"),
        ({"amount": "-1", "valid_from": "1.1.2027"}, "amount"),
        ({"amount": "6,123456", "valid_from": "1.1.2027"}, "amount"),
        ({"amount": "6,90", "valid_from": ""}, "valid_from"),
        ({"amount": "6,90", "valid_from": "31.2.2027"}, "valid_from"),
        ({"amount": "6,90", "valid_from": "1.3.2027", "valid_to": "1.2.2027"}, "valid_to"),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    data: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await add(data)
    assert field in refused.value.errors
    assert await Price.count() == 0


async def test_an_overlapping_price_is_refused() -> None:
    await add({"amount": "7,00", "valid_from": "1.1.2027", "valid_to": "31.12.2027"})
    before = await Price.select().order_by(Price.id)
    with pytest.raises(ValidationFailed) as refused:
        await add({"amount": "7,50", "valid_from": "1.6.2027", "valid_to": "30.6.2027"})
    assert "valid_from" in refused.value.errors
    assert await Price.select().order_by(Price.id) == before


async def test_prices_of_closed_months_are_locked() -> None:
    await BillingPeriodRecord.insert(BillingPeriodRecord(year=2026, month=10, status="closed"))
    with pytest.raises(ValidationFailed) as refused:
        await add({"amount": "7,00", "valid_from": "1.10.2026"})
    assert "valid_from" in refused.value.errors
    price_id = await add({"amount": "7,00", "valid_from": "1.11.2026"})
    assert price_id
    seed = next(p for p in (await prices.price_list([LUNCH])).of("lunch") if p.id != price_id)
    assert seed.locked(await prices.last_closed_day())
    with pytest.raises(ValidationFailed):
        async with transaction():
            await prices.remove_price(SYSTEM, LUNCH, seed.id or 0, seed.version)


async def _audit_actions() -> list[str]:
    from core.audit.tables import AuditEntry

    rows = await AuditEntry.select(AuditEntry.action).where(AuditEntry.entity == "price")
    return [r["action"] for r in rows]
