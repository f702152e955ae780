"""Testing a Valvomo plugin against a real, migrated database and the real app.

The fixtures come from the pytest plugin `valvomo.testing.plugin`, which installing Valvomo
registers (the `pytest11` entry point, as pytest-django does); these helpers are for tests to
import. Settings for tests come from the plugin's own pytest configuration:

    [tool.pytest.ini_options]
    asyncio_mode = "auto"
    asyncio_default_fixture_loop_scope = "session"
    asyncio_default_test_loop_scope = "session"
    valvomo_plugins = "laundry"          # enabled in tests (default: those of valvomo.toml)
    valvomo_config = "tests/valvomo.toml"  # optional: settings, [plugins.laundry] values
    valvomo_live_port = "0"              # the live server's port; 0 picks a free one
    valvomo_axe_timeout = "30"           # seconds an accessibility check may take
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from core.audit.services import SystemActor
from core.config import Settings, load_settings
from core.customers.services import create_customer
from core.db import transaction
from core.identity.services import create_user

PASSWORD = "correct-horse-battery"
SYSTEM = SystemActor(full_name="test setup")
PLUGINS_VARIABLE = "VALVOMO_TEST_PLUGINS"
_counter = itertools.count(1)


def settings_for_tests(
    database_url: str,
    var_dir: Path,
    config: Path | str | None = None,
    plugins: tuple[str, ...] | None = None,
) -> Settings:
    """valvomo.toml's settings (the given file, ./valvomo.toml or the installation's) on the
    test database; `plugins` (or VALVOMO_TEST_PLUGINS=a,b) chooses the enabled plugins."""
    settings = load_settings(config)
    enabled = settings.enabled_plugins if plugins is None else plugins
    if PLUGINS_VARIABLE in os.environ:
        enabled = tuple(p for p in os.environ[PLUGINS_VARIABLE].split(",") if p)
    return replace(
        settings,
        database_url=database_url,
        var_dir=var_dir,
        secret="test-secret-" + "x" * 32,
        development=True,  # the test clients speak plain http
        public_base_url="http://testserver.local",
        allowed_hosts=(*settings.allowed_hosts, "testserver.local", "t"),
        enabled_plugins=enabled,
        plugin_settings={k: v for k, v in settings.plugin_settings.items() if k in enabled},
    )


async def make_user(*roles: str, username: str | None = None) -> str:
    """A staff user holding `roles`, with the password PASSWORD; returns the username."""
    username = username or f"user{next(_counter)}"
    async with transaction():
        await create_user(
            SYSTEM,
            username=username,
            full_name=f"Test {username}",
            password=PASSWORD,
            role_codes=list(roles),
        )
    return username


def csrf(client: httpx.AsyncClient) -> str:
    return str(client.cookies.get("valvomo_csrf", ""))


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the real login form."""
    await client.get("/login")
    return await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": csrf(client), "next": "/"},
    )


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, Any]) -> Any:
    """Post a form with the CSRF token, as a browser would."""
    if not client.cookies.get("valvomo_csrf"):
        await client.get("/login")
    return await client.post(path, data={**data, "_csrf_token": csrf(client)})


_identity_numbers = itertools.count(2)


def identity_code(birth: str = "010150", sign: str = "-") -> str:
    """A new valid Finnish identity code for a test customer (a different one per call)."""
    from core.customers.validation import CHECK_CHARS

    number = f"{2 + next(_identity_numbers) % 897:03d}"
    return f"{birth}{sign}{number}{CHECK_CHARS[int(birth + number) % 31]}"


async def make_customer(municipalities: tuple[str, ...], **fields: Any) -> int:
    """A customer through core's own service (validated and audited); returns its id.
    `municipalities` are the region's (`runtime.settings.municipalities`)."""
    form = {
        "first_name": "Aino",
        "last_name": "Virtanen",
        "identity_code": identity_code(),
        "phone": "040 123 4567",
        "street_address": "Kauppakatu 1",
        "postal_code": "70100",
        "municipality": municipalities[0],
        "language": "fi",
        **fields,
    }
    async with transaction():
        return await create_customer(SYSTEM, form, municipalities)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_in_process(
    settings: Settings,
    var_dir: Path,
    theme: str = "default",
    port: int = 0,
    *,
    env: dict[str, str] | None = None,
    module: str = "valvomo.testing.serve",
) -> Iterator[str]:
    """Serve the app with these settings from another process until the generator is closed;
    yields its base URL. `module` may be a test suite's own variant of valvomo.testing.serve
    (for settings such as identity providers), `env` adds to the process's environment."""
    port = port or free_port()
    environment = {
        **os.environ,
        "VALVOMO_TEST_SERVE_PLUGINS": ",".join(settings.enabled_plugins),
        "VALVOMO_TEST_SERVE_THEME": theme,
        **(env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", module, str(port), settings.database_url, str(var_dir)],
        env=environment,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_until_serving(url: str, process: subprocess.Popen[bytes], seconds: int = 120) -> None:
    deadline = time.monotonic() + seconds  # a busy machine takes tens of seconds to import
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The test app process exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"The test app did not start in {seconds} seconds at {url}")


async def assert_accessible(page: Any, timeout: float = 30) -> None:
    """Fail on any serious or critical axe-core violation on the page; fail with a message
    (not hang) when the check takes longer than `timeout` seconds."""
    import asyncio

    from axe_playwright_python.async_playwright import Axe

    try:
        results = await asyncio.wait_for(Axe().run(page), timeout)
    except TimeoutError:
        raise AssertionError(
            f"The accessibility check of {page.url} took over {timeout} s: does the page keep "
            "loading (a request that never ends, a redirect loop)?"
        ) from None
    serious = [
        violation
        for violation in results.response["violations"]
        if violation.get("impact") in ("serious", "critical")
    ]
    assert not serious, f"axe-core violations on {page.url}: " + "; ".join(
        f"{v['id']}: {v['help']} ({len(v['nodes'])} elements)" for v in serious
    )
