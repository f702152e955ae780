"""`valvomo worker` as real processes: killed mid-batch, and two side by side on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from core.config import PROJECT_ROOT
from core.db import transaction
from core.notifications.services import queue_message
from core.notifications.tables import SENT, OutboxMessage
from core.operations.tables import WorkerHeartbeat
from core.web.runtime import Runtime
from tests.core.notifications.conftest import GATEWAY_TOKEN
from tests.core.notifications.servers import SmsGatewayProcess

MESSAGES = 200


def worker_config(
    tmp_path: Path, runtime: Runtime, gateway: SmsGatewayProcess, lease_seconds: int = 2
) -> Path:
    config = tmp_path / "worker.toml"
    config.write_text(
        f"""
[database]
url = "{runtime.database.url}"

[plugins]
enabled = []

[notifications]
sms_gateway_url = "{gateway.url}"
sms_token = "{GATEWAY_TOKEN}"
lease_seconds = {lease_seconds}
batch_size = 20
concurrency = 4
poll_seconds = 0.2
""",
        encoding="utf-8",
    )
    return config


def start_worker(config: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "VALVOMO_DATABASE_URL"}
    env |= {"VALVOMO_CONFIG": str(config), "VALVOMO_VAR_DIR": str(config.parent)}
    return subprocess.Popen(
        [sys.executable, "-m", "core.cli", "worker", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )


async def queue_many(count: int) -> None:
    async with transaction():
        for n in range(count):
            await queue_message(channel="sms", recipient="0501234567", body=f"Muistutus {n}")


# Generous: a worker process imports the whole app first, which takes long on a busy CI machine.
def wait_for_deliveries(gateway: SmsGatewayProcess, at_least: int, timeout: float = 180) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivered = len(gateway.records()["deliveries"])
        if delivered >= at_least:
            return delivered
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} deliveries in {timeout} s")


async def assert_each_delivered_once(gateway: SmsGatewayProcess) -> None:
    rows = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.idempotency_key)
    assert {r["status"] for r in rows} == {SENT}
    keys = Counter(gateway.delivered_keys())
    assert sorted(keys) == sorted(r["idempotency_key"] for r in rows)
    assert set(keys.values()) == {1}


async def test_worker_killed_mid_batch_loses_nothing_and_repeats_nothing(
    runtime: Runtime, gateway: SmsGatewayProcess, tmp_path: Path
) -> None:
    await queue_many(MESSAGES)
    gateway.control(delay_ms=60)  # 200 messages take the worker 3 s: time to kill it mid-way
    config = worker_config(tmp_path, runtime, gateway)
    worker = start_worker(config)
    try:
        delivered = wait_for_deliveries(gateway, 30)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    assert delivered < MESSAGES, "the worker finished before it was killed"
    gateway.control(delay_ms=0)
    time.sleep(2.5)  # the killed worker's lease expires

    restarted = start_worker(config, "--once")
    assert restarted.wait(timeout=120) == 0
    await assert_each_delivered_once(gateway)
    records = gateway.records()
    assert records["requests"] >= MESSAGES


async def wait_for_workers(workers: list[subprocess.Popen[bytes]], timeout: float = 180) -> None:
    """Until each of `workers` has beaten: it is up and polling the outbox."""
    deadline = time.monotonic() + timeout
    pids = [w.pid for w in workers]
    while await WorkerHeartbeat.count().where(WorkerHeartbeat.pid.is_in(pids)) < len(pids):
        assert time.monotonic() < deadline, f"not every worker started in {timeout} s"
        await asyncio.sleep(0.1)


async def test_two_workers_side_by_side_send_each_message_once(
    runtime: Runtime, gateway: SmsGatewayProcess, tmp_path: Path
) -> None:
    # Both workers are polling before anything is queued, so one slow start cannot leave the
    # other to send everything; the lease outlasts any batch, so nothing is tried twice.
    gateway.control(delay_ms=20)
    config = worker_config(tmp_path, runtime, gateway, lease_seconds=60)
    workers = [start_worker(config, "--batch", "10") for _ in range(2)]
    try:
        await wait_for_workers(workers)
        await queue_many(MESSAGES)
        wait_for_deliveries(gateway, MESSAGES)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
    assert [w.wait(timeout=90) for w in workers] == [0, 0]
    await assert_each_delivered_once(gateway)
    assert gateway.records()["requests"] == MESSAGES  # no message was even tried twice
    claimed_by = await OutboxMessage.select(OutboxMessage.claimed_by).distinct()
    assert len(claimed_by) == 2, "both workers took part"


async def test_worker_stops_cleanly_on_sigterm_after_sending(
    runtime: Runtime, gateway: SmsGatewayProcess, tmp_path: Path
) -> None:
    await queue_many(5)
    worker = start_worker(worker_config(tmp_path, runtime, gateway))
    try:
        wait_for_deliveries(gateway, 5)
    finally:
        worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=90) == 0  # its last round (seal, figures) may run first
    await assert_each_delivered_once(gateway)
