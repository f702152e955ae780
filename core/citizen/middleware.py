"""Loads the citizen behind the citizen cookie on the citizen pages (`/oma`).

Separate from staff sessions: its own cookie, its own idle timeout, no staff permission (the
staff user in the request stays None), and its own CSRF token bound to the citizen session.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from core.citizen.services import citizen_for_session
from core.identity.guards import cookies_of, in_citizen_area, with_session_csrf

CITIZEN_COOKIE = "valvomo_citizen"


class CitizenSessionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not in_citizen_area(scope["path"]):
            await self.app(scope, receive, send)
            return
        cookies = cookies_of(scope)
        settings = scope["app"].state.valvomo.settings
        citizen = None
        if token := cookies.get(CITIZEN_COOKIE):
            citizen = await citizen_for_session(token, settings.identity.citizen_idle_minutes)
        scope["citizen"] = citizen  # type: ignore[typeddict-unknown-key]
        if citizen is not None and token:
            checked = await with_session_csrf(scope, send, "citizen:" + token)
            if checked is None:
                return
            send = checked
        await self.app(scope, receive, send)
