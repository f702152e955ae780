from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Serial, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T09:44:38:205926"
VERSION = "1.38.0"
DESCRIPTION = "the meal code lists' version token, for the lists kept in each process"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meals", description=DESCRIPTION)

    manager.add_table(
        class_name="MealCodeVersion",
        tablename="meals_code_version",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="MealCodeVersion",
        tablename="meals_code_version",
        column_name="id",
        db_column_name="id",
        column_class_name="Serial",
        column_class=Serial,
        params={
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="MealCodeVersion",
        tablename="meals_code_version",
        column_name="token",
        db_column_name="token",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
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
