"""An optional TOTP second factor per staff user."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Boolean, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-25T16:00:03:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff_user.totp_secret; login_attempt.checked"
PARAMS = {
    "length": 64, "default": "", "null": False, "primary_key": False, "unique": False,
    "index": False, "index_method": IndexMethod.btree, "choices": None,
    "db_column_name": None, "secret": True,
}  # fmt: skip


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_column(
        table_class_name="StaffUser",
        tablename="staff_user",
        column_name="totp_secret",
        db_column_name="totp_secret",
        column_class_name="Varchar",
        column_class=Varchar,
        params=PARAMS,
        schema=None,
    )
    manager.add_column(
        table_class_name="LoginAttempt",
        tablename="login_attempt",
        column_name="checked",
        db_column_name="checked",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            **{k: v for k, v in PARAMS.items() if k != "length"},
            "default": True,
            "secret": False,
        },
        schema=None,
    )
    return manager
