from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T16:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "recorded meal days: the few days with more than one meal of a product, by day"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="meals", description=DESCRIPTION)

    async def create_index() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        await engine.run_ddl(
            "CREATE INDEX meals_day_other_quantities ON meals_day (day) WHERE quantity <> 1"
        )

    manager.add_raw(create_index)
    return manager
