"""Chaining committed audit entries in batches, verifying the chain, and signed checkpoints.

Requests only INSERT entries (each with its own keyed MAC). A sealer (the worker, `valvomo
audit seal`, or `checkpoint`) puts committed, unsealed entries into the chain in one
transaction: seal number `seq` for entry `entry` with chain hash MAC(seq, entry, mac, previous
chain hash). Entries are sealed in the order the sealer sees them committed, so a transaction
that commits late is sealed in a later batch and no request waits on a shared row.

What each check detects (the key is outside the database):
- an edited entry: its MAC no longer matches (rechaining does not help without the key);
- a deleted entry or seal in the middle: a seal without its entry, or a gap in `seq`;
- the newest seals and entries deleted: only a checkpoint kept outside the database shows it.

Checkpoints are signed with Ed25519 (`core.audit.signing`): whoever has the public key can
check them, and the public key cannot make one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.audit import signing
from core.audit.keys import AuditKeys, current_keys
from core.audit.pruning import current_anchor
from core.audit.services import canonical, sealed_content
from core.audit.tables import AuditEntry, AuditSeal
from core.common.clock import now
from core.db import get_database, insert_rows, is_sqlite

SEAL_LOCK = 72_810_001  # PostgreSQL advisory lock id: one sealer at a time, others skip
LOOKBACK_IDS = 10_000  # entries committed this many ids behind the newest seal are still found
BATCH = 5_000


def chain_message(seq: int, entry_id: int, entry_mac: str, prev_hash: str) -> str:
    return f"{seq}|{entry_id}|{entry_mac}|{prev_hash}"


async def _last_seal() -> dict[str, Any] | None:
    return await (
        AuditSeal.select(AuditSeal.seq, AuditSeal.entry, AuditSeal.chain_hash)
        .order_by(AuditSeal.seq, ascending=False)
        .first()
    )


async def _unsealed(after_id: int, limit: int) -> list[dict[str, Any]]:
    return await AuditEntry.raw(
        "SELECT e.id, e.mac FROM audit_log e WHERE e.id > {} AND NOT EXISTS "
        "(SELECT 1 FROM audit_seal s WHERE s.entry = e.id) ORDER BY e.id LIMIT {}",
        after_id,
        limit,
    )


async def _try_lock() -> bool:
    engine: Any = AuditSeal._meta.db
    if is_sqlite(engine):
        return True  # the immediate transaction already holds the only write lock
    rows = await AuditSeal.raw("SELECT pg_try_advisory_xact_lock({}) AS got", SEAL_LOCK)
    return bool(rows[0]["got"])


async def seal_pending(limit: int = BATCH) -> int:
    """Chain committed entries that have no seal yet; returns how many were sealed.

    If another process is sealing, returns 0 at once instead of waiting.
    """
    keys = current_keys()
    async with get_database().transaction():
        if not await _try_lock():
            return 0
        last = await _last_seal()
        seq, prev = (int(last["seq"]), last["chain_hash"]) if last else (0, "")
        floor = max(0, int(last["entry"]) - LOOKBACK_IDS) if last else 0
        pending = await _unsealed(floor, limit)
        rows: list[list[Any]] = []
        moment = now()
        for entry in pending:
            seq += 1
            chain = keys.mac(keys.current_id, chain_message(seq, entry["id"], entry["mac"], prev))
            rows.append([seq, entry["id"], keys.current_id, prev, chain, moment])
            prev = chain
        if rows:
            columns = [AuditSeal.seq, AuditSeal.entry, AuditSeal.key_id, AuditSeal.prev_hash,
                       AuditSeal.chain_hash, AuditSeal.sealed_at]  # fmt: skip
            await insert_rows(AuditSeal, columns, rows)
    return len(rows)


async def seal_all() -> int:
    total = 0
    while sealed := await seal_pending():
        total += sealed
    return total


async def oldest_unsealed_at() -> dt.datetime | None:
    """When the oldest entry still waiting for a seal was written (for the sealing-lag metric)."""
    rows = await AuditEntry.raw(
        "SELECT e.at FROM audit_log e WHERE e.id > "
        "(SELECT COALESCE(MAX(entry), 0) - {} FROM audit_seal) AND NOT EXISTS "
        "(SELECT 1 FROM audit_seal s WHERE s.entry = e.id) ORDER BY e.id LIMIT 1",
        LOOKBACK_IDS,
    )
    if not rows:
        return None
    at = rows[0]["at"]
    return dt.datetime.fromisoformat(at) if isinstance(at, str) else at


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


@dataclass
class ChainReport:
    checked: int = 0
    sealed: int = 0
    unsealed: int = 0
    unkeyed: int = 0  # written before keyed MACs; chained, but their content has no MAC
    head_seq: int = 0
    head_hash: str = ""
    pruned: int = 0  # seals 1..pruned went by retention (core.audit.pruning); the chain follows


def _entry_problem(keys: AuditKeys, entry: dict[str, Any]) -> str | None:
    if entry["key_id"] == "" and entry["mac"] == "":
        return None
    if entry["key_id"] not in keys.keys:
        return f"sealed with key {entry['key_id']!r}, which is not configured"
    if not keys.matches(entry["key_id"], sealed_content(entry), entry["mac"]):
        return "content does not match its MAC (edited)"
    return None


async def _seals_with_entries(after_seq: int = 0) -> AsyncIterator[dict[str, Any]]:
    last = after_seq
    while True:
        rows = await AuditSeal.raw(
            "SELECT s.seq, s.entry, s.key_id AS seal_key, s.prev_hash, s.chain_hash, e.id, e.at, "
            "e.actor_id, e.actor_name, e.actor_roles, e.action, e.entity, e.entity_id, "
            "e.customer_id, e.before, e.after, e.key_id, e.mac FROM audit_seal s "
            "LEFT JOIN audit_log e ON e.id = s.entry WHERE s.seq > {} ORDER BY s.seq LIMIT {}",
            last,
            BATCH,
        )
        if not rows:
            return
        for row in rows:
            yield row
        last = int(rows[-1]["seq"])


async def verify_chain() -> tuple[ChainReport, list[ChainProblem]]:
    """Check every entry's MAC and the seal chain; list edited, deleted or reordered entries."""
    keys = current_keys()
    report, problems = ChainReport(), []
    anchor = await current_anchor(keys)  # where retention left the start of the chain
    report.pruned = anchor.seq
    expected, prev = anchor.seq + 1, anchor.chain_hash
    async for row in _seals_with_entries(anchor.seq):
        seq = int(row["seq"])
        if seq != expected:
            problems.append(ChainProblem(expected, f"seals {expected}–{seq - 1} missing (deleted)"))
        if row["prev_hash"] != prev:
            problems.append(ChainProblem(seq, "does not follow the previous seal"))
        if row["id"] is None:
            problems.append(ChainProblem(seq, f"entry {row['entry']} missing (deleted)"))
        else:
            report.checked += 1
            report.unkeyed += row["key_id"] == ""
            if problem := _entry_problem(keys, row):
                problems.append(ChainProblem(seq, f"entry {row['entry']}: {problem}"))
            message = chain_message(seq, int(row["entry"]), row["mac"], row["prev_hash"])
            if not keys.matches(row["seal_key"], message, row["chain_hash"]):
                problems.append(ChainProblem(seq, "seal does not match its MAC (rechained)"))
        expected, prev = seq + 1, row["chain_hash"]
    report.sealed, report.head_seq, report.head_hash = expected - 1 - anchor.seq, expected - 1, prev
    for entry in await _unsealed_entries():
        report.checked += 1
        report.unsealed += 1
        if problem := _entry_problem(keys, entry):
            problems.append(ChainProblem(0, f"entry {entry['id']} (not yet sealed): {problem}"))
    return report, problems


