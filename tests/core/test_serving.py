"""`valvomo serve` with several workers answers keep-alive requests without Nagle's delay."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.config import PROJECT_ROOT
from core.web.runtime import Runtime
from valvomo.testing import free_port


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"valvomo serve exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/login")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("valvomo serve did not answer in 180 seconds")


def _keep_alive_timings(port: int, requests: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    timings = []
    try:
        for _ in range(requests):
            started = time.perf_counter()
            connection.request("GET", "/login")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            assert response.getheader("connection", "keep-alive") != "close"
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    return timings


@pytest.mark.nodb
def test_keep_alive_requests_do_not_wait_for_nagle_with_two_workers(
    runtime: Runtime, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "VALVOMO_DATABASE_URL": runtime.database.url,
        "VALVOMO_VAR_DIR": str(tmp_path),
        "VALVOMO_SECRET": "serving-test-" + "x" * 32,
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from core.cli import main; main()", "serve",
         "--port", str(port), "--workers", "2"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_for(port, process)
        # Two sequential requests on one connection; the best of a few tries, since other
        # processes share the machine's cores.
        seconds = [_keep_alive_timings(port, 2)[1] for _ in range(5)]
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert min(seconds) < 10, f"the second keep-alive request took {min(seconds):.1f} ms"
