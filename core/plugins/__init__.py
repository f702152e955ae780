"""The plugin-facing API of Valvomo: the hook marker and the values hooks return."""

import pluggy

from core.plugins.host import PluginConfigError, PluginError
from core.plugins.types import (
    BillingLine,
    BillingPeriod,
    DemoContext,
    NavItem,
    Panel,
    Permission,
    Report,
    Role,
    TaskKind,
)

hookimpl = pluggy.HookimplMarker("valvomo")

__all__ = [
    "BillingLine",
    "BillingPeriod",
    "DemoContext",
    "NavItem",
    "Panel",
    "Permission",
    "PluginConfigError",
    "PluginError",
    "Report",
    "Role",
    "TaskKind",
    "hookimpl",
]
