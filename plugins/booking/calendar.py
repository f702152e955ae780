"""A professional's day and week, and the .ics file a customer saves to their own calendar."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

import icalendar
from icalendar.parser import Contentline, Parameters
from icalendar.prop import vText

from plugins.booking import availability
from plugins.booking.bookings import bookings_of_professional
from plugins.booking.reminders import MODE_NAMES
from plugins.booking.tables import (
    AppointmentType,
    Booking,
    CalendarFeed,
    Closure,
    Professional,
    WaitlistEntry,
)
from plugins.booking.waitlist import HELD
from valvomo.api import HELSINKI, Actor, NotFound, audit, gettext


@dataclass
class CalendarDay:
    day: dt.date
    bookings: list[dict[str, Any]] = field(default_factory=list)
    openings: list[dict[str, Any]] = field(default_factory=list)


def week_of(day: dt.date) -> list[dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return [monday + dt.timedelta(days=i) for i in range(7)]


async def professional_days(professional_id: int, days: list[dt.date]) -> list[CalendarDay]:
    """Bookings (with who and why) and openings of each day, two queries for the whole range."""
    bookings = await bookings_of_professional(professional_id, days[0], days[-1])
    openings = await availability.openings_for_professional(professional_id, days[0], days[-1])
    calendar = {day: CalendarDay(day) for day in days}
    for booking in bookings:
        calendar[booking["starts_at"].astimezone(HELSINKI).date()].bookings.append(booking)
    for day in days:
        calendar[day].openings = [o for o in openings if availability.opening_applies(o, day)]
    return list(calendar.values())


@dataclass(frozen=True)
class GridCell:
    """One time in the week grid: free, booked (with the booking), held for the waiting list
    (with the held booking and `hold_until`) or closed."""

    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    booking: dict[str, Any] | None = None
    closure_id: int = 0  # a booking inside a closed time: waits for the professional's choice


@dataclass
class GridRow:
    time: dt.time
    cells: list[GridCell | None]


async def week_grid(professional_id: int, days: list[CalendarDay]) -> list[GridRow]:
    """Rows by Helsinki time of day, a column per day: every opening's slot (free, booked or
    closed) and every held booking, also those outside openings (joint meetings)."""
    since = availability.local_moment(days[0].day, dt.time(0))
    until = availability.local_moment(days[-1].day + dt.timedelta(days=1), dt.time(0))
    assert since is not None and until is not None
    closures = (await availability.busy_closures([professional_id], since, until)).get(
        professional_id, []
    )
    await _add_hold_ends(days)
    columns = [_day_cells(day, closures) for day in days]
    await _mark_closed_bookings(professional_id, columns, since, until)
    times = sorted({time for column in columns for time in column})
    return [GridRow(time, [column.get(time) for column in columns]) for time in times]


async def _mark_closed_bookings(
    professional_id: int,
    columns: list[dict[dt.time, GridCell]],
    since: dt.datetime,
    until: dt.datetime,
) -> None:
    """A booked time inside a closure links to the closure's page: its customer is told
    nothing (reminders are held) until the professional chooses what happens."""
    booked = [
        (column, time, cell)
        for column in columns
        for time, cell in column.items()
        if cell.kind == "booked" and cell.booking and cell.booking["status"] == "booked"
    ]
    if not booked:
        return
    closures = await Closure.select(Closure.id, Closure.starts_at, Closure.ends_at).where(
        (Closure.professional == professional_id)
        & (Closure.starts_at < until)
        & (Closure.ends_at > since)
    )
    for column, time, cell in booked:
        for closure in closures:
            if closure["starts_at"] < cell.ends_at and cell.starts_at < closure["ends_at"]:
                column[time] = replace(cell, kind="attention", closure_id=closure["id"])
                break


async def _add_hold_ends(days: list[CalendarDay]) -> None:
    """Times held for the waiting list get the moment the hold ends (one query for the week)."""
    holds = [b for day in days for b in day.bookings if b["status"] == HELD]
    if not holds:
        return
    rows = await WaitlistEntry.select(WaitlistEntry.hold_booking, WaitlistEntry.hold_until).where(
        WaitlistEntry.hold_booking.is_in([b["id"] for b in holds])
    )
    until = {row["hold_booking"]: row["hold_until"] for row in rows}
    for booking in holds:
        booking["hold_until"] = until.get(booking["id"])


def _day_cells(
    day: CalendarDay, closures: list[tuple[dt.datetime, dt.datetime]]
) -> dict[dt.time, GridCell]:
    held = [b for b in day.bookings if b["status"] in ("booked", "done", "no_show", HELD)]
    cells: dict[dt.time, GridCell] = {}
    for opening in day.openings:
        for start, end in availability.opening_slots(
            opening, day.day, opening["appointment_type.duration_minutes"]
        ):
            kind = "closed" if availability.overlaps(start, end, closures) else "free"
            cells[start.astimezone(HELSINKI).time()] = GridCell(kind, start, end)
    for start, end in closures:
        local = start.astimezone(HELSINKI)
        if local.date() == day.day and local.time() not in cells:
            cells[local.time()] = GridCell("closed", start, end)
    for booking in held:
        start = booking["starts_at"]
        kind = "held" if booking["status"] == HELD else "booked"
        cells[start.astimezone(HELSINKI).time()] = GridCell(
            kind, start, booking["ends_at"], booking
        )
    for time, cell in list(cells.items()):
        if cell.kind == "free" and any(
            b["starts_at"] < cell.ends_at and cell.starts_at < b["ends_at"] for b in held
        ):
            del cells[time]  # covered by a longer booking shown at its own start
    return cells


def ics_for(booking: dict[str, Any], region_name: str) -> bytes:
    """One VEVENT in UTC; calendars show it in the reader's own zone."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Valvomo//booking//FI")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"booking-{booking['id']}@valvomo")
    event.add("dtstamp", booking["created_at"].astimezone(dt.UTC))
    event.add("dtstart", booking["starts_at"].astimezone(dt.UTC))
    event.add("dtend", booking["ends_at"].astimezone(dt.UTC))
    event.add("summary", f"{booking['appointment_type.name']} ({region_name})")
    location = booking["professional.unit.name"]
    if booking["mode"] == "office":
        location = f"{location}, {booking['professional.unit.street_address']}"
    event.add("location", location)
    notes = [booking["appointment_type.preparation"], booking["appointment_type.bring_list"]]
    event.add("description", "\n\n".join(n for n in notes if n))
    cal.add_component(event)
    return bytes(cal.to_ical())


