"""Core operations' Piccolo app: worker heartbeats and nightly job runs."""

import os

from piccolo.conf.apps import AppConfig

from core.operations.tables import NightlyRun, WorkerHeartbeat

APP_CONFIG = AppConfig(
    app_name="operations",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[WorkerHeartbeat, NightlyRun],
    migration_dependencies=["core.piccolo_app"],
)
