"""Piccolo engines that run a unit of work's statements on one held connection.

Out of the box Piccolo takes a pool connection for every statement on PostgreSQL (and asyncpg
resets it on release: `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`, one more
round trip per statement) and opens a new connection, with its own thread, for every statement
on SQLite. `held_connection()` takes one connection for a unit of work, usually a request:
every Piccolo query and transaction inside it runs on that connection, and a transaction
begins and commits on it without taking another.

Code inside a held connection must not run queries concurrently (one connection runs one
statement at a time); `separate_connection()` gives a concurrent task its own.
"""

from __future__ import annotations

import contextlib
import contextvars
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType


@dataclass(frozen=True)
class Statement:
    sql: str
    args: tuple[Any, ...] = ()
    seconds: float = 0.0  # PostgreSQL only


_statements: contextvars.ContextVar[list[Statement] | None] = contextvars.ContextVar(
    "valvomo_counted_statements", default=None
)


@contextlib.contextmanager
def count_statements() -> Iterator[list[Statement]]:
    """Collect every statement run on connections held inside this block.

    Statements include BEGIN and COMMIT, as the database sees them. For tests and benches:
    counting is off (and costs nothing) unless a block like this is active.
    """
    statements: list[Statement] = []
    token = _statements.set(statements)
    try:
        yield statements
    finally:
        _statements.reset(token)


async def _keep_session(connection: Any) -> None:
    """The pool's reset, without asyncpg's reset query round trip.

    Valvomo sets no session state: no SET (only SET LOCAL), no LISTEN, no cursors outside a
    transaction and only transaction-scoped advisory locks. asyncpg still rolls back a
    transaction left open before calling this.
    """


class _StaysOnHeldConnection:
    """Piccolo's transaction, except that it uses the held connection and does not release it."""

    engine: Any
    connection: Any
    context: Any
    _parent: Any
    _committed: bool
    _rolled_back: bool

    async def get_connection(self) -> Any:
        held = self.engine.held.get()
        return held if held is not None else await super().get_connection()  # type: ignore[misc]

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent or self.connection is not self.engine.held.get():
            return bool(await super().__aexit__(exception_type, exception, traceback))  # type: ignore[misc]
        piccolo_transaction: Any = self
        try:
            if exception is not None:
                if not self._rolled_back:
                    await piccolo_transaction.rollback()
            elif not self._committed and not self._rolled_back:
                await piccolo_transaction.commit()
        finally:
            self.engine.current_transaction.reset(self.context)
        return exception is None


class HeldConnectionPostgresEngine(PostgresEngine):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held: contextvars.ContextVar[Any] = contextvars.ContextVar(
            f"valvomo_held_postgres_{id(self)}", default=None
        )

    async def start_connection_pool(self, **kwargs: Any) -> None:
        kwargs.setdefault("reset", _keep_session)
        await super().start_connection_pool(**kwargs)

    @contextlib.asynccontextmanager
    async def held_connection(self) -> AsyncIterator[None]:
        """One pool connection for every statement inside (a no-op when one is held already)."""
        if self.pool is None or self.held.get() is not None or self.current_transaction.get():
            yield
            return
        async with self.pool.acquire() as connection:
            with self._holding(connection):
                yield

    @contextlib.contextmanager
    def _holding(self, connection: Any) -> Iterator[None]:
        statements = _statements.get()
        logger: Callable[[Any], None] | None = None
        if statements is not None:
            logger = lambda r: statements.append(  # noqa: E731
                Statement(r.query, tuple(r.args or ()), r.elapsed)
            )
            connection.add_query_logger(logger)
        token = self.held.set(connection)
        try:
            yield
        finally:
            self.held.reset(token)
            if logger is not None:
                connection.remove_query_logger(logger)

    @contextlib.asynccontextmanager
    async def separate_connection(self) -> AsyncIterator[bool]:
        """A pool connection of its own for a task that runs beside the request's other work.

        Yields False, holding nothing new, unless a connection is idle in the pool: requests
        that each hold one connection and wait for a second could otherwise exhaust the pool
        and wait on each other for ever, and opening a new connection costs more than a
        panel's query. The caller then runs on the request's connection in turn.
        """
        pool = self.pool
        if pool is None or pool.get_idle_size() == 0:
            yield False
            return
        # An idle connection waits in the pool's queue: taking it does not suspend, so no
        # other task can take it first and this never waits for a connection to be freed.
        connection = await pool.acquire()
        try:
            with self._holding(connection):
                yield True
        finally:
            await pool.release(connection)

    async def _run_in_pool(self, query: str, args: Any = None) -> Any:
        connection = self.held.get()
        if connection is None:
            return await super()._run_in_pool(query, args)
        return await connection.fetch(query, *(args or []))

    async def fetch_held(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]] | None:
        """Rows of `sql` (already in asyncpg's `$n` form) as dicts, run straight on the
        connection Piccolo would use (the transaction's, else the held one); None, running
        nothing, when there is none, for the caller to run the query through Piccolo."""
        transaction = self.current_transaction.get()
        connection = transaction.connection if transaction else self.held.get()
        if connection is None:
            return None
        return [dict(row) for row in await connection.fetch(sql, *args)]

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _HeldPostgresTransaction(engine=self, allow_nested=allow_nested)


