"""The outbox worker: claim due messages, send them through their channels, record the outcome.

Claiming marks a batch "sending" with a lease (`claimed_until`) in one short transaction; on
PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`, so several workers never claim
the same message. A worker killed mid-batch leaves its messages "sending" until the lease
expires; then any worker reclaims and sends them again with the same idempotency key, which
the SMS gateway (Idempotency-Key header) and mail systems (Message-ID) use to deliver once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.common.clock import now
from core.config import NotificationSettings
from core.db import get_database, is_sqlite, transaction
from core.notifications.channels import Channel, OutgoingMessage, SendFailed
from core.notifications.tables import CANCELLED, FAILED, QUEUED, SENDING, SENT, OutboxMessage
from core.operations.logs import bound_request_id
from core.operations.metrics import NOTIFICATIONS_FAILED, NOTIFICATIONS_SENT

if TYPE_CHECKING:
    from core.web.runtime import Runtime

from core.operations.maintenance import run_maintenance

log = logging.getLogger("valvomo.notifications")

CLAIMED_COLUMNS = (
    OutboxMessage.id, OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.subject,
    OutboxMessage.body, OutboxMessage.idempotency_key, OutboxMessage.attempts,
    OutboxMessage.request_id,
)  # fmt: skip


@dataclass(frozen=True)
class SendOutcome:
    message: OutgoingMessage
    provider_id: str | None
    failure: SendFailed | None


def retry_delay(settings: NotificationSettings, attempts: int) -> dt.timedelta:
    """Exponential back-off: base, 2×base, 4×base … capped at retry_max_seconds."""
    seconds = settings.retry_base_seconds * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.retry_max_seconds))


class OutboxWorker:
    def __init__(
        self,
        settings: NotificationSettings,
        channels: Iterable[Channel],
        *,
        batch_size: int | None = None,
    ) -> None:
        self.settings = settings
        self.channels = {channel.name: channel for channel in channels}
        self.batch_size = batch_size or settings.batch_size
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._sending = asyncio.Semaphore(settings.concurrency)

    async def claim_batch(self) -> list[OutgoingMessage]:
        """Mark up to batch_size due messages (or ones with an expired lease) as ours."""
        async with transaction():
            current = now()
            due = (
                OutboxMessage.select(OutboxMessage.id)
                .where(
                    ((OutboxMessage.status == QUEUED) & (OutboxMessage.next_attempt_at <= current))
                    | ((OutboxMessage.status == SENDING) & (OutboxMessage.claimed_until < current))
                )
                .order_by(OutboxMessage.next_attempt_at)
                .limit(self.batch_size)
            )
            if not is_sqlite(get_database().engine):
                due = due.lock_rows("UPDATE", skip_locked=True)
            ids = [row["id"] for row in await due]
            if not ids:
                return []
            rows = (
                await OutboxMessage.update(
                    {
                        OutboxMessage.status: SENDING,
                        OutboxMessage.claimed_until: current
                        + dt.timedelta(seconds=self.settings.lease_seconds),
                        OutboxMessage.claimed_by: self.worker_id,
                        OutboxMessage.attempts: OutboxMessage.attempts + 1,
                        OutboxMessage.version: OutboxMessage.version + 1,
                    }
                )
                .where(OutboxMessage.id.is_in(ids))
                .returning(*CLAIMED_COLUMNS)
            )
        position = {message_id: n for n, message_id in enumerate(ids)}
        return [_outgoing(row) for row in sorted(rows, key=lambda r: position[r["id"]])]

    async def send_one(self, message: OutgoingMessage) -> SendOutcome:
        channel = self.channels.get(message.channel)
        if channel is None:
            failure = SendFailed(f"No channel {message.channel!r} is configured", permanent=True)
            return SendOutcome(message, None, failure)
        with bound_request_id(message.request_id):
            async with self._sending:
                outcome = await self._attempt(channel, message)
            self._observe(outcome)
        return outcome

    async def _attempt(self, channel: Channel, message: OutgoingMessage) -> SendOutcome:
        try:
            return SendOutcome(message, await channel.send(message), None)
        except SendFailed as exc:
            return SendOutcome(message, None, exc)
        except Exception as exc:  # a channel's bug must not stop the other messages
            log.exception("Channel %s failed on message %s", message.channel, message.id)
            return SendOutcome(message, None, SendFailed(f"{type(exc).__name__}: {exc}"))

    def _observe(self, outcome: SendOutcome) -> None:
        """Count the attempt and log it; the recipient and text stay out of the log."""
        message, failure = outcome.message, outcome.failure
        if failure is None:
            NOTIFICATIONS_SENT.labels(message.channel).inc()
            log.info("Sent message %s by %s", message.id, message.channel)
            return
        final = failure.permanent or message.attempt >= self.settings.max_attempts
        NOTIFICATIONS_FAILED.labels(message.channel, "yes" if final else "no").inc()
        log.warning("Message %s by %s failed (attempt %s)", message.id, message.channel,
                    message.attempt)  # fmt: skip

    async def record(self, outcomes: list[SendOutcome]) -> None:
        """Write every outcome of a batch in one transaction, only for messages still ours."""
        async with transaction():
            current = now()
            for outcome in outcomes:
                if outcome.failure is None:
                    await self._record_sent(outcome, current)
                else:
                    await self._record_failure(outcome, outcome.failure, current)

    async def _record_sent(self, outcome: SendOutcome, current: dt.datetime) -> None:
        # A message cancelled while it was being sent did go out: record the truth.
        await OutboxMessage.update(
            {
                OutboxMessage.status: SENT,
                OutboxMessage.sent_at: current,
                OutboxMessage.provider_id: outcome.provider_id or "",
                OutboxMessage.claimed_until: None,
                OutboxMessage.last_error: "",
                OutboxMessage.version: OutboxMessage.version + 1,
            }
        ).where(
            (OutboxMessage.id == outcome.message.id)
            & (OutboxMessage.claimed_by == self.worker_id)
            & OutboxMessage.status.is_in([SENDING, CANCELLED])
        )

    async def _record_failure(
        self, outcome: SendOutcome, failure: SendFailed, current: dt.datetime
    ) -> None:
        attempts = outcome.message.attempt
        final = failure.permanent or attempts >= self.settings.max_attempts
        changes: dict[Any, Any] = {
            OutboxMessage.status: FAILED if final else QUEUED,
            OutboxMessage.last_error: failure.reason[:2000],
            OutboxMessage.claimed_until: None,
            OutboxMessage.version: OutboxMessage.version + 1,
        }
        if not final:
            changes[OutboxMessage.next_attempt_at] = current + retry_delay(self.settings, attempts)
        await OutboxMessage.update(changes).where(
            (OutboxMessage.id == outcome.message.id)
            & (OutboxMessage.claimed_by == self.worker_id)
            & (OutboxMessage.status == SENDING)
        )

    async def run_batch(self) -> int:
        """Claim, send and record one batch; returns how many messages it claimed."""
        batch = await self.claim_batch()
        if batch:
            outcomes = await asyncio.gather(*(self.send_one(message) for message in batch))
            await self.record(list(outcomes))
        return len(batch)

    async def run_until_idle(self) -> int:
        """Send every message that is due now; returns how many were claimed."""
        total = 0
        while claimed := await self.run_batch():
            total += claimed
        return total

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Send due messages until `stop` is set; the batch in hand is finished first."""
        while not stop.is_set():
            try:
                claimed = await self.run_batch()
            except Exception:  # e.g. the database restarting: log, wait, try again
                log.exception("Worker %s could not handle a batch", self.worker_id)
                claimed = 0
            if claimed < self.batch_size:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.poll_seconds)
                except TimeoutError:
                    pass

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()


