"""Delivery status for staff: list outbox messages, show one, send a failed one again."""

from __future__ import annotations

from typing import Any

from core.audit import services as audit
from core.audit.services import Actor
from core.common.clock import now
from core.common.errors import NotFound, ValidationFailed, VersionConflict
from core.common.pagination import ResultPage, page_count
from core.common.versioned import update_versioned
from core.i18n import N_
from core.notifications.tables import FAILED, QUEUED, STATUSES, OutboxMessage

PAGE_SIZE = 50
LIST_COLUMNS = (
    OutboxMessage.id, OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.subject,
    OutboxMessage.reference, OutboxMessage.customer_id, OutboxMessage.status,
    OutboxMessage.attempts, OutboxMessage.send_at, OutboxMessage.next_attempt_at,
    OutboxMessage.last_error, OutboxMessage.sent_at, OutboxMessage.version,
)  # fmt: skip


def checked_status(status: str) -> str:
    """ "" (every status) or one of STATUSES; anything else is refused."""
    if status and status not in STATUSES:
        raise ValidationFailed({"status": N_("Choose a status from the list.")})
    return status


async def list_messages(status: str = "", page: int = 1) -> ResultPage:
    """Newest first, PAGE_SIZE a page, optionally only one status."""
    condition = OutboxMessage.status == checked_status(status) if status else None
    query = OutboxMessage.select(*LIST_COLUMNS).order_by(OutboxMessage.id, ascending=False)
    count = OutboxMessage.count()
    if condition is not None:
        query = query.where(condition)
        count = count.where(condition)
    total = await count
    page = max(1, min(page, page_count(total, PAGE_SIZE)))
    rows = await query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    return ResultPage(rows, total, page, PAGE_SIZE)


async def attention_counts() -> dict[str, int]:
    """How many messages have failed and how many are waiting (one index-only count)."""
    rows = await OutboxMessage.raw(
        "SELECT status, COUNT(*) AS n FROM notification_outbox WHERE status IN ({}, {}) "
        "GROUP BY status",
        FAILED,
        QUEUED,
    )
    counts = {r["status"]: int(r["n"]) for r in rows}
    return {status: counts.get(status, 0) for status in (FAILED, QUEUED)}


async def get_message(message_id: int) -> dict[str, Any]:
    row = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    if row is None:
        raise NotFound(f"message {message_id}")
    return row


async def retry_message(actor: Actor, message_id: int, expected_version: int) -> dict[str, Any]:
    """Queue a failed message for a new round of attempts (caller's transaction), audited."""
    before = await get_message(message_id)
    if before["version"] != expected_version:  # someone else acted on it first
        raise VersionConflict(OutboxMessage._meta.tablename, before, {"status": QUEUED})
    if before["status"] != FAILED:
        raise ValidationFailed({"status": N_("Only a failed message can be sent again.")})
    after = await update_versioned(
        OutboxMessage,
        message_id,
        expected_version,
        {
            OutboxMessage.status: QUEUED,
            OutboxMessage.attempts: 0,
            OutboxMessage.next_attempt_at: now(),
        },
        {"status": QUEUED},
    )
    await audit.record(
        actor,
        "update",  # an existing audit action, so the access log labels it
        "notification",
        message_id,
        customer_id=before["customer_id"],
        before={"status": FAILED, "attempts": before["attempts"], "error": before["last_error"]},
        after={"status": QUEUED},
    )
    return after
