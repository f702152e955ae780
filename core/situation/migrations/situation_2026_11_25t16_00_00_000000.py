from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-25T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index the page's reads by area and month and the refresh's by metric and month"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="situation", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        await engine.run_ddl(
            "CREATE INDEX situation_figure_area ON situation_figure (level, area, month)"
        )
        await engine.run_ddl(
            "CREATE INDEX situation_figure_metric ON situation_figure (metric, month)"
        )
        await engine.run_ddl(
            "CREATE UNIQUE INDEX situation_refresh_month ON situation_refresh (metric, month)"
        )

    manager.add_raw(create_indexes)
    return manager
