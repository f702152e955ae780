"""Changes to a waiting-list request after it was made: the citizen withdraws it or declines
the time held for them, and a closure over a held time takes the hold back.

Each frees a time or changes the line, so each serves the line again in the caller's
transaction: the next in line is offered the time at once, and that offer (its hold and its
message) commits with the change or not at all. Every step is a conditional UPDATE on the
request's status, so a double click or two tabs change it once and queue one message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from plugins.booking import availability, bookings, links, waitlist
from plugins.booking.tables import Booking, WaitlistEntry
from plugins.booking.waitlist import HELD, OFFERED, WAITING, UrlFor
from valvomo.api import (
    HELSINKI,
    N_,
    Actor,
    NotFound,
    ValidationFailed,
    audit,
    fmt_date,
    fmt_datetime,
    gettext,
    in_language,
    queue_message,
)

WITHDRAWN = "withdrawn"
REQUEST_ENDED = N_("This request is no longer on the waiting list.")
STATUSES = (WAITING, OFFERED, waitlist.BOOKED, waitlist.EXPIRED, WITHDRAWN)
ENTRY_COLUMNS = (
    *WaitlistEntry.all_columns(),
    WaitlistEntry.appointment_type.name,
    WaitlistEntry.unit.name,
    WaitlistEntry.contact.name,
    WaitlistEntry.contact.phone,
    WaitlistEntry.contact.email,
    WaitlistEntry.hold_booking.starts_at,
)


async def get_entry(entry_id: int) -> dict[str, Any]:
    row = await WaitlistEntry.select(*ENTRY_COLUMNS).where(WaitlistEntry.id == entry_id).first()
    if row is None:
        raise NotFound(f"waiting-list request {entry_id}")
    return dict(row)


async def list_entries(status: str, unit_id: int | None, limit: int = 200) -> list[dict[str, Any]]:
    """Requests of one status (all if ""), the newest first, for staff: of one unit (with
    those for any office), or of every unit when `unit_id` is None."""
    query = WaitlistEntry.select(*ENTRY_COLUMNS).order_by(WaitlistEntry.id, ascending=False)
    if status:
        query = query.where(WaitlistEntry.status == status)
    if unit_id is not None:
        query = query.where((WaitlistEntry.unit == unit_id) | WaitlistEntry.unit.is_null())
    return await query.limit(limit).output(load_json=True)


def request_token(secret: str, entry: dict[str, Any]) -> str:
    """The citizen's link to their request; it works until the request's period has ended."""
    after_last_day = entry["last_day"] + dt.timedelta(days=1)
    expires = dt.datetime.combine(after_last_day, dt.time(0), tzinfo=HELSINKI)
    return links.sign(secret, entry["id"], expires, links.REQUEST)


async def linked_entry(secret: str, token: str, moment: dt.datetime) -> dict[str, Any]:
    """The request a citizen's link names (raises links.BadLink or NotFound)."""
    return await get_entry(links.verify(secret, token, moment, links.REQUEST))


async def queue_joined_message(entry_id: int, url: str) -> None:
    """Tell the citizen they are on the list, with the link to see or withdraw the request."""
    entry = await get_entry(entry_id)
    with in_language(entry["language"]):
        body = "\n".join(
            [
                gettext(
                    "You are on the waiting list for %(type)s, %(first)s–%(last)s.",
                    type=entry["appointment_type.name"],
                    first=fmt_date(entry["first_day"]),
                    last=fmt_date(entry["last_day"]),
                ),
                gettext("To see or withdraw your request: %(url)s", url=url),
            ]
        )
        await _send(entry, body, gettext("You are on the waiting list"), "joined")


async def _send(entry: dict[str, Any], body: str, subject: str, event: str) -> None:
    channel = entry["channel"]
    recipient = entry["contact.phone"] if channel == "sms" else entry["contact.email"]
    await queue_message(
        channel=channel,
        recipient=recipient,
        body=body,
        subject=subject,
        reference=f"booking:waitlist-request:{entry['id']}:{entry['version']}:{event}",
    )


async def withdraw(
    actor: Actor, entry_id: int, secret: str, url_for: UrlFor, moment: dt.datetime
) -> None:
    """The citizen leaves the line; a time held for them goes to the next in line at once."""
    entry = await get_entry(entry_id)
    changed = (
        await WaitlistEntry.update(
            {
                WaitlistEntry.status: WITHDRAWN,
                WaitlistEntry.ended_at: moment,
                WaitlistEntry.version: WaitlistEntry.version + 1,
            }
        )
        .where((WaitlistEntry.id == entry_id) & WaitlistEntry.status.is_in([WAITING, OFFERED]))
        .returning(WaitlistEntry.hold_booking)
    )
    if not changed:
        raise ValidationFailed({"request": REQUEST_ENDED})
    hold = changed[0]["hold_booking"]
    if hold:
        await _release_hold(hold, moment)
    await audit.record(
        actor,
        "withdraw",
        "booking_waitlist",
        entry_id,
        before={"status": entry["status"]},
        after={"status": WITHDRAWN},
    )
    if hold:
        await waitlist.serve(secret, url_for, moment)


