"""The outbox API for business code: queue and cancel messages, check SMS recipients.

`queue_message` and `cancel_messages` write in the caller's transaction, so a message exists
exactly when the change that caused it was committed.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Sequence
from typing import Any

from core.common.clock import now
from core.common.errors import ValidationFailed
from core.customers.validation import normalise_phone
from core.db import chunked, in_conditions
from core.i18n import N_
from core.notifications.tables import CANCELLED, FAILED, QUEUED, SENDING, SENT, OutboxMessage
from core.operations.logs import current_request_id

CHANNELS = ("sms", "email")
EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FINNISH_MOBILE_PREFIXES = ("+3584", "+35850")
MAX_SMS_BODY = 1000


# Calling codes SMS may go to ([notifications] sms_country_codes); Finland only by default, so a
# script cannot make the region pay for messages to premium-rate numbers abroad (SMS pumping).
_sms_country_codes: tuple[str, ...] = ("358",)


def allow_sms_countries(calling_codes: tuple[str, ...]) -> None:
    global _sms_country_codes
    _sms_country_codes = calling_codes


def sms_recipient_problem(phone: str) -> str | None:
    """None if the number can receive SMS (a Finnish mobile number +3584x/+35850, or a number
    in an allowed country), else a message for the user (N_, translated where it is shown)."""
    normalised = normalise_phone(phone)
    if normalised is None:
        return N_("Enter the phone number with its area or country code, e.g. 040 123 4567.")
    if not normalised.startswith(tuple("+" + code for code in _sms_country_codes)):
        return N_("Text messages cannot be sent to numbers in this country.")
    if normalised.startswith("+358") and not normalised.startswith(FINNISH_MOBILE_PREFIXES):
        return N_("This number cannot receive text messages; give a mobile number.")
    return None


def email_recipient_problem(address: str) -> str | None:
    """None for a plausible e-mail address, else a message for the user."""
    if not EMAIL_ADDRESS.match(address.strip()) or len(address.strip()) > 320:
        return N_("Enter an e-mail address such as name@example.fi.")
    return None


async def queue_message(
    *,
    channel: str,
    recipient: str,
    body: str,
    subject: str = "",
    send_at: datetime.datetime | None = None,
    customer_id: int | None = None,
    reference: str = "",
) -> int:
    """Write a message (channel "sms" or "email") to the outbox in the caller's transaction.

    send_at None = now. `reference` names its cause, e.g. "booking:42:reminder".
    Raises ValidationFailed (fields channel, recipient, body) for a message that cannot be sent.
    """
    recipient = _checked_recipient(channel, recipient)
    if not body.strip():
        raise ValidationFailed({"body": N_("A message needs some text.")})
    if channel == "sms" and len(body) > MAX_SMS_BODY:
        raise ValidationFailed({"body": N_("A text message can have at most 1000 characters.")})
    due = send_at or now()
    if due.tzinfo is None:
        raise ValueError("send_at must be timezone-aware")
    return await _insert_queued(
        channel=channel,
        recipient=recipient,
        subject=subject[:300],
        body=body,
        customer_id=customer_id,
        reference=reference[:200],
        due=due,
    )


async def _insert_queued(
    *,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    customer_id: int | None,
    reference: str,
    due: datetime.datetime,
) -> int:
    """One queued outbox row with its own idempotency key; returns its id."""
    rows = await OutboxMessage.insert(
        OutboxMessage(
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            customer_id=customer_id,
            reference=reference,
            status=QUEUED,
            send_at=due,
            next_attempt_at=due,
            idempotency_key=uuid.uuid4().hex,
            created_at=now(),
            request_id=current_request_id(),
        )
    ).returning(OutboxMessage.id)
    return int(rows[0]["id"])


def _checked_recipient(channel: str, recipient: str) -> str:
    if channel not in CHANNELS:
        raise ValidationFailed({"channel": N_("Choose text message or e-mail.")})
    if channel == "sms":
        problem = sms_recipient_problem(recipient)
        if problem:
            raise ValidationFailed({"recipient": problem})
        return normalise_phone(recipient) or recipient
    problem = email_recipient_problem(recipient)
    if problem:
        raise ValidationFailed({"recipient": problem})
    return recipient.strip()


async def cancel_messages(reference: str) -> int:
    """Cancel every unsent message with this reference (caller's transaction); returns count.

    A message a worker has already claimed is cancelled too; if its send had already reached
    the gateway, the worker records it as sent, because that is what happened.
    """
    if not reference:
        raise ValueError("cancel_messages needs a reference")
    return await cancel_messages_of([reference])


async def cancel_messages_of(references: Sequence[str]) -> int:
    """`cancel_messages` for many references in one statement per 500 (e.g. a closed day)."""
    if not all(references):
        raise ValueError("cancel_messages_of needs non-empty references")
    cancelled = 0
    for chunk in chunked(list(references), 500):
        rows = (
            await OutboxMessage.update(
                {
                    OutboxMessage.status: CANCELLED,
                    OutboxMessage.version: OutboxMessage.version + 1,
                }
            )
            .where(
                OutboxMessage.reference.is_in(list(chunk))
                & OutboxMessage.status.is_in([QUEUED, SENDING, FAILED])
            )
            .returning(OutboxMessage.id)
        )
        cancelled += len(rows)
    return cancelled


async def requeue_cancelled(references: Sequence[str], moment: datetime.datetime) -> int:
    """Queue again what `cancel_messages_of` withdrew: for each reference with no message
    waiting, being sent, sent or failed, a copy of its newest cancelled message (a new row and
    idempotency key, due at its own time or `moment` if that has passed). For a hold that is
    lifted (e.g. a booking's reminder held while its time was closed); returns how many."""
    if not references:
        return 0
    rows: list[dict[str, Any]] = []
    for condition in in_conditions(OutboxMessage.reference, list(references)):
        rows += await OutboxMessage.select().where(condition)
    live = {row["reference"] for row in rows if row["status"] != CANCELLED}
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["reference"] in live or row["status"] != CANCELLED:
            continue
        if row["reference"] not in newest or row["id"] > newest[row["reference"]]["id"]:
            newest[row["reference"]] = row
    for row in newest.values():
        await _insert_queued(
            channel=row["channel"],
            recipient=row["recipient"],
            subject=row["subject"],
            body=row["body"],
            customer_id=row["customer_id"],
            reference=row["reference"],
            due=max(row["send_at"], moment),
        )
    return len(newest)


async def sent_about_customer(customer_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """Messages sent about the customer, newest first: what they were told and when."""
    return await (
        OutboxMessage.select(
            OutboxMessage.id, OutboxMessage.channel, OutboxMessage.subject,
            OutboxMessage.body, OutboxMessage.sent_at,
        )
        .where((OutboxMessage.customer_id == customer_id) & (OutboxMessage.status == SENT))
        .order_by(OutboxMessage.sent_at, ascending=False)
        .limit(limit)
    )  # fmt: skip
