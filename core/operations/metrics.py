"""Prometheus metrics: per-process counters and histograms, plus gauges read from the database.

With several app processes (and the worker on the same host) set PROMETHEUS_MULTIPROC_DIR to
one directory shared by them; `/metrics` then adds up every process's files. `valvomo serve
--workers N` sets it to var/metrics itself. Gauges about the database (outbox depth, oldest
due message, audit sealing lag) are read when scraped, so any app process answers them alike.
"""

from __future__ import annotations

import os
import time

from piccolo.engine.postgres import PostgresEngine
from prometheus_client import Counter, Gauge, Histogram, multiprocess

from core.db import Database
from core.operations.process import MULTIPROCESS_VARIABLE

HTTP_REQUESTS = Counter(
    "valvomo_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "valvomo_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DB_POOL = Gauge(
    "valvomo_db_pool_connections",
    "PostgreSQL pool connections of the app processes, by state (in_use, idle, max).",
    ["state"],
    multiprocess_mode="livesum",
)
NOTIFICATIONS_SENT = Counter(
    "valvomo_notifications_sent_total", "Messages delivered by the worker.", ["channel"]
)
NOTIFICATIONS_FAILED = Counter(
    "valvomo_notifications_failed_total",
    "Failed send attempts; final=yes when the message will not be retried.",
    ["channel", "final"],
)
LOGIN_FAILURES = Counter(
    "valvomo_login_failures_total", "Sign-in attempts refused (wrong name or password)."
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


def observe_pool(database: Database) -> None:
    """Record this process's PostgreSQL pool use (nothing on SQLite: it has no pool)."""
    engine = database.engine
    pool = getattr(engine, "pool", None) if isinstance(engine, PostgresEngine) else None
    if pool is None:
        return
    size, idle = pool.get_size(), pool.get_idle_size()
    DB_POOL.labels("in_use").set(size - idle)
    DB_POOL.labels("idle").set(idle)
    DB_POOL.labels("max").set(pool.get_max_size())


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.started


def mark_process_dead() -> None:
    """Drop this process's live gauges from the shared directory when it stops."""
    if os.environ.get(MULTIPROCESS_VARIABLE):
        multiprocess.mark_process_dead(os.getpid())
