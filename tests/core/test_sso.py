"""Staff single sign-on through a real OpenID Connect provider process; break-glass passwords."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from litestar import Litestar

from core.audit.tables import AuditEntry
from core.config import IdentityProvider, IdentitySettings
from core.identity import oidc
from core.identity.tables import StaffIdentity, StaffSession, StaffUser, UserRole
from core.web.app import create_app
from core.web.runtime import Runtime
from tests.conftest import with_identity_providers
from tests.helpers import make_user, post_form, sign_in
from tests.oidc_provider import Provider, local_path, run_provider

ROLE_MAP = {
    "valvomo-admins": ("admin",),
    "meal-team": ("meal_coordinator",),
    "billing": ("biller",),
}


def staff_provider(issuer: str, name: str = "region") -> IdentityProvider:
    return IdentityProvider(
        name=name,
        label="Region ID",
        issuer=issuer,
        client_id="valvomo-test",
        client_secret="test-client-secret",
        role_map=ROLE_MAP,
    )


def app_with(runtime: Runtime, *providers: IdentityProvider, **identity: object) -> Litestar:
    settings = IdentitySettings(providers=providers, **identity)  # type: ignore[arg-type]
    return create_app(runtime=with_identity_providers(runtime, settings))


@pytest.fixture(scope="module")
def sso_app(runtime: Runtime, oidc_provider: Provider) -> Litestar:
    return app_with(runtime, staff_provider(oidc_provider.issuer))


def client_for(app: Litestar) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)),
        base_url="http://testserver.local",
        follow_redirects=True,
    )


@pytest.fixture
async def sso_client(sso_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sso_app) as client:
        yield client


async def start(client: httpx.AsyncClient, name: str = "region") -> str:
    response = await client.get(f"/login/oidc/{name}?next=/", follow_redirects=False)
    assert response.status_code in (302, 303), response.text
    return response.headers["location"]


async def sign_in_via(
    client: httpx.AsyncClient, provider: Provider, sub: str, name: str = "region"
) -> httpx.Response:
    back = provider.sign_in(await start(client, name), sub)
    return await client.get(local_path(back))


def person(username: str, *groups: str, name: str = "Maija Meikäläinen") -> dict[str, object]:
    return {"preferred_username": username, "name": name, "email": username, "groups": groups}


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "valvomo.identity"]


async def roles_of(username: str) -> list[str]:
    user = await StaffUser.select(StaffUser.id).where(StaffUser.username == username).first()
    rows = await UserRole.select(UserRole.role.code).where(UserRole.user == user["id"])
    return sorted(r["role.code"] for r in rows)


async def test_login_page_offers_the_provider(sso_client: httpx.AsyncClient) -> None:
    page = await sso_client.get("/login")
    assert 'href="/login/oidc/region?next=' in page.text
    assert "Region ID" in page.text


async def test_authorization_request_uses_pkce_state_and_nonce(
    sso_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    query = parse_qs(urlsplit(await start(sso_client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == ["http://testserver.local/login/oidc/region/callback"]
    assert query["scope"] == ["openid profile email"]


async def test_first_sign_in_creates_the_user_with_mapped_roles(
    sso_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    oidc_provider.set_person("sub-maija", person("maija@region.fi", "valvomo-admins", "meal-team"))
    response = await sign_in_via(sso_client, oidc_provider, "sub-maija")
    assert response.status_code == 200
    assert str(response.url) == "http://testserver.local/"
    assert "Maija Meikäläinen" in response.text
    assert await roles_of("maija.region.fi") == ["admin", "meal_coordinator"]
    assert await StaffIdentity.count() == 1
    logins = await AuditEntry.count().where(AuditEntry.action == "login")
    assert logins == 1


async def test_roles_follow_the_groups_at_every_sign_in(
    sso_app: Litestar, oidc_provider: Provider
) -> None:
    oidc_provider.set_person("sub-pekka", person("pekka@region.fi", "meal-team", "billing"))
    async with client_for(sso_app) as first:
        await sign_in_via(first, oidc_provider, "sub-pekka")
        assert await roles_of("pekka@region.fi".replace("@", ".")) == ["biller", "meal_coordinator"]
        oidc_provider.set_person("sub-pekka", person("pekka@region.fi", "meal-team"))
        async with client_for(sso_app) as second:
            response = await sign_in_via(second, oidc_provider, "sub-pekka")
            assert response.status_code == 200
        assert await roles_of("pekka.region.fi") == ["meal_coordinator"]
        oidc_provider.set_person("sub-pekka", person("pekka@region.fi"))
        async with client_for(sso_app) as third:
            refused = await sign_in_via(third, oidc_provider, "sub-pekka")
        assert refused.status_code == 403
        assert "ei ole roolia" in refused.text  # "no role in Valvomo" in Finnish
        assert await roles_of("pekka.region.fi") == []
        assert await StaffSession.count() == 0  # the earlier sessions ended too
        assert (await first.get("/", follow_redirects=False)).status_code != 200


async def test_disabled_user_is_refused_and_nothing_is_written(
    sso_app: Litestar, oidc_provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    oidc_provider.set_person("sub-liisa", person("liisa@region.fi", "meal-team"))
    async with client_for(sso_app) as client:
        await sign_in_via(client, oidc_provider, "sub-liisa")
    await StaffUser.update({StaffUser.is_active: False}).where(StaffUser.id > 0)
    await StaffSession.delete().where(StaffSession.id > 0)
    entries = await AuditEntry.count()
    caplog.set_level(logging.WARNING, logger="valvomo.identity")
    async with client_for(sso_app) as client:
        response = await sign_in_via(client, oidc_provider, "sub-liisa")
    assert response.status_code == 403
    assert await StaffSession.count() == 0
    assert await AuditEntry.count() == entries
    assert refusals(caplog) == ["sign-in refused: user_disabled (provider region)"]


async def test_state_mismatch_is_refused(
    sso_client: httpx.AsyncClient, oidc_provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    oidc_provider.set_person("sub-olli", person("olli@region.fi", "valvomo-admins"))
    back = oidc_provider.sign_in(await start(sso_client), "sub-olli")
    forged = back.replace("state=", "state=x")
    caplog.set_level(logging.WARNING, logger="valvomo.identity")
    response = await sso_client.get(local_path(forged))
    assert response.status_code == 400
    assert "Kirjautuminen ei onnistunut" in response.text
    assert await StaffUser.count() == 0 and await StaffSession.count() == 0
    assert refusals(caplog) == ["sign-in refused: state_mismatch (provider region)"]


async def test_callback_without_the_flow_cookie_is_refused(
    sso_app: Litestar, oidc_provider: Provider
) -> None:
    oidc_provider.set_person("sub-olli", person("olli@region.fi", "valvomo-admins"))
    async with client_for(sso_app) as starter:
        back = oidc_provider.sign_in(await start(starter), "sub-olli")
    async with client_for(sso_app) as other_browser:
        response = await other_browser.get(local_path(back))
    assert response.status_code == 400
    assert await StaffUser.count() == 0


async def test_nonce_mismatch_is_refused(
    sso_client: httpx.AsyncClient, oidc_provider: Provider, runtime: Runtime
) -> None:
    oidc_provider.set_person("sub-olli", person("olli@region.fi", "valvomo-admins"))
    back = oidc_provider.sign_in(await start(sso_client), "sub-olli")
    cookie = str(sso_client.cookies.get(oidc.FLOW_COOKIE))
    flow = json.loads(base64.urlsafe_b64decode(cookie.split(".")[0]))
    replayed = oidc.Flow(**{**flow, "nonce": "another-nonce"})
    sso_client.cookies.set(
        oidc.FLOW_COOKIE, oidc._sign(runtime.settings.secret, replayed), path="/login/oidc"
    )
    response = await sso_client.get(local_path(back))
    assert response.status_code == 400
    assert await StaffUser.count() == 0


async def test_unknown_provider_is_a_404(sso_client: httpx.AsyncClient) -> None:
    response = await sso_client.get("/login/oidc/nowhere")
    assert response.status_code == 404
    response = await sso_client.get("/login/oidc/nowhere/callback?code=x&state=y")
    assert response.status_code == 404


def test_a_token_signed_with_another_key_or_for_another_issuer_is_refused(
    oidc_provider: Provider,
) -> None:
    keys = httpx.get(f"{oidc_provider.issuer}/jwks", timeout=10).json()
    claims = {"iss": oidc_provider.issuer, "sub": "x", "aud": "valvomo-test", "nonce": "n",
              "iat": int(time.time()), "exp": int(time.time()) + 300}  # fmt: skip
    forged = jwt.encode({"alg": "RS256", "kid": keys["keys"][0]["kid"]}, claims,
                        RSAKey.generate_key(2048))  # fmt: skip
    check = {"keys": keys, "client_id": "valvomo-test", "nonce": "n", "algorithms": ["RS256"]}
    with pytest.raises(oidc.SignInRefused) as refused:
        oidc.verify_id_token(forged, issuer=oidc_provider.issuer, **check)  # type: ignore[arg-type]
    assert refused.value.reason == "bad_signature"


@pytest.fixture(scope="module")
def short_lived_provider() -> Iterator[Provider]:
    """A second provider whose ID tokens expire after one second."""
    yield from run_provider("--token-max-age", "1")


async def test_expired_id_token_is_refused(
    runtime: Runtime, short_lived_provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oidc, "CLOCK_SKEW_SECONDS", 0)
    short_lived_provider.set_person("sub-eino", person("eino@region.fi", "valvomo-admins"))
    app = app_with(runtime, staff_provider(short_lived_provider.issuer, name="slow"))
    async with client_for(app) as client:
        back = short_lived_provider.sign_in(await start(client, "slow"), "sub-eino")
        # The code is exchanged after the ID token it brings has expired.
        original = oidc.time.time
        monkeypatch.setattr(oidc.time, "time", lambda: original() + 5)
        response = await client.get(local_path(back))
    assert response.status_code == 400
    assert await StaffUser.count() == 0


async def test_sign_out_offers_the_providers_sign_out(
    sso_client: httpx.AsyncClient, oidc_provider: Provider
) -> None:
    oidc_provider.set_person("sub-maija", person("maija@region.fi", "meal-team"))
    await sign_in_via(sso_client, oidc_provider, "sub-maija")
    response = await post_form(sso_client, "/logout", {})
    assert response.status_code == 200
    assert f'href="{oidc_provider.issuer}/oauth2/end_session?' in response.text
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver.local%2Flogin" in response.text
    assert await StaffSession.count() == 0


async def test_break_glass_keeps_passwords_only_for_administrators(
    runtime: Runtime, oidc_provider: Provider
) -> None:
    app = app_with(runtime, staff_provider(oidc_provider.issuer), local_passwords="break_glass")
    admin = await make_user("admin")
    coordinator = await make_user("meal_coordinator")
    async with client_for(app) as client:
        refused = await sign_in(client, coordinator)
        assert refused.status_code == 400
        assert "salasanat eivät ole käytössä" in refused.text
        assert await StaffSession.count() == 0
        allowed = await sign_in(client, admin)
        assert allowed.status_code == 200 and str(allowed.url).endswith("/")
        assert await StaffSession.count() == 1


async def test_passwords_for_everyone_by_default(runtime: Runtime) -> None:
    app = app_with(runtime)
    coordinator = await make_user("meal_coordinator")
    async with client_for(app) as client:
        assert (await sign_in(client, coordinator)).status_code == 200
    assert replace(IdentitySettings()).local_passwords == "everyone"
