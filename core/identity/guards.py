"""Who is asking: the session middleware, and the deny-by-default permission guard."""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.csrf import generate_csrf_hash
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from core.db import get_database
from core.i18n import N_, current_language, pick_language
from core.identity.second_factor import required_for
from core.identity.services import CurrentUser, user_for_session

SESSION_COOKIE = "valvomo_session"
CSRF_COOKIE = "valvomo_csrf"
LANGUAGE_COOKIE = "valvomo_lang"
CITIZEN_PATH = "/oma"  # the citizens' own pages: no staff session there (core.citizen)
AUTHENTICATED = "authenticated"  # any signed-in user; used for the dashboard and logout
CITIZEN_SESSION = "citizen"  # a signed-in citizen (core.citizen), never a staff user


def session_csrf_token(secret: str, session_token: str) -> str:
    """The CSRF token of one session, in the form Litestar's CSRF middleware checks: a token
    from another session (or from before sign-in) is refused on a signed-in user's forms."""
    derived = hmac.new(secret.encode(), b"csrf:" + session_token.encode(), "sha256").hexdigest()
    return derived + generate_csrf_hash(token=derived, secret=secret)


def csrf_cookie(token: str, secure: bool) -> str:
    return f"{CSRF_COOKIE}={token}; Path=/; SameSite=Lax" + ("; Secure" if secure else "")


class SessionMiddleware:
    """Loads the signed-in user from the database session on every request (stateless apps),
    and binds the CSRF token to the session (runs before Litestar's CSRF check).

    The request holds one database connection from here on: the session lookup and every
    statement and transaction of the handler run on it (see core/engines.py).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        sessionless = handler is not None and handler.opt.get("sessionless") is True
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        if sessionless:  # probes, and signing in: no session to read, no connection held
            await self._in_language(scope, receive, send, None)
            return
        async with get_database().connection():
            cookies = cookies_of(scope)
            user = None
            if not in_citizen_area(scope["path"]) and (token := cookies.get(SESSION_COOKIE)):
                user = await user_for_session(token)
            scope["user"] = user
            if user is not None and token:
                checked = await with_session_csrf(scope, send, token)
                if checked is None:
                    return
                send = checked
            await self._in_language(scope, receive, send, user.language if user else None)

    async def _in_language(
        self, scope: Scope, receive: Receive, send: Send, user_language: str | None
    ) -> None:
        language = pick_language(
            user_language,
            cookies_of(scope).get(LANGUAGE_COOKIE),
            _header(scope, b"accept-language"),
        )
        reset = current_language.set(language)
        try:
            await self.app(scope, receive, send)
        finally:
            current_language.reset(reset)


class RequestLanguage:
    """The language of the cookie or the browser for the whole request, outside Litestar's
    routing: a page no route answers (404) is rendered there, before any middleware, and is
    then in the citizen's chosen language too. SessionMiddleware refines it with the user's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        language = pick_language(
            cookies_of(scope).get(LANGUAGE_COOKIE), _header(scope, b"accept-language")
        )
        reset = current_language.set(language)
        try:
            await self.app(scope, receive, send)
        finally:
            current_language.reset(reset)


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def with_session_csrf(scope: Scope, send: Send, session_key: str) -> Send | None:
    """The CSRF check of a signed-in request, whose token derives from its session: a form
    post without it is refused (None, the 403 already sent); a page view gets the cookie set
    (the returned `send` adds it)."""
    settings = scope["app"].state.valvomo.settings
    expected = session_csrf_token(settings.secret, session_key)
    if cookies_of(scope).get(CSRF_COOKIE) == expected:
        return send
    if scope.get("method", "GET") not in SAFE_METHODS:
        await forbidden(send)
        return None
    replace_cookie(scope, CSRF_COOKIE, expected)
    return setting_cookie(send, csrf_cookie(expected, settings.cookies_secure))


def in_citizen_area(path: str) -> bool:
    return path == CITIZEN_PATH or path.startswith(CITIZEN_PATH + "/")


async def forbidden(send: Send) -> None:
    body = b"The form was not issued for this session; reload the page and try again."
    start: Any = {
        "type": "http.response.start",
        "status": 403,
        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
    }
    end: Any = {"type": "http.response.body", "body": body}
    await send(start)
    await send(end)


def replace_cookie(scope: Scope, name: str, value: str) -> None:
    cookies = {**cookies_of(scope), name: value}
    header = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode("latin-1")
    scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"cookie"] + [
        (b"cookie", header)
    ]


def setting_cookie(send: Send, cookie: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
        await send(message)

    return wrapped


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def cookies_of(scope: Scope) -> dict[str, str]:
    raw = _header(scope, b"cookie") or ""
    pairs = (part.strip().split("=", 1) for part in raw.split(";") if "=" in part)
    return {k: v for k, v in pairs}


class SecondFactorRequired(PermissionDeniedException):
    """A member of a role that requires a second factor (role page or `[web] totp_roles`)
    without one: pages lead to the set-up."""


SECOND_FACTOR_PATH = "/account/second-factor"


async def permission_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Deny unless the user holds the handler's permission or the handler is marked public.

    A coroutine although it awaits nothing: Litestar runs a plain function guard in a worker
    thread (`sync_to_thread`), a thread hop on every request."""
    opt = handler.opt
    permission = opt.get("permission")
    if not permission:
        if opt.get("public") is True:
            return
        raise PermissionDeniedException(N_("This address has no access rule and is closed."))
    if permission == CITIZEN_SESSION:
        if connection.scope.get("citizen") is None:
            raise NotAuthorizedException(N_("Sign in to continue."))
        return
    user: CurrentUser | None = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException(N_("Sign in to continue."))
    totp_roles = connection.app.state.valvomo.settings.totp_roles
    required = user.second_factor_required or required_for(user.role_codes, totp_roles)
    if required and not user.has_second_factor and not opt.get("second_factor_setup"):
        raise SecondFactorRequired(N_("Your roles require a second factor; set it up first."))
    if permission != AUTHENTICATED and not user.can(permission):
        raise PermissionDeniedException(N_("Your roles do not allow this."))


def require_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser:
    user: CurrentUser | None = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException(N_("Sign in to continue."))
    return user
