"""`valvomo backup`, `valvomo restore` and `valvomo retention`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

console = Console()


def register(cli: click.Group) -> None:
    cli.add_command(backup_command)
    cli.add_command(restore_command)
    cli.add_command(retention_command)


@click.command("backup")
@click.option("--to", "target", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the backup file (default: [operations] backup_dir).")  # fmt: skip
def backup_command(target: Path | None) -> None:
    """Write a consistent, timestamped backup of the database while the app keeps serving."""
    from core.config import load_settings
    from core.operations.backup import BackupError, backup

    settings = load_settings()
    try:
        path = backup(settings.database_url, target or Path(settings.operations.backup_dir))
    except BackupError as exc:
        console.print(f"[red]Backup failed:[/] {exc}")
        sys.exit(1)
    console.print(f"Backup written to {path} ({path.stat().st_size:,} bytes).")


@click.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--database-url", help="An empty database to restore into (default: the configured one)."
)
def restore_command(backup_file: Path, database_url: str | None) -> None:
    """Restore a backup into an empty database; then run `valvomo audit verify` on it."""
    from core.config import load_settings
    from core.operations.backup import BackupError, restore

    url = database_url or load_settings().database_url
    try:
        restore(backup_file, url)
    except BackupError as exc:
        console.print(f"[red]Restore failed:[/] {exc}")
        sys.exit(1)
    console.print("Restored. Check it with: valvomo audit verify")


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def retention_command(dry_run: bool) -> None:
    """Delete records kept past the region's [retention] days (the worker does it nightly)."""
    from core.cli import load_runtime, run_with_database
    from core.operations import retention

    runtime = load_runtime()
    try:
        plans = retention.plans(
            runtime.host.collect("valvomo_retention_rules"), runtime.settings.retention
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        sys.exit(2)
    results = run_with_database(runtime, lambda: retention.run(plans, dry_run=dry_run))
    table = Table(title="Would be deleted" if dry_run else "Deleted")
    for column in ("kind ([retention] key)", "records", "kept for", "what"):
        table.add_column(column)
    for result in results:
        kept = "kept until set" if result.days is None else f"{result.days} days"
        what = f"{result.label}; {result.note}" if result.note else result.label
        table.add_row(result.kind, str(result.records), kept, what)
    console.print(table)
