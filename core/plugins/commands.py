"""`valvomo migrations new|check` and `valvomo catalogues update|check`: the developer's tools,
for core and for any installed, enabled plugin alike."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import click
from rich.console import Console

console = Console()


def register(cli: click.Group) -> None:
    cli.add_command(migrations_group)
    cli.add_command(catalogues_group)


@click.group("migrations")
def migrations_group() -> None:
    """Write and check the migrations of core and the installed plugins."""


@migrations_group.command("new")
@click.argument("plugin")
@click.option("--desc", default="", help="What the migration does.")
def new_migration_command(plugin: str, desc: str) -> None:
    """Write a migration for the changes in PLUGIN's tables (PLUGIN: a plugin or "core")."""
    from core.cli import load_runtime, run_with_database
    from core.plugins.tooling import UnknownApp, apps_of, new_migration, use_for_piccolo

    runtime = load_runtime()
    try:
        apps = apps_of(runtime.host, plugin)
    except UnknownApp as exc:
        console.print(f"[red]{exc}[/]")
        sys.exit(2)
    use_for_piccolo(runtime.database)
    for app in apps:
        path = run_with_database(runtime, partial(new_migration, app.config, desc))
        if path is None:
            console.print(f"{app.config.app_name}: the tables match the migrations; none written.")
        else:
            console.print(f"{app.config.app_name}: wrote {path}")


@migrations_group.command("check")
def check_migrations_command() -> None:
    """Fail when the tables of core or an enabled plugin differ from its migrations."""
    from core.cli import load_runtime, run_with_database
    from core.plugins.tooling import owned_apps, schema_differences, use_for_piccolo

    runtime = load_runtime()
    use_for_piccolo(runtime.database)
    differing = 0
    for app in owned_apps(runtime.host):
        changes = run_with_database(runtime, partial(schema_differences, app.config))
        if changes:
            differing += 1
            console.print(
                f"[red]{app.config.app_name}[/] (plugin {app.owner}): the tables differ from "
                f"the migrations; run `valvomo migrations new {app.owner}`. Needed:"
            )
            for change in changes:
                console.print(f"    {change}", markup=False)
    if differing:
        sys.exit(1)
    console.print("The tables of core and every enabled plugin match their migrations.")


@click.group("catalogues")
def catalogues_group() -> None:
    """Translation catalogues (fi, sv) of core and the installed plugins."""


def _folders(plugin: str, required: bool = True) -> list[Path]:
    """The plugin's catalogue folders; a plugin named on the command line must have some."""
    from core.cli import load_runtime
    from core.plugins.tooling import NoCatalogues, UnknownApp, locale_dirs_of

    try:
        return locale_dirs_of(load_runtime().host, plugin)
    except NoCatalogues as exc:
        if not required:
            return []
        console.print(f"[red]{exc}[/]")
        sys.exit(2)
    except UnknownApp as exc:
        console.print(f"[red]{exc}[/]")
        sys.exit(2)


@catalogues_group.command("update")
@click.argument("plugin")
def update_catalogues_command(plugin: str) -> None:
    """Add PLUGIN's new messages (untranslated) to its catalogues; touches no other files."""
    from core.catalogues import update

    for folder in _folders(plugin):
        added = update(folder)
        counts = ", ".join(f"{language} {count}" for language, count in added.items())
        console.print(f"{folder}: new messages {counts}")


@catalogues_group.command("check")
@click.argument("plugins", nargs=-1)
def check_catalogues_command(plugins: tuple[str, ...]) -> None:
    """Fail when a message of PLUGINS (default: core and every enabled plugin) is untranslated."""
    from core.catalogues import LANGUAGES, untranslated
    from core.cli import load_runtime

    names = plugins or ("core", *(p.name for p in load_runtime().host.plugins))
    missing = 0
    for name in names:
        for folder in _folders(name, required=bool(plugins)):
            for language in LANGUAGES:
                for msgid in untranslated(folder, language):
                    missing += 1
                    console.print(f"[red]{name}[/] {language}: {msgid!r}", highlight=False)
    if missing:
        console.print(
            f"{missing} untranslated messages: run `valvomo catalogues update PLUGIN`, "
            "then translate the empty msgstr entries."
        )
        sys.exit(1)
    console.print(f"Every message of {', '.join(names)} is translated (fi, sv).")
