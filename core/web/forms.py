"""Declarative forms on msgspec (what Litestar already uses): a form is a `msgspec.Struct`,
its fields typed and constrained; `parse_form` reads what a person typed (Finnish dates
7.12.2026, times 9.30, moments 31.12.2026 14.30, decimal commas 3,5, spaces in numbers) and
checks every field, so a page shows a message next to each wrong field; `submit_form` is the
whole POST handler: parse, save, re-render with the input kept (400) or redirect with a notice.

    class WashForm(msgspec.Struct):
        day: dt.date
        kilos: Annotated[Decimal, msgspec.Meta(gt=0, le=100), Message(N_("Enter 0,1–100 kg."))]
        program: Annotated[str, OneOf(PROGRAMS), Message(N_("Choose a program."))] = "normal"
        extras: Annotated[list[str], OneOf(EXTRAS)] = []       # checkboxes
        phone: Annotated[str | None, PHONE] = None              # optional: empty is None
        note: Annotated[str, msgspec.Meta(max_length=200)] = ""

Fields whose names are only known at run time (one per weekday and product, say) are declared
the same way with `msgspec.defstruct`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import types
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import msgspec
from litestar import Request
from litestar.response import Redirect, Template

from core.common.dates import parse_date, parse_moment, parse_time
from core.common.errors import ValidationFailed
from core.customers.validation import normalise_phone
from core.i18n import N_
from core.web.notices import redirect_with_notice
from core.web.pages import form_data, render

FormT = TypeVar("FormT", bound=msgspec.Struct)

REQUIRED = N_("Fill in this field.")
CHECK = N_("Check this field.")
TYPE_MESSAGES: dict[Any, str] = {
    dt.date: N_("Enter a date like 7.12.2026."),
    dt.time: N_("Enter a time like 9.30."),
    dt.datetime: N_("Enter a time like 31.12.2026 14.30."),
    Decimal: N_("Enter a number like 3,5."),
    int: N_("Enter a whole number."),
    float: N_("Enter a number like 3,5."),
    str: CHECK,
}


@dataclass(frozen=True)
class Message:
    """A field's own message for any problem with it, in `Annotated[...]`; `missing`, if
    given, is said instead when a required field was left empty."""

    text: str | None = None
    missing: str | None = None


@dataclass(frozen=True)
class OneOf:
    """The field's value (each value, for a list) must be one of these, in `Annotated[...]`."""

    choices: Collection[Any]


@dataclass(frozen=True)
class Parse:
    """How the field's text becomes its value, in `Annotated[...]`: the function returns the
    value, or raises ValueError or returns None when the text is not one."""

    function: Callable[[str], Any]


class FieldError(ValueError):
    """Raised by a `Parse` function or a `Check` predicate: the value is refused with this
    message (when one field has several ways to be wrong, each with its own message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Check:
    """A further rule for the parsed value, in `Annotated[...]`: false refuses it."""

    predicate: Callable[[Any], bool]


@dataclass(frozen=True)
class After:
    """The value must come after the value of the form's field `other` (or be the same, with
    `or_same`), in `Annotated[...]`; checked when both fields were read, so it is named together
    with the other fields' problems."""

    other: str
    message: str
    or_same: bool = False

    def allows(self, value: Any, other: Any) -> bool:
        return value >= other if self.or_same else value > other


@dataclass(frozen=True)
class Rule:
    """A rule across fields, in `Annotated[...]`: `holds` gets the form's values that were read
    (a field with a problem, or left empty without a default, is missing from them) and returns
    false to refuse this field with `message`, e.g. an address needed when a name is given:
    `Rule(lambda v: not v.get("name") or v.get("street_address"), N_("..."))`. Checked after
    every field was read, so it is named together with the other fields' problems."""

    holds: Callable[[Mapping[str, Any]], bool]
    message: str


PHONE = Parse(normalise_phone)  # a Finnish or international number, kept in E.164 form
# Dates and moments whose message says the format also when the field was left empty.
DateField = Annotated[dt.date, Message(TYPE_MESSAGES[dt.date])]
MomentField = Annotated[dt.datetime, Message(TYPE_MESSAGES[dt.datetime])]


