"""A database outage answers 503 with Retry-After and a Finnish page; the app recovers alone.

The app runs as its own process. On PostgreSQL its only path to the database goes through a
TCP proxy the test cuts (open connections dropped, new ones refused) and restores; on SQLite
the database file's folder goes away and comes back.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import httpx

from core.config import PROJECT_ROOT
from core.web.runtime import Runtime
from tests.core.operations.tcp_proxy import TcpProxy
from tests.deploy.stack import wait_until
from tests.helpers import PASSWORD, make_user
from valvomo.testing import free_port


@contextmanager
def app_process(database_url: str, var_dir: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "tests.browser.serve_test_app", str(port), database_url,
               str(var_dir)]  # fmt: skip
    process = subprocess.Popen(command, cwd=PROJECT_ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(f"{url}/healthz", [process], seconds=120)  # a busy machine starts slowly
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def breakable_database(
    runtime: Runtime, tmp_path: Path
) -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """(database URL for the app, cut(), restore()) over the session's test database."""
    url = runtime.database.url
    if url.startswith("sqlite:///"):
        folder, away = tmp_path / "db", tmp_path / "db-away"
        folder.mkdir()
        source, copy = sqlite3.connect(url[len("sqlite:///") :]), sqlite3.connect(folder / "v.db")
        source.backup(copy)
        source.close()
        copy.close()
        yield (
            f"sqlite:///{folder / 'v.db'}",
            lambda: folder.rename(away),
            lambda: away.rename(folder),
        )
        return
    parsed = urlparse(url)
    proxy = TcpProxy(parsed.hostname or "127.0.0.1", parsed.port or 5432)
    proxy.start()
    through_proxy = parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{proxy.port}").geturl()
    try:
        yield through_proxy, proxy.cut, proxy.start
    finally:
        proxy.cut()


def sign_in(client: httpx.Client, username: str) -> None:
    client.get("/login")
    form = {"username": username, "password": PASSWORD, "next": "/"}
    response = client.post("/login", data={**form, "_csrf_token": client.cookies["valvomo_csrf"]})
    assert response.status_code == 200, response.text


def wait_for_status(
    client: httpx.Client, path: str, status: int, seconds: float = 60
) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = client.get(path)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.3)


async def test_outage_answers_503_and_the_app_recovers(runtime: Runtime, tmp_path: Path) -> None:
    username = await make_user("admin")
    with (
        breakable_database(runtime, tmp_path) as (database_url, cut, restore),
        app_process(database_url, tmp_path) as base_url,
        httpx.Client(base_url=base_url, follow_redirects=True, timeout=30) as client,
    ):
        sign_in(client, username)
        assert client.get("/").status_code == 200

        cut()
        page = wait_for_status(client, "/", 503)
        assert page.status_code == 503, page.text
        assert page.headers["retry-after"] == "30"
        assert "Palvelu on hetken poissa käytöstä" in page.text
        api = client.get("/api/me")
        assert api.status_code == 503
        assert api.json()["detail"] == "The database is unavailable; try again shortly."
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200

        restore()
        assert wait_for_status(client, "/", 200).status_code == 200
        assert client.get("/readyz").json()["checks"]["database"] == "ok"
