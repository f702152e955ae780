"""The customer of a joint meeting is told like the customer of any booking: a confirmation
when the meeting is booked, a reminder before it, a message when it moves and when it is
cancelled, by text message to the register's mobile number in the register's language.

Each message's reference carries the meeting's version (`booking-meeting:<id>:<version>:
customer:<kind>`), so moving or cancelling the meeting withdraws exactly the unsent
messages (confirmation, reminder, move notice) of the old time, and a change that is not
committed sends nothing (the outbox row is in the change's transaction). Call inside
`transaction()`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from plugins.booking import meeting_guests, reminders
from plugins.booking.settings import current as settings
from plugins.booking.tables import Professional
from valvomo.api import (
    N_,
    cancel_messages_of,
    customers,
    fmt_datetime,
    gettext,
    in_language,
    queue_message,
    sms_recipient_problem,
)

KINDS = ("confirmation", "reminder", "moved", "cancelled")
INTROS = {
    "confirmation": N_("You have been booked into a meeting."),
    "reminder": N_("Reminder of your meeting."),
    "moved": N_("Your meeting has been moved."),
    "cancelled": N_("Your meeting has been cancelled."),
}
SUBJECTS = {
    "confirmation": N_("Your meeting"),
    "reminder": N_("Your meeting"),
    "moved": N_("Your meeting was moved"),
    "cancelled": N_("Your meeting was cancelled"),
}


def reference(meeting_id: int, version: int, kind: str) -> str:
    return f"booking-meeting:{meeting_id}:{version}:customer:{kind}"


async def customer_phone(customer_id: int | None) -> tuple[str, str] | None:
    """(Mobile number, language) of the meeting's customer, None when there is no customer or
    the register has no number that can receive text messages."""
    if not customer_id:
        return None
    customer = await customers.get_customer(customer_id)
    if not customer.phone or sms_recipient_problem(customer.phone):
        return None
    return customer.phone, customer.language


async def _place(meeting: dict[str, Any]) -> str:
    unit = (
        await Professional.select(Professional.unit._.name, Professional.unit._.street_address)
        .where(Professional.id == meeting["organiser"])
        .first()
    )
    if unit is None:
        return ""
    if meeting.get("mode") != "office" or not unit["unit.street_address"]:
        return str(unit["unit.name"])
    return f"{unit['unit.name']}, {unit['unit.street_address']}"


async def _queue(
    meeting: dict[str, Any],
    kind: str,
    to: tuple[str, str],
    secret: str,
    send_at: dt.datetime | None = None,
    old: dt.datetime | None = None,
) -> None:
    phone, language = to
    place = await _place(meeting)
    with in_language(language):
        lines = [gettext(INTROS[kind])]
        if old is not None:
            lines.append(gettext("Earlier time: %(when)s", when=fmt_datetime(old)))
        lines.append(
            gettext(
                "%(type)s %(when)s (%(mode)s) %(place)s",
                type=meeting["title"],
                when=fmt_datetime(meeting["starts_at"]),
                mode=gettext(reminders.MODE_NAMES.get(meeting.get("mode", ""), "")),
                place=place,
            ).strip()
        )
        video = meeting_guests.video_url(secret, meeting)
        if video and kind != "cancelled":
            lines.append(gettext("Video meeting: %(url)s", url=video))
        await queue_message(
            channel="sms",
            recipient=phone,
            subject=gettext(SUBJECTS[kind]),
            body="\n".join(lines),
            send_at=send_at,
            customer_id=meeting["customer"],
            reference=reference(meeting["id"], meeting["version"], kind),
        )


async def _queue_reminder(
    meeting: dict[str, Any], to: tuple[str, str], secret: str, moment: dt.datetime
) -> None:
    remind_at = reminders.reminder_moment(meeting["starts_at"], settings().reminder_hours_before)
    if remind_at > moment:
        await _queue(meeting, "reminder", to, secret, send_at=remind_at)


async def withdraw(meeting_id: int, version: int) -> None:
    await cancel_messages_of(
        [reference(meeting_id, version, kind) for kind in ("confirmation", "reminder", "moved")]
    )


async def tell_booked(meeting: dict[str, Any], secret: str, moment: dt.datetime) -> bool:
    """The confirmation at once and the reminder before the start; False with no one to tell."""
    to = await customer_phone(meeting.get("customer"))
    if to is None:
        return False
    await _queue(meeting, "confirmation", to, secret)
    await _queue_reminder(meeting, to, secret, moment)
    return True


async def tell_moved(
    meeting: dict[str, Any],
    old_version: int,
    old_start: dt.datetime,
    secret: str,
    moment: dt.datetime,
) -> bool:
    """`meeting` as it is after the move (new version and time): the old time's messages are
    withdrawn, a message says the new time and a new reminder is queued."""
    await withdraw(meeting["id"], old_version)
    to = await customer_phone(meeting.get("customer"))
    if to is None:
        return False
    await _queue(meeting, "moved", to, secret, old=old_start)
    await _queue_reminder(meeting, to, secret, moment)
    return True


async def tell_cancelled(meeting: dict[str, Any], old_version: int) -> bool:
    """`meeting` as it is after the cancellation: nothing more is sent for its time."""
    await withdraw(meeting["id"], old_version)
    to = await customer_phone(meeting.get("customer"))
    if to is None:
        return False
    await _queue(meeting, "cancelled", to, "")
    return True
