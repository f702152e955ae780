"""Keyed audit entries (`audit_log`) and batch seals (`audit_seal`); old entries are copied."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import JSON, BigInt, Integer, Timestamptz, Varchar
from piccolo.columns.base import Column
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-25T16:00:01:000000"
VERSION = "1.38.0"
# `at` and `sealed_at` default to now, as the tables say (`valvomo migrations check`).
DESCRIPTION = "keyed audit log entries, their seals, and rate-limit counters"


def _params(**extra: object) -> dict[str, object]:
    return {
        "null": False, "primary_key": False, "unique": False, "index": False,
        "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
        "secret": False, **extra,
    }  # fmt: skip


AUDIT_LOG: list[tuple[str, type[Column], dict[str, object]]] = [
    ("at", Timestamptz, _params(default=TimestamptzNow())),
    ("actor_id", Integer, _params(default=None, null=True)),
    ("actor_name", Varchar, _params(length=200, default="")),
    ("actor_roles", Varchar, _params(length=300, default="")),
    ("action", Varchar, _params(length=30, default="", index=True)),
    ("entity", Varchar, _params(length=60, default="")),
    ("entity_id", Varchar, _params(length=60, default="")),
    ("customer_id", Integer, _params(default=None, null=True, index=True)),
    ("before", JSON, _params(default=None, null=True)),
    ("after", JSON, _params(default=None, null=True)),
    ("key_id", Varchar, _params(length=40, default="")),
    ("mac", Varchar, _params(length=64, default="")),
]
AUDIT_SEAL: list[tuple[str, type[Column], dict[str, object]]] = [
    ("seq", BigInt, _params(default=0, unique=True, index=True)),
    ("entry", BigInt, _params(default=0, unique=True, index=True)),
    ("key_id", Varchar, _params(length=40, default="")),
    ("prev_hash", Varchar, _params(length=64, default="")),
    ("chain_hash", Varchar, _params(length=64, default="")),
    ("sealed_at", Timestamptz, _params(default=TimestamptzNow())),
]
RATE_COUNTER: list[tuple[str, type[Column], dict[str, object]]] = [
    ("key", Varchar, _params(length=250, default="", unique=True, index=True)),
    ("hits", Integer, _params(default=0)),
    ("expires_ms", BigInt, _params(default=0, index=True)),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    for class_name, tablename, columns in (
        ("AuditEntry", "audit_log", AUDIT_LOG),
        ("AuditSeal", "audit_seal", AUDIT_SEAL),
        ("RateCounter", "rate_counter", RATE_COUNTER),
    ):
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
