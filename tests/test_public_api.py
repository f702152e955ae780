"""The built-in plugins use the platform only through `valvomo.api`, as an outside plugin must."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import valvomo.api
from core.config import PROJECT_ROOT

pytestmark = pytest.mark.nodb


def core_imports(path: Path, root: Path = PROJECT_ROOT) -> list[str]:
    """`file:line module` for every import of `core` or a module under it in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            if module == "core" or module.startswith("core."):
                found.append(f"{path.relative_to(root)}:{node.lineno} {module}")
    return found


def test_built_in_plugins_import_the_platform_only_through_the_public_api() -> None:
    plugin_files = sorted(PROJECT_ROOT.glob("plugins/**/*.py"))
    offenders = [hit for path in plugin_files for hit in core_imports(path)]
    assert not offenders, "import these from valvomo.api instead:\n" + "\n".join(offenders)


def test_the_check_finds_an_import_of_core(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text(
        "from core.db import transaction\nimport core.labels\nfrom valvomo.api import N_\n",
        encoding="utf-8",
    )
    assert core_imports(module, tmp_path) == ["probe.py:1 core.db", "probe.py:2 core.labels"]


def test_every_public_name_exists_and_is_listed_once() -> None:
    names = valvomo.api.__all__
    assert len(names) == len(set(names))
    missing = [name for name in names if not hasattr(valvomo.api, name)]
    assert not missing
    documented = (PROJECT_ROOT / "docs" / "plugin-reference.md").read_text(encoding="utf-8")
    undocumented = [name for name in names if f"`{name}`" not in documented]
    assert not undocumented, f"add these to docs/plugin-reference.md: {undocumented}"


def test_a_command_starts_without_the_web_pages(tmp_path: Path) -> None:
    """`valvomo import` and the other commands load settings, plugins and the database only: the
    public API imports a name when a plugin first uses it, and no page module is needed."""
    probe = (
        "import sys\n"
        "from core.cli import load_runtime\n"
        "runtime = load_runtime()\n"
        "assert runtime.host.plugins\n"
        "pages = ['core.web.app', 'core.citizen.views', 'core.billing.views', 'fpdf',\n"
        "         'plugins.meals.views', 'plugins.booking.views']\n"
        "print(sorted(m for m in pages if m in sys.modules))\n"
    )
    env = {**os.environ, "VALVOMO_VAR_DIR": str(tmp_path), "VALVOMO_SECRET": "x" * 40}
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"
    # Every public name still resolves, to the object its module defines.
    from core.web.pages import render

    assert valvomo.api.render is render
    with pytest.raises(ImportError):
        exec("from valvomo.api import no_such_name", {})
