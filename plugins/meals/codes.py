"""The region's code lists of the meal service: special diets, allergies and textures.

valvomo.toml's `[plugins.meals]` seeds each list: a kind without stored rows is read from the
file, and the first change made on the admin pages stores the file's entries of that kind first,
so from then on the stored rows are the whole list (the file's list of that kind is no longer
read). Entries are renamed and retired, never deleted: a retired entry is not offered on forms,
but past lists and histories still show its label. An entry that a running service has now or
from a later day cannot be retired.

Each entry has a Finnish name (`label`) and may have a Swedish and an English one; a page shows
the name in its own language, the Finnish one where that is not given.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from plugins.meals.diets import (
    NO_SPECIAL_DIET,
    NORMAL_TEXTURE,
    DietChoice,
    choice_on,
    period_of_row,
)
from plugins.meals.forms import CodeNamesForm, NewCodeForm
from plugins.meals.settings import MealSettings, current
from plugins.meals.tables import MealCode, MealCodeVersion, MealDietPeriod, MealService
from valvomo.api import (
    N_,
    Actor,
    NotFound,
    ValidationFailed,
    audit,
    current_language,
    parse_form,
    today,
    update_versioned,
)

KINDS = {
    "diets": N_("Special diets"),
    "allergies": N_("Allergies"),
    "textures": N_("Textures"),
}
# "No special diet" and the normal texture are what a customer has without any choice
BASE_CODES = {"diets": NO_SPECIAL_DIET, "textures": NORMAL_TEXTURE}
CODE_LENGTH = 40


# The names an entry has besides the Finnish `label`: form field and column of each language
OTHER_LANGUAGES = {"sv": "label_sv", "en": "label_en"}


@dataclass(frozen=True)
class CodeEntry:
    kind: str
    code: str
    label: str  # the Finnish name
    retired: bool = False
    version: int = 0  # 0: a seed from valvomo.toml, not stored yet
    label_sv: str = ""
    label_en: str = ""

    @property
    def is_base(self) -> bool:
        return BASE_CODES.get(self.kind) == self.code

    @property
    def name(self) -> str:
        """The name in the language of the page, or the Finnish name where it has none."""
        column = OTHER_LANGUAGES.get(current_language.get())
        return (getattr(self, column) if column else "") or self.label

    @property
    def names(self) -> dict[str, str]:
        return {"label": self.label, "label_sv": self.label_sv, "label_en": self.label_en}


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(f"meal code list {kind}")
    return kind


def _seeds(kind: str, base: MealSettings) -> list[CodeEntry]:
    return [
        CodeEntry(
            kind,
            code,
            label,
            label_sv=base.other_names.get((kind, code, "sv"), ""),
            label_en=base.other_names.get((kind, code, "en"), ""),
        )
        for code, label in getattr(base, kind).items()
    ]


def _entry(row: dict[str, Any]) -> CodeEntry:
    return CodeEntry(
        row["kind"], row["code"], row["label"], row["retired"], row["version"],
        row["label_sv"], row["label_en"],
    )  # fmt: skip


# The stored entries as this process last read them, with the version token they were read
# at (`MealCodeVersion`). Every page of the meal service needs the lists; they change a few
# times a year.
_kept: dict[str, tuple[str, dict[str, list[CodeEntry]]]] = {}
_VERSION_SQL = "SELECT token FROM meals_code_version"


async def _stored_entries() -> dict[str, list[CodeEntry]]:
    """The stored entries of each kind in list order: kept in this process until another
    version token is read (one small statement instead of reading and building the lists).

    The token is read first: a change committed between the two reads leaves the lists kept
    under the older token, so the next request reads them again."""
    rows = await MealCode.raw(_VERSION_SQL)
    token = str(rows[0]["token"]) if rows else ""
    kept = _kept.get("lists")
    if kept is not None and kept[0] == token:
        return kept[1]
    stored: dict[str, list[CodeEntry]] = {kind: [] for kind in KINDS}
    for row in await MealCode.select().order_by(MealCode.position, MealCode.id):
        stored.setdefault(row["kind"], []).append(_entry(row))
    _kept["lists"] = (token, stored)
    return stored


async def _changed() -> None:
    """A new version token, in the transaction of a change to the lists: every process reads
    the lists again on its next request (and none does if the change is rolled back)."""
    await MealCodeVersion.delete(force=True)
    await MealCodeVersion.insert(MealCodeVersion(token=secrets.token_hex(16)))


async def all_entries(base: MealSettings | None = None) -> dict[str, list[CodeEntry]]:
    """Every kind's entries in list order: the stored ones, or the file's where none are."""
    base = base or current()
    stored = await _stored_entries()
    return {kind: list(stored[kind]) or _seeds(kind, base) for kind in KINDS}


async def with_codes(base: MealSettings) -> MealSettings:
    """`base` with the stored code lists: names of every entry in the language of the page
    (Finnish where an entry has no name in it), retired ones marked."""
    entries = await all_entries(base)

    def labels(kind: str) -> dict[str, str]:
        return {e.code: e.name for e in entries[kind]}

    retired = frozenset((e.kind, e.code) for items in entries.values() for e in items if e.retired)
    return dataclasses.replace(
        base,
        diets=labels("diets"),
        allergies=labels("allergies"),
        textures=labels("textures"),
        retired=retired,
    )


async def effective() -> MealSettings:
    """The region's settings as a request should use them (the file plus the stored lists)."""
    return await with_codes(current())


