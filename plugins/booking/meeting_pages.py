"""Staff pages for joint meetings: choose colleagues and a type, search their common free
times, book one; see and cancel a meeting. Thin: parse, call a service, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Response, Template

from plugins.booking import (
    bookings,
    forms,
    meeting_customer,
    meeting_guests,
    meeting_moves,
    meeting_staff,
    meetings,
    setup,
)
from plugins.booking.settings import current as settings
from valvomo.api import (
    N_,
    NotFound,
    ValidationFailed,
    as_list,
    customers,
    form_data,
    int_field,
    is_confirmed,
    now,
    parse_form,
    redirect_with_notice,
    render,
    render_confirmation,
    require_user,
    runtime_of,
    today,
    transaction,
)

Req = Request[Any, Any, Any]


async def _organiser(request: Req) -> dict[str, Any]:
    professional = await setup.professional_of_user(require_user(request).id)
    if professional is None:
        raise NotFound("You are not a professional in any service unit.")
    return professional


def _ids(raw: Any) -> list[int]:
    return [int(v) for v in as_list(raw) if str(v).isdigit() and len(str(v)) < 10]


class MeetingPages(Controller):
    path = "/booking/meetings"
    include_in_schema = False
    opt = {"permission": "booking.work"}

    @get("/new")
    async def new_meeting(self, request: Req) -> Template:
        values: dict[str, Any] = {"colleagues": request.query_params.getall("colleagues", [])}
        values |= {
            k: str(request.query_params.get(k) or "")
            for k in ("type_id", "title", "mode", "customer_id")
        }
        return await self._form(request, values, {})

    async def _form(
        self, request: Req, values: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Template:
        organiser = await _organiser(request)
        colleagues = [p for p in await setup.list_professionals() if p["id"] != organiser["id"]]
        chosen = _ids(values.get("colleagues"))
        type_id = int_field(values, "type_id")
        times: list[meetings.CommonTime] = []
        if type_id and chosen:
            horizon = today() + dt.timedelta(days=settings().booking_horizon_days)
            times = await meetings.common_free_times(
                type_id, [organiser["id"], *chosen], now(), horizon
            )
        return render(
            request,
            "booking/meeting_form.html",
            status_code=status,
            organiser=organiser,
            colleagues=colleagues,
            chosen=chosen,
            types=await setup.list_types(),
            modes=bookings.MODES,
            times=times,
            searched=bool(type_id and chosen),
            values=values,
            errors=errors,
        )

    @post("/new")
    async def book(self, request: Req) -> Response[Any]:
        organiser = await _organiser(request)
        data = await form_data(request)
        try:
            meeting = parse_form(forms.MeetingForm, data)
            customer_id = None
            if meeting.customer_id:
                customer_id = (await customers.get_customer(meeting.customer_id)).id
            async with transaction():
                meeting_id = await meetings.book_meeting(
                    require_user(request),
                    organiser_id=organiser["id"],
                    colleague_ids=meeting.colleagues,
                    appointment_type_id=meeting.type_id,
                    starts_at=meeting.starts_at,
                    mode=meeting.mode,
                    title=meeting.title,
                    customer_id=customer_id,
                    moment=now(),
                    secret=runtime_of(request).settings.secret,
                )
        except NotFound:
            errors = {"customer_id": N_("No customer has this number.")}
            return await self._form(request, data, errors, 400)
        except ValidationFailed as exc:
            return await self._form(request, data, exc.errors, 400)
        except bookings.SlotTaken:
            return await self._form(request, data, {"starts_at": bookings.SLOT_TAKEN}, 409)
        return redirect_with_notice(
            f"/booking/meetings/{meeting_id}",
            N_("The joint meeting was booked in every participant's calendar."),
        )

    @get("/{meeting_id:int}")
    async def meeting_page(self, request: Req, meeting_id: int) -> Template:
        return await self._meeting_page(request, meeting_id, {}, {})

    async def _meeting_page(
        self,
        request: Req,
        meeting_id: int,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        meeting = await meetings.get_meeting(meeting_id)
        customer = None
        if meeting["customer"]:
            customer = await customers.get_customer(meeting["customer"])
            async with transaction():
                await customers.record_view(require_user(request), customer.id, "booking")
        return render(
            request,
            "booking/meeting.html",
            status_code=status,
            meeting=meeting,
            customer=customer,
            customer_phone=await meeting_customer.customer_phone(meeting["customer"]),
            default_language=customer.language if customer else "fi",
            guests=await meeting_guests.guests_of(meeting_id),
            unreachable=meeting_staff.unreachable(meeting["participants"]),
            video_url=meeting_guests.video_url(runtime_of(request).settings.secret, meeting),
            values=values,
            errors=errors,
        )

    @post("/notices/{notice_id:int}/read")
    async def mark_notice_read(self, request: Req, notice_id: int) -> Response[Any]:
        """A professional without e-mail and mobile has seen a meeting's notice in Valvomo."""
        data = await form_data(request)
        back = "/booking" if data.get("back") == "calendar" else "/"
        user = require_user(request)
        async with transaction():
            marked = await meeting_staff.mark_read(user, notice_id, user.id)
        if not marked:
            raise NotFound(f"meeting notice {notice_id}")
        return redirect_with_notice(back, N_("The notice was marked read."))

    @post("/{meeting_id:int}/guests")
    async def add_guest(self, request: Req, meeting_id: int) -> Response[Any]:
        data = await form_data(request)
        meeting = await meetings.get_meeting(meeting_id)
        try:
            guest = meeting_guests.clean_guest(data)
            async with transaction():
                await meeting_guests.add_guest(
                    require_user(request),
                    meeting,
                    guest,
                    runtime_of(request).settings.secret,
                    now(),
                )
        except ValidationFailed as exc:
            return await self._meeting_page(request, meeting_id, data, exc.errors, 400)
        return redirect_with_notice(
            f"/booking/meetings/{meeting_id}",
            N_("The participant was added and sent an invitation."),
        )

    @post("/{meeting_id:int}/guests/{guest_id:int}/remove")
    async def remove_guest(self, request: Req, meeting_id: int, guest_id: int) -> Response[Any]:
        data = await form_data(request)
        back = f"/booking/meetings/{meeting_id}"
        if not is_confirmed(data):
            return render_confirmation(
                request,
                title=N_("Remove the participant from the meeting?"),
                message=N_("They are told that they are no longer in the meeting."),
                action=request.url.path,
                fields=data,
                confirm_label=N_("Remove the participant"),
                cancel_href=back,
            )
        meeting = await meetings.get_meeting(meeting_id)
        async with transaction():
            await meeting_guests.remove_guest(
                require_user(request), meeting, guest_id, runtime_of(request).settings.secret
            )
        return redirect_with_notice(back, N_("The participant was removed from the meeting."))

    @post("/{meeting_id:int}/cancel")
    async def cancel(self, request: Req, meeting_id: int) -> Response[Any]:
        data = await form_data(request)
        back = f"/booking/meetings/{meeting_id}"
        if not is_confirmed(data):
            return render_confirmation(
                request,
                title=N_("Cancel the joint meeting?"),
                message=N_("The time is freed in every calendar and the participants are told."),
                action=request.url.path,
                fields=data,
                confirm_label=N_("Cancel the meeting"),
                cancel_href=back,
            )
        try:
            async with transaction():
                await meetings.cancel_meeting(require_user(request), meeting_id, now())
        except ValidationFailed as exc:
            return await self._meeting_page(request, meeting_id, {}, exc.errors, 409)
        return redirect_with_notice(back, N_("The joint meeting was cancelled."))

    @get("/{meeting_id:int}/move")
    async def move_form(self, request: Req, meeting_id: int) -> Template:
        return await self._move_form(request, meeting_id, {}, {})

    async def _move_form(
        self,
        request: Req,
        meeting_id: int,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        meeting = await meetings.get_meeting(meeting_id)
        held = [p for p in meeting["participants"] if p["status"] == bookings.ACTIVE]
        times: list[meetings.CommonTime] = []
        if meeting["status"] == bookings.ACTIVE and held:
            horizon = today() + dt.timedelta(days=settings().booking_horizon_days)
            own = (meeting["starts_at"].astimezone(dt.UTC), meeting["ends_at"].astimezone(dt.UTC))
            times = await meetings.common_free_times(
                held[0]["appointment_type"],
                [p["professional"] for p in held],
                now(),
                horizon,
                own=own,
            )
        return render(
            request,
            "booking/meeting_move.html",
            status_code=status,
            meeting=meeting,
            times=times,
            values={"version": meeting["version"], **values},
            errors=errors,
        )

    @post("/{meeting_id:int}/move")
    async def move(self, request: Req, meeting_id: int) -> Response[Any]:
        data = await form_data(request)
        try:
            starts_at = parse_form(forms.MoveForm, data).starts_at
            async with transaction():
                await meeting_moves.move_meeting(
                    require_user(request),
                    meeting_id,
                    starts_at,
                    int_field(data, "version"),
                    now(),
                    runtime_of(request).settings.secret,
                )
        except ValidationFailed as exc:
            status = 409 if "meeting" in exc.errors else 400
            return await self._move_form(request, meeting_id, data, exc.errors, status)
        except bookings.SlotTaken:
            errors = {"starts_at": bookings.SLOT_TAKEN}
            return await self._move_form(request, meeting_id, data, errors, 409)
        return redirect_with_notice(
            f"/booking/meetings/{meeting_id}",
            N_("The joint meeting was moved in every participant's calendar and they were told."),
        )
