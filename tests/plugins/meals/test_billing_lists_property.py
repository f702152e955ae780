"""Property: billing and the kitchens' lists always agree, with fee decisions applied day by day
and every billed day invoiced to the payer in force on it.

Random plans (start on any day, with or without a delivery; order changes, pauses, exceptions)
and a random fee decision; then one to three exceptions entered as a coordinator enters them
(`services.add_exception`), extra or replacing meals of 7–11 on the month's meal days, so that
many would take a day over the limit of 10 meals per product: a refused one writes nothing (no
exception, no audit entry, no new service version), an accepted one is billed, and no day is
ever billed more than 10 meals of a product. Then the days billed are exactly the days the
route lists of the month carry, the delivery days billed are the days the customer is on the
route list, the kitchen's production list has the route's meals, and the amount equals an
independent day-by-day count with the decision applied. Random payer changes (a guardian, a
relative or the customer from any day around the month): the invoice's parts of each line
(`core.billing.invoices.payer_parts`) carry exactly the line's days, each to its payer."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.audit.tables import AuditEntry
from core.billing.days import decode
from core.billing.fees import FeeRule
from core.billing.invoices import payer_parts
from core.billing.lines import MonthLine
from core.billing.tables import FeeDecision
from core.common.clock import now
from core.common.errors import ValidationFailed
from core.customers.payers import payers_between
from core.customers.tables import CustomerPayer
from core.db import transaction
from core.plugins import BillingLine, BillingPeriod
from plugins.meals import services
from plugins.meals.billing import billing_lines
from plugins.meals.forms import MAX_MEALS_PER_DAY
from plugins.meals.lists import production_list, route_delivery_list
from plugins.meals.schedule import DayException, ServicePlan
from plugins.meals.settings import DELIVERY, MealSettings
from plugins.meals.tables import (
    DeliveryRoute,
    Kitchen,
    MealException,
    MealRouteAssignment,
    MealService,
)
from tests.helpers import SYSTEM
from tests.plugins.meals.conftest import Region, new_customer, new_region
from tests.plugins.meals.test_meals_property import (
    day_by_day,
    delivery_date,
    price_on,
    scenarios,
    store_plan,
)

ONE_DAY = dt.timedelta(days=1)


async def shared_region() -> Region:
    """One kitchen and route for all examples of a test (the database is emptied per test)."""
    kitchen = await Kitchen.select(Kitchen.id).where(Kitchen.name == "Seinäjoki keskuskeittiö")
    if not kitchen:
        return await new_region()
    route = await DeliveryRoute.select(DeliveryRoute.id).where(
        (DeliveryRoute.kitchen == kitchen[0]["id"]) & (DeliveryRoute.name == "Reitti 1")
    )
    return Region(kitchen[0]["id"], route[0]["id"], 0, 0)


async def on_the_route(service_id: int, region: Region, start: dt.date) -> None:
    """Put the service on the region's kitchen and route from `start`."""
    await MealService.update(
        {MealService.kitchen: region.kitchen, MealService.route: region.route}
    ).where(MealService.id == service_id)
    await MealRouteAssignment.insert(
        MealRouteAssignment(
            service=service_id, kitchen=region.kitchen, route=region.route, valid_from=start
        )
    )


async def assert_lists_carry_the_billed_days(
    period: BillingPeriod, region: Region, prices: MealSettings, lines: list[BillingLine]
) -> set[dt.date]:
    """The days billed are the days the route lists of the month carry (one customer on the
    route), deliveries likewise, and the kitchen produces what the route carries; returns the
    meal days the lists carry."""
    billed_meals = {d for ln in lines if ln.product != DELIVERY for d in decode(ln.days)}
    billed_deliveries = {d for ln in lines if ln.product == DELIVERY for d in decode(ln.days)}
    listed_meals: set[dt.date] = set()
    listed_deliveries: set[int] = set()
    day = period.first_day - dt.timedelta(days=12)
    while day <= period.last_day:
        stops = await route_delivery_list(region.route, day, prices)
        if stops:
            if day.month == period.month:
                listed_deliveries.add(day.day)
            listed_meals |= {d for d in stops[0].meal_days if d.month == period.month}
            kitchen = await production_list(region.kitchen, day, prices)
            assert sum(kitchen.values()) == sum(stops[0].meals.values())
        day += ONE_DAY
    assert billed_deliveries == listed_deliveries
    assert billed_meals == {d.day for d in listed_meals}
    return listed_meals


