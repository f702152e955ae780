from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-25T19:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "who reported a day exception: staff, or the customer (or their proxy) online"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="meals", description=DESCRIPTION)
    manager.add_column(
        table_class_name="MealException",
        tablename="meals_exception",
        column_name="reported_by",
        db_column_name="reported_by",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