# -- a professional's private subscription feed ---------------------------------------------

FEED_DAYS_BACK = 90
FEED_DAYS_AHEAD = 400


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_feed(actor: Actor, professional_id: int, moment: dt.datetime) -> str:
    """A new feed address token (shown once); earlier addresses of the professional stop."""
    await revoke_feeds(actor, professional_id, moment)
    token = secrets.token_urlsafe(32)
    rows = await CalendarFeed.insert(
        CalendarFeed(professional=professional_id, token_hash=_token_hash(token), created_at=moment)
    ).returning(CalendarFeed.id)
    await audit.record(actor, "create", "booking_calendar_feed", rows[0]["id"])
    return token


async def revoke_feeds(actor: Actor, professional_id: int, moment: dt.datetime) -> int:
    rows = (
        await CalendarFeed.update({CalendarFeed.revoked_at: moment})
        .where((CalendarFeed.professional == professional_id) & CalendarFeed.revoked_at.is_null())
        .returning(CalendarFeed.id)
    )
    for row in rows:
        await audit.record(actor, "delete", "booking_calendar_feed", row["id"])
    return len(rows)


async def active_feed(professional_id: int) -> dict[str, Any] | None:
    return (
        await CalendarFeed.select()
        .where((CalendarFeed.professional == professional_id) & CalendarFeed.revoked_at.is_null())
        .first()
    )


async def feed_professional(token: str) -> int:
    """The professional of a live feed token; NotFound for an unknown or revoked one."""
    row = (
        await CalendarFeed.select(CalendarFeed.professional)
        .where((CalendarFeed.token_hash == _token_hash(token)) & CalendarFeed.revoked_at.is_null())
        .first()
    )
    if row is None:
        raise NotFound("calendar feed")
    return int(row["professional"])


