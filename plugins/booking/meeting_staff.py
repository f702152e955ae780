"""Messages to the professionals of a joint meeting: an invitation when they are booked into
it, a message when it moves or is cancelled. Each goes by e-mail when the professional has an
address, otherwise as a text message to the mobile number on their booking profile, and is
written in the professional's own language (not the sender's). One with neither is named on
the meeting page so the organiser tells them. Call inside `transaction()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from valvomo.api import in_language, queue_message, sms_recipient_problem


@dataclass(frozen=True)
class StaffContact:
    channel: str
    recipient: str
    language: str


def contact(email: str | None, phone: str | None, language: str | None) -> StaffContact | None:
    """E-mail first, then a mobile number that can receive text messages; None for neither."""
    lang = language or "fi"
    if email:
        return StaffContact("email", email, lang)
    if phone and not sms_recipient_problem(phone):
        return StaffContact("sms", phone, lang)
    return None


def participant_contact(participant: dict[str, Any]) -> StaffContact | None:
    """The contact of a participant row of `meetings.get_meeting`."""
    return contact(
        participant.get("professional.user.email"),
        participant.get("professional.phone"),
        participant.get("professional.user.language"),
    )


def unreachable(participants: list[dict[str, Any]]) -> list[str]:
    """Names of the booked participants no message can reach (no e-mail, no mobile)."""
    return [
        str(p["professional.user.full_name"])
        for p in participants
        if p.get("status", "booked") == "booked" and participant_contact(p) is None
    ]


async def tell(
    to: StaffContact | None, reference: str, write: Callable[[], tuple[str, str]]
) -> int:
    """Queue the message `write` makes (subject, body) in the recipient's language; 1 if sent."""
    if to is None:
        return 0
    with in_language(to.language):
        subject, body = write()
        await queue_message(
            channel=to.channel,
            recipient=to.recipient,
            subject=subject if to.channel == "email" else "",
            body=body,
            reference=reference,
        )
    return 1
