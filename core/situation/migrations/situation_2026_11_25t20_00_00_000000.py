from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-25T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the stamp a metric-month was computed from, and when it was last computed"


def _params(default: object, null: bool) -> dict[str, object]:
    return {"default": default, "null": null, "primary_key": False, "unique": False,
            "index": False, "index_method": IndexMethod.btree, "choices": None,
            "db_column_name": None, "secret": False}  # fmt: skip


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="situation", description=DESCRIPTION)
    manager.add_column(
        table_class_name="SituationRefresh",
        tablename="situation_refresh",
        column_name="stamp",
        db_column_name="stamp",
        column_class_name="Varchar",
        column_class=Varchar,
        params={**_params("", False), "length": 64},
        schema=None,
    )
    manager.add_column(
        table_class_name="SituationRefresh",
        tablename="situation_refresh",
        column_name="computed_at",
        db_column_name="computed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(None, True),
        schema=None,
    )
    return manager
