"""What a professional's day costs: closure notices for 200 bookings, a year's ICS feed and the
first common free time of four professionals, on SQLite or PostgreSQL.

    .venv/bin/python bench/booking_staff.py [--database sqlite|postgres] [--rounds 5] [--profile]

Builds its own database. Closure: 200 five-minute bookings of one professional, each with a
confirmation and a reminder queued, cancelled with a notice in one transaction (what "cancel
all" on a closed day does); floor: the same 200 outbox rows inserted with one statement.
Feed: one professional with a booking every working hour for a year (about 2,000), as the
subscription URL serves it (`--profile` prints where one feed spends its time).
Common time: four professionals with 3 months of weekly openings,
all but the last week busy, searched for their first common free 60-minute time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.booking_free_times import on_one_connection
from bench.support import bench_runtime, median_ms
from core.audit.services import SystemActor
from core.common.clock import now, today
from core.db import insert_objects, transaction
from core.identity.tables import StaffUser
from core.notifications.tables import OutboxMessage
from plugins.booking import absences, bookings, calendar, meetings
from plugins.booking.availability import local_moment, slot_key
from plugins.booking.tables import (
    AppointmentType,
    Booking,
    Closure,
    Opening,
    Professional,
    ServiceUnit,
)
from tests.database import create_database, drop_database

ACTOR = SystemActor(full_name="bench")
CLOSED_BOOKINGS = 200


async def professionals(count: int, prefix: str) -> tuple[int, list[int]]:
    async with transaction():
        unit = await ServiceUnit.insert(ServiceUnit(name="Unit", municipality="Seinäjoki"))
        users = await StaffUser.insert(
            *[
                StaffUser(
                    username=f"{prefix}{n}",
                    full_name=f"Pro {n}",
                    password_hash="-",
                    created_at=now(),
                )
                for n in range(count)
            ]
        ).returning(StaffUser.id)
        rows = await Professional.insert(
            *[Professional(user=u["id"], unit=unit[0]["id"]) for u in users]
        ).returning(Professional.id)
    return unit[0]["id"], [r["id"] for r in rows]


async def new_type(code: str, minutes: int) -> int:
    async with transaction():
        rows = await AppointmentType.insert(
            AppointmentType(code=code, name=code, duration_minutes=minutes, modes=["phone"])
        ).returning(AppointmentType.id)
    return int(rows[0]["id"])


async def closure_notices() -> dict[str, float]:
    _, (pro,) = await professionals(1, "closed")
    type_id = await new_type("QUICK5", 5)
    day = today() + dt.timedelta(days=3)
    first = local_moment(day, dt.time(7))
    assert first is not None
    async with transaction():
        await Opening.insert(
            Opening(
                professional=pro,
                appointment_type=type_id,
                on_date=day,
                valid_from=day,
                start_time=dt.time(7),
                end_time=dt.time(23, 55),
            )
        )
        for n in range(CLOSED_BOOKINGS):
            request = bookings.BookingRequest(
                professional_id=pro,
                appointment_type_id=type_id,
                starts_at=first + dt.timedelta(minutes=5 * n),
                mode="phone",
                name=f"Asiakas {n}",
                phone=f"+35840{1000000 + n}",
            )
            booking_id = await bookings.create_booking(ACTOR, request, now())
            booking = await bookings.get_booking(booking_id)
            await bookings.queue_messages(booking, f"https://example.fi/m/{booking_id}", now())
        rows = await Closure.insert(
            Closure(professional=pro, starts_at=first, ends_at=first + dt.timedelta(hours=17))
        ).returning(Closure.id)
    closure = await Closure.select().where(Closure.id == rows[0]["id"]).first()
    # adding the closure holds the 200 bookings' confirmations and reminders (one UPDATE)
    hold_started, hold_cpu = time.perf_counter(), time.process_time()
    async with transaction():
        held = await absences.hold_messages_in(closure)
    hold_ms = (time.perf_counter() - hold_started) * 1000
    hold_cpu_ms = (time.process_time() - hold_cpu) * 1000
    assert held == CLOSED_BOOKINGS
    started = time.perf_counter()
    async with transaction():
        done = await absences.cancel_all_with_notice(
            ACTOR, closure, "unit_closed", lambda b: "https://example.fi/book/", now()
        )
    elapsed = (time.perf_counter() - started) * 1000
    assert done == CLOSED_BOOKINGS
    floor_started = time.perf_counter()
    async with transaction():
        await insert_objects(
            OutboxMessage,
            [
                OutboxMessage(
                    channel="sms",
                    recipient=f"+35840{2000000 + n}",
                    body="Tapaamisesi on peruttu.",
                    idempotency_key=f"floor-{n}",
                    created_at=now(),
                    next_attempt_at=now(),
                    send_at=now(),
                )
                for n in range(CLOSED_BOOKINGS)
            ],
        )
    floor = (time.perf_counter() - floor_started) * 1000
    return {
        "closure_200_hold_ms": hold_ms,
        "closure_200_hold_cpu_ms": hold_cpu_ms,
        "closure_200_notices_ms": elapsed,
        "floor_200_outbox_rows_ms": floor,
    }


def hour_bookings(
    pros: list[int], type_id: int, first: dt.date, days: int, hours: tuple[int, ...]
) -> list[Booking]:
    """Hour-long bookings on working days, each time given to the next professional in turn."""
    rows, index = [], 0
    for day in (first + dt.timedelta(days=n) for n in range(days)):
        for hour in hours if day.weekday() < 5 else ():
            start = local_moment(day, dt.time(hour))
            assert start is not None
            pro = pros[index % len(pros)]
            index += 1
            rows.append(
                Booking(
                    professional=pro,
                    appointment_type=type_id,
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=1),
                    mode="office",
                    status="booked",
                    slot_key=slot_key(pro, start),
                    created_at=now(),
                )
            )
    return rows


async def profile_feed(pro: int) -> None:
    """cProfile of one feed, the 12 most expensive functions by their own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    await on_one_connection(
        lambda: calendar.feed_ics(pro, "Etelä-Pohjanmaa", "https://valvomo.example.fi", now())
    )
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


