"""CLI: `valvomo billing months` and `valvomo billing export 2026-10 --format xlsx -o FILE`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.audit.services import SystemActor
from core.common.errors import ValidationFailed
from core.plugins import BillingPeriod


def add_commands(cli: click.Group) -> None:
    cli.add_command(billing_group)


def month_argument(raw: str) -> BillingPeriod:
    """A month given on the command line; a bad one prints how to write it and exits with 2."""
    from core.billing.views import parse_month_input
    from core.cli import console

    try:
        return parse_month_input(raw)
    except ValidationFailed:
        console.print("[red]Give the month like 2026-10 or 10/2026.[/]")
        sys.exit(2)


@click.group("billing")
def billing_group() -> None:
    """Billing months: their status and exports for the invoicing system."""


@billing_group.command("months")
@click.option("--count", default=13, show_default=True, type=click.IntRange(1, 120))
def list_months(count: int) -> None:
    """The status of the current month and the months before it."""
    from rich.table import Table

    from core.billing.periods import closed_periods, label, recent_periods
    from core.cli import console, load_runtime, run_with_database
    from core.common.clock import today
    from core.i18n import fmt_datetime

    runtime = load_runtime()
    closed = {
        (s.period.year, s.period.month): s for s in run_with_database(runtime, closed_periods)
    }
    table = Table("Month", "Status", "Closed at", "Closed by")
    for period in recent_periods(today(), count):
        state = closed.get((period.year, period.month))
        closed_at = fmt_datetime(state.closed_at) if state else ""
        table.add_row(
            label(period),
            "closed" if state else "open",
            closed_at,
            state.closed_by_name if state else "",
        )
    console.print(table)


@billing_group.command("export")
@click.argument("month")
@click.option("--format", "file_format", default="csv", show_default=True,
              help="csv, xlsx, jsonl (JSON lines) or a format a plugin adds.")  # fmt: skip
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout."
)
def export_month(month: str, file_format: str, output: Path | None) -> None:
    """Export MONTH (2026-10 or 10/2026) for the invoicing system; the export is audited."""
    from core.billing import invoices
    from core.cli import console, load_runtime, run_with_database

    period = month_argument(month)
    runtime = load_runtime()
    formats = invoices.invoice_formats(runtime.host)
    if file_format not in formats:
        click.echo(f"Unknown format {file_format!r}: use one of {', '.join(formats)}.", err=True)
        sys.exit(2)
    if output is None and file_format == "xlsx":
        console.print("[red]Give --output FILE for an XLSX export.[/]")
        sys.exit(2)

    async def work() -> invoices.ExportFile:
        actor = SystemActor(full_name=f"valvomo billing export {month}")
        return await invoices.export_month(
            actor, runtime.host, period, formats[file_format], with_identity_codes=True
        )

    try:
        exported = run_with_database(runtime, work)
    except ValidationFailed as exc:  # e.g. a day without a price: one line, no traceback
        click.echo(" ".join(str(message) for message in exc.errors.values()), err=True)
        sys.exit(2)
    if output is None:
        sys.stdout.buffer.write(exported.content)
    else:
        output.write_bytes(exported.content)
        console.print(f"Wrote {output}.")
