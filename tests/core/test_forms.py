"""Declarative forms: Finnish input parsed, every wrong field named with its own message."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from typing import Annotated

import httpx
import msgspec
import pytest

from core.common.errors import ValidationFailed
from core.web.app import create_app
from core.web.forms import (
    PHONE,
    After,
    Check,
    DateField,
    FieldError,
    Message,
    OneOf,
    Parse,
    Rule,
    parse_form,
    read_form,
)
from core.web.runtime import Runtime
from tests.core.test_plugin_checks import MakePlugin, make_plugin, start
from tests.helpers import notices, post_form

__all__ = ["make_plugin"]  # the fixture, used here


class WashForm(msgspec.Struct):
    day: dt.date
    kilos: Annotated[Decimal, msgspec.Meta(gt=0, le=100), Message("Enter 0,1–100 kg.")]
    bags: Annotated[int, msgspec.Meta(ge=0)] = 0
    note: Annotated[str, msgspec.Meta(max_length=10)] = ""
    express: bool = False


@pytest.mark.nodb
def test_finnish_dates_decimal_commas_and_spaces_are_read() -> None:
    form = parse_form(
        WashForm,
        {"day": "7.12.2026", "kilos": "3,5", "bags": " 2 ", "note": "Hei", "express": "on"},
    )
    assert form == WashForm(dt.date(2026, 12, 7), Decimal("3.5"), 2, "Hei", True)
    assert parse_form(WashForm, {"day": "2026-12-07", "kilos": "1\u00a0,5"}).kilos == Decimal("1.5")


@pytest.mark.nodb
def test_defaults_apply_to_empty_optional_fields() -> None:
    form = parse_form(WashForm, {"day": "1.1.2027", "kilos": "1", "bags": "", "note": ""})
    assert (form.bags, form.note, form.express) == (0, "", False)


@pytest.mark.nodb
def test_every_wrong_field_gets_its_message_at_once() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_form(WashForm, {"day": "31.2.2026", "kilos": "120", "bags": "-1", "note": "x" * 11})
    assert refused.value.errors == {
        "day": "Enter a date like 7.12.2026.",
        "kilos": "Enter 0,1–100 kg.",
        "bags": "Enter a whole number.",
        "note": "Check this field.",
    }


@pytest.mark.nodb
def test_missing_required_fields_are_named() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_form(WashForm, {"kilos": "kolme"})
    assert refused.value.errors == {"day": "Fill in this field.", "kilos": "Enter 0,1–100 kg."}


MODES = ("visit", "phone", "video")


class VisitForm(msgspec.Struct):
    starts: dt.datetime
    at: Annotated[dt.time, Check(lambda t: t.minute % 5 == 0), Message("Give a time like 9.00.")]
    mode: Annotated[str, OneOf(MODES), Message("Choose how to meet.")]
    modes: Annotated[list[str], OneOf(MODES), msgspec.Meta(min_length=1)] = []
    minutes: Annotated[int, msgspec.Meta(ge=5, le=480, multiple_of=5)] = 30
    code: Annotated[str, Parse(str.upper), msgspec.Meta(pattern=r"^[A-Z]{2,5}$")] = "AB"
    phone: Annotated[str | None, PHONE] = None
    until: dt.date | None = None


@pytest.mark.nodb
def test_times_moments_choices_lists_phones_and_optional_fields_are_read() -> None:
    form = parse_form(
        VisitForm,
        {
            "starts": "31.12.2026 14.30",
            "at": "9.05",
            "mode": "phone",
            "modes": ["visit", "video"],
            "minutes": "45",
            "code": "kela",
            "phone": "040 123 4567",
            "until": "",
        },
    )
    assert form.starts == dt.datetime(2026, 12, 31, 12, 30, tzinfo=dt.UTC)  # Helsinki +2
    assert (form.at, form.mode, form.modes) == (dt.time(9, 5), "phone", ["visit", "video"])
    assert (form.minutes, form.code, form.phone, form.until) == (45, "KELA", "+358401234567", None)
    one = parse_form(
        VisitForm,
        {"starts": "2026-06-01T10:00+03:00", "at": "10:00", "mode": "video", "modes": "phone"},
    )
    assert (one.starts.hour, one.modes, one.phone) == (7, ["phone"], None)


@pytest.mark.nodb
def test_choices_steps_patterns_and_phones_name_their_fields() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_form(
            VisitForm,
            {
                "starts": "31.12.2026 klo 14",
                "at": "9.07",
                "mode": "letter",
                "modes": ["visit", "letter"],
                "minutes": "33",
                "code": "k",
                "phone": "12",
                "until": "huomenna",
            },
        )
    assert refused.value.errors == {
        "starts": "Enter a time like 31.12.2026 14.30.",
        "at": "Give a time like 9.00.",
        "mode": "Choose how to meet.",
        "modes": "Check this field.",
        "minutes": "Enter a whole number.",
        "code": "Check this field.",
        "phone": "Check this field.",
        "until": "Enter a date like 7.12.2026.",
    }


@pytest.mark.nodb
def test_a_list_too_short_is_refused_even_when_empty() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_form(
            VisitForm, {"starts": "1.1.2027 8.00", "at": "8.00", "mode": "visit", "modes": []}
        )
    assert refused.value.errors == {"modes": "Check this field."}


@pytest.mark.nodb
def test_fields_named_at_run_time_are_declared_with_defstruct() -> None:
    quantity = Annotated[int, msgspec.Meta(ge=0, le=10), Message("Enter a number from 0 to 10.")]
    order = msgspec.defstruct("Order", [(f"qty_{day}", quantity, 0) for day in range(3)])
    form = parse_form(order, {"qty_0": "2", "qty_2": " 1 "})
    assert msgspec.structs.asdict(form) == {"qty_0": 2, "qty_1": 0, "qty_2": 1}
    with pytest.raises(ValidationFailed) as refused:
        parse_form(order, {"qty_1": "11"})
    assert refused.value.errors == {"qty_1": "Enter a number from 0 to 10."}


class StayForm(msgspec.Struct):
    first: DateField
    guests: Annotated[int, msgspec.Meta(ge=1), Message("Enter the guests.", missing="Required.")]
    last: Annotated[DateField | None, After("first", "Leave after you arrive.", or_same=True)] = (
        None
    )
    room: Annotated[str, Message("Choose a room.")] = "single"


@pytest.mark.nodb
def test_an_end_before_its_start_is_named_with_the_other_fields_problems() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_form(StayForm, {"first": "7.12.2026", "last": "6.12.2026", "guests": "0"})
    assert refused.value.errors == {
        "guests": "Enter the guests.",
        "last": "Leave after you arrive.",
    }
    same_day = parse_form(StayForm, {"first": "7.12.2026", "last": "7.12.2026", "guests": "1"})
    assert same_day.last == same_day.first


@pytest.mark.nodb
def test_missing_and_wrong_have_their_own_messages_and_run_time_choices_apply() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_form(StayForm, {"last": "1.1.2027", "room": "suite"}, choices={"room": {"single"}})
    assert refused.value.errors == {
        "first": "Enter a date like 7.12.2026.",
        "guests": "Required.",
        "room": "Choose a room.",
    }
    assert parse_form(StayForm, {"first": "1.1.2027", "guests": "2", "room": "double"}).room == (
        "double"
    )


@pytest.mark.nodb
def test_problems_the_caller_found_are_refused_with_the_forms_own() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_form(StayForm, {"first": "1.1.2027"}, errors={"first": "The house is closed."})
    assert refused.value.errors == {"first": "The house is closed.", "guests": "Required."}
    with pytest.raises(ValidationFailed) as refused:
        parse_form(StayForm, {"first": "1.1.2027", "guests": "1"}, errors={"room": "Taken."})
    assert refused.value.errors == {"room": "Taken."}


@pytest.mark.nodb
def test_a_page_of_two_parts_names_the_problems_of_both() -> None:
    errors = {"first": "The house is closed."}
    assert read_form(StayForm, {"first": "x", "guests": "0"}, errors) is None
    assert read_form(WashForm, {"day": "7.12.2026", "kilos": "200"}, errors) is None
    assert errors == {
        "first": "The house is closed.",  # the caller's own stays
        "guests": "Enter the guests.",
        "kilos": "Enter 0,1–100 kg.",
    }
    wash = read_form(WashForm, {"day": "7.12.2026", "kilos": "3,5"}, errors)
    assert wash is not None and wash.kilos == Decimal("3.5") and len(errors) == 3


class PayerLikeForm(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(max_length=5)] = ""
    address: Annotated[
        str, Rule(lambda v: not v.get("name") or bool(v.get("address")), "Give the address.")
    ] = ""
    phone: Annotated[
        str | None, PHONE, Rule(lambda v: v.get("phone") or v.get("email"), "Phone or e-mail.")
    ] = None
    email: str = ""


@pytest.mark.nodb
def test_a_rule_across_fields_is_named_with_the_other_fields_problems() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_form(PayerLikeForm, {"name": "Aino"})
    assert refused.value.errors == {"address": "Give the address.", "phone": "Phone or e-mail."}
    with pytest.raises(ValidationFailed) as refused:  # a wrong field keeps its own message
        parse_form(PayerLikeForm, {"name": "Aino", "address": "Tie 1", "phone": "12"})
    assert refused.value.errors == {"phone": "Check this field."}
    with pytest.raises(ValidationFailed) as refused:  # a wrong name does not ask for an address
        parse_form(PayerLikeForm, {"name": "Aino Virtanen", "email": "a@b.fi"})
    assert refused.value.errors == {"name": "Check this field."}
    assert parse_form(PayerLikeForm, {"email": "a@b.fi"}) == PayerLikeForm(email="a@b.fi")


def whole_euros(text: str) -> int:
    if not text.isdigit():
        raise FieldError("Enter euros, e.g. 12.")
    if int(text) > 500:
        raise FieldError("At most 500 €.")
    return int(text)


class TipForm(msgspec.Struct):
    tip: Annotated[int, Parse(whole_euros)]
    second: Annotated[int, Parse(whole_euros)] = 0


@pytest.mark.nodb
def test_a_parse_function_refuses_with_a_message_of_its_own() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_form(TipForm, {"tip": "viisi", "second": "900"})
    assert refused.value.errors == {"tip": "Enter euros, e.g. 12.", "second": "At most 500 €."}
    assert parse_form(TipForm, {"tip": "12"}) == TipForm(12, 0)


FORM_PLUGIN = """
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import msgspec
from litestar import post
from valvomo.api import N_, Message, submit_form


