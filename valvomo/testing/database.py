"""Real test databases: a temporary SQLite file or a fresh PostgreSQL database per session
(VALVOMO_TEST_DATABASE=sqlite|postgres; VALVOMO_TEST_POSTGRES_URL for the server)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import asyncpg

from core.web.runtime import Runtime

BACKEND_VARIABLE = "VALVOMO_TEST_DATABASE"
POSTGRES_VARIABLE = "VALVOMO_TEST_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def backend() -> str:
    value = os.environ.get(BACKEND_VARIABLE, "sqlite")
    if value not in ("sqlite", "postgres"):
        raise RuntimeError(f"{BACKEND_VARIABLE} must be sqlite or postgres, not {value!r}")
    return value


async def create_database(tmp_dir: Path) -> str:
    """A new empty database; PostgreSQL must be reachable (no silent skip)."""
    if backend() == "sqlite":
        return f"sqlite:///{tmp_dir / 'valvomo-test.sqlite3'}"
    admin_url = os.environ.get(POSTGRES_VARIABLE, DEFAULT_POSTGRES)
    name = f"valvomo_test_{uuid.uuid4().hex[:12]}"
    try:
        connection = await asyncpg.connect(admin_url)
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(
            f"PostgreSQL is required for this test run but not reachable at {admin_url}: {exc}"
        ) from exc
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return urlunparse(urlparse(admin_url)._replace(path=f"/{name}"))


async def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    admin_url = os.environ.get(POSTGRES_VARIABLE, DEFAULT_POSTGRES)
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{urlparse(url).path[1:]}" WITH (FORCE)')
    finally:
        await connection.close()


async def empty_all_tables(runtime: Runtime) -> None:
    """Delete every row of every table so each test starts from a migrated, empty database."""
    tables = runtime.database.tables()
    names = [t._meta.tablename for t in tables]
    engine = runtime.database.engine
    if engine.engine_type == "postgres":
        await engine.run_ddl(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
    else:
        async with runtime.database.transaction():
            await engine.run_ddl("PRAGMA defer_foreign_keys = ON")
            for name in names:
                await engine.run_ddl(f"DELETE FROM {name}")
