"""The unkeyed hash-chained entries move aside; the next migrations replace them."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-25T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "rename audit_entry to audit_entry_unkeyed"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.rename_table(
        old_class_name="AuditEntry",
        old_tablename="audit_entry",
        new_class_name="AuditEntryUnkeyed",
        new_tablename="audit_entry_unkeyed",
        schema=None,
    )
    return manager
