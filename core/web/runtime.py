"""What a running Valvomo knows: settings, plugins, database and the composed registries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection

from core.config import Settings
from core.db import Database
from core.plugins.host import PluginHost
from core.plugins.types import NavItem, Permission, Report, Role, TaskKind


@dataclass
class Runtime:
    settings: Settings
    host: PluginHost
    database: Database
    roles: list[Role] = field(default_factory=list)
    permissions: list[Permission] = field(default_factory=list)
    navigation: list[NavItem] = field(default_factory=list)
    task_kinds: dict[str, TaskKind] = field(default_factory=dict)
    reports: list[Report] = field(default_factory=list)

    @classmethod
    def compose(cls, settings: Settings, host: PluginHost, database: Database) -> Runtime:
        return cls(
            settings=settings,
            host=host,
            database=database,
            roles=host.collect("valvomo_roles"),
            permissions=host.collect("valvomo_permissions"),
            navigation=sorted(host.collect("valvomo_navigation"), key=lambda n: n.order),
            task_kinds={k.code: k for k in host.collect("valvomo_task_kinds")},
            reports=host.collect("valvomo_reports"),
        )

    @property
    def permission_codes(self) -> set[str]:
        return {p.code for p in self.permissions}

    async def migrate(self) -> None:
        """Run pending migrations, then create new roles and grant new permissions."""
        from core.identity.services import sync_roles

        await self.database.migrate()
        async with self.database.transaction():
            await sync_roles(self.roles, self.permissions)


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any] | Request[Any, Any, Any]) -> Runtime:
    runtime: Runtime = connection.app.state.valvomo
    return runtime
