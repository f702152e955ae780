"""The needs-mapping path as a form: numbered questions, each with its options, and numbered
ready answers, each text in fi/sv/en. An option leads to a question, an appointment type or an
answer (one select) and may limit the type's meeting modes (checkboxes).

The fields are declared on core's form layer (`msgspec.defstruct`, since how many questions and
options there are is known only from the path); what needs the whole path (an option leading
to an empty question, a loop, a question no option leads to, a type's modes) is checked after,
each problem on the field it concerns. The path is stored as the TOML text the citizen pages
read (`needs.parse`), written here; questions are keyed `q1`, `q2` … and answers `a1` …,
question 1 is the first. Blank rows are left out, so every form has room for one more
question, two more options per question and one more answer without JavaScript.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from plugins.booking import needs
from plugins.booking.bookings import MODES
from plugins.booking.reminders import MODE_NAMES
from valvomo.api import N_, Message, OneOf, ValidationFailed, gettext, parse_form

MAX_QUESTIONS = 20
MAX_OPTIONS = 10
MAX_ANSWERS = 20
SPARE_OPTIONS = 2
LANGUAGES = needs.LANGUAGES
QUESTION_FIELD = re.compile(r"^q(\d{1,2})_fi$")
OPTION_FIELD = re.compile(r"^q(\d{1,2})_o(\d{1,2})_fi$")
ANSWER_FIELD = re.compile(r"^a(\d{1,2})_fi$")

ShortText = Annotated[str, Meta(max_length=500), Message(N_("At most 500 characters."))]
LongText = Annotated[str, Meta(max_length=2000), Message(N_("At most 2,000 characters."))]
Target = Annotated[str, Message(N_("Choose where the option leads."))]
Modes = Annotated[list[str], OneOf(MODES), Message(N_("Choose from the listed modes."))]


class Layout(msgspec.Struct, frozen=True):
    """How many questions, options per question and answers the form has."""

    options: tuple[int, ...]  # per question
    answers: int

    @property
    def questions(self) -> int:
        return len(self.options)

    def with_spares(self) -> Layout:
        """Room for one more question and answer and two more options in each question."""
        options = (*(n + SPARE_OPTIONS for n in self.options), SPARE_OPTIONS)
        return Layout(
            options=tuple(min(n, MAX_OPTIONS) for n in options[:MAX_QUESTIONS]),
            answers=min(self.answers + 1, MAX_ANSWERS),
        )


def layout_of(data: Mapping[str, Any]) -> Layout:
    """The layout of a submitted form, from its Finnish text fields."""
    questions = [int(m[1]) for k in data if (m := QUESTION_FIELD.match(k))]
    options: dict[int, int] = {}
    for key in data:
        if match := OPTION_FIELD.match(key):
            q, o = int(match[1]), int(match[2])
            options[q] = max(options.get(q, 0), o)
    answers = [int(m[1]) for k in data if (m := ANSWER_FIELD.match(k))]
    count = min(max(questions, default=1), MAX_QUESTIONS)
    return Layout(
        options=tuple(min(options.get(q, 0), MAX_OPTIONS) for q in range(1, count + 1)),
        answers=min(max(answers, default=0), MAX_ANSWERS),
    )


def form_class(layout: Layout) -> type[msgspec.Struct]:
    """The path form's fields for this layout."""
    fields: list[tuple[str, Any, Any]] = [
        (
            "name",
            Annotated[str, Meta(max_length=200), Message(missing=N_("Give the path a name."))],
            msgspec.NODEFAULT,
        ),
        ("active", bool, False),
    ]
    for q, options in enumerate(layout.options, 1):
        fields += [(f"q{q}_{lang}", ShortText, "") for lang in LANGUAGES]
        for o in range(1, options + 1):
            fields += [(f"q{q}_o{o}_{lang}", ShortText, "") for lang in LANGUAGES]
            fields += [(f"q{q}_o{o}_to", Target, ""), (f"q{q}_o{o}_modes", Modes, [])]
    for a in range(1, layout.answers + 1):
        fields += [(f"a{a}_{lang}", LongText, "") for lang in LANGUAGES]
    return msgspec.defstruct("NeedsPathForm", fields, kw_only=True)


def targets(layout: Layout, type_codes: list[str]) -> list[str]:
    return [
        *(f"question:{q}" for q in range(1, layout.questions + 1)),
        *(f"answer:{a}" for a in range(1, layout.answers + 1)),
        *(f"type:{code}" for code in type_codes),
    ]


