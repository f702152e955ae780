from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T09:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the single head row of the audit hash chain"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def create_head_row() -> None:
        engine = engine_finder()  # the engine being migrated, not one cached on a table class
        assert engine is not None
        await engine.run_ddl("INSERT INTO audit_head (seq, last_hash) VALUES (0, '')")

    manager.add_raw(create_head_row)
    return manager
