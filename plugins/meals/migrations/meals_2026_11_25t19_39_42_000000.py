from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-25T19:39:42:000000"
VERSION = "1.38.0"
DESCRIPTION = "one diet change per service and day"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="meals", description=DESCRIPTION)

    async def one_row_per_day() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        await engine.run_ddl(
            "CREATE UNIQUE INDEX meals_diet_period_once ON meals_diet_period (service, valid_from)"
        )

    manager.add_raw(one_row_per_day)
    return manager
