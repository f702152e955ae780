"""Property: the billed meals, deliveries and amounts equal an independent day-by-day count.

Checked twice: on the recorded days computed from a plan (no database, many examples), and
through the database end to end (plan rows stored, month recorded, billing lines aggregated in
SQL at each day's price), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.common.clock import now
from core.plugins import BillingLine, BillingPeriod
from plugins.meals.billing import billing_lines
from plugins.meals.ledger import day_rows
from plugins.meals.plans import LoadedService
from plugins.meals.schedule import DayException, OrderLine, Pause, ServicePlan
from plugins.meals.settings import DELIVERY, MealSettings, parse_settings
from plugins.meals.tables import MealException, MealOrderLine, MealPause, MealService
from tests.plugins.meals.conftest import new_customer

# Leap February, the spring and autumn daylight-saving changes, year and Christmas boundaries.
MONTHS = [(2024, 2), (2026, 3), (2026, 10), (2026, 12), (2027, 1), (2026, 4), (2026, 6)]
PRODUCTS = ("lunch", "evening_meal")
FI_HOLIDAYS = holidays.country_holidays("FI", years=range(2023, 2029))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[BillingPeriod, ServicePlan, MealSettings]:
    year, month = draw(st.sampled_from(MONTHS))
    period = BillingPeriod(year, month)
    around = st.integers(-40, 40).map(lambda n: period.first_day + dt.timedelta(days=n))
    start = draw(around)
    end = draw(st.none() | around.filter(lambda d: d >= start))
    lines = []
    change = draw(st.none() | around)
    for weekday in draw(st.sets(st.integers(0, 6), min_size=1)):
        delivery = draw(st.integers(0, 6))
        for product in draw(st.sets(st.sampled_from(PRODUCTS), min_size=1)):
            quantity = draw(st.integers(1, 3))
            if change is None or change <= start:
                lines.append(OrderLine(weekday, product, quantity, delivery, start))
            else:
                lines.append(
                    OrderLine(
                        weekday, product, quantity, delivery, start, change - dt.timedelta(days=1)
                    )
                )
                lines.append(
                    OrderLine(weekday, product, draw(st.integers(0, 3)) or 1, delivery, change)
                )
    exceptions: dict[dt.date, list[DayException]] = {}
    for day in draw(st.sets(around, max_size=6)):
        kind = draw(st.sampled_from(("cancel", "extra", "replace")))
        exceptions[day] = [
            DayException(day, kind, draw(st.sampled_from(PRODUCTS)), draw(st.integers(0, 3)))
        ]
    pauses = []
    cursor = start
    for _ in range(draw(st.integers(0, 2))):
        pause_start = cursor + dt.timedelta(days=draw(st.integers(0, 20)))
        length = draw(st.none() | st.integers(0, 15))
        pause_end = None if length is None else pause_start + dt.timedelta(days=length)
        pauses.append(Pause(pause_start, pause_end))
        if pause_end is None:
            break
        cursor = pause_end + dt.timedelta(days=1)
    plan = ServicePlan(start, end, lines, exceptions, pauses)
    change_day = period.first_day + dt.timedelta(days=draw(st.integers(0, 27)))
    rule = draw(st.sampled_from(("previous_working_day", "keep")))
    prices = parse_settings({"holiday_rule": rule, "prices": [
            {"product": "lunch", "valid_from": "2020-01-01",
             "valid_to": (change_day - dt.timedelta(days=1)).isoformat(), "price": "6.10"},
            {"product": "lunch", "valid_from": change_day.isoformat(), "price": "6.90"},
            {"product": "evening_meal", "valid_from": "2020-01-01", "price": "5.00"},
            {"product": DELIVERY, "valid_from": "2020-01-01",
             "valid_to": change_day.isoformat(), "price": "2.50"},
            {"product": DELIVERY, "valid_from": (change_day + dt.timedelta(days=1)).isoformat(),
             "price": "3.10"},
        ]})  # fmt: skip
    return period, plan, prices


def price_on(prices: MealSettings, product: str, day: dt.date) -> Decimal:
    """The oracle's price: the latest-starting of the settings' prices valid on `day`."""
    valid = [p for p in prices.prices if p.product == product and p.covers(day)]
    return max(valid, key=lambda p: p.valid_from).amount


def day_by_day(plan: ServicePlan, day: dt.date) -> tuple[dict[str, int], int | None]:
    """The oracle: one day's meals and delivery weekday, straight from the rules."""
    if day < plan.start or (plan.end is not None and day > plan.end):
        return {}, None
    for pause in plan.pauses:
        if pause.start <= day and (pause.end is None or day <= pause.end):
            return {}, None
    meals: dict[str, int] = {}
    delivery = None
    for line in plan.lines:
        if (
            line.weekday == day.weekday()
            and line.valid_from <= day
            and (line.valid_to is None or day <= line.valid_to)
        ):
            meals[line.product] = meals.get(line.product, 0) + line.quantity
            delivery = line.delivery_weekday
    for exception in plan.exceptions.get(day, []):
        if exception.kind == "cancel":
            meals = {}
        elif exception.kind == "extra":
            meals[exception.product] = meals.get(exception.product, 0) + exception.quantity
        else:
            total = sum(meals.values())
            meals = {exception.product: exception.quantity or total}
    meals = {p: n for p, n in meals.items() if n}
    if meals and delivery is None:
        # Extras without a standing order ride with the latest regular delivery on or before.
        carrying = [ln.delivery_weekday for ln in plan.lines if ln.valid_on(day)]
        delivery = min(carrying, key=lambda wd: (day.weekday() - wd) % 7, default=day.weekday())
    return meals, delivery


