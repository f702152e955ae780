"""The situational picture's Piccolo app: the figure aggregates and their refresh times."""

import os

from piccolo.conf.apps import AppConfig

from core.situation.tables import (
    SituationCustomerStamp,
    SituationFigure,
    SituationRefresh,
    SituationShare,
)

APP_CONFIG = AppConfig(
    app_name="situation",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[SituationFigure, SituationRefresh, SituationShare, SituationCustomerStamp],
    migration_dependencies=["core.piccolo_app"],
)
