"""Developer tooling that treats an installed plugin like a built-in one: its Piccolo app, the
difference between its tables and its migrations, and its message catalogues.

Everything is found through the plugin host (entry points), so it works from any folder on an
installed package.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from piccolo.apps.migrations.auto import DiffableTable, SchemaDiffer, SchemaSnapshot
from piccolo.apps.migrations.commands import new as piccolo_new
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.conf.apps import AppConfig

from core.config import PROJECT_ROOT
from core.db import CORE_APPS, Database
from core.plugins.host import PluginHost


class UnknownApp(LookupError):
    """The name is neither an enabled plugin nor one of core's Piccolo apps."""


class NoCatalogues(UnknownApp):
    """The plugin has no `valvomo_locale_dir`."""


@dataclass(frozen=True)
class OwnedApp:
    """A Piccolo app and who owns it: "core" or the plugin's name."""

    owner: str
    config: AppConfig


def app_config(module: str) -> AppConfig:
    return importlib.import_module(module).APP_CONFIG


def owned_apps(host: PluginHost) -> list[OwnedApp]:
    """Core's apps, then each enabled plugin's, in migration order."""
    apps = [OwnedApp("core", app_config(module)) for module in CORE_APPS]
    for plugin in host.plugins:
        module = host.pm.get_plugin(plugin.name)
        hook = getattr(module, "valvomo_piccolo_app", None)
        if hook is not None:
            apps.append(OwnedApp(plugin.name, app_config(hook())))
    return apps


def apps_of(host: PluginHost, name: str) -> list[OwnedApp]:
    """The apps a plugin (or "core") owns, or the one app called `name`."""
    apps = owned_apps(host)
    found = [a for a in apps if a.owner == name] or [a for a in apps if a.config.app_name == name]
    if not found:
        names = ", ".join(sorted({a.owner for a in apps}))
        raise UnknownApp(
            f"{name!r} is not an enabled plugin with tables (choose from: {names}); "
            "install the plugin and add it to [plugins] enabled in valvomo.toml"
        )
    return found


def use_for_piccolo(database: Database) -> None:
    """Point Piccolo's own machinery (migrations) at this database and its apps."""
    from core import piccolo_conf

    piccolo_conf.DB = database.engine
    piccolo_conf.APP_REGISTRY = database.registry
    os.environ["PICCOLO_CONF"] = "core.piccolo_conf"


async def schema_differences(config: AppConfig) -> list[str]:
    """The statements a new migration would need so that the migrations match the tables."""
    altered = await _alter_statements(config)
    return list(chain.from_iterable(statement.statements for statement in altered))


async def _alter_statements(config: AppConfig) -> list[Any]:
    managers = await AutoMigrationManager().get_migration_managers(app_config=config)
    tables = [_diffable(table) for table in config.table_classes]
    recorded = SchemaSnapshot(managers).get_snapshot()
    snapshot = [_with_primary_key(table, tables) for table in recorded]
    with contextlib.redirect_stdout(io.StringIO()):  # Piccolo prints a summary table
        return SchemaDiffer(
            schema=tables, schema_snapshot=snapshot, auto_input="n"
        ).get_alter_statements()


class _KeyAwareManager(AutoMigrationManager):
    """Piccolo's auto migrations with the primary-key allowance of `schema_differences`."""

    async def get_alter_statements(self, app_config: AppConfig) -> list[Any]:
        return await _alter_statements(app_config)


def _diffable(table: Any) -> DiffableTable:
    meta = table._meta
    return DiffableTable(
        class_name=table.__name__,
        tablename=meta.tablename,
        columns=meta.non_default_columns,
        constraints=meta.constraints,
        schema=meta.schema,
    )


def _with_primary_key(recorded: DiffableTable, tables: list[DiffableTable]) -> DiffableTable:
    """Hand-written migrations may leave out the `id` column Piccolo always creates; the
    snapshot gets it back from the table, so that it is not reported as missing."""
    if any(column._meta.primary_key for column in recorded.columns):
        return recorded
    current = next((t for t in tables if t.class_name == recorded.class_name), None)
    keys = [c for c in current.columns if c._meta.primary_key] if current else []
    if not keys:
        return recorded
    return DiffableTable(
        class_name=recorded.class_name,
        tablename=recorded.tablename,
        schema=recorded.schema,
        columns=[*keys, *recorded.columns],
        constraints=recorded.constraints,
        previous_class_name=recorded.previous_class_name,
    )


async def new_migration(config: AppConfig, description: str = "") -> Path | None:
    """Write a migration for the changes in the app's tables; None when there are none."""
    os.makedirs(config.resolved_migrations_folder_path, exist_ok=True)
    original = piccolo_new.AutoMigrationManager
    piccolo_new.AutoMigrationManager = _KeyAwareManager  # type: ignore[misc]
    try:
        meta = await piccolo_new._create_new_migration(
            app_config=config, auto=True, description=description, auto_input="n"
        )
    except piccolo_new.NoChanges:
        return None
    finally:
        piccolo_new.AutoMigrationManager = original  # type: ignore[misc]
    return Path(meta.migration_path)


def core_locale_dirs() -> list[Path]:
    found = [PROJECT_ROOT / "core" / "locale", *sorted(PROJECT_ROOT.glob("core/*/locale"))]
    return [folder for folder in found if folder.is_dir()]


def locale_dirs_of(host: PluginHost, name: str) -> list[Path]:
    """The catalogue folders of a plugin (its `valvomo_locale_dir`) or of "core"."""
    if name == "core":
        return core_locale_dirs()
    if name not in {plugin.name for plugin in host.plugins}:
        enabled = ", ".join(["core", *(p.name for p in host.plugins)])
        raise UnknownApp(f"{name!r} is not an enabled plugin (choose from: {enabled})")
    hook = getattr(host.pm.get_plugin(name), "valvomo_locale_dir", None)
    if hook is None:
        raise NoCatalogues(
            f"plugin {name!r} has no catalogues: add a valvomo_locale_dir hook returning "
            "the folder that holds fi/ and sv/"
        )
    return [Path(hook())]
