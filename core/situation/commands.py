"""CLI: `valvomo export metrics --from 2026-01 --to 2026-10` and `valvomo situation refresh`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.common.errors import ValidationFailed
from core.i18n import gettext


def add_commands(cli: click.Group) -> None:
    export = cli.commands.get("export")
    if not isinstance(export, click.Group):
        export = click.Group("export", help="Data for the region's reporting tools.")
        cli.add_command(export)
    export.add_command(export_metrics)
    cli.add_command(situation_group)


@click.command("metrics")
@click.option("--from", "start", required=True, help="First month, e.g. 2026-01 or 1/2026.")
@click.option("--to", "end", required=True, help="Last month, at most five years after --from.")
@click.option("--municipality", default="", help="Only this municipality.")
@click.option("--unit", default="", help="Only this kitchen or unit.")
@click.option("--metric", "metric_names", multiple=True, help="Only this metric; repeatable.")
@click.option("--format", "file_format", type=click.Choice(["csv", "json"]), default="csv")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
def export_metrics(
    start: str,
    end: str,
    municipality: str,
    unit: str,
    metric_names: tuple[str, ...],
    file_format: str,
    output: Path | None,
) -> None:
    """The situational picture's figures as CSV or JSON: no personal data, small cells hidden."""
    from core.cli import console, load_runtime, run_with_database
    from core.common.clock import today
    from core.situation import export, services

    runtime = load_runtime()
    metrics = services.declared_metrics(runtime.host)

    async def work() -> bytes:
        selection = await services.parse_selection(
            metrics,
            runtime.settings.municipalities,
            today(),
            start=start,
            end=end,
            municipality=municipality,
            unit=unit,
            metric_names=metric_names,
        )
        rows = await export.export_rows(metrics, selection)
        return export.as_json(rows) if file_format == "json" else export.as_csv(rows)

    try:
        content = run_with_database(runtime, work)
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            console.print(f"[red]{field}: {gettext(message)}[/]")
        sys.exit(2)
    if output is None:
        sys.stdout.buffer.write(content)
    else:
        output.write_bytes(content)
        console.print(f"Wrote {output}.")


@click.group("situation")
def situation_group() -> None:
    """The aggregates behind the situational picture."""


@situation_group.command("refresh")
@click.option("--months", default=2, show_default=True, type=click.IntRange(1, 60))
def refresh_command(months: int) -> None:
    """Recompute every metric for the last MONTHS months now (the worker does it every 5 min)."""
    from core.cli import console, load_runtime, run_with_database
    from core.common.clock import today
    from core.plugins.types import BillingPeriod, MetricContext
    from core.situation.months import add_months, months_between
    from core.situation.refresh import refresh
    from core.situation.services import declared_metrics

    runtime = load_runtime()
    current = BillingPeriod(today().year, today().month)
    chosen = months_between(add_months(current, -(months - 1)), current)
    context = MetricContext(host=runtime.host, settings=runtime.settings)
    metrics = list(declared_metrics(runtime.host).values())
    result = run_with_database(runtime, lambda: refresh(metrics, chosen, context))
    console.print(
        f"Refreshed {result.metric_months} metric-months ({result.rows} rows) "
        f"in {result.seconds:.1f} s."
    )
