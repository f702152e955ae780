"""Retention: deleting each kind of record the region's `[retention]` table names, once it has
been kept that many days after it ended. Every deletion is audited by entity, id and customer
number only, so the audit log does not keep what the deletion removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import Combinable

from core.audit import pruning
from core.audit.keys import AuditKeyError, current_keys
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
    note: str = ""  # why nothing was deleted although records have expired


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
    if plan.rule is AUDIT_LOG_RULE:
        return await pruning.count_expired(cutoff)
    return len(await plan.rule.find_expired(cutoff, COUNT_LIMIT))


async def apply(plan: RetentionPlan) -> int:
    """Delete what `plan` says has expired, a batch per transaction; returns how many."""
    cutoff = plan.cutoff
    if cutoff is None:
        return 0
    if plan.rule is AUDIT_LOG_RULE:  # a prefix of the chain, an anchor entry per batch
        return await pruning.prune(RETENTION_ACTOR, cutoff, plan.rule.kind, plan.days or 0)
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
        note = ""
        if plan.rule is AUDIT_LOG_RULE and plan.days is not None:
            note = await _audit_log_note(dry_run)
        if note:
            count = 0 if not dry_run else await count_expired(plan)
        else:
            count = await count_expired(plan) if dry_run else await apply(plan)
        results.append(RetentionResult(plan.rule.kind, plan.rule.label, plan.days, count, note))
    return results


async def _audit_log_note(dry_run: bool) -> str:
    """Why the access log cannot be pruned here, or ""."""
    if not await pruning.may_delete():
        return AUDIT_OWNER_NOTE
    if dry_run:
        return ""
    try:
        current_keys()
    except AuditKeyError as exc:
        return str(exc)
    return ""


AUDIT_OWNER_NOTE = (
    "needs the database owner: the application's role may not delete audit history "
    "(run `valvomo retention` with the owner's VALVOMO_DATABASE_URL)"
)


# Core's own rule: finished outbox messages (their text and recipient are personal data).
FINISHED = (SENT, FAILED, CANCELLED)


async def expired_records(
    entity: str, customer: Column, condition: Combinable, limit: int
) -> list[ExpiredRecord]:
    """The usual `find_expired` of a RetentionRule: the first `limit` rows (by id) of
    `customer`'s table that match `condition`, as `entity` records of that customer."""
    table = customer._meta.table
    row_id = table._meta.primary_key
    rows = await table.select(row_id, customer).where(condition).order_by(row_id).limit(limit)
    return [ExpiredRecord(entity, r[row_id._meta.name], r[customer._meta.name]) for r in rows]


async def expired_outbox_messages(cutoff: dt.datetime, limit: int) -> list[ExpiredRecord]:
    finished = OutboxMessage.status.is_in(list(FINISHED)) & (OutboxMessage.created_at < cutoff)
    return await expired_records("outbox_message", OutboxMessage.customer_id, finished, limit)


async def delete_outbox_messages(ids: list[int]) -> None:
    await OutboxMessage.delete().where(OutboxMessage.id.is_in(ids))


OUTBOX_RULE = RetentionRule(
    kind="outbox_messages",
    label="Sent, failed and cancelled text messages and e-mails",
    find_expired=expired_outbox_messages,
    delete=delete_outbox_messages,
    default_days=90,
)


# The access log itself: entries (views and changes of every customer) after the region's
# years, as a verified prefix of the chain (core.audit.pruning); kept until the region sets it.
AUDIT_LOG_RULE = RetentionRule(
    kind="audit_log_entries",
    label="Access-log and audit entries (the oldest first, as a verified prefix of the chain)",
    find_expired=lambda cutoff, limit: _not_per_record(),
    delete=lambda ids: _not_per_record(),
)


async def _not_per_record() -> Any:
    raise NotImplementedError("the access log is pruned as a prefix: core.audit.pruning")
