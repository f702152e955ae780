"""What every benchmark needs: a runtime on a fresh database, and a median of timed calls."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from core.config import PROJECT_ROOT, load_settings
from core.web.app import build_runtime
from core.web.runtime import Runtime


def bench_runtime(database_url: str, var_dir: Path, plugins: Iterable[str] = ()) -> Runtime:
    """The repository's configuration on `database_url`, with only `plugins` enabled."""
    enabled = tuple(plugins)
    base = load_settings(PROJECT_ROOT / "valvomo.toml")
    return build_runtime(
        load_settings(
            PROJECT_ROOT / "valvomo.toml",
            database_url=database_url,
            var_dir=var_dir,
            enabled_plugins=enabled,
            plugin_settings={k: v for k, v in base.plugin_settings.items() if k in enabled},
        )
    )


async def median_ms(call: Callable[[], Awaitable[Any]], rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)
