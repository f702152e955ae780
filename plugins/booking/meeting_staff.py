"""Messages to the professionals of a joint meeting: an invitation when they are booked into
it, a message when it moves or is cancelled. Each goes by e-mail when the professional has an
address, otherwise as a text message to the mobile number on their booking profile, and is
written in the professional's own language (not the sender's). One with neither gets it as a
notice in Valvomo: on their dashboard and calendar until they mark it read (and the meeting
page names them, so the organiser may also tell them). Call inside `transaction()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plugins.booking.tables import MeetingNotice, Professional
from valvomo.api import Actor, in_language, now, queue_message, sms_recipient_problem

IN_APP = "app"
"""The channel of a professional with neither e-mail nor mobile: a notice in Valvomo."""


@dataclass(frozen=True)
class StaffContact:
    channel: str
    recipient: str
    language: str
    professional_id: int = 0


def contact(
    email: str | None, phone: str | None, language: str | None, professional_id: int = 0
) -> StaffContact:
    """E-mail first, then a mobile number that can receive text messages, else in the app."""
    lang = language or "fi"
    if email:
        return StaffContact("email", email, lang, professional_id)
    if phone and not sms_recipient_problem(phone):
        return StaffContact("sms", phone, lang, professional_id)
    return StaffContact(IN_APP, "", lang, professional_id)


def participant_contact(participant: dict[str, Any]) -> StaffContact:
    """The contact of a participant row of `meetings.get_meeting`."""
    return contact(
        participant.get("professional.user.email"),
        participant.get("professional.phone"),
        participant.get("professional.user.language"),
        int(participant.get("professional") or 0),
    )


def unreachable(participants: list[dict[str, Any]]) -> list[str]:
    """Names of the booked participants no message can reach (no e-mail, no mobile): they are
    told only by a notice in Valvomo."""
    return [
        str(p["professional.user.full_name"])
        for p in participants
        if p.get("status", "booked") == "booked" and participant_contact(p).channel == IN_APP
    ]


async def tell(
    to: StaffContact, reference: str, write: Callable[[], tuple[str, str]], meeting_id: int
) -> int:
    """Queue the message `write` makes (subject, body) in the recipient's language, or for one
    without e-mail and mobile leave it as a notice in Valvomo (once per `reference`); 1 if
    told."""
    with in_language(to.language):
        subject, body = write()
        if to.channel == IN_APP:
            return await _leave_notice(to.professional_id, meeting_id, reference, subject, body)
        await queue_message(
            channel=to.channel,
            recipient=to.recipient,
            subject=subject if to.channel == "email" else "",
            body=body,
            reference=reference,
        )
    return 1


async def _leave_notice(
    professional_id: int, meeting_id: int, reference: str, subject: str, body: str
) -> int:
    if not professional_id:
        return 0
    if await MeetingNotice.exists().where(MeetingNotice.reference == reference[:200]):
        return 0
    await MeetingNotice.insert(
        MeetingNotice(
            professional=professional_id,
            meeting=meeting_id,
            reference=reference[:200],
            subject=subject[:300],
            body=body,
            created_at=now(),
        )
    )
    return 1


async def unread_notices(professional_id: int) -> list[dict[str, Any]]:
    """The professional's meeting notices not yet marked read, newest first; one about a
    meeting whose time is over no longer matters and is not shown."""
    return list(
        await MeetingNotice.select()
        .where(
            (MeetingNotice.professional == professional_id)
            & MeetingNotice.read_at.is_null()
            & (MeetingNotice.meeting._.ends_at > now())
        )
        .order_by(MeetingNotice.created_at, ascending=False)
        .order_by(MeetingNotice.id, ascending=False)
    )


async def mark_read(actor: Actor, notice_id: int, user_id: int) -> bool:
    """Mark one of the user's own notices read; False if it is not theirs or already read."""
    own = Professional.select(Professional.id).where(Professional.user == user_id)
    rows = (
        await MeetingNotice.update({MeetingNotice.read_at: now()})
        .where(
            (MeetingNotice.id == notice_id)
            & MeetingNotice.professional.is_in(own)
            & MeetingNotice.read_at.is_null()
        )
        .returning(MeetingNotice.id)
    )
    return bool(rows)
