"""A plugin's mistakes are caught at start-up, with the plugin's name and the fix in one line,
instead of a panel that never appears, a 500 on every page or a silent 403."""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from core import i18n
from core.config import PROJECT_ROOT
from core.plugins.checks import check_schema
from core.plugins.host import PluginError
from core.web.app import build_runtime, create_app
from core.web.runtime import Runtime
from tests.core.test_customers import create

HEADER = "from typing import Any\nfrom valvomo.api import Panel, Permission, hookimpl\n"

MakePlugin = Callable[..., str]


@pytest.fixture
def make_plugin(tmp_path: Path) -> Iterator[MakePlugin]:
    """Install a one-module plugin by entry point; returns its name."""
    site = tmp_path / "site"
    made: list[str] = []

    def make(name: str, source: str, files: dict[str, str] | None = None) -> str:
        package = site / f"valvomo_{name}"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(HEADER + textwrap.dedent(source))
        for relative, text in (files or {}).items():
            (package / relative).parent.mkdir(parents=True, exist_ok=True)
            (package / relative).write_text(text)
        info = site / f"valvomo_{name}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: valvomo-{name}\nVersion: 0.1\n"
        )
        (info / "entry_points.txt").write_text(f"[valvomo.plugins]\n{name} = valvomo_{name}\n")
        importlib.invalidate_caches()
        made.append(name)
        return name

    sys.path.insert(0, str(site))
    yield make
    sys.path.remove(str(site))
    for name in made:
        sys.modules.pop(f"valvomo_{name}", None)


def start(runtime: Runtime, *plugins: str) -> Runtime:
    """Start an installation with these plugins; the session's database and translations
    (which starting replaces) are put back afterwards."""
    settings = replace(runtime.settings, enabled_plugins=plugins, plugin_settings={})
    try:
        return build_runtime(settings)
    finally:
        runtime.database.activate()
        i18n.load_catalogues(runtime.host.locale_dirs())


async def test_a_misspelled_hook_is_named_with_the_right_one(
    runtime: Runtime, make_plugin: MakePlugin
) -> None:
    name = make_plugin(
        "misspelt",
        """
        @hookimpl
        def valvomo_custmer_panels(customer: Any, user: Any) -> list[Panel]:
            return []
        """,
    )
    with pytest.raises(PluginError) as refused:
        start(runtime, name)
    assert str(refused.value) == (
        "Plugin 'misspelt': valvomo_custmer_panels is not a Valvomo hook; "
        "did you mean valvomo_customer_panels?"
    )


async def test_a_hook_asking_for_an_argument_the_hook_does_not_give_is_named(
    runtime: Runtime, make_plugin: MakePlugin
) -> None:
    name = make_plugin(
        "wrongarg",
        """
        @hookimpl
        def valvomo_customer_panels(client: Any, user: Any) -> list[Panel]:
            return []
        """,
    )
    with pytest.raises(PluginError) as refused:
        start(runtime, name)
    assert str(refused.value) == (
        "Plugin 'wrongarg': valvomo_customer_panels asks for client, which the hook does not "
        "give; it gives customer, user"
    )


async def test_a_template_shadowing_cores_is_named_with_the_fix(
    runtime: Runtime, make_plugin: MakePlugin
) -> None:
    name = make_plugin(
        "shadow",
        """
        from pathlib import Path

        @hookimpl
        def valvomo_template_dir() -> Path:
            return Path(__file__).parent / "templates"
        """,
        {"templates/layout.html": "mine"},
    )
    with pytest.raises(PluginError) as refused:
        create_app(runtime=start(runtime, name))
    runtime.database.activate()
    assert str(refused.value) == (
        "Plugin 'shadow': template layout.html has the name of core's and would replace it; "
        "put the plugin's templates under templates/shadow/"
    )


async def test_a_template_shadowing_another_plugins_is_named(
    runtime: Runtime, make_plugin: MakePlugin
) -> None:
    name = make_plugin(
        "copycat",
        """
        from pathlib import Path

        @hookimpl
        def valvomo_template_dir() -> Path:
            return Path(__file__).parent / "templates"
        """,
        {"templates/meals/panel.html": "mine"},
    )
    existing = (PROJECT_ROOT / "plugins/meals/templates/meals/panel.html").is_file()
    assert existing, "the test needs a template name of the meals plugin"
    with pytest.raises(PluginError, match=r"'copycat': template meals/panel.html has the name of "
                       r"plugin 'meals''s"):  # fmt: skip
        create_app(runtime=start(runtime, "meals", name))
    runtime.database.activate()


