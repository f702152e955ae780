"""The meals plugin's Piccolo app."""

import os

from piccolo.conf.apps import AppConfig

from plugins.meals.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="meals",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=list(TABLES),
    migration_dependencies=["core.piccolo_app"],
)
