"""The pure schedule: meals per day, deliveries, pauses, exceptions and holiday moves."""

from __future__ import annotations

import datetime as dt

from plugins.meals.schedule import (
    DayException,
    OrderLine,
    Pause,
    ServicePlan,
    compute_schedule,
    meals_on,
)

MONDAY = dt.date(2026, 3, 2)


def daily_lunch(start: dt.date = MONDAY, delivery: dict[int, int] | None = None) -> ServicePlan:
    delivery = delivery or {0: 0, 1: 0, 2: 0, 3: 3, 4: 3, 5: 3, 6: 3}
    lines = [OrderLine(wd, "lunch", 1, delivery[wd], start) for wd in range(7)]
    return ServicePlan(start=start, end=None, lines=lines)


def test_two_deliveries_a_week_carry_every_day() -> None:
    schedule = compute_schedule(daily_lunch(), MONDAY, MONDAY + dt.timedelta(days=6))
    assert schedule.meal_total() == 7
    assert schedule.deliveries == {
        MONDAY: [MONDAY, MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)],
        MONDAY + dt.timedelta(days=3): [MONDAY + dt.timedelta(days=n) for n in (3, 4, 5, 6)],
    }


def test_pause_and_end_stop_meals() -> None:
    plan = daily_lunch()
    plan.pauses.append(Pause(MONDAY + dt.timedelta(days=3), MONDAY + dt.timedelta(days=6)))
    plan.end = MONDAY + dt.timedelta(days=8)
    schedule = compute_schedule(plan, MONDAY, MONDAY + dt.timedelta(days=13))
    assert sorted(schedule.meals) == [MONDAY + dt.timedelta(days=n) for n in (0, 1, 2, 7, 8)]
    assert sorted(schedule.deliveries) == [MONDAY, MONDAY + dt.timedelta(days=7)]


def test_exceptions_cancel_add_and_replace() -> None:
    plan = daily_lunch()
    tue, wed, thu = (MONDAY + dt.timedelta(days=n) for n in (1, 2, 3))
    plan.exceptions = {
        tue: [DayException(tue, "cancel")],
        wed: [DayException(wed, "extra", "evening_meal", 2)],
        thu: [DayException(thu, "replace", "evening_meal", 0)],
    }
    assert meals_on(plan, tue) == {}
    assert meals_on(plan, wed) == {"lunch": 1, "evening_meal": 2}
    assert meals_on(plan, thu) == {"evening_meal": 1}


def test_price_history_lines_apply_on_their_days() -> None:
    plan = daily_lunch()
    plan.lines = [
        OrderLine(0, "lunch", 1, 0, MONDAY, MONDAY + dt.timedelta(days=6)),
        OrderLine(0, "lunch", 2, 0, MONDAY + dt.timedelta(days=7)),
    ]
    assert meals_on(plan, MONDAY) == {"lunch": 1}
    assert meals_on(plan, MONDAY + dt.timedelta(days=7)) == {"lunch": 2}


def test_delivery_on_a_holiday_moves_to_the_previous_working_day() -> None:
    good_friday = dt.date(2026, 4, 3)
    plan = daily_lunch(start=dt.date(2026, 3, 30), delivery={wd: 4 for wd in range(7)})
    schedule = compute_schedule(plan, dt.date(2026, 3, 30), dt.date(2026, 4, 12))
    assert good_friday not in schedule.deliveries
    assert dt.date(2026, 4, 2) in schedule.deliveries  # Thursday before Good Friday
    kept = compute_schedule(plan, dt.date(2026, 3, 30), dt.date(2026, 4, 12), "keep")
    assert good_friday in kept.deliveries


def test_a_delivery_at_month_end_carries_next_month_meals() -> None:
    plan = daily_lunch(start=dt.date(2026, 1, 1))
    january = compute_schedule(plan, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    thursday = dt.date(2026, 1, 29)
    assert january.deliveries[thursday] == [thursday + dt.timedelta(days=n) for n in range(4)]
    assert max(january.meals) == dt.date(2026, 1, 31)
