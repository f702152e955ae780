"""CLI: `valvomo import meals FILE [--dry-run] [--partial]`, kitchen and route set-up, and
`valvomo meals record-days` for a nightly job."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import click

from core.audit.services import SystemActor
from core.common.errors import ValidationFailed


def add_commands(cli: click.Group) -> None:
    group = cli.commands.get("import")
    if not isinstance(group, click.Group):
        group = click.Group("import", help="Import data from the old spreadsheets and systems.")
        cli.add_command(group)
    group.add_command(import_meals_command)
    cli.add_command(meals_group)


def _run(work: Callable[[], Awaitable[None]]) -> None:
    from core.cli import load_runtime, run_with_database

    run_with_database(load_runtime(), work)


@click.command("meals")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--partial", is_flag=True, help="Write the valid rows even if some are invalid.")
def import_meals_command(file: Path, dry_run: bool, partial: bool) -> None:
    """Import meal customers and their standing orders from an XLSX or CSV spreadsheet."""
    from core.cli import console
    from core.db import transaction
    from plugins.meals.importer import ImportReport, check_rows, read_rows, write_services
    from plugins.meals.settings import current

    try:
        rows = read_rows(file)
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        console.print(f"[red]Cannot read {file.name}: {exc}[/]")
        sys.exit(2)
    result = ImportReport()

    async def work() -> None:
        nonlocal result
        async with transaction():
            result = await check_rows(rows, current())
            if dry_run or (result.errors and not partial):
                return
            await write_services(
                SystemActor(full_name=f"valvomo import meals {file.name}"), result.services
            )

    _run(work)
    for problem in result.errors:
        console.print(f"[red]{problem}[/]")
    services = len(result.services)
    if dry_run:
        console.print(
            f"Dry run: {result.rows} rows, {len(result.errors)} problems, "
            f"{services} services would be imported. Nothing was written."
        )
    elif result.errors and not partial:
        console.print(
            f"[bold red]Nothing was imported[/]: {len(result.errors)} problems. "
            "Fix the rows or use --partial to import the valid ones."
        )
    else:
        console.print(f"Imported {services} meal services from {result.rows} rows.")
    sys.exit(1 if result.errors else 0)


@click.group("meals")
def meals_group() -> None:
    """Meal service set-up (kitchens, delivery routes) and recording of service days."""


@meals_group.command("record-days")
@click.option("--month", help="2026-10 or 10/2026. Default: this month and the previous one.")
def record_days(month: str | None) -> None:
    """Bring the recorded meal days of a month up to date, e.g. nightly from cron, so that the
    biller's report only has to write the services changed during the day."""
    from core.billing.commands import month_argument
    from core.billing.periods import period_containing, previous_period
    from core.cli import console
    from core.common.clock import today
    from plugins.meals.ledger import record_month
    from plugins.meals.settings import current

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
    from core.cli import console
    from core.db import transaction

    async def work() -> None:
        async with transaction():
            new_id = await create()
        console.print(f"Created with id {new_id}.")

    try:
        _run(work)
    except ValidationFailed as exc:
        console.print(f"[red]{exc}[/]")
        sys.exit(1)
