"""People other than staff in a joint meeting (relatives, others the customer wants there) and
the meeting's video link. A guest is told of the meeting when added, and of its move or
cancellation, in their own channel and in the language given for them (not the staff
member's); a remote meeting's one video room is in every message. Call inside
`transaction()`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from plugins.booking import bookings, forms
from plugins.booking.reminders import MODE_NAMES
from plugins.booking.settings import current as settings
from plugins.booking.tables import MeetingGuest
from valvomo.api import (
    N_,
    Actor,
    NotFound,
    ValidationFailed,
    audit,
    fmt_datetime,
    gettext,
    in_language,
    queue_message,
    read_form,
)

MAX_GUESTS = 6
MEETING_FULL = N_("At most six other participants in one meeting.")


def video_url(secret: str, meeting: dict[str, Any]) -> str:
    """One room for everyone in a remote meeting, from the region's template; the room name is
    an HMAC of the meeting and its time, so it cannot be guessed and changes when it moves."""
    template = settings().video_link_template
    if meeting.get("mode") != "remote" or not template or not secret:
        return ""
    message = f"meeting-video:{meeting['id']}:{int(meeting['starts_at'].timestamp())}"
    room = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:24]
    return template.replace("{room}", room)


def clean_guest(form: dict[str, Any]) -> dict[str, str]:
    """Name, relation, a phone or e-mail for the chosen channel and the language the guest's
    messages are written in; ValidationFailed names every bad field."""
    errors: dict[str, str] = {}
    guest = read_form(forms.GuestForm, form, errors)
    if guest is None:
        raise ValidationFailed(errors)
    contact = forms.ContactForm(
        name=guest.guest_name,
        phone=guest.guest_phone,
        email=guest.guest_email,
        reminder_channel=guest.guest_channel,
    )
    phone = bookings.contact_problems(contact, True, errors)
    if errors:
        raise ValidationFailed({f"guest_{name}": message for name, message in errors.items()})
    return {
        "name": contact.name[:200],
        "relation": guest.guest_relation,
        "phone": phone,
        "email": contact.email,
        "channel": contact.reminder_channel,
        "language": guest.guest_language,
    }


async def guests_of(meeting_id: int) -> list[dict[str, Any]]:
    return await (
        MeetingGuest.select().where(MeetingGuest.meeting == meeting_id).order_by(MeetingGuest.id)
    )


async def add_guest(
    actor: Actor, meeting: dict[str, Any], guest: dict[str, str], secret: str, moment: dt.datetime
) -> int:
    """Add the guest to a booked meeting and send them the invitation."""
    if meeting["status"] != bookings.ACTIVE:
        raise ValidationFailed({"meeting": N_("This meeting has already been cancelled.")})
    if await MeetingGuest.count().where(MeetingGuest.meeting == meeting["id"]) >= MAX_GUESTS:
        raise ValidationFailed({"guest_name": MEETING_FULL})
    rows = await MeetingGuest.insert(
        MeetingGuest(
            meeting=meeting["id"],
            name=guest["name"],
            relation=guest["relation"],
            phone=guest["phone"],
            email=guest["email"],
            channel=guest["channel"],
            language=guest["language"],
            created_at=moment,
        )
    ).returning(MeetingGuest.id)
    guest_id = int(rows[0]["id"])
    await audit.record(
        actor,
        "create",
        "booking_meeting_guest",
        guest_id,
        customer_id=meeting.get("customer"),
        after={"meeting": meeting["id"], "relation": guest["relation"]},
    )
    row = {**guest, "id": guest_id}
    await tell_guest(row, meeting, "invited", secret)
    return guest_id


async def remove_guest(actor: Actor, meeting: dict[str, Any], guest_id: int, secret: str) -> None:
    """Take the guest out of the meeting; a guest of a booked meeting is told."""
    removed = (
        await MeetingGuest.delete()
        .where((MeetingGuest.id == guest_id) & (MeetingGuest.meeting == meeting["id"]))
        .returning(*MeetingGuest.all_columns())
    )
    if not removed:
        raise NotFound(f"meeting guest {guest_id}")
    await audit.record(
        actor,
        "delete",
        "booking_meeting_guest",
        guest_id,
        customer_id=meeting.get("customer"),
        before={"meeting": meeting["id"], "relation": removed[0]["relation"]},
    )
    if meeting["status"] == bookings.ACTIVE:
        await tell_guest(removed[0], meeting, "removed", secret)


async def tell_guests(meeting: dict[str, Any], event: str, secret: str) -> int:
    """Tell every guest of the meeting that it was moved or cancelled; returns how many."""
    guests = await guests_of(meeting["id"])
    for guest in guests:
        await tell_guest(guest, meeting, event, secret)
    return len(guests)


SUBJECTS = {
    "invited": N_("Invitation to a meeting: %(title)s"),
    "moved": N_("Meeting moved: %(title)s"),
    "cancelled": N_("Meeting cancelled: %(title)s"),
    "removed": N_("You are no longer in the meeting: %(title)s"),
}
BODIES = {
    "invited": N_("You are invited to the meeting %(title)s on %(when)s (%(how)s)."),
    "moved": N_("The meeting %(title)s has been moved to %(when)s (%(how)s)."),
    "cancelled": N_("The meeting %(title)s on %(when)s has been cancelled."),
    "removed": N_("You are no longer a participant of the meeting %(title)s on %(when)s."),
}


async def tell_guest(
    guest: dict[str, Any], meeting: dict[str, Any], event: str, secret: str
) -> None:
    with in_language(guest["language"]):
        lines = [
            gettext(
                BODIES[event],
                title=meeting["title"],
                when=fmt_datetime(meeting["starts_at"]),
                how=gettext(MODE_NAMES.get(meeting.get("mode", ""), "")),
            )
        ]
        video = video_url(secret, meeting)
        if video and event in ("invited", "moved"):
            lines.append(gettext("Video meeting: %(url)s", url=video))
        await queue_message(
            channel=guest["channel"],
            recipient=guest["phone"] if guest["channel"] == "sms" else guest["email"],
            subject=gettext(SUBJECTS[event], title=meeting["title"]),
            body="\n".join(lines),
            reference=(
                f"booking-meeting:{meeting['id']}:{event}:{meeting['version']}:guest{guest['id']}"
            ),
        )
