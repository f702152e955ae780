"""Set-up of a serving or working process that must happen before the libraries load."""

from __future__ import annotations

import os
import socket
from pathlib import Path

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def share_metrics_dir(var_dir: Path) -> None:
    """Let every app and worker process of this host write its metrics into one folder.

    Must run before prometheus_client is imported; a folder set by the service manager wins.
    """
    if os.environ.get(MULTIPROCESS_VARIABLE):
        return
    folder = var_dir / "metrics"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROCESS_VARIABLE] = str(folder)


def share_hashing_slots(var_dir: Path) -> None:
    """Let the worker processes of `valvomo serve` share the host's password-hashing slots
    (core.identity.passwords): lock files in one folder; a folder already set wins."""
    from core.identity.passwords import SLOTS_VARIABLE

    if os.environ.get(SLOTS_VARIABLE):
        return
    folder = var_dir / "hashing"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[SLOTS_VARIABLE] = str(folder)


def port_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be served on (e.g. another program has it), or None."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None
