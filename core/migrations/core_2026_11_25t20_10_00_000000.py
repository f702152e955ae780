from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Date, ForeignKey, Serial, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-25T20:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customers' moves between municipalities, so figures file months where they lived"


class Customer(Table, tablename="customer", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False,
                index_method=IndexMethod.btree, choices=None, db_column_name="id",
                secret=False)  # fmt: skip


def _params(**extra: object) -> dict[str, object]:
    return {"default": "", "null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
            "secret": False, **extra}  # fmt: skip


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_table(
        class_name="CustomerMove", tablename="customer_move", schema=None, columns=None
    )
    manager.add_column(
        table_class_name="CustomerMove",
        tablename="customer_move",
        column_name="customer",
        db_column_name="customer",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params=_params(
            references=Customer,
            on_delete=OnDelete.cascade,
            on_update=OnUpdate.cascade,
            target_column=None,
            default=None,
            null=True,
            index=True,
        ),
        schema=None,
    )
    manager.add_column(
        table_class_name="CustomerMove",
        tablename="customer_move",
        column_name="previous_municipality",
        db_column_name="previous_municipality",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=100),
        schema=None,
    )
    manager.add_column(
        table_class_name="CustomerMove",
        tablename="customer_move",
        column_name="moved_on",
        db_column_name="moved_on",
        column_class_name="Date",
        column_class=Date,
        params=_params(default=DateNow()),
        schema=None,
    )
    return manager
