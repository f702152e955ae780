from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T09:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the single head row of the audit hash chain"


class AuditHead(Table, tablename="audit_head"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def create_head_row() -> None:
        await AuditHead.raw("INSERT INTO audit_head (seq, last_hash) VALUES (0, '')")

    manager.add_raw(create_head_row)
    return manager
