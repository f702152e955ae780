"""Confirmation and reminder messages of a booking, written to core's outbox.

Each message's reference carries the booking's version, so moving or cancelling a booking
cancels exactly the messages of its old time and nothing is ever sent for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from valvomo.api import HELSINKI, N_, cancel_messages, fmt_datetime, gettext, queue_message

MODE_NAMES = {
    "phone": N_("Phone call"),
    "remote": N_("Remote meeting"),
    "office": N_("Office visit"),
}


@dataclass(frozen=True)
class MessageDetails:
    booking_id: int
    version: int
    channel: str
    recipient: str
    starts_at: dt.datetime
    type_name: str
    mode: str
    place: str
    manage_url: str
    preparation: str
    customer_id: int | None
    video_url: str = ""


def reminder_moment(starts_at: dt.datetime, hours_before: int) -> dt.datetime:
    """`hours_before` on the Helsinki wall clock: a 10:00 appointment is reminded at 10:00 the
    day before (24 h) even when the clocks change in between. Returns UTC."""
    local = starts_at.astimezone(HELSINKI).replace(tzinfo=None) - dt.timedelta(hours=hours_before)
    return local.replace(tzinfo=HELSINKI).astimezone(dt.UTC)


def references(booking_id: int, version: int) -> tuple[str, str]:
    prefix = f"booking:{booking_id}:{version}"
    return f"{prefix}:confirmation", f"{prefix}:reminder"


def _when(starts_at: dt.datetime) -> str:
    return fmt_datetime(starts_at)


def _body(intro: str, details: MessageDetails) -> str:
    lines = [
        gettext(intro),
        gettext(
            "%(type)s %(when)s (%(mode)s) %(place)s",
            type=details.type_name,
            when=_when(details.starts_at),
            mode=gettext(MODE_NAMES[details.mode]),
            place=details.place,
        ).strip(),
    ]
    if details.video_url:
        lines.append(gettext("Video meeting: %(url)s", url=details.video_url))
    if details.preparation and details.channel == "email":
        lines.append(details.preparation)
    lines.append(gettext("Cancel or move: %(url)s", url=details.manage_url))
    return "\n".join(lines)


async def queue_booking_messages(
    details: MessageDetails, moment: dt.datetime, hours_before: int
) -> None:
    """The confirmation at once and the reminder `hours_before` the start, if still ahead."""
    confirmation_ref, reminder_ref = references(details.booking_id, details.version)
    subject = gettext("Your appointment")
    await queue_message(
        channel=details.channel,
        recipient=details.recipient,
        body=_body(N_("Your appointment is booked."), details),
        subject=subject,
        send_at=None,
        customer_id=details.customer_id,
        reference=confirmation_ref,
    )
    remind_at = reminder_moment(details.starts_at, hours_before)
    if remind_at > moment:
        await queue_message(
            channel=details.channel,
            recipient=details.recipient,
            body=_body(N_("Reminder of your appointment."), details),
            subject=subject,
            send_at=remind_at,
            customer_id=details.customer_id,
            reference=reminder_ref,
        )


async def cancel_booking_messages(booking_id: int, version: int) -> None:
    for reference in references(booking_id, version):
        await cancel_messages(reference)


CANCEL_REASONS = {
    "illness": N_("the professional is ill"),
    "absence": N_("the professional is away"),
    "unit_closed": N_("the office is closed"),
    "schedule": N_("a change in the professional's schedule"),
    "other": N_("an unexpected reason"),
}


def notice_reference(booking_id: int, version: int, kind: str) -> str:
    """One notice per booking version and kind, so a retried request cannot send it twice."""
    return f"booking:{booking_id}:{version}:{kind}"


def _appointment_line(details: MessageDetails) -> str:
    return gettext(
        "%(type)s %(when)s (%(mode)s) %(place)s",
        type=details.type_name,
        when=_when(details.starts_at),
        mode=gettext(MODE_NAMES[details.mode]),
        place=details.place,
    ).strip()


async def _queue_notice(details: MessageDetails, kind: str, lines: list[str], subject: str) -> None:
    await queue_message(
        channel=details.channel,
        recipient=details.recipient,
        body="\n".join([lines[0], _appointment_line(details), *lines[1:]]),
        subject=subject,
        customer_id=details.customer_id,
        reference=notice_reference(details.booking_id, details.version, kind),
    )


def _reason(reason: str) -> str:
    return gettext("Reason: %(reason)s.", reason=gettext(CANCEL_REASONS[reason]))


async def queue_cancellation_notice(details: MessageDetails, reason: str, book_url: str) -> None:
    """Tell the customer that staff cancelled the appointment, why, and where to book anew."""
    lines = [
        gettext("Your appointment has been cancelled."),
        _reason(reason),
        gettext("Book a new time: %(url)s", url=book_url),
    ]
    await _queue_notice(details, "cancelled", lines, gettext("Your appointment was cancelled"))


async def queue_offer_notice(details: MessageDetails, reason: str, offer_url: str) -> None:
    """The appointment cannot take place: the customer chooses a new time through the link."""
    lines = [
        gettext("Your appointment cannot take place at the agreed time."),
        _reason(reason),
        gettext("Choose a new time: %(url)s", url=offer_url),
    ]
    subject = gettext("Choose a new time for your appointment")
    await _queue_notice(details, "offer", lines, subject)
