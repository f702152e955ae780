"""CLI: `valvomo import meals FILE [--dry-run] [--partial]`, kitchen and route set-up, and
`valvomo meals record-days` for a nightly job."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import click

from valvomo.api import SystemActor, ValidationFailed


def add_commands(cli: click.Group) -> None:
    from valvomo.api import import_group

    import_group(cli).add_command(import_meals_command)
    cli.add_command(meals_group)


def _run(work: Callable[[], Awaitable[None]]) -> None:
    from valvomo.api import load_runtime, run_with_database

    run_with_database(load_runtime(), work)


@click.command("meals")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option(
    "--partial", is_flag=True, help="Write the valid customers even if some rows are invalid."
)
def import_meals_command(file: Path, dry_run: bool, partial: bool) -> None:
    """Import meal customers' standing orders from an XLSX or CSV spreadsheet."""
    from plugins.meals.importer import MealsStep
    from plugins.meals.settings import current
    from valvomo.api import run_import_command

    run_import_command(
        file, [MealsStep(current(), every_row=True)], dry_run=dry_run, partial=partial
    )


@click.group("meals")
def meals_group() -> None:
    """Meal service set-up (kitchens, delivery routes) and recording of service days."""


@meals_group.command("record-days")
@click.option("--month", help="2026-10 or 10/2026. Default: this month and the previous one.")
def record_days(month: str | None) -> None:
    """Bring the recorded meal days of a month up to date, e.g. nightly from cron, so that the
    biller's report only has to write the services changed during the day."""
    from plugins.meals.ledger import record_month
    from plugins.meals.settings import current
    from valvomo.api import console, month_argument, period_containing, previous_period, today

    this_month = period_containing(today())
    periods = [month_argument(month)] if month else [previous_period(this_month), this_month]

    async def work() -> None:
        for period in periods:
            recorded = await record_month(period, current().holiday_rule)
            console.print(
                f"{period.month}/{period.year}: {len(recorded.customers)} meal services, "
                f"days recorded for {recorded.written}."
            )

    _run(work)


@meals_group.command("add-kitchen")
@click.argument("name")
def add_kitchen(name: str) -> None:
    """Add a kitchen."""
    from plugins.meals import places

    _guarded(lambda: places.create_kitchen(SystemActor(full_name="valvomo meals"), name))


@meals_group.command("add-route")
@click.argument("kitchen")
@click.argument("name")
def add_route(kitchen: str, name: str) -> None:
    """Add a delivery route to the kitchen named KITCHEN."""
    from plugins.meals import places
    from plugins.meals.tables import Kitchen

    async def create() -> int:
        found = await Kitchen.select(Kitchen.id).where(Kitchen.name == kitchen).first()
        kitchen_id = found["id"] if found else 0
        return await places.create_route(SystemActor(full_name="valvomo meals"), kitchen_id, name)

    _guarded(create)


def _guarded(create: Callable[[], Awaitable[int]]) -> None:
    from valvomo.api import console, transaction

    async def work() -> None:
        async with transaction():
            new_id = await create()
        console.print(f"Created with id {new_id}.")

    try:
        _run(work)
    except ValidationFailed as exc:
        console.print(f"[red]{exc}[/]")
        sys.exit(1)
