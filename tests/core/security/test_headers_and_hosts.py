"""Gaps 2, 7, 8, 11: host header, security headers and no-store, proxies, secure cookies."""

from __future__ import annotations

import re
from dataclasses import replace

import httpx
from litestar import Litestar

from core.config import PROJECT_ROOT, load_settings
from core.identity.tables import LoginAttempt
from core.web.app import create_app
from core.web.runtime import Runtime
from tests.core.test_routes import routes
from tests.helpers import PASSWORD, csrf, make_user, sign_in

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def concrete(path: str) -> str:
    """A path template with every parameter filled in (ids 1, text "x")."""
    path = re.sub(r"\{[^}:]+:int\}", "1", path)
    path = re.sub(r"\{[^}:]+:(str|path)\}", "x", path)
    return re.sub(r"\{[^}]+\}", "1", path)


def assert_secure_headers(response: httpx.Response, path: str) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (path, name, response.status_code)
    policy = response.headers.get("content-security-policy", "")
    if not path.startswith("/api/schema/swagger"):
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy, path
    assert "camera=()" in response.headers.get("permissions-policy", ""), path


async def test_every_get_route_carries_security_headers_and_no_store(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    await sign_in(client, await make_user("admin", "client_guidance", "biller", "home_care"))
    found = {
        concrete(path): opt.get("sessionless") is True
        for path, methods, opt, _ in routes(app)
        if "GET" in methods and concrete(path) != "/static/x"
    }
    assert len(found) > 40
    for path, sessionless in sorted(found.items()):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code < 500 or path == "/readyz", (path, response.status_code)
        assert_secure_headers(response, path)
        if not sessionless:  # probes and metrics hold no customer data and no session
            assert response.headers.get("cache-control") == "no-store", path


async def test_anonymous_pages_have_headers_and_static_files_may_be_cached(
    client: httpx.AsyncClient,
) -> None:
    login = await client.get("/login")
    assert_secure_headers(login, "/login")
    assert "strict-transport-security" not in login.headers  # development switch: plain http
    css = await client.get("/static/style.css")
    assert css.status_code == 200 and css.headers.get("cache-control") != "no-store"


async def test_no_inline_script_or_style_in_any_template() -> None:
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for folder in ("core", "plugins", "themes")
        for path in (PROJECT_ROOT / folder).rglob("*.html")
        if re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", path.read_text())
    ]
    assert offenders == []


async def test_unknown_host_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/login", headers={"host": "evil.example"})
    assert response.status_code == 400
    response = await client.post("/book/confirm", headers={"host": "evil.example"})
    assert response.status_code == 400


async def test_shipped_configuration_has_secure_cookies_and_hsts(runtime: Runtime) -> None:
    shipped = load_settings(PROJECT_ROOT / "valvomo.toml")
    assert shipped.secure_cookies and not shipped.development and shipped.cookies_secure
    assert shipped.trusted_proxies == ()
    secure = replace(
        runtime, settings=replace(runtime.settings, development=False, secure_cookies=True)
    )
    transport = httpx.ASGITransport(app=create_app(runtime=secure), client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as c:
        page = await c.get("/login")
        assert "Secure" in page.headers["set-cookie"]
        assert page.headers["strict-transport-security"].startswith("max-age=")
        username = await make_user("home_care")
        signed_in = await c.post(
            "/login",
            data={"username": username, "password": PASSWORD, "_csrf_token": csrf(c)},
        )
        cookies = signed_in.headers.get_list("set-cookie")
        assert all("Secure" in cookie for cookie in cookies) and len(cookies) >= 2


async def test_forwarded_for_is_ignored_unless_from_a_trusted_proxy(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    forged = {"x-forwarded-for": "203.0.113.9"}
    await client.get("/login")
    await client.post(
        "/login",
        data={"username": "nobody", "password": "x", "_csrf_token": csrf(client)},
        headers=forged,
    )
    assert [r["address"] for r in await LoginAttempt.select(LoginAttempt.address)] == ["127.0.0.1"]
    proxied = replace(runtime, settings=replace(runtime.settings, trusted_proxies=("127.0.0.1",)))
    transport = httpx.ASGITransport(app=create_app(runtime=proxied), client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        await c.get("/login")
        await c.post(
            "/login",
            data={"username": "nobody", "password": "x", "_csrf_token": csrf(c)},
            headers=forged,
        )
    addresses = {r["address"] for r in await LoginAttempt.select(LoginAttempt.address)}
    assert addresses == {"127.0.0.1", "203.0.113.9"}


async def test_allowed_host_with_a_port_is_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/login", headers={"host": "localhost:8000"})).status_code == 200
    assert (await client.get("/login", headers={"host": "evil.example:8000"})).status_code == 400
