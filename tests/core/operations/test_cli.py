"""What a newcomer sees from the command: full help lines, the version, what `migrate` did,
and a clear refusal of a taken port before anything claims to be served."""

from __future__ import annotations

import socket
from importlib.metadata import version
from pathlib import Path

import pytest

from core.web.runtime import Runtime
from tests import database
from tests.core.operations.cli import valvomo


@pytest.mark.nodb
def test_help_lists_whole_descriptions_and_version_is_shown(
    runtime: Runtime, tmp_path: Path
) -> None:
    shown = valvomo(runtime.database.url, tmp_path, "--help")
    assert shown.returncode == 0, shown.stderr
    commands = shown.stdout.split("Commands:")[1]
    assert "..." not in commands
    assert (
        "Write a consistent, timestamped backup of the database while the app keeps serving."
        in (" ".join(shown.stdout.split()))
    )
    assert valvomo(runtime.database.url, tmp_path, "--version").stdout.strip() == (
        f"valvomo {version('valvomo')}"
    )


async def test_migrate_lists_what_it_applied_then_says_nothing_was_pending(
    tmp_path: Path,
) -> None:
    fresh = (
        f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        if database.backend() == "sqlite"
        else await database.create_database(tmp_path)
    )
    try:
        first = valvomo(fresh, tmp_path, "migrate")
        assert first.returncode == 0, first.stdout + first.stderr
        assert "applied operations 2026-11-25T16:00:00:000000" in first.stdout
        assert "migrations applied" in first.stdout
        second = valvomo(fresh, tmp_path, "migrate")
        assert "no migrations were pending" in second.stdout
        assert "applied " not in second.stdout
    finally:
        await database.drop_database(fresh)


@pytest.mark.nodb
def test_a_taken_port_is_refused_before_claiming_to_serve(runtime: Runtime, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = valvomo(runtime.database.url, tmp_path, "demo", "--port", port)
    assert result.returncode == 1
    assert f"Port {port} is taken" in result.stdout
    assert "Valvomo is at" not in result.stdout
