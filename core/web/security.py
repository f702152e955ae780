"""Response headers that every page, API answer and export carries, and the client address.

- A strict Content-Security-Policy: scripts and styles only from our own /static files (no
  inline script or style), no framing (frame-ancestors), no plugins, forms post to us only.
- nosniff, Referrer-Policy, Permissions-Policy; HSTS when cookies are secure (HTTPS).
- `Cache-Control: no-store` on every response to a signed-in user, every API answer and every
  download, so customer data does not stay in browser or proxy caches.
- X-Forwarded-For is believed only from the configured proxies (`[web] trusted_proxies`).
"""

from __future__ import annotations

from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from core.config import Settings
from core.identity.guards import in_citizen_area

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
# Swagger UI (only at /api/schema/swagger) loads its script and styles from a CDN.
API_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://cdn.jsdelivr.net; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if settings.cookies_secure:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def _is_private(scope: Scope, disposition: str) -> bool:
    """Signed in, the API, or a download (`disposition`: the response's Content-Disposition):
    not to be stored by any cache."""
    path = str(scope.get("path", ""))
    if path.startswith("/static/"):
        return False
    return (
        scope.get("user") is not None
        or in_citizen_area(path)  # the citizens' own pages, signed in or on their way
        or path.startswith("/api/")
        or "attachment" in disposition
    )


def _set_header(headers: list[tuple[bytes, bytes]], name: bytes, value: bytes) -> None:
    """Set a header (lower-case `name`), replacing any of that name."""
    headers[:] = [(k, v) for k, v in headers if k.lower() != name]
    headers.append((name, value))


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response (outermost, so errors get them too)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = security_headers(settings)
        # Encoded once: every response gets them (a header class per response cost more CPU
        # than the rest of this middleware).
        self.encoded = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in self.headers.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.encoded if h[0] not in present)
                if str(scope.get("path", "")).startswith("/api/schema/swagger"):
                    _set_header(headers, b"content-security-policy", API_DOCS_POLICY.encode())
                disposition = b"".join(v for k, v in headers if k.lower() == b"content-disposition")
                if _is_private(scope, disposition.decode("latin-1")):
                    _set_header(headers, b"cache-control", b"no-store")
                    _set_header(headers, b"pragma", b"no-cache")
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AllowedHostsMiddleware:
    """400 for a Host header (port aside) outside `[web] allowed_hosts`, before anything runs.

    (Litestar's own check compares the Host header with its port, so it refuses every request
    to a non-default port.)"""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.allowed = {h.lower() for h in settings.allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _host_name(scope) in self.allowed:
            await self.app(scope, receive, send)
            return
        start: Any = {
            "type": "http.response.start",
            "status": 400,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
        body: Any = {"type": "http.response.body", "body": b"Unknown host."}
        await send(start)
        await send(body)


def _host_name(scope: Scope) -> str:
    raw = next((v for k, v in scope["headers"] if k == b"host"), b"").decode("latin-1").lower()
    if raw.startswith("["):  # [::1]:8000
        return raw.split("]", 1)[0] + "]"
    return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw


class TrustedProxyMiddleware:
    """The client address from X-Forwarded-For only when the peer is a configured proxy."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.proxied: Any = (
            ProxyHeadersMiddleware(app, trusted_hosts=list(settings.trusted_proxies))  # type: ignore[arg-type]
            if settings.trusted_proxies
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.proxied is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        await self.proxied(scope, receive, send)
