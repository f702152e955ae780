"""The inbox: tasks go to the users of a role and are completed there."""

from __future__ import annotations

import datetime as dt

import httpx

from core.audit.tables import AuditEntry
from core.common.clock import now
from core.db import transaction
from core.i18n import gettext, in_language
from core.plugins import TaskKind
from core.tasks.services import create_task
from core.tasks.tables import Task
from tests.core.test_customers import create
from tests.helpers import SYSTEM, api_headers, make_user, post_form, sign_in

DECISION = TaskKind("test.decision", "Decision needed", "client_guidance")
KITCHEN = TaskKind("test.kitchen", "Kitchen check", "home_care")


async def test_tasks_reach_the_right_role_and_are_completed(admin: httpx.AsyncClient) -> None:
    customer_id = await create(admin)
    async with transaction():
        task_id = await create_task(SYSTEM, DECISION, "Meal service ended", customer_id=customer_id)
        await create_task(SYSTEM, KITCHEN, "Not for client guidance")
    dashboard = await admin.get("/")
    assert "Meal service ended" in dashboard.text
    assert "Not for client guidance" not in dashboard.text
    done = await post_form(
        admin, f"/tasks/{task_id}/complete", {"version": 1, "outcome": "Decided"}
    )
    assert done.status_code == 200
    row = await Task.select().where(Task.id == task_id).first()
    assert (row["status"], row["outcome"]) == ("done", "Decided")
    assert "Meal service ended" not in (await admin.get("/")).text
    again = await post_form(admin, f"/tasks/{task_id}/complete", {"version": 2, "outcome": "x"})
    assert again.status_code == 400


async def test_a_too_long_outcome_is_refused_at_the_field_and_the_task_stays_open(
    admin: httpx.AsyncClient,
) -> None:
    async with transaction():
        task_id = await create_task(SYSTEM, DECISION, "Meal service ended")
    long = "Päätös " + "x" * 1994  # 2,001 characters
    refused = await post_form(admin, f"/tasks/{task_id}/complete", {"version": 1, "outcome": long})
    assert refused.status_code == 400
    with in_language("fi"):
        message = gettext("At most 2,000 characters.")
    assert f'<p class="error" id="f-outcome-error">{message}</p>' in refused.text
    assert long in refused.text  # the input is kept
    api = await admin.post(
        f"/api/tasks/{task_id}/complete",
        json={"version": 1, "outcome": long},
        headers=api_headers(admin),
    )
    assert api.status_code == 400 and "outcome" in api.text
    row = await Task.select().where(Task.id == task_id).first()
    assert (row["status"], row["outcome"], row["version"]) == ("open", "", 1)
    assert not await AuditEntry.exists().where(
        (AuditEntry.entity == "task") & (AuditEntry.action == "update")
    )
    done = await post_form(
        admin, f"/tasks/{task_id}/complete", {"version": 1, "outcome": "  " + long[:2000] + " "}
    )
    assert done.status_code == 200  # 2,000 once the spaces around it are dropped
    assert (await Task.select(Task.outcome).where(Task.id == task_id).first())["outcome"] == long[
        :2000
    ]


async def test_other_roles_cannot_complete_a_task(client: httpx.AsyncClient) -> None:
    async with transaction():
        task_id = await create_task(SYSTEM, DECISION, "Not yours")
    await sign_in(client, await make_user("home_care"))
    response = await post_form(client, f"/tasks/{task_id}/complete", {"version": 1})
    assert response.status_code == 404
    assert (await Task.select(Task.status).first())["status"] == "open"


async def test_task_api(client: httpx.AsyncClient) -> None:
    async with transaction():
        task_id = await create_task(SYSTEM, KITCHEN, "Check the fridge")
    await sign_in(client, await make_user("home_care"))
    tasks = (await client.get("/api/tasks")).json()
    assert [t["summary"] for t in tasks] == ["Check the fridge"]
    done = await client.post(
        f"/api/tasks/{task_id}/complete", json={"version": 1}, headers=api_headers(client)
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    stale = await client.post(
        f"/api/tasks/{task_id}/complete", json={"version": 1}, headers=api_headers(client)
    )
    assert stale.status_code == 400


async def test_the_inbox_shows_the_oldest_task_first_with_its_age(
    admin: httpx.AsyncClient,
) -> None:
    async with transaction():
        await create_task(SYSTEM, DECISION, "Arrived today")
        older = await create_task(SYSTEM, DECISION, "Waiting for three days")
    await Task.update({Task.created_at: now() - dt.timedelta(days=3)}).where(Task.id == older)
    inbox = (await admin.get("/")).text
    assert inbox.index("Waiting for three days") < inbox.index("Arrived today")
    assert "3 days ago" in inbox or "3 päivää sitten" in inbox
