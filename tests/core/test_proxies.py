"""Relatives acting for a customer: rights recorded by staff, used through the broker."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from pypdf import PdfReader

from core.audit.tables import AuditEntry
from core.citizen.tables import CitizenSession, ProxyRight
from core.common.clock import today
from core.i18n import fmt_date
from tests.citizens import (
    customer_with_code,
    hidden_inputs,
    href,
    identify,
    new_identity_code,
    person_at_broker,
    record_right,
)
from tests.helpers import assert_asks_first, make_user, notices, post_confirmed, post_form, sign_in
from tests.oidc_provider import Provider
from tests.plugins.meals.conftest import active_service, new_region


def hidden_form_action(html: str) -> str:
    """Where the page's change form posts."""
    found = re.search(r'<form method="post" action="(/customers/\d+/proxies/\d+/edit)"', html)
    assert found, "no form to change the right"
    return found.group(1)


def client(app: Litestar) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)),
        base_url="http://testserver.local",
        follow_redirects=True,
    )


@pytest.fixture
async def staff(citizen_site: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with client(citizen_site) as browser:
        await sign_in(browser, await make_user("client_guidance"))
        yield browser


@pytest.fixture
async def relative(citizen_site: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with client(citizen_site) as browser:
        yield browser


async def test_staff_record_a_right_reached_from_the_customer_page(
    staff: httpx.AsyncClient,
) -> None:
    customer = await customer_with_code(new_identity_code())
    page = await staff.get(f"/customers/{customer}")
    assert f'href="/customers/{customer}/proxies"' in page.text
    code = new_identity_code()
    response = await record_right(staff, customer, code)
    assert response.status_code == 200
    assert notices(response.text) == [("success", "Asiamiehen oikeus tallennettiin.")]
    assert "Liisa Virtanen" in response.text and code not in response.text
    assert code not in str(response.url)
    row = await ProxyRight.select().first()
    assert row["proxy_identity_code"] == code and row["services"] == "meals"
    entry = (
        await AuditEntry.select(AuditEntry.after)
        .where(AuditEntry.entity == "proxy_right")
        .first()
        .output(load_json=True)
    )
    assert code not in str(entry)


async def test_a_bad_identity_code_is_refused_next_to_the_field(
    staff: httpx.AsyncClient,
) -> None:
    customer = await customer_with_code(new_identity_code())
    response = await record_right(staff, customer, "010101-0000")
    assert response.status_code == 400
    assert 'id="f-proxy_identity_code-error"' in response.text
    assert "010101-0000" not in response.text
    assert await ProxyRight.count() == 0


async def test_proxy_chooses_whose_matters_and_acts_by_x_for_y(
    staff: httpx.AsyncClient, relative: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    customer = await customer_with_code(new_identity_code(), first="Aino", last="Virtanen")
    code = new_identity_code()
    await record_right(staff, customer, code)
    sub = person_at_broker(oidc_provider, code, name="Liisa Virtanen")
    choose = await identify(relative, oidc_provider, sub)
    assert str(choose.url).endswith("/oma/choose")
    assert "Aino Virtanen" in choose.text
    front = await post_form(relative, "/oma/choose", {"customer": str(customer)})
    assert "asioit henkilön Aino Virtanen puolesta" in front.text
    log = await relative.get("/oma/access-log")
    assert "Liisa Virtanen (Asiamies)" in log.text
    by_proxy = await AuditEntry.select(AuditEntry.actor_name, AuditEntry.action).where(
        (AuditEntry.customer_id == customer) & (AuditEntry.actor_roles == "proxy")
    )
    assert {"actor_name": "Liisa Virtanen", "action": "login"} in by_proxy
    assert {"actor_name": "Liisa Virtanen", "action": "view"} in by_proxy


async def test_a_withdrawn_right_stops_at_once(
    staff: httpx.AsyncClient, relative: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    customer = await customer_with_code(new_identity_code())
    code = new_identity_code()
    await record_right(staff, customer, code)
    await identify(relative, oidc_provider, person_at_broker(oidc_provider, code))
    await post_form(relative, "/oma/choose", {"customer": str(customer)})
    right = (await ProxyRight.select(ProxyRight.id).first())["id"]
    path = f"/customers/{customer}/proxies/{right}/withdraw"
    await assert_asks_first(staff, path, {})
    withdrawn = await post_confirmed(staff, path, {})
    assert notices(withdrawn.text) == [("success", "Asiamiehen oikeus peruttiin.")]
    response = await relative.get("/oma", follow_redirects=False)
    assert response.headers["location"] == "/oma/choose"
    refused = await post_form(relative, "/oma/choose", {"customer": str(customer)})
    assert str(refused.url).endswith("/oma/login")
    session = await CitizenSession.select(CitizenSession.acting_for).first()
    assert session is None or session["acting_for"] is None


async def test_an_expired_right_gives_no_sign_in(
    staff: httpx.AsyncClient, relative: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    customer = await customer_with_code(new_identity_code())
    code = new_identity_code()
    await record_right(staff, customer, code, valid_to=today() - dt.timedelta(days=1))
    response = await identify(relative, oidc_provider, person_at_broker(oidc_provider, code))
    assert response.status_code == 403
    assert await CitizenSession.count() == 0


async def test_a_right_for_other_services_shows_no_meals(
    staff: httpx.AsyncClient, relative: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    customer = await customer_with_code(new_identity_code())
    await active_service(await new_region(), customer=customer)
    code = new_identity_code()
    await record_right(staff, customer, code, services="booking")
    await identify(relative, oidc_provider, person_at_broker(oidc_provider, code))
    front = await post_form(relative, "/oma/choose", {"customer": str(customer)})
    assert "Ilmoita poissaolo" not in front.text
    refused = await relative.get("/oma/meals/absence", follow_redirects=False)
    assert refused.status_code in (302, 303)


async def test_staff_change_a_right_and_a_shortened_one_stops_at_once(
    staff: httpx.AsyncClient, relative: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    customer = await customer_with_code(new_identity_code())
    await active_service(await new_region(), customer=customer)
    code = new_identity_code()
    await record_right(staff, customer, code, services="booking")
    await identify(relative, oidc_provider, person_at_broker(oidc_provider, code))
    front = await post_form(relative, "/oma/choose", {"customer": str(customer)})
    assert "Ilmoita poissaolo" not in front.text
    listing = await staff.get(f"/customers/{customer}/proxies")
    form = await staff.get(href(listing.text, f"/customers/{customer}/proxies/"))
    assert form.status_code == 200 and code not in form.text
    path = hidden_form_action(form.text)
    fields = {**hidden_inputs(form.text, path), "proxy_name": "Liisa Virtanen-Koski",
              "valid_from": fmt_date(today() - dt.timedelta(days=30)), "valid_to": "",
              "basis": "guardianship", "services": ["booking", "meals"]}  # fmt: skip
    saved = await post_form(staff, path, fields)
    assert notices(saved.text) == [("success", "Asiamiehen oikeus tallennettiin.")]
    assert "Liisa Virtanen-Koski" in saved.text and "Edunvalvojan määräys" in saved.text
    front = await relative.get("/oma")
    assert "Ilmoita poissaolo" in front.text  # meals added: at the next request
    stale = await post_form(staff, path, fields)  # the version of the first form again
    assert stale.status_code == 409
    form = await staff.get(path)
    shortened = {**hidden_inputs(form.text, path), **fields,
                 "valid_to": fmt_date(today() - dt.timedelta(days=1))}  # fmt: skip
    shortened["version"] = hidden_inputs(form.text, path)["version"]
    assert notices((await post_form(staff, path, shortened)).text)[0][0] == "success"
    response = await relative.get("/oma", follow_redirects=False)
    assert response.headers["location"] == "/oma/choose"
    entries = await (
        AuditEntry.select(AuditEntry.before, AuditEntry.after)
        .where((AuditEntry.entity == "proxy_right") & (AuditEntry.action == "update"))
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )
    assert [e["after"]["services"] for e in entries] == ["booking,meals", "booking,meals"]
    assert entries[0]["before"]["proxy_name"] == "Liisa Virtanen"
    assert entries[1]["after"]["valid_to"] == str(today() - dt.timedelta(days=1))
    assert code not in str(entries)


async def test_a_bad_change_is_refused_next_to_the_field_and_nothing_is_saved(
    staff: httpx.AsyncClient,
) -> None:
    customer = await customer_with_code(new_identity_code())
    await record_right(staff, customer, new_identity_code())
    right = (await ProxyRight.select(ProxyRight.id).first())["id"]
    path = f"/customers/{customer}/proxies/{right}/edit"
    form = await staff.get(path)
    ended = fmt_date(today() - dt.timedelta(days=2))
    bad = {**hidden_inputs(form.text, path), "proxy_name": "", "basis": "authorisation",
           "valid_from": fmt_date(today()), "valid_to": ended}  # fmt: skip
    refused = await post_form(staff, path, bad)
    assert refused.status_code == 400
    assert 'id="f-valid_to-error"' in refused.text and 'id="f-proxy_name-error"' in refused.text
    assert (await ProxyRight.select(ProxyRight.proxy_name).first())["proxy_name"] == (
        "Liisa Virtanen"
    )
    # A name too long is refused at its field (it used to be cut to 200 characters silently).
    long = {**bad, "proxy_name": "L" * 201, "valid_to": ""}
    refused = await post_form(staff, path, long)
    assert refused.status_code == 400 and 'id="f-proxy_name-error"' in refused.text
    assert 'id="f-valid_to-error"' not in refused.text
    other = await customer_with_code(new_identity_code())
    assert (await staff.get(f"/customers/{other}/proxies/{right}/edit")).status_code == 404


def headings(html: str) -> list[str]:
    """The page's title and h1–h2 headings, as read."""
    found = re.findall(r"<(title|h1|h2)[^>]*>(.*?)</\1>", html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", text).split()) for _tag, text in found]


@pytest.mark.parametrize(
    ("language", "services", "data", "log"),
    [
        ("fi", "Henkilön Aino Virtanen palvelut", "Henkilön Aino Virtanen tiedot",
         "Ketkä ovat katselleet henkilön Aino Virtanen tietoja"),
        ("sv", "Tjänster för Aino Virtanen", "Uppgifter om Aino Virtanen",
         "Vem har sett uppgifterna om Aino Virtanen"),
        ("en", "Aino Virtanen's services", "Aino Virtanen's data",
         "Who has viewed Aino Virtanen's data"),
    ],
)  # fmt: skip
async def test_a_proxys_headings_name_whose_matters_they_are(
    staff: httpx.AsyncClient,
    relative: httpx.AsyncClient,
    oidc_provider: Provider,
    citizen_site: Litestar,
    language: str,
    services: str,
    data: str,
    log: str,
) -> None:
    """A relative reads "Aino Virtanen's services", never "your own services"; the customer
    herself still reads "your"."""
    code_of_customer = new_identity_code()
    customer = await customer_with_code(code_of_customer, first="Aino", last="Virtanen")
    await active_service(await new_region(), customer=customer)
    code = new_identity_code()
    await record_right(staff, customer, code, services="")
    await relative.get(f"/oma/login?lang={language}")
    await identify(relative, oidc_provider, person_at_broker(oidc_provider, code, "Liisa V"))
    front = await post_form(relative, "/oma/choose", {"customer": str(customer)})
    assert services in headings(front.text)[:2] and data in headings(front.text)
    paths = ("/oma/access-log", "/oma/my-data", "/oma/decisions", "/oma/meals/absence",
             "/oma/booking")  # fmt: skip
    assert all(f'href="{path}"' in front.text for path in paths)  # the page's own links
    pages = {path: await relative.get(path) for path in paths}
    assert log in headings(pages["/oma/access-log"].text)
    assert data in headings(pages["/oma/my-data"].text)
    own = {"fi": ("Omat palvelusi", "Tietosi", "tietojasi", "Sinulle", "Aikasi"),
           "sv": ("Dina egna tjänster", "Dina uppgifter", "dina uppgifter", "till dig",
                  "Dina tider"),
           "en": ("Your own services", "Your data", "your data", "sent to you",
                  "Your appointments")}[language]  # fmt: skip
    for path, page in {"/oma": front, **pages}.items():
        assert page.status_code == 200, path
        shown = " | ".join(headings(page.text))
        assert "Aino Virtanen" in shown or path == "/oma/meals/absence", (path, shown)
        assert not [w for w in own if w in shown], (path, shown)
    # The data document says the same as the page: whose data it is, not "your data".
    document = await relative.get(href(pages["/oma/my-data"].text, "/oma/my-data.pdf"))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(document.content)).pages)
    text = " ".join(text.split())
    assert data in text and log in text, text[:300]
    assert not [w for w in own if w in text], text[:300]
    async with client(citizen_site) as browser:
        await browser.get(f"/oma/login?lang={language}")
        own_front = await identify(browser, oidc_provider,
                                   person_at_broker(oidc_provider, code_of_customer))  # fmt: skip
        assert own[0] in headings(own_front.text)[:2]
        assert "Aino Virtanen" not in " ".join(headings(own_front.text))
