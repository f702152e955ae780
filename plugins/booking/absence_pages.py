"""Staff pages for a sick day or other closure: the bookings it covers, and per booking "move to
a colleague", "offer new times" or "cancel with notice". Thin: parse, call a service, render."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.response import Response, Template

from plugins.booking import (
    absences,
    bookings,
    forms,
    meetings,
    setup,
    waitlist,
    waitlist_changes,
)
from plugins.booking.customer_links import book_again_url, manage_url_for, offer_url
from plugins.booking.views import _professional
from valvomo.api import (
    N_,
    ValidationFailed,
    VersionConflict,
    form_data,
    int_field,
    is_confirmed,
    now,
    parse_form,
    redirect_with_notice,
    render,
    render_confirmation,
    render_conflict,
    require_user,
    runtime_of,
    transaction,
)

Req = Request[Any, Any, Any]


class AbsencePages(Controller):
    path = "/booking/closures"
    include_in_schema = False
    opt = {"permission": "booking.work"}

    @get("/{closure_id:int}")
    async def closure_page(
        self, request: Req, closure_id: int, professional_id: int = 0
    ) -> Template:
        return await self._page(request, closure_id, professional_id, {}, {})

    async def _page(
        self,
        request: Req,
        closure_id: int,
        professional_id: int,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
        error_booking: int = 0,
    ) -> Template:
        professional = await _professional(request, professional_id)
        closure = await absences.get_closure(closure_id, professional["id"])
        rows = await absences.bookings_in_closure(closure)
        return render(
            request,
            "booking/closure.html",
            status_code=status,
            professional=professional,
            closure=closure,
            bookings=[await _with_choices(row) for row in rows],
            reasons=absences.REASONS,
            values=values,
            errors=errors,
            error_booking=error_booking,
            query=f"?professional_id={professional_id}" if professional_id else "",
        )

    @get("/{closure_id:int}/edit")
    async def edit_closure(
        self, request: Req, closure_id: int, professional_id: int = 0
    ) -> Template:
        professional = await _professional(request, professional_id)
        closure = await absences.get_closure(closure_id, professional["id"])
        return _closure_form(request, professional, professional_id, setup.closure_form(closure))

    @post("/{closure_id:int}/edit")
    async def update_closure(
        self, request: Req, closure_id: int, professional_id: int = 0
    ) -> Response[Any]:
        """Change the closed time or its reason. As when a closure is added, held waiting-list
        times inside it are taken back and its bookings are listed for a choice; times it no
        longer covers are offered to the waiting list in the same transaction."""
        professional = await _professional(request, professional_id)
        data = await form_data(request)
        user, settings, moment = require_user(request), runtime_of(request).settings, now()
        try:
            async with transaction():
                before = await absences.get_closure(closure_id, professional["id"])
                covered = await absences.bookings_in_closure(before)
                saved = await setup.update_closure(
                    user, professional["id"], closure_id, int_field(data, "version"), data
                )
                await waitlist_changes.take_back_holds_in(
                    user, saved, settings.secret, settings.public_url, moment
                )
                await waitlist.serve(settings.secret, settings.public_url, moment)
                covers = bool(await absences.hold_messages_in(saved))
                await absences.release_held_messages(covered, moment)
        except ValidationFailed as exc:
            values = {**data, "id": closure_id}
            return _closure_form(request, professional, professional_id, values, exc.errors, 400)
        except VersionConflict as exc:
            action = (
                f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
            )
            return render_conflict(request, exc, action, list(setup.CLOSURE_FIELDS))
        suffix = f"?professional_id={professional_id}" if professional_id else ""
        if covers:
            return redirect_with_notice(
                _back(closure_id, professional_id),
                N_("The closure was saved. Decide below what happens to its appointments."),
                kind="info",
            )
        return redirect_with_notice(f"/booking/openings{suffix}", N_("The closure was saved."))

    @post("/{closure_id:int}/bookings/{booking_id:int}")
    async def handle_booking(
        self, request: Req, closure_id: int, booking_id: int, professional_id: int = 0
    ) -> Response[Any]:
        professional = await _professional(request, professional_id)
        closure = await absences.get_closure(closure_id, professional["id"])
        data = await form_data(request)
        user = require_user(request)
        try:
            form = msgspec.structs.asdict(parse_form(forms.closure_booking_form(booking_id), data))
            choice, reason = form["choice"], form["reason"]
            listed = {b["id"]: b for b in await absences.bookings_in_closure(closure)}
            if booking_id not in listed:
                raise ValidationFailed({"booking": N_("This booking has already been handled.")})
            if listed[booking_id]["meeting"]:
                raise ValidationFailed({"booking": absences.JOINT_MEETING})
            if choice == "cancel":
                absences.check_reason(reason)
                if not is_confirmed(data):
                    return _confirm_cancel(request, data, 1, _back(closure_id, professional_id))
            async with transaction():
                if choice == "move":
                    colleague = form[f"colleague_{booking_id}"]
                    await absences.move_to_colleague(
                        user, booking_id, colleague, manage_url_for(request), now()
                    )
                elif choice == "offer":
                    await absences.offer_new_times(
                        user, booking_id, reason, offer_url(request), now()
                    )
                elif choice == "cancel":
                    await absences.cancel_with_notice(
                        user, booking_id, reason, book_again_url(request), now()
                    )
        except ValidationFailed as exc:
            errors = {("colleague" if k.startswith("colleague_") else k): v
                      for k, v in exc.errors.items()}  # fmt: skip
            return await self._page(
                request, closure_id, professional_id, data, errors, 400, booking_id
            )
        except bookings.SlotTaken:
            errors = {"colleague": bookings.SLOT_TAKEN}
            return await self._page(
                request, closure_id, professional_id, data, errors, 409, booking_id
            )
        return redirect_with_notice(_back(closure_id, professional_id), DONE[choice])

    @post("/{closure_id:int}/cancel-all")
    async def cancel_all(
        self, request: Req, closure_id: int, professional_id: int = 0
    ) -> Response[Any]:
        professional = await _professional(request, professional_id)
        closure = await absences.get_closure(closure_id, professional["id"])
        data = await form_data(request)
        try:
            choices = {"reason": absences.REASONS}
            reason = parse_form(forms.CancelReasonForm, data, choices=choices).reason
            if not is_confirmed(data):
                count = len(await absences.bookings_in_closure(closure))
                return _confirm_cancel(request, data, count, _back(closure_id, professional_id))
            async with transaction():
                count = await absences.cancel_all_with_notice(
                    require_user(request),
                    closure,
                    reason,
                    book_again_url(request),
                    now(),
                )
        except ValidationFailed as exc:
            return await self._page(request, closure_id, professional_id, data, exc.errors, 400)
        return redirect_with_notice(
            _back(closure_id, professional_id),
            N_("%(count)s appointments were cancelled and the customers told."),
            count=count,
        )


async def _with_choices(row: dict[str, Any]) -> dict[str, Any]:
    """A single booking with the colleagues it can move to; a joint meeting's row with the
    meeting (title, the other participants), which is moved or cancelled as a whole."""
    if row["meeting"]:
        meeting = await meetings.get_meeting(row["meeting"])
        names = ", ".join(
            p["professional.user.full_name"]
            for p in meeting["participants"]
            if p["status"] == bookings.ACTIVE
        )
        return {**row, "joint": meeting, "joint_names": names, "colleagues": []}
    return {**row, "joint": None, "colleagues": await absences.colleagues_for(row)}


DONE = {
    "move": N_("The booking was moved to the colleague and the customer was told."),
    "offer": N_("The customer was sent a link to choose a new time."),
    "cancel": N_("The appointment was cancelled and the customer was told."),
}


def _closure_form(
    request: Req,
    professional: dict[str, Any],
    professional_id: int,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    return render(
        request,
        "booking/closure_form.html",
        status_code=status,
        professional=professional,
        values=values,
        errors=errors or {},
        query=f"?professional_id={professional_id}" if professional_id else "",
    )


def _back(closure_id: int, professional_id: int) -> str:
    suffix = f"?professional_id={professional_id}" if professional_id else ""
    return f"/booking/closures/{closure_id}{suffix}"


def _confirm_cancel(request: Req, data: dict[str, Any], count: int, back: str) -> Template:
    return render_confirmation(
        request,
        title=N_("Cancel %(count)s appointments?"),
        message=N_(
            "Each customer is told that the appointment is cancelled, why, and where to book "
            "a new time."
        ),
        action=f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path,
        fields=data,
        confirm_label=N_("Cancel and tell the customers"),
        cancel_href=back,
        count=count,
    )
