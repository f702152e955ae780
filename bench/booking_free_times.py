"""Next free times over 100 professionals and 3 months of openings, SQLite or PostgreSQL.

    .venv/bin/python bench/booking_free_times.py [--database sqlite|postgres] [--rounds 20]

Builds its own database: 10 service units, 100 professionals, each with weekly openings on
five weekdays (09–11 and 12–15, 15-minute advice times) for 13 weeks = 130,000 slots, of
which the first six weeks are 80 % booked (about 48,000 bookings) and there are some
closures. Then measures, as the public booking page does, the next 12 free times of the
type: any office, one office, one professional, and any office from six weeks ahead. Each
is timed on one held connection, as a request runs it, and with a connection per statement.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_runtime, median_ms
from core.common.clock import now, today
from core.db import get_database, insert_objects, transaction
from core.identity.tables import StaffUser
from plugins.booking.availability import free_times, opening_applies, opening_slots, slot_key
from plugins.booking.tables import (
    AppointmentType,
    Booking,
    Closure,
    Opening,
    Professional,
    ServiceUnit,
)
from tests.database import create_database, drop_database

PROFESSIONALS = 100
UNITS = 10
WEEKS = 13
BOOKED_WEEKS = 6
BOOKED_SHARE = 0.8


async def build(rng: random.Random) -> tuple[int, list[int], int]:
    first = today()
    last = first + dt.timedelta(weeks=WEEKS)
    async with transaction():
        units = await ServiceUnit.insert(
            *[ServiceUnit(name=f"Unit {n}", municipality="Seinäjoki") for n in range(UNITS)]
        ).returning(ServiceUnit.id)
        advice = await AppointmentType.insert(
            AppointmentType(
                code="ADVICE15", name="Advice", duration_minutes=15, modes=["phone"], public=True
            )
        ).returning(AppointmentType.id)
        type_id = advice[0]["id"]
        users = await StaffUser.insert(
            *[
                StaffUser(
                    username=f"pro{n}",
                    full_name=f"Professional {n}",
                    password_hash="-",
                    created_at=now(),
                )
                for n in range(PROFESSIONALS)
            ]
        ).returning(StaffUser.id)
        professionals = await Professional.insert(
            *[Professional(user=u["id"], unit=units[i % UNITS]["id"]) for i, u in enumerate(users)]
        ).returning(Professional.id)
        professional_ids = [p["id"] for p in professionals]
        openings = [
            {
                "professional": pid,
                "appointment_type": type_id,
                "weekday": weekday,
                "on_date": None,
                "valid_from": first,
                "valid_until": last,
                "start_time": dt.time(start),
                "end_time": dt.time(end),
            }
            for pid in professional_ids
            for weekday in range(5)
            for start, end in ((9, 11), (12, 15))
        ]
        await Opening.insert(*[Opening(**o) for o in openings])
        bookings = _bookings(
            rng, openings, type_id, first, first + dt.timedelta(weeks=BOOKED_WEEKS)
        )
        await insert_objects(Booking, bookings)
        closures = [
            Closure(
                professional=pid,
                starts_at=now() + dt.timedelta(days=d),
                ends_at=now() + dt.timedelta(days=d, hours=8),
            )
            for pid in rng.sample(professional_ids, 20)
            for d in (50, 51, 52)
        ]
        await Closure.insert(*closures)
    return type_id, [u["id"] for u in units], len(bookings)


def _bookings(
    rng: random.Random,
    openings: list[dict[str, Any]],
    type_id: int,
    first: dt.date,
    last: dt.date,
) -> list[Booking]:
    rows = []
    day = first
    moment = now()
    while day < last:
        for opening in openings:
            if not opening_applies(opening, day):
                continue
            for start, end in opening_slots(opening, day, 15):
                if rng.random() < BOOKED_SHARE:
                    rows.append(
                        Booking(
                            professional=opening["professional"],
                            appointment_type=type_id,
                            starts_at=start,
                            ends_at=end,
                            mode="phone",
                            status="booked",
                            slot_key=slot_key(opening["professional"], start),
                            created_at=moment,
                        )
                    )
        day += dt.timedelta(days=1)
    return rows


async def measure(rounds: int, database_url: str, tmp: Path) -> dict[str, float]:
    runtime = bench_runtime(database_url, tmp, ["booking"])
    await runtime.database.start()
    try:
        await runtime.migrate()
        started = time.perf_counter()
        type_id, unit_ids, booked = await build(random.Random(5))
        figures: dict[str, float] = {
            "bookings": booked,
            "build_s": time.perf_counter() - started,
        }
        horizon = today() + dt.timedelta(weeks=WEEKS)
        first_professional = (await Professional.select(Professional.id).first())["id"]
        cases: dict[str, Callable[[], Awaitable[Any]]] = {
            "next_12_any_office_ms": lambda: free_times(type_id, now(), horizon, 12),
            "next_12_one_office_ms": lambda: free_times(
                type_id, now(), horizon, 12, unit_id=unit_ids[3]
            ),
            "next_12_one_professional_ms": lambda: free_times(
                type_id, now(), horizon, 12, professional_id=first_professional
            ),
            "next_12_after_6_weeks_ms": lambda: free_times(
                type_id, now() + dt.timedelta(weeks=6), horizon, 12
            ),
        }
        found = await free_times(type_id, now(), horizon, 12)
        assert len(found) == 12, "the bench data should offer free times"
        for name, call in cases.items():
            figures[name] = await median_ms(lambda call=call: on_one_connection(call), rounds)
            figures[name.replace("_ms", "_per_statement_ms")] = await median_ms(call, rounds)
        return figures
    finally:
        await runtime.database.stop()


async def on_one_connection(call: Callable[[], Awaitable[Any]]) -> Any:
    """As the booking page runs it: on the request's one connection (core/engines.py)."""
    async with get_database().connection():
        return await call()


async def run(backend: str, rounds: int) -> dict[str, float]:
    os.environ["VALVOMO_TEST_DATABASE"] = backend
    tmp = Path(tempfile.mkdtemp(prefix=f"valvomo-bench-booking-{backend}-"))
    database_url = await create_database(tmp)
    try:
        return await measure(rounds, database_url, tmp)
    finally:
        await drop_database(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    figures = asyncio.run(run(args.database, args.rounds))
    print(
        f"booking free times, {args.database}, {PROFESSIONALS} professionals, {WEEKS} weeks "
        f"of openings, median of {args.rounds} (target < 100 ms)"
    )
    for name, value in figures.items():
        print(f"  {name:32} {value:10.1f}")


if __name__ == "__main__":
    main()
