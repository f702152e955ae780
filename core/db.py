"""Database engines, transactions and migrations on SQLite and PostgreSQL through Piccolo."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import logging
import os
import string
import warnings
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.conf.apps import AppRegistry
from piccolo.custom_types import Combinable
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from core.engines import HeldConnectionPostgresEngine, HeldConnectionSQLiteEngine, ValvomoEngine

log = logging.getLogger("valvomo.db")
# A stopping process waits this long for its connections to come back, then closes them.
POOL_CLOSE_SECONDS = 10.0

# Core's Piccolo apps, migrated in this order before the plugins' apps.
CORE_APPS = [
    "core.piccolo_app",
    "core.billing.piccolo_app",
    "core.notifications.piccolo_app",
    "core.situation.piccolo_app",
    "core.operations.piccolo_app",
]


def create_engine(database_url: str) -> ValvomoEngine:
    """An engine for `sqlite:///path` or `postgresql://user@host:port/db`."""
    parsed = urlparse(database_url)
    if parsed.scheme == "sqlite":
        path = Path(database_url[len("sqlite:///") :])
        path.parent.mkdir(parents=True, exist_ok=True)
        return HeldConnectionSQLiteEngine(path=str(path), timeout=30)
    if parsed.scheme in {"postgres", "postgresql"}:
        return HeldConnectionPostgresEngine(config={"dsn": database_url})
    raise ValueError(f"Unsupported database URL scheme {parsed.scheme!r}: use sqlite or postgresql")


T = TypeVar("T")
CHUNK = 500  # rows per multi-row INSERT and ids per IN (...): inside both engines' limits


def chunked(items: Sequence[T], size: int = CHUNK) -> list[Sequence[T]]:
    """`items` in slices of at most `size`, for statements with a bounded number of values."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def in_conditions(column: Column, values: Sequence[int] | Sequence[str]) -> list[Combinable]:
    """`column IN values` (ids or texts) as few conditions as the engine allows, one query
    each: one `= ANY(array)` on PostgreSQL (one bound value instead of Piccolo's per-value work
    for tens of thousands of values), slices of `CHUNK` on SQLite."""
    if is_sqlite(column._meta.table._meta.db):
        return [column.is_in(list(chunk)) for chunk in chunked(values)]
    if not values:
        return []
    name = f'"{column._meta.table._meta.tablename}"."{column._meta.db_column_name}"'
    if all(type(v) is str for v in values):
        return [WhereRaw(name + " = ANY({}::text[])", list(values))]
    return [WhereRaw(name + " = ANY({}::bigint[])", [int(v) for v in values])]


def is_sqlite(engine: Engine) -> bool:
    return engine.engine_type == "sqlite"


async def insert_objects(table: type[Table], objects: Sequence[Table]) -> list[int]:
    """Insert Piccolo objects of `table` a chunk per statement; their new primary keys in order."""
    ids: list[int] = []
    for chunk in chunked(objects):
        result = await table.insert(*chunk).returning(table._meta.primary_key)
        ids += [int(r[table._meta.primary_key._meta.name]) for r in result]
    return ids


PG_ROWS_PER_STATEMENT = 10_000  # one array per column: no limit on bound values to respect


async def insert_rows(
    table: type[Table],
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    *,
    skip_conflicts: bool = False,
    returning: Sequence[Column] = (),
) -> list[dict[str, Any]]:
    """Insert many rows, a few statements in all, on the current transaction's connection.

    Piccolo builds a Table object and a query fragment per row and value, which costs more than
    the database's own work for tens of thousands of rows. This sends one multi-row VALUES list
    per chunk on SQLite and one `unnest` of typed arrays per chunk on PostgreSQL. Only names of
    `table`'s columns and placeholders enter the SQL text; every value is bound. With
    `skip_conflicts` rows that break a unique constraint are left out; `returning` columns of the
    inserted rows are returned.
    """
    engine: Any = table._meta.db
    transaction = engine.current_transaction.get()
    if transaction is None:
        raise RuntimeError("insert_rows must run inside core.db.transaction()")
    names = ", ".join(c._meta.db_column_name for c in columns)
    suffix = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    if returning:
        suffix += " RETURNING " + ", ".join(c._meta.db_column_name for c in returning)
    head = f"INSERT INTO {table._meta.tablename} ({names}) "
    inserted: list[dict[str, Any]] = []
    if is_sqlite(engine):
        row = "(" + ", ".join("?" * len(columns)) + ")"
        for chunk in chunked(rows):
            sql = head + "VALUES " + ", ".join([row] * len(chunk)) + suffix
            cursor = await transaction.connection.execute(sql, [v for r in chunk for v in r])
            inserted += [dict(r) for r in await cursor.fetchall()]
        return inserted
    arrays = ", ".join(f"${i}::{c.column_type}[]" for i, c in enumerate(columns, start=1))
    sql = head + f"SELECT * FROM unnest({arrays})" + suffix  # noqa: S608
    for chunk in chunked(rows, PG_ROWS_PER_STATEMENT):
        arrays_of_chunk = [list(column) for column in zip(*chunk, strict=True)]
        inserted += [dict(r) for r in await transaction.connection.fetch(sql, *arrays_of_chunk)]
    return inserted