FEED_COLUMNS = (
    Booking.id,
    Booking.starts_at,
    Booking.ends_at,
    Booking.mode,
    Booking.appointment_type,
)  # no joins: the unit is the professional's, the type names are few


async def _feed_texts(professional_id: int) -> tuple[dict[str, Any], dict[int, str]]:
    """The professional's unit and every type's name, each read once for the whole feed."""
    unit = (
        await Professional.select(
            Professional.unit.name,
            Professional.unit.street_address,
        )
        .where(Professional.id == professional_id)
        .first()
    )
    types = await AppointmentType.select(AppointmentType.id, AppointmentType.name)
    return unit or {}, {t["id"]: t["name"] for t in types}


async def feed_ics(
    professional_id: int, region_name: str, base_url: str, moment: dt.datetime
) -> bytes:
    """The professional's held and past appointments as VEVENTs: type, mode and place only, no
    names or identity codes (a calendar server outside the region keeps the feed).

    A year holds a few thousand events, so each event is written from icalendar's escaped and
    folded content lines, repeated texts (type and mode, place) made once per kind, instead of
    one Event object per booking (ten times slower); the query joins nothing (the unit and
    the type names are read once), which halved the feed's time (bench/booking_staff.py)."""
    rows = await Booking.select(*FEED_COLUMNS).where(
        (Booking.professional == professional_id)
        & Booking.status.is_in(["booked", "done", "no_show"])
        & (Booking.starts_at >= moment - dt.timedelta(days=FEED_DAYS_BACK))
        & (Booking.starts_at < moment + dt.timedelta(days=FEED_DAYS_AHEAD))
    )
    unit, type_names = await _feed_texts(professional_id)
    places = {mode: _line("LOCATION", _place(unit, mode)) for mode in ("phone", "remote", "office")}
    summaries: dict[tuple[int, str], bytes] = {}
    stamp = _utc_stamp(moment)
    parts = [
        b"BEGIN:VCALENDAR\r\n",
        _line("VERSION", "2.0"),
        _line("PRODID", "-//Valvomo//booking feed//FI"),
        _line("X-WR-CALNAME", f"Valvomo ({region_name})"),
    ]
    for row in rows:
        kind = (row["appointment_type"], row["mode"])
        if kind not in summaries:
            mode = gettext(MODE_NAMES[kind[1]])
            summaries[kind] = _line("SUMMARY", f"{type_names.get(kind[0], '')} ({mode})")
        parts += [
            f"BEGIN:VEVENT\r\nUID:booking-{row['id']}@valvomo\r\nDTSTAMP:{stamp}\r\n"
            f"DTSTART:{_utc_stamp(row['starts_at'])}\r\nDTEND:{_utc_stamp(row['ends_at'])}\r\n".encode(),
            summaries[kind],
            places[row["mode"]],
            _fold(f"URL:{base_url}/booking/bookings/{row['id']}"),
            b"END:VEVENT\r\n",
        ]
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)


def _place(unit: dict[str, Any], mode: str) -> str:
    name = str(unit.get("unit.name") or "")
    if mode == "office":
        return f"{name}, {unit.get('unit.street_address') or ''}"
    return name


def _utc_stamp(moment: dt.datetime) -> str:
    """20261125T070000Z; formatted by hand, since strftime was a third of the feed's time."""
    m = moment.astimezone(dt.UTC)
    return f"{m.year:04d}{m.month:02d}{m.day:02d}T{m.hour:02d}{m.minute:02d}{m.second:02d}Z"


@functools.lru_cache(maxsize=1024)
def _line(name: str, text: str) -> bytes:
    """One escaped, folded TEXT property line (icalendar's own writer)."""
    return bytes(Contentline.from_parts(name, Parameters(), vText(text)).to_ical()) + b"\r\n"


def _fold(ascii_line: str) -> bytes:
    """Fold an ASCII content line at 75 octets (RFC 5545 3.1)."""
    chunks = [ascii_line[:75]] + [ascii_line[i : i + 74] for i in range(75, len(ascii_line), 74)]
    return ("\r\n ".join(chunks) + "\r\n").encode()
