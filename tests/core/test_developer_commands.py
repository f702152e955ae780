"""`valvomo migrations new|check` and `valvomo catalogues update|check` work on any enabled
plugin, from any folder, and touch nothing that is not theirs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from piccolo.columns import Integer, Varchar
from piccolo.conf.apps import AppConfig
from piccolo.table import Table

from core.config import PROJECT_ROOT
from core.plugins.tooling import new_migration, schema_differences

pytestmark = pytest.mark.nodb


def valvomo(args: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    """Run the `valvomo` command in another folder than the checkout, as a developer would."""
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=folder,
        env={
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "VALVOMO_DATABASE_URL": f"sqlite:///{folder}/dev.sqlite3",
            "COLUMNS": "200",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


class ProbeNote(Table, tablename="probe_note"):
    text = Varchar(length=50)
    stars = Integer(default=0)


def probe_app(folder: Path) -> AppConfig:
    package = folder / "probe_migrations"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    return AppConfig(
        app_name="probe", migrations_folder_path=str(package), table_classes=[ProbeNote]
    )


async def test_a_table_without_a_migration_is_found_and_a_new_migration_covers_it(
    tmp_path: Path,
) -> None:
    config = probe_app(tmp_path)
    missing = await schema_differences(config)
    assert any("probe_note" in statement for statement in missing)

    written = await new_migration(config, "probe notes")
    assert written is not None and written.parent == tmp_path / "probe_migrations"
    assert "stars" in written.read_text()
    assert await schema_differences(config) == []
    assert await new_migration(config) is None  # nothing changed since


def test_migrations_check_passes_for_core_and_the_built_in_plugins(tmp_path: Path) -> None:
    result = valvomo(["migrations", "check"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "match their migrations" in result.stdout


def test_migrations_new_names_the_choices_for_an_unknown_plugin(tmp_path: Path) -> None:
    result = valvomo(["migrations", "new", "laundry"], tmp_path)
    assert result.returncode == 2
    assert "'laundry' is not an enabled plugin" in result.stdout
    assert "meals" in result.stdout


def test_catalogues_update_of_one_plugin_leaves_every_other_catalogue_alone(
    tmp_path: Path,
) -> None:
    others = {
        path: path.read_bytes()
        for path in PROJECT_ROOT.glob("**/locale/*/LC_MESSAGES/messages.po")
        if "security_phones" not in path.parts and ".venv" not in path.parts
    }
    result = valvomo(["catalogues", "update", "security_phones"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "security_phones/locale" in result.stdout
    changed = [str(path) for path, before in others.items() if path.read_bytes() != before]
    assert not changed


def test_catalogues_check_passes_and_names_an_unknown_plugin(tmp_path: Path) -> None:
    checked = valvomo(["catalogues", "check"], tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert "is translated" in checked.stdout
    unknown = valvomo(["catalogues", "check", "laundry"], tmp_path)
    assert unknown.returncode == 2
    assert "'laundry' is not an enabled plugin" in unknown.stdout
