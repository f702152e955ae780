"""The plugin host: a third-party package installed by entry point, and clear start-up errors."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from core.config import PROJECT_ROOT
from core.plugins.host import PluginError, installed_plugins
from core.web.app import build_runtime, create_app
from core.web.runtime import Runtime
from tests import database
from tests.conftest import settings_for_tests
from tests.core.test_customers import create
from tests.helpers import make_user, sign_in

HELLO_PACKAGE = PROJECT_ROOT / "tests" / "fixtures" / "valvomo-hello"


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder on sys.path where test packages are pip-installed, as a region would."""
    target = tmp_path_factory.mktemp("site-packages")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(HELLO_PACKAGE)],
        check=True, timeout=300,
    )  # fmt: skip
    broken = target / "valvomo_broken-0.1.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: valvomo-broken\nVersion: 0.1\n")
    (broken / "entry_points.txt").write_text(
        "[valvomo.plugins]\nbroken = valvomo_broken_module_that_does_not_exist\n"
    )
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    yield target
    sys.path.remove(str(target))
    for name in [m for m in sys.modules if m.startswith("valvomo_hello")]:
        del sys.modules[name]


def settings_with(runtime: Runtime, url: str, tmp: Path, **plugin_settings: dict) -> object:
    base = settings_for_tests(url, tmp)
    return replace(
        base,
        enabled_plugins=(*runtime.settings.enabled_plugins, *plugin_settings),
        plugin_settings={**base.plugin_settings, **plugin_settings},
    )


async def test_installed_plugin_is_discovered_with_its_version(site_dir: Path) -> None:
    hello = next(p for p in installed_plugins(["hello"]) if p.name == "hello")
    assert (hello.version, hello.distribution, hello.enabled) == ("1.2.3", "valvomo-hello", True)


async def test_third_party_plugin_gets_table_page_navigation_permission_and_panel(
    site_dir: Path, runtime: Runtime, tmp_path: Path
) -> None:
    url = await database.create_database(tmp_path)
    hello_runtime = build_runtime(
        settings_with(runtime, url, tmp_path, hello={"greeting": "Terve"})
    )  # type: ignore[arg-type]
    await hello_runtime.database.start()
    try:
        await hello_runtime.migrate()
        from valvomo_hello.tables import HelloNote  # type: ignore[import-not-found]

        app = create_app(runtime=hello_runtime)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.9", 1))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver.local", follow_redirects=True
        ) as client:
            await sign_in(client, await make_user("admin", "client_guidance"))
            page = await client.get("/hello")
            assert page.status_code == 200
            assert "Terve from a third-party plugin" in page.text
            assert 'href="/hello"' in page.text  # its navigation entry
            customer_id = await create(client)
            await HelloNote.insert(HelloNote(customer_id=customer_id, text="hei"))
            customer_page = await client.get(f"/customers/{customer_id}")
            assert "1 greeting notes" in customer_page.text
            assert "hello.view" in {p.code for p in hello_runtime.permissions}
            await sign_in(client, await make_user("home_care"))
            assert (await client.get("/hello")).status_code == 403
    finally:
        await hello_runtime.database.stop()
        runtime.activate()
        await database.drop_database(url)


async def test_unknown_plugin_is_a_start_up_error_naming_it(
    runtime: Runtime, tmp_path: Path
) -> None:
    settings = replace(runtime.settings, enabled_plugins=("no_such_plugin",), plugin_settings={})
    with pytest.raises(PluginError, match=r"'no_such_plugin'.*not installed"):
        build_runtime(settings)
    runtime.activate()


async def test_settings_for_a_disabled_plugin_are_a_start_up_error(
    site_dir: Path, runtime: Runtime
) -> None:
    settings = replace(runtime.settings, enabled_plugins=(), plugin_settings={"hello": {}})
    with pytest.raises(PluginError, match=r"'hello'.*disabled"):
        build_runtime(settings)
    runtime.activate()


async def test_plugin_that_fails_to_import_is_named(site_dir: Path, runtime: Runtime) -> None:
    settings = replace(runtime.settings, enabled_plugins=("broken",), plugin_settings={})
    with pytest.raises(PluginError, match=r"'broken'.*failed to load"):
        build_runtime(settings)
    runtime.activate()


async def test_plugin_with_invalid_settings_is_named(site_dir: Path, runtime: Runtime) -> None:
    settings = replace(
        runtime.settings, enabled_plugins=("hello",), plugin_settings={"hello": {"greeting": ""}}
    )
    with pytest.raises(PluginError, match=r"'hello'.*invalid settings.*greeting"):
        build_runtime(settings)
    runtime.activate()


async def test_new_plugin_scaffold_installs_migrates_and_serves(
    runtime: Runtime, tmp_path: Path
) -> None:
    created = subprocess.run(
        [sys.executable, "-m", "core.cli", "new-plugin", "laundry", "--path", str(tmp_path)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    package = tmp_path / "valvomo-laundry"
    assert (package / "valvomo_laundry" / "migrations").is_dir()
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(package)],
        check=True, timeout=300,
    )  # fmt: skip
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    url = await database.create_database(tmp_path)
    base = settings_for_tests(url, tmp_path)
    laundry = build_runtime(replace(base, enabled_plugins=(*base.enabled_plugins, "laundry")))
    await laundry.database.start()
    try:
        await laundry.migrate()
        transport = httpx.ASGITransport(app=create_app(runtime=laundry), client=("127.0.0.8", 1))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver.local", follow_redirects=True
        ) as client:
            await sign_in(client, await make_user("admin"))
            page = await client.get("/laundry")
            assert page.status_code == 200 and "0 notes" in page.text
    finally:
        await laundry.database.stop()
        runtime.activate()
        await database.drop_database(url)
        sys.path.remove(str(site))