def delivery_date(day: dt.date, delivery_weekday: int, rule: str) -> dt.date:
    date = day - dt.timedelta(days=(day.weekday() - delivery_weekday) % 7)
    while rule != "keep" and date in FI_HOLIDAYS:
        date -= dt.timedelta(days=1)
        if date.weekday() == 6:
            date -= dt.timedelta(days=1)
    return date


def expected_bill(
    period: BillingPeriod, plan: ServicePlan, prices: MealSettings
) -> tuple[dict[str, int], int, Decimal]:
    """Meals by product, deliveries and the amount of the month, counted day by day."""
    meals_by_product: dict[str, int] = {}
    amount = Decimal("0")
    deliveries: set[dt.date] = set()
    day = period.first_day - dt.timedelta(days=1)
    while day < period.last_day + dt.timedelta(days=12):
        day += dt.timedelta(days=1)
        meals, delivery_weekday = day_by_day(plan, day)
        if day <= period.last_day:
            for product, n in meals.items():
                meals_by_product[product] = meals_by_product.get(product, 0) + n
                amount += n * price_on(prices, product, day)
        if meals and delivery_weekday is not None:
            # no delivery before the start: the first one is on the start day
            date = max(delivery_date(day, delivery_weekday, prices.holiday_rule), plan.start)
            if period.first_day <= date <= period.last_day:
                deliveries.add(date)
    amount += sum(price_on(prices, DELIVERY, d) for d in deliveries)
    return meals_by_product, len(deliveries), amount


@pytest.mark.nodb
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_recorded_days_equal_a_day_by_day_count(
    scenario: tuple[BillingPeriod, ServicePlan, MealSettings],
) -> None:
    period, plan, prices = scenario
    rows = day_rows(LoadedService({"id": 1}, plan), period, prices.holiday_rule)
    meals: dict[str, int] = {}
    amount = Decimal("0")
    for _service, day, product, quantity, _day_bit in rows:
        if product != DELIVERY:
            meals[product] = meals.get(product, 0) + quantity
        amount += quantity * price_on(prices, product, day)
    deliveries = sum(1 for row in rows if row[2] == DELIVERY)
    assert (meals, deliveries, amount) == expected_bill(period, plan, prices)


async def store_plan(customer_id: int, plan: ServicePlan) -> int:
    rows = await MealService.insert(
        MealService(
            customer=customer_id,
            status="active",
            start_date=plan.start,
            end_date=plan.end,
            created_at=now(),
        )
    ).returning(MealService.id)
    service_id = int(rows[0]["id"])
    await MealOrderLine.insert(
        *[
            MealOrderLine(
                service=service_id,
                weekday=ln.weekday,
                product=ln.product,
                quantity=ln.quantity,
                delivery_weekday=ln.delivery_weekday,
                valid_from=ln.valid_from,
                valid_to=ln.valid_to,
            )
            for ln in plan.lines
        ]
    )
    for day_exceptions in plan.exceptions.values():
        for ex in day_exceptions:
            await MealException.insert(
                MealException(
                    service=service_id,
                    day=ex.day,
                    kind=ex.kind,
                    product=ex.product,
                    quantity=ex.quantity,
                )
            )
    for pause in plan.pauses:
        await MealPause.insert(
            MealPause(service=service_id, start_date=pause.start, end_date=pause.end, reason="x")
        )
    return service_id


def billed(lines: list[BillingLine]) -> tuple[dict[str, int], int, Decimal]:
    meals: dict[str, int] = {}
    for line in lines:
        if line.product != DELIVERY:
            meals[line.product] = meals.get(line.product, 0) + int(line.quantity)
    deliveries = sum(int(ln.quantity) for ln in lines if ln.product == DELIVERY)
    return meals, deliveries, sum((ln.amount for ln in lines), Decimal("0"))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(scenarios())
async def test_billing_through_the_database_equals_a_day_by_day_count(
    scenario: tuple[BillingPeriod, ServicePlan, MealSettings],
) -> None:
    period, plan, prices = scenario
    service_id = await store_plan(await new_customer(), plan)
    try:
        assert billed(await billing_lines(period, prices)) == expected_bill(period, plan, prices)
    finally:
        await MealService.delete().where(MealService.id == service_id)
