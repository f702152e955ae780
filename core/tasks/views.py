"""Completing inbox tasks, and the task API. The inbox itself is shown on the dashboard."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Response

from core.common.errors import ValidationFailed, VersionConflict
from core.db import transaction
from core.i18n import N_
from core.identity.guards import require_user
from core.tasks import services
from core.web.notices import redirect_with_notice
from core.web.openapi import RecordId
from core.web.pages import form_data, int_field, render, render_conflict
from core.web.runtime import runtime_of

Req = Request[Any, Any, Any]


class TaskPages(Controller):
    path = "/tasks"
    include_in_schema = False
    opt = {"permission": "tasks.work"}

    @post("/{task_id:int}/complete")
    async def complete(self, request: Req, task_id: int) -> Response[Any]:
        user = require_user(request)
        data = await form_data(request)
        try:
            async with transaction():
                await services.complete_task(
                    user,
                    task_id,
                    int_field(data, "version"),
                    data,
                    user.role_codes,
                    runtime_of(request).task_kinds,
                )
        except ValidationFailed as exc:
            task = await services.get_task(task_id)
            return render(
                request,
                "tasks/complete.html",
                status_code=400,
                task=task,
                errors=exc.errors,
                outcome=data.get("outcome", ""),
            )
        except VersionConflict as exc:
            return render_conflict(request, exc, f"/tasks/{task_id}/complete", ["outcome"])
        return redirect_with_notice("/#inbox", N_("The task was marked done."))


@dataclass
class TaskOut:
    id: int
    kind: str
    role: str
    status: str
    summary: str
    customer_id: int | None
    created_at: dt.datetime
    version: int


@dataclass
class TaskCompletion:
    version: int
    outcome: str = ""


def _task_out(row: dict[str, Any]) -> TaskOut:
    return TaskOut(
        id=row["id"],
        kind=row["kind"],
        role=row["role"],
        status=row["status"],
        summary=row["summary"],
        customer_id=row["customer"],
        created_at=row["created_at"],
        version=row["version"],
    )


class TaskApi(Controller):
    path = "/api/tasks"
    tags = ["tasks"]
    opt = {"permission": "tasks.work"}

    @get("/")
    async def my_open_tasks(self, request: Req, page: int = 1) -> list[TaskOut]:
        """Open tasks of the caller's roles, oldest first, 50 a page."""
        user = require_user(request)
        rows, _ = await services.open_tasks_for_roles(
            user.role_codes, 50, (max(1, min(page, 100_000)) - 1) * 50
        )
        return [_task_out(r) for r in rows]

    @post("/{task_id:int}/complete", status_code=200)
    async def complete(self, request: Req, task_id: RecordId, data: TaskCompletion) -> TaskOut:
        user = require_user(request)
        async with transaction():
            await services.complete_task(
                user,
                task_id,
                data.version,
                {"outcome": data.outcome},
                user.role_codes,
                runtime_of(request).task_kinds,
            )
        return _task_out(await services.get_task(task_id))