@st.composite
def decisions(draw: st.DrawFn, period: BillingPeriod) -> FeeRule | None:
    if draw(st.booleans()):
        return None
    start = period.first_day + dt.timedelta(days=draw(st.integers(-5, 27)))
    kind = draw(st.sampled_from(("reduction", "waiver")))
    return FeeRule(
        customer_id=0,
        kind=kind,
        valid_from=start,
        valid_to=draw(st.none() | st.just(start + dt.timedelta(days=draw(st.integers(0, 20))))),
        product=draw(st.sampled_from(("", "lunch", DELIVERY))),
        percent=Decimal(draw(st.integers(1, 100))) if kind == "reduction" else None,
    )


PAYER_NAMES = ("", "Laine Liisa", "Korhonen Pekka")  # "" = the customer pays


@st.composite
def payer_history(draw: st.DrawFn, period: BillingPeriod) -> list[tuple[dt.date, str]]:
    """Payers from their first days, each until the next one starts."""
    offsets = draw(st.lists(st.integers(-10, 30), max_size=3, unique=True))
    return [
        (period.first_day + dt.timedelta(days=d), draw(st.sampled_from(PAYER_NAMES)))
        for d in sorted(offsets)
    ]


async def store_payers(customer: int, history: list[tuple[dt.date, str]]) -> None:
    for index, (start, name) in enumerate(history):
        end = history[index + 1][0] - ONE_DAY if index + 1 < len(history) else None
        address = {"street_address": "Tie 1", "postal_code": "60100"} if name else {}
        await CustomerPayer.insert(
            CustomerPayer(customer=customer, valid_from=start, valid_to=end, name=name,
                          created_at=now(), **address)
        )  # fmt: skip


def payer_on(history: list[tuple[dt.date, str]], day: dt.date) -> str:
    names = [name for start, name in history if start <= day]
    return names[-1] if names else ""


async def assert_each_day_to_its_payer(
    period: BillingPeriod,
    customer: int,
    lines: list[BillingLine],
    history: list[tuple[dt.date, str]],
) -> None:
    paying = (await payers_between([customer], period.first_day, period.last_day)).get(customer, [])
    for line in lines:
        month_line = MonthLine.from_plugin(line)
        invoiced: dict[int, int] = {}
        parts = payer_parts(month_line, period, paying)
        for payer, part in parts:
            for day, count in decode(part.days).items():
                name = "" if payer is None else payer.name
                assert name == payer_on(history, period.first_day.replace(day=day))
                invoiced[day] = invoiced.get(day, 0) + count
        assert invoiced == decode(line.days)
        assert sum(part.amount for _, part in parts) == month_line.amount


def expected_amount(
    period: BillingPeriod, plan: ServicePlan, prices: MealSettings, rule: FeeRule | None
) -> Decimal:
    def priced(product: str, day: dt.date) -> Decimal:
        price = price_on(prices, product, day)
        if rule is not None and rule.applies_to(product) and rule.covers(day):
            return rule.apply(price)
        return price

    amount = Decimal(0)
    deliveries: set[dt.date] = set()
    day = period.first_day
    while day <= period.last_day + dt.timedelta(days=12):
        meals, weekday = day_by_day(plan, day)
        if day <= period.last_day:
            amount += sum(n * priced(product, day) for product, n in meals.items())
        if meals and weekday is not None:
            date = max(delivery_date(day, weekday, prices.holiday_rule), plan.start)
            if period.first_day <= date <= period.last_day:
                deliveries.add(date)
        day += ONE_DAY
    return amount + sum(priced(DELIVERY, d) for d in deliveries)


