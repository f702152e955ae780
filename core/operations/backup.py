"""Backups and restores of the whole database, for `valvomo backup` and `valvomo restore`.

SQLite: the online backup API copies a consistent snapshot while the app keeps serving.
PostgreSQL: `pg_dump --format=custom` (a consistent snapshot too) restored with `pg_restore`
into a fresh database; continuous archiving and point-in-time recovery are the database
server's job and are described in docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse, urlunparse

SQLITE_PREFIX = "sqlite:///"


class BackupError(Exception):
    """The backup or restore could not be done; the message says why and what to do."""


def backup(database_url: str, target_dir: Path, *, at: dt.datetime | None = None) -> Path:
    """Write a timestamped backup of `database_url` into `target_dir`; returns its path."""
    stamp = (at or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    target_dir.mkdir(parents=True, exist_ok=True)
    if database_url.startswith(SQLITE_PREFIX):
        target = target_dir / f"valvomo-{stamp}.sqlite3"
        _sqlite_copy(Path(database_url[len(SQLITE_PREFIX) :]), target, must_exist=True)
    else:
        target = target_dir / f"valvomo-{stamp}.pgdump"
        url, env = _without_password(database_url)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}",
              f"--dbname={url}"], env)  # fmt: skip
    target.chmod(0o600)  # a backup holds every customer's data
    return target


def restore(backup_file: Path, database_url: str) -> None:
    """Restore `backup_file` into the empty database `database_url` (never over live data)."""
    if not backup_file.is_file():
        raise BackupError(f"No backup file at {backup_file}")
    if database_url.startswith(SQLITE_PREFIX):
        target = Path(database_url[len(SQLITE_PREFIX) :])
        if target.exists() and target.stat().st_size > 0:
            raise BackupError(f"{target} exists; restore into a new file and point the app at it")
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(backup_file, target, must_exist=True)
        return
    url, env = _without_password(database_url)
    if _postgres_has_tables(url, env):
        raise BackupError("The target database is not empty; create a new one with createdb")
    _run([_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction",
          f"--dbname={url}", str(backup_file)], env)  # fmt: skip


def _sqlite_copy(source: Path, target: Path, *, must_exist: bool) -> None:
    if must_exist and not source.is_file():
        raise BackupError(f"No SQLite database at {source}")
    from_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    to_db = sqlite3.connect(target)
    try:
        from_db.backup(to_db)
    finally:
        to_db.close()
        from_db.close()


def _postgres_has_tables(url: str, env: dict[str, str]) -> bool:
    query = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    output = _run([_tool("psql"), "--no-psqlrc", "--tuples-only", "--no-align",
                   f"--dbname={url}", f"--command={query}"], env)  # fmt: skip
    return output.strip() not in ("", "0")


def _without_password(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and an environment passing the password to libpq."""
    parsed = urlparse(database_url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = unquote(parsed.password)
        netloc = parsed.netloc.replace(f":{parsed.password}@", "@", 1)
        parsed = parsed._replace(netloc=netloc)
    return urlunparse(parsed._replace(scheme="postgresql")), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed: apt-get install postgresql-client")
    return path


def _run(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")
    return result.stdout
