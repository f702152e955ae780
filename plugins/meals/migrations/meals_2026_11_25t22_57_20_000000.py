from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-25T22:57:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "a code appears once in each of the region's code lists"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="meals", description=DESCRIPTION)

    async def unique_codes() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        await engine.run_ddl("CREATE UNIQUE INDEX meals_code_once ON meals_code (kind, code)")

    manager.add_raw(unique_codes)
    return manager
