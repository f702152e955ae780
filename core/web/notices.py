"""Notices that survive a redirect: "The exception was removed." shown once on the next page.

A notice travels in a signed, short-lived cookie, so it works for signed-in staff and for
anonymous citizens alike and needs no session row. `NoticeMiddleware` reads the cookie into
the request's notice state; the layout takes the notices (`notices()` in Jinja), and the
middleware then clears the cookie in that same response. A page that does not show the
layout (a redirect, a download) leaves the notice for the next page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from litestar.datastructures import Cookie
from litestar.response import Redirect, Response, Template
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from core import i18n

NOTICE_COOKIE = "valvomo_notice"
NOTICE_MAX_AGE_SECONDS = 120
KINDS = ("success", "info", "warning")


@dataclass(frozen=True)
class Undo:
    """A form the notice offers to take the action back: a POST of `fields` to `action`."""

    action: str
    fields: dict[str, str]


@dataclass(frozen=True)
class Notice:
    message: str
    kind: str = "success"
    variables: dict[str, Any] = field(default_factory=dict)
    undo: Undo | None = None

    @property
    def text(self) -> str:
        return i18n.gettext(self.message, **self.variables)


@dataclass
class _RequestNotices:
    key: bytes
    secure: bool
    incoming: list[Notice]
    current: list[Notice] = field(default_factory=list)
    shown: bool = False


_state: ContextVar[_RequestNotices | None] = ContextVar("valvomo_notices", default=None)


def _notice(message: str, kind: str, variables: dict[str, Any]) -> Notice:
    if kind not in KINDS:
        raise ValueError(f"notice kind must be one of {KINDS}, not {kind!r}")
    return Notice(message, kind, {k: i18n.fmt_value(v) for k, v in variables.items()})


def _sign(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def encode(key: bytes, notices: list[Notice], issued: float | None = None) -> str:
    body = {
        "t": int(issued if issued is not None else time.time()),
        "n": [
            [n.message, n.kind, n.variables, [n.undo.action, n.undo.fields] if n.undo else None]
            for n in notices
        ],
    }
    payload = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload.decode()}.{_sign(key, payload)}"


def decode(key: bytes, value: str, now: float | None = None) -> list[Notice]:
    """The notices of a cookie value; nothing if it is forged, malformed or too old."""
    payload, _, signature = value.partition(".")
    if not hmac.compare_digest(_sign(key, payload.encode()), signature):
        return []
    try:
        body = json.loads(base64.urlsafe_b64decode(payload.encode()))
        if (now if now is not None else time.time()) - body["t"] > NOTICE_MAX_AGE_SECONDS:
            return []
        return [_decoded(*entry) for entry in body["n"]]
    except (ValueError, KeyError, TypeError):
        return []


def _decoded(message: Any, kind: Any, variables: Any, undo: Any = None) -> Notice:
    return Notice(
        str(message),
        str(kind) if kind in KINDS else "info",
        dict(variables),
        Undo(str(undo[0]), {str(k): str(v) for k, v in undo[1].items()}) if undo else None,
    )


def _current() -> _RequestNotices:
    state = _state.get()
    if state is None:
        raise RuntimeError("notices need NoticeMiddleware (inside a request)")
    return state


def _cookie(state: _RequestNotices, notices: list[Notice]) -> Cookie:
    return Cookie(
        key=NOTICE_COOKIE,
        value=encode(state.key, notices),
        path="/",
        max_age=NOTICE_MAX_AGE_SECONDS,
        httponly=True,
        secure=state.secure,
        samesite="lax",
    )


def redirect_with_notice(
    path: str, message: str, *, kind: str = "success", undo: Undo | None = None, **variables: Any
) -> Redirect:
    """Redirect (303) to `path`; the page there shows `message` (an N_() msgid) once, with an
    *Undo* button where `undo` says how to take the action back (for the notice's 2 minutes)."""
    state = _current()
    notice = replace(_notice(message, kind, variables), undo=undo)
    return Redirect(path=path, status_code=303, cookies=[_cookie(state, [notice])])


def add_notice(
    response: Response[Any], message: str, *, kind: str = "success", **variables: Any
) -> Response[Any]:
    """Attach a notice to a response you build: a page shows it now, a redirect on arrival."""
    state = _current()
    notice = _notice(message, kind, variables)
    if isinstance(response, Template):
        state.current.append(notice)
    else:
        response.set_cookie(_cookie(state, [notice]))
    return response


def take_notices() -> list[Notice]:
    """The notices to show on this page (the layout calls this once); marks them shown."""
    state = _state.get()
    if state is None:
        return []
    notices = [*state.incoming, *state.current]
    state.shown = state.shown or bool(state.incoming)
    state.incoming, state.current = [], []
    return notices


def _cookie_value(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, raw = part.strip().partition("=")
                if key == NOTICE_COOKIE:
                    return raw.strip('"')
    return None


class NoticeMiddleware:
    """Reads the notice cookie into the request; clears it once a page has shown it."""

    def __init__(self, app: ASGIApp, secret: str, secure: bool = False) -> None:
        self.app = app
        self.key = hashlib.sha256(b"valvomo-notices:" + secret.encode()).digest()
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        raw = _cookie_value(scope)
        state = _RequestNotices(self.key, self.secure, decode(self.key, raw) if raw else [])
        token = _state.set(state)

        async def send_clearing(message: Message) -> None:
            if message["type"] == "http.response.start" and state.shown:
                headers = list(message.get("headers", []))
                setting = any(
                    k.lower() == b"set-cookie" and v.startswith(NOTICE_COOKIE.encode() + b"=")
                    for k, v in headers
                )
                if not setting:
                    expired = f"{NOTICE_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
                    headers.append((b"set-cookie", expired.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_clearing)
        finally:
            _state.reset(token)
