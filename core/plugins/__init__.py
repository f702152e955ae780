"""The plugin-facing API of Valvomo: the hook marker and the values hooks return."""

import pluggy

from core.plugins.host import PluginConfigError, PluginError
from core.plugins.types import (
    ADMINISTRATION,
    BillingLine,
    BillingPeriod,
    CitizenDecision,
    DemoContext,
    ExpiredRecord,
    Metric,
    MetricCell,
    MetricContext,
    NavItem,
    Panel,
    Permission,
    PriceSeed,
    Product,
    Report,
    RetentionRule,
    Role,
    TaskKind,
)

hookimpl = pluggy.HookimplMarker("valvomo")

__all__ = [
    "ADMINISTRATION",
    "BillingLine",
    "BillingPeriod",
    "CitizenDecision",
    "DemoContext",
    "ExpiredRecord",
    "Metric",
    "MetricCell",
    "MetricContext",
    "NavItem",
    "Panel",
    "Permission",
    "PluginConfigError",
    "PluginError",
    "PriceSeed",
    "Product",
    "Report",
    "RetentionRule",
    "Role",
    "TaskKind",
    "hookimpl",
]
