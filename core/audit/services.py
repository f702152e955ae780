"""Appending to and verifying the hash-chained audit log."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from core.audit.tables import AuditEntry, AuditHead
from core.common.clock import now
from core.i18n import N_

REDACTED = "[redacted]"


class Actor(Protocol):
    """Whoever makes a change: a signed-in user or a system actor."""

    @property
    def id(self) -> int | None: ...

    @property
    def full_name(self) -> str: ...

    @property
    def role_codes(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class SystemActor:
    """An actor for changes made by commands and workers rather than a person."""

    full_name: str
    id: int | None = None
    role_codes: Sequence[str] = ("system",)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _jsonable(value: Any) -> Any:
    return None if value is None else json.loads(_canonical(value))


def _entry_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(fields).encode("utf-8")).hexdigest()


def _hashed_fields(entry: dict[str, Any]) -> dict[str, Any]:
    at = entry["at"]
    if isinstance(at, dt.datetime):
        at = at.astimezone(dt.UTC).isoformat()
    return {
        "seq": int(entry["seq"]),
        "at": at,
        "actor_id": entry["actor_id"],
        "actor_name": entry["actor_name"],
        "actor_roles": entry["actor_roles"],
        "action": entry["action"],
        "entity": entry["entity"],
        "entity_id": entry["entity_id"],
        "customer_id": entry["customer_id"],
        "before": _load(entry["before"]),
        "after": _load(entry["after"]),
        "prev_hash": entry["prev_hash"],
    }


def _load(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def record(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object = "",
    *,
    customer_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append an entry. Call inside the transaction of the change it records."""
    head = await AuditHead.update({AuditHead.seq: AuditHead.seq + 1}, force=True).returning(
        AuditHead.seq, AuditHead.last_hash
    )
    seq, prev_hash = head[0]["seq"], head[0]["last_hash"]
    entry: dict[str, Any] = {
        "seq": seq,
        "at": now(),
        "actor_id": actor.id,
        "actor_name": actor.full_name,
        "actor_roles": ",".join(actor.role_codes),
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "customer_id": customer_id,
        "before": _jsonable(before),
        "after": _jsonable(after),
        "prev_hash": prev_hash,
    }
    entry_hash = _entry_hash(_hashed_fields(entry))
    await AuditEntry.insert(AuditEntry(**entry, entry_hash=entry_hash))
    await AuditHead.update({AuditHead.last_hash: entry_hash}, force=True)


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


async def verify_chain(batch_size: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Recompute every hash; report edited, deleted or reordered entries."""
    problems: list[ChainProblem] = []
    expected_seq, prev_hash, checked = 1, "", 0
    async for entry in _entries_in_order(batch_size):
        seq = int(entry["seq"])
        if seq != expected_seq:
            problems.append(ChainProblem(expected_seq, f"entries {expected_seq}–{seq - 1} missing"))
        if entry["prev_hash"] != prev_hash:
            problems.append(ChainProblem(seq, "does not follow the previous entry"))
        if _entry_hash(_hashed_fields(entry)) != entry["entry_hash"]:
            problems.append(ChainProblem(seq, "content does not match its hash (edited)"))
        expected_seq, prev_hash, checked = seq + 1, entry["entry_hash"], checked + 1
    head = await AuditHead.select().first()
    if head and int(head["seq"]) != expected_seq - 1:
        problems.append(ChainProblem(int(head["seq"]), "newest entries missing (deleted)"))
    elif head and head["last_hash"] != prev_hash:
        problems.append(ChainProblem(int(head["seq"]), "newest entry does not match the head"))
    return checked, problems


async def _entries_in_order(batch_size: int) -> AsyncIterator[dict[str, Any]]:
    last = 0
    while True:
        rows = await (
            AuditEntry.select()
            .where(AuditEntry.seq > last)
            .order_by(AuditEntry.seq)
            .limit(batch_size)
        )
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1]["seq"]


ACTION_LABELS = {
    "view": N_("viewed"),
    "create": N_("created"),
    "update": N_("changed"),
    "delete": N_("removed"),
    "export": N_("exported"),
    "login": N_("signed in"),
}


async def customer_access_log(
    customer_id: int, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """Who viewed or changed the customer's data, when and in what role; newest first."""
    query = (
        AuditEntry.select(
            AuditEntry.seq,
            AuditEntry.at,
            AuditEntry.actor_name,
            AuditEntry.actor_roles,
            AuditEntry.action,
            AuditEntry.entity,
        )
        .where(AuditEntry.customer_id == customer_id)
        .order_by(AuditEntry.seq, ascending=False)
    )
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return await query


def access_log_csv(rows: list[dict[str, Any]], format_time: Any) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["time", "staff member", "roles", "action", "data"])
    for row in rows:
        writer.writerow(
            [
                format_time(row["at"]),
                row["actor_name"],
                row["actor_roles"],
                row["action"],
                row["entity"],
            ]
        )
    return out.getvalue()
