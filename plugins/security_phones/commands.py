"""CLI: `valvomo import alarms FILE --centre NAME` and `valvomo security-phones add-centre NAME`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from valvomo.api import SystemActor, ValidationFailed


class RefusedImport(Exception):
    """Rolls back an import with malformed rows; nothing is written."""


def add_commands(cli: click.Group) -> None:
    from valvomo.api import import_group

    import_group(cli).add_command(import_alarms_command)
    cli.add_command(security_phones_group)


@click.command("alarms")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--centre", required=True, help="The name of the alarm centre that sent the file.")
def import_alarms_command(file: Path, centre: str) -> None:
    """Import an alarm centre's CSV file; rows already imported are skipped."""
    from plugins.security_phones.alarms import ImportResult, import_alarms, read_csv
    from plugins.security_phones.tables import AlarmCentre
    from valvomo.api import console, load_runtime, run_with_database

    rows, problems = read_csv(file.read_text(encoding="utf-8-sig"))
    if problems:
        console.print(f"[red]{problems[0]}[/]")
        sys.exit(1)
    runtime = load_runtime()

    async def work() -> ImportResult:
        found = await AlarmCentre.select(AlarmCentre.id).where(AlarmCentre.name == centre).first()
        if found is None:
            return ImportResult(errors=[f"no alarm centre is named {centre!r}"])
        try:
            async with runtime.database.transaction():
                result = await import_alarms(
                    SystemActor(full_name=f"valvomo import alarms {file.name}"), found["id"], rows
                )
                if result.errors:
                    raise RefusedImport
        except RefusedImport:
            pass
        return result

    result = run_with_database(runtime, work)
    if result.errors:
        for problem in result.errors:
            console.print(f"[red]{problem}[/]")
        console.print("Nothing was imported.")
        sys.exit(1)
    console.print(
        f"{result.rows} rows: {result.added} new alarms, {result.skipped} already imported, "
        f"{result.tasks} technical-alarm tasks."
    )


@click.group("security-phones")
def security_phones_group() -> None:
    """Security phone administration."""


@security_phones_group.command("add-centre")
@click.argument("name")
def add_centre(name: str) -> None:
    """Add an alarm centre and print its API token (shown only once)."""
    from plugins.security_phones.alarms import create_centre
    from valvomo.api import console, load_runtime, run_with_database

    runtime = load_runtime()

    async def work() -> tuple[int, str]:
        async with runtime.database.transaction():
            return await create_centre(SystemActor(full_name="valvomo security-phones"), name)

    try:
        centre_id, token = run_with_database(runtime, work)
    except ValidationFailed as exc:
        console.print(f"[red]{next(iter(exc.errors.values()))}[/]")
        sys.exit(1)
    console.print(f"Alarm centre {name} (id {centre_id}). Its API token, shown only now:")
    click.echo(token)
