"""Needs-mapping ("kartoitin"): short question paths the region writes, leading a citizen to an
appointment type (optionally only some of its meeting modes) or to a ready answer instead of a
booking. The answers given travel with the booking to the professional.

A path is TOML text, checked when saved: every option leads somewhere that exists, no
question leads back to itself, every question is reached, types are public and modes are the
type's. A path that fails is refused with a message naming the question.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from plugins.booking.tables import AppointmentType, NeedsPath
from valvomo.api import (
    N_,
    Actor,
    Message,
    NotFound,
    Parse,
    ValidationFailed,
    VersionConflict,
    audit,
    current_language,
    gettext,
    parse_form,
)

LANGUAGES = ("fi", "sv", "en")
TARGETS = ("next", "type", "answer")
MAX_STEPS = 20
EXAMPLE = """start = "need"

[questions.need]
fi = "Mitä asiasi koskee?"
sv = "Vad gäller ditt ärende?"
en = "What is your matter about?"

[[questions.need.options]]
fi = "Lapsen tai perheen arki"
sv = "Barnets eller familjens vardag"
en = "A child's or the family's everyday life"
type = "ADVICE15"
modes = ["phone"]

[[questions.need.options]]
fi = "Aukioloajat"
sv = "Öppettider"
en = "Opening hours"
answer = "hours"

[answers.hours]
fi = "Toimipisteet ovat auki arkisin 8–16."
sv = "Verksamhetsställena är öppna vardagar 8–16."
en = "The offices are open on weekdays 8–16."
"""


@dataclass(frozen=True)
class Option:
    text: dict[str, str]
    next: str = ""
    type_code: str = ""
    answer: str = ""
    modes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    key: str
    text: dict[str, str]
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Path:
    start: str
    questions: dict[str, Question]
    answers: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """Where a citizen stands after the choices so far: a question, an answer or a type."""

    question: Question | None
    answer: dict[str, str] | None
    type_code: str
    modes: tuple[str, ...]
    given: list[dict[str, str]]  # [{"question": ..., "answer": ...}] in the citizen's language


def text_in(texts: dict[str, str], language: str | None = None) -> str:
    """The text in the page's language, Finnish when the region wrote no translation."""
    return texts.get(language or current_language.get(), "") or texts["fi"]


def _refuse(message: str, **values: Any) -> ValidationFailed:
    return ValidationFailed({"definition": gettext(message, **values)})


