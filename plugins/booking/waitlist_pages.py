"""Citizen pages of the waiting list: leave a request, and use a hold link. Thin: parse, call
waitlist.py, render."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from plugins.booking import bookings, links, setup, waitlist, waitlist_changes
from plugins.booking.public import (
    BOOKINGS_PER_ADDRESS,
    SELF_SERVICE,
    _manage_path,
    bad_link_page,
    manage_url,
)
from plugins.booking.settings import current as settings
from valvomo.api import (
    N_,
    NotFound,
    ValidationFailed,
    form_data,
    is_confirmed,
    now,
    render,
    render_confirmation,
    runtime_of,
    today,
    transaction,
)

Req = Request[Any, Any, Any]


class WaitlistPages(Controller):
    path = "/book"
    include_in_schema = False
    opt = {"public": True, "audience": "citizen"}

    @get("/waitlist")
    async def waitlist_form(
        self, request: Req, type_id: str = "", mode: str = "", unit_id: str = ""
    ) -> Template:
        values = {"type_id": type_id, "mode": mode, "unit_id": unit_id, "reminder_channel": "sms"}
        return await self._form(request, values, {})

    async def _form(
        self, request: Req, values: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Template:
        raw = str(values.get("type_id", ""))
        appointment_type = await bookings.get_type(
            int(raw) if raw.isdigit() and len(raw) < 10 else 0
        )
        if not appointment_type["public"]:
            raise NotFound("appointment type")
        return render(
            request,
            "booking/public_waitlist.html",
            status_code=status,
            values=values,
            errors=errors,
            appointment_type=appointment_type,
            units=await setup.list_units(),
            hold_hours=settings().waitlist_hold_hours,
        )

    @post("/waitlist", opt={"rate_limit": BOOKINGS_PER_ADDRESS})
    async def join(self, request: Req) -> Response[Any]:
        data = await form_data(request)
        settings = runtime_of(request).settings
        try:
            cleaned = await waitlist.clean_request(data, today())
            async with transaction():
                entry_id = await waitlist.join(cleaned, now())
                entry = await waitlist_changes.get_entry(entry_id)
                path = f"/book/waitlist/{waitlist_changes.request_token(settings.secret, entry)}"
                await waitlist_changes.queue_joined_message(entry_id, settings.public_url(path))
        except ValidationFailed as exc:
            return await self._form(request, data, exc.errors, 400)
        await waitlist.serve_waitlist(settings)
        return render(request, "booking/public_waitlist_done.html", values=data, request_path=path)

    @get("/waitlist/{token:str}")
    async def request_page(self, request: Req, token: str) -> Template:
        try:
            entry = await waitlist_changes.linked_entry(
                runtime_of(request).settings.secret, token, now()
            )
        except (links.BadLink, NotFound) as exc:
            return bad_link_page(request, exc)
        return self._request_page(request, entry, token, {})

    def _request_page(
        self,
        request: Req,
        entry: dict[str, Any],
        token: str,
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        hold_path = ""
        if entry["status"] == waitlist.OFFERED and entry["hold_booking"]:
            settings = runtime_of(request).settings
            hold_token = links.sign(
                settings.secret, entry["hold_booking"], entry["hold_until"], links.HOLD
            )
            hold_path = f"/book/hold/{hold_token}"
        return render(
            request,
            "booking/public_waitlist_request.html",
            status_code=status,
            entry=entry,
            token=token,
            errors=errors,
            hold_path=hold_path,
        )

    @post("/waitlist/{token:str}/withdraw")
    async def withdraw(self, request: Req, token: str) -> Response[Any]:
        settings = runtime_of(request).settings
        moment = now()
        try:
            entry = await waitlist_changes.linked_entry(settings.secret, token, moment)
        except (links.BadLink, NotFound) as exc:
            return bad_link_page(request, exc)
        data = await form_data(request)
        if not is_confirmed(data):
            return render_confirmation(
                request,
                title=N_("Leave the waiting list?"),
                message=N_("You no longer get a message when a time becomes free."),
                action=request.url.path,
                fields=data,
                confirm_label=N_("Leave the waiting list"),
                cancel_href=f"/book/waitlist/{token}",
            )
        try:
            async with transaction():
                await waitlist_changes.withdraw(
                    SELF_SERVICE, entry["id"], settings.secret, settings.public_url, moment
                )
        except ValidationFailed as exc:
            return self._request_page(request, entry, token, exc.errors, 409)
        return self._request_page(request, await waitlist_changes.get_entry(entry["id"]), token, {})

    @get("/hold/{token:str}")
    async def hold(self, request: Req, token: str) -> Response[Any]:
        try:
            booking = await waitlist.held_booking(runtime_of(request).settings.secret, token, now())
        except (links.BadLink, NotFound) as exc:
            return _bad_hold_link(request, exc)
        return self._hold_page(request, booking, token, {})

    def _hold_page(
        self,
        request: Req,
        booking: dict[str, Any],
        token: str,
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        if booking["status"] != waitlist.HELD and not errors:
            used = booking["status"] == bookings.ACTIVE
            errors = {"hold": waitlist.HOLD_USED if used else waitlist.HOLD_ENDED}
            status = 409 if used else 410
        return render(
            request,
            "booking/public_hold.html",
            status_code=status,
            booking=booking,
            token=token,
            errors=errors,
        )

    @post("/hold/{token:str}")
    async def use_hold(self, request: Req, token: str) -> Response[Any]:
        moment = now()
        try:
            booking = await waitlist.held_booking(
                runtime_of(request).settings.secret, token, moment
            )
        except (links.BadLink, NotFound) as exc:
            return _bad_hold_link(request, exc)
        try:
            async with transaction():
                booked = await waitlist.use_hold(SELF_SERVICE, booking, moment)
                await bookings.queue_messages(booked, manage_url(request, booked), moment)
        except ValidationFailed as exc:
            used = exc.errors.get("hold") == waitlist.HOLD_USED
            return self._hold_page(request, booking, token, exc.errors, 409 if used else 410)
        return Redirect(path=_manage_path(request, booked) + "?new=1")

    @post("/hold/{token:str}/decline")
    async def decline_hold(self, request: Req, token: str) -> Response[Any]:
        settings = runtime_of(request).settings
        moment = now()
        try:
            booking = await waitlist.held_booking(settings.secret, token, moment)
        except (links.BadLink, NotFound) as exc:
            return _bad_hold_link(request, exc)
        data = await form_data(request)
        if booking["status"] == waitlist.HELD and not is_confirmed(data):
            return render_confirmation(
                request,
                title=N_("Decline this time?"),
                message=N_(
                    "The time goes to the next person on the waiting list. You keep your "
                    "place and get a message when another time is free."
                ),
                action=request.url.path,
                fields=data,
                confirm_label=N_("Decline the time"),
                cancel_href=f"/book/hold/{token}",
            )
        try:
            async with transaction():
                await waitlist_changes.decline(
                    SELF_SERVICE, booking, settings.secret, settings.public_url, moment
                )
        except ValidationFailed as exc:
            used = exc.errors.get("hold") == waitlist.HOLD_USED
            return self._hold_page(request, booking, token, exc.errors, 409 if used else 410)
        return render(request, "booking/public_hold_declined.html")


def _bad_hold_link(request: Req, exc: Exception) -> Template:
    """An expired hold says so (410); any other bad link is the usual 404 page."""
    if isinstance(exc, links.BadLink) and exc.expired:
        errors = {"hold": waitlist.HOLD_ENDED}
        return render(
            request, "booking/public_hold.html", status_code=410, booking=None, errors=errors
        )
    return bad_link_page(request, exc)
