"""Friendly error pages for people, JSON bodies for the API. Never a bare 500."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from litestar.response import Redirect, Template

from core.common.errors import NotFound, ValidationFailed, VersionConflict
from core.i18n import N_, gettext
from core.identity.guards import (
    CITIZEN_PATH,
    SECOND_FACTOR_PATH,
    SecondFactorRequired,
    in_citizen_area,
)
from core.identity.passwords import BUSY_RETRY_SECONDS, HashingBusy
from core.operations.outage import is_database_outage
from core.web.pages import render, render_conflict
from core.web.runtime import runtime_of

logger = logging.getLogger("valvomo")

TITLES = {
    400: N_("The request could not be handled"),
    401: N_("Please sign in"),
    403: N_("You do not have access to this page"),
    404: N_("Page not found"),
    405: N_("This action is not possible here"),
    409: N_("Someone else changed this in the meantime"),
    413: N_("The submission is too large"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("The service is briefly unavailable"),
}


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def _status_page(request: Request[Any, Any, Any], status: int, detail: str = "") -> Template:
    """The error page; a citizen's (on /oma, or a page for citizens) says whom to contact
    instead of speaking of administrators and the dashboard."""
    own_pages = in_citizen_area(request.url.path)
    extra: dict[str, Any] = {"audience": "citizen", "home_href": CITIZEN_PATH} if own_pages else {}
    return render(
        request,
        "errors/status.html",
        status_code=status,
        status=status,
        title=TITLES.get(status, TITLES[400]),
        detail=detail,
        own_pages=own_pages,
        **extra,
    )


def _json(status: int, body: dict[str, Any]) -> Response[Any]:
    return Response(content={"status_code": status, **body}, status_code=status)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException) and in_citizen_area(request.url.path):
        return Redirect(path=CITIZEN_PATH + "/login")
    if isinstance(exc, NotAuthorizedException) and not _is_api(request):
        return Redirect(path="/login?next=" + request.url.path)
    if isinstance(exc, SecondFactorRequired) and not _is_api(request):
        return Redirect(path=SECOND_FACTOR_PATH)
    response: Response[Any]
    if _is_api(request):
        body: dict[str, Any] = {"detail": exc.detail}
        if isinstance(exc, ValidationException) and exc.extra:
            body["errors"] = exc.extra
        response = _json(status, body)
    else:
        variables = getattr(exc, "variables", {})
        detail = gettext(exc.detail, **variables) if status < 500 else ""
        response = _status_page(request, status, detail)
    for name, value in (exc.headers or {}).items():  # Allow on 405, Retry-After on 429
        response.headers[name] = value
    return response


def handle_bad_body(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Undecodable or absurdly nested JSON: the client's fault, a 400 and not a 500."""
    if _is_api(request):
        return _json(400, {"detail": "The request body is not valid JSON."})
    return _status_page(request, 400)


def handle_not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if _is_api(request):
        return _json(404, {"detail": "Not found"})
    return _status_page(request, 404)


def handle_validation_failed(
    request: Request[Any, Any, Any], exc: ValidationFailed
) -> Response[Any]:
    if _is_api(request):
        return _json(400, {"detail": "Validation failed", "errors": exc.errors})
    return _status_page(request, 400, "; ".join(gettext(m) for m in exc.errors.values()))


def handle_conflict(request: Request[Any, Any, Any], exc: VersionConflict) -> Response[Any]:
    if _is_api(request):
        return _json(
            409,
            {
                "detail": "The record was changed by someone else; reload it.",
                "current": exc.current,
                "submitted": exc.submitted,
            },
        )
    return render_conflict(request, exc, request.url.path, list(exc.submitted))


def handle_out_of_range(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A number too large for the database column: a client error, not a server one."""
    if _is_api(request):
        return _json(400, {"detail": "A number in the request is out of range."})
    return _status_page(request, 400, gettext(N_("A number in the request is out of range.")))


def handle_database_outage(request: Request[Any, Any, Any]) -> Response[Any]:
    """503 with Retry-After: nothing to fix in the request, the database is away for a while."""
    seconds = str(runtime_of(request).settings.operations.retry_after_seconds)
    logger.warning("Database unavailable on %s %s", request.method, request.url.path)
    if _is_api(request):
        response = _json(503, {"detail": "The database is unavailable; try again shortly."})
    else:
        response = _status_page(request, 503)
    response.headers["Retry-After"] = seconds
    return response


def handle_hashing_busy(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """503 with Retry-After when a password (a new user's, a changed one) waited too long for
    a hashing slot: many people are signing in at once (core.identity.passwords)."""
    if _is_api(request):
        response = _json(503, {"detail": "The server is busy; try again shortly."})
    else:
        response = _status_page(request, 503)
    response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
    return response


def handle_server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_database_outage(exc):
        return handle_database_outage(request)
    # The path holds only record numbers; query strings and bodies are never logged, and a
    # database error's own text (which may quote a row's values) is left out.
    if isinstance(exc, asyncpg.PostgresError | sqlite3.Error):
        state = getattr(exc, "sqlstate", "") or type(exc).__name__
        logger.error("Database error %s on %s %s", state, request.method, request.url.path)
    else:
        logger.exception("Unhandled error on %s %s", request.method, request.url.path)
    if _is_api(request):
        return _json(500, {"detail": "Internal error"})
    return _status_page(request, 500)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    HTTPException: handle_http_exception,
    NotFoundException: handle_not_found,
    NotFound: handle_not_found,
    ValidationFailed: handle_validation_failed,
    VersionConflict: handle_conflict,
    OverflowError: handle_out_of_range,  # SQLite
    asyncpg.exceptions.NumericValueOutOfRangeError: handle_out_of_range,
    asyncpg.exceptions.DataError: handle_out_of_range,
    msgspec.DecodeError: handle_bad_body,
    UnicodeDecodeError: handle_bad_body,
    RecursionError: handle_bad_body,
    HashingBusy: handle_hashing_busy,
    Exception: handle_server_error,
}