def _texts(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not isinstance(raw.get("fi"), str) or not raw["fi"].strip():
        raise _refuse(N_('%(where)s needs a Finnish text (fi = "…").'), where=where)
    return {lang: str(raw.get(lang, "")).strip() for lang in LANGUAGES}


def _option(raw: Any, where: str) -> Option:
    text = _texts(raw, where)
    targets = [t for t in TARGETS if raw.get(t)]
    if len(targets) != 1:
        raise _refuse(
            N_("%(where)s must lead to exactly one of: next question, type or answer."),
            where=where,
        )
    modes = raw.get("modes", [])
    if not isinstance(modes, list) or not all(isinstance(m, str) for m in modes):
        raise _refuse(N_('%(where)s: modes must be a list such as ["phone"].'), where=where)
    return Option(
        text=text,
        next=str(raw.get("next", "")),
        type_code=str(raw.get("type", "")),
        answer=str(raw.get("answer", "")),
        modes=tuple(modes),
    )


def _question(key: str, raw: Any) -> Question:
    where = gettext("Question %(key)s", key=key)
    options = raw.get("options") if isinstance(raw, dict) else None
    if not isinstance(options, list) or not options:
        raise _refuse(N_("%(where)s has no options: it would end nowhere."), where=where)
    return Question(
        key=key,
        text=_texts(raw, where),
        options=tuple(
            _option(o, gettext("%(where)s, option %(n)s", where=where, n=n))
            for n, o in enumerate(options, 1)
        ),
    )


def parse(source: str) -> Path:
    """The path's structure from its TOML text (ValidationFailed on the field `definition`)."""
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise _refuse(N_("The text is not valid TOML: %(error)s"), error=str(exc)) from exc
    questions = raw.get("questions")
    if not isinstance(questions, dict) or not questions:
        raise _refuse(N_("Write at least one question ([questions.KEY])."))
    answers = raw.get("answers", {})
    if not isinstance(answers, dict):
        raise _refuse(N_("Answers must be tables ([answers.KEY])."))
    return Path(
        start=str(raw.get("start", "")),
        questions={key: _question(key, value) for key, value in questions.items()},
        answers={
            key: _texts(value, gettext("Answer %(key)s", key=key)) for key, value in answers.items()
        },
    )


def _check_targets(path: Path, types: dict[str, dict[str, Any]]) -> None:
    for question in path.questions.values():
        for n, option in enumerate(question.options, 1):
            where = gettext("Question %(key)s, option %(n)s", key=question.key, n=n)
            if option.next and option.next not in path.questions:
                raise _refuse(
                    N_("%(where)s leads to the question %(target)s, which does not exist."),
                    where=where,
                    target=option.next,
                )
            if option.answer and option.answer not in path.answers:
                raise _refuse(
                    N_("%(where)s leads to the answer %(target)s, which does not exist."),
                    where=where,
                    target=option.answer,
                )
            if option.type_code:
                _check_type(option, types.get(option.type_code), where)


def _check_type(option: Option, appointment_type: dict[str, Any] | None, where: str) -> None:
    if appointment_type is None or not appointment_type["public"]:
        raise _refuse(
            N_("%(where)s: %(code)s is not an appointment type citizens can book."),
            where=where,
            code=option.type_code,
        )
    extra = [m for m in option.modes if m not in appointment_type["modes"]]
    if extra:
        raise _refuse(
            N_("%(where)s: the type %(code)s is not offered as %(modes)s."),
            where=where,
            code=option.type_code,
            modes=", ".join(extra),
        )


def _check_loops(path: Path) -> None:
    """Depth-first from the start: a question met again on its own way is a loop."""
    reached: set[str] = set()

    def visit(key: str, way: tuple[str, ...]) -> None:
        if key in way:
            loop = " → ".join((*way[way.index(key) :], key))
            raise _refuse(N_("The path loops: %(loop)s."), loop=loop)
        reached.add(key)
        for option in path.questions[key].options:
            if option.next:
                visit(option.next, (*way, key))

    visit(path.start, ())
    unreached = sorted(set(path.questions) - reached)
    if unreached:
        raise _refuse(N_("No option leads to the question %(keys)s."), keys=", ".join(unreached))


async def validate(source: str) -> Path:
    path = parse(source)
    if path.start not in path.questions:
        raise _refuse(N_('Name the first question: start = "KEY" of a [questions.KEY].'))
    rows = await AppointmentType.select(
        AppointmentType.code, AppointmentType.public, AppointmentType.modes
    )
    _check_targets(path, {r["code"]: r for r in rows})
    _check_loops(path)
    return path


def walk(path: Path, choices: list[int]) -> Step:
    """Follow the chosen option numbers (0-based) from the start; NotFound if they do not fit."""
    question = path.questions[path.start]
    given: list[dict[str, str]] = []
    for choice in choices[:MAX_STEPS]:
        if not 0 <= choice < len(question.options):
            raise NotFound("needs path choice")
        option = question.options[choice]
        given.append({"question": text_in(question.text), "answer": text_in(option.text)})
        if option.next:
            question = path.questions[option.next]
            continue
        if option.answer:
            return Step(None, path.answers[option.answer], "", (), given)
        return Step(None, None, option.type_code, option.modes, given)
    return Step(question, None, "", (), given)


def parse_choices(raw: str) -> list[int]:
    """ "0.2.1" → [0, 2, 1]; anything else is no choices."""
    parts = raw.split(".") if raw else []
    if len(parts) > MAX_STEPS or not all(p.isdigit() and len(p) < 3 for p in parts):
        return []
    return [int(p) for p in parts]


# -- storage --------------------------------------------------------------------------------


async def list_paths(active_only: bool = False) -> list[dict[str, Any]]:
    query = NeedsPath.select().order_by(NeedsPath.name)
    if active_only:
        query = query.where(NeedsPath.active.eq(True))
    return await query


async def get_path(path_id: int, active_only: bool = False) -> dict[str, Any]:
    row = await NeedsPath.select().where(NeedsPath.id == path_id).first()
    if row is None or (active_only and not row["active"]):
        raise NotFound("needs path")
    return row


class PathForm(msgspec.Struct, kw_only=True):
    """A path as its definition text (the structured editor's form becomes this too)."""

    name: Annotated[
        str,
        Meta(max_length=200),
        Message(N_("At most 200 characters."), missing=N_("Give the path a name.")),
    ]
    definition: Annotated[str, Parse(lambda text: text.replace("\r\n", "\n"))] = ""
    active: bool = False
    version: Annotated[int, Meta(ge=0)] = 0


def _clean(form: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """The path's values and the version they were read from."""
    values = msgspec.structs.asdict(parse_form(PathForm, form))
    return values, values.pop("version")


async def save_path(actor: Actor, path_id: int | None, form: dict[str, Any]) -> int:
    """Create or update a path after checking it; a stale version is a conflict."""
    values, version = _clean(form)
    await validate(values["definition"])
    if path_id is None:
        rows = await NeedsPath.insert(NeedsPath(**values)).returning(NeedsPath.id)
        new_id = int(rows[0]["id"])
        await audit.record(actor, "create", "booking_needs_path", new_id, after=values)
        return new_id
    before = await get_path(path_id)
    updated = (
        await NeedsPath.update(
            {
                NeedsPath.name: values["name"],
                NeedsPath.definition: values["definition"],
                NeedsPath.active: values["active"],
                NeedsPath.version: NeedsPath.version + 1,
            }
        )
        .where((NeedsPath.id == path_id) & (NeedsPath.version == version))
        .returning(NeedsPath.id)
    )
    if not updated:
        raise VersionConflict("booking_needs_path", before, values)
    await audit.record(
        actor,
        "update",
        "booking_needs_path",
        path_id,
        before={k: before[k] for k in values},
        after=values,
    )
    return path_id


async def step_for(raw: str, type_id: int) -> Step | None:
    """Where a citizen's answers ("<path id>:<choices>") led, if they lead to `type_id`."""
    path_id, _, choices = raw.partition(":")
    if not path_id.isdigit() or len(path_id) > 9:
        return None
    try:
        row = await get_path(int(path_id), active_only=True)
        step = walk(parse(row["definition"]), parse_choices(choices))
    except (NotFound, ValidationFailed):
        return None
    chosen = await AppointmentType.select(AppointmentType.code).where(AppointmentType.id == type_id)
    if not step.type_code or not chosen or chosen[0]["code"] != step.type_code:
        return None
    return step