class Database:
    """The one engine of this process, bound to every table of core and the enabled plugins."""

    def __init__(self, database_url: str, app_modules: Iterable[str]) -> None:
        self.url = database_url
        self.engine = create_engine(database_url)
        self.app_modules = [*CORE_APPS, *app_modules]
        self.registry = AppRegistry(apps=self.app_modules)
        self._users = 0
        self.activate()

    def activate(self) -> None:
        """Make this the database of every table and of `core.db.transaction`."""
        tables: list[type[Table]] = [Migration, *self.tables()]
        for table in tables:
            table._meta.db = self.engine
        set_database(self)

    def tables(self) -> list[type[Table]]:
        return [t for app in self.registry.app_configs.values() for t in app.table_classes]

    async def start(self) -> None:
        """Open the connection pool (PostgreSQL); nested starts share one pool."""
        self._users += 1
        if self._users == 1 and isinstance(self.engine, PostgresEngine):
            await self.engine.start_connection_pool(min_size=2, max_size=20)

    async def stop(self) -> None:
        self._users -= 1
        if self._users == 0 and isinstance(self.engine, PostgresEngine):
            pool = self.engine.pool
            try:
                await asyncio.wait_for(self.engine.close_connection_pool(), POOL_CLOSE_SECONDS)
            except TimeoutError:
                # A task cancelled mid-statement can keep its connection: don't hang the exit.
                log.warning(
                    "Database connections still in use after %s s; closing them", POOL_CLOSE_SECONDS
                )
                if pool is not None:
                    pool.terminate()
                self.engine.pool = None

    def connection(self) -> contextlib.AbstractAsyncContextManager[None]:
        """One connection for every statement and transaction inside: a request, a unit of work."""
        return self.engine.held_connection()

    def separate_connection(self) -> contextlib.AbstractAsyncContextManager[bool]:
        """A connection of its own for work that runs concurrently inside a request, if one is
        free at once (True); else nothing changes (False) and the work must wait its turn."""
        return self.engine.separate_connection()

    def transaction(self) -> contextlib.AbstractAsyncContextManager[object]:
        """A write transaction; on SQLite it takes the write lock at once to avoid deadlocks."""
        if isinstance(self.engine, SQLiteEngine):
            return self.engine.transaction(transaction_type=TransactionType.immediate)
        return self.engine.transaction()

    async def migrate(self) -> None:
        """Run every pending migration of core and the enabled plugins."""
        from core import piccolo_conf

        piccolo_conf.DB = self.engine
        piccolo_conf.APP_REGISTRY = self.registry
        os.environ["PICCOLO_CONF"] = "core.piccolo_conf"
        if isinstance(self.engine, SQLiteEngine):
            await self.engine.run_ddl("PRAGMA journal_mode=WAL")
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            # Piccolo prints its progress, and warns in colour on SQLite that a column's
            # length cannot change there (SQLite enforces no length): noise for whoever migrates.
            warnings.filterwarnings("ignore", message=".*SQLITE doesn't support changes in length")
            result = await run_forwards("all")
        if not result.success:
            raise RuntimeError(f"Migration failed: {result.message}")


_current: Database | None = None


def set_database(database: Database) -> None:
    global _current
    _current = database


def get_database() -> Database:
    if _current is None:
        raise RuntimeError("The database is not configured; call core.db.set_database first")
    return _current


@contextlib.asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """The write transaction of the current database (see Database.transaction)."""
    async with get_database().transaction():
        yield


