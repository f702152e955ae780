from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-26T03:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the coordinator's counts read from one covering index on SQLite"

# The dashboard counts every service per kitchen by status and dates. SQLite walked the kitchen
# index and fetched each service's row from the table (30,000 random reads at national scale);
# with every column the counts need in one index it reads just that index, in order.
# PostgreSQL scans the table itself quickly and would not use the index, so it gets none.
SQLITE = (
    "CREATE INDEX IF NOT EXISTS meals_service_counts"
    " ON meals_service (kitchen, status, start_date, end_date)"
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="meals", description=DESCRIPTION)

    async def counts_index() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        if engine.engine_type == "sqlite":
            await engine.run_ddl(SQLITE)

    manager.add_raw(counts_index)
    return manager
