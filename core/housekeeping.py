"""Periodic work besides sending messages: seal new audit entries every few seconds and, once a
day, delete expired sessions, old login attempts and spent rate-limit counters. The worker
runs it alongside the outbox; `valvomo cleanup` and `valvomo audit seal` run it by hand."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.audit.sealing import seal_pending
from core.common.clock import now
from core.db import transaction
from core.identity.tables import LoginAttempt, StaffSession

if TYPE_CHECKING:
    from core.web.runtime import Runtime

log = logging.getLogger("valvomo.housekeeping")
SEAL_EVERY_SECONDS = 5.0
CLEANUP_EVERY = dt.timedelta(days=1)


@dataclass(frozen=True)
class CleanupResult:
    sessions: int
    login_attempts: int
    rate_counters: int


async def cleanup(login_attempt_days: int) -> CleanupResult:
    """Delete expired sessions, login attempts older than the given days and spent counters."""
    from core.web.ratelimit import delete_expired_counters

    moment = now()
    async with transaction():
        sessions = (
            await StaffSession.delete()
            .where(StaffSession.expires_at <= moment)
            .returning(StaffSession.id)
        )
        attempts = (
            await LoginAttempt.delete()
            .where(LoginAttempt.attempted_at < moment - dt.timedelta(days=login_attempt_days))
            .returning(LoginAttempt.id)
        )
        counters = await delete_expired_counters(moment)
    return CleanupResult(len(sessions), len(attempts), counters)


async def run_housekeeping(runtime: Runtime, stop: asyncio.Event) -> None:
    """Seal audit entries every few seconds and clean up once a day; a last round at `stop`."""
    last_cleanup: dt.datetime | None = None
    while True:
        try:
            await seal_pending()
            if last_cleanup is None or now() - last_cleanup >= CLEANUP_EVERY:
                result = await cleanup(runtime.settings.login_attempt_days)
                last_cleanup = now()
                log.info("Cleanup: %s", result)
        except Exception:
            log.exception("Housekeeping failed; trying again")
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=SEAL_EVERY_SECONDS)