async def _store_seeds(kind: str) -> None:
    if await MealCode.exists().where(MealCode.kind == kind):
        return
    seeds = _seeds(kind, current())
    await MealCode.insert(
        *[
            MealCode(kind=kind, code=s.code, position=i, **s.names)  # type: ignore[arg-type]
            for i, s in enumerate(seeds)
        ]
    )
    await _changed()


async def _stored(kind: str, code: str) -> dict[str, Any]:
    row = await MealCode.select().where((MealCode.kind == kind) & (MealCode.code == code)).first()
    if row is None:
        raise NotFound(f"meal code {kind}:{code}")
    return row


async def entry(kind: str, code: str) -> CodeEntry:
    for item in (await all_entries())[check_kind(kind)]:
        if item.code == code:
            return item
    raise NotFound(f"meal code {kind}:{code}")


def _names(form: CodeNamesForm) -> dict[str, str]:
    return {"label": form.label, "label_sv": form.label_sv, "label_en": form.label_en}


def code_from(label: str) -> str:
    """A code for a new entry from its name: "Kananmuna" → "kananmuna", "Ei sianlihaa" →
    "ei_sianlihaa" (letters a–z, digits and underscores)."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")[:CODE_LENGTH]


def _same_label(
    entries: list[CodeEntry], label: str, except_code: str = "", column: str = "label"
) -> bool:
    return any(
        getattr(e, column).casefold() == label.casefold() and e.code != except_code for e in entries
    )


def _check_unique(
    entries: list[CodeEntry], names: dict[str, str], errors: dict[str, str], except_code: str = ""
) -> None:
    """A name the list has already, in the same language, is refused next to its field."""
    for column, name in names.items():
        if name and column not in errors and _same_label(entries, name, except_code, column):
            errors[column] = N_("The list has an entry with this name already.")


async def add(actor: Actor, kind: str, data: dict[str, Any]) -> CodeEntry:
    """A new entry at the end of the list."""
    entries = (await all_entries())[check_kind(kind)]
    form = parse_form(NewCodeForm, data)
    errors: dict[str, str] = {}
    label, names = form.label, _names(form)
    code = form.code or code_from(label)
    if not code:
        errors["code"] = N_("Enter a code of letters a–z, digits or underscores.")
    elif any(e.code == code for e in entries):
        errors["code"] = N_("The list has this code already.")
    _check_unique(entries, names, errors)
    if errors:
        raise ValidationFailed(errors)
    await _store_seeds(kind)
    rows = await MealCode.insert(
        MealCode(kind=kind, code=code, position=len(entries), **names)  # type: ignore[arg-type]
    ).returning(MealCode.id)
    await _changed()
    await audit.record(
        actor,
        "create",
        "meal_code",
        rows[0]["id"],
        after={"kind": kind, "code": code, **names},
    )
    return CodeEntry(
        kind, code, label, version=1, label_sv=names["label_sv"], label_en=names["label_en"]
    )


async def rename(
    actor: Actor, kind: str, code: str, version: int, data: dict[str, Any]
) -> CodeEntry:
    """New names for an entry (Finnish, Swedish, English); lists and histories show them from
    now on, past ones too."""
    entries = (await all_entries())[check_kind(kind)]
    old = await entry(kind, code)
    names = _names(parse_form(CodeNamesForm, data))
    errors: dict[str, str] = {}
    _check_unique(entries, names, errors, except_code=code)
    if errors:
        raise ValidationFailed(errors)
    row = await _stored_after_seeding(kind, code)
    await update_versioned(
        MealCode,
        row["id"],
        version if old.version else row["version"],
        {getattr(MealCode, column): name for column, name in names.items()},
        data,
    )
    await _changed()
    await audit.record(
        actor, "update", "meal_code", row["id"],
        before={"kind": kind, "code": code, **old.names},
        after={"kind": kind, "code": code, **names},
    )  # fmt: skip
    return dataclasses.replace(
        old, label=names["label"], label_sv=names["label_sv"], label_en=names["label_en"]
    )


async def _stored_after_seeding(kind: str, code: str) -> dict[str, Any]:
    await _store_seeds(kind)
    return await _stored(kind, code)


async def retire(actor: Actor, kind: str, code: str, version: int) -> None:
    """No longer offered; refused while a running service has the entry now or later."""
    old = await entry(kind, code)
    if old.is_base:
        raise ValidationFailed(
            {"retire": N_("A customer without any choice has this entry: it cannot be retired.")}
        )
    if await services_using(kind, code):
        raise ValidationFailed(
            {"retire": N_("Running meal services have this entry: change their diets first.")}
        )
    await _set_retired(actor, old, version, True)


async def restore(actor: Actor, kind: str, code: str, version: int) -> None:
    """A retired entry is offered again."""
    await _set_retired(actor, await entry(check_kind(kind), code), version, False)


async def _set_retired(actor: Actor, old: CodeEntry, version: int, retired: bool) -> None:
    row = await _stored_after_seeding(old.kind, old.code)
    await update_versioned(
        MealCode,
        row["id"],
        version if old.version else row["version"],
        {MealCode.retired: retired},
        {"version": version},
    )
    await _changed()
    await audit.record(
        actor, "update", "meal_code", row["id"],
        before={"kind": old.kind, "code": old.code, "retired": old.retired},
        after={"kind": old.kind, "code": old.code, "retired": retired},
    )  # fmt: skip


def _has(choice: DietChoice, kind: str, code: str) -> bool:
    if kind == "diets":
        return code in choice.diets
    if kind == "allergies":
        return code in choice.allergies
    return choice.texture == code


async def services_using(kind: str, code: str) -> list[int]:
    """Services with meals from today on whose diets today or from a later day hold the code."""
    day = today()
    running = (MealService.status != "ended") | (MealService.end_date >= day)
    services = await MealService.select(
        MealService.id, MealService.diet, MealService.start_date
    ).where(running)
    of_running = (MealDietPeriod.service.status != "ended") | (
        MealDietPeriod.service.end_date >= day
    )
    periods = await MealDietPeriod.select(
        MealDietPeriod.service,
        MealDietPeriod.valid_from,
        MealDietPeriod.diets,
        MealDietPeriod.allergies,
        MealDietPeriod.texture,
    ).where(of_running)
    by_service: dict[int, list[Any]] = {}
    for row in periods:
        by_service.setdefault(row["service"], []).append(period_of_row(row))
    using = []
    for service in services:
        own = by_service.get(service["id"], [])
        first = max(day, service["start_date"])
        choices = [choice_on(own, DietChoice.from_key(service["diet"]), first)]
        choices += [p.choice for p in own if p.valid_from > first]
        if any(_has(c, kind, code) for c in choices):
            using.append(service["id"])
    return using
