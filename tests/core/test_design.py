"""Design primitives: notices across redirects, the confirmation step, Finnish dates and
months, the label catalogue and the format filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from jinja2 import Environment
from litestar import Litestar, Request, get, post
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.middleware.base import DefineMiddleware
from litestar.response import Response
from litestar.template.config import TemplateConfig

from core import i18n
from core.common.dates import parse_date, parse_month
from core.identity.tables import StaffUser
from core.labels import label, register_labels
from core.web.confirm import hidden_fields, is_confirmed, render_confirmation
from core.web.notices import (
    NOTICE_COOKIE,
    Notice,
    NoticeMiddleware,
    decode,
    encode,
    redirect_with_notice,
)
from core.web.pages import form_data
from core.web.runtime import Runtime
from core.web.templates import build_environment
from tests.core.test_web import i18n_language
from tests.helpers import make_user, notices, post_form

removed: list[str] = []


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("text", "expected"),
    [("7.12.2026", dt.date(2026, 12, 7)), ("07.12.2026", dt.date(2026, 12, 7)),
     (" 2026-12-07 ", dt.date(2026, 12, 7)), ("1.1.2000", dt.date(2000, 1, 1))],
)  # fmt: skip
def test_dates_in_finnish_and_iso_form(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.nodb
@pytest.mark.parametrize("text", ["", "7.12.", "31.2.2026", "2026/12/07", "7.12.26", "1.1.1999"])
def test_other_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.nodb
def test_months_in_finnish_and_iso_form() -> None:
    for text in ("12/2026", "12.2026", "2026-12", "2026-12 "):
        assert parse_month(text) == dt.date(2026, 12, 1)
    for bad in ("13/2026", "2026", "12-2026", ""):
        with pytest.raises(ValueError):
            parse_month(bad)


@pytest.mark.nodb
def test_one_format_everywhere_in_each_language() -> None:
    day = dt.date(2026, 12, 7)
    with i18n_language("fi"):
        assert i18n.fmt_date_weekday(day) == "ma 7.12."
        assert i18n.fmt_date_weekday(day, year=True) == "ma 7.12.2026"  # ends a sentence
        assert i18n.fmt_month(day) == "joulukuu 2026"
        assert i18n.fmt_time(dt.time(9, 0)) == "9.00"
        assert i18n.fmt_date_field(day) == i18n.fmt_date_field("2026-12-07") == "7.12.2026"
        assert i18n.fmt_phone("+358401234567") == "040 123 4567"
        assert i18n.fmt_phone("+35861234567") == "06 123 4567"
        assert i18n.fmt_phone("0501234567") == "050 123 4567"
        assert i18n.fmt_phone("+4670123456") == "+4670123456"
    with i18n_language("sv"):
        assert i18n.fmt_month(day) == "december 2026"
        assert i18n.fmt_date_weekday(day).startswith("mån")
        assert i18n.fmt_date_weekday(day, year=True) == "mån 7.12.2026"
    with i18n_language("en"):
        assert i18n.fmt_month(day) == "December 2026"


@pytest.mark.nodb
def test_dates_and_weekdays_read_as_babel_writes_them_on_every_day_of_a_week() -> None:
    """Weekday names are looked up once per process and d.M.yyyy is written without Babel
    (pages show many days): each is what Babel itself gives, in every language."""
    from babel.dates import format_date

    for language in i18n.LANGUAGES:
        locale = i18n.LOCALES[language]
        with i18n_language(language):
            for offset in range(14):
                day = dt.date(2026, 12, 28) + dt.timedelta(days=offset)  # into a new year
                pattern = "EEEEEE" if language == "fi" else "EEE"
                weekday = format_date(day, format=pattern, locale=locale).rstrip(".")
                assert i18n.fmt_date_weekday(day) == f"{weekday} {day.day}.{day.month}."
                written = format_date(
                    day, format="short" if language == "en" else "d.M.yyyy", locale=locale
                )
                assert i18n.fmt_date(day) == written
                assert i18n.fmt_date_weekday(day, year=True) == f"{weekday} {written}"


@pytest.mark.nodb
def test_codes_get_names_from_the_label_catalogue() -> None:
    register_labels("test.status", {"on_hold": "Paused"})
    with i18n_language("en"):
        assert label("test.status", "on_hold") == "Paused"
        assert label("language", "sv") == "Swedish"
    with i18n_language("fi"):
        assert label("language", "sv") == "ruotsi"
    assert label("test.status", None) == ""


@pytest.mark.nodb
def test_notice_cookie_is_signed_and_short_lived() -> None:
    key = b"k" * 32
    value = encode(key, [Notice("Saved.", "success", {"n": 1})], issued=1000)
    assert decode(key, value, now=1010) == [Notice("Saved.", "success", {"n": 1})]
    assert decode(key, value, now=1000 + 3600) == []
    assert decode(b"other" * 8, value, now=1010) == []
    payload, _, signature = value.partition(".")
    assert decode(key, payload[:-2] + "xx." + signature, now=1010) == []


@pytest.mark.nodb
def test_confirmation_reposts_every_field_but_the_token() -> None:
    fields = {"reason": "x", "days[]": ["1", "2"], "_csrf_token": "t", "confirm": "no"}
    assert hidden_fields(fields) == [("reason", "x"), ("days[]", "1"), ("days[]", "2")]
    assert is_confirmed({"confirm": "yes"}) and not is_confirmed({"confirm": "no"})


@post("/things/{thing:str}/remove", opt={"public": True})
async def remove_thing(request: Request[Any, Any, Any], thing: str) -> Response[Any]:
    data = await form_data(request)
    if not is_confirmed(data):
        return render_confirmation(
            request,
            title="Remove %(thing)s?",
            message="%(thing)s will be removed.",
            action=request.url.path,
            fields=data,
            confirm_label="Remove",
            cancel_href="/things",
            thing=thing,
        )
    removed.append(thing)
    return redirect_with_notice("/things", "Removed %(thing)s.", thing=thing)


@get("/things", opt={"public": True})
async def things(request: Request[Any, Any, Any]) -> Any:
    from core.web.pages import render

    return render(request, "confirm.html", title="Things", message="", action="", hidden=[])


@pytest.fixture
async def bare(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous client of a small app with only the design primitives (as a citizen)."""
    env = build_environment(runtime.settings, runtime.host)
    app = Litestar(
        route_handlers=[remove_thing, things],
        middleware=[DefineMiddleware(NoticeMiddleware, secret="s" * 32)],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(env)),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", follow_redirects=True
    ) as client:
        yield client


