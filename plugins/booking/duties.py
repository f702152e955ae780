"""Recurring duties: a client plan is updated at least once a year.

`remind_due_plans` (run daily by `valvomo booking remind-plans`) puts a task in the
professional's inbox `plan_reminder_days` before the plan is a year old, once per due date,
and the task suggests booking the update meeting.
"""

from __future__ import annotations

import datetime as dt

from plugins.booking.tables import ClientPlanDuty
from valvomo.api import N_, Actor, TaskKind, audit, create_task

PLAN_UPDATE = TaskKind("booking.plan_update", N_("Client plan update due"), "professional")


def due_date(last_updated: dt.date) -> dt.date:
    try:
        return last_updated.replace(year=last_updated.year + 1)
    except ValueError:  # 29 February
        return last_updated.replace(year=last_updated.year + 1, day=28)


async def add_duty(actor: Actor, customer_id: int, professional_id: int, last: dt.date) -> int:
    rows = await ClientPlanDuty.insert(
        ClientPlanDuty(customer=customer_id, professional=professional_id, last_updated=last)
    ).returning(ClientPlanDuty.id)
    duty_id = int(rows[0]["id"])
    await audit.record(
        actor,
        "create",
        "booking_plan_duty",
        duty_id,
        customer_id=customer_id,
        after={"professional": professional_id, "last_updated": last.isoformat()},
    )
    return duty_id


async def remind_due_plans(actor: Actor, today: dt.date, lead_days: int) -> int:
    """Create one inbox task per plan coming due; returns how many were created."""
    horizon = today + dt.timedelta(days=lead_days)
    candidates = await ClientPlanDuty.select(
        ClientPlanDuty.id,
        ClientPlanDuty.customer,
        ClientPlanDuty.last_updated,
        ClientPlanDuty.reminded_for,
        ClientPlanDuty.professional._.user._.full_name,
    ).where(ClientPlanDuty.last_updated <= horizon.replace(year=horizon.year - 1))
    created = 0
    for duty in candidates:
        due = due_date(duty["last_updated"])
        if due > horizon or duty["reminded_for"] == due:
            continue
        await create_task(
            actor,
            PLAN_UPDATE,
            f"Client plan update due {due:%d.%m.%Y} ({duty['professional.user.full_name']})",
            customer_id=duty["customer"],
            payload={"due": due.isoformat(), "book": f"/booking/customers/{duty['customer']}"},
        )
        await ClientPlanDuty.update(
            {ClientPlanDuty.reminded_for: due, ClientPlanDuty.version: ClientPlanDuty.version + 1}
        ).where(ClientPlanDuty.id == duty["id"])
        created += 1
    return created


async def mark_plan_updated(actor: Actor, duty_id: int, customer_id: int, on: dt.date) -> None:
    rows = (
        await ClientPlanDuty.update(
            {ClientPlanDuty.last_updated: on, ClientPlanDuty.version: ClientPlanDuty.version + 1}
        )
        .where((ClientPlanDuty.id == duty_id) & (ClientPlanDuty.customer == customer_id))
        .returning(ClientPlanDuty.id)
    )
    if rows:
        await audit.record(
            actor,
            "update",
            "booking_plan_duty",
            duty_id,
            customer_id=customer_id,
            after={"last_updated": on.isoformat()},
        )


async def duties_of_customer(customer_id: int) -> list[dict[str, object]]:
    rows = await ClientPlanDuty.select(
        ClientPlanDuty.id,
        ClientPlanDuty.last_updated,
        ClientPlanDuty.professional._.user._.full_name,
    ).where(ClientPlanDuty.customer == customer_id)
    return [{**row, "due": due_date(row["last_updated"])} for row in rows]
