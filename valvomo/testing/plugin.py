"""The pytest plugin for Valvomo and its plugins (registered by the `pytest11` entry point).

Fixtures: `runtime` (settings, plugins and one migrated real database per session: SQLite, or
PostgreSQL with VALVOMO_TEST_DATABASE=postgres), `db` (the database emptied for this test,
roles in place), `app`, `client` (an HTTP client on the app), `login_as` (sign the client in
as a new user with roles), `make_customer`, `make_user`, `live_server` (a real server process),
`browser` and `page` (real Chromium) and `axe_check` (an accessibility check with a timeout).
Settings: see `valvomo.testing`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from litestar import Litestar

from core.identity.services import sync_roles
from core.web.app import build_runtime, create_app
from core.web.runtime import Runtime
from valvomo import testing
from valvomo.testing import database

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("valvomo_config", "valvomo.toml for the tests (default: ./valvomo.toml)")
    parser.addini("valvomo_plugins", "plugins enabled in the tests, comma-separated")
    parser.addini(
        "valvomo_live_port", "port of the live_server fixture; 0: a free one", default="0"
    )
    parser.addini("valvomo_axe_timeout", "seconds an accessibility check may take", default="30")
    parser.addini("valvomo_chromium", "Chromium executable", default="/usr/bin/chromium")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "nodb: needs no database")
    config.addinivalue_line("markers", "browser: drives real Chromium")


def _ini(config: pytest.Config, name: str) -> str:
    return str(config.getini(name) or "").strip()


def _config_path(config: pytest.Config) -> Path | None:
    value = _ini(config, "valvomo_config")
    return Path(config.rootpath, value) if value else None


def _plugins(config: pytest.Config) -> tuple[str, ...] | None:
    value = _ini(config, "valvomo_plugins")
    return tuple(p.strip() for p in value.split(",") if p.strip()) if value else None


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def runtime(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Runtime]:
    """The installation under test on a new, migrated real database (dropped afterwards)."""
    tmp = tmp_path_factory.mktemp("valvomo")
    url = await database.create_database(tmp)
    settings = testing.settings_for_tests(
        url, tmp, _config_path(request.config), _plugins(request.config)
    )
    runtime = build_runtime(settings)
    await runtime.database.start()
    try:
        await runtime.migrate()
        yield runtime
    finally:
        await runtime.database.stop()
        await database.drop_database(url)


@pytest_asyncio.fixture(loop_scope="session")
async def db(runtime: Runtime) -> Runtime:
    """The migrated database, emptied for this test, with the roles of every plugin in place;
    the session runtime's database and audit keys are the process's own again (a test that
    composed another runtime rebinds both)."""
    runtime.activate()
    await database.empty_all_tables(runtime)
    async with runtime.database.transaction():
        await sync_roles(runtime.roles, runtime.permissions)
    return runtime


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> Litestar:
    return create_app(runtime=runtime)


@pytest_asyncio.fixture(loop_scope="session")
async def client(app: Litestar, db: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in this event loop (the database pool lives here)."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=True
    ) as test_client:
        yield test_client


@pytest.fixture
def login_as(client: httpx.AsyncClient) -> Callable[..., Awaitable[httpx.AsyncClient]]:
    """`await login_as("laundry_coordinator")`: the client, signed in as a new user holding
    the roles."""

    async def sign_in_as(*roles: str) -> httpx.AsyncClient:
        response = await testing.sign_in(client, await testing.make_user(*roles))
        assert response.status_code == 200, f"signing in as {roles} failed: {response.text}"
        return client

    return sign_in_as


@pytest.fixture
def make_user(db: Runtime) -> Callable[..., Awaitable[str]]:
    """`await make_user("admin")`: a new staff user's username (password testing.PASSWORD)."""
    return testing.make_user


@pytest.fixture
def make_customer(db: Runtime) -> Callable[..., Awaitable[int]]:
    """`await make_customer(last_name="Nieminen")`: a new customer's id."""

    async def make(**fields: Any) -> int:
        return await testing.make_customer(db.settings.municipalities, **fields)

    return make


@pytest.fixture(scope="session")
def live_server(
    request: pytest.FixtureRequest, runtime: Runtime, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL of a server process on this session's database (port: valvomo_live_port)."""
    port = int(_ini(request.config, "valvomo_live_port") or 0)
    yield from testing.serve_in_process(
        runtime.settings, tmp_path_factory.mktemp("live"), port=port
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """Real Chromium (valvomo_chromium or VALVOMO_CHROMIUM); fails when it is missing."""
    from playwright.async_api import async_playwright

    path = os.environ.get("VALVOMO_CHROMIUM") or _ini(request.config, "valvomo_chromium")
    if not Path(path).exists():
        raise RuntimeError(f"Chromium is required for browser tests: {path} not found")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Any) -> AsyncIterator[Any]:
    """A Finnish-language page in its own browser context."""
    context = await browser.new_context(locale="fi-FI", timezone_id="Europe/Helsinki")
    yield await context.new_page()
    await context.close()


@pytest.fixture
def axe_check(request: pytest.FixtureRequest) -> Callable[[Any], Awaitable[None]]:
    """`await axe_check(page)`: no serious or critical axe-core violation, within the timeout."""
    timeout = float(_ini(request.config, "valvomo_axe_timeout") or 30)

    async def check(page: Any) -> None:
        await testing.assert_accessible(page, timeout)

    return check
