"""A professional's private calendar subscription (ICS) for Outlook and phones: the staff page
that creates or revokes its address, and the feed itself (the token in the URL is the key)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Response, Template

from plugins.booking import calendar
from plugins.booking.setup import professional_of_user
from valvomo.api import (
    N_,
    NotFound,
    form_data,
    is_confirmed,
    now,
    redirect_with_notice,
    render,
    render_confirmation,
    require_user,
    runtime_of,
    transaction,
)

Req = Request[Any, Any, Any]


def _base(request: Req) -> str:
    return str(request.base_url).rstrip("/")


async def _own(request: Req) -> dict[str, Any]:
    """Only the professional themself manages their feed."""
    professional = await professional_of_user(require_user(request).id)
    if professional is None:
        raise NotFound("You are not a professional in any service unit.")
    return professional


class FeedPages(Controller):
    path = "/booking/feed"
    include_in_schema = False
    opt = {"permission": "booking.work"}

    @get("/")
    async def feed_page(self, request: Req) -> Template:
        professional = await _own(request)
        return render(
            request,
            "booking/feed.html",
            professional=professional,
            feed=await calendar.active_feed(professional["id"]),
            address="",
        )

    @post("/")
    async def change_feed(self, request: Req) -> Response[Any]:
        professional = await _own(request)
        data = await form_data(request)
        user = require_user(request)
        if data.get("action") == "revoke":
            if not is_confirmed(data):
                return render_confirmation(
                    request,
                    title=N_("Stop the calendar address?"),
                    message=N_("Calendars subscribed to it stop showing your appointments."),
                    action=request.url.path,
                    fields=data,
                    confirm_label=N_("Stop the address"),
                    cancel_href=request.url.path,
                )
            async with transaction():
                await calendar.revoke_feeds(user, professional["id"], now())
            return redirect_with_notice(request.url.path, N_("The calendar address was stopped."))
        async with transaction():
            token = await calendar.create_feed(user, professional["id"], now())
        return render(
            request,
            "booking/feed.html",
            professional=professional,
            feed=await calendar.active_feed(professional["id"]),
            address=f"{_base(request)}/calendar-feed/{token}.ics",
        )


class CalendarFeedIcs(Controller):
    path = "/calendar-feed"
    include_in_schema = False
    opt = {"public": True}

    @get("/{token:str}")
    async def feed(self, request: Req, token: str) -> Response[bytes]:
        try:
            professional_id = await calendar.feed_professional(token.removesuffix(".ics"))
        except NotFound:
            return Response(
                content=b"This calendar address is unknown or has been stopped.\n",
                status_code=404,
                media_type="text/plain; charset=utf-8",
            )
        body = await calendar.feed_ics(
            professional_id, runtime_of(request).settings.region_name, _base(request), now()
        )
        return Response(
            content=body,
            media_type="text/calendar; charset=utf-8",
            headers={"cache-control": "private, max-age=300"},
        )
