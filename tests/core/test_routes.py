"""Deny by default: every route declares a permission or is explicitly public."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar


def routes(app: Litestar) -> list[tuple[str, set[str], dict[str, object], str]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            methods = set(getattr(handler, "http_methods", set()))
            module = getattr(handler.fn, "__module__", "")
            found.append((route.path, methods, dict(handler.opt), module))
    return found


def is_public(opt: dict[str, object]) -> bool:
    return not opt.get("permission") and opt.get("public") is True


def test_every_route_has_a_permission_or_is_explicitly_public(app: Litestar) -> None:
    unguarded = [
        path for path, _, opt, _ in routes(app) if not opt.get("permission") and not is_public(opt)
    ]
    assert not unguarded, f"Routes without an access rule: {unguarded}"


def test_core_opens_only_sign_in_static_files_and_the_api_schema(app: Litestar) -> None:
    public = {
        path
        for path, methods, opt, module in routes(app)
        if is_public(opt)
        and methods != {"OPTIONS"}  # automatic answers listing the allowed methods
        and module.startswith(("core.", "litestar."))
    }
    assert "/login" in public
    probes = {"/healthz", "/readyz", "/metrics"}  # /metrics checks its own token or address
    for path in public:
        sign_in = path in ("/login", "/oma/login") or path.startswith("/login/oidc/")
        assert sign_in or path in probes or path.startswith(("/static", "/api/schema")), path


async def test_anonymous_requests_to_guarded_pages_are_turned_away(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    for path, methods, opt, _ in routes(app):
        if is_public(opt) or "GET" not in methods:
            continue
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        response = await client.get(concrete, follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401, path
        else:
            assert response.status_code in (302, 303), path
            sign_in = "/oma/login" if path.startswith("/oma") else "/login"
            assert response.headers["location"].startswith(sign_in), path
