"""The built-in plugins use the platform only through `valvomo.api`, as an outside plugin must."""

from __future__ import annotations

import ast
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
