"""A professional's day and week, and the .ics file a customer saves to their own calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import icalendar

from core.common.clock import HELSINKI
from plugins.booking import availability
from plugins.booking.bookings import bookings_of_professional


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
