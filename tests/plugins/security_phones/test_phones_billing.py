"""Billing lines under both start/end-month rules, across month boundaries, with dated prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.billing import services
from core.common.clock import HELSINKI
from core.db import transaction
from core.i18n import gettext
from core.plugins import BillingPeriod, PluginConfigError
from core.web.runtime import Runtime
from plugins.security_phones import settings as phone_settings
from plugins.security_phones.billing import billable_share, billing_lines
from plugins.security_phones.tables import (
    Alarm,
    AlarmCentre,
    AlarmVisit,
    Device,
    Installation,
    PhoneService,
)
from tests.helpers import SYSTEM
from tests.plugins.security_phones.factories import new_customer

MARCH, APRIL = BillingPeriod(2026, 3), BillingPeriod(2026, 4)


def test_shares_under_each_rule() -> None:
    start, end = dt.date(2026, 3, 20), dt.date(2026, 4, 10)
    assert billable_share(start, end, MARCH, "whole_month") == (Decimal(1), 12)
    assert billable_share(start, end, APRIL, "whole_month") == (Decimal(1), 10)
    assert billable_share(start, end, MARCH, "by_days") == (Decimal("0.387"), 12)
    assert billable_share(start, end, APRIL, "by_days") == (Decimal("0.333"), 10)
    assert billable_share(start, None, APRIL, "by_days") == (Decimal(1), 30)
    assert billable_share(start, end, BillingPeriod(2026, 5), "by_days") == (Decimal(0), 0)
    assert billable_share(dt.date(2026, 2, 28), dt.date(2026, 3, 1), MARCH, "by_days")[1] == 1


async def service(start: dt.date, end: dt.date | None, installed: dt.date | None = None) -> int:
    customer = await new_customer()
    await PhoneService.insert(
        PhoneService(
            customer=customer,
            decision_date=start,
            start_date=start,
            end_date=end,
            installation_date=installed,
        )
    )
    return customer


def by_product(lines: list, customer: int) -> dict[str, tuple[Decimal, Decimal]]:  # type: ignore[type-arg]
    return {l.product: (l.quantity, l.unit_price) for l in lines if l.customer_id == customer}  # noqa: E741


@pytest.mark.parametrize("rule", ["whole_month", "by_days"])
async def test_start_and_end_months(prices: phone_settings.PhoneSettings, rule: str) -> None:
    settings = phone_settings.PhoneSettings(rule, prices.prices)
    spanning = await service(
        dt.date(2026, 3, 20), dt.date(2026, 4, 10), installed=dt.date(2026, 3, 21)
    )
    whole = await service(dt.date(2026, 1, 1), None)
    ended_before = await service(dt.date(2026, 1, 1), dt.date(2026, 2, 28))
    march = await billing_lines(MARCH, settings)
    april = await billing_lines(APRIL, settings)
    # by_days: the days at the monthly price over the month's days (30/31 € and 30/30 €)
    expected_march = (
        (Decimal(1), Decimal("30.00")) if rule == "whole_month" else (12, Decimal("0.9677"))
    )
    expected_april = (Decimal(1), Decimal("30.00")) if rule == "whole_month" else (10, Decimal(1))
    assert by_product(march, spanning) == {
        "monthly_fee": expected_march,
        "installation_fee": (Decimal(1), Decimal("50.00")),
    }
    assert by_product(april, spanning) == {"monthly_fee": expected_april}
    assert by_product(march, whole) == {"monthly_fee": (Decimal(1), Decimal("30.00"))}
    assert by_product(march, ended_before) == {}
    fee = next(line for line in march if line.customer_id == spanning)
    assert (fee.description, fee.detail) == ("Turvapuhelimen kuukausimaksu", "12/31 päivää")
    amounts = [l.amount for l in april if l.customer_id == spanning]  # noqa: E741
    assert amounts == [Decimal("30.00") if rule == "whole_month" else Decimal("10.00")]


async def test_price_validity_extra_devices_and_visits(
    prices: phone_settings.PhoneSettings,
) -> None:
    customer = await service(dt.date(2026, 1, 1), None)
    july = BillingPeriod(2026, 7)
    fall = (
        await Device.insert(Device(serial_number="F1", model="M", kind="fall_detector")).returning(
            Device.id
        )
    )[0]["id"]
    base = (
        await Device.insert(Device(serial_number="B1", model="M", kind="base_unit")).returning(
            Device.id
        )
    )[0]["id"]
    await Installation.insert(
        Installation(device=fall, customer=customer, installed_on=dt.date(2026, 7, 16)),
        Installation(device=base, customer=customer, installed_on=dt.date(2026, 1, 1)),
    )
    centre = (
        await AlarmCentre.insert(
            AlarmCentre(name="C", token_hash="x" * 64, created_at=dt.datetime.now(dt.UTC))
        ).returning(AlarmCentre.id)
    )[0]["id"]
    # billed by the Helsinki day sent: 31 July 23.35 is July, 1 August 00.35 is not
    for n, moment in enumerate(
        [
            dt.datetime(2026, 7, 31, 23, 30, tzinfo=HELSINKI),
            dt.datetime(2026, 8, 1, 0, 30, tzinfo=HELSINKI),
            dt.datetime(2026, 7, 2, 9, 0, tzinfo=HELSINKI),
        ]
    ):
        alarm = (
            await Alarm.insert(
                Alarm(
                    centre=centre,
                    centre_alarm_id=str(n),
                    occurred_at=moment,
                    customer=customer,
                    kind="fall",
                    visit_needed=True,
                )
            ).returning(Alarm.id)
        )[0]["id"]
        await AlarmVisit.insert(
            AlarmVisit(alarm=alarm, dispatched_at=moment + dt.timedelta(minutes=5))
        )
    july_lines = by_product(await billing_lines(july, prices), customer)
    assert july_lines["monthly_fee"] == (Decimal(1), Decimal("31.00"))  # the price from 1 July
    assert july_lines["extra_device_fee"] == (Decimal(1), Decimal("5.00"))  # base unit is not extra
    assert july_lines["visit_fee"] == (Decimal(2), Decimal("25.00"))
    by_days = phone_settings.PhoneSettings("by_days", prices.prices)
    extra = by_product(await billing_lines(july, by_days), customer)["extra_device_fee"]
    assert extra == (Decimal(16), Decimal("0.1613"))  # 16 days at 5,00 € / 31
    june = by_product(await billing_lines(BillingPeriod(2026, 6), prices), customer)
    assert june == {"monthly_fee": (Decimal(1), Decimal("30.00"))}


async def test_no_price_means_no_line() -> None:
    customer = await service(dt.date(2026, 1, 1), None)
    assert by_product(await billing_lines(MARCH, phone_settings.PhoneSettings()), customer) == {}


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"start_end_month_rule": "weekly"}, "start_end_month_rule"),
        ({"colour": "red"}, "unknown settings: colour"),
        (
            {"prices": [{"product": "cake", "amount": "1", "valid_from": "2026-01-01"}]},
            "prices[0].product",
        ),
        (
            {"prices": [{"product": "visit_fee", "amount": "x", "valid_from": "2026-01-01"}]},
            "prices[0].amount",
        ),
        (
            {"prices": [{"product": "visit_fee", "amount": "1", "valid_from": "soon"}]},
            "prices[0].valid_from",
        ),
        (
            {
                "prices": [
                    {"product": "visit_fee", "amount": "1", "valid_from": "2026-01-01"},
                    {"product": "visit_fee", "amount": "2", "valid_from": "2026-06-01"},
                ]
            },
            "same days",
        ),
    ],
)
def test_bad_settings_stop_start_up(
    raw: dict[str, object], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(phone_settings, "_current", phone_settings.current())
    with pytest.raises(PluginConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        phone_settings.configure(raw)


@pytest.mark.nodb
@given(
    start=st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)),
    length=st.one_of(st.none(), st.integers(0, 800)),
    year=st.integers(2025, 2027),
    month=st.integers(1, 12),
)
def test_shares_are_between_nothing_and_a_whole_month(
    start: dt.date, length: int | None, year: int, month: int
) -> None:
    period = BillingPeriod(year, month)
    end = None if length is None else start + dt.timedelta(days=length)
    whole, days = billable_share(start, end, period, "whole_month")
    by_days, same_days = billable_share(start, end, period, "by_days")
    assert days == same_days and 0 <= days <= period.last_day.day
    assert whole == (1 if days else 0)
    assert 0 <= by_days <= 1 and (by_days == 1) == (days == period.last_day.day)
    assert abs(by_days - Decimal(days) / period.last_day.day) <= Decimal("0.0005")


async def test_a_later_start_in_a_closed_month_is_corrected_naming_the_days_removed(
    runtime: Runtime, prices: phone_settings.PhoneSettings
) -> None:
    """Billed by days, a service that started on the 20th of a closed month but should have
    started on the 25th: the correction says which days were taken off, not today's detail."""
    phone_settings.configure({"start_end_month_rule": "by_days", "prices": [
        {"product": p.product, "amount": str(p.amount), "valid_from": p.valid_from.isoformat(),
         **({"valid_to": p.valid_to.isoformat()} if p.valid_to else {})}
        for p in prices.prices
    ]})  # fmt: skip
    customer = await service(dt.date(2026, 3, 20), None)
    async with transaction():
        await services.close_period(SYSTEM, runtime.host, MARCH, 1, dt.date(2026, 4, 1))
    await PhoneService.update({PhoneService.start_date: dt.date(2026, 3, 25)}).where(
        PhoneService.customer == customer
    )

    bill = await services.month_bill(runtime.host, APRIL)
    fixes = [ln for ln in bill.lines if ln.customer_id == customer and ln.corrects == MARCH]
    removed = gettext("days removed: %(days)s", days="20.–24.3.")
    assert [(ln.product, ln.quantity, ln.detail, ln.correction_kind) for ln in fixes] == [
        ("monthly_fee", Decimal(-5), f"\u22125 {gettext('monthly_fee')}, {removed}", "change")
    ]