async def test_a_route_without_an_access_rule_is_named_with_the_fix(
    runtime: Runtime, make_plugin: MakePlugin
) -> None:
    name = make_plugin(
        "open",
        """
        from litestar import get

        @get("/open-door")
        async def door() -> str:
            return "in"

        @hookimpl
        def valvomo_route_handlers() -> list[Any]:
            return [door]
        """,
    )
    with pytest.raises(PluginError, match=r"^Plugin 'open': route /open-door has no access rule; "
                       r"add opt=\{'permission'"):  # fmt: skip
        create_app(runtime=start(runtime, name))
    runtime.database.activate()


async def test_a_table_without_its_migration_is_named_with_the_command(
    runtime: Runtime, make_plugin: MakePlugin
) -> None:
    name = make_plugin(
        "unmigrated",
        """
        @hookimpl
        def valvomo_piccolo_app() -> str:
            return "valvomo_unmigrated.app"
        """,
        {
            "app.py": textwrap.dedent(
                """
                from pathlib import Path
                from piccolo.columns import Varchar
                from piccolo.conf.apps import AppConfig
                from piccolo.table import Table

                class Note(Table, tablename="unmigrated_note"):
                    text = Varchar()

                APP_CONFIG = AppConfig(
                    app_name="unmigrated",
                    migrations_folder_path=str(Path(__file__).parent / "migrations"),
                    table_classes=[Note],
                )
                """
            ),
            "migrations/__init__.py": "",
        },
    )
    with pytest.raises(PluginError) as refused:
        await check_schema(start(runtime, name).host)
    runtime.database.activate()
    assert str(refused.value) == (
        "Plugin 'unmigrated': the tables of app 'unmigrated' differ from its migrations; "
        "run `valvomo migrations new unmigrated`, then `valvomo migrate`"
    )


async def test_the_built_in_plugins_pass_every_start_up_check(runtime: Runtime) -> None:
    create_app(runtime=runtime)
    await check_schema(runtime.host)


async def test_a_hook_failing_at_start_up_is_one_line_and_listed_as_failed(
    runtime: Runtime, make_plugin: MakePlugin, tmp_path: Path
) -> None:
    name = make_plugin(
        "crashing",
        """
        @hookimpl
        def valvomo_configure(settings: dict[str, Any]) -> None:
            raise KeyError("price_per_kg")
        """,
    )
    (tmp_path / "valvomo.toml").write_text(f'[plugins]\nenabled = ["{name}"]\n')
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(PROJECT_ROOT)]),
        "VALVOMO_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "COLUMNS": "200",
    }

    def valvomo(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "core.cli", *args]
        return subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )

    started = valvomo("migrate")
    assert started.returncode == 2
    assert started.stdout.strip() == (
        "Valvomo cannot start: Plugin 'crashing': failed to start (KeyError: 'price_per_kg')"
    )
    assert "Traceback" not in started.stderr
    listed = valvomo("plugins")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "valvomo-crashing" in line)
    assert "FAILED" in row
    assert "Failed: Plugin 'crashing': failed to start" in listed.stdout


async def test_a_hook_failing_at_request_time_is_logged_with_the_plugins_name(
    runtime: Runtime, admin: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    class Faulty:
        @staticmethod
        async def valvomo_customer_panels(customer: object, user: object) -> list[object]:
            raise ZeroDivisionError("division by zero")

    from core.plugins import hookimpl

    hookimpl(Faulty.valvomo_customer_panels)
    customer_id = await create(admin)
    runtime.host.pm.register(Faulty, name="faulty")
    try:
        with caplog.at_level(logging.ERROR):
            page = await admin.get(f"/customers/{customer_id}")
    finally:
        runtime.host.pm.unregister(name="faulty")
    assert page.status_code == 500
    assert "Plugin 'faulty': valvomo_customer_panels failed (ZeroDivisionError" in caplog.text
