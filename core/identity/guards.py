"""Who is asking: the session middleware, and the deny-by-default permission guard."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from core.i18n import N_, current_language, pick_language
from core.identity.services import CurrentUser, user_for_session

SESSION_COOKIE = "valvomo_session"
LANGUAGE_COOKIE = "valvomo_lang"
AUTHENTICATED = "authenticated"  # any signed-in user; used for the dashboard and logout


class SessionMiddleware:
    """Loads the signed-in user from the database session on every request (stateless apps)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        user = None
        if token := cookies.get(SESSION_COOKIE):
            user = await user_for_session(token)
        scope["user"] = user
        language = pick_language(
            user.language if user else None,
            cookies.get(LANGUAGE_COOKIE),
            _header(scope, b"accept-language"),
        )
        reset = current_language.set(language)
        try:
            await self.app(scope, receive, send)
        finally:
            current_language.reset(reset)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _cookies(scope: Scope) -> dict[str, str]:
    raw = _header(scope, b"cookie") or ""
    pairs = (part.strip().split("=", 1) for part in raw.split(";") if "=" in part)
    return {k: v for k, v in pairs}


def permission_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Deny unless the user holds the handler's permission or the handler is marked public."""
    opt = handler.opt
    permission = opt.get("permission")
    if not permission:
        if opt.get("public") is True:
            return
        raise PermissionDeniedException(N_("This address has no access rule and is closed."))
    user: CurrentUser | None = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException(N_("Sign in to continue."))
    if permission != AUTHENTICATED and not user.can(permission):
        raise PermissionDeniedException(N_("Your roles do not allow this."))


def require_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser:
    user: CurrentUser | None = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException(N_("Sign in to continue."))
    return user
