"""The inbox between roles: plugins create tasks, users of the task's role complete them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.audit import services as audit
from core.audit.services import Actor
from core.common.clock import now
from core.common.errors import NotFound, ValidationFailed
from core.common.versioned import update_versioned
from core.db import CachedQuery
from core.i18n import N_
from core.plugins.types import TaskKind
from core.tasks.forms import OutcomeForm
from core.tasks.tables import Task
from core.web.forms import parse_form

TASK_COLUMNS = (
    Task.id, Task.kind, Task.role, Task.status, Task.summary, Task.customer,
    Task.customer.first_name, Task.customer.last_name, Task.payload, Task.created_at,
    Task.completed_at, Task.outcome, Task.version,
)  # fmt: skip


async def create_task(
    actor: Actor,
    kind: TaskKind,
    summary: str,
    *,
    customer_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> int:
    """Put a task in the inbox of `kind.role`. Call inside the transaction of its cause."""
    rows = await Task.insert(
        Task(
            kind=kind.code,
            role=kind.role,
            summary=summary[:300],
            customer=customer_id,
            payload=payload or {},
            created_at=now(),
            created_by=actor.id,
        )
    ).returning(Task.id)
    task_id = int(rows[0]["id"])
    await audit.record(
        actor,
        "create",
        "task",
        task_id,
        customer_id=customer_id,
        after={"kind": kind.code, "role": kind.role, "summary": summary},
    )
    return task_id


# The dashboard's query: its SQL (with the customer's name joined) built once per role set.
_OPEN_TASKS = CachedQuery(
    lambda status, roles, limit, offset: (
        Task.select(*TASK_COLUMNS)
        .where((Task.status == status) & Task.role.is_in(list(roles)))
        .order_by(Task.created_at)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
)


async def open_tasks_for_roles(
    role_codes: Iterable[str], limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    roles = list(role_codes)
    if not roles:
        return [], 0
    condition = (Task.status == "open") & Task.role.is_in(roles)
    rows = await _OPEN_TASKS("open", roles=tuple(sorted(roles)), limit=limit, offset=offset)
    if (rows and len(rows) < limit) or (not rows and offset == 0):  # the last page: no count needed
        return rows, offset + len(rows)
    return rows, await Task.count().where(condition)


async def get_task(task_id: int) -> dict[str, Any]:
    row = await Task.select(*TASK_COLUMNS).where(Task.id == task_id).first().output(load_json=True)
    if row is None:
        raise NotFound(f"task {task_id}")
    return row


async def complete_task(
    actor: Actor,
    task_id: int,
    version: int,
    form: Mapping[str, Any],
    allowed_roles: Iterable[str],
    kinds: Mapping[str, TaskKind] | None = None,
) -> dict[str, Any]:
    """Mark an open task done with the note of `form` (read by `OutcomeForm`); only users
    holding the task's role may, and not a task whose kind is closed only by its action
    (`kinds` are the declared task kinds)."""
    task = await get_task(task_id)
    if task["role"] not in set(allowed_roles):
        raise NotFound(f"task {task_id}")
    if task["status"] != "open":
        raise ValidationFailed({"outcome": N_("This task has already been completed.")})
    kind = (kinds or {}).get(task["kind"])
    if kind is not None and kind.closes_by_action:
        raise ValidationFailed(
            {"outcome": N_("This task is completed by doing its work on the linked page.")}
        )
    outcome = parse_form(OutcomeForm, form).outcome
    saved = await update_versioned(
        Task,
        task_id,
        version,
        {
            Task.status: "done",
            Task.completed_at: now(),
            Task.completed_by: actor.id,
            Task.outcome: outcome,
        },
        {"status": "done", "outcome": outcome},
    )
    await audit.record(
        actor,
        "update",
        "task",
        task_id,
        customer_id=task["customer"],
        before={"status": "open"},
        after={"status": "done", "outcome": outcome},
    )
    return saved


async def close_tasks(
    actor: Actor, kind: TaskKind, customer_id: int, match: Mapping[str, Any], outcome: str
) -> int:
    """Complete the open tasks of `kind` about the customer whose payload holds `match`: the
    work done on the object's page closes its inbox task. Returns how many were closed."""
    tasks = (
        await Task.select(Task.id, Task.payload)
        .where((Task.kind == kind.code) & (Task.status == "open") & (Task.customer == customer_id))
        .output(load_json=True)
    )
    closed = 0
    for task in tasks:
        if any(task["payload"].get(k) != v for k, v in match.items()):
            continue
        await Task.update(
            {
                Task.status: "done",
                Task.completed_at: now(),
                Task.completed_by: actor.id,
                Task.outcome: outcome,
                Task.version: Task.version + 1,
            }
        ).where(Task.id == task["id"])
        await audit.record(
            actor,
            "update",
            "task",
            task["id"],
            customer_id=customer_id,
            before={"status": "open"},
            after={"status": "done", "outcome": outcome},
        )
        closed += 1
    return closed
