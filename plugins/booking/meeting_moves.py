"""Moving a joint meeting to another common free time: every participant's booking moves in
one transaction, each participant is told, and a time someone is busy at is refused.

Two moves of the same meeting at once (two tabs, two organisers) give one result: the move is
conditional on the meeting's version the mover saw, so the second finds it changed and nothing
of it is written. A move racing a booking or another meeting for the same time loses on the
bookings' unique `slot_key` like any booking. Call inside `transaction()`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from plugins.booking import (
    availability,
    bookings,
    meeting_customer,
    meeting_guests,
    meeting_staff,
    meetings,
)
from plugins.booking.tables import Booking, JointMeeting
from valvomo.api import (
    N_,
    Actor,
    ValidationFailed,
    audit,
    fmt_datetime,
    gettext,
)

CHANGED = N_("This meeting was changed at the same time. Look at it again.")


async def move_meeting(
    actor: Actor,
    meeting_id: int,
    starts_at: dt.datetime,
    seen_version: int,
    moment: dt.datetime,
    secret: str = "",
) -> int:
    """Move everyone's booking to `starts_at`; returns how many participants and guests were
    told (`secret` makes the remote meeting's new video room).
    ValidationFailed (nothing written) when the meeting is cancelled or changed meanwhile or
    someone is not free; SlotTaken when another booking took the time first."""
    meeting = await meetings.get_meeting(meeting_id)
    if meeting["status"] != bookings.ACTIVE:
        raise ValidationFailed({"meeting": N_("This meeting has already been cancelled.")})
    held = [p for p in meeting["participants"] if p["status"] == bookings.ACTIVE]
    if starts_at == meeting["starts_at"]:
        raise ValidationFailed({"starts_at": N_("Choose a time other than the current one.")})
    claimed = (
        await JointMeeting.update({JointMeeting.version: JointMeeting.version + 1})
        .where(
            (JointMeeting.id == meeting_id)
            & (JointMeeting.version == seen_version)
            & (JointMeeting.status == bookings.ACTIVE)
        )
        .returning(JointMeeting.id)
    )
    if not claimed:
        raise ValidationFailed({"meeting": CHANGED})
    # The meeting's own times must not count as busy while the new time is checked.
    await Booking.update({Booking.slot_key: None}).where(Booking.id.is_in([p["id"] for p in held]))
    participants = await meetings._participants([p["professional"] for p in held])
    slot = await meetings._check_everyone_free(
        participants, held[0]["appointment_type"], starts_at, moment
    )
    await _move_bookings(held, slot)
    await JointMeeting.update(
        {JointMeeting.starts_at: slot[0], JointMeeting.ends_at: slot[1]}
    ).where(JointMeeting.id == meeting_id)
    await audit.record(
        actor,
        "update",
        "booking_meeting",
        meeting_id,
        before={"starts_at": meeting["starts_at"].isoformat()},
        after={"starts_at": slot[0].isoformat()},
    )
    moved = {**meeting, "version": seen_version + 1, "starts_at": slot[0], "ends_at": slot[1]}
    video = meeting_guests.video_url(secret, moved)
    told = sum([await _tell(moved, p, meeting["starts_at"], video) for p in held])
    told += await meeting_customer.tell_moved(
        moved, seen_version, meeting["starts_at"], secret, moment
    )
    return told + await meeting_guests.tell_guests(moved, "moved", secret)


async def _move_bookings(held: list[dict[str, Any]], slot: tuple[dt.datetime, dt.datetime]) -> None:
    for participant in held:
        try:
            await Booking.update(
                {
                    Booking.starts_at: slot[0],
                    Booking.ends_at: slot[1],
                    Booking.slot_key: availability.slot_key(participant["professional"], slot[0]),
                    Booking.version: Booking.version + 1,
                }
            ).where(Booking.id == participant["id"])
        except Exception as exc:
            if bookings.is_unique_violation(exc):
                raise bookings.SlotTaken() from exc
            raise


async def _tell(
    meeting: dict[str, Any], participant: dict[str, Any], old: dt.datetime, video: str
) -> int:
    def write() -> tuple[str, str]:
        lines = [
            gettext(
                "The joint meeting %(title)s has been moved from %(old)s to %(new)s.",
                title=meeting["title"],
                old=fmt_datetime(old),
                new=fmt_datetime(meeting["starts_at"]),
            )
        ]
        if video:
            lines.append(gettext("Video meeting: %(url)s", url=video))
        return gettext("Meeting moved: %(title)s", title=meeting["title"]), "\n".join(lines)

    reference = (
        f"booking-meeting:{meeting['id']}:moved:{meeting['version']}:{participant['professional']}"
    )
    return await meeting_staff.tell(
        meeting_staff.participant_contact(participant), reference, write, meeting["id"]
    )
