"""The go-live import from the old spreadsheets: the one loop every `valvomo import` command
runs (read the file, check, write, dry run, --partial, the report), and the combined sheet.

An import is a list of steps (`ImportStep`): core's customers first, then each plugin's
(`valvomo_import_steps`, e.g. meals). All steps run in one transaction, each seeing what the
steps before it wrote (the meals step finds the customers the customer step has just created).
The transaction is rolled back for a dry run and whenever a row has a problem, so nothing is
ever half-written. With --partial every customer (identity code) with a problem in any step
is left out whole and the rest is imported in a second pass.

Messages are written in the region's language (Finnish by default) through the catalogues.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import click

from core.i18n import gettext

if TYPE_CHECKING:
    from core.audit.services import Actor

NumberedRow = tuple[int, dict[str, str]]  # (row number in the sheet, the row by header)
FIRST_DATA_ROW = 2  # row 1 holds the headers
MAX_PASSES = 5


def numbered(rows: Sequence[dict[str, str]]) -> list[NumberedRow]:
    return list(enumerate(rows, start=FIRST_DATA_ROW))


@dataclass(frozen=True)
class RowProblem:
    """Why a row cannot be imported: its number, the column (or "") and a translated message."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return gettext(
                "row %(row)s, %(column)s: %(reason)s",
                row=self.row,
                column=self.column,
                reason=self.message,
            )
        return gettext("row %(row)s: %(reason)s", row=self.row, reason=self.message)


@dataclass
class StepResult:
    """One step's check: its problems, counts, and how to write what passed."""

    problems: list[RowProblem] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    write: Callable[[Actor], Awaitable[None]] | None = None

    @property
    def writes_something(self) -> bool:
        return bool(self.new or self.changed)


class ImportStep(Protocol):
    """A kind of data a sheet row carries (customers, a plugin's services)."""

    name: str  # "customers", "meals": the sub-command and the report's label

    def carries(self, row: dict[str, str]) -> bool:
        """Whether the row has data for this step (in the combined sheet)."""

    async def check(self, rows: list[NumberedRow]) -> StepResult:
        """Check the rows against the database; leave out whole every customer with a bad row."""


@dataclass
class ImportRun:
    rows: int
    results: dict[str, StepResult] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    left_out: list[int] = field(default_factory=list)  # rows not imported under --partial
    written: bool = False

    @property
    def changes_something(self) -> bool:
        return any(r.writes_something for r in self.results.values())


class _RollBack(Exception):
    """Leaves the import's transaction without writing anything."""


async def _attempt(
    steps: Sequence[ImportStep], rows: list[NumberedRow], actor: Actor, *, keep: bool
) -> tuple[dict[str, StepResult], list[RowProblem]]:
    """Check and write every step in one transaction; keep it only if `keep` and no problems."""
    from core.db import transaction

    results: dict[str, StepResult] = {}
    problems: list[RowProblem] = []
    try:
        async with transaction():
            for step in steps:
                result = await step.check([(n, r) for n, r in rows if step.carries(r)])
                results[step.name] = result
                problems += result.problems
                if result.write is not None:
                    await result.write(actor)
            if problems or not keep:
                raise _RollBack
    except _RollBack:
        pass
    return results, problems


def _identity(row: dict[str, str]) -> str:
    return (row.get("identity_code") or "").strip().upper()


async def run_steps(
    steps: Sequence[ImportStep],
    rows: Sequence[dict[str, str]],
    actor: Actor,
    *,
    dry_run: bool = False,
    partial: bool = False,
) -> ImportRun:
    """Import `rows` through `steps`: all or nothing, or with `partial` every customer whose
    rows have no problem in any step. A dry run reports what would be written."""
    from core.common.memory import collector_paused

    with collector_paused():  # tens of thousands of rows, values and lookups
        return await _run_steps(steps, rows, actor, dry_run=dry_run, partial=partial)


async def _run_steps(
    steps: Sequence[ImportStep],
    rows: Sequence[dict[str, str]],
    actor: Actor,
    *,
    dry_run: bool,
    partial: bool,
) -> ImportRun:
    current = numbered(rows)
    run = ImportRun(rows=len(current))
    results, problems = await _attempt(steps, current, actor, keep=not dry_run)
    run.results, run.problems = results, sorted(problems, key=lambda p: p.row)
    run.written = not problems and not dry_run
    if not problems or not partial:
        return run
    for _ in range(MAX_PASSES):
        bad_rows = {p.row for p in problems}
        bad_codes = {_identity(r) for n, r in current if n in bad_rows} - {""}
        kept = [(n, r) for n, r in current if n not in bad_rows and _identity(r) not in bad_codes]
        kept_rows = {n for n, _ in kept}
        run.left_out += [n for n, _ in current if n not in kept_rows]
        current = kept
        results, problems = await _attempt(steps, current, actor, keep=not dry_run)
        if not problems:
            run.results = results
            run.written = not dry_run
            break
    run.left_out = sorted(set(run.left_out))
    return run