@dataclass(frozen=True)
class _Field:
    kind: Any
    many: bool
    limits: tuple[msgspec.Meta, ...]
    markers: tuple[Any, ...]
    message: str | None
    missing: str | None


def _plain(kind: Any) -> Any:
    """`X | None` as X: an empty optional field is None by its default."""
    if get_origin(kind) in (Union, types.UnionType):
        others = [k for k in get_args(kind) if k is not type(None)]
        return others[0] if len(others) == 1 else kind
    return kind


def _described(annotation: Any) -> _Field:
    """The field's plain type, whether it is a list, its msgspec.Meta limits, its markers and
    its own message, if any (from every `Annotated` around it, e.g. `DateField | None`)."""
    kind: Any = annotation
    extras: list[Any] = []
    while True:
        if get_origin(kind) is Annotated:
            kind, *rest = get_args(kind)
            extras.extend(rest)
        elif (plain := _plain(kind)) is not kind:
            kind = plain
        else:
            break
    many = get_origin(kind) in (list, tuple)
    if many:
        kind = _plain(get_args(kind)[0])
    limits = tuple(e for e in extras if isinstance(e, msgspec.Meta))
    markers = tuple(e for e in extras if isinstance(e, OneOf | Parse | Check | After | Rule))
    messages = [e for e in extras if isinstance(e, Message)]
    message = next((m.text for m in messages if m.text), None)
    missing = next((m.missing for m in messages if m.missing), None)
    return _Field(kind, many, limits, markers, message, missing)


def _within(value: Any, limits: tuple[msgspec.Meta, ...]) -> bool:
    """msgspec.Meta's bounds, lengths, steps and patterns, checked here so they apply to
    Decimal, to what a `Parse` made and to lists too."""
    for meta in limits:
        size = len(value) if isinstance(value, str | list) else None
        text = value if isinstance(value, str) else None
        checks = [
            meta.gt is None or value > meta.gt,
            meta.ge is None or value >= meta.ge,
            meta.lt is None or value < meta.lt,
            meta.le is None or value <= meta.le,
            meta.multiple_of is None or value % meta.multiple_of == 0,
            meta.max_length is None or (size is not None and size <= meta.max_length),
            meta.min_length is None or (size is not None and size >= meta.min_length),
            meta.pattern is None or (text is not None and re.search(meta.pattern, text)),
        ]
        if not all(checks):
            return False
    return True


def _typed(raw: str, kind: Any) -> Any:
    """What a person typed, in the form msgspec converts: ISO dates and times, dot decimals."""
    if kind is dt.date:
        return parse_date(raw).isoformat()  # ValueError for anything else
    if kind is dt.time:
        return parse_time(raw).isoformat()
    if kind is dt.datetime:
        return parse_moment(raw).isoformat()
    if kind in (Decimal, int, float):
        return raw.replace("\u00a0", "").replace(" ", "").replace(",", ".").replace("−", "-")
    if kind is bool:
        return raw.lower() in ("on", "yes", "true", "1")
    return raw


def _value(text: str, field: _Field) -> Any:
    """One typed value of the field, or None when it is not one the field accepts."""
    parse = next((m.function for m in field.markers if isinstance(m, Parse)), None)
    try:
        value = (
            parse(text)
            if parse is not None
            else msgspec.convert(_typed(text, field.kind), field.kind, strict=False)
        )
    except FieldError:
        raise
    except (ValueError, msgspec.ValidationError):
        return None
    for marker in field.markers:
        if isinstance(marker, OneOf) and value not in marker.choices:
            return None
        if isinstance(marker, Check) and not marker.predicate(value):
            return None
    return value


def _texts(raw: Any) -> list[str]:
    """The field's submitted values (a checkbox list may hold several), stripped, none empty."""
    values = raw if isinstance(raw, list | tuple) else [raw]
    texts = ("" if v is None else v if isinstance(v, str) else str(v) for v in values)
    return [t.strip() for t in texts if t.strip()]