@pytest.mark.nodb
async def test_destructive_post_asks_first_and_works_without_javascript(
    bare: httpx.AsyncClient,
) -> None:
    removed.clear()
    asked = await bare.post("/things/lamp/remove", data={"reason": "broken"})
    assert asked.status_code == 200 and removed == []
    html = asked.text
    assert html.index('href="/things"') < html.index('class="button button--warning"')
    assert '<input type="hidden" name="reason" value="broken">' in html
    assert '<input type="hidden" name="confirm" value="yes">' in html
    done = await bare.post("/things/lamp/remove", data={"reason": "broken", "confirm": "yes"})
    assert removed == ["lamp"] and done.url.path == "/things"
    assert notices(done.text) == [("success", "Removed lamp.")]
    assert notices((await bare.get("/things")).text) == [], "a notice is shown only once"


async def test_notice_survives_the_redirect_for_staff(admin: httpx.AsyncClient) -> None:
    username = await make_user("client_guidance")
    user = await StaffUser.select().where(StaffUser.username == username).first()
    fields = {"version": user["version"], "full_name": "Uusi Nimi", "language": "fi"}
    saved = await post_form(admin, f"/admin/users/{user['id']}", fields)
    assert saved.url.path == f"/admin/users/{user['id']}"
    assert notices(saved.text) == [("success", "Käyttäjän tiedot tallennettiin.")]
    assert NOTICE_COOKIE not in admin.cookies
    assert notices((await admin.get(f"/admin/users/{user['id']}")).text) == []


@pytest.mark.nodb
def test_template_messages_are_translated_and_escaped_as_the_i18n_extension_does(
    runtime: Runtime,
) -> None:
    """The templates' `_`, `gettext` and `ngettext` (one call each instead of the extension's
    three) give what jinja2.ext.i18n's new-style callables give, in every language."""
    ours = build_environment(runtime.settings, runtime.host)
    extension = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    extension.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    sources = [
        '{{ _("Customers") }}',
        '{{ _("Page %(page)s of %(pages)s", page=2, pages="<b>") }}',
        '{{ ngettext("%(num)s customer", "%(num)s customers", 1) }}',
        '{{ ngettext("%(num)s customer", "%(num)s customers", n) }}',
        "{% trans %}Customers{% endtrans %}",
        "{% trans num=n %}{{ num }} customer{% pluralize %}{{ num }} customers{% endtrans %}",
        '{{ gettext("100%% <sure>") }}',
        '{% macro m(x) %}{{ _("Customers") }} {{ x }}{% endmacro %}{{ m(_("Customers")) }}',
        '{% for i in [1, 2] %}{{ ngettext("%(num)s day", "%(num)s days", i) }}{% endfor %}',
        '{% with x = "<b>" %}{{ _("Page %(page)s of %(pages)s", page=1, pages=x) }}{% endwith %}',
    ]
    for language in ("fi", "sv", "en"):
        with i18n.in_language(language):
            for source in sources:
                expected = extension.from_string(source).render(n=5)
                assert ours.from_string(source).render(n=5) == expected, (language, source)
    # Compiled into direct calls, except where a template names something else `_`.
    compiled = ours.compile('{{ _("Customers") }}', raw=True)
    assert "context.call" not in compiled and "escape(environment" not in compiled
    shadowed = '{% set _ = upper %}{{ _("Customers") }}'
    assert ours.from_string(shadowed).render(upper=str.upper) == "CUSTOMERS"
    with i18n.in_language("fi"):
        assert ours.from_string('{{ _("Customers") }}').render() == "Asiakkaat"
        page = ours.from_string('{{ _("Page %(page)s of %(pages)s", page=1, pages="<b>") }}')
        assert page.render() == "Sivu 1/&lt;b&gt;"
