"""Free times: slots cut from openings, minus closures and bookings that hold their time.

Openings are Helsinki wall-clock times; each slot is converted to UTC on its own date, so a
09:00 opening is 07:00 UTC in summer and 06:00 UTC in winter.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from plugins.booking.tables import Booking, Closure, Opening
from valvomo.api import HELSINKI, CachedQuery

# Free times are searched in windows of 1, 2, 4 ... days, each stretched until its openings
# offer enough slots to fill the page: the next free times are usually near, so the first
# window answers with one small query, and days without openings cost none.
MAX_WINDOW_DAYS = 16


@dataclass(frozen=True)
class FreeTime:
    professional_id: int
    professional_name: str
    unit_id: int
    unit_name: str
    appointment_type_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def day(self) -> dt.date:
        """The Helsinki date, for grouping times by day."""
        return self.starts_at.astimezone(HELSINKI).date()


def slot_key(professional_id: int, starts_at: dt.datetime) -> str:
    """The value that makes a professional's start time bookable only once."""
    return f"{professional_id}:{starts_at.astimezone(dt.UTC):%Y%m%dT%H%M}"


def local_moment(day: dt.date, time: dt.time) -> dt.datetime | None:
    """The UTC moment of a Helsinki wall-clock time, or None if the clocks skip it."""
    moment = dt.datetime.combine(day, time, tzinfo=HELSINKI)
    utc = moment.astimezone(dt.UTC)
    if utc.astimezone(HELSINKI).replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return utc


def opening_applies(opening: dict[str, Any], day: dt.date) -> bool:
    if opening["on_date"] is not None:
        return bool(opening["on_date"] == day)
    if day < opening["valid_from"]:
        return False
    if opening["valid_until"] is not None and day > opening["valid_until"]:
        return False
    return bool(opening["weekday"] == day.weekday())


