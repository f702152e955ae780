from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T10:14:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "natural key of alarms (centre, centre's alarm id) and indexes for reports"

STATEMENTS = (
    "CREATE UNIQUE INDEX sp_alarm_natural_key ON sp_alarm (centre, centre_alarm_id)",
    "CREATE INDEX sp_installation_customer_dates ON sp_installation (customer, installed_on)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="security_phones", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
