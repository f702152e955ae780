"""When staff cannot keep a booking: cancel it with a notice, offer the customer new times, or
move it to a colleague. Each reaches the customer in their own channel and language, and
nothing is sent any more for the old time. Call these inside `core.db.transaction()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from plugins.booking import availability, bookings, meeting_customer, meetings, reminders
from plugins.booking.bookings import BOOKING_COLUMNS
from plugins.booking.settings import current as settings
from plugins.booking.tables import Booking, Closure, JointMeeting, Opening, Professional
from valvomo.api import (
    HELSINKI,
    N_,
    Actor,
    NotFound,
    ValidationFailed,
    cancel_messages_of,
    in_language,
    requeue_cancelled,
)

UrlFor = Callable[[dict[str, Any]], str]
"""Builds a customer's link (to book anew, or to choose an offered time) for a booking."""

REASONS = tuple(reminders.CANCEL_REASONS)
JOINT_MEETING = N_(
    "This is a joint meeting: move or cancel the meeting as a whole, so that every "
    "participant is told."
)
CHOICES = ("move", "offer", "cancel")


async def _not_joint(booking_id: int) -> None:
    """A joint meeting's row is never handled alone: the meeting would stay for the others."""
    row = await Booking.select(Booking.meeting).where(Booking.id == booking_id).first()
    if row is not None and row["meeting"]:
        raise ValidationFailed({"booking": JOINT_MEETING})


def check_reason(reason: str) -> str:
    if reason not in REASONS:
        raise ValidationFailed({"reason": N_("Choose the reason the customer is told.")})
    return reason


async def cancel_with_notice(
    actor: Actor, booking_id: int, reason: str, book_url: UrlFor, moment: dt.datetime
) -> bool:
    """Cancel for staff reasons and tell the customer; False if there was no one to tell."""
    check_reason(reason)
    await _not_joint(booking_id)
    booking = await bookings.cancel_booking(
        actor, booking_id, by="staff", reason=reason, moment=moment
    )
    details = bookings.message_details(booking, "")
    if details is None:
        return False
    with in_language(booking["language"]):
        await reminders.queue_cancellation_notice(details, reason, book_url(booking))
    return True


async def offer_new_times(
    actor: Actor, booking_id: int, reason: str, offer_url: UrlFor, moment: dt.datetime
) -> None:
    """Release the time and send the customer a link to choose a new one of the same type."""
    check_reason(reason)
    await _not_joint(booking_id)
    booking = await bookings.get_booking(booking_id)
    details = bookings.message_details(booking, "")
    if details is None:
        raise ValidationFailed(
            {"choice": N_("The customer has no phone or e-mail for the link. Call them instead.")}
        )
    if booking["status"] != bookings.ACTIVE:
        raise ValidationFailed({"booking": N_("This booking has already been cancelled.")})
    rows = (
        await Booking.update(
            {
                Booking.status: bookings.OFFERED,
                Booking.slot_key: None,
                Booking.cancel_reason: reason,
                Booking.version: Booking.version + 1,
            }
        )
        .where((Booking.id == booking_id) & (Booking.version == booking["version"]))
        .returning(Booking.id)
    )
    if not rows:
        raise ValidationFailed({"booking": N_("This booking was changed at the same time.")})
    await reminders.cancel_booking_messages(booking_id, booking["version"])
    await bookings.audit.record(
        actor,
        "update",
        "booking",
        booking_id,
        customer_id=booking["customer"],
        before={"status": bookings.ACTIVE},
        after={"status": bookings.OFFERED, "reason": reason},
    )
    offered = {**booking, "status": bookings.OFFERED, "version": booking["version"] + 1}
    details = bookings.message_details(offered, "")
    assert details is not None
    with in_language(booking["language"]):
        await reminders.queue_offer_notice(details, reason, offer_url(offered))


async def move_to_colleague(
    actor: Actor, booking_id: int, colleague_id: int, manage_url: UrlFor, moment: dt.datetime
) -> dict[str, Any]:
    """The same time with a colleague who has that type open then; the customer is told."""
    booking = await bookings.get_booking(booking_id)
    if booking["meeting"]:
        raise ValidationFailed({"booking": JOINT_MEETING})
    if colleague_id == booking["professional"] or not colleague_id:
        raise ValidationFailed({"colleague": N_("Choose a colleague.")})
    slot = await availability.offered_slot(
        colleague_id, booking["appointment_type"], booking["starts_at"]
    )
    if slot is None:
        raise ValidationFailed(
            {"colleague": N_("The colleague has no opening of this type at this time.")}
        )
    moved = await bookings.move_booking(
        actor, booking_id, booking["starts_at"], moment - _notice(), colleague_id
    )
    await bookings.queue_messages(moved, manage_url(moved), moment)
    return moved


