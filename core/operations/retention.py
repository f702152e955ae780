"""Retention: deleting each kind of record the region's `[retention]` table names, once it has
been kept that many days after it ended. Every deletion is audited by entity, id and customer
number only, so the audit log does not keep what the deletion removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from core.audit.services import SystemActor, record
from core.common.clock import now
from core.db import get_database
from core.notifications.tables import CANCELLED, FAILED, SENT, OutboxMessage
from core.plugins.types import ExpiredRecord, RetentionRule

COUNT_LIMIT = 10_000_000  # a dry run counts everything that has expired
BATCH = 500  # records per transaction: short locks, and a crash loses at most one batch
RETENTION_ACTOR = SystemActor(full_name="valvomo retention")


@dataclass(frozen=True)
class RetentionPlan:
    rule: RetentionRule
    days: int | None  # None: the region keeps this kind

    @property
    def cutoff(self) -> dt.datetime | None:
        return None if self.days is None else now() - dt.timedelta(days=self.days)


@dataclass(frozen=True)
class RetentionResult:
    kind: str
    label: str
    days: int | None
    records: int


def plans(rules: Sequence[RetentionRule], configured: dict[str, int]) -> list[RetentionPlan]:
    """The rules with the region's days (or each rule's default); unknown keys are an error."""
    known = {rule.kind for rule in rules}
    unknown = sorted(set(configured) - known)
    if unknown:
        names, choices = ", ".join(unknown), ", ".join(sorted(known))
        raise ValueError(f"[retention] names unknown kinds {names}; known: {choices}")
    return [RetentionPlan(rule, configured.get(rule.kind, rule.default_days)) for rule in rules]


async def count_expired(plan: RetentionPlan) -> int:
    cutoff = plan.cutoff
    if cutoff is None:
        return 0
    return len(await plan.rule.find_expired(cutoff, COUNT_LIMIT))


async def apply(plan: RetentionPlan) -> int:
    """Delete what `plan` says has expired, a batch per transaction; returns how many."""
    cutoff = plan.cutoff
    if cutoff is None:
        return 0
    deleted = 0
    while True:
        async with get_database().transaction():
            expired = await plan.rule.find_expired(cutoff, BATCH)
            if expired:
                await plan.rule.delete([r.id for r in expired])
                for item in expired:
                    await _audit_deletion(plan, item)
        deleted += len(expired)
        if len(expired) < BATCH:
            return deleted


async def _audit_deletion(plan: RetentionPlan, item: ExpiredRecord) -> None:
    await record(
        RETENTION_ACTOR,
        "retention_delete",
        item.entity,
        item.id,
        customer_id=item.customer_id,
        after={"rule": plan.rule.kind, "kept_days": plan.days},
    )


async def run(plans_to_run: Sequence[RetentionPlan], *, dry_run: bool) -> list[RetentionResult]:
    results = []
    for plan in plans_to_run:
        count = await count_expired(plan) if dry_run else await apply(plan)
        results.append(RetentionResult(plan.rule.kind, plan.rule.label, plan.days, count))
    return results


# Core's own rule: finished outbox messages (their text and recipient are personal data).
FINISHED = (SENT, FAILED, CANCELLED)


async def expired_outbox_messages(cutoff: dt.datetime, limit: int) -> list[ExpiredRecord]:
    rows = (
        await OutboxMessage.select(OutboxMessage.id, OutboxMessage.customer_id)
        .where(OutboxMessage.status.is_in(list(FINISHED)) & (OutboxMessage.created_at < cutoff))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [ExpiredRecord("outbox_message", r["id"], r["customer_id"]) for r in rows]


async def delete_outbox_messages(ids: list[int]) -> None:
    await OutboxMessage.delete().where(OutboxMessage.id.is_in(ids))


OUTBOX_RULE = RetentionRule(
    kind="outbox_messages",
    label="Sent, failed and cancelled text messages and e-mails",
    find_expired=expired_outbox_messages,
    delete=delete_outbox_messages,
    default_days=90,
)
