"""Rate limits with the `limits` library, counted in the database so that every worker process
and every app server share them (a dict in memory would give each process its own budget).

Every public handler that changes something (POST, PUT, PATCH, DELETE) is limited per client
address by `rate_limit_guard`; a handler may name its own limit with `opt={"rate_limit": ...}`.
Services limit other keys (a phone number) with `enforce`. Over a limit: `TooManyRequests`,
a 429 page or JSON body with Retry-After.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from piccolo.columns import BigInt, Integer, Serial, Varchar
from piccolo.table import Table

from core.i18n import N_

PUBLIC_FORM_LIMIT = "20/minute"  # per address, on every public handler that changes something
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class RateCounter(Table, tablename="rate_counter"):
    """One fixed window of one limit for one key (address, phone number)."""

    id = Serial(primary_key=True)
    key = Varchar(length=250, unique=True, index=True)
    hits = Integer(default=0)
    expires_ms = BigInt(default=0, index=True)


class TooManyRequests(HTTPException):
    """429 with Retry-After; `detail` is an N_() message, `variables` are interpolated."""

    status_code = 429

    def __init__(
        self,
        retry_after: int,
        detail: str = N_("Too many attempts. Please wait a moment and try again."),
        **variables: Any,
    ) -> None:
        super().__init__(detail=detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)
        self.variables = variables


def _ms() -> int:
    return int(time.time() * 1000)


class DatabaseStorage(Storage):
    """A `limits` storage on the Valvomo database: one atomic upsert per hit."""

    STORAGE_SCHEME = ["valvomo-database"]

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return Exception

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now_ms = _ms()
        rows = await RateCounter.raw(
            "INSERT INTO rate_counter (key, hits, expires_ms) VALUES ({}, {}, {}) "
            "ON CONFLICT (key) DO UPDATE SET "
            "hits = CASE WHEN rate_counter.expires_ms <= {} THEN excluded.hits "
            "ELSE rate_counter.hits + excluded.hits END, "
            "expires_ms = CASE WHEN rate_counter.expires_ms <= {} THEN excluded.expires_ms "
            "ELSE rate_counter.expires_ms END RETURNING hits",
            key,
            amount,
            now_ms + expiry * 1000,
            now_ms,
            now_ms,
        )
        return int(rows[0]["hits"])

    async def _row(self, key: str) -> dict[str, Any] | None:
        return await (
            RateCounter.select(RateCounter.hits, RateCounter.expires_ms)
            .where((RateCounter.key == key) & (RateCounter.expires_ms > _ms()))
            .first()
        )

    async def get(self, key: str) -> int:
        row = await self._row(key)
        return int(row["hits"]) if row else 0

    async def get_expiry(self, key: str) -> float:
        row = await self._row(key)
        return (int(row["expires_ms"]) if row else _ms()) / 1000

    async def check(self) -> bool:
        await RateCounter.count()
        return True

    async def reset(self) -> int | None:
        return len(await RateCounter.delete(force=True).returning(RateCounter.id))

    async def clear(self, key: str) -> None:
        await RateCounter.delete().where(RateCounter.key == key)


_limiter = FixedWindowRateLimiter(DatabaseStorage())


async def enforce(name: str, limit: str | RateLimitItem, *identifiers: str) -> None:
    """Count one hit of `limit` (e.g. "5/hour") for `identifiers`; TooManyRequests when over."""
    item = parse(limit) if isinstance(limit, str) else limit
    if not await _limiter.hit(item, name, *identifiers):
        reset_at, _ = await _limiter.get_window_stats(item, name, *identifiers)
        raise TooManyRequests(int(reset_at - time.time()) + 1)


async def rate_limit_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Limit public handlers that change something per client address (see module doc)."""
    limit = handler.opt.get("rate_limit")
    method = connection.scope.get("method", "GET")
    if limit is None and handler.opt.get("public") is True and method in UNSAFE_METHODS:
        limit = PUBLIC_FORM_LIMIT
    if limit:
        address = connection.client.host if connection.client else "unknown"
        route = f"{method} {'|'.join(sorted(handler.paths))}"  # the same in every process
        await enforce(f"address:{route}", limit, address)


async def delete_expired_counters(moment: dt.datetime) -> int:
    cutoff = int(moment.timestamp() * 1000)
    return len(
        await RateCounter.delete().where(RateCounter.expires_ms <= cutoff).returning(RateCounter.id)
    )
