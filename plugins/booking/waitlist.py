"""Waiting list: a citizen who finds no time leaves a request for a type and a period; when a
matching time is free (a cancellation, a released hold, a new opening), the first request in
line gets a message with a hold link, and the time is held for them for
`waitlist_hold_hours`.

A hold is a booking row in status `held`: it keeps the time through the row's unique
`slot_key`, so nobody else can book it meanwhile, but it is no appointment (no reminders, not
in calendars, reports or figures) until the citizen uses the link. Using it is one conditional
UPDATE (`held` → `booked`), so a second use changes nothing; an expired hold is released by
`serve` (status `cancelled`, `cancelled_by = waitlist`) and the time goes to the next in line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from plugins.booking import availability, bookings, forms, links
from plugins.booking.settings import current as settings
from plugins.booking.tables import Booking, BookingContact, ServiceUnit, WaitlistEntry
from valvomo.api import (
    HELSINKI,
    N_,
    Actor,
    NotFound,
    SystemActor,
    ValidationFailed,
    audit,
    current_language,
    fmt_datetime,
    gettext,
    in_language,
    queue_message,
    read_form,
    transaction,
)

HELD = "held"
WAITING, OFFERED, BOOKED, EXPIRED = "waiting", "offered", "booked", "expired"
WAITLIST = SystemActor(full_name="waiting list")
HOLD_USED = N_("This time has already been booked with this link.")
HOLD_ENDED = N_("The time is no longer held for you. You can join the waiting list again.")
UrlFor = Callable[[str], str]  # a path → the region's public address for messages


@dataclass
class WaitlistRequest:
    appointment_type_id: int
    unit_id: int | None
    mode: str
    first_day: dt.date
    last_day: dt.date
    contact: bookings.BookingRequest  # name, phone, e-mail, channel (checked like a booking)
    description: str = ""


async def clean_request(form: dict[str, Any], today: dt.date) -> WaitlistRequest:
    """A request from the form, or ValidationFailed naming every bad field."""
    appointment_type = await bookings.get_type(bookings.record_id(form.get("type_id")))
    if not appointment_type["public"]:
        raise NotFound("appointment type")
    errors: dict[str, str] = {}
    modes = {"mode": appointment_type["modes"]}
    wish = read_form(forms.WaitlistForm, form, errors, choices=modes)
    contact = read_form(forms.WaitlistContactForm, form, errors)
    if wish is not None:
        horizon = today + dt.timedelta(days=settings().booking_horizon_days)
        if wish.first_day < today:
            errors["first_day"] = N_("The period cannot start in the past.")
        if wish.last_day > horizon:
            errors["last_day"] = N_("The period reaches further ahead than times can be booked.")
        if wish.unit_id and not await ServiceUnit.exists().where(ServiceUnit.id == wish.unit_id):
            errors["unit_id"] = N_("Choose an office from the list.")
    phone = bookings.contact_problems(contact, True, errors) if contact else ""
    if errors or wish is None or contact is None:
        raise ValidationFailed(errors)
    return WaitlistRequest(
        appointment_type["id"],
        wish.unit_id or None,
        wish.mode,
        wish.first_day,
        wish.last_day,
        bookings.BookingRequest(
            professional_id=0,
            appointment_type_id=appointment_type["id"],
            starts_at=dt.datetime.now(dt.UTC),
            mode=wish.mode,
            name=contact.name,
            phone=phone,
            email=contact.email,
            reminder_channel=contact.reminder_channel,
        ),
        wish.description,
    )


async def join(request: WaitlistRequest, moment: dt.datetime) -> int:
    """Put the request in line (in the caller's transaction); the contact stays apart from the
    customer register like a booking's."""
    contact = await BookingContact.insert(
        BookingContact(
            name=request.contact.name[:200],
            phone=request.contact.phone,
            email=request.contact.email,
            created_at=moment,
        )
    ).returning(BookingContact.id)
    rows = await WaitlistEntry.insert(
        WaitlistEntry(
            appointment_type=request.appointment_type_id,
            unit=request.unit_id,
            mode=request.mode,
            first_day=request.first_day,
            last_day=request.last_day,
            contact=contact[0]["id"],
            channel=request.contact.reminder_channel,
            language=current_language.get(),
            description=request.description,
            created_at=moment,
        )
    ).returning(WaitlistEntry.id)
    entry_id = int(rows[0]["id"])
    await audit.record(
        WAITLIST,
        "create",
        "booking_waitlist",
        entry_id,
        after={"appointment_type": request.appointment_type_id, "mode": request.mode},
    )
    return entry_id


# -- serving the line -----------------------------------------------------------------------


class LinkSettings(Protocol):
    @property
    def secret(self) -> str: ...

    def public_url(self, path: str) -> str: ...


async def serve_waitlist(settings: LinkSettings) -> int:
    """Offer freed times to the waiting list now (after a cancellation has committed)."""
    return await serve(settings.secret, settings.public_url, dt.datetime.now(dt.UTC))


async def serve(secret: str, url_for: UrlFor, moment: dt.datetime) -> int:
    """Release expired holds, then hold the first free matching time for each waiting request
    in the order they came. Returns the holds made.

    Run alone, each hold is its own transaction. Run inside a caller's transaction (a closure
    removed, an opening added, a hold declined), the holds and their messages commit with the
    change that freed the times, or not at all: nothing here raises on a time taken meanwhile,
    so the caller's transaction is never left aborted."""
    await release_expired(moment)
    held = 0
    for entry in await _waiting(moment):
        async with transaction():
            free = await _first_free(entry, moment)
            if free is not None:
                held += await _hold(entry, free, secret, url_for, moment)
    return held


async def _waiting(moment: dt.datetime) -> list[dict[str, Any]]:
    local_today = moment.astimezone(HELSINKI).date()
    return await (
        WaitlistEntry.select(
            *WaitlistEntry.all_columns(),
            WaitlistEntry.contact.phone,
            WaitlistEntry.contact.email,
        )
        .where((WaitlistEntry.status == WAITING) & (WaitlistEntry.last_day >= local_today))
        .order_by(WaitlistEntry.id)
        .output(load_json=True)
    )


async def _first_free(entry: dict[str, Any], moment: dt.datetime) -> availability.FreeTime | None:
    earliest = moment + dt.timedelta(minutes=settings().minimum_notice_minutes)
    start_of_period = availability.local_moment(entry["first_day"], dt.time(0, 0))
    after = max(earliest, start_of_period) if start_of_period else earliest
    declined = set(entry.get("declined_slots") or [])
    free = await availability.free_times(
        entry["appointment_type"], after, entry["last_day"], len(declined) + 1, entry["unit"]
    )
    offered = (
        f for f in free if availability.slot_key(f.professional_id, f.starts_at) not in declined
    )
    return next(offered, None)


async def _hold(
    entry: dict[str, Any],
    free: availability.FreeTime,
    secret: str,
    url_for: UrlFor,
    moment: dt.datetime,
) -> int:
    until = moment + dt.timedelta(hours=settings().waitlist_hold_hours)
    key = availability.slot_key(free.professional_id, free.starts_at)
    rows = (
        await Booking.insert(
            Booking(
                professional=free.professional_id,
                appointment_type=entry["appointment_type"],
                starts_at=free.starts_at,
                ends_at=free.ends_at,
                mode=entry["mode"],
                status=HELD,
                slot_key=key,
                contact=entry["contact"],
                description=entry["description"],
                reminder_channel=entry["channel"],
                created_at=moment,
                language=entry["language"],
            )
        )
        .on_conflict(target=Booking.slot_key, action="DO NOTHING")
        .returning(Booking.id)
    )
    if not rows:
        return 0  # booked by someone else at the same moment; the next run tries again
    claimed = (
        await WaitlistEntry.update(
            {WaitlistEntry.status: OFFERED, WaitlistEntry.version: WaitlistEntry.version + 1}
        )
        .where((WaitlistEntry.id == entry["id"]) & (WaitlistEntry.status == WAITING))
        .returning(WaitlistEntry.id)
    )
    if not claimed:  # another run served or the citizen withdrew it meanwhile
        await Booking.delete().where(Booking.id == rows[0]["id"])
        return 0
    booking_id = int(rows[0]["id"])
    await WaitlistEntry.update(
        {WaitlistEntry.hold_booking: booking_id, WaitlistEntry.hold_until: until}
    ).where(WaitlistEntry.id == entry["id"])
    await audit.record(
        WAITLIST, "hold", "booking_waitlist", entry["id"], after={"booking": booking_id}
    )
    token = links.sign(secret, booking_id, until, links.HOLD)
    await _queue_hold_message(entry, free, url_for(f"/book/hold/{token}"), until)
    return 1


async def _queue_hold_message(
    entry: dict[str, Any], free: availability.FreeTime, url: str, until: dt.datetime
) -> None:
    recipient = entry["contact.phone"] if entry["channel"] == "sms" else entry["contact.email"]
    with in_language(entry["language"]):
        body = "\n".join(
            [
                gettext(
                    "A time you were waiting for is free: %(when)s.",
                    when=fmt_datetime(free.starts_at),
                ),
                gettext("It is held for you until %(until)s.", until=fmt_datetime(until)),
                gettext("Book it or decline it: %(url)s", url=url),
            ]
        )
        await queue_message(
            channel=entry["channel"],
            recipient=recipient,
            body=body,
            subject=gettext("A time is free for you"),
            reference=f"booking:waitlist:{entry['id']}:{entry['version'] + 1}:hold",
        )


async def release_expired(moment: dt.datetime) -> int:
    """Holds past their time free the time (the entry is `expired`), in one transaction."""
    async with transaction():
        expired = await WaitlistEntry.select(WaitlistEntry.id, WaitlistEntry.hold_booking).where(
            (WaitlistEntry.status == OFFERED) & (WaitlistEntry.hold_until <= moment)
        )
        if not expired:
            return 0
        booking_ids = [e["hold_booking"] for e in expired if e["hold_booking"]]
        await Booking.update(
            {
                Booking.status: "cancelled",
                Booking.slot_key: None,
                Booking.cancelled_by: "waitlist",
                Booking.cancelled_at: moment,
                Booking.version: Booking.version + 1,
            }
        ).where(Booking.id.is_in(booking_ids) & (Booking.status == HELD))
        await WaitlistEntry.update(
            {WaitlistEntry.status: EXPIRED, WaitlistEntry.version: WaitlistEntry.version + 1}
        ).where(WaitlistEntry.id.is_in([e["id"] for e in expired]))
        await audit.record_each(
            WAITLIST, "expire", "booking_waitlist", [(e["id"], None) for e in expired]
        )
        return len(expired)


# -- using the hold -------------------------------------------------------------------------


async def held_booking(secret: str, token: str, moment: dt.datetime) -> dict[str, Any]:
    """The booking a hold link names (raises links.BadLink or NotFound)."""
    booking_id = links.verify(secret, token, moment, links.HOLD)
    return await bookings.get_booking(booking_id)


async def use_hold(actor: Actor, booking: dict[str, Any], moment: dt.datetime) -> dict[str, Any]:
    """Book the held time (in the caller's transaction); ValidationFailed if the link was
    already used or the hold has ended, with nothing written."""
    if booking["status"] != HELD:
        used = booking["status"] == bookings.ACTIVE
        raise ValidationFailed({"hold": HOLD_USED if used else HOLD_ENDED})
    changed = (
        await Booking.update(
            {Booking.status: bookings.ACTIVE, Booking.version: Booking.version + 1}
        )
        .where((Booking.id == booking["id"]) & (Booking.status == HELD))
        .returning(Booking.id)
    )
    if not changed:
        raise ValidationFailed({"hold": HOLD_USED})
    entries = (
        await WaitlistEntry.update(
            {WaitlistEntry.status: BOOKED, WaitlistEntry.version: WaitlistEntry.version + 1}
        )
        .where((WaitlistEntry.hold_booking == booking["id"]) & (WaitlistEntry.status == OFFERED))
        .returning(WaitlistEntry.id)
    )
    if not entries:
        raise ValidationFailed({"hold": HOLD_ENDED})  # rolls the booking back too
    await audit.record(
        actor,
        "create",
        "booking",
        booking["id"],
        after={"status": bookings.ACTIVE, "from": "waitlist"},
    )
    return await bookings.get_booking(booking["id"])