class _Parameter:
    """Stands for the n-th argument of a `CachedQuery` while its SQL is built."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class CachedQuery:
    """A Piccolo query whose SQL is built once per shape, then run with new arguments.

    Building a select's SQL costs Piccolo more CPU than the database needs to answer a
    small indexed query (a select with joined columns, about 1 ms: every attribute read of a
    foreign key column calls `dir()`), so a page's hot queries build it once:

        BOOKINGS_OF_CUSTOMER = CachedQuery(
            lambda customer_id, limit: Booking.select(*COLUMNS)
            .where(Booking.customer == customer_id)
            .limit(limit)
        )
        rows = await BOOKINGS_OF_CUSTOMER(customer_id, limit=5)

    Positional arguments become bind parameters: plain values (numbers, text, dates, times)
    that Piccolo passes on unchanged, never None (`== None` is `IS NULL`, another SQL). Keyword
    arguments change the SQL itself (a LIMIT, a choice of columns): each value they take
    builds and keeps its own SQL. A query whose SQL does not carry every positional argument
    as a bind parameter is refused when first built.
    """

    def __init__(self, build: Any) -> None:
        self._build = build
        self._built: dict[tuple[Any, ...], _Built] = {}

    def _shape(self, count: int, shape: dict[str, Any], engine_type: str) -> _Built:
        key = (engine_type, count, *sorted(shape.items()))
        built = self._built.get(key)
        if built is None:
            parameters = [_Parameter(i) for i in range(count)]
            query = self._build(*parameters, **shape)
            (querystring,) = query.querystrings
            _, fragments, arguments = querystring.bundle(
                start_index=1, bundled=[], combined_args=[]
            )
            template = "".join(
                f.prefix.replace("{", "{{").replace("}", "}}") + ("" if f.no_arg else "{}")
                for f in fragments
            )
            found = {a.index for a in arguments if isinstance(a, _Parameter)}
            if found != set(range(count)):
                raise ValueError("every positional argument must be a bind parameter of the SQL")
            built = _Built(query, template, tuple(arguments), querystring.query_type,
                           native_sql(template, engine_type), _plain_rows(query))  # fmt: skip
            self._built[key] = built
        return built

    async def __call__(self, *values: Any, **shape: Any) -> Any:
        if any(v is None for v in values):
            raise ValueError("a CachedQuery argument must not be None")
        engine = get_database().engine
        built = self._shape(len(values), shape, engine.engine_type)
        arguments = [values[a.index] if isinstance(a, _Parameter) else a for a in built.arguments]
        # Straight to the request's connection: Piccolo's QueryString, its compiling and its
        # result handling cost more CPU than the database's answer to a small indexed query.
        rows = await engine.fetch_held(built.sql, arguments)
        if rows is not None and built.plain:
            return rows
        if rows is None:  # no connection held (a task, a command): through Piccolo
            from piccolo.querystring import QueryString

            querystring = QueryString(built.template, *arguments, query_type=built.query_type,
                                      table=built.query.table)  # fmt: skip
            rows = await engine.run_querystring(querystring, in_pool=True)
        return await built.query._process_results(rows)


@dataclass(frozen=True)
class _Built:
    """A CachedQuery's query of one shape: its SQL with `{}` for Piccolo and in the engine's
    own form, and whether its rows need none of Piccolo's result handling."""

    query: Any
    template: str
    arguments: tuple[Any, ...]
    query_type: str
    sql: str
    plain: bool


def _plain_rows(query: Any) -> bool:
    """Whether Piccolo returns the rows of `query` as the database gives them (as dicts): a
    select of plain columns with no JSON loading, nesting, objects or many-to-many lists."""
    from piccolo.columns.m2m import M2MSelect
    from piccolo.query.methods.select import Select

    if type(query) is not Select:
        return False
    output = query.output_delegate._output
    if output.load_json or output.nested or output.as_objects:
        return False
    return not any(isinstance(c, M2MSelect) for c in query.columns_delegate.selected_columns)


@functools.lru_cache(maxsize=512)
def native_sql(template: str, engine_type: str) -> str:
    """Piccolo's `{}` placeholders as the driver's: `$1, $2, …` (asyncpg) or `?` (sqlite3)."""
    out, index = [], 0
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if field is not None:
            index += 1
            out.append(f"${index}" if engine_type in ("postgres", "cockroach") else "?")
    return "".join(out)


async def run_raw(table: type[Table], template: str, *args: Any) -> list[dict[str, Any]]:
    """`table.raw(template, *args)` (`{}` for each argument) on the request's connection,
    without building a Piccolo query: for statements every page view runs."""
    engine: Any = table._meta.db
    rows = await engine.fetch_held(native_sql(template, engine.engine_type), args)
    if rows is None:
        rows = await table.raw(template, *args)
    return list(rows)