def _read(field: _Field, raw: Any) -> tuple[Any, bool]:
    """(The value, True) from what was submitted; (None, False) when it is wrong."""
    texts = _texts(raw)
    if field.many:
        values = [_value(t, field) for t in texts]
        if any(v is None for v in values) or not _within(values, field.limits):
            return None, False
        return values, True
    value = _value(texts[-1] if texts else "", field)
    if value is None:
        return None, False
    return value, _within(value, field.limits)


def parse_form(
    form: type[FormT],
    data: Mapping[str, Any],
    *,
    choices: Mapping[str, Collection[Any]] | None = None,
    errors: Mapping[str, str] | None = None,
) -> FormT:
    """The form's values from submitted data; ValidationFailed with a message per wrong field.
    An empty field takes its default (a required one is refused); a list field (checkboxes)
    takes every submitted value. `choices` are a field's choices known only at run time (the
    region's diets), as `OneOf`; `errors` are problems the caller found already, refused
    together with the form's own (and named instead of them for the same field)."""
    found: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field in msgspec.structs.fields(form):
        described = _described(field.type)
        if choices and field.name in choices:
            markers = (*described.markers, OneOf(choices[field.name]))
            described = dataclasses.replace(described, markers=markers)
        raw = data.get(field.encode_name)
        if not _texts(raw) and described.kind is not bool:
            if field.required:
                found[field.name] = described.missing or described.message or REQUIRED
            elif described.many and not _within([], described.limits):
                found[field.name] = described.message or CHECK
            continue
        try:
            value, good = _read(described, raw)
        except FieldError as problem:
            found[field.name] = problem.message
            continue
        if not good:
            found[field.name] = described.message or TYPE_MESSAGES.get(described.kind, CHECK)
            continue
        values[field.name] = value
    found.update(_order_problems(form, values, found))
    if found or errors:
        raise ValidationFailed({**found, **(errors or {})})
    return form(**values)


def read_form(
    form: type[FormT],
    data: Mapping[str, Any],
    errors: dict[str, str],
    *,
    choices: Mapping[str, Collection[Any]] | None = None,
) -> FormT | None:
    """`parse_form` for one part of a page's fields: the filled form, or None with its problems
    added to `errors` (kept where the caller found one already), so that the rules of the other
    parts still run and every wrong field is named at once."""
    try:
        return parse_form(form, data, choices=choices)
    except ValidationFailed as refused:
        errors.update({k: v for k, v in refused.errors.items() if k not in errors})
        return None


def _order_problems(
    form: type[msgspec.Struct], values: Mapping[str, Any], found: Mapping[str, str]
) -> dict[str, str]:
    """The `After` and `Rule` rules that are broken (a wrong field has its message already)."""
    problems: dict[str, str] = {}
    for field in msgspec.structs.fields(form):
        for rule in _described(field.type).markers:
            if field.name in found or field.name in problems:
                continue
            if isinstance(rule, Rule) and not rule.holds(values):
                problems[field.name] = rule.message
            if not isinstance(rule, After):
                continue
            value, other = values.get(field.name), values.get(rule.other)
            if value is not None and other is not None and not rule.allows(value, other):
                problems[field.name] = rule.message
    return problems


async def submit_form(
    request: Request[Any, Any, Any],
    form: type[FormT],
    save: Callable[[FormT], Awaitable[Any]],
    *,
    template: str,
    success: str,
    redirect_to: str | Callable[[Any], str],
    **context: Any,
) -> Template | Redirect:
    """A POST handler in one call: parse the form, `save` it (which may raise
    ValidationFailed too), then redirect with the `success` notice; on a problem the page is
    shown again (400) with `values` (the input as typed) and `errors` next to the fields."""
    data = await form_data(request)
    try:
        result = await save(parse_form(form, data))
    except ValidationFailed as exc:
        return render(request, template, status_code=400, values=data, errors=exc.errors, **context)
    target = redirect_to(result) if callable(redirect_to) else redirect_to
    return redirect_with_notice(target, success)
