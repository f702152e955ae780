"""`valvomo booking ...` commands."""

from __future__ import annotations

import click

from core.audit.services import SystemActor
from core.cli import console, load_runtime, run_with_database
from core.common.clock import today
from core.db import transaction
from plugins.booking.duties import remind_due_plans
from plugins.booking.settings import current as settings


@click.group()
def booking() -> None:
    """Appointment booking."""


@booking.command("remind-plans")
def remind_plans() -> None:
    """Put client plans coming due into professionals' inboxes (run daily, e.g. from cron)."""
    runtime = load_runtime()

    async def work() -> int:
        async with transaction():
            return await remind_due_plans(
                SystemActor(full_name="valvomo booking remind-plans"),
                today(),
                settings().plan_reminder_days,
            )

    created = run_with_database(runtime, work)
    console.print(f"{created} client plan reminder(s) created.")
