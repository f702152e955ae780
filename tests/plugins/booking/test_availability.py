"""Free times cut from openings, minus bookings and closures, right across DST."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.common.clock import HELSINKI, now, today
from core.db import transaction
from plugins.booking import availability, bookings
from plugins.booking.reminders import reminder_moment
from plugins.booking.tables import Closure
from tests.helpers import SYSTEM
from tests.plugins.booking.setup_data import create_setup, tomorrow_at


async def test_free_times_exclude_booked_and_closed_slots() -> None:
    setup = await create_setup()
    day_start = tomorrow_at(9)
    free = await availability.free_times(
        setup.advice_type_id, day_start, day_start.date() + dt.timedelta(days=1), limit=8
    )
    assert [f.starts_at for f in free] == [
        day_start + dt.timedelta(minutes=15 * i) for i in range(8)
    ]
    async with transaction():
        await bookings.create_booking(
            SYSTEM,
            bookings.BookingRequest(
                professional_id=setup.professional_id,
                appointment_type_id=setup.advice_type_id,
                starts_at=day_start,
                mode="phone",
                name="Aino Asiakas",
                phone="+358401234567",
            ),
            now(),
        )
        await Closure.insert(
            Closure(
                professional=setup.professional_id,
                starts_at=day_start + dt.timedelta(minutes=30),
                ends_at=day_start + dt.timedelta(minutes=60),
            )
        )
    free = await availability.free_times(
        setup.advice_type_id, day_start, day_start.date() + dt.timedelta(days=1), limit=4
    )
    assert [f.starts_at for f in free] == [
        day_start + dt.timedelta(minutes=m) for m in (15, 60, 75, 90)
    ]
    assert free[0].professional_name.startswith("Test ")


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (dt.date(2027, 3, 26), 7),
        (dt.date(2027, 3, 29), 6),
        (dt.date(2027, 10, 29), 6),
        (dt.date(2027, 11, 1), 7),
    ],
)
def test_opening_times_are_helsinki_wall_clock_across_dst(day: dt.date, utc_hour: int) -> None:
    opening = {"start_time": dt.time(9), "end_time": dt.time(9, 30)}
    slots = availability.opening_slots(opening, day, 15)
    assert [s.astimezone(dt.UTC).hour for s, _ in slots] == [utc_hour, utc_hour]
    assert slots[0][0].astimezone(HELSINKI).hour == 9


def test_reminder_is_same_wall_clock_time_the_day_before_across_dst() -> None:
    # The clocks change in the night before Sunday 28 March and Sunday 31 October 2027.
    spring_sunday = dt.datetime(2027, 3, 28, 10, tzinfo=HELSINKI)
    remind = reminder_moment(spring_sunday.astimezone(dt.UTC), 24)
    assert remind.astimezone(HELSINKI).replace(tzinfo=None) == dt.datetime(2027, 3, 27, 10)
    assert spring_sunday - remind == dt.timedelta(hours=23)
    after_autumn = dt.datetime(2027, 10, 31, 10, tzinfo=HELSINKI)
    assert after_autumn - reminder_moment(after_autumn, 24) == dt.timedelta(hours=25)


def test_no_slot_spans_the_autumn_change() -> None:
    # 29 October 2028: at 04.00 summer time the clocks go back to 03.00, so 03.45–04.00 on the
    # wall would last 75 minutes; the repeated hour's slots are offered once, in summer time.
    opening = {"start_time": dt.time(3, 30), "end_time": dt.time(4, 15)}
    slots = availability.opening_slots(opening, dt.date(2028, 10, 29), 15)
    assert [s.astimezone(HELSINKI).strftime("%H:%M") for s, _ in slots] == ["03:30", "04:00"]
    assert all(end - start == dt.timedelta(minutes=15) for start, end in slots)


def test_skipped_spring_hour_offers_no_slot() -> None:
    opening = {"start_time": dt.time(2, 30), "end_time": dt.time(4, 30)}
    slots = availability.opening_slots(opening, dt.date(2027, 3, 28), 30)
    # 03:00–04:00 does not exist that night, so 02:30–03:00 and both 03:xx slots are not offered
    assert [s.astimezone(HELSINKI).strftime("%H:%M") for s, _ in slots] == ["04:00"]


async def test_free_times_start_after_minimum_notice_and_skip_other_types() -> None:
    setup = await create_setup()
    free = await availability.free_times(
        setup.followup_type_id, tomorrow_at(0), today() + dt.timedelta(days=3), limit=3
    )
    assert all(f.appointment_type_id == setup.followup_type_id for f in free)
    assert free[0].starts_at.astimezone(HELSINKI).hour == 13


def last_sunday(year: int, month: int) -> dt.date:
    last = dt.date(year, month, 31)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


# On these days a slot in the skipped hour (spring) or across the change (autumn) is not offered.
CLOCK_CHANGE_DAYS = {last_sunday(year, month) for year in range(2026, 2031) for month in (3, 10)}


@pytest.mark.nodb
@given(
    day=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2030, 12, 31)),
    start_minutes=st.integers(min_value=0, max_value=23 * 60).map(lambda m: m - m % 5),
    length=st.integers(min_value=5, max_value=8 * 60),
    duration=st.sampled_from([5, 15, 30, 45, 60]),
)
def test_slots_lie_inside_their_opening_on_the_helsinki_clock(
    day: dt.date, start_minutes: int, length: int, duration: int
) -> None:
    start = dt.time(start_minutes // 60, start_minutes % 60)
    end_minutes = min(start_minutes + length, 24 * 60 - 1)
    end = dt.time(end_minutes // 60, end_minutes % 60)
    slots = availability.opening_slots({"start_time": start, "end_time": end}, day, duration)
    starts = [s for s, _ in slots]
    assert starts == sorted(set(starts))
    for begins, finishes in slots:
        local_begin, local_end = begins.astimezone(HELSINKI), finishes.astimezone(HELSINKI)
        assert local_begin.date() == day
        assert start <= local_begin.time() and local_end.time() <= end
        assert finishes - begins == dt.timedelta(minutes=duration)  # no slot spans a DST change
    if day not in CLOCK_CHANGE_DAYS:  # elsewhere every whole slot of the opening is offered
        assert len(slots) == max(0, (end_minutes - start_minutes) // duration)