@st.composite
def limit_exceptions(
    draw: st.DrawFn, period: BillingPeriod, plan: ServicePlan
) -> list[DayException]:
    """One to three exceptions of 7–11 meals on the month's meal days (the limit is 10; a
    plan orders 1–3 a day, so many extras go over it, and 11 is beyond the form's range)."""
    meal_days = [
        day
        for offset in range(period.last_day.day)
        for day in [period.first_day + dt.timedelta(days=offset)]
        if day_by_day(plan, day)[0]
    ]
    if not meal_days:
        return []
    return [
        DayException(
            draw(st.sampled_from(meal_days)),
            draw(st.sampled_from(("extra", "extra", "replace"))),
            draw(st.sampled_from(("lunch", "evening_meal"))),
            draw(st.sampled_from((7, 8, 9, 10, 11))),  # with 1–3 ordered: around the limit
        )
        for _ in range(draw(st.integers(1, 3)))
    ]


async def written(service_id: int) -> tuple[int, int, int]:
    """What an exception writes: exceptions of the service, audit entries, service version."""
    exceptions = await MealException.count().where(MealException.service == service_id)
    version = await MealService.select(MealService.version).where(MealService.id == service_id)
    return exceptions, await AuditEntry.count(), version[0]["version"]


async def enter_exceptions(
    service_id: int, plan: ServicePlan, entered: list[DayException], prices: MealSettings
) -> ServicePlan:
    """Each exception through the service as a coordinator enters it; the plan with those the
    service accepted. A refused one (over 10 meals, or a day with an exception already) must
    have written nothing."""
    exceptions = {day: list(found) for day, found in plan.exceptions.items()}
    for exception in entered:
        before = await written(service_id)
        form = {"day": exception.day.isoformat(), "kind": exception.kind,
                "product": exception.product, "quantity": str(exception.quantity)}  # fmt: skip
        try:
            async with transaction():
                await services.add_exception(SYSTEM, service_id, form, prices)
        except ValidationFailed as refused:
            assert set(refused.errors) <= {"day", "quantity"}, refused.errors
            assert await written(service_id) == before
            continue
        assert exception.day not in exceptions
        exceptions[exception.day] = [exception]
        after = dataclasses.replace(plan, exceptions=exceptions)
        assert max(day_by_day(after, exception.day)[0].values()) <= MAX_MEALS_PER_DAY
    return dataclasses.replace(plan, exceptions=exceptions)


def assert_at_most_ten_a_day(lines: list[BillingLine]) -> None:
    billed: dict[tuple[str, int], int] = {}
    for line in lines:
        if line.product != DELIVERY:
            for day, count in decode(line.days).items():
                billed[(line.product, day)] = billed.get((line.product, day), 0) + count
    assert max(billed.values(), default=0) <= MAX_MEALS_PER_DAY


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.data())
async def test_billed_days_are_the_days_on_the_lists(data: st.DataObject) -> None:
    period, plan, prices = data.draw(scenarios())
    rule = data.draw(decisions(period))
    history = data.draw(payer_history(period))
    entered = data.draw(limit_exceptions(period, plan))
    region = await shared_region()
    customer = await new_customer()
    service_id = await store_plan(customer, plan)
    await on_the_route(service_id, region, plan.start)
    await store_payers(customer, history)
    if rule is not None:
        await FeeDecision.insert(
            FeeDecision(
                customer=customer,
                kind=rule.kind,
                percent=rule.percent,
                valid_from=rule.valid_from,
                valid_to=rule.valid_to,
                product=rule.product,
                created_at=now(),
            )
        )
    try:
        plan = await enter_exceptions(service_id, plan, entered, prices)
        lines = await billing_lines(period, prices)
        assert_at_most_ten_a_day(lines)
        await assert_lists_carry_the_billed_days(period, region, prices, lines)
        billed_amount = sum((ln.amount for ln in lines), Decimal(0))
        expected = expected_amount(period, plan, prices, rule)
        assert abs(billed_amount - expected) <= Decimal("0.005") * max(len(lines), 1)
        await assert_each_day_to_its_payer(period, customer, lines, history)
    finally:  # a failing example must not leave its service to the next one
        await CustomerPayer.delete().where(CustomerPayer.customer == customer)
        await FeeDecision.delete().where(FeeDecision.customer == customer)
        await MealService.delete().where(MealService.id == service_id)
