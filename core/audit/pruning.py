"""Retention of the access log itself: its oldest entries deleted as a prefix of the chain.

Only a verified prefix goes: the seals from the start of the chain up to the last one whose
entry (and every entry before it) is older than the cutoff, each entry's MAC and each seal's
chain hash checked first; the newest seal always stays, so the sealer goes on from it. With
the deleted entries and seals goes an *anchor*: an audit entry `retention_prune` (MAC'd with
the audit key like any other entry, and sealed into the chain after it) naming the last deleted
seal and its chain hash. `core.audit.sealing.verify_chain` starts the chain after the highest
anchor whose MAC matches, so:

- entries deleted by retention leave a chain that still verifies;
- entries or seals deleted by anyone else (without the key no anchor can be made) are still
  reported as missing, and an anchor whose own seal is then deleted is a missing entry too.

The anchor names no customer and keeps nothing of what was deleted: seq numbers, entry ids,
the count, the rule and its days.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from core.audit.keys import AuditKeys, current_keys
from core.audit.services import Actor, record, sealed_content

PRUNE_ACTION = "retention_prune"
PRUNE_ENTITY = "audit_log"
BATCH = 5_000  # seals per transaction: an anchor entry per batch


class PruneRefused(Exception):
    """The prefix does not verify: nothing is deleted, `valvomo audit verify` says why."""


@dataclass(frozen=True)
class Anchor:
    """The chain starts after seal `seq`, whose chain hash was `chain_hash` (0, "": the start)."""

    seq: int = 0
    chain_hash: str = ""


def _load(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


async def current_anchor(keys: AuditKeys | None = None) -> Anchor:
    """The highest anchor whose entry's MAC matches its content (anything else is ignored)."""
    from core.audit.tables import AuditEntry

    keys = keys or current_keys()
    rows = await AuditEntry.raw("SELECT * FROM audit_log WHERE action = {}", PRUNE_ACTION)
    best = Anchor()
    for row in rows:
        if row["entity"] != PRUNE_ENTITY or not keys.matches(
            row["key_id"], sealed_content(row), row["mac"]
        ):
            continue
        after = _load(row["after"]) or {}
        seq = int(after.get("through_seq", 0))
        if seq > best.seq:
            best = Anchor(seq, str(after.get("chain_hash", "")))
    return best


async def _last_prunable(anchor: Anchor, cutoff: dt.datetime) -> int:
    """The last seal after `anchor` that may go: before the first one whose entry is at or after
    `cutoff` or missing, and never the newest seal."""
    from core.audit.tables import AuditSeal

    newest = await AuditSeal.raw("SELECT MAX(seq) AS seq FROM audit_seal")
    if not newest or newest[0]["seq"] is None:
        return anchor.seq
    young = await AuditSeal.raw(
        "SELECT MIN(s.seq) AS seq FROM audit_seal s LEFT JOIN audit_log e ON e.id = s.entry "
        "WHERE s.seq > {} AND (e.id IS NULL OR e.at >= {})",
        anchor.seq,
        cutoff,
    )
    stop = int(newest[0]["seq"])  # the newest seal stays
    if young and young[0]["seq"] is not None:
        stop = min(stop, int(young[0]["seq"]))
    return max(anchor.seq, stop - 1)


async def count_expired(cutoff: dt.datetime) -> int:
    """How many entries a prune at `cutoff` would delete (one per seal of the prefix)."""
    anchor = await current_anchor()
    return await _last_prunable(anchor, cutoff) - anchor.seq


async def _prefix(anchor: Anchor, through: int) -> list[dict[str, Any]]:
    from core.audit.tables import AuditSeal

    return await AuditSeal.raw(
        "SELECT s.seq, s.entry, s.key_id AS seal_key, s.prev_hash, s.chain_hash, e.id, e.at, "
        "e.actor_id, e.actor_name, e.actor_roles, e.action, e.entity, e.entity_id, "
        "e.customer_id, e.before, e.after, e.key_id, e.mac FROM audit_seal s "
        "LEFT JOIN audit_log e ON e.id = s.entry WHERE s.seq > {} AND s.seq <= {} ORDER BY s.seq",
        anchor.seq,
        through,
    )


def _check(keys: AuditKeys, anchor: Anchor, rows: list[dict[str, Any]]) -> None:
    from core.audit.sealing import chain_message

    expected, prev = anchor.seq + 1, anchor.chain_hash
    for row in rows:
        seq = int(row["seq"])
        if seq != expected or row["prev_hash"] != prev or row["id"] is None:
            raise PruneRefused(f"the chain is broken at seal {expected}")
        if row["key_id"] or row["mac"]:  # entries from before keyed MACs have neither
            if not keys.matches(row["key_id"], sealed_content(row), row["mac"]):
                raise PruneRefused(f"entry {row['entry']} does not match its MAC")
        message = chain_message(seq, int(row["entry"]), row["mac"], row["prev_hash"])
        if not keys.matches(row["seal_key"], message, row["chain_hash"]):
            raise PruneRefused(f"seal {seq} does not match its MAC")
        expected, prev = seq + 1, row["chain_hash"]


async def prune(actor: Actor, cutoff: dt.datetime, rule: str, kept_days: int) -> int:
    """Delete the verified prefix of entries older than `cutoff`, a batch per transaction, each
    batch leaving its anchor; returns how many entries went. Raises PruneRefused, having
    deleted nothing of the batch, when the prefix does not verify."""
    from core.audit.tables import AuditEntry, AuditSeal
    from core.db import get_database

    keys, deleted = current_keys(), 0
    while True:
        async with get_database().transaction():
            anchor = await current_anchor(keys)
            last = await _last_prunable(anchor, cutoff)
            if last <= anchor.seq:
                return deleted
            through = min(last, anchor.seq + BATCH)
            rows = await _prefix(anchor, through)
            _check(keys, anchor, rows)
            entries = [int(r["entry"]) for r in rows]
            for start in range(0, len(entries), 500):
                chunk = entries[start : start + 500]
                await AuditEntry.delete().where(AuditEntry.id.is_in(chunk))
            await AuditSeal.delete().where(
                (AuditSeal.seq > anchor.seq) & (AuditSeal.seq <= through)
            )
            await record(
                actor,
                PRUNE_ACTION,
                PRUNE_ENTITY,
                f"{anchor.seq + 1}-{through}",
                after={
                    "rule": rule,
                    "kept_days": kept_days,
                    "through_seq": through,
                    "chain_hash": rows[-1]["chain_hash"],
                    "entries": len(entries),
                },
            )
        deleted += len(entries)


async def may_delete() -> bool:
    """Whether this connection's role may delete audit history: on PostgreSQL the application's
    role may not (docs/security.md), so the database owner runs this kind."""
    from core.audit.tables import AuditEntry
    from core.db import is_sqlite

    if is_sqlite(AuditEntry._meta.db):
        return True
    rows = await AuditEntry.raw(
        "SELECT has_table_privilege(current_user, 'audit_log', 'DELETE') "
        "AND has_table_privilege(current_user, 'audit_seal', 'DELETE') AS allowed"
    )
    return bool(rows and rows[0]["allowed"])
