"""The web shell: Finnish by default, Swedish and English, Finnish formats, themes, error pages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from litestar.testing import RequestFactory

from core import i18n
from core.config import ConfigError
from core.web.app import create_app
from core.web.errors import handle_server_error
from core.web.runtime import Runtime
from tests.helpers import make_user, sign_in


async def test_pages_are_finnish_by_default(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    assert '<html lang="fi">' in page.text and "Kirjaudu" in page.text


async def test_language_follows_the_users_choice(client: httpx.AsyncClient) -> None:
    await client.get("/login?lang=sv")
    assert '<html lang="sv">' in (await client.get("/login")).text
    await client.get("/login?lang=en")
    assert "Sign in to Valvomo" in (await client.get("/login")).text


async def test_pages_need_no_javascript(admin: httpx.AsyncClient) -> None:
    """The only script is the static progressive enhancement (no inline code, CSP-friendly)."""
    for path in ("/", "/customers", "/customers/new", "/admin/users"):
        scripts = re.findall(r"<script[^>]*>", (await admin.get(path)).text)
        assert scripts == ['<script src="/static/valvomo.js" defer>'], path


async def test_not_found_page(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/customers/424242")
    assert response.status_code == 404 and "<h1>" in response.text


async def test_server_error_page_is_friendly(runtime: Runtime) -> None:
    request = RequestFactory(app=create_app(runtime=runtime)).get("/customers/1")
    with i18n_language("fi"):
        response = handle_server_error(request, RuntimeError("boom"))
    assert response.status_code == 500


class i18n_language:
    def __init__(self, language: str) -> None:
        self.language = language

    def __enter__(self) -> None:
        self.token = i18n.current_language.set(self.language)

    def __exit__(self, *exc: object) -> None:
        i18n.current_language.reset(self.token)


@pytest.mark.nodb
async def test_finnish_and_swedish_formats() -> None:
    moment = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)  # the night clocks go forward
    with i18n_language("fi"):
        assert i18n.fmt_date(dt.date(2026, 12, 6)) == "6.12.2026"
        assert i18n.fmt_datetime(moment) == "29.3.2026 4.30"
        assert i18n.fmt_money(Decimal("1234.5")) == "1\xa0234,50\xa0€"
        assert i18n.fmt_phone("+358401234567") == "040 123 4567"
        assert i18n.fmt_phone("+4670123456") == "+4670123456"
    with i18n_language("sv"):
        assert "1\xa0234,50" in i18n.fmt_money(Decimal("1234.5"))
        assert i18n.gettext("Sign in") == "Logga in"


async def test_high_contrast_theme_is_chosen_in_configuration(runtime: Runtime) -> None:
    themed = replace(runtime, settings=replace(runtime.settings, theme="high_contrast"))
    transport = httpx.ASGITransport(app=create_app(runtime=themed))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        css = await client.get("/static/theme.css")
        assert "High-contrast" in css.text
        assert (await client.get("/static/style.css")).status_code == 200


async def test_navigation_shows_only_what_roles_allow(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user("home_care"))
    page = await client.get("/")
    assert 'href="/customers"' in page.text
    assert 'href="/admin/users"' not in page.text


@pytest.mark.nodb
async def test_region_terms_name_codes_no_catalogue_knows() -> None:
    i18n.add_region_terms({"test_breakfast": "Aamiainen"})
    with i18n_language("sv"):
        assert i18n.gettext("test_breakfast") == "Aamiainen"
        assert i18n.gettext("Sign in") == "Logga in"  # catalogues still win


async def test_the_region_logo_is_the_default_emblem_or_the_regions_own(
    runtime: Runtime, tmp_path: Path
) -> None:
    async with themed_client(runtime) as client:
        assert (
            '<img class="brand__logo" src="/static/region-logo.svg"'
            in (await client.get("/login")).text
        )
        emblem = await client.get("/static/region-logo.svg")
        assert emblem.status_code == 200 and "<svg" in emblem.text

    own_theme = tmp_path / "region-theme"
    (own_theme / "static").mkdir(parents=True)
    (own_theme / "static" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    async with themed_client(runtime, theme=str(own_theme), region_logo="logo.svg") as client:
        assert 'src="/static/logo.svg"' in (await client.get("/login")).text
        assert (await client.get("/static/logo.svg")).status_code == 200


async def test_a_logo_missing_from_the_theme_stops_the_start(runtime: Runtime) -> None:
    for name in ("missing.svg", "../secret.key", "/etc/passwd"):
        settings = replace(runtime.settings, region_logo=name)
        with pytest.raises(ConfigError, match=r"\[region\] logo"):
            create_app(runtime=replace(runtime, settings=settings))


async def test_a_theme_whose_text_colours_lack_contrast_stops_the_start(
    runtime: Runtime, tmp_path: Path
) -> None:
    for shipped in ("default", "high_contrast"):  # both keep WCAG AA
        create_app(runtime=replace(runtime, settings=replace(runtime.settings, theme=shipped)))
    pale = tmp_path / "pale-theme"
    (pale / "static").mkdir(parents=True)
    (pale / "static" / "theme.css").write_text(
        ":root { --brand: #7fb2e5; --header-bg: #eeeeee; --header-ink: #999999; }"
    )
    settings = replace(runtime.settings, theme=str(pale))
    with pytest.raises(ConfigError) as refused:
        create_app(runtime=replace(runtime, settings=settings))
    message = str(refused.value)
    assert "--brand-ink #ffffff on --brand #7fb2e5" in message  # white button text
    assert "--header-ink #999999 on --header-bg #eeeeee" in message
    assert "--ink #1f2a33 on --paper" not in message  # the pairs it keeps are not named


@asynccontextmanager
async def themed_client(runtime: Runtime, **settings: str) -> AsyncIterator[httpx.AsyncClient]:
    themed = replace(runtime, settings=replace(runtime.settings, **settings))
    transport = httpx.ASGITransport(app=create_app(runtime=themed))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client