def _notice() -> dt.timedelta:
    """A move by staff is not held to the self-service minimum notice."""
    return dt.timedelta(minutes=settings().minimum_notice_minutes)


async def colleagues_for(booking: dict[str, Any]) -> list[dict[str, Any]]:
    """Professionals with the booking's type open at its time and free then."""
    day = booking["starts_at"].astimezone(HELSINKI).date()
    openings = await Opening.select(Opening.professional).where(
        (Opening.appointment_type == booking["appointment_type"])
        & (Opening.professional != booking["professional"])
        & (Opening.valid_from <= day)
        & ((Opening.valid_until.is_null()) | (Opening.valid_until >= day))
    )
    candidates = sorted({row["professional"] for row in openings})
    busy = await availability.busy_periods(candidates, booking["starts_at"], booking["ends_at"])
    free = []
    for professional_id in candidates:
        if busy.get(professional_id):
            continue
        slot = await availability.offered_slot(
            professional_id, booking["appointment_type"], booking["starts_at"]
        )
        if slot is not None:
            free.append(professional_id)
    if not free:
        return []
    return await Professional.select(
        Professional.id, Professional.user._.full_name, Professional.unit._.name
    ).where(Professional.id.is_in(free))


async def get_closure(closure_id: int, professional_id: int) -> dict[str, Any]:
    row = (
        await Closure.select()
        .where((Closure.id == closure_id) & (Closure.professional == professional_id))
        .first()
    )
    if row is None:
        raise NotFound(f"closure {closure_id}")
    return dict(row)


async def bookings_in_closure(closure: dict[str, Any]) -> list[dict[str, Any]]:
    """The professional's bookings that still hold a time inside the closure, earliest first."""
    return (
        await Booking.select(*BOOKING_COLUMNS)
        .where(
            (Booking.professional == closure["professional"])
            & (Booking.status == bookings.ACTIVE)
            & (Booking.starts_at < closure["ends_at"])
            & (Booking.ends_at > closure["starts_at"])
        )
        .order_by(Booking.starts_at)
        .output(load_json=True)
    )


async def cancel_all_with_notice(
    actor: Actor, closure: dict[str, Any], reason: str, book_url: UrlFor, moment: dt.datetime
) -> int:
    """A unit closed for a day: every booking in the closure is cancelled with a notice.

    One UPDATE frees all the times and one withdraws their messages; each booking is then
    audited and its customer's notice queued. A joint meeting in the closure is cancelled as a
    whole: every participant's time is freed and each participant, guest and the customer is
    told. Returns how many bookings and meetings were cancelled."""
    check_reason(reason)
    listed = await bookings_in_closure(closure)
    joint = sorted({row["meeting"] for row in listed if row["meeting"]})
    for meeting_id in joint:
        await meetings.cancel_meeting(actor, meeting_id, moment)
    rows = [row for row in listed if not row["meeting"]]
    if not rows:
        return len(joint)
    cancelled = (
        await Booking.update(
            {
                Booking.status: "cancelled",
                Booking.slot_key: None,
                Booking.version: Booking.version + 1,
                Booking.cancelled_by: "staff",
                Booking.cancel_reason: reason,
                Booking.cancelled_at: moment,
            }
        )
        .where(Booking.id.is_in([r["id"] for r in rows]) & (Booking.status == bookings.ACTIVE))
        .returning(Booking.id, Booking.version)
    )
    versions = {row["id"]: row["version"] for row in cancelled}
    await cancel_messages_of(
        [ref for i, v in versions.items() for ref in reminders.references(i, v - 1)]
    )
    for row in rows:
        if row["id"] not in versions:
            continue  # changed by someone else since it was listed
        await bookings.audit_cancellation(actor, row, "cancelled", "staff", reason)
        booking = {**row, "status": "cancelled", "version": versions[row["id"]]}
        details = bookings.message_details(booking, "")
        if details is not None:
            with in_language(booking["language"]):
                await reminders.queue_cancellation_notice(details, reason, book_url(booking))
    return len(versions) + len(joint)


# -- nothing goes out for a closed time ----------------------------------------------------
#
# A closure over booked times (a sick day) withdraws, in its own transaction, the unsent
# confirmation and reminder of every booking it covers, and those of a covered joint
# meeting's customer: they are *held* until the professional chooses per booking (move,
# offer new times, cancel with notice; each sends its own message for the new situation).
# If the closure is removed or shortened so that a booking is no longer inside any closure,
# its held messages are queued again (a reminder whose moment passed goes at once, for a
# time still ahead). Until then the calendar and the dashboard show the booking as needing
# a decision.

