"""Where one worker's time goes on a page: cProfile over N in-process requests.

    .venv/bin/python bench/profile_page.py --database-url URL [--page customer] [--requests 300]
        [--top 30] [--sort tottime|cumulative]

Runs against a database that bench/http_load.py kept (`--keep`, then its `--database-url`), so
the data are the same 30,000 customers and demo data. Requests go through the ASGI app in this
process (httpx's ASGI transport: no sockets, no uvicorn), one at a time, so the figures depend
on this process's CPU time rather than on the machine's load; wall-clock milliseconds per
request are printed too, with the load average, since other processes still share the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.http_load import prepare, request_page, sign_in
from bench.support import BENCH_HOST, bench_runtime
from core.config import PROJECT_ROOT, load_settings
from core.engines import count_statements
from core.web.app import create_app


async def run(args: argparse.Namespace) -> None:
    enabled = load_settings(PROJECT_ROOT / "valvomo.toml").enabled_plugins
    tmp = Path(tempfile.mkdtemp(prefix="valvomo-profile-"))
    runtime = bench_runtime(args.database_url, tmp, enabled)
    await runtime.database.start()
    try:
        paths = await prepare(runtime, 0, reuse=True)
        name = args.page.replace("-", " ")
        path = paths[name]
        app = create_app(runtime=runtime)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{BENCH_HOST}", follow_redirects=True
        ) as client:
            await sign_in(client)
            for _ in range(20):  # warm caches and templates
                assert (await request_page(client, name, path)).status_code == 200
            with count_statements() as statements:
                await request_page(client, name, path)
                await asyncio.sleep(0)
            started_cpu = time.process_time()
            for _ in range(args.requests):
                await request_page(client, name, path)
            unprofiled = (time.process_time() - started_cpu) / args.requests * 1000
            profile = cProfile.Profile(time.process_time)  # CPU time: the load does not count
            started_cpu, started = time.process_time(), time.perf_counter()
            profile.enable()
            for _ in range(args.requests):
                response = await request_page(client, name, path)
            profile.disable()
            cpu = (time.process_time() - started_cpu) / args.requests * 1000
            wall = (time.perf_counter() - started) / args.requests * 1000
            assert response.status_code == 200
    finally:
        await runtime.database.stop()
    if args.dump:
        profile.dump_stats(args.dump)
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    print(f"{args.page} ({path}), {args.requests} requests in process, profiled")
    print(f"  {unprofiled:.2f} ms CPU per request without the profiler (server and client)")
    print(
        f"  {cpu:.2f} ms CPU and {wall:.2f} ms wall per request profiled; "
        f"{len(statements)} statements"
    )
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--page", default="customer page")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--dump", default="", help="write the raw profile here (pstats)")
    args = parser.parse_args()
    os.environ["VALVOMO_TEST_DATABASE"] = "postgres"
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
