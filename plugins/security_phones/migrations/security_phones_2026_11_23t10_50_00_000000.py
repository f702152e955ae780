from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T10:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "at most one active security phone service per customer, even under a race"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="security_phones", description=DESCRIPTION)

    async def create_index() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            "CREATE UNIQUE INDEX sp_service_one_active ON sp_service (customer) "
            "WHERE end_date IS NULL"
        )

    manager.add_raw(create_index)
    return manager
