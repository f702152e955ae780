from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T03:05:26:659680"
VERSION = "1.38.0"
DESCRIPTION = "Swedish and English names of the diets, allergies and textures of the region (existing names are the Finnish ones)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meals", description=DESCRIPTION)

    manager.add_column(
        table_class_name="MealCode",
        tablename="meals_code",
        column_name="label_en",
        db_column_name="label_en",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
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

    manager.add_column(
        table_class_name="MealCode",
        tablename="meals_code",
        column_name="label_sv",
        db_column_name="label_sv",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
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