async def decline(
    actor: Actor, booking: dict[str, Any], secret: str, url_for: UrlFor, moment: dt.datetime
) -> None:
    """The held time does not suit the citizen: it goes to the next in line, and the citizen
    keeps their place for another time (never this one again)."""
    if booking["status"] != HELD:
        used = booking["status"] == bookings.ACTIVE
        raise ValidationFailed({"hold": waitlist.HOLD_USED if used else waitlist.HOLD_ENDED})
    entry = (
        await WaitlistEntry.select()
        .where(WaitlistEntry.hold_booking == booking["id"])
        .first()
        .output(load_json=True)
    )
    if entry is None or entry["status"] != OFFERED:
        raise ValidationFailed({"hold": waitlist.HOLD_ENDED})
    key = availability.slot_key(booking["professional"], booking["starts_at"])
    back = await _back_in_line(entry["id"], booking["id"], [*entry["declined_slots"], key])
    if not back:
        raise ValidationFailed({"hold": waitlist.HOLD_ENDED})
    await _release_hold(booking["id"], moment)
    await audit.record(
        actor, "decline", "booking_waitlist", entry["id"], after={"booking": booking["id"]}
    )
    await waitlist.serve(secret, url_for, moment)


async def _back_in_line(entry_id: int, booking_id: int, declined: list[str] | None) -> bool:
    """The request waits again (conditional on still holding this booking)."""
    values: dict[Any, Any] = {
        WaitlistEntry.status: WAITING,
        WaitlistEntry.hold_booking: None,
        WaitlistEntry.hold_until: None,
        WaitlistEntry.version: WaitlistEntry.version + 1,
    }
    if declined is not None:
        values[WaitlistEntry.declined_slots] = declined
    rows = (
        await WaitlistEntry.update(values)
        .where(
            (WaitlistEntry.id == entry_id)
            & (WaitlistEntry.hold_booking == booking_id)
            & (WaitlistEntry.status == OFFERED)
        )
        .returning(WaitlistEntry.id)
    )
    return bool(rows)


async def _release_hold(booking_id: int, moment: dt.datetime) -> None:
    await Booking.update(
        {
            Booking.status: "cancelled",
            Booking.slot_key: None,
            Booking.cancelled_by: "waitlist",
            Booking.cancelled_at: moment,
            Booking.version: Booking.version + 1,
        }
    ).where((Booking.id == booking_id) & (Booking.status == HELD))


async def take_back_holds_in(
    actor: Actor, closure: dict[str, Any], secret: str, url_for: UrlFor, moment: dt.datetime
) -> int:
    """A closure over times held for the waiting list: each hold is taken back, its citizen is
    told and keeps their place, and the line is served again (outside the closure)."""
    held = await Booking.select(Booking.id, Booking.starts_at).where(
        (Booking.professional == closure["professional"])
        & (Booking.status == HELD)
        & (Booking.starts_at < closure["ends_at"])
        & (Booking.ends_at > closure["starts_at"])
    )
    taken = 0
    for booking in held:
        entry = await WaitlistEntry.select(WaitlistEntry.id).where(
            WaitlistEntry.hold_booking == booking["id"]
        )
        if not entry or not await _back_in_line(entry[0]["id"], booking["id"], None):
            continue  # used, declined or expired meanwhile
        await _release_hold(booking["id"], moment)
        await audit.record(
            actor, "take_back", "booking_waitlist", entry[0]["id"], after={"closure": True}
        )
        await _tell_hold_taken_back(entry[0]["id"], booking["starts_at"])
        taken += 1
    if taken:
        await waitlist.serve(secret, url_for, moment)
    return taken


async def _tell_hold_taken_back(entry_id: int, starts_at: dt.datetime) -> None:
    entry = await get_entry(entry_id)
    with in_language(entry["language"]):
        body = gettext(
            "The time held for you, %(when)s, is no longer available. You keep your place on "
            "the waiting list and get a message when another time is free.",
            when=fmt_datetime(starts_at),
        )
        await _send(entry, body, gettext("The held time was cancelled"), "taken-back")
