"""Recognising a database outage, so that pages answer 503 with Retry-After instead of 500.

Nothing is kept between requests: every request asks the pool (PostgreSQL) or opens the file
(SQLite) again, so the app serves again on its own as soon as the database is back.
"""

from __future__ import annotations

import errno
import sqlite3

import asyncpg

RETRY_AFTER_SECONDS = 30

# Connection-level failures: the server is down, restarting, refusing, or dropped the session.
_POSTGRES_OUTAGES: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.PostgresConnectionError,  # includes CannotConnectNowError
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, terminated backend
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,  # e.g. the pool is closing, connection lost mid-query
)
_NETWORK_ERRNOS = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ECONNREFUSED}
_CONNECT_FAILURES = ("Multiple exceptions", "Connect call failed")  # asyncloop's connect errors
_SQLITE_OUTAGE_MESSAGES = ("unable to open database file", "disk i/o error", "database is locked")


def is_database_outage(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database cannot be reached just now."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_outage(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_outage(exc: BaseException) -> bool:
    if isinstance(exc, _POSTGRES_OUTAGES):
        return True
    if isinstance(exc, ConnectionError | TimeoutError):  # refused, reset, connect timeout
        return True
    if isinstance(exc, OSError) and (
        exc.errno in _NETWORK_ERRNOS or str(exc).startswith(_CONNECT_FAILURES)
    ):
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return str(exc).lower().startswith(_SQLITE_OUTAGE_MESSAGES)
    return False
