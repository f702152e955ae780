"""Appending to and verifying the hash-chained audit log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from core.audit.keys import current_keys
from core.audit.tables import AuditEntry
from core.common.clock import now
from core.common.exports import to_csv
from core.db import run_raw
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


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _jsonable(value: Any) -> Any:
    return None if value is None else json.loads(canonical(value))


def _load(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def sealed_content(entry: dict[str, Any]) -> str:
    """The text an entry's MAC covers: every field but the row id and the MAC itself."""
    at = entry["at"]
    if isinstance(at, dt.datetime):
        at = at.astimezone(dt.UTC).isoformat()
    return canonical(
        {
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
            "key_id": entry["key_id"],
        }
    )


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
    """Append an entry. Call inside the transaction of the change it records.

    One INSERT and no shared row: the entry carries its own keyed MAC, and
    `core.audit.sealing` chains committed entries in batches afterwards.
    """
    values = entry_values(
        actor, action, entity, entity_id, customer_id=customer_id, before=before, after=after
    )
    # Raw SQL rather than `AuditEntry.insert(AuditEntry(...))`: Piccolo's insert builds a Table
    # object and its SQL on every call, more CPU than the database's work for one small row,
    # and every page view writes one; run on the request's connection without a Piccolo query
    # (`run_raw`). JSON as `record_many` stores it.
    await run_raw(AuditEntry, _INSERT_ONE, *values)


def entry_values(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object = "",
    *,
    customer_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> tuple[Any, ...]:
    """The values of one entry as `record` writes it, MAC included, in the order of the
    placeholders of `INSERT_ONE_SELECT`: for a read that writes its own access-log entry in
    the same statement (`WITH logged AS (INSERT ... SELECT ... WHERE ...) SELECT ...`)."""
    keys = current_keys()
    entry: dict[str, Any] = {
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
        "key_id": keys.current_id,
    }
    mac = keys.mac(keys.current_id, sealed_content(entry))
    texts = [None if entry[k] is None else canonical(entry[k]) for k in ("before", "after")]
    return (*(entry[c] for c in _BULK_COLUMNS[:-1]), mac, *texts)


async def record_each(
    actor: Actor, action: str, entity: str, subjects: Sequence[tuple[object, int | None]]
) -> None:
    """Append one entry per (entity_id, customer_id) in three statements, however many: a
    list that shows many customers writes each one's access-log entry without a round trip
    per customer. Each entry carries its own MAC, as `record` writes it."""
    await record_many(actor, action, entity, [(e, c, None, None) for e, c in subjects])


AuditItem = tuple[object, int | None, dict[str, Any] | None, dict[str, Any] | None]


async def record_many(actor: Actor, action: str, entity: str, items: Sequence[AuditItem]) -> None:
    """Append one entry per (entity_id, customer_id, before, after) in a few bulk inserts, e.g.
    an import creating 30,000 customers. Each entry carries its own MAC."""
    if not items:
        return
    from core.db import insert_rows  # the audit layer stays below core.db's users

    keys = current_keys()
    at, roles, rows = now(), ",".join(actor.role_codes), []
    for entity_id, customer_id, before, after in items:
        entry: dict[str, Any] = {
            "at": at, "actor_id": actor.id, "actor_name": actor.full_name,
            "actor_roles": roles, "action": action, "entity": entity,
            "entity_id": str(entity_id), "customer_id": customer_id,
            "before": _jsonable(before), "after": _jsonable(after), "key_id": keys.current_id,
        }  # fmt: skip
        mac = keys.mac(keys.current_id, sealed_content(entry))
        texts = (None if entry[k] is None else canonical(entry[k]) for k in ("before", "after"))
        rows.append((*(entry[c] for c in _BULK_COLUMNS[:-1]), *texts, mac))
    columns = [getattr(AuditEntry, name) for name in (*_BULK_COLUMNS[:-1], "before", "after")]
    await insert_rows(AuditEntry, [*columns, AuditEntry.mac], rows)


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


async def record_views(
    actor: Actor, action: str, entity: str, entity_id: object, customer_ids: Sequence[int]
) -> None:
    """One access-log entry per customer for one read (e.g. an export naming 30,000 customers),
    each with its own MAC as `record` writes it, in a few bulk inserts and no shared row."""
    if not customer_ids:
        return
    from core.db import insert_rows  # the audit layer stays below core.db's users

    keys = current_keys()
    at, roles = now(), ",".join(actor.role_codes)
    entry: dict[str, Any] = {
        "at": at, "actor_id": actor.id, "actor_name": actor.full_name, "actor_roles": roles,
        "action": action, "entity": entity, "entity_id": str(entity_id),
        "customer_id": _CUSTOMER, "before": None, "after": None, "key_id": keys.current_id,
    }  # fmt: skip
    # The entries differ only in the customer id: seal the shared text around it once.
    around = sealed_content(entry).split(_CUSTOMER_JSON)
    if len(around) == 2 and all(type(c) is int for c in customer_ids):
        prefix, suffix = around
        macs = keys.macs(keys.current_id, prefix, [f"{c}{suffix}" for c in customer_ids])
    else:
        macs = [
            keys.mac(keys.current_id, sealed_content({**entry, "customer_id": c}))
            for c in customer_ids
        ]
    shared = [entry[c] for c in _BULK_COLUMNS[:-1]]
    place = _BULK_COLUMNS.index("customer_id")
    rows = []
    for customer_id, mac in zip(customer_ids, macs, strict=True):
        row = [*shared, mac]
        row[place] = customer_id
        rows.append(row)
    columns = [getattr(AuditEntry, name) for name in _BULK_COLUMNS]
    await insert_rows(AuditEntry, columns, rows)


_CUSTOMER = "\x00customer_id\x00"  # stands for each entry's customer id in the shared text
_CUSTOMER_JSON = canonical(_CUSTOMER)
_BULK_COLUMNS = ("at", "actor_id", "actor_name", "actor_roles", "action", "entity",
                 "entity_id", "customer_id", "key_id", "mac")  # fmt: skip
_INSERT_INTO = (
    "INSERT INTO audit_log (at, actor_id, actor_name, actor_roles, action, entity, entity_id,"
    " customer_id, key_id, mac, before, after)"
)  # the columns of _BULK_COLUMNS, then before and after
_INSERT_ONE = _INSERT_INTO + " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})"
# One entry's INSERT of `entry_values` as a SELECT that a WHERE may follow (PostgreSQL only:
# an INSERT ... SELECT types its parameters from the casts, not from the columns).
INSERT_ONE_SELECT = (
    _INSERT_INTO + " SELECT {}::timestamptz, {}::integer, {}, {}, {}, {}, {}, {}::integer, {}, {},"
    " {}::json, {}::json"
)


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
            AuditEntry.id.as_alias("seq"),
            AuditEntry.at,
            AuditEntry.actor_name,
            AuditEntry.actor_roles,
            AuditEntry.action,
            AuditEntry.entity,
        )
        .where(AuditEntry.customer_id == customer_id)
        .order_by(AuditEntry.id, ascending=False)
    )
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return await query


def access_log_csv(rows: list[dict[str, Any]], format_time: Any) -> bytes:
    """Through core's CSV writer, which neutralises spreadsheet formulas in names and roles."""
    return to_csv(
        ["time", "staff member", "roles", "action", "data"],
        [
            [format_time(r["at"]), r["actor_name"], r["actor_roles"], r["action"], r["entity"]]
            for r in rows
        ],
    )
