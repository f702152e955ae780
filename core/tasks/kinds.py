"""The start-up check that every inbox task kind reaches somebody."""

from __future__ import annotations

from collections.abc import Iterable

from core.plugins.host import PluginError, PluginHost
from core.plugins.types import CLOSED_BY_ACTION, CLOSED_BY_NOTE, Permission, Role, TaskKind

WORK_PERMISSION = "tasks.work"


def roles_holding(
    permission: str, roles: Iterable[Role], permissions: Iterable[Permission]
) -> set[str]:
    """Roles that hold `permission` as declared: by the role itself or the permission's defaults."""
    holders = {r.code for r in roles if permission in r.permissions}
    for declared in permissions:
        if declared.code == permission:
            holders.update(declared.default_roles)
    return holders


def collect_task_kinds(
    host: PluginHost, roles: Iterable[Role], permissions: Iterable[Permission]
) -> dict[str, TaskKind]:
    """Every plugin's task kinds; raises PluginError naming the plugin, the kind and the role
    when a kind is addressed to a role that does not hold `tasks.work` (its tasks would be seen
    by nobody) or declares an unknown way of closing."""
    workers = roles_holding(WORK_PERMISSION, roles, permissions)
    kinds: dict[str, TaskKind] = {}
    for plugin_name, declared in host._call_each("valvomo_task_kinds", {}):
        for kind in declared if isinstance(declared, list | tuple) else [declared]:
            if kind.role not in workers:
                raise PluginError(
                    plugin_name,
                    f"task kind {kind.code!r} is addressed to role {kind.role!r}, which does not "
                    f"hold {WORK_PERMISSION!r}: nobody would see its tasks. Give the role "
                    f"{WORK_PERMISSION!r} in valvomo_roles or address the kind to another role",
                )
            if kind.closed_by not in (CLOSED_BY_NOTE, CLOSED_BY_ACTION):
                raise PluginError(
                    plugin_name,
                    f"task kind {kind.code!r} has closed_by={kind.closed_by!r}; "
                    f"use {CLOSED_BY_NOTE!r} or {CLOSED_BY_ACTION!r}",
                )
            kinds[kind.code] = kind
    return kinds
