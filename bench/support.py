"""What every benchmark needs: a runtime on a fresh database, a median of timed calls,
percentiles, and `valvomo serve` in its own process."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.config import PROJECT_ROOT, load_settings
from core.web.app import build_runtime
from core.web.runtime import Runtime
from valvomo.testing import wait_until_serving

NO_PLUGINS = "[plugins]\nenabled = []\n"


# In-process benches call the app as http://bench.local (plain http, so cookies are not Secure).
BENCH_HOST = "bench.local"


def bench_runtime(database_url: str, var_dir: Path, plugins: Iterable[str] = ()) -> Runtime:
    """The repository's configuration on `database_url`, with only `plugins` enabled, answering
    requests to http://bench.local."""
    enabled = tuple(plugins)
    base = load_settings(PROJECT_ROOT / "valvomo.toml")
    settings = load_settings(
        PROJECT_ROOT / "valvomo.toml",
        database_url=database_url,
        var_dir=var_dir,
        enabled_plugins=enabled,
        plugin_settings={k: v for k, v in base.plugin_settings.items() if k in enabled},
    )
    return build_runtime(
        replace(
            settings,
            development=True,
            public_base_url=f"http://{BENCH_HOST}",
            allowed_hosts=(*settings.allowed_hosts, BENCH_HOST),
        )
    )


async def median_ms(
    call: Callable[[], Awaitable[Any]],
    rounds: int,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Median of `rounds` calls by `clock`: wall-clock, or `time.process_time` for this
    process's CPU time."""
    timings = []
    for _ in range(rounds):
        started = clock()
        await call()
        timings.append((clock() - started) * 1000)
    return statistics.median(timings)


def percentile(values: list[float], percent: int) -> float:
    """The `percent`th percentile, never above the largest value; NaN for fewer than two."""
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(
    database_url: str, var_dir: Path, workers: int = 1, config: str = NO_PLUGINS
) -> Iterator[str]:
    """`valvomo serve --workers N` on `database_url` until the block ends; yields its base URL.

    Plain http (development switch), a fixed secret shared by the workers; the server's own
    output goes to `var_dir/serve.log`, whose end is printed if the server stops early.
    """
    config_file = var_dir / "bench-valvomo.toml"
    config_file.write_text(config, encoding="utf-8")
    port = free_port()
    env = {
        **os.environ,
        "VALVOMO_CONFIG": str(config_file),
        "VALVOMO_DATABASE_URL": database_url,
        "VALVOMO_VAR_DIR": str(var_dir),
        "VALVOMO_SECRET": "bench-secret-" + "x" * 32,
        "VALVOMO_DEVELOPMENT": "1",
    }
    log_path = var_dir / "serve.log"
    command = [sys.executable, "-m", "core.cli", "serve", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log_path)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)
        output = log_path.read_text("utf-8", errors="replace")
        if process.returncode not in (0, -15) or "Traceback" in output or "died" in output:
            print(f"server (exit {process.returncode}) reported problems:\n{_tail(log_path)}")


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """valvomo.testing's wait, with the end of the server's log when it does not start."""
    try:
        wait_until_serving(url, process, seconds=180)  # a busy box imports for tens of seconds
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}:\n{_tail(log_path)}") from None


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text("utf-8", errors="replace").splitlines()[-lines:])


def print_profile(profiler: cProfile.Profile, cumulative: int = 45, own: int = 25) -> None:
    """Where the profiled time went: by cumulative time, then by each function's own time."""
    for order, lines in (("cumulative", cumulative), ("tottime", own)):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(lines)
        print(out.getvalue())
