"""Second factor managed by administrators: a role may require it, and one-time recovery
codes (hashed) stand in for a lost authenticator app."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Boolean, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.base import Column, OnDelete, OnUpdate
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-25T19:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff_role.requires_second_factor; recovery_code"


class StaffUser(Table, tablename="staff_user", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


def _params(**extra: object) -> dict[str, object]:
    return {
        "null": False, "primary_key": False, "unique": False, "index": False,
        "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
        "secret": False, **extra,
    }  # fmt: skip


RECOVERY_CODE: list[tuple[str, type[Column], dict[str, object]]] = [
    ("user", ForeignKey, _params(
        references=StaffUser, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade,
        target_column=None, null=True, index=True,
    )),
    ("code_hash", Varchar, _params(length=64, default="", unique=True)),
    ("used_at", Timestamptz, _params(default=None, null=True)),
]  # fmt: skip


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_column(
        table_class_name="StaffRole",
        tablename="staff_role",
        column_name="requires_second_factor",
        db_column_name="requires_second_factor",
        column_class_name="Boolean",
        column_class=Boolean,
        params=_params(default=False),
        schema=None,
    )
    manager.add_table(
        class_name="RecoveryCode", tablename="recovery_code", schema=None, columns=None
    )
    for name, column_class, params in RECOVERY_CODE:
        manager.add_column(
            table_class_name="RecoveryCode",
            tablename="recovery_code",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
