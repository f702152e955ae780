"""CLI: `valvomo import customers FILE [--dry-run] [--partial]` (see core.imports)."""

from __future__ import annotations

from pathlib import Path

import click

from core.imports import import_group, import_options


def add_commands(cli: click.Group) -> None:
    import_group(cli).add_command(import_customers_command)


@click.command("customers")
@import_options
def import_customers_command(file: Path, dry_run: bool, partial: bool) -> None:
    """Create or update customers by identity code from an XLSX or CSV spreadsheet."""
    from core.customers.importer import CustomerStep
    from core.imports import run_import_command

    run_import_command(file, [CustomerStep()], dry_run=dry_run, partial=partial)
