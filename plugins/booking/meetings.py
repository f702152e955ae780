"""Joint meetings: professionals (and optionally a customer) at a time free for all of them.

Each professional holds the time through their own `Booking` row (with `meeting` set), so the
unique `slot_key` that guards single bookings guards the meeting too: of simultaneous
attempts at the same common time exactly one commits. Call these inside `transaction()`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from plugins.booking import (
    availability,
    bookings,
    meeting_customer,
    meeting_guests,
    meeting_staff,
)
from plugins.booking.reminders import MODE_NAMES
from plugins.booking.tables import Booking, JointMeeting, Professional
from valvomo.api import (
    HELSINKI,
    N_,
    Actor,
    NotFound,
    ValidationFailed,
    audit,
    fmt_datetime,
    gettext,
)

MAX_PARTICIPANTS = 8


@dataclass(frozen=True)
class CommonTime:
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def day(self) -> dt.date:
        return self.starts_at.astimezone(HELSINKI).date()


def _free_slots(
    openings: list[dict[str, Any]],
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]],
    earliest: dt.datetime,
    day: dt.date,
) -> dict[int, set[tuple[dt.datetime, dt.datetime]]]:
    free: dict[int, set[tuple[dt.datetime, dt.datetime]]] = {}
    for opening in openings:
        if not availability.opening_applies(opening, day):
            continue
        periods = busy.get(opening["professional"], [])
        for start, end in availability.opening_slots(
            opening, day, opening["appointment_type.duration_minutes"]
        ):
            if start >= earliest and not availability.overlaps(start, end, periods):
                free.setdefault(opening["professional"], set()).add((start, end))
    return free


async def common_free_times(
    appointment_type_id: int,
    professional_ids: list[int],
    earliest: dt.datetime,
    last_day: dt.date,
    limit: int = 12,
    own: tuple[dt.datetime, dt.datetime] | None = None,
) -> list[CommonTime]:
    """The first `limit` slots of the type that every professional has open and free. `own`
    is a meeting's current time, held by each of them: not busy for its own move (so a time
    overlapping it is offered), but the time itself is not offered."""
    wanted = sorted(set(professional_ids))
    first_day = earliest.astimezone(HELSINKI).date()
    openings = [
        o
        for o in await availability.openings_for(appointment_type_id, first_day, last_day)
        if o["professional"] in wanted
    ]
    found: list[CommonTime] = []
    window_start, window_days = first_day, 1
    while openings and window_start <= last_day and len(found) < limit:
        window_end = min(window_start + dt.timedelta(days=window_days - 1), last_day)
        since = availability.local_moment(window_start, dt.time(0)) or earliest
        until = availability.local_moment(window_end + dt.timedelta(days=1), dt.time(0)) or since
        busy = await availability.busy_periods(wanted, max(since, earliest), until)
        if own is not None:
            busy = {p: _without(periods, own) for p, periods in busy.items()}
        day = window_start
        while day <= window_end and len(found) < limit:
            free = _free_slots(openings, busy, earliest, day)
            if len(free) == len(wanted):
                shared = set.intersection(*free.values())
                found.extend(CommonTime(s, e) for s, e in sorted(shared) if (s, e) != own)
            day += dt.timedelta(days=1)
        window_start = window_end + dt.timedelta(days=1)
        window_days = min(window_days * 2, availability.MAX_WINDOW_DAYS)
    return found[:limit]


def _without(
    periods: list[tuple[dt.datetime, dt.datetime]], own: tuple[dt.datetime, dt.datetime]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The periods less one that is exactly `own` (a closure of the same time stays)."""
    rest = list(periods)
    if own in rest:
        rest.remove(own)
    return rest


async def _participants(professional_ids: list[int]) -> list[dict[str, Any]]:
    rows = await Professional.select(
        Professional.id,
        Professional.user,
        Professional.user._.full_name,
        Professional.user.email,
        Professional.user.language,
        Professional.phone,
    ).where(Professional.id.is_in(professional_ids))
    return list(rows)