def _texts(values: dict[str, Any], prefix: str) -> dict[str, str]:
    return {lang: str(values[f"{prefix}_{lang}"]).strip() for lang in LANGUAGES}


def _blank(texts: dict[str, str]) -> bool:
    return not any(texts.values())


def _need_finnish(texts: dict[str, str], prefix: str, errors: dict[str, str]) -> None:
    if not _blank(texts) and not texts["fi"]:
        errors[f"{prefix}_fi"] = N_(
            "Write the text in Finnish too (Swedish and English are optional)."
        )


def _option(
    values: dict[str, Any],
    prefix: str,
    types: Mapping[str, dict[str, Any]],
    errors: dict[str, str],
) -> needs.Option | None:
    texts = _texts(values, prefix)
    target = str(values[f"{prefix}_to"])
    modes = tuple(m for m in MODES if m in values[f"{prefix}_modes"])
    if _blank(texts) and not target:
        return None
    _need_finnish(texts, prefix, errors)
    if _blank(texts):
        errors[f"{prefix}_fi"] = N_("Write the option's text.")
    kind, _, key = target.partition(":")
    if not target:
        errors[f"{prefix}_to"] = N_("Choose where the option leads.")
    elif kind == "type":
        _check_type(types[key], modes, prefix, errors)
    elif modes:
        errors[f"{prefix}_modes"] = N_("Meeting modes are chosen only for an appointment type.")
    return needs.Option(
        text=texts,
        next=f"q{key}" if kind == "question" else "",
        type_code=key if kind == "type" else "",
        answer=f"a{key}" if kind == "answer" else "",
        modes=modes if kind == "type" else (),
    )


def _check_type(
    appointment_type: dict[str, Any], modes: tuple[str, ...], prefix: str, errors: dict[str, str]
) -> None:
    extra = [m for m in modes if m not in appointment_type["modes"]]
    if extra:
        errors[f"{prefix}_modes"] = gettext(
            N_("%(type)s is not offered as %(modes)s."),
            type=appointment_type["name"],
            modes=", ".join(gettext(MODE_NAMES[m]) for m in extra),
        )


def build(
    values: dict[str, Any], layout: Layout, types: Mapping[str, dict[str, Any]]
) -> needs.Path:
    """The path from the parsed form; ValidationFailed names each problem on its field."""
    errors: dict[str, str] = {}
    questions: dict[str, needs.Question] = {}
    rows: dict[str, list[int]] = {}  # the form row of each option given, per question
    first = ""
    for q, count in enumerate(layout.options, 1):
        texts = _texts(values, f"q{q}")
        options = [(o, _option(values, f"q{q}_o{o}", types, errors)) for o in range(1, count + 1)]
        given = [option for _, option in options if option is not None]
        rows[f"q{q}"] = [o for o, option in options if option is not None]
        if _blank(texts) and not given:
            continue
        _need_finnish(texts, f"q{q}", errors)
        if _blank(texts):
            errors[f"q{q}_fi"] = N_("Write the question.")
        if not given:
            errors[f"q{q}_o1_fi"] = N_("Give the question an option: otherwise it ends nowhere.")
        first = first or f"q{q}"
        questions[f"q{q}"] = needs.Question(key=f"q{q}", text=texts, options=tuple(given))
    answers: dict[str, dict[str, str]] = {}
    for a in range(1, layout.answers + 1):
        texts = _texts(values, f"a{a}")
        if not _blank(texts):
            _need_finnish(texts, f"a{a}", errors)
            answers[f"a{a}"] = texts
    if not questions:
        errors["q1_fi"] = N_("Write at least one question.")
    _check_targets(questions, answers, rows, errors)
    if errors:
        raise ValidationFailed(errors)
    path = needs.Path(start=first, questions=questions, answers=answers)
    _check_loops(path, rows)
    return path


def _check_targets(
    questions: dict[str, needs.Question],
    answers: dict[str, dict[str, str]],
    rows: dict[str, list[int]],
    errors: dict[str, str],
) -> None:
    for question in questions.values():
        for row, option in zip(rows[question.key], question.options, strict=True):
            field = f"{question.key}_o{row}_to"
            if option.next and option.next not in questions:
                errors.setdefault(field, N_("This question is empty: write it or choose another."))
            if option.answer and option.answer not in answers:
                errors.setdefault(field, N_("This answer is empty: write it or choose another."))


