"""`valvomo booking ...` commands."""

from __future__ import annotations

import click

from plugins.booking.duties import remind_due_plans
from plugins.booking.settings import current as settings
from valvomo.api import (
    SystemActor,
    console,
    load_runtime,
    now,
    run_with_database,
    today,
    transaction,
)


@click.group()
def booking() -> None:
    """Appointment booking."""


@booking.command("waitlist")
def serve_waitlist() -> None:
    """Release expired waiting-list holds and hold freed times for the next in line (run every
    few minutes, e.g. from cron)."""
    from plugins.booking.waitlist import serve_waitlist as serve

    runtime = load_runtime()

    async def work() -> int:
        return await serve(runtime.settings)

    held = run_with_database(runtime, work)
    console.print(f"{held} time(s) held for the waiting list.")


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


@booking.command("hold-closed")
def hold_closed() -> None:
    """Withdraw any unsent message of a booking inside a coming closed time (run with the
    waiting-list cron): a safety net for closures made before messages were held, or a
    booking that raced a closure. Held messages come back when the closure is removed."""
    from plugins.booking.absences import hold_all_closed

    runtime = load_runtime()

    async def work() -> int:
        async with transaction():
            return await hold_all_closed(now())

    held = run_with_database(runtime, work)
    console.print(f"{held} booking(s) in closed times wait for the professional's choice.")