async def year_feed(rounds: int, profile: bool = False) -> dict[str, float]:
    _, (pro,) = await professionals(1, "feed")
    type_id = await new_type("HOUR60", 60)
    rows = hour_bookings([pro], type_id, today() - dt.timedelta(days=30), 365, tuple(range(8, 16)))
    async with transaction():
        await insert_objects(Booking, rows)
    if profile:
        await profile_feed(pro)
    ms = await median_ms(
        lambda: on_one_connection(
            lambda: calendar.feed_ics(pro, "Etelä-Pohjanmaa", "https://valvomo.example.fi", now())
        ),
        rounds,
    )
    floor = await median_ms(
        lambda: on_one_connection(
            lambda: Booking.select(*calendar.FEED_COLUMNS).where(Booking.professional == pro)
        ),
        rounds,
    )
    joined = await median_ms(
        lambda: on_one_connection(
            lambda: Booking.select(*calendar.FEED_COLUMNS, *JOINED_BEFORE).where(
                Booking.professional == pro
            )
        ),
        rounds,
    )
    return {
        "feed_events": len(rows),
        "feed_year_ms": ms,
        "floor_feed_query_ms": floor,
        "joined_query_before_ms": joined,
    }


JOINED_BEFORE = (  # what the feed's query selected before it stopped joining
    Booking.status,
    Booking.created_at,
    Booking.meeting,
    Booking.appointment_type.name,
    Booking.professional._.unit._.name,
    Booking.professional._.unit._.street_address,
)


async def common_time(rounds: int) -> dict[str, float]:
    """Four professionals whose every slot of 12 weeks is taken by one of them; the 13th is free."""
    _, pros = await professionals(4, "joint")
    type_id = await new_type("MEET60", 60)
    first = today()
    last = first + dt.timedelta(weeks=13)
    openings = [
        Opening(
            professional=pro,
            appointment_type=type_id,
            weekday=weekday,
            valid_from=first,
            valid_until=last,
            start_time=dt.time(start),
            end_time=dt.time(end),
        )
        for pro in pros
        for weekday in range(5)
        for start, end in ((9, 11), (12, 15))
    ]
    rows = hour_bookings(pros, type_id, first, 7 * 12, (9, 10, 12, 13, 14))
    async with transaction():
        await Opening.insert(*openings)
        await insert_objects(Booking, rows)
    found = await meetings.common_free_times(type_id, pros, now(), last, limit=1)
    assert found and found[0].starts_at >= local_moment(first + dt.timedelta(weeks=12), dt.time(0))
    ms = await median_ms(
        lambda: on_one_connection(
            lambda: meetings.common_free_times(type_id, pros, now(), last, 1)
        ),
        rounds,
    )
    return {"common_time_4_pros_ms": ms}


async def measure(
    rounds: int, database_url: str, tmp: Path, profile: bool = False
) -> dict[str, float]:
    runtime = bench_runtime(database_url, tmp, ["booking"])
    await runtime.database.start()
    try:
        await runtime.migrate()
        figures = await closure_notices()
        figures |= await year_feed(rounds, profile)
        figures |= await common_time(rounds)
        return figures
    finally:
        await runtime.database.stop()


async def run(backend: str, rounds: int, profile: bool = False) -> dict[str, float]:
    os.environ["VALVOMO_TEST_DATABASE"] = backend
    tmp = Path(tempfile.mkdtemp(prefix=f"valvomo-bench-booking-staff-{backend}-"))
    database_url = await create_database(tmp)
    try:
        return await measure(rounds, database_url, tmp, profile)
    finally:
        await drop_database(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile one year feed")
    args = parser.parse_args()
    figures = asyncio.run(run(args.database, args.rounds, args.profile))
    print(
        f"booking staff work, {args.database}, median of {args.rounds} where repeated "
        "(targets: closure notices < 1000 ms, year feed < 200 ms, common time < 100 ms)"
    )
    for name, value in figures.items():
        print(f"  {name:32} {value:10.1f}")
    for name, floor in (
        ("closure_200_notices_ms", "floor_200_outbox_rows_ms"),
        ("feed_year_ms", "floor_feed_query_ms"),
    ):
        print(
            f"  {name.removesuffix('_ms') + ' / floor':32} {figures[name] / figures[floor]:10.1f}x"
        )


if __name__ == "__main__":
    main()
