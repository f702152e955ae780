"""Helpers for citizen tests: customers with valid identity codes, the broker's settings and
signing in through the real provider process (tests/oidc_provider.py)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import unescape

import httpx
from litestar import Litestar

from core.citizen.middleware import CITIZEN_COOKIE
from core.common.clock import now, today
from core.config import IdentityProvider, IdentitySettings
from core.customers.tables import Customer
from core.demo import identity_code_for
from core.i18n import fmt_date
from core.web.app import create_app
from core.web.runtime import Runtime
from tests.conftest import with_identity_providers
from tests.helpers import make_user, post_form, sign_in
from tests.oidc_provider import Provider, local_path

_people = itertools.count(1)
_rng = random.Random(1313)


def broker(issuer: str) -> IdentityProvider:
    return IdentityProvider(
        name="suomifi",
        label="Suomi.fi",
        audience="citizen",
        issuer=issuer,
        client_id="valvomo-citizens",
        client_secret="test-broker-secret",
        scopes=("openid", "profile"),
        identity_code_claim="hetu",
    )


def citizen_app(runtime: Runtime, issuer: str, **identity: object) -> Litestar:
    settings = IdentitySettings(providers=(broker(issuer),), **identity)  # type: ignore[arg-type]
    return create_app(runtime=with_identity_providers(runtime, settings))


def new_identity_code() -> str:
    return identity_code_for(_rng, 1940)


async def customer_with_code(code: str, first: str = "Aino", last: str = "Virtanen") -> int:
    moment = now()
    rows = await Customer.insert(
        Customer(
            identity_code=code,
            first_name=first,
            last_name=last,
            search_name=f"{last.lower()} {first.lower()}",
            municipality="Seinäjoki",
            created_at=moment,
            updated_at=moment,
        )
    ).returning(Customer.id)
    return int(rows[0]["id"])


def person_at_broker(provider: Provider, code: str, name: str = "Aino Virtanen") -> str:
    """Set the person up at the broker; their subject (not the identity code)."""
    sub = f"person-{next(_people)}"
    provider.set_person(sub, {"hetu": code, "name": name})
    return sub


async def identify(client: httpx.AsyncClient, provider: Provider, sub: str) -> httpx.Response:
    """From the citizen's sign-in page through the broker and back, as a browser would."""
    page = await client.get("/oma/login")
    assert 'href="/login/oidc/suomifi?next=/oma"' in page.text
    away = await client.get("/login/oidc/suomifi?next=/oma", follow_redirects=False)
    back = provider.sign_in(away.headers["location"], sub)
    return await client.get(local_path(back))


def has_citizen_session(client: httpx.AsyncClient) -> bool:
    return bool(client.cookies.get(CITIZEN_COOKIE))


async def record_right(
    staff: httpx.AsyncClient,
    customer: int,
    code: str,
    valid_to: dt.date | None = None,
    services: str = "meals",
) -> httpx.Response:
    return await post_form(
        staff,
        f"/customers/{customer}/proxies",
        {
            "proxy_name": "Liisa Virtanen",
            "proxy_identity_code": code,
            "valid_from": fmt_date(today() - dt.timedelta(days=30)),
            "valid_to": fmt_date(valid_to) if valid_to else "",
            "basis": "authorisation",
            "services": services,
        },
    )


@asynccontextmanager
async def staff_beside(
    citizen: httpx.AsyncClient, role: str = "client_guidance"
) -> AsyncIterator[httpx.AsyncClient]:
    """A staff member with `role`, signed in on the same app as the citizen's client, in a
    client of their own (e.g. to record a proxy right)."""
    async with httpx.AsyncClient(
        transport=citizen._transport, base_url="http://testserver.local", follow_redirects=True
    ) as staff:
        await sign_in(staff, await make_user(role))
        yield staff


def href(html: str, starting: str) -> str:
    """The first link on the page whose address starts with `starting`: journeys move by the
    page's own links, never by typed addresses."""
    found = re.search(r'href="(' + re.escape(starting) + r'[^"]*)"', html)
    assert found, f"no link to {starting} on the page"
    return unescape(found.group(1))


def choices(html: str, name: str) -> list[str]:
    """The values a page's radio buttons or checkboxes called `name` offer."""
    pattern = r'<input[^>]*name="' + re.escape(name) + r'"[^>]*value="([^"]*)"'
    return [unescape(v) for v in re.findall(pattern, html)]


def hidden_inputs(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting (or getting) to `action`."""
    form = re.search(r'<form[^>]*action="' + re.escape(action) + r'".*?</form>', html, re.S)
    assert form, f"no form to {action} on the page"
    pattern = r'<input type="hidden" name="([^"]+)" value="([^"]*)"'
    return {k: unescape(v) for k, v in re.findall(pattern, form.group(0)) if k != "_csrf_token"}
