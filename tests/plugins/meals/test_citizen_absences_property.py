"""Property: absences citizens report online combined with the staff's day exceptions still
bill exactly the day-by-day count, and the route and kitchen lists carry exactly the billed
days (issue 13: citizen absences and staff exceptions combined).

Random plans (order changes, pauses, staff exceptions of every kind) and a random absence
reported through the same service the citizen's page calls (`absences.report_absence`): the
oracle says whether it is accepted (refused over a pause, over a day another change already
touches, or when no meal day is in it) and which days it cancels; billing then equals the
oracle's day-by-day bill of the plan with those days cancelled, the lists agree with billing
and none of the cancelled days is on a list."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.citizen.services import Citizen
from core.common.clock import HELSINKI
from core.common.errors import ValidationFailed
from core.db import transaction
from core.i18n import fmt_date
from core.plugins import BillingPeriod
from plugins.meals.absences import report_absence
from plugins.meals.billing import billing_lines
from plugins.meals.schedule import DayException, ServicePlan
from plugins.meals.settings import MealSettings
from plugins.meals.tables import MealException, MealService
from tests.plugins.meals.conftest import new_customer
from tests.plugins.meals.test_billing_lists_property import (
    assert_lists_carry_the_billed_days,
    on_the_route,
    shared_region,
)
from tests.plugins.meals.test_meals_property import (
    billed,
    day_by_day,
    expected_bill,
    scenarios,
    store_plan,
)

ONE_DAY = dt.timedelta(days=1)


@st.composite
def absences(
    draw: st.DrawFn, period: BillingPeriod, plan: ServicePlan
) -> tuple[dt.date, dt.date, str]:
    """Mostly within the service and near the month billed, sometimes anywhere around it."""
    near = max(plan.start, period.first_day - dt.timedelta(days=7))
    first = near + dt.timedelta(days=draw(st.integers(-3, 30)))
    last = first + dt.timedelta(days=draw(st.integers(0, 8)))
    return first, last, draw(st.sampled_from(("customer", "proxy")))


def days_of(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def oracle_cancels(plan: ServicePlan, first: dt.date, last: dt.date) -> set[dt.date] | None:
    """The days the absence cancels, straight from the rules; None when it is refused."""
    for pause in plan.pauses:
        if pause.start <= last and (pause.end is None or pause.end >= first):
            return None
    cancelled = set()
    for day in days_of(first, last):
        changes = plan.exceptions.get(day, [])
        if any(change.kind != "cancel" for change in changes):
            return None
        if not changes and day_by_day(plan, day)[0]:
            cancelled.add(day)
    return cancelled or None


def with_cancelled(plan: ServicePlan, days: set[dt.date]) -> ServicePlan:
    exceptions = dict(plan.exceptions)
    for day in days:
        exceptions[day] = [DayException(day, "cancel", "", 0)]
    return ServicePlan(plan.start, plan.end, plan.lines, exceptions, plan.pauses)


async def report(
    customer: int, first: dt.date, last: dt.date, role: str, prices: MealSettings
) -> int | None:
    """Report as the citizen's page does, two weeks before the first day (always before the
    cut-off); the number of days cancelled, or None when refused (nothing written)."""
    own = customer if role == "customer" else None
    citizen = Citizen(0, "Aino Virtanen", own, customer, "key")
    moment = dt.datetime.combine(first - dt.timedelta(days=14), dt.time(8), tzinfo=HELSINKI)
    form = {"first_day": fmt_date(first), "last_day": fmt_date(last)}
    try:
        async with transaction():
            return await report_absence(citizen, customer, form, prices, moment, role)
    except ValidationFailed:
        return None


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.data())
async def test_citizen_absences_with_staff_exceptions_bill_and_list_the_same_days(
    data: st.DataObject,
) -> None:
    period, plan, prices = data.draw(scenarios())
    first, last, role = data.draw(absences(period, plan))
    region = await shared_region()
    customer = await new_customer()
    service_id = await store_plan(customer, plan)
    await on_the_route(service_id, region, plan.start)
    try:
        staff_rows = await MealException.count().where(MealException.service == service_id)
        expected = oracle_cancels(plan, first, last)
        reported = await report(customer, first, last, role, prices)
        event("refused" if expected is None else "accepted")
        online = await MealException.select(MealException.day).where(
            (MealException.service == service_id) & (MealException.reported_by == role)
        )
        if expected is None:
            assert reported is None
            assert (
                await MealException.count().where(MealException.service == service_id) == staff_rows
            )
        else:
            assert reported == len(expected)
            assert {row["day"] for row in online} == expected
        combined = with_cancelled(plan, expected or set())
        lines = await billing_lines(period, prices)
        assert billed(lines) == expected_bill(period, combined, prices)
        listed = await assert_lists_carry_the_billed_days(period, region, prices, lines)
        assert not listed & (expected or set())
    finally:  # a failing example must not leave its service to the next one
        await MealService.delete().where(MealService.id == service_id)
