"""Core billing's Piccolo app: billing periods and the snapshots of closed months."""

import os

from piccolo.conf.apps import AppConfig

from core.billing.tables import (
    BilledLine,
    BillingPeriodRecord,
    FeeDecision,
    Price,
    ProductAccounts,
)

APP_CONFIG = AppConfig(
    app_name="billing",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[BillingPeriodRecord, BilledLine, Price, ProductAccounts, FeeDecision],
    migration_dependencies=["core.piccolo_app"],
)
