from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T10:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index the worker's search for due messages and the staff list by status"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        await engine.run_ddl(
            "CREATE INDEX notification_outbox_due ON notification_outbox (status, next_attempt_at)"
        )
        await engine.run_ddl(
            "CREATE INDEX notification_outbox_lease ON notification_outbox (status, claimed_until)"
        )
        await engine.run_ddl(
            "CREATE INDEX notification_outbox_listing ON notification_outbox (status, id)"
        )

    manager.add_raw(create_indexes)
    return manager