def _check_loops(path: needs.Path, rows: dict[str, list[int]]) -> None:
    """From question 1 along every option: a question met again on its own way is a loop
    (named on the option that closes it); a question no option reaches is named too."""
    reached: set[str] = set()
    done: set[str] = set()  # explored to the end: a loop through it was found already
    errors: dict[str, str] = {}

    def visit(key: str, way: tuple[str, ...]) -> None:
        reached.add(key)
        chain = (*way, key)
        for row, option in zip(rows[key], path.questions[key].options, strict=True):
            if not option.next or option.next in done:
                continue
            if option.next in chain:
                steps = (*chain[chain.index(option.next) :], option.next)
                loop = " → ".join(gettext(N_("question %(n)s"), n=step[1:]) for step in steps)
                message = gettext(N_("The path loops: %(loop)s."), loop=loop)
                errors.setdefault(f"{key}_o{row}_to", message)
                continue
            visit(option.next, chain)
        done.add(key)

    visit(path.start, ())
    for key in path.questions:
        if key not in reached:
            errors[f"{key}_fi"] = N_("No option leads to this question.")
    if errors:
        raise ValidationFailed(errors)


# -- stored text ----------------------------------------------------------------------------


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _text_lines(texts: dict[str, str]) -> list[str]:
    return [f"{lang} = {_string(texts[lang])}" for lang in LANGUAGES if texts.get(lang)]


def to_toml(path: needs.Path) -> str:
    lines = [f"start = {_string(path.start)}", ""]
    for key, question in path.questions.items():
        lines += [f"[questions.{key}]", *_text_lines(question.text), ""]
        for option in question.options:
            lines += [f"[[questions.{key}.options]]", *_text_lines(option.text)]
            if option.next:
                lines.append(f"next = {_string(option.next)}")
            if option.type_code:
                lines.append(f"type = {_string(option.type_code)}")
            if option.answer:
                lines.append(f"answer = {_string(option.answer)}")
            if option.modes:
                lines.append(f"modes = [{', '.join(_string(m) for m in option.modes)}]")
            lines.append("")
    for key, texts in path.answers.items():
        lines += [f"[answers.{key}]", *_text_lines(texts), ""]
    return "\n".join(lines)


def form_values(path: needs.Path) -> tuple[dict[str, Any], Layout]:
    """A stored path as the form's fields: its first question first, keys numbered."""
    order = [path.start, *(k for k in path.questions if k != path.start)]
    number = {key: n for n, key in enumerate(order, 1)}
    answer_number = {key: n for n, key in enumerate(path.answers, 1)}
    values: dict[str, Any] = {}
    for key in order:
        q = number[key]
        question = path.questions[key]
        values |= {f"q{q}_{lang}": question.text.get(lang, "") for lang in LANGUAGES}
        for o, option in enumerate(question.options, 1):
            prefix = f"q{q}_o{o}"
            values |= {f"{prefix}_{lang}": option.text.get(lang, "") for lang in LANGUAGES}
            values[f"{prefix}_modes"] = list(option.modes)
            if option.next:
                values[f"{prefix}_to"] = f"question:{number[option.next]}"
            elif option.answer:
                values[f"{prefix}_to"] = f"answer:{answer_number[option.answer]}"
            else:
                values[f"{prefix}_to"] = f"type:{option.type_code}"
    for key, a in answer_number.items():
        values |= {f"a{a}_{lang}": path.answers[key].get(lang, "") for lang in LANGUAGES}
    layout = Layout(
        options=tuple(len(path.questions[key].options) for key in order),
        answers=len(path.answers),
    )
    return values, layout


def clean(
    data: Mapping[str, Any], types: Mapping[str, dict[str, Any]]
) -> tuple[dict[str, Any], Layout]:
    """The submitted form as `needs.save_path` takes it (name, definition text, active), and
    the form's layout; ValidationFailed with each problem on its field."""
    layout = layout_of(data)
    choices = {
        f"q{q}_o{o}_to": targets(layout, list(types))
        for q, count in enumerate(layout.options, 1)
        for o in range(1, count + 1)
    }
    parsed = msgspec.structs.asdict(parse_form(form_class(layout), data, choices=choices))
    path = build(parsed, layout, types)
    return {
        "name": parsed["name"].strip(),
        "definition": to_toml(path),
        "active": "yes" if parsed["active"] else "",
        "version": data.get("version", ""),
    }, layout
