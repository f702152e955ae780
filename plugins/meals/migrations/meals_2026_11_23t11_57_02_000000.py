from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T11:57:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "recorded meal days: a month's rows in day order; one record per service and month"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="meals", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        await engine.run_ddl(
            "CREATE INDEX meals_day_by_day ON meals_day (day, service, product, quantity, day_bit)"
        )
        await engine.run_ddl(
            "CREATE UNIQUE INDEX meals_day_month_once ON meals_day_month (month, service)"
        )

    manager.add_raw(create_indexes)
    return manager
