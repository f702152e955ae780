"""Core billing's Piccolo app: billing periods and the snapshots of closed months."""

import os

from piccolo.conf.apps import AppConfig

from core.billing.tables import BilledLine, BillingPeriodRecord

APP_CONFIG = AppConfig(
    app_name="billing",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[BillingPeriodRecord, BilledLine],
    migration_dependencies=["core.piccolo_app"],
)
