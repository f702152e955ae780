"""Fee decisions are core's: a security phone's monthly fee, installation and visits are split
by the decision in force on each day, as meal lines are, without code of the plugin's own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from core.billing import fees
from core.billing.lines import plugin_lines
from core.db import transaction
from core.plugins import BillingPeriod
from core.web.runtime import Runtime
from plugins.security_phones import settings as phone_settings
from plugins.security_phones.billing import billing_lines
from tests.helpers import SYSTEM
from tests.plugins.security_phones.test_phones_billing import service

MARCH = BillingPeriod(2026, 3)


async def decide(customer_id: int, **data: Any) -> None:
    base = {"basis": "tulot", "decided_by": "Sosiaalityöntekijä Laine"}
    async with transaction():
        await fees.add_decision(SYSTEM, customer_id, {**base, **data})


async def test_a_reduction_from_mid_month_splits_the_monthly_fee_by_days(
    prices: phone_settings.PhoneSettings,
) -> None:
    by_days = phone_settings.PhoneSettings("by_days", prices.prices)
    customer = await service(dt.date(2026, 3, 10), None, installed=dt.date(2026, 3, 25))
    await decide(customer, kind="reduction", percent="50", valid_from="20.3.2026")
    lines = await fees.apply_decisions(MARCH, await billing_lines(MARCH, by_days))
    monthly = sorted(
        (ln.unit_price, ln.quantity, ln.detail) for ln in lines if ln.product == "monthly_fee"
    )
    # 22 days from the 10th at 30/31 € a day: 10 at the full price, 12 at half price.
    assert monthly == [
        (Decimal("0.4838"), Decimal(12), "22/31 päivää; 20.–31.3."),
        (Decimal("0.9677"), Decimal(10), "22/31 päivää; 10.–19.3."),
    ]
    installation = next(ln for ln in lines if ln.product == "installation_fee")
    assert installation.unit_price == Decimal("25.0000")  # the 25th is under the decision
    assert "alennus 50 %" in installation.description


async def test_core_applies_decisions_to_every_plugins_lines(
    runtime: Runtime, prices: phone_settings.PhoneSettings
) -> None:
    customer = await service(dt.date(2026, 1, 1), None)
    await decide(customer, kind="waiver", valid_from="1.3.2026", valid_to="31.3.2026")
    lines = [ln for ln in await plugin_lines(runtime.host, MARCH) if ln.customer_id == customer]
    assert [(ln.product, ln.amount) for ln in lines] == [("monthly_fee", Decimal("0.00"))]
    assert lines[0].description.endswith("maksupäätös: maksu jätetty perimättä")
    april = [
        ln
        for ln in await plugin_lines(runtime.host, BillingPeriod(2026, 4))
        if ln.customer_id == customer
    ]
    assert [ln.amount for ln in april] == [Decimal("30.00")]  # the waiver ended with March
