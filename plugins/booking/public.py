"""Self-service booking without logging in: choose, pick a time, give details, confirm; then
cancel or move through the signed link. Thin: parse, call a service, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from plugins.booking import availability, bookings, forms, links, rights, setup
from plugins.booking import needs as needs_service
from plugins.booking.calendar import ics_for
from plugins.booking.settings import current as settings
from plugins.booking.waitlist import serve_waitlist
from valvomo.api import (
    N_,
    NotFound,
    SystemActor,
    TooManyRequests,
    ValidationFailed,
    enforce,
    form_data,
    is_confirmed,
    now,
    parse_form,
    redirect_with_notice,
    render,
    render_confirmation,
    runtime_of,
    today,
    transaction,
)

Req = Request[Any, Any, Any]
SELF_SERVICE = SystemActor(full_name="self-service booking")
BOOKINGS_PER_ADDRESS = "10/hour"
BOOKINGS_PER_CONTACT = "5/day"
PAGE_SIZE = 12


def manage_url(request: Req, booking: dict[str, Any]) -> str:
    settings = runtime_of(request).settings
    token = links.sign(settings.secret, booking["id"], booking["starts_at"])
    return settings.public_url(f"/book/manage/{token}")  # never from the request's Host


def earliest_start(raw: str | None, moment: dt.datetime) -> dt.datetime:
    """The first start to offer: `raw` (the last time already shown) or the minimum notice."""
    earliest = moment + dt.timedelta(minutes=settings().minimum_notice_minutes)
    parsed = bookings.parse_start(raw or "")
    return max(parsed, earliest) if parsed else earliest


async def next_times(
    type_id: int, after: dt.datetime, unit_id: int = 0, professional_id: int = 0
) -> list[availability.FreeTime]:
    last_day = today() + dt.timedelta(days=settings().booking_horizon_days)
    return await availability.free_times(
        type_id, after, last_day, PAGE_SIZE, unit_id or None, professional_id or None
    )


def later_from(free: list[availability.FreeTime]) -> str:
    """Where the "later times" link starts: the last time shown, when the page is full."""
    return free[-1].starts_at.isoformat() if len(free) == PAGE_SIZE else ""


class PublicBooking(Controller):
    path = "/book"
    include_in_schema = False
    opt = {"public": True, "audience": "citizen"}

    @get("/")
    async def start(self, request: Req, type_id: str = "", needs: str = "") -> Template:
        """Choose the type first, then only the modes that type offers (no dead ends); after a
        needs path only the modes the path allows, with the answers shown."""
        types = await setup.list_types(public_only=True)
        chosen = [t for t in types if t["id"] == bookings.record_id(type_id)]
        step = await _needs_step(needs, bookings.record_id(type_id)) if chosen else None
        if chosen and step and step.modes:
            chosen = [{**chosen[0], "modes": [m for m in chosen[0]["modes"] if m in step.modes]}]
        return render(
            request,
            "booking/public_start.html",
            types=types,
            chosen=chosen[0] if chosen else None,
            units=await setup.list_units(),
            needs=needs if step else "",
            needs_answers=step.given if step else [],
            paths=await needs_service.list_paths(active_only=True),
        )

    @get("/times")
    async def times(
        self,
        request: Req,
        type_id: str = "",
        mode: str = "",
        unit_id: str = "",
        after: str = "",
        code: str = "",
        needs: str = "",
    ) -> Template:
        right = await rights.find_right(code, today()) if code else None
        chosen_type = right["appointment_type"] if right else bookings.record_id(type_id)
        appointment_type = await bookings.get_type(chosen_type)
        if not right and not appointment_type["public"]:
            raise NotFound("appointment type")
        errors = {}
        if mode not in appointment_type["modes"]:
            errors["mode"] = N_("Choose how you want to meet.")
        free = await next_times(
            chosen_type,
            earliest_start(after, now()),
            bookings.record_id(unit_id),
            right["professional"] if right else 0,
        )
        return render(
            request,
            "booking/public_times.html",
            status_code=400 if errors else 200,
            errors=errors,
            appointment_type=appointment_type,
            mode=mode,
            unit_id=unit_id,
            code=code,
            needs=needs,
            free_times=free,
            later=later_from(free),
        )

    @get("/details")
    async def details(
        self,
        request: Req,
        type_id: str = "",
        mode: str = "",
        slot: str = "",
        code: str = "",
        needs: str = "",
    ) -> Template:
        professional_id, start = bookings.split_slot(slot)
        values = {
            "appointment_type_id": type_id,
            "mode": mode,
            "professional_id": professional_id,
            "starts_at": start,
            "code": code,
            "needs": needs,
            "reminder_channel": "sms",
        }
        return await self._details(request, values, {})

    async def _details(
        self, request: Req, values: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Template:
        starts_at = bookings.parse_start(str(values.get("starts_at", "")))
        appointment_type = await bookings.get_type(
            bookings.record_id(values.get("appointment_type_id"))
        )
        return render(
            request,
            "booking/public_details.html",
            status_code=status,
            values=values,
            errors=errors,
            appointment_type=appointment_type,
            starts_at=starts_at,
            extra_needs=bookings.EXTRA_NEEDS,
        )

    @post("/confirm", opt={"rate_limit": BOOKINGS_PER_ADDRESS})
    async def confirm(self, request: Req) -> Response[Any]:
        data = await form_data(request)
        moment = now()
        try:
            request_ = bookings.clean_request(data, contact_required=True)
            step = await _needs_step(str(data.get("needs", "")), request_.appointment_type_id)
            request_.needs_answers = step.given if step else []
            await _limit_contact(request_, moment)
            async with transaction():
                booking_id = await self._book(request_, str(data.get("code", "")), moment)
                booking = await bookings.get_booking(booking_id)
                await bookings.queue_messages(booking, manage_url(request, booking), moment)
        except ValidationFailed as exc:
            return await self._details(request, data, exc.errors, 400)
        except bookings.SlotTaken:
            return render(request, "booking/public_taken.html", status_code=409, values=data)
        return Redirect(path=_manage_path(request, booking) + "?new=1")

    async def _book(self, request_: bookings.BookingRequest, code: str, moment: dt.datetime) -> int:
        if code:
            right = await rights.claim_right(code, today(), moment)
            if (right["appointment_type"], right["professional"]) != (
                request_.appointment_type_id,
                request_.professional_id,
            ):
                raise ValidationFailed({"code": rights.UNKNOWN})
            request_.customer_id = right["customer"]
            booking_id = await bookings.create_booking(SELF_SERVICE, request_, moment)
            await rights.attach_booking(right["id"], booking_id)
            return booking_id
        appointment_type = await bookings.get_type(request_.appointment_type_id)
        if not appointment_type["public"]:
            raise ValidationFailed({"code": rights.UNKNOWN})
        return await bookings.create_booking(SELF_SERVICE, request_, moment)

    @get("/right")
    async def right(self, request: Req, code: str = "") -> Template:
        """Where a booking code or link leads: check it, then offer the right's times."""
        right = None
        errors: dict[str, str] = {}
        if code:
            try:
                right = await rights.find_right(code, today())
            except ValidationFailed as exc:
                errors = exc.errors
        modes = (await bookings.get_type(right["appointment_type"]))["modes"] if right else []
        return render(
            request,
            "booking/public_right.html",
            status_code=400 if errors else 200,
            errors=errors,
            values={"code": code},
            right=right,
            modes=modes,
        )

    # -- the signed link ------------------------------------------------------------------

    @get("/manage/{token:str}")
    async def manage(self, request: Req, token: str, new: str = "") -> Response[Any]:
        try:
            booking = await linked_booking(request, token)
        except (links.BadLink, NotFound) as exc:
            return bad_link_page(request, exc)
        return render(
            request, "booking/public_manage.html", booking=booking, token=token, new=bool(new)
        )

    @get("/manage/{token:str}/appointment.ics")
    async def ics(self, request: Req, token: str) -> Response[Any]:
        try:
            booking = await linked_booking(request, token)
        except (links.BadLink, NotFound) as exc:
            return bad_link_page(request, exc)
        return Response(
            content=ics_for(booking, runtime_of(request).settings.region_name),
            media_type="text/calendar; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="appointment.ics"'},
        )

    @post("/manage/{token:str}/cancel")
    async def cancel(self, request: Req, token: str) -> Response[Any]:
        try:
            booking = await linked_booking(request, token)
            if not is_confirmed(await form_data(request)):
                return render_confirmation(
                    request,
                    title=N_("Cancel your appointment?"),
                    message=N_("The time is freed for others. You can book a new one later."),
                    action=request.url.path,
                    fields={},
                    confirm_label=N_("Cancel the appointment"),
                    cancel_href=f"/book/manage/{token}",
                    cancel_label=N_("Keep the appointment"),
                )
            async with transaction():
                await bookings.cancel_booking(SELF_SERVICE, booking["id"])
            await serve_waitlist(runtime_of(request).settings)
        except (links.BadLink, NotFound) as exc:
            return bad_link_page(request, exc)
        except ValidationFailed as exc:
            return render(
                request,
                "booking/public_manage.html",
                status_code=409,
                booking=booking,
                token=token,
                errors=exc.errors,
            )
        return render(request, "booking/public_cancelled.html", booking=booking)

    @get("/manage/{token:str}/move")
    async def move_form(self, request: Req, token: str, after: str = "") -> Response[Any]:
        try:
            booking = await linked_booking(request, token)
        except (links.BadLink, NotFound) as exc:
            return bad_link_page(request, exc)
        return await self._move_page(request, booking, token, after)

    async def _move_page(
        self,
        request: Req,
        booking: dict[str, Any],
        token: str,
        after: str = "",
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        free = await next_times(
            booking["appointment_type"], earliest_start(after, now()), 0, booking["professional"]
        )
        return render(
            request,
            "booking/public_move.html",
            status_code=status,
            booking=booking,
            token=token,
            free_times=free,
            errors=errors or {},
            later=later_from(free),
        )

    @post("/manage/{token:str}/move")
    async def move(self, request: Req, token: str) -> Response[Any]:
        data = await form_data(request)
        moment = now()
        try:
            booking = await linked_booking(request, token)
        except (links.BadLink, NotFound) as exc:
            return bad_link_page(request, exc)
        try:
            new_start = parse_form(forms.MoveForm, data).starts_at
            async with transaction():
                moved = await bookings.move_booking(SELF_SERVICE, booking["id"], new_start, moment)
                await bookings.queue_messages(moved, manage_url(request, moved), moment)
        except ValidationFailed as exc:
            return await self._move_page(request, booking, token, errors=exc.errors, status=400)
        except bookings.SlotTaken:
            errors = {"starts_at": bookings.SLOT_TAKEN}
            return await self._move_page(request, booking, token, errors=errors, status=409)
        return redirect_with_notice(
            _manage_path(request, moved), N_("Your appointment was moved to the new time.")
        )


async def _limit_contact(request_: bookings.BookingRequest, moment: dt.datetime) -> None:
    """Against scripts filling the calendar or pumping SMS: bookings per phone number (or
    e-mail) per day, and a cap on a contact's upcoming bookings (a clear 429 page)."""
    contact = request_.phone or request_.email.lower()
    await enforce("booking-contact", BOOKINGS_PER_CONTACT, contact)
    cap = settings().max_open_bookings
    if await bookings.open_bookings_of_contact(request_.phone, request_.email, moment) >= cap:
        raise TooManyRequests(
            3600,
            N_("You already have %(count)s upcoming bookings. Cancel one or call us to book more."),
            count=cap,
        )


async def _needs_step(raw: str, type_id: int) -> needs_service.Step | None:
    return await needs_service.step_for(raw, type_id) if raw else None


def _manage_path(request: Req, booking: dict[str, Any]) -> str:
    return "/book/" + manage_url(request, booking).split("/book/", 1)[1]


async def linked_booking(request: Req, token: str) -> dict[str, Any]:
    """The booking a signed link names (raises links.BadLink or NotFound)."""
    booking_id = links.verify(runtime_of(request).settings.secret, token, now())
    return await bookings.get_booking(booking_id)


def bad_link_page(request: Req, exc: Exception) -> Template:
    """Gone (410) for an expired link, not found (404) for any other bad one."""
    expired = isinstance(exc, links.BadLink) and exc.expired
    return render(
        request,
        "booking/public_bad_link.html",
        status_code=410 if expired else 404,
        expired=expired,
    )
