"""Finding the translatable messages of core and each plugin (developer tooling and tests).

A locale folder `X/locale` translates the messages found in the package `X`, except in
sub-packages that have a locale folder of their own. Core's folder also covers themes/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from core.config import PROJECT_ROOT

LANGUAGES = ("fi", "sv")
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def locale_dirs() -> list[Path]:
    found = [PROJECT_ROOT / "core" / "locale"]
    found += sorted(PROJECT_ROOT.glob("core/*/locale"))
    found += sorted(PROJECT_ROOT.glob("plugins/*/locale"))
    return [d for d in found if d.is_dir()]


def _source_roots(locale_dir: Path) -> list[Path]:
    package = locale_dir.parent
    return [package, PROJECT_ROOT / "themes"] if package.name == "core" else [package]


def messages(locale_dir: Path) -> dict[str, tuple[str, ...]]:
    """msgid (singular) → msgid and plural forms, for every message the folder must translate."""
    package = locale_dir.parent
    # Sub-packages with a locale folder of their own translate their own messages.
    own_locales = {d.parent for d in locale_dirs() if package in d.parent.parents}
    found: dict[str, tuple[str, ...]] = {}
    for root in _source_roots(locale_dir):
        for filename, _line, message, _comments, _ctx in extract_from_dir(
            str(root), METHOD_MAP, OPTIONS, KEYWORDS
        ):
            path = root / filename
            if any(other in path.parents for other in own_locales) or "migrations" in path.parts:
                continue
            forms = message if isinstance(message, tuple) else (message,)
            if forms[0]:
                found[forms[0]] = tuple(forms)
    return found


def po_path(locale_dir: Path, language: str) -> Path:
    return locale_dir / language / "LC_MESSAGES" / "messages.po"


def read_catalogue(locale_dir: Path, language: str) -> Catalog:
    path = po_path(locale_dir, language)
    if not path.exists():
        return Catalog(locale=language, charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def untranslated(locale_dir: Path, language: str) -> Iterator[str]:
    catalogue = read_catalogue(locale_dir, language)
    for msgid, forms in messages(locale_dir).items():
        entry = catalogue.get(forms if len(forms) > 1 else msgid)
        strings = entry.string if entry else ""
        if not entry or not all(strings if isinstance(strings, tuple) else (strings,)):
            yield msgid


def update(locale_dir: Path) -> dict[str, int]:
    """Add missing messages (untranslated) to the folder's catalogues; returns how many."""
    added = {}
    found = messages(locale_dir)
    for language in LANGUAGES:
        catalogue = read_catalogue(locale_dir, language)
        before = len(catalogue)
        for msgid, forms in found.items():
            key = forms if len(forms) > 1 else msgid
            if catalogue.get(key) is None:
                catalogue.add(key, ("", "") if len(forms) > 1 else "")
        added[language] = len(catalogue) - before
        path = po_path(locale_dir, language)
        if added[language] == 0 and path.exists():
            continue  # nothing new: the file stays byte for byte as it is
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalogue, width=100, omit_header=False, sort_output=True)
    return added
