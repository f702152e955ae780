"""Retention: what expired is counted, deleted in batches and audited without its content."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.audit import pruning
from core.audit import services as audit_services
from core.audit.sealing import seal_all, verify_chain
from core.audit.tables import AuditEntry, AuditSeal
from core.common.clock import now
from core.db import transaction
from core.notifications.services import queue_message
from core.notifications.tables import QUEUED, SENT, OutboxMessage
from core.operations import retention
from core.operations.maintenance import RETENTION_JOB, claim_night
from core.web.runtime import Runtime
from tests.core.operations.cli import valvomo
from tests.helpers import SYSTEM


async def message(age_days: int, status: str) -> int:
    async with transaction():
        message_id = await queue_message(
            channel="sms", recipient="040 765 4321", body="Ateriapalvelu alkaa", customer_id=None
        )
    created = now() - dt.timedelta(days=age_days)
    await OutboxMessage.update(
        {OutboxMessage.created_at: created, OutboxMessage.status: status}
    ).where(OutboxMessage.id == message_id)
    return message_id


def plans_of(runtime: Runtime, configured: dict[str, int]) -> list[retention.RetentionPlan]:
    return retention.plans(runtime.host.collect("valvomo_retention_rules"), configured)


async def test_finished_messages_go_after_90_days_and_each_deletion_is_audited(
    runtime: Runtime,
) -> None:
    old_sent = await message(100, SENT)
    recent_sent = await message(10, SENT)
    old_queued = await message(100, QUEUED)  # not finished: kept whatever its age
    plans = plans_of(runtime, {})

    dry = {r.kind: r for r in await retention.run(plans, dry_run=True)}
    assert dry["outbox_messages"].records == 1
    assert dry["outbox_messages"].days == 90
    assert dry["meals_ended_services"].days is None  # kept until the region sets it
    assert await OutboxMessage.count() == 3

    done = {r.kind: r for r in await retention.run(plans, dry_run=False)}
    assert done["outbox_messages"].records == 1
    remaining = {r["id"] for r in await OutboxMessage.select(OutboxMessage.id)}
    assert remaining == {recent_sent, old_queued}

    audit = await AuditEntry.select().where(AuditEntry.action == "retention_delete")
    assert len(audit) == 1
    assert audit[0]["entity"] == "outbox_message"
    assert audit[0]["entity_id"] == str(old_sent)
    assert audit[0]["actor_name"] == "valvomo retention"
    assert "765 4321" not in str(audit[0]) and "Ateriapalvelu" not in str(audit[0])
    report, problems = await verify_chain()
    assert problems == [] and report.checked > 0


async def test_the_region_sets_days_per_kind_and_unknown_kinds_are_refused(
    runtime: Runtime,
) -> None:
    await message(10, SENT)
    plans = plans_of(runtime, {"outbox_messages": 7})
    assert [
        r.records for r in await retention.run(plans, dry_run=True) if r.kind == "outbox_messages"
    ] == [1]
    with pytest.raises(ValueError, match="unknown kinds customers_forever"):
        plans_of(runtime, {"customers_forever": 30})


async def test_one_worker_claims_the_nightly_run_once_a_day() -> None:
    assert await claim_night(RETENTION_JOB) is True
    assert await claim_night(RETENTION_JOB) is False


async def test_retention_dry_run_command_lists_each_kind(runtime: Runtime, tmp_path: Path) -> None:
    await message(100, SENT)
    result = valvomo(runtime.database.url, tmp_path, "retention", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Would be deleted" in result.stdout
    line = next(line for line in result.stdout.splitlines() if "outbox_messages" in line)
    assert "│ 1 " in line and "90 days" in line
    assert await OutboxMessage.count() == 1


async def old_entries(
    monkeypatch: pytest.MonkeyPatch, age_days: int, count: int, recent: int = 0
) -> None:
    """`count` sealed entries `age_days` old, then `recent` of today (customer 99)."""
    moment = now() - dt.timedelta(days=age_days)
    monkeypatch.setattr(audit_services, "now", lambda: moment)
    async with transaction():
        for n in range(count):
            await audit_services.record(SYSTEM, "view", "customer", n, customer_id=n + 1)
    monkeypatch.undo()
    async with transaction():
        for _ in range(recent):
            await audit_services.record(SYSTEM, "view", "customer", 99, customer_id=99)
    await seal_all()


async def test_access_log_entries_go_as_a_verified_prefix_and_the_chain_still_verifies(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await old_entries(monkeypatch, 4 * 365, 3, recent=1)
    plans = plans_of(runtime, {"audit_log_entries": 3 * 365})
    kept = {r.kind: r for r in await retention.run(plans_of(runtime, {}), dry_run=True)}
    assert kept["audit_log_entries"].days is None  # kept until the region sets years

    dry = {r.kind: r for r in await retention.run(plans, dry_run=True)}
    assert dry["audit_log_entries"].records == 3
    assert await AuditEntry.count() == 4

    done = {r.kind: r for r in await retention.run(plans, dry_run=False)}
    assert done["audit_log_entries"].records == 3
    left = await AuditEntry.select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.customer_id)
    assert sorted((r["action"], r["entity_id"]) for r in left) == [
        ("retention_prune", "1-3"),
        ("view", "99"),
    ]
    anchor = next(r for r in left if r["action"] == "retention_prune")
    assert anchor["customer_id"] is None  # the anchor names no customer
    await seal_all()
    report, problems = await verify_chain()
    assert problems == [] and report.pruned == 3 and report.checked == 2

    # Nothing more has expired; a run again deletes nothing and the chain still verifies.
    again = {r.kind: r for r in await retention.run(plans, dry_run=False)}
    assert again["audit_log_entries"].records == 0


async def test_deleting_entries_without_an_anchor_or_with_a_forged_one_is_still_found(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await old_entries(monkeypatch, 4 * 365, 3)
    first = await AuditSeal.select().order_by(AuditSeal.seq).first()
    await AuditSeal.delete().where(AuditSeal.seq == first["seq"])
    await AuditEntry.delete().where(AuditEntry.id == first["entry"])
    # An "anchor" written without the audit key: its MAC does not match, so it is ignored.
    await AuditEntry.insert(
        AuditEntry(
            at=now(), action="retention_prune", entity="audit_log", entity_id="1-1",
            after={"through_seq": first["seq"], "chain_hash": first["chain_hash"]},
            key_id="k", mac="0" * 64,
        )
    )  # fmt: skip
    report, problems = await verify_chain()
    assert report.pruned == 0
    assert any("missing" in p.problem for p in problems), problems


async def test_the_access_log_kind_waits_for_a_role_that_may_delete_audit_history(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await old_entries(monkeypatch, 4 * 365, 2, recent=1)

    async def not_allowed() -> bool:
        return False

    monkeypatch.setattr(pruning, "may_delete", not_allowed)
    plans = plans_of(runtime, {"audit_log_entries": 3 * 365})
    dry = {r.kind: r for r in await retention.run(plans, dry_run=True)}
    assert (
        dry["audit_log_entries"].records == 2 and "database owner" in dry["audit_log_entries"].note
    )
    done = {r.kind: r for r in await retention.run(plans, dry_run=False)}
    assert done["audit_log_entries"].records == 0 and done["audit_log_entries"].note
    assert await AuditEntry.count() == 3
