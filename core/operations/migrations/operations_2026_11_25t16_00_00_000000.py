from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-25T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "worker heartbeats for readiness and the nightly jobs' last runs"


def _params(**overrides):
    params = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(overrides)
    return params


TABLES = {
    ("WorkerHeartbeat", "operations_worker_heartbeat"): [
        ("id", Serial, _params(primary_key=True)),
        ("worker_id", Varchar, _params(length=100, default="", unique=True)),
        ("host", Varchar, _params(length=200, default="")),
        ("pid", Integer, _params(default=0)),
        ("seen_at", Timestamptz, _params(default=TimestamptzNow(), index=True)),
    ],
    ("NightlyRun", "operations_nightly_run"): [
        ("id", Serial, _params(primary_key=True)),
        ("job", Varchar, _params(length=60, default="", unique=True)),
        ("ran_on", Date, _params(default=DateNow())),
        ("finished_at", Timestamptz, _params(default=None, null=True)),
    ],
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="operations", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
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
