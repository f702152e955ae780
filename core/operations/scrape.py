"""What a Prometheus scrape reads: every process's metrics plus gauges read from the database.

The database gauges (outbox depth, oldest due message, audit sealing lag) are read when
scraped, so whichever app process answers gives the same values.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
    multiprocess,
)

from core.audit.sealing import oldest_unsealed_at
from core.common.clock import now
from core.db import Database
from core.notifications.tables import QUEUED, SENDING, OutboxMessage
from core.operations.metrics import MULTIPROCESS_VARIABLE, observe_pool


@dataclass(frozen=True)
class DatabaseGauges:
    outbox_due: int
    outbox_oldest_due_seconds: float
    audit_sealing_lag_seconds: float


async def read_database_gauges() -> DatabaseGauges:
    current = now()
    is_due = OutboxMessage.status.is_in([QUEUED, SENDING]) & (
        OutboxMessage.next_attempt_at <= current
    )
    oldest = await (
        OutboxMessage.select(OutboxMessage.next_attempt_at)
        .where(is_due)
        .order_by(OutboxMessage.next_attempt_at)
        .first()
    )
    return DatabaseGauges(
        outbox_due=await OutboxMessage.count().where(is_due),
        outbox_oldest_due_seconds=_age(current, oldest["next_attempt_at"] if oldest else None),
        audit_sealing_lag_seconds=await _audit_sealing_lag(current),
    )


async def _audit_sealing_lag(current: dt.datetime) -> float:
    """Age of the oldest audit entry written but not yet sealed into the chain (0 when none)."""
    return _age(current, await oldest_unsealed_at())


def _age(current: dt.datetime, since: dt.datetime | None) -> float:
    return max((current - since).total_seconds(), 0.0) if since else 0.0


def _database_registry(gauges: DatabaseGauges) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    values = (
        ("valvomo_outbox_due_messages", "Messages due to be sent now.", gauges.outbox_due),
        ("valvomo_outbox_oldest_due_age_seconds", "How long the oldest due message has waited.",
         gauges.outbox_oldest_due_seconds),
        ("valvomo_audit_sealing_lag_seconds", "Age of the oldest audit entry not yet sealed.",
         gauges.audit_sealing_lag_seconds),
    )  # fmt: skip
    for name, documentation, value in values:
        Gauge(name, documentation, registry=registry).set(value)
    return registry


async def exposition(database: Database) -> tuple[bytes, str]:
    """The text every Prometheus scrape gets: all processes' metrics and the database gauges."""
    observe_pool(database)
    if os.environ.get(MULTIPROCESS_VARIABLE):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    body = generate_latest(processes) + generate_latest(
        _database_registry(await read_database_gauges())
    )
    return body, CONTENT_TYPE_LATEST
