"""Fixtures: one migrated real database per test session (SQLite or PostgreSQL), emptied per test.

The fixtures themselves (runtime, db, app, client, login_as, make_customer, live_server, ...)
ship with Valvomo as the pytest plugin `valvomo.testing.plugin`, which plugins use too. Choose
the database with VALVOMO_TEST_DATABASE=sqlite|postgres. The enabled plugins are those of the
repository's valvomo.toml, or VALVOMO_TEST_PLUGINS=a,b while a plugin is being built.

To see whether tests depend on the wall clock, run them at a risky moment:
VALVOMO_TEST_FAKE_NOW="2026-11-26T03:30+02:00" moves this process's clock there for the whole
run and lets it tick on (time-machine; `pip install time-machine`, it is not a test dependency).
Only this process and the OIDC provider (tests/oidc_provider.py) are moved: worker and server
processes (tests/core/notifications/test_worker_processes.py, the closure worker test, the
browser tests), `valvomo` commands run as processes (e.g. the retention dry run) and the
databases' own now() keep the real clock, so use it with SQLite and leave those out. CI does
not set it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from core.common.log_privacy import IDENTITY_CODE
from core.config import PROJECT_ROOT, IdentitySettings, Settings
from core.web.runtime import Runtime
from tests.helpers import make_user, sign_in
from tests.oidc_provider import Provider, run_provider
from valvomo import testing


def settings_for_tests(database_url: str, var_dir: Path) -> Settings:
    """The repository's valvomo.toml on the test database (see valvomo.testing)."""
    return testing.settings_for_tests(database_url, var_dir, PROJECT_ROOT / "valvomo.toml")


# The outside plugin's own tests run in its own environment (tests/test_outside_plugin.py).
collect_ignore = ["fixtures"]

FAKE_NOW = "VALVOMO_TEST_FAKE_NOW"


def pytest_configure(config: pytest.Config) -> None:
    """With VALVOMO_TEST_FAKE_NOW set, the run's clock starts at that moment (see the top)."""
    moment = os.environ.get(FAKE_NOW)
    if not moment:
        return
    try:
        import time_machine
    except ImportError as error:
        raise pytest.UsageError(
            f"{FAKE_NOW} needs time-machine: pip install time-machine"
        ) from error
    traveller = time_machine.travel(dt.datetime.fromisoformat(moment), tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)


CAPTURED_LOG: list[Path] = []
CAPTURE_HANDLERS: list[logging.Handler] = []


@pytest.fixture(scope="session", autouse=True)
def log_of_the_whole_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every log record of the run (INFO and up, tracebacks included) goes to one file, which
    tests/test_zz_log_privacy.py and this fixture's teardown search for identity codes."""
    path = tmp_path_factory.mktemp("logs") / "run.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(min(previous_level or logging.INFO, logging.INFO))
    CAPTURED_LOG.append(path)
    CAPTURE_HANDLERS.append(handler)
    yield path
    root.removeHandler(handler)
    root.setLevel(previous_level)
    handler.close()
    found = IDENTITY_CODE.findall(path.read_text(encoding="utf-8"))
    assert not found, f"identity codes in the logs of this run: {len(found)}"


@pytest.fixture(autouse=True)
def keep_capturing_logs() -> Iterator[None]:
    """A test that configures logging (as `valvomo serve` does) replaces the root handlers; the
    run's capture goes back on after it, so the rest of the run is still searched."""
    yield
    root = logging.getLogger()
    for handler in CAPTURE_HANDLERS:
        if handler not in root.handlers:
            root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


@pytest.fixture(autouse=True)
def clean_database(request: pytest.FixtureRequest) -> None:
    """Each test starts from a migrated, empty database with the roles in place (the shipped
    `db` fixture), unless it is marked `nodb`; either way bound to the session runtime's
    database and audit keys (a test composing its own runtime rebinds both)."""
    if "nodb" in request.keywords:
        request.getfixturevalue("runtime").activate()
    else:
        request.getfixturevalue("db")  # activates the runtime too


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client signed in as an administrator who also has client guidance's rights."""
    username = await make_user("admin", "client_guidance")
    response = await sign_in(client, username)
    assert response.status_code == 200, response.text
    return client


def serve_in_process(
    runtime: Runtime, var_dir: Path, theme: str = "default", env: dict[str, str] | None = None
) -> Iterator[str]:
    """Serve the app (in `theme`) from another process until the generator is closed; the
    suite's own serving module can make the local OIDC provider the citizens' broker."""
    yield from testing.serve_in_process(
        runtime.settings,
        var_dir,
        theme,
        env={"PYTHONPATH": str(PROJECT_ROOT), **(env or {})},
        module="tests.browser.serve_test_app",
    )


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[Provider]:
    """A real OpenID Connect provider process on 127.0.0.1 (staff SSO and citizens' broker)."""
    yield from run_provider()


def with_identity_providers(runtime: Runtime, identity: IdentitySettings) -> Runtime:
    """The same runtime and database with other `[identity]` settings."""
    return replace(runtime, settings=replace(runtime.settings, identity=identity))


@pytest.fixture(scope="module")
def citizen_site(runtime: Runtime, oidc_provider: Provider) -> Litestar:
    """The app with the local OIDC provider as the citizens' identification broker."""
    from tests.citizens import citizen_app

    return citizen_app(runtime, oidc_provider.issuer)


@pytest.fixture
async def citizen_client(citizen_site: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `citizen_site`, signed in as nobody yet."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=citizen_site, client=("127.0.0.1", 50000)),
        base_url="http://testserver.local",
        follow_redirects=True,
    ) as client:
        yield client
