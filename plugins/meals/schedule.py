"""The pure heart of the plugin: which meals a customer eats on which day, and which deliveries
carry them. No database here; services load the rows and hand them in.

Rules, in order, for one meal day:
1. outside the service's start..end, or inside a pause: nothing;
2. the standing-order lines valid on that day for its weekday give the meals;
3. an exception for that day cancels them, adds extra meals, or replaces the product.
Each meal day is carried by the delivery on its line's `delivery_weekday` on or before the day;
extra meals on a day without a standing order travel with the customer's latest regular delivery
on or before that day (or, with no standing order at all, a delivery on the day itself);
a delivery falling on a public holiday moves to the previous day that is neither a holiday nor a
Sunday (holiday rule "previous_working_day"), or stays (rule "keep"). No delivery is made before
the service starts: meals whose delivery day would fall before the start day are carried by a
first delivery on the start day (which is what the kitchen and route lists of that day show).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import holidays

ONE_DAY = dt.timedelta(days=1)
# Meals eaten up to this many days after a range can be delivered inside it.
DELIVERY_LOOKAHEAD = dt.timedelta(days=12)  # a week of pattern plus holiday moves


@dataclass(frozen=True)
class OrderLine:
    weekday: int
    product: str
    quantity: int
    delivery_weekday: int
    valid_from: dt.date
    valid_to: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class DayException:
    day: dt.date
    kind: str  # "cancel", "extra" or "replace"
    product: str = ""
    quantity: int = 0


@dataclass(frozen=True)
class Pause:
    start: dt.date
    end: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class ServicePlan:
    """Everything that decides one service's meals, as loaded from the database."""

    start: dt.date
    end: dt.date | None
    lines: list[OrderLine] = field(default_factory=list)
    exceptions: dict[dt.date, list[DayException]] = field(default_factory=dict)
    pauses: list[Pause] = field(default_factory=list)

    def is_running(self, day: dt.date) -> bool:
        if day < self.start or (self.end is not None and day > self.end):
            return False
        return not any(p.covers(day) for p in self.pauses)


@lru_cache(maxsize=64)
def finnish_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("FI", years=year))


def is_holiday(day: dt.date) -> bool:
    return day in finnish_holidays(day.year)


@lru_cache(maxsize=4096)
def previous_working_day(day: dt.date) -> dt.date:
    """`day`, or if it is a public holiday the previous day that is neither one nor a Sunday."""
    while is_holiday(day):
        day -= ONE_DAY
        while day.weekday() == 6:
            day -= ONE_DAY
    return day


def delivery_day_mover(rule: str) -> Callable[[dt.date], dt.date]:
    """The function that moves a planned delivery date according to the holiday rule."""
    if rule == "keep":
        return lambda day: day
    return previous_working_day


def _lines_by_weekday(plan: ServicePlan) -> dict[int, list[OrderLine]]:
    by_weekday: dict[int, list[OrderLine]] = defaultdict(list)
    for line in plan.lines:
        by_weekday[line.weekday].append(line)
    return by_weekday


def _standing(lines: Iterable[OrderLine]) -> tuple[dict[str, int], int | None]:
    """The standing order of one weekday: meals by product and the delivery weekday."""
    meals: dict[str, int] = defaultdict(int)
    delivery_weekday = None
    for line in lines:
        meals[line.product] += line.quantity
        delivery_weekday = line.delivery_weekday if delivery_weekday is None else delivery_weekday
    return dict(meals), delivery_weekday


def _meals_and_delivery(
    plan: ServicePlan,
    day: dt.date,
    by_weekday: dict[int, list[OrderLine]],
    settled: dict[int, tuple[dict[str, int], int | None]] | None = None,
) -> tuple[dict[str, int], dt.date | None]:
    """Meals by product eaten on `day` and the planned date of the delivery carrying them.

    `settled` holds precomputed standing orders of weekdays whose lines do not change in the
    range being computed (the common case), saving the validity checks per day."""
    if not plan.is_running(day):
        return {}, None
    weekday = day.weekday()
    if settled is not None and weekday in settled:
        standing, delivery_weekday = settled[weekday]
    else:
        standing, delivery_weekday = _standing(
            ln for ln in by_weekday.get(weekday, ()) if ln.valid_on(day)
        )
    exceptions = plan.exceptions.get(day)
    if not exceptions:
        meals = standing
    else:
        meals = _apply_exceptions(standing, exceptions)
    meals = {product: n for product, n in meals.items() if n > 0}
    if not meals:
        return meals, None
    if delivery_weekday is None:  # extras on a day without a standing order
        delivery_weekday = _carrying_weekday(by_weekday, day)
    return meals, day - dt.timedelta(days=(weekday - delivery_weekday) % 7)


def _carrying_weekday(by_weekday: dict[int, list[OrderLine]], day: dt.date) -> int:
    """The delivery weekday of the customer's latest regular delivery on or before `day`, so
    an extra meal travels with it; the day's own weekday when no standing order is valid."""
    weekdays = {
        line.delivery_weekday
        for lines in by_weekday.values()
        for line in lines
        if line.valid_on(day)
    }
    if not weekdays:
        return day.weekday()
    return min(weekdays, key=lambda wd: (day.weekday() - wd) % 7)


