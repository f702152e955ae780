"""What a running Valvomo knows: settings, plugins, database and the composed registries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection

from core import i18n
from core.audit.keys import AuditKeys, load_keys, use_keys
from core.config import Settings, load_settings
from core.db import Database
from core.labels import register_labels
from core.notifications.services import allow_sms_countries
from core.plugins.host import PluginHost
from core.plugins.types import NavItem, Permission, Report, Role, TaskKind
from core.tasks.kinds import collect_task_kinds


@dataclass
class Runtime:
    settings: Settings
    host: PluginHost
    database: Database
    audit_keys: AuditKeys
    roles: list[Role] = field(default_factory=list)
    permissions: list[Permission] = field(default_factory=list)
    navigation: list[NavItem] = field(default_factory=list)
    task_kinds: dict[str, TaskKind] = field(default_factory=dict)
    reports: list[Report] = field(default_factory=list)
    # The main menu of each set of permissions (core.web.pages.menu_of): the navigation and
    # the reports are fixed when the runtime is composed, so each set's menu is built once.
    menus: dict[frozenset[str], list[Any]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def compose(cls, settings: Settings, host: PluginHost, database: Database) -> Runtime:
        audit_keys = load_keys(audit_key_path(settings))
        use_keys(audit_keys)
        allow_sms_countries(settings.notifications.sms_country_codes)
        roles = host.collect("valvomo_roles")
        permissions = host.collect("valvomo_permissions")
        runtime = cls(
            settings=settings,
            host=host,
            database=database,
            audit_keys=audit_keys,
            roles=roles,
            permissions=permissions,
            navigation=sorted(host.collect("valvomo_navigation"), key=lambda n: n.order),
            task_kinds=collect_task_kinds(host, roles, permissions),
            reports=host.collect("valvomo_reports"),
        )
        runtime.register_labels()
        return runtime

    def activate(self) -> None:
        """Make this runtime's database, audit keys and plugin settings the process's own again.

        All are process-wide (tables are bound to one engine, entries are sealed with one key
        set, plugins keep their settings in their modules); composing another runtime in the
        same process (a test, a one-off command) binds its own, and entries written afterwards
        would carry a MAC that this runtime's key file does not verify."""
        self.database.activate()
        use_keys(self.audit_keys)
        self.host.reconfigure()
        self.register_labels()

    def register_labels(self) -> None:
        """Roles, permissions and task kinds are shown by the names their plugins give them."""
        register_labels("role", {r.code: r.label for r in self.roles})
        register_labels("permission", {p.code: p.label for p in self.permissions})
        register_labels("task_kind", {k.code: k.label for k in self.task_kinds.values()})

    @property
    def permission_codes(self) -> set[str]:
        return {p.code for p in self.permissions}

    async def migrate(self) -> None:
        """Run pending migrations, then create new roles and grant new permissions."""
        from core.identity.services import sync_roles

        await self.database.migrate()
        async with self.database.transaction():
            await sync_roles(self.roles, self.permissions)


def build_runtime(settings: Settings | None = None) -> Runtime:
    """Load plugins and bind the database; raises PluginError naming a broken plugin. No web
    application is built: the CLI's commands (`valvomo import`, `billing export`) need only
    this, and `core.web.app.create_app` composes the routes on top of it."""
    settings = settings or load_settings()
    host = PluginHost(settings)
    database = Database(settings.database_url, host.piccolo_apps())
    i18n.load_catalogues(host.locale_dirs())
    return Runtime.compose(settings, host, database)


def audit_key_path(settings: Settings) -> Path:
    return settings.audit_key_file or settings.var_dir / "audit.keys"


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any] | Request[Any, Any, Any]) -> Runtime:
    runtime: Runtime = connection.app.state.valvomo
    return runtime
