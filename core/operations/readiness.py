"""What `/readyz` checks: the database answers, every migration ran, a worker beat recently."""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.tables import Migration

from core.common.clock import now
from core.db import Database
from core.operations.tables import WorkerHeartbeat


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


class MigrationCheck:
    """Compares the migration files of core and the enabled plugins with what the database ran.

    Once everything has run it stays so for this process (new migrations come with new code,
    which means a restart), so a ready process asks the database nothing for this check.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._all_applied = False

    def expected(self) -> set[tuple[str, str]]:
        manager = BaseMigrationManager()
        return {
            (app.app_name, migration_id)
            for app in self.database.registry.app_configs.values()
            for migration_id in manager.get_migration_modules(str(app.migrations_folder_path))
        }

    async def pending(self) -> list[str]:
        if self._all_applied:
            return []
        ran = await applied_migrations()
        pending = sorted(f"{app}:{mid}" for app, mid in self.expected() - ran)
        self._all_applied = not pending
        return pending


async def applied_migrations() -> set[tuple[str, str]]:
    """(app, migration id) of every migration the database has run (none on an empty one)."""
    if not await Migration.table_exists():
        return set()
    return {
        (row["app_name"], row["name"])
        for row in await Migration.select(Migration.app_name, Migration.name)
    }


async def database_check(database: Database) -> Check:
    await database.engine.run_ddl("SELECT 1")
    return Check("database", True)


async def worker_check(max_age_seconds: int) -> Check:
    if max_age_seconds <= 0:
        return Check("worker", True, "not checked")
    newest = (
        await WorkerHeartbeat.select(WorkerHeartbeat.seen_at)
        .order_by(WorkerHeartbeat.seen_at, ascending=False)
        .first()
    )
    if newest is None:
        return Check("worker", False, "no worker has started")
    age = (now() - newest["seen_at"]).total_seconds()
    if age > max_age_seconds:
        return Check("worker", False, f"last heartbeat {age:.0f} s ago")
    return Check("worker", True)


def this_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def beat(worker_id: str) -> None:
    """Record that the worker `worker_id` is alive now (one row per worker, updated in place)."""
    current = now()
    updated = (
        await WorkerHeartbeat.update({WorkerHeartbeat.seen_at: current})
        .where(WorkerHeartbeat.worker_id == worker_id)
        .returning(WorkerHeartbeat.id)
    )
    if not updated:
        host, _, pid = worker_id.rpartition(":")
        await WorkerHeartbeat.insert(
            WorkerHeartbeat(worker_id=worker_id, host=host, pid=int(pid or 0), seen_at=current)
        )


async def forget_stale_workers(older_than: dt.timedelta) -> int:
    """Delete heartbeats of workers gone for longer than `older_than` (run nightly)."""
    rows = (
        await WorkerHeartbeat.delete()
        .where(WorkerHeartbeat.seen_at < now() - older_than)
        .returning(WorkerHeartbeat.id)
    )
    return len(rows)