def _settled_weekdays(
    by_weekday: dict[int, list[OrderLine]], first: dt.date, last: dt.date
) -> dict[int, tuple[dict[str, int], int | None]]:
    """Standing orders of the weekdays whose every line is valid all through first..last
    or not at all."""
    settled = {}
    for weekday in range(7):
        lines = by_weekday.get(weekday, [])
        whole, none = [], True
        for line in lines:
            covers = line.valid_from <= first and (line.valid_to is None or line.valid_to >= last)
            outside = line.valid_from > last or (
                line.valid_to is not None and line.valid_to < first
            )
            if covers:
                whole.append(line)
            elif not outside:
                none = False
                break
        if none:
            settled[weekday] = _standing(whole)
    return settled


def _apply_exceptions(standing: dict[str, int], exceptions: list[DayException]) -> dict[str, int]:
    meals: dict[str, int] = defaultdict(int, standing)
    for exception in exceptions:
        if exception.kind == "cancel":
            meals.clear()
        elif exception.kind == "extra":
            meals[exception.product] += exception.quantity
        elif exception.kind == "replace":
            total = sum(meals.values())
            meals.clear()
            meals[exception.product] = exception.quantity or total
    return meals


def meals_on(plan: ServicePlan, day: dt.date) -> dict[str, int]:
    """Meals by product eaten on `day` (empty when none)."""
    return _meals_and_delivery(plan, day, _lines_by_weekday(plan))[0]


def planned_delivery(plan: ServicePlan, day: dt.date) -> dt.date | None:
    """The date (before holiday moves) of the delivery carrying `day`'s meals."""
    return _meals_and_delivery(plan, day, _lines_by_weekday(plan))[1]


@dataclass
class Schedule:
    """One service's meals per eating day and deliveries per delivery day in a range."""

    meals: dict[dt.date, dict[str, int]] = field(default_factory=dict)
    deliveries: dict[dt.date, list[dt.date]] = field(default_factory=dict)

    def meal_total(self) -> int:
        return sum(sum(products.values()) for products in self.meals.values())


@lru_cache(maxsize=256)
def days(first: dt.date, last: dt.date) -> tuple[tuple[dt.date, int], ...]:
    """Every day of first..last with its weekday (shared by all services of a report)."""
    count = (last - first).days + 1
    return tuple((d, d.weekday()) for d in (first + dt.timedelta(n) for n in range(count)))


def _is_regular(plan: ServicePlan, first: dt.date, last: dt.date) -> bool:
    """No pause or exception touches first..last: every day follows its weekday's order."""
    if any(p.start <= last and (p.end is None or p.end >= first) for p in plan.pauses):
        return False
    return not any(first <= day <= last for day in plan.exceptions)


def _regular_schedule(
    settled: dict[int, tuple[dict[str, int], int | None]],
    span: tuple[tuple[dt.date, int], ...],
    first: dt.date,
    last: dt.date,
    move: Callable[[dt.date], dt.date],
    start: dt.date,
) -> Schedule:
    """The fast path of `compute_schedule` for a service following its weekly order."""
    schedule = Schedule()
    offsets = {
        wd: dt.timedelta(days=(wd - delivery) % 7)
        for wd, (meals, delivery) in settled.items()
        if delivery is not None
    }
    standing = {wd: {p: n for p, n in meals.items() if n > 0} for wd, (meals, _) in settled.items()}
    for day, weekday in span:
        meals = standing[weekday]
        if not meals:
            continue
        if day <= last:
            schedule.meals[day] = meals
        offset = offsets.get(weekday)
        if offset is None:
            continue
        delivered = max(move(day - offset), start)
        if first <= delivered <= last:
            schedule.deliveries.setdefault(delivered, []).append(day)
    return schedule


def compute_schedule(
    plan: ServicePlan, first: dt.date, last: dt.date, holiday_rule: str = "previous_working_day"
) -> Schedule:
    """Meals eaten in first..last and the deliveries made in first..last (with the meal days
    each carries, which may lie after `last`)."""
    move = delivery_day_mover(holiday_rule)
    by_weekday = _lines_by_weekday(plan)
    schedule = Schedule()
    horizon = last + DELIVERY_LOOKAHEAD
    if plan.end is not None:
        horizon = min(horizon, plan.end)
    start = max(first, plan.start)
    settled = _settled_weekdays(by_weekday, start, horizon)
    if len(settled) == 7 and _is_regular(plan, start, horizon):
        return _regular_schedule(settled, days(start, horizon), first, last, move, plan.start)
    for day, _weekday in days(start, horizon):
        meals, planned = _meals_and_delivery(plan, day, by_weekday, settled)
        if not meals:
            continue
        if day <= last:
            schedule.meals[day] = meals
        if planned is None:
            continue
        delivered = max(move(planned), plan.start)
        if first <= delivered <= last:
            schedule.deliveries.setdefault(delivered, []).append(day)
    return schedule


def meals_with_exception(plan: ServicePlan, exception: DayException) -> dict[str, int]:
    """The meals of `exception.day` if `exception` were added to the day's exceptions."""
    return _apply_exceptions(meals_on(plan, exception.day), [exception])