async def book_meeting(
    actor: Actor,
    *,
    organiser_id: int,
    colleague_ids: list[int],
    appointment_type_id: int,
    starts_at: dt.datetime,
    mode: str,
    title: str,
    customer_id: int | None,
    moment: dt.datetime,
    secret: str = "",
) -> int:
    """One meeting and a held booking for each participant, with the title and mode as
    `forms.MeetingForm` read them; ValidationFailed names who is not free, SlotTaken if another
    meeting or booking took the time first. The customer, if any, gets a confirmation and a
    reminder (`secret` makes a remote meeting's video room)."""
    ids = sorted({organiser_id, *colleague_ids})
    errors: dict[str, str] = {}
    if len(ids) < 2:
        errors["colleagues"] = N_("Choose at least one colleague.")
    if len(ids) > MAX_PARTICIPANTS:
        errors["colleagues"] = N_("At most eight professionals in one meeting.")
    if errors:
        raise ValidationFailed(errors)
    participants = await _participants(ids)
    if len(participants) != len(ids):
        raise ValidationFailed({"colleagues": N_("Choose colleagues from the list.")})
    slot = await _check_everyone_free(participants, appointment_type_id, starts_at, moment)
    rows = await JointMeeting.insert(
        JointMeeting(
            title=title,
            organiser=organiser_id,
            starts_at=slot[0],
            ends_at=slot[1],
            created_at=moment,
        )
    ).returning(JointMeeting.id)
    meeting_id = int(rows[0]["id"])
    try:
        await Booking.insert(
            *[
                Booking(
                    professional=p["id"],
                    appointment_type=appointment_type_id,
                    starts_at=slot[0],
                    ends_at=slot[1],
                    mode=mode,
                    status=bookings.ACTIVE,
                    slot_key=availability.slot_key(p["id"], slot[0]),
                    customer=customer_id if p["id"] == organiser_id else None,
                    description=title,
                    reminder_channel="none",
                    booked_by=actor.id,
                    created_at=moment,
                    meeting=meeting_id,
                )
                for p in participants
            ]
        )
    except Exception as exc:
        if bookings.is_unique_violation(exc):
            raise bookings.SlotTaken() from exc
        raise
    await audit.record(
        actor,
        "create",
        "booking_meeting",
        meeting_id,
        customer_id=customer_id,
        after={"professionals": ids, "starts_at": slot[0].isoformat(), "title": title},
    )
    booked = {
        "id": meeting_id,
        "title": title,
        "organiser": organiser_id,
        "starts_at": slot[0],
        "ends_at": slot[1],
        "mode": mode,
        "version": 1,
        "customer": customer_id,
    }
    organiser = next(p["user.full_name"] for p in participants if p["id"] == organiser_id)
    video = meeting_guests.video_url(secret, booked)
    for p in participants:
        if p["id"] != organiser_id:
            to = meeting_staff.contact(p["user.email"], p["phone"], p["user.language"])
            await _invite(booked, p["id"], to, organiser, video)
    if customer_id:
        await meeting_customer.tell_booked(booked, secret, moment)
    return meeting_id


async def _invite(
    meeting: dict[str, Any],
    professional_id: int,
    to: meeting_staff.StaffContact | None,
    organiser: str,
    video: str,
) -> int:
    """A colleague booked into the meeting is told, in their own language."""

    def write() -> tuple[str, str]:
        lines = [
            gettext(
                "%(organiser)s has booked you into the joint meeting %(title)s on %(when)s "
                "(%(how)s).",
                organiser=organiser,
                title=meeting["title"],
                when=fmt_datetime(meeting["starts_at"]),
                how=gettext(MODE_NAMES.get(meeting["mode"], "")),
            )
        ]
        if video:
            lines.append(gettext("Video meeting: %(url)s", url=video))
        return gettext("Invitation to a meeting: %(title)s", title=meeting["title"]), "\n".join(
            lines
        )

    reference = f"booking-meeting:{meeting['id']}:invited:{professional_id}"
    return await meeting_staff.tell(to, reference, write)