MEETING_KINDS = ("confirmation", "reminder", "moved")


async def _meeting_references(meeting_ids: set[int]) -> list[str]:
    """The customer messages of the meetings' current versions (booked meetings only)."""
    if not meeting_ids:
        return []
    rows = await JointMeeting.select(JointMeeting.id, JointMeeting.version).where(
        JointMeeting.id.is_in(sorted(meeting_ids)) & (JointMeeting.status == bookings.ACTIVE)
    )
    return [
        meeting_customer.reference(row["id"], row["version"], kind)
        for row in rows
        for kind in MEETING_KINDS
    ]


async def hold_messages_in(closure: dict[str, Any]) -> int:
    """Withdraw the unsent messages of the bookings (and joint meetings) the closure covers;
    returns how many bookings now wait for the professional's choice."""
    rows = await bookings_in_closure(closure)
    references = [ref for row in rows for ref in reminders.references(row["id"], row["version"])]
    references += await _meeting_references({row["meeting"] for row in rows if row["meeting"]})
    if references:
        await cancel_messages_of(references)
    return len(rows)


async def hold_all_closed(moment: dt.datetime) -> int:
    """`hold_messages_in` for every closure not yet over (idempotent: what is held stays
    held); returns how many bookings wait for a choice."""
    closures = await Closure.select().where(Closure.ends_at > moment)
    return sum([await hold_messages_in(closure) for closure in closures])


async def _still_closed(rows: list[dict[str, Any]]) -> set[int]:
    """The ids of the rows some closure of their professional still covers."""
    if not rows:
        return set()
    since = min(row["starts_at"] for row in rows)
    until = max(row["ends_at"] for row in rows)
    closed = await availability.busy_closures(
        sorted({row["professional"] for row in rows}), since, until
    )
    return {
        row["id"]
        for row in rows
        if availability.overlaps(
            row["starts_at"], row["ends_at"], closed.get(row["professional"], [])
        )
    }


async def release_held_messages(covered: list[dict[str, Any]], moment: dt.datetime) -> int:
    """`covered`: the bookings a closure covered before it was removed or changed. Those still
    booked, still ahead and now inside no closure get their held messages back (a joint
    meeting's customer only when no participant is closed any more); returns how many."""
    ids = [row["id"] for row in covered]
    if not ids:
        return 0
    current = await Booking.select(
        Booking.id,
        Booking.professional,
        Booking.starts_at,
        Booking.ends_at,
        Booking.version,
        Booking.meeting,
    ).where(
        Booking.id.is_in(ids) & (Booking.status == bookings.ACTIVE) & (Booking.starts_at > moment)
    )
    closed = await _still_closed(current)
    freed = [row for row in current if row["id"] not in closed]
    references = [ref for row in freed for ref in reminders.references(row["id"], row["version"])]
    meeting_ids = {row["meeting"] for row in freed if row["meeting"]}
    if meeting_ids:
        participants = await Booking.select(
            Booking.id, Booking.professional, Booking.starts_at, Booking.ends_at, Booking.meeting
        ).where(Booking.meeting.is_in(sorted(meeting_ids)) & (Booking.status == bookings.ACTIVE))
        busy = await _still_closed(participants)
        meeting_ids -= {row["meeting"] for row in participants if row["id"] in busy}
    references += await _meeting_references(meeting_ids)
    await requeue_cancelled(references, moment)
    return len(freed)


async def needing_a_choice(professional_id: int, moment: dt.datetime) -> list[dict[str, Any]]:
    """The professional's coming closures that still cover booked times, each with how many:
    their customers hear nothing until the professional chooses what happens."""
    closures = (
        await Closure.select()
        .where((Closure.professional == professional_id) & (Closure.ends_at > moment))
        .order_by(Closure.starts_at)
    )
    if not closures:
        return []
    held = await Booking.select(Booking.starts_at, Booking.ends_at).where(
        (Booking.professional == professional_id)
        & (Booking.status == bookings.ACTIVE)
        & (Booking.ends_at > moment)
        & (Booking.starts_at < max(c["ends_at"] for c in closures))
        & (Booking.ends_at > min(c["starts_at"] for c in closures))
    )
    found = []
    for closure in closures:
        count = sum(
            1
            for b in held
            if b["starts_at"] < closure["ends_at"] and closure["starts_at"] < b["ends_at"]
        )
        if count:
            found.append({**closure, "bookings": count})
    return found
