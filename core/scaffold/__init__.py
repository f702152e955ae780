"""`valvomo new-plugin NAME`: a new plugin package with the standard shape, ready to install."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

TEMPLATE_DIR = Path(__file__).parent / "template"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class ScaffoldError(Exception):
    pass


def create_plugin(name: str, parent: Path) -> Path:
    """Write `valvomo-<name>/` under `parent`; returns the new folder."""
    if not NAME_PATTERN.match(name):
        raise ScaffoldError(
            "Use 2–40 lowercase letters, digits or underscores, starting with a letter."
        )
    target = parent / f"valvomo-{name.replace('_', '-')}"
    if target.exists():
        raise ScaffoldError(f"{target} already exists")
    values = {
        "name": name,
        "Name": name.replace("_", " ").title().replace(" ", ""),
        "title": name.replace("_", " ").capitalize(),
        "dist": target.name,
    }
    for source in sorted(TEMPLATE_DIR.rglob("*")):
        if source.is_dir() or source.suffix == ".pyc" or "__pycache__" in source.parts:
            continue
        relative = source.relative_to(TEMPLATE_DIR).as_posix()
        relative = relative.replace("package/", f"valvomo_{name}/").replace("NAME", name)
        destination = target / relative.removesuffix(".tmpl")
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(
            Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8"
        )
    return target
