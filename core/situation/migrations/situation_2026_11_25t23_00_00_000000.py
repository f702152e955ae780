import decimal

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date, Integer, Numeric, Serial, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-25T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customers' shares of recent months' figures and their stamps"


def _params(default: object, **extra: object) -> dict[str, object]:
    return {"default": default, "null": False, "primary_key": False, "unique": False,
            "index": False, "index_method": IndexMethod.btree, "choices": None,
            "db_column_name": None, "secret": False, **extra}  # fmt: skip


SHARE = (
    ("id", Serial, {**_params(None), "primary_key": True}),
    ("metric", Varchar, _params("", length=80)),
    ("month", Date, _params(DateNow())),
    ("customer", Integer, _params(0)),
    ("municipality", Varchar, _params("", length=200)),
    ("unit", Varchar, _params("", length=200)),
    ("split", Varchar, _params("", length=80)),
    ("value", Numeric, _params(decimal.Decimal("0"), digits=(16, 3))),
    ("weight", Integer, _params(0)),
    ("customers", Integer, _params(0)),
)
STAMP = (
    ("id", Serial, {**_params(None), "primary_key": True}),
    ("metric", Varchar, _params("", length=80)),
    ("month", Date, _params(DateNow())),
    ("customer", Integer, _params(0)),
    ("stamp", Varchar, _params("", length=64)),
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="situation", description=DESCRIPTION)
    tables = (
        ("SituationShare", "situation_share", SHARE),
        ("SituationCustomerStamp", "situation_customer_stamp", STAMP),
    )
    for class_name, tablename, columns in tables:
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=params,
                schema=None,
            )

    return manager