def _outgoing(row: dict[str, Any]) -> OutgoingMessage:
    return OutgoingMessage(
        id=row["id"],
        channel=row["channel"],
        recipient=row["recipient"],
        subject=row["subject"],
        body=row["body"],
        idempotency_key=row["idempotency_key"],
        attempt=row["attempts"],
        request_id=row["request_id"],
    )


def channels_of(runtime: Runtime) -> list[Channel]:
    """Core's and the enabled plugins' channels (a later channel of one name wins)."""
    channels: list[Channel] = runtime.host.collect(
        "valvomo_notification_channels", settings=runtime.settings
    )
    return channels


async def run_worker(runtime: Runtime, *, once: bool, batch_size: int | None = None) -> int:
    """The `valvomo worker` command: until SIGTERM/SIGINT, or until idle with `once`."""
    worker = OutboxWorker(
        runtime.settings.notifications, channels_of(runtime), batch_size=batch_size
    )
    try:
        if once:
            return await worker.run_until_idle()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("Worker %s started", worker.worker_id)
        from core.housekeeping import run_housekeeping

        housekeeping = asyncio.create_task(run_housekeeping(runtime, stop))
        maintenance = asyncio.create_task(run_maintenance(runtime, stop))
        await worker.run_forever(stop)
        await maintenance
        await housekeeping
        return 0
    finally:
        await worker.close()