def opening_slots(
    opening: dict[str, Any], day: dt.date, duration: int
) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The (start, end) UTC pairs that `opening` offers on `day`, `duration` minutes each.
    A slot whose wall-clock times the clocks skip, or that spans the autumn change (03.45–04.00
    would last 75 minutes), is not offered."""
    return _slots(day, opening["start_time"], opening["end_time"], duration)


@functools.lru_cache(maxsize=4096)
def _slots(
    day: dt.date, opening_start: dt.time, opening_end: dt.time, duration: int
) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    # Cached: the same openings are cut into the same slots on every free-times page.
    slots = []
    step = dt.timedelta(minutes=duration)
    start = dt.datetime.combine(day, opening_start)
    end = dt.datetime.combine(day, opening_end)
    while start + step <= end:
        begins = local_moment(day, start.time())
        finishes = local_moment(day, (start + step).time())
        if begins is not None and finishes is not None and finishes - begins == step:
            slots.append((begins, finishes))
        start += step
    return tuple(slots)


OPENING_COLUMNS = (
    Opening.id,
    Opening.professional,
    Opening.appointment_type,
    Opening.weekday,
    Opening.on_date,
    Opening.valid_from,
    Opening.valid_until,
    Opening.start_time,
    Opening.end_time,
    Opening.appointment_type.duration_minutes,
    Opening.professional._.user._.full_name,
    Opening.professional.unit,
    Opening.professional._.unit._.name,
)


def _openings_query(
    type_id: Any, first_day: Any, last_day: Any, *narrowed: Any, unit: bool, professional: bool
) -> Any:
    condition = (
        (Opening.appointment_type == type_id)
        & (Opening.valid_from <= last_day)
        & ((Opening.valid_until.is_null()) | (Opening.valid_until >= first_day))
        & ((Opening.on_date.is_null()) | (Opening.on_date >= first_day))
    )
    if unit:
        condition &= Opening.professional.unit == narrowed[0]
    if professional:
        condition &= Opening.professional == narrowed[-1]
    return Opening.select(*OPENING_COLUMNS).where(condition)


_OPENINGS = CachedQuery(_openings_query)


async def openings_for(
    appointment_type_id: int,
    first_day: dt.date,
    last_day: dt.date,
    unit_id: int | None = None,
    professional_id: int | None = None,
) -> list[dict[str, Any]]:
    """The openings of the type that may apply between the days (the SQL built once per
    shape: Piccolo's select with three joins cost more CPU than the public times page's other
    work together)."""
    narrowed = [n for n in (unit_id, professional_id) if n]
    rows: list[dict[str, Any]] = await _OPENINGS(
        appointment_type_id, first_day, last_day, *narrowed,
        unit=bool(unit_id), professional=bool(professional_id),
    )  # fmt: skip
    return rows


async def openings_for_professional(
    professional_id: int, first_day: dt.date, last_day: dt.date
) -> list[dict[str, Any]]:
    """Every opening of a professional, of any type, that may apply between the days."""
    return (
        await Opening.select(*OPENING_COLUMNS, Opening.appointment_type.name)
        .where(
            (Opening.professional == professional_id)
            & (Opening.valid_from <= last_day)
            & ((Opening.valid_until.is_null()) | (Opening.valid_until >= first_day))
        )
        .order_by(Opening.start_time)
    )


async def busy_closures(
    professional_ids: list[int], since: dt.datetime, until: dt.datetime
) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """Closures per professional that overlap [since, until)."""
    closed: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    rows = await Closure.select(Closure.professional, Closure.starts_at, Closure.ends_at).where(
        Closure.professional.is_in(professional_ids)
        & (Closure.starts_at < until)
        & (Closure.ends_at > since)
    )
    for row in rows:
        closed[row["professional"]].append((_utc(row["starts_at"]), _utc(row["ends_at"])))
    return closed


BUSY_SQL = """
SELECT professional, starts_at, ends_at FROM booking_booking
WHERE professional IN ({ids}) AND slot_key IS NOT NULL AND starts_at < {{}} AND ends_at > {{}}
UNION ALL
SELECT professional, starts_at, ends_at FROM booking_closure
WHERE professional IN ({ids}) AND starts_at < {{}} AND ends_at > {{}}
"""


async def busy_periods(
    professional_ids: list[int], since: dt.datetime, until: dt.datetime
) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """Held bookings and closures per professional that overlap [since, until), in one
    statement (a page of free times asks for a few windows of days)."""
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    if not professional_ids:
        return busy
    ids = ", ".join("{}" for _ in professional_ids)
    rows = await Booking.raw(
        BUSY_SQL.format(ids=ids), *professional_ids, until, since, *professional_ids, until, since
    )
    for row in rows:
        busy[row["professional"]].append((_utc(row["starts_at"]), _utc(row["ends_at"])))
    return busy


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def overlaps(
    start: dt.datetime, end: dt.datetime, periods: list[tuple[dt.datetime, dt.datetime]]
) -> bool:
    return any(start < busy_end and busy_start < end for busy_start, busy_end in periods)


async def free_times(
    appointment_type_id: int,
    earliest: dt.datetime,
    last_day: dt.date,
    limit: int = 10,
    unit_id: int | None = None,
    professional_id: int | None = None,
) -> list[FreeTime]:
    """The first `limit` free times from `earliest` to the end of `last_day`, earliest first."""
    first_day = earliest.astimezone(HELSINKI).date()
    openings = await openings_for(
        appointment_type_id, first_day, last_day, unit_id, professional_id
    )
    found: list[FreeTime] = []
    window_start, window_days = first_day, 1
    while openings and window_start <= last_day and len(found) < limit:
        window_end, candidates = _window_candidates(
            openings, earliest, window_start, last_day, window_days, limit - len(found)
        )
        if candidates:
            found.extend(await _free_among(candidates, earliest, window_start, window_end))
        window_start = window_end + dt.timedelta(days=1)
        window_days = min(window_days * 2, MAX_WINDOW_DAYS)
    found.sort(key=lambda f: (f.starts_at, f.professional_name))
    return found[:limit]


Candidate = tuple[dict[str, Any], dt.datetime, dt.datetime]


def _window_candidates(
    openings: list[dict[str, Any]],
    earliest: dt.datetime,
    first: dt.date,
    last_day: dt.date,
    window_days: int,
    wanted: int,
) -> tuple[dt.date, list[Candidate]]:
    """The slots openings offer from `first` on, before bookings and closures: at least
    `window_days` days, and more (up to MAX_WINDOW_DAYS) until there are `wanted` of them, so
    days that cannot fill the page cost no query. Returns the window's last day with them."""
    candidates: list[Candidate] = []
    day = first
    while day <= last_day:
        for opening in openings:
            if opening_applies(opening, day):
                for start, end in opening_slots(
                    opening, day, opening["appointment_type.duration_minutes"]
                ):
                    if start >= earliest:
                        candidates.append((opening, start, end))
        days = (day - first).days + 1
        if days >= MAX_WINDOW_DAYS or (days >= window_days and len(candidates) >= wanted):
            break
        day += dt.timedelta(days=1)
    return min(day, last_day), candidates


async def _free_among(
    candidates: list[Candidate], earliest: dt.datetime, first: dt.date, last: dt.date
) -> list[FreeTime]:
    """The candidates that no booking or closure holds."""
    since = max(earliest, local_moment(first, dt.time(0)) or earliest)
    until = local_moment(last + dt.timedelta(days=1), dt.time(0)) or since
    professionals = sorted({opening["professional"] for opening, _, _ in candidates})
    busy = await busy_periods(professionals, since, until)
    return [
        _free_time(opening, start, end)
        for opening, start, end in candidates
        if not overlaps(start, end, busy.get(opening["professional"], []))
    ]


def _free_time(opening: dict[str, Any], start: dt.datetime, end: dt.datetime) -> FreeTime:
    return FreeTime(
        professional_id=opening["professional"],
        professional_name=opening["professional.user.full_name"],
        unit_id=opening["professional.unit"],
        unit_name=opening["professional.unit.name"],
        appointment_type_id=opening["appointment_type"],
        starts_at=start,
        ends_at=end,
    )


async def offered_slot(
    professional_id: int, appointment_type_id: int, starts_at: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    """The slot starting at `starts_at` if an opening offers it (taken or not), else None."""
    day = starts_at.astimezone(HELSINKI).date()
    openings = await openings_for(appointment_type_id, day, day, professional_id=professional_id)
    for opening in openings:
        if opening_applies(opening, day):
            for start, end in opening_slots(
                opening, day, opening["appointment_type.duration_minutes"]
            ):
                if start == starts_at.astimezone(dt.UTC):
                    return start, end
    return None
