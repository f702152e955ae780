"""10,000 due SMS reminders through the local SMS gateway process by `valvomo worker`.

    .venv/bin/python bench/notifications_worker.py [--database sqlite|postgres] [--messages N]

Builds its own database and starts the gateway stub (tests/core/notifications/
sms_gateway_stub.py) as a separate process. Queues N due messages, then times real
`valvomo worker --once` processes (start-up included) until every message is sent: one worker,
and on PostgreSQL also two side by side. Prints the wall time, the rate, and duplicates: keys
the gateway received more than once (0 means no message was even attempted twice).
Target: under 60 s for 10,000 with one worker. The stub answers in well under a millisecond and
is one GIL-bound Python process, so one send in flight per worker (--concurrency 1) is fastest
here; a real gateway's latency is hidden with the configured `concurrency` (default 10).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_runtime
from core.common.clock import now
from core.config import PROJECT_ROOT
from core.db import insert_objects, transaction
from core.notifications.tables import SENT, OutboxMessage
from core.web.runtime import Runtime
from tests.core.notifications.servers import SmsGatewayProcess
from tests.database import create_database, drop_database


def due_messages(count: int) -> Iterator[OutboxMessage]:
    moment = now()
    for n in range(count):
        yield OutboxMessage(
            channel="sms",
            recipient=f"+35840{n:07d}",
            body=f"Muistutus: aikanne on huomenna klo 10.00 (varaus {n}).",
            reference=f"bench:{n}:reminder",
            send_at=moment,
            next_attempt_at=moment,
            idempotency_key=uuid.uuid4().hex,
            created_at=moment,
        )


async def queue(count: int) -> None:
    messages = list(due_messages(count))
    async with transaction():
        await OutboxMessage.delete(force=True)
        await insert_objects(OutboxMessage, messages)


def write_config(
    tmp: Path, database_url: str, gateway: SmsGatewayProcess, concurrency: int
) -> Path:
    config = tmp / "bench.toml"
    config.write_text(
        f'[database]\nurl = "{database_url}"\n\n[plugins]\nenabled = []\n\n'
        f'[notifications]\nsms_gateway_url = "{gateway.url}"\n'
        f"batch_size = 100\nconcurrency = {concurrency}\nlease_seconds = 120\n",
        encoding="utf-8",
    )
    return config


def run_workers(config: Path, count: int) -> float:
    env = {k: v for k, v in os.environ.items() if k != "VALVOMO_DATABASE_URL"}
    env |= {"VALVOMO_CONFIG": str(config), "VALVOMO_VAR_DIR": str(config.parent)}
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "core.cli", "worker", "--once"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    codes = [worker.wait() for worker in workers]
    if any(codes):
        raise RuntimeError(f"a worker failed: exit codes {codes}")
    return time.perf_counter() - started


async def measure(runtime: Runtime, config: Path, gateway: SmsGatewayProcess, workers: int,
                  messages: int) -> dict[str, float]:  # fmt: skip
    gateway.reset()
    await queue(messages)
    seconds = await asyncio.to_thread(run_workers, config, workers)
    records = gateway.records()
    sent = await OutboxMessage.count().where(OutboxMessage.status == SENT)
    return {
        "workers": workers,
        "seconds": seconds,
        "per_second": messages / seconds,
        "sent": sent,
        "delivered": len(records["deliveries"]),
        "duplicates": sum(1 for n in records["requests_by_key"].values() if n > 1),
    }


async def run(backend: str, messages: int, concurrency: int) -> list[dict[str, float]]:
    os.environ["VALVOMO_TEST_DATABASE"] = backend
    tmp = Path(tempfile.mkdtemp(prefix=f"valvomo-bench-notifications-{backend}-"))
    database_url = await create_database(tmp)
    gateway = SmsGatewayProcess()
    runtime = bench_runtime(database_url, tmp)
    await runtime.database.start()
    try:
        await runtime.migrate()
        config = write_config(tmp, database_url, gateway, concurrency)
        rounds = [1, 2] if backend == "postgres" else [1]
        return [await measure(runtime, config, gateway, n, messages) for n in rounds]
    finally:
        await runtime.database.stop()
        gateway.stop()
        await drop_database(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="sends in flight per worker; the local stub has no network latency to hide",
    )
    args = parser.parse_args()
    results = asyncio.run(run(args.database, args.messages, args.concurrency))
    print(
        f"notifications worker, {args.database}, {args.messages} due SMS, "
        f"concurrency {args.concurrency} (target < 60 s)"
    )
    for r in results:
        print(
            f"  {r['workers']:.0f} worker(s): {r['seconds']:.1f} s, {r['per_second']:.0f} msg/s, "
            f"sent {r['sent']:.0f}, delivered {r['delivered']:.0f}, "
            f"duplicates {r['duplicates']:.0f}"
        )


if __name__ == "__main__":
    main()
