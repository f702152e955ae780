"""Copy the unkeyed entries into `audit_log` (key id "", sealed again), drop the old tables."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-25T16:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "move unkeyed audit entries to audit_log; drop audit_entry_unkeyed and audit_head"

COLUMNS = (
    "at, actor_id, actor_name, actor_roles, action, entity, entity_id, customer_id, before, after"
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def copy_entries() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            f"INSERT INTO audit_log (id, {COLUMNS}, key_id, mac) "  # noqa: S608
            f"SELECT seq, {COLUMNS}, '', '' FROM audit_entry_unkeyed ORDER BY seq"
        )
        if engine.engine_type == "postgres":
            await engine.run_ddl(
                "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), "
                "COALESCE((SELECT MAX(id) FROM audit_log), 0) + 1, false)"
            )

    manager.add_raw(copy_entries)
    manager.drop_table(class_name="AuditEntryUnkeyed", tablename="audit_entry_unkeyed", schema=None)
    manager.drop_table(class_name="AuditHead", tablename="audit_head", schema=None)
    return manager
