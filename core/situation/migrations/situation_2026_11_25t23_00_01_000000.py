from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-25T23:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "index customers' shares and stamps by metric, month and customer"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="situation", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            "CREATE INDEX situation_share_customer ON situation_share (metric, month, customer)"
        )
        await engine.run_ddl(
            "CREATE UNIQUE INDEX situation_customer_stamp_key"
            " ON situation_customer_stamp (metric, month, customer)"
        )

    manager.add_raw(create_indexes)
    return manager