class WashForm(msgspec.Struct):
    day: dt.date
    kilos: Annotated[Decimal, msgspec.Meta(gt=0), Message(N_("Enter the kilos."))]


SAVED = []


async def save(form: WashForm) -> int:
    SAVED.append(form)
    return len(SAVED)


@post("/washes", opt={"public": True})
async def record(request: Any) -> Any:
    return await submit_form(request, WashForm, save, template="washes/form.html",
                             success=N_("The wash was saved."), redirect_to="/login")


@hookimpl
def valvomo_route_handlers() -> list[Any]:
    return [record]


@hookimpl
def valvomo_template_dir() -> Path:
    return Path(__file__).parent / "templates"
"""
FORM_TEMPLATE = (
    "{% for name, message in errors.items() %}<p id='{{ name }}-error'>{{ _(message) }}</p>"
    "{% endfor %}<input name='day' value='{{ values.day }}'>"
)


async def test_a_form_page_re_renders_with_input_kept_or_redirects_with_a_notice(
    runtime: Runtime, make_plugin: MakePlugin
) -> None:
    name = make_plugin("forms", FORM_PLUGIN, {"templates/washes/form.html": FORM_TEMPLATE})
    app = create_app(runtime=start(runtime, name))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.7", 1))  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver.local", follow_redirects=True
    ) as client:
        refused = await post_form(client, "/washes", {"day": "7.12.2026", "kilos": "-1"})
        assert refused.status_code == 400
        assert "<p id='kilos-error'>Enter the kilos.</p>" in refused.text
        assert "value='7.12.2026'" in refused.text  # what was typed stays
        saved = await post_form(client, "/washes", {"day": "7.12.2026", "kilos": "3,5"})
        assert saved.status_code == 200 and saved.url.path == "/login"
        assert ("success", "The wash was saved.") in notices(saved.text)
    module = sys.modules[f"valvomo_{name}"]
    assert module.SAVED[0].kilos == Decimal("3.5")
