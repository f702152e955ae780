"""The outermost layer of the app: a request id, an access log line and metrics per request."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from core.operations import metrics, scrape
from core.operations.logs import REQUEST_ID_HEADER, bound_request_id, request_id_from
from core.web.runtime import runtime_of

access_log = logging.getLogger("valvomo.access")
UNMATCHED = "unmatched"  # no route: label 404s alike so scanners cannot grow the label set


class RequestObservation:
    """Wraps the whole Litestar app (outside its exception handling, so statuses are final)."""

    def __init__(self, app: ASGIApp, database: Any) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(list(scope["headers"]))
        stopwatch = metrics.Stopwatch()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with bound_request_id(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self._record(scope, status, stopwatch.seconds())

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("path_template") or UNMATCHED
        if route.startswith("/static/"):
            route = "/static"
        method = str(scope.get("method", ""))
        metrics.observe_request(method, route, status, seconds)
        metrics.observe_pool(self.database)
        # The route template, never the path or query: no search terms or record ids in logs.
        access_log.info(
            "request",
            extra={"method": method, "route": route, "status": status,
                   "duration_ms": round(seconds * 1000, 1)},
        )  # fmt: skip


class MetricsController(Controller):
    include_in_schema = False
    opt = {"public": True}  # the handler checks the token or the caller's address itself

    @get("/metrics", opt={"public": True, "sessionless": True})
    async def metrics(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        runtime = runtime_of(request)
        if not _may_scrape(request, runtime.settings.operations.metrics_token):
            return Response(b"Forbidden\n", status_code=403, media_type="text/plain")
        body, content_type = await scrape.exposition(runtime.database)
        return Response(body, media_type=content_type)


def _may_scrape(request: Request[Any, Any, Any], token: str) -> bool:
    """With a token, only a bearer of it; without one, only a caller on this host."""
    if token:
        offered = request.headers.get("authorization", "").removeprefix("Bearer ")
        return secrets.compare_digest(offered.encode(), token.encode())
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