async def _check_everyone_free(
    participants: list[dict[str, Any]],
    appointment_type_id: int,
    starts_at: dt.datetime,
    moment: dt.datetime,
) -> tuple[dt.datetime, dt.datetime]:
    if starts_at <= moment:
        raise ValidationFailed({"starts_at": N_("This time has already passed. Choose another.")})
    slot = None
    for p in participants:
        slot = await availability.offered_slot(p["id"], appointment_type_id, starts_at)
        if slot is None:
            message = N_("%(name)s has no opening of this type at this time.")
            raise ValidationFailed({"starts_at": gettext(message, name=p["user.full_name"])})
    assert slot is not None
    busy = await availability.busy_periods([p["id"] for p in participants], slot[0], slot[1])
    for p in participants:
        if busy.get(p["id"]):
            message = N_("%(name)s is busy at this time.")
            raise ValidationFailed({"starts_at": gettext(message, name=p["user.full_name"])})
    return slot


async def get_meeting(meeting_id: int) -> dict[str, Any]:
    meeting = await JointMeeting.select().where(JointMeeting.id == meeting_id).first()
    if meeting is None:
        raise NotFound(f"meeting {meeting_id}")
    participants = await Booking.select(
        Booking.id,
        Booking.professional,
        Booking.status,
        Booking.customer,
        Booking.appointment_type,
        Booking.mode,
        Booking.professional._.user._.full_name,
        Booking.professional._.user._.email,
        Booking.professional._.user._.language,
        Booking.professional._.phone,
    ).where(Booking.meeting == meeting_id)
    customers = [p["customer"] for p in participants if p["customer"]]
    return {
        **meeting,
        "participants": participants,
        "mode": participants[0]["mode"] if participants else "",
        "customer": customers[0] if customers else None,
    }


async def cancel_meeting(
    actor: Actor, meeting_id: int, moment: dt.datetime, *, tell_customer: bool = True
) -> int:
    """Free everyone's time and tell each participant with an e-mail address, the guests and
    the customer (not when the customer has died: their unsent messages are only withdrawn);
    returns how many were told."""
    meeting = await get_meeting(meeting_id)
    if meeting["status"] != bookings.ACTIVE:
        raise ValidationFailed({"meeting": N_("This meeting has already been cancelled.")})
    rows = (
        await JointMeeting.update(
            {JointMeeting.status: "cancelled", JointMeeting.version: JointMeeting.version + 1}
        )
        .where((JointMeeting.id == meeting_id) & (JointMeeting.version == meeting["version"]))
        .returning(JointMeeting.id)
    )
    if not rows:
        raise ValidationFailed({"meeting": N_("This meeting was changed at the same time.")})
    told = 0
    for participant in meeting["participants"]:
        if participant["status"] == bookings.ACTIVE:
            await bookings.cancel_booking(
                actor, participant["id"], by="staff", reason="schedule", moment=moment
            )
        told += await _tell(meeting, participant)
    await audit.record(
        actor, "update", "booking_meeting", meeting_id, after={"status": "cancelled"}
    )
    cancelled = {**meeting, "version": meeting["version"] + 1}
    if tell_customer:
        told += await meeting_customer.tell_cancelled(cancelled, meeting["version"])
    else:
        await meeting_customer.withdraw(meeting_id, meeting["version"])
    return told + await meeting_guests.tell_guests(cancelled, "cancelled", "")


async def cancel_meetings_of_deceased(actor: Actor, customer_id: int, moment: dt.datetime) -> int:
    """The customer died: each of their coming joint meetings is cancelled as a whole (every
    participant's time freed, the participants and guests told, nothing more sent to the
    customer), in the caller's transaction; returns how many meetings."""
    rows = await Booking.select(Booking.meeting).where(
        (Booking.customer == customer_id)
        & Booking.meeting.is_not_null()
        & (Booking.status == bookings.ACTIVE)
        & (Booking.starts_at > moment)
    )
    meeting_ids = sorted({row["meeting"] for row in rows})
    for meeting_id in meeting_ids:
        await cancel_meeting(actor, meeting_id, moment, tell_customer=False)
    return len(meeting_ids)


async def _tell(meeting: dict[str, Any], participant: dict[str, Any]) -> int:
    def write() -> tuple[str, str]:
        return (
            gettext("Meeting cancelled: %(title)s", title=meeting["title"]),
            gettext(
                "The joint meeting %(title)s on %(when)s has been cancelled.",
                title=meeting["title"],
                when=fmt_datetime(meeting["starts_at"]),
            ),
        )

    reference = f"booking-meeting:{meeting['id']}:cancelled:{participant['professional']}"
    return await meeting_staff.tell(
        meeting_staff.participant_contact(participant), reference, write
    )
