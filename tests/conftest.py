"""Fixtures: one migrated real database per test session (SQLite or PostgreSQL), emptied per test.

Choose the database with VALVOMO_TEST_DATABASE=sqlite|postgres. The enabled plugins are those of
the repository's valvomo.toml, or VALVOMO_TEST_PLUGINS=a,b while a plugin is being built.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from core.config import PROJECT_ROOT, Settings, load_settings
from core.identity.services import sync_roles
from core.web.app import build_runtime, create_app
from core.web.runtime import Runtime
from tests import database
from tests.helpers import make_user, sign_in


def settings_for_tests(database_url: str, var_dir: Path) -> Settings:
    settings = load_settings(PROJECT_ROOT / "valvomo.toml")
    enabled = settings.enabled_plugins
    if "VALVOMO_TEST_PLUGINS" in os.environ:
        enabled = tuple(p for p in os.environ["VALVOMO_TEST_PLUGINS"].split(",") if p)
    return replace(
        settings,
        database_url=database_url,
        var_dir=var_dir,
        secret="test-secret-" + "x" * 32,
        enabled_plugins=enabled,
        plugin_settings={k: v for k, v in settings.plugin_settings.items() if k in enabled},
    )


@pytest.fixture(scope="session")
async def runtime(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    tmp = tmp_path_factory.mktemp("valvomo")
    url = await database.create_database(tmp)
    runtime = build_runtime(settings_for_tests(url, tmp))
    await runtime.database.start()
    try:
        await runtime.migrate()
        yield runtime
    finally:
        await runtime.database.stop()
        await database.drop_database(url)


@pytest.fixture(autouse=True)
async def clean_database(request: pytest.FixtureRequest, runtime: Runtime) -> None:
    """Each test starts from a migrated, empty database with the roles in place."""
    if "nodb" in request.keywords:
        return
    await database.empty_all_tables(runtime)
    async with runtime.database.transaction():
        await sync_roles(runtime.roles, runtime.permissions)


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> Litestar:
    return create_app(runtime=runtime)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in this event loop (the database pool lives here)."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=True
    ) as test_client:
        yield test_client


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client signed in as an administrator who also has client guidance's rights."""
    username = await make_user("admin", "client_guidance")
    response = await sign_in(client, username)
    assert response.status_code == 200, response.text
    return client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a uvicorn process serving the app on this session's test database."""
    port = _free_port()
    var_dir: Path = tmp_path_factory.mktemp("live")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.browser.serve_test_app",
            str(port),
            runtime.database.url,
            str(var_dir),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The test app process exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("The test app did not start in 30 seconds")
