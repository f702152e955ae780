"""What the worker does besides sending: a heartbeat for /readyz and the nightly retention."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING

from core.common.clock import HELSINKI, now, today
from core.db import get_database
from core.operations import readiness, retention
from core.operations.tables import NightlyRun

if TYPE_CHECKING:
    from core.web.runtime import Runtime

log = logging.getLogger("valvomo.maintenance")

HEARTBEAT_SECONDS = 15
NIGHTLY_HOUR = 2  # Helsinki time: retention runs on the first beat after 02.00
RETENTION_JOB = "retention"


async def run_maintenance(runtime: Runtime, stop: asyncio.Event) -> None:
    """Beat every HEARTBEAT_SECONDS until `stop`; once a night, apply the retention rules."""
    worker_id = readiness.this_worker_id()
    while not stop.is_set():
        try:
            async with get_database().transaction():
                await readiness.beat(worker_id)
            if now().astimezone(HELSINKI).hour >= NIGHTLY_HOUR and await claim_night(RETENTION_JOB):
                await apply_retention(runtime)
        except Exception:  # the database restarting must not stop the worker
            log.exception("Worker maintenance failed; trying again")
        try:
            await asyncio.wait_for(stop.wait(), timeout=HEARTBEAT_SECONDS)
        except TimeoutError:
            pass


async def claim_night(job: str) -> bool:
    """Whether this worker is the one to run `job` today (one worker of many wins the day)."""
    day = today()
    async with get_database().transaction():
        moved = (
            await NightlyRun.update({NightlyRun.ran_on: day})
            .where((NightlyRun.job == job) & (NightlyRun.ran_on < day))
            .returning(NightlyRun.id)
        )
        if moved:
            return True
        if await NightlyRun.exists().where(NightlyRun.job == job):
            return False
        await NightlyRun.insert(NightlyRun(job=job, ran_on=day))
        return True


async def apply_retention(runtime: Runtime) -> list[retention.RetentionResult]:
    configured = retention.plans(runtime.host.collect("valvomo_retention_rules"),
                                 runtime.settings.retention)  # fmt: skip
    results = await retention.run(configured, dry_run=False)
    for result in results:
        if result.records:
            log.info("Retention deleted %s records of %s", result.records, result.kind)
        if result.note:
            log.warning("Retention of %s not applied: %s", result.kind, result.note)
    await NightlyRun.update({NightlyRun.finished_at: now()}).where(NightlyRun.job == RETENTION_JOB)
    await readiness.forget_stale_workers(dt.timedelta(days=7))
    return results