class _HeldPostgresTransaction(_StaysOnHeldConnection, PostgresTransaction):
    """A transaction that begins on the held connection and leaves it held when it ends."""


RETURNING_SQLITE = sqlite3.sqlite_version_info >= (3, 35)


class HeldConnectionSQLiteEngine(SQLiteEngine):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held: contextvars.ContextVar[Any] = contextvars.ContextVar(
            f"valvomo_held_sqlite_{id(self)}", default=None
        )

    @contextlib.asynccontextmanager
    async def held_connection(self) -> AsyncIterator[None]:
        """One SQLite connection (autocommit, foreign keys on) for every statement inside."""
        if self.held.get() is not None or self.current_transaction.get():
            yield
            return
        connection = await self.get_connection()
        statements = _statements.get()
        if statements is not None:
            await connection.set_trace_callback(lambda sql: statements.append(Statement(sql)))
        token = self.held.set(connection)
        try:
            yield
        finally:
            self.held.reset(token)
            await connection.close()

    @contextlib.asynccontextmanager
    async def separate_connection(self) -> AsyncIterator[bool]:
        """Always False on SQLite: a new connection costs a thread, more than a panel's query."""
        yield False

    async def _run_in_new_connection(
        self, query: str, args: Any = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        connection = self.held.get()
        if connection is None:
            return await super()._run_in_new_connection(query, args, query_type, table)
        return await self._run_in_existing_connection(connection, query, args, query_type, table)

    async def _run_in_existing_connection(
        self,
        connection: aiosqlite.Connection,
        query: str,
        args: Any = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if connection is not self.held.get() or not RETURNING_SQLITE:
            return await super()._run_in_existing_connection(
                connection, query, args, query_type, table
            )
        # The held connection turned foreign keys on when it opened: no PRAGMA per statement.
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    async def fetch_held(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]] | None:
        """Rows of `sql` (already in the `?` form) on the held connection, as
        `_run_in_existing_connection` runs them there; None, running nothing, without one."""
        connection = self.held.get()
        transaction = self.current_transaction.get()
        if connection is None or not RETURNING_SQLITE:
            return None
        if transaction is not None and transaction.connection is not connection:
            return None
        async with connection.execute(sql, args) as cursor:
            rows: list[dict[str, Any]] = await cursor.fetchall()  # Piccolo's dict rows
            return rows

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _HeldSQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )


class _HeldSQLiteTransaction(_StaysOnHeldConnection, SQLiteTransaction):
    """A transaction that begins on the held connection and leaves it held when it ends."""


ValvomoEngine = HeldConnectionPostgresEngine | HeldConnectionSQLiteEngine
