"""Oma Valvomo's main pages render fully in Swedish and in English: every page the front page
links to (with meals, an absence, decisions, a booked appointment and the access log filled),
no Finnish text of any catalogue leaking, and dates written as the language writes them."""

from __future__ import annotations

import datetime as dt
import io
import re
from functools import cache

import httpx
import pytest
from pypdf import PdfReader

from core.catalogues import locale_dirs, read_catalogue
from core.common.clock import now
from core.i18n import fmt_date
from plugins.meals.absences import first_open_day
from plugins.meals.settings import current
from tests.citizens import (
    customer_with_code,
    hidden_inputs,
    identify,
    new_identity_code,
    person_at_broker,
)
from tests.helpers import codes_on_screen, post_form, visible_text
from tests.oidc_provider import Provider
from tests.plugins.booking.setup_data import create_setup
from tests.plugins.booking.test_citizen_booking import book_by_links
from tests.plugins.meals.conftest import active_service, new_region

DATE_ON_PAGE = {
    "sv": re.compile(r"(?<![\d/.])\d{1,2}\.\d{1,2}\.\d{4}(?![\d/])"),  # 7.12.2026
    "en": re.compile(r"(?<![\d/.])\d{2}/\d{2}/\d{4}(?![\d/])"),  # 07/12/2026
}
OTHER_DATES = {
    "sv": re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}"),
    "en": re.compile(r"\d{4}-\d{2}-\d{2}|(?<![\d/])\d{1,2}\.\d{1,2}\.\d{4}"),
}
NOT_PAGES = (".json", ".pdf", "/letter", "/logout")
# Names the region typed in Finnish, shown as they are in every language (the test route is
# "Reitti 1"); not text of the pages.
REGION_DATA = {"Reitti"}


@cache
def finnish_only_texts(language: str) -> frozenset[str]:
    """Every Finnish translation that is not also the English msgid or the `language` text:
    if one of these stands on a Swedish or English page, Finnish leaked."""
    found = set()
    for folder in locale_dirs():
        finnish, other = read_catalogue(folder, "fi"), read_catalogue(folder, "sv")
        for message in finnish:
            texts = message.string if isinstance(message.string, tuple) else (message.string,)
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            sv_entry = other.get(message.id)
            sv_texts = () if sv_entry is None else sv_entry.string
            sv_set = set(sv_texts if isinstance(sv_texts, tuple) else (sv_texts,))
            for text in texts:
                plain = re.sub(r"%\(\w+\)[sd]|%[sd]", "", text or "").strip(" .:,")
                if len(plain) >= 6 and text not in ids and text not in sv_set and "%" not in plain:
                    found.add(plain)
    return frozenset(found)


def finnish_on(html: str, language: str) -> list[str]:
    return finnish_in(visible_text(html), language)


def finnish_in(text: str, language: str) -> list[str]:
    text = " ".join(text.split())
    return sorted(
        t
        for t in finnish_only_texts(language) - REGION_DATA
        if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", text)
    )


async def a_customer_with_everything(
    client: httpx.AsyncClient, provider: Provider, language: str
) -> httpx.Response:
    """A customer with a meal service (and its decision), an absence reported online and a
    booked appointment, signed in with the page language chosen; their front page."""
    await create_setup()
    code = new_identity_code()
    customer = await customer_with_code(code)
    await active_service(await new_region(), customer=customer)
    await client.get(f"/oma/login?lang={language}")
    front = await identify(client, provider, person_at_broker(provider, code))
    first = first_open_day(now(), current()) + dt.timedelta(days=7)
    absence = {"first_day": fmt_date(first), "last_day": fmt_date(first + dt.timedelta(days=2))}
    assert (await post_form(client, "/oma/meals/absence", absence)).status_code == 200
    assert (await book_by_links(client, front)).status_code == 200
    return await client.get("/oma")


async def pages_by_links(client: httpx.AsyncClient, start: httpx.Response) -> dict[str, str]:
    """Every /oma page reachable by links from the front page, two clicks deep."""
    seen: dict[str, str] = {"/oma": start.text}
    frontier = [start.text]
    for _depth in range(2):
        found = []
        for html in frontier:
            for href in re.findall(r'href="(/oma[^"?#]*)"', html):
                if href in seen or any(part in href for part in NOT_PAGES):
                    continue
                page = await client.get(href)
                assert page.status_code == 200, href
                seen[href] = page.text
                found.append(page.text)
        frontier = found
    return seen


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_citizen_pages_render_fully_in_the_chosen_language(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider, language: str
) -> None:
    front = await a_customer_with_everything(citizen_client, oidc_provider, language)
    pages = await pages_by_links(citizen_client, front)
    expected = {"/oma", "/oma/access-log", "/oma/my-data", "/oma/decisions",
                "/oma/meals/absence", "/oma/booking", "/oma/booking/new"}  # fmt: skip
    assert expected <= set(pages), sorted(pages)
    assert any(re.fullmatch(r"/oma/booking/\d+", href) for href in pages)
    form = await citizen_client.get("/oma/booking/new")
    type_id = re.findall(r'name="type_id" value="(\d+)"', form.text)[0]
    modes = await citizen_client.get("/oma/booking/new", params={"type_id": type_id})
    times = await citizen_client.get(
        "/oma/booking/times", params={**hidden_inputs(modes.text, "/oma/booking/times"),
                                      "mode": "phone"},
    )  # fmt: skip
    pages["/oma/booking/new?type_id"] = modes.text
    pages["/oma/booking/times"] = times.text
    dated = 0
    for href, html in pages.items():
        assert f'<html lang="{language}">' in html, href
        assert finnish_on(html, language) == [], href
        # Date inputs read d.m.yyyy in every language, and their hint gives an example.
        text = re.sub(r"for example \d{1,2}\.\d{1,2}\.\d{4}", "", visible_text(html))
        assert not OTHER_DATES[language].findall(text), (href, OTHER_DATES[language].findall(text))
        dated += len(DATE_ON_PAGE[language].findall(text))
    document = await citizen_client.get("/oma/my-data.pdf")
    reader = PdfReader(io.BytesIO(document.content))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    assert finnish_in(text, language) == []
    assert DATE_ON_PAGE[language].search(text) and not OTHER_DATES[language].findall(text)
    assert dated >= 5  # the access log, decisions, absence days and appointments carry dates
    if language == "sv":
        assert "Dina egna tjänster" in front.text and "Beslut och meddelanden" in front.text
    else:
        assert "Your own services" in front.text and "Decisions and notices" in front.text


async def test_finnish_citizen_pages_show_no_code_iso_date_or_english(
    citizen_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    """The design system's no-code-on-screen check over every Oma Valvomo page a customer
    reaches by links (the staff pages and the booking site have theirs in
    tests/test_pages_design.py)."""
    front = await a_customer_with_everything(citizen_client, oidc_provider, "fi")
    pages = await pages_by_links(citizen_client, front)
    assert {"/oma/access-log", "/oma/my-data", "/oma/decisions", "/oma/booking"} <= set(pages)
    problems = {href: codes_on_screen(html) for href, html in pages.items()}
    assert all('<html lang="fi">' in html for html in pages.values())
    assert not {href: found for href, found in problems.items() if found}, problems