async def _unsealed_entries() -> list[dict[str, Any]]:
    return await AuditEntry.raw(
        "SELECT e.* FROM audit_log e WHERE NOT EXISTS "
        "(SELECT 1 FROM audit_seal s WHERE s.entry = e.id) ORDER BY e.id"
    )


# -- checkpoints --------------------------------------------------------------------------


def checkpoint_message(point: dict[str, Any]) -> str:
    """The text a checkpoint's signature covers (canonical JSON of its other fields)."""
    return canonical({k: point.get(k) for k in ("seq", "chain_hash", "at", "key_id", "algorithm")})


async def write_checkpoint(target: Path, key: Ed25519PrivateKey) -> dict[str, Any]:
    """Seal what is pending, then append the signed chain head to `target` (JSON lines)."""
    await seal_all()
    last = await _last_seal()
    point: dict[str, Any] = {
        "seq": int(last["seq"]) if last else 0,
        "chain_hash": last["chain_hash"] if last else "",
        "at": now().astimezone(dt.UTC).isoformat(),
        "key_id": signing.key_id(key),
        "algorithm": signing.ALGORITHM,
    }
    point["signature"] = signing.sign(key, checkpoint_message(point))
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(point, sort_keys=True) + "\n")
    return point


def _read_points(source: Path) -> list[dict[str, Any]] | None:
    if not source.exists():
        return None
    lines = source.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def checkpoint_signed(point: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    """Signed by the private half of `public_key` (a MAC'd checkpoint of earlier versions is
    refused: whoever holds the audit key could forge one)."""
    return (
        point.get("algorithm") == signing.ALGORITHM
        and point.get("key_id") == signing.key_id(public_key)
        and signing.signature_valid(
            public_key, checkpoint_message(point), str(point.get("signature", ""))
        )
    )


async def verify_checkpoints(
    source: Path, public_key: Ed25519PublicKey
) -> tuple[int, list[ChainProblem]]:
    """Each signed checkpoint must still be in the chain with the same hash."""
    problems: list[ChainProblem] = []
    points = await asyncio.to_thread(_read_points, source)
    if points is None:
        return 0, [ChainProblem(0, f"no checkpoint file at {source}")]
    anchor = await current_anchor()
    for point in points:
        seq = int(point.get("seq", 0))
        if not checkpoint_signed(point, public_key):
            problems.append(ChainProblem(seq, f"checkpoint of {point.get('at')} is not signed"))
            continue
        if seq == 0 or seq < anchor.seq:  # before the start retention left: deleted by rule
            continue
        if seq == anchor.seq:
            if point["chain_hash"] != anchor.chain_hash:
                problems.append(ChainProblem(seq, f"differs from checkpoint of {point['at']}"))
            continue
        seal = await AuditSeal.select(AuditSeal.chain_hash).where(AuditSeal.seq == seq).first()
        if seal is None:
            problems.append(ChainProblem(seq, f"sealed at {point['at']} but now missing (deleted)"))
        elif seal["chain_hash"] != point["chain_hash"]:
            problems.append(ChainProblem(seq, f"differs from checkpoint of {point['at']}"))
    return len(points), problems