def read_sheet(file: Path) -> list[dict[str, str]]:
    """The file's rows, or one line on standard error and exit code 2."""
    from core.cli import console
    from core.common.spreadsheets import read_rows

    try:
        return read_rows(file)
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        console.print(
            "[red]" + gettext("Cannot read %(file)s: %(error)s", file=file.name, error=exc) + "[/]"
        )
        sys.exit(2)


def report_lines(run: ImportRun, *, dry_run: bool, partial: bool) -> list[str]:
    """What the command prints after the rejected rows: per step the counts, then the outcome."""
    lines = [
        gettext(
            "%(step)s: %(new)s new, %(changed)s changed, %(unchanged)s unchanged",
            step=gettext(name),
            new=result.new,
            changed=result.changed,
            unchanged=result.unchanged,
        )
        for name, result in run.results.items()
    ]
    if run.left_out:
        rows = ", ".join(str(n) for n in run.left_out)
        lines.append(gettext("Left out (whole customers with a problem): rows %(rows)s", rows=rows))
    if dry_run:
        lines.append(gettext("Dry run of %(rows)s rows: nothing was written.", rows=run.rows))
    elif run.problems and not partial:
        lines.append(
            gettext(
                "Nothing was imported: %(count)s problems. Fix the rows or use --partial to "
                "import the valid ones.",
                count=len(run.problems),
            )
        )
    elif not run.changes_something:
        lines.append(gettext("Nothing changed: everything is already as in the file."))
    else:
        lines.append(gettext("Imported from %(rows)s rows.", rows=run.rows))
    return lines


def run_import_command(
    file: Path, steps: Sequence[ImportStep], *, dry_run: bool, partial: bool
) -> None:
    """The body of every `valvomo import` command: exit 0 when every row was fine, 1 when some
    had problems (listed first, one a line), 2 when the file cannot be read."""
    from core.audit.services import SystemActor
    from core.cli import console, load_runtime, run_with_database

    rows = read_sheet(file)
    actor = SystemActor(full_name=f"valvomo import {' '.join(s.name for s in steps)} {file.name}")
    run = run_with_database(
        load_runtime(),
        lambda: run_steps(steps, rows, actor, dry_run=dry_run, partial=partial),
    )
    for problem in run.problems:
        console.print(str(problem), style="red", soft_wrap=True, markup=False, highlight=False)
    for line in report_lines(run, dry_run=dry_run, partial=partial):
        console.print(line, soft_wrap=True, markup=False, highlight=False)
    sys.exit(1 if run.problems else 0)


def plugin_steps() -> list[ImportStep]:
    from core.cli import load_runtime

    found: list[Any] = load_runtime().host.collect("valvomo_import_steps")
    return found


class ImportGroup(click.Group):
    """`valvomo import FILE` is the combined sheet; `valvomo import customers FILE` and the
    plugins' sub-commands import one kind of data."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = next((a for a in args if not a.startswith("-")), None)
        if first is not None and first not in self.commands:
            args = ["sheet", *args]
        return super().parse_args(ctx, args)


def import_group(cli: click.Group) -> click.Group:
    """The `valvomo import` group, created by whoever adds the first import command."""
    group = cli.commands.get("import")
    if not isinstance(group, click.Group):
        group = ImportGroup("import", help="Import data from the old spreadsheets and systems.")
        group.add_command(import_sheet_command)
        cli.add_command(group)
    return group


def import_options(command: Callable[..., None]) -> Callable[..., None]:
    """FILE, --dry-run and --partial, as every import command takes them."""
    command = click.option(
        "--partial", is_flag=True, help="Write the valid customers even if some rows are invalid."
    )(command)
    command = click.option(
        "--dry-run", is_flag=True, help="Check every row and report; write nothing."
    )(command)
    return click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))(
        command
    )


@click.command("sheet")
@import_options
def import_sheet_command(file: Path, dry_run: bool, partial: bool) -> None:
    """Customers and their services from one sheet, one row per customer (the default)."""
    from core.customers.importer import CustomerStep

    run_import_command(file, [CustomerStep(), *plugin_steps()], dry_run=dry_run, partial=partial)
