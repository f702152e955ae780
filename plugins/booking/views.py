"""Staff pages of booking: calendars, openings, bookings, booking for a customer, setup; and the
JSON API. Thin: parse, call a service, render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Response, Template

from plugins.booking import (
    absences,
    bookings,
    calendar,
    duties,
    forms,
    meeting_guests,
    meetings,
    notes,
    rights,
    setup,
    waitlist,
    waitlist_changes,
)
from plugins.booking.customer_links import book_again_url
from plugins.booking.metrics import STATUSES, month_appointments
from plugins.booking.public import manage_url, next_times
from plugins.booking.waitlist import serve_waitlist
from valvomo.api import (
    N_,
    NotFound,
    OptionalRecordId,
    RecordId,
    ValidationFailed,
    VersionConflict,
    customers,
    form_data,
    int_field,
    is_confirmed,
    list_area,
    now,
    parse_form,
    parse_period,
    redirect_with_notice,
    render,
    render_confirmation,
    render_conflict,
    require_user,
    runtime_of,
    sms_recipient_problem,
    today,
    transaction,
)

Req = Request[Any, Any, Any]
OPENING_NOTICES = {
    "add": N_("The opening was added."),
    "close": N_("The closure was added."),
    "remove": N_("The opening was removed."),
    "reopen": N_("The closure was removed and its times are open again."),
}
SETUP_NOTICES = {
    "unit": N_("The unit was saved."),
    "type": N_("The appointment type was saved."),
    "professional": N_("The professional was added."),
}


def _day(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return today()


async def _professional(request: Req, professional_id: int) -> dict[str, Any]:
    """The chosen professional for managers, otherwise the signed-in user's own record."""
    user = require_user(request)
    if professional_id and user.can("booking.manage"):
        match = [p for p in await setup.list_professionals() if p["id"] == professional_id]
        if match:
            return {"id": match[0]["id"], "user.full_name": match[0]["user.full_name"]}
    own = await setup.professional_of_user(user.id)
    if own is None and user.can("booking.manage"):
        everyone = await setup.list_professionals()
        if everyone:
            return {"id": everyone[0]["id"], "user.full_name": everyone[0]["user.full_name"]}
    if own is None:
        raise NotFound("You are not a professional in any service unit.")
    return own


CONFIRM_OPENINGS: dict[str, dict[str, str]] = {
    "remove": {
        "title": N_("Remove the opening?"),
        "message": N_("No new appointments can be booked in this opening's times."),
        "confirm_label": N_("Remove the opening"),
    },
    "reopen": {
        "title": N_("Remove the closure?"),
        "message": N_(
            "Its times can be booked again, and people on the waiting list are offered them "
            "at once. Appointments already cancelled or moved for it stay as they are."
        ),
        "confirm_label": N_("Remove the closure"),
    },
}


async def _change_openings(
    request: Req, professional_id: int, action: str, data: dict[str, Any]
) -> int:
    """One change to openings or closures, in the caller's transaction; freed times are offered
    to the waiting list in it too. Returns a new closure's id when it covers bookings."""
    user = require_user(request)
    settings = runtime_of(request).settings
    secret, url_for, moment = settings.secret, settings.public_url, now()
    if action == "close":
        closure_id = await setup.add_closure(user, professional_id, data)
        closure = await absences.get_closure(closure_id, professional_id)
        await waitlist_changes.take_back_holds_in(user, closure, secret, url_for, moment)
        return closure_id if await absences.hold_messages_in(closure) else 0
    if action == "remove":
        await setup.remove_opening(user, professional_id, int_field(data, "id"))
    elif action == "reopen":
        closure = await absences.get_closure(int_field(data, "id"), professional_id)
        covered = await absences.bookings_in_closure(closure)
        await setup.remove_closure(user, professional_id, closure["id"])
        await absences.release_held_messages(covered, moment)
        await waitlist.serve(secret, url_for, moment)
    else:
        await setup.add_opening(user, professional_id, data, today())
        await waitlist.serve(secret, url_for, moment)
    return 0


async def _video_url(request: Req, booking: dict[str, Any]) -> str:
    """A joint meeting's one room for everyone; a single booking's own room."""
    if booking["meeting"]:
        meeting = await meetings.get_meeting(booking["meeting"])
        return meeting_guests.video_url(runtime_of(request).settings.secret, meeting)
    return bookings.video_url(booking, manage_url(request, booking))


class BookingPages(Controller):
    path = "/booking"
    include_in_schema = False
    opt = {"permission": "booking.work"}

    @get("/")
    async def calendar_page(
        self, request: Req, view: str = "week", date: str = "", professional_id: int = 0
    ) -> Template:
        professional = await _professional(request, professional_id)
        day = _day(date)
        days = calendar.week_of(day) if view != "day" else [day]
        step = dt.timedelta(days=7 if view != "day" else 1)
        calendar_days = await calendar.professional_days(professional["id"], days)
        return render(
            request,
            "booking/calendar.html",
            grid=await calendar.week_grid(professional["id"], calendar_days),
            professional=professional,
            professionals=await setup.list_professionals(),
            view="day" if view == "day" else "week",
            day=day,
            previous=day - step,
            following=day + step,
            days=calendar_days,
            needing_choice=await absences.needing_a_choice(professional["id"], now()),
        )

    @get("/bookings/{booking_id:int}")
    async def booking_page(self, request: Req, booking_id: int) -> Template:
        return await self._booking_page(request, await bookings.get_booking(booking_id))

    async def _booking_page(
        self,
        request: Req,
        booking: dict[str, Any],
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        user = require_user(request)
        booking_notes = await notes.notes_of(booking["id"]) if user.can("booking.notes") else []
        if booking["customer"]:
            async with transaction():
                await customers.record_view(user, booking["customer"], "booking")
                if booking_notes:
                    await customers.record_view(user, booking["customer"], "booking_note")
        return render(
            request,
            "booking/booking.html",
            status_code=status,
            notes=booking_notes,
            errors=errors or {},
            booking=booking,
            video_url=await _video_url(request, booking),
            values=values or {},
            reasons=absences.REASONS,
            now=now(),
        )

    @post("/bookings/{booking_id:int}/notes", opt={"permission": "booking.notes"})
    async def add_note(self, request: Req, booking_id: int) -> Response[Any]:
        booking = await bookings.get_booking(booking_id)
        data = await form_data(request)
        try:
            async with transaction():
                note = parse_form(forms.NoteForm, data)
                await notes.add_note(require_user(request), booking, note.note, now())
        except ValidationFailed as exc:
            return await self._booking_page(request, booking, data, exc.errors, 400)
        return redirect_with_notice(f"/booking/bookings/{booking_id}", N_("The note was saved."))

    @post("/bookings/{booking_id:int}")
    async def change_booking(self, request: Req, booking_id: int) -> Response[Any]:
        data = await form_data(request)
        user = require_user(request)
        action = str(data.get("action", ""))
        told, reason = True, ""
        try:
            if action == "cancel":
                choices = {"reason": absences.REASONS}
                reason = parse_form(forms.CancelReasonForm, data, choices=choices).reason
                if not is_confirmed(data):
                    return render_confirmation(
                        request,
                        title=N_("Cancel the appointment?"),
                        message=N_(
                            "The customer is told that the appointment is cancelled, why, and "
                            "where to book a new time. The time becomes free."
                        ),
                        action=request.url.path,
                        fields=data,
                        confirm_label=N_("Cancel the appointment"),
                        cancel_href=request.url.path,
                    )
            async with transaction():
                if action == "cancel":
                    told = await absences.cancel_with_notice(
                        user,
                        booking_id,
                        reason,
                        book_again_url(request),
                        now(),
                    )
                elif action == "link":
                    customer = await customers.get_customer(int_field(data, "customer_id"))
                    await bookings.link_to_customer(user, booking_id, customer.id)
                else:
                    await bookings.set_outcome(user, booking_id, action, now())
        except (ValidationFailed, NotFound) as exc:
            errors = (
                exc.errors
                if isinstance(exc, ValidationFailed)
                else {"customer_id": N_("No customer has this number.")}
            )
            booking = await bookings.get_booking(booking_id)
            return await self._booking_page(request, booking, data, errors, 400)
        if action == "cancel":
            await serve_waitlist(runtime_of(request).settings)
        if action == "cancel" and not told:
            return redirect_with_notice(
                request.url.path,
                N_("The appointment was cancelled. No message could be sent: call the customer."),
                kind="warning",
            )
        if action == "cancel":
            return redirect_with_notice(
                request.url.path, N_("The appointment was cancelled and the customer was told.")
            )
        return redirect_with_notice(request.url.path, N_("The booking was saved."))

    @get("/appointments")
    async def appointments_page(
        self,
        request: Req,
        month: str = "",
        status: str = "",
        municipality: str = "",
        unit: str = "",
    ) -> Template:
        """The appointments of a month behind a situational-picture figure, of the units of
        one municipality or of one unit for a figure of that area."""
        try:
            period = parse_period(month)
        except ValueError:
            period = parse_period(today().strftime("%Y-%m"))
        status = status if status in STATUSES else "held"
        area = list_area(runtime_of(request).settings.municipalities, municipality, unit)
        return render(
            request,
            "booking/appointments.html",
            bookings=await month_appointments(period, status, area),
            period=period,
            status=status,
            area=area,
            link=True,
        )

    @get("/openings")
    async def openings_page(self, request: Req, professional_id: int = 0) -> Template:
        professional = await _professional(request, professional_id)
        return await self._openings(request, professional, {}, {})

    async def _openings(
        self,
        request: Req,
        professional: dict[str, Any],
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        return render(
            request,
            "booking/openings.html",
            status_code=status,
            professional=professional,
            openings=await setup.list_openings(professional["id"]),
            closures=await setup.list_closures(professional["id"], now()),
            types=await setup.list_types(),
            values=values,
            errors=errors,
        )

    @get("/openings/{opening_id:int}/edit")
    async def edit_opening(
        self, request: Req, opening_id: int, professional_id: int = 0
    ) -> Template:
        professional = await _professional(request, professional_id)
        row = await setup.get_opening(professional["id"], opening_id)
        return await self._opening_form(
            request, professional, professional_id, setup.opening_form(row), {}
        )

    async def _opening_form(
        self,
        request: Req,
        professional: dict[str, Any],
        professional_id: int,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        return render(
            request,
            "booking/opening_form.html",
            status_code=status,
            professional=professional,
            types=await setup.list_types(),
            values=values,
            errors=errors,
            query=f"?professional_id={professional_id}" if professional_id else "",
        )

    @post("/openings/{opening_id:int}/edit")
    async def update_opening(
        self, request: Req, opening_id: int, professional_id: int = 0
    ) -> Response[Any]:
        """Change an opening in place; times it newly opens are offered to the waiting list in
        the same transaction, bookings already made in it stay."""
        professional = await _professional(request, professional_id)
        data = await form_data(request)
        settings = runtime_of(request).settings
        try:
            async with transaction():
                await setup.update_opening(
                    require_user(request),
                    professional["id"],
                    opening_id,
                    int_field(data, "version"),
                    data,
                    today(),
                )
                await waitlist.serve(settings.secret, settings.public_url, now())
        except ValidationFailed as exc:
            values = {**data, "id": opening_id}
            return await self._opening_form(
                request, professional, professional_id, values, exc.errors, 400
            )
        except VersionConflict as exc:
            action = (
                f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
            )
            return render_conflict(request, exc, action, list(setup.OPENING_FIELDS))
        suffix = f"?professional_id={professional_id}" if professional_id else ""
        return redirect_with_notice(f"/booking/openings{suffix}", N_("The opening was saved."))

    @post("/openings")
    async def change_openings(self, request: Req, professional_id: int = 0) -> Response[Any]:
        professional = await _professional(request, professional_id)
        data = await form_data(request)
        action = str(data.get("action", ""))
        suffix = f"?professional_id={professional_id}" if professional_id else ""
        if action in CONFIRM_OPENINGS and not is_confirmed(data):
            return render_confirmation(
                request,
                **CONFIRM_OPENINGS[action],
                action=request.url.path + suffix,
                fields=data,
                cancel_href=f"/booking/openings{suffix}",
            )
        closure_id = 0
        try:
            async with transaction():
                closure_id = await _change_openings(request, professional["id"], action, data)
        except ValidationFailed as exc:
            return await self._openings(request, professional, data, exc.errors, 400)
        if closure_id:
            return redirect_with_notice(
                f"/booking/closures/{closure_id}{suffix}",
                N_("The closure was added. Decide below what happens to its appointments."),
                kind="info",
            )
        return redirect_with_notice(
            f"/booking/openings{suffix}", OPENING_NOTICES.get(action, OPENING_NOTICES["add"])
        )

    # -- for one customer -------------------------------------------------------------------

    @get("/customers/{customer_id:int}")
    async def customer_booking(
        self, request: Req, customer_id: int, type_id: int = 0, mode: str = "", after: str = ""
    ) -> Template:
        customer = await customers.get_customer(customer_id)
        async with transaction():
            await customers.record_view(require_user(request), customer_id, "booking")
        return await self._customer_page(request, customer, type_id, mode, after, {}, {})

    async def _customer_page(
        self,
        request: Req,
        customer: Any,
        type_id: int,
        mode: str,
        after: str,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
        code: str = "",
    ) -> Template:
        moment = bookings.parse_start(after) or now()
        free = await next_times(type_id, moment) if type_id else []
        return render(
            request,
            "booking/customer.html",
            status_code=status,
            customer=customer,
            types=await setup.list_types(),
            type_id=type_id,
            mode=mode,
            free_times=free,
            type_modes=(await bookings.get_type(type_id))["modes"] if type_id else [],
            bookings=await bookings.bookings_of_customer(customer.id),
            rights=await rights.rights_of_customer(customer.id),
            duties=await duties.duties_of_customer(customer.id),
            professional=await setup.professional_of_user(require_user(request).id),
            values=values,
            errors=errors,
            code=code,
            today=today(),
        )

    @post("/customers/{customer_id:int}")
    async def customer_action(self, request: Req, customer_id: int) -> Response[Any]:
        customer = await customers.get_customer(customer_id)
        data = await form_data(request)
        action = str(data.get("action", ""))
        user = require_user(request)
        code = ""
        try:
            async with transaction():
                if action == "book":
                    booking_id = await self._book_for(request, customer.id, data)
                elif action == "grant":
                    code = await self._grant(request, customer.id, data)
                elif action == "plan_done":
                    await duties.mark_plan_updated(
                        user, int_field(data, "duty_id"), customer.id, today()
                    )
                else:
                    await self._add_duty(request, customer.id)
        except ValidationFailed as exc:
            # The booking part shows the chosen type's times; a refused right's type (perhaps
            # not one at all) is only the right form's input, kept in `data`.
            return await self._customer_page(
                request,
                customer,
                int_field(data, "appointment_type_id") if action == "book" else 0,
                str(data.get("mode")),
                "",
                data,
                exc.errors,
                400,
            )
        except bookings.SlotTaken:
            return await self._customer_page(
                request,
                customer,
                int_field(data, "appointment_type_id"),
                str(data.get("mode")),
                "",
                data,
                {"starts_at": bookings.SLOT_TAKEN},
                409,
            )
        if action == "book":
            return redirect_with_notice(
                f"/booking/bookings/{booking_id}", N_("The appointment was booked.")
            )
        if action == "grant":
            return await self._customer_page(request, customer, 0, "", "", {}, {}, code=code)
        notice = N_("Marked as done.") if action == "plan_done" else N_("The task was added.")
        return redirect_with_notice(f"/booking/customers/{customer.id}", notice)

    async def _book_for(self, request: Req, customer_id: int, data: dict[str, Any]) -> int:
        professional_id, start = bookings.split_slot(data.get("slot"))
        form = {**data, "professional_id": professional_id, "starts_at": start}
        booking_request = bookings.clean_request(form, contact_required=False)
        booking_request.customer_id = customer_id
        customer = await customers.get_customer(customer_id)
        booking_request.reminder_channel = (
            "none" if sms_recipient_problem(customer.phone) else "sms"
        )
        booking_request.language = customer.language
        user = require_user(request)
        booking_id = await bookings.create_booking(user, booking_request, now(), user.id)
        booking = await bookings.get_booking(booking_id)
        await bookings.queue_messages(booking, manage_url(request, booking), now())
        return booking_id

    async def _grant(self, request: Req, customer_id: int, data: dict[str, Any]) -> str:
        professional = await setup.professional_of_user(require_user(request).id)
        if professional is None:
            raise ValidationFailed({"appointment_type_id": N_("Only professionals grant rights.")})
        right = parse_form(forms.RightForm, data)
        return await rights.grant_right(
            require_user(request),
            customer_id,
            right.appointment_type_id,
            professional["id"],
            right.valid_until,
            now(),
            today(),
        )

    async def _add_duty(self, request: Req, customer_id: int) -> None:
        professional = await setup.professional_of_user(require_user(request).id)
        if professional is None:
            raise ValidationFailed({"duty": N_("Only professionals follow client plans.")})
        await duties.add_duty(require_user(request), customer_id, professional["id"], today())


class BookingSetup(Controller):
    path = "/booking/setup"
    include_in_schema = False
    opt = {"permission": "booking.manage"}

    @get("/")
    async def setup_page(self, request: Req) -> Template:
        return await self._page(request, "", {}, {})

    async def _page(
        self,
        request: Req,
        form: str,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        return render(
            request,
            "booking/setup.html",
            status_code=status,
            units=await setup.list_units(),
            types=await setup.list_types(),
            professionals=await setup.list_professionals(),
            candidates=await setup.professional_candidates(),
            municipalities=runtime_of(request).settings.municipalities,
            modes=bookings.MODES,
            form=form,
            values=values,
            errors=errors,
        )

    @get("/units/{unit_id:int}")
    async def edit_unit(self, request: Req, unit_id: int) -> Template:
        return self._unit_form(request, await setup.get_unit(unit_id), {})

    def _unit_form(
        self, request: Req, values: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Template:
        return render(
            request,
            "booking/unit_form.html",
            status_code=status,
            values=values,
            errors=errors,
            municipalities=runtime_of(request).settings.municipalities,
        )

    @post("/units/{unit_id:int}")
    async def update_unit(self, request: Req, unit_id: int) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                await setup.update_unit(
                    require_user(request),
                    unit_id,
                    int_field(data, "version"),
                    data,
                    runtime_of(request).settings.municipalities,
                )
        except ValidationFailed as exc:
            return self._unit_form(request, {**data, "id": unit_id}, exc.errors, 400)
        except VersionConflict as exc:
            return render_conflict(
                request, exc, f"/booking/setup/units/{unit_id}", list(setup.UNIT_FIELDS)
            )
        return redirect_with_notice("/booking/setup", SETUP_NOTICES["unit"])

    @get("/professionals/{professional_id:int}")
    async def edit_professional(self, request: Req, professional_id: int) -> Template:
        row = await setup.get_professional(professional_id)
        return await self._professional_form(request, row, setup.professional_form(row), {})

    async def _professional_form(
        self,
        request: Req,
        row: dict[str, Any],
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        return render(
            request,
            "booking/professional_form.html",
            status_code=status,
            name=row["user.full_name"],
            values=values,
            errors=errors,
            units=await setup.list_units(),
        )

    @post("/professionals/{professional_id:int}")
    async def update_professional(self, request: Req, professional_id: int) -> Response[Any]:
        data = await form_data(request)
        row = await setup.get_professional(professional_id)
        try:
            async with transaction():
                await setup.update_professional(
                    require_user(request), professional_id, int_field(data, "version"), data
                )
        except ValidationFailed as exc:
            values = {**data, "id": professional_id}
            return await self._professional_form(request, row, values, exc.errors, 400)
        except VersionConflict as exc:
            return render_conflict(
                request,
                exc,
                f"/booking/setup/professionals/{professional_id}",
                list(setup.PROFESSIONAL_FIELDS),
            )
        return redirect_with_notice("/booking/setup", N_("The professional was saved."))

    @get("/types/{type_id:int}")
    async def edit_type(self, request: Req, type_id: int) -> Template:
        row = await setup.get_type_row(type_id)
        return self._type_form(request, {**row, "public": "on" if row["public"] else ""}, {})

    def _type_form(
        self, request: Req, values: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Template:
        return render(
            request,
            "booking/type_form.html",
            status_code=status,
            values=values,
            errors=errors,
            modes=bookings.MODES,
        )

    @post("/types/{type_id:int}")
    async def update_type(self, request: Req, type_id: int) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                await setup.update_type(
                    require_user(request), type_id, int_field(data, "version"), data
                )
        except ValidationFailed as exc:
            return self._type_form(request, {**data, "id": type_id}, exc.errors, 400)
        except VersionConflict as exc:
            return render_conflict(
                request, exc, f"/booking/setup/types/{type_id}", list(setup.TYPE_FIELDS)
            )
        return redirect_with_notice("/booking/setup", SETUP_NOTICES["type"])

    @post("/{form:str}")
    async def save(self, request: Req, form: str) -> Response[Any]:
        data = await form_data(request)
        user = require_user(request)
        try:
            async with transaction():
                if form == "unit":
                    await setup.create_unit(user, data, runtime_of(request).settings.municipalities)
                elif form == "type":
                    await setup.create_type(user, data)
                elif form == "professional":
                    await setup.add_professional(user, data)
                else:
                    raise NotFound(form)
        except ValidationFailed as exc:
            return await self._page(request, form, data, exc.errors, 400)
        return redirect_with_notice("/booking/setup", SETUP_NOTICES[form])


# -- API -----------------------------------------------------------------------------------


@dataclass
class AppointmentTypeOut:
    id: int
    code: str
    name: str
    duration_minutes: int
    modes: list[str]
    preparation: str
    bring_list: str


@dataclass
class FreeTimeOut:
    professional_id: int
    professional_name: str
    unit_id: int
    unit_name: str
    appointment_type_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


class BookingApi(Controller):
    path = "/api/booking"
    tags = ["booking"]
    opt = {"public": True}

    @get("/types")
    async def list_types(self) -> list[AppointmentTypeOut]:
        """Appointment types anyone may book."""
        return [
            AppointmentTypeOut(**{k: row[k] for k in AppointmentTypeOut.__dataclass_fields__})
            for row in await setup.list_types(public_only=True)
        ]

    @get("/free-times")
    async def list_free_times(
        self,
        appointment_type_id: RecordId,
        unit_id: OptionalRecordId = 0,
        after: dt.datetime | None = None,
    ) -> list[FreeTimeOut]:
        """The next free times of a public type (12), from `after` or now, earliest first."""
        appointment_type = await bookings.get_type(appointment_type_id)
        if not appointment_type["public"]:
            raise NotFound("appointment type")
        moment = after.astimezone(dt.UTC) if after and after.tzinfo else now()
        free = await next_times(appointment_type_id, max(moment, now()), unit_id)
        return [FreeTimeOut(**vars(f)) for f in free]


@dataclass
class BookingOut:
    id: int
    professional_id: int
    professional_name: str
    appointment_type_code: str
    appointment_type_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    mode: str
    status: str
    customer_id: int | None
    contact_name: str | None
    description: str
    reminder_channel: str
    extra_needs: list[str]
    interpreter_language: str
    version: int


def _booking_out(row: dict[str, Any]) -> BookingOut:
    return BookingOut(
        id=row["id"],
        professional_id=row["professional"],
        professional_name=row["professional.user.full_name"],
        appointment_type_code=row["appointment_type.code"],
        appointment_type_name=row["appointment_type.name"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        mode=row["mode"],
        status=row["status"],
        customer_id=row["customer"],
        contact_name=row["contact.name"],
        description=row["description"],
        reminder_channel=row["reminder_channel"],
        extra_needs=list(row["extra_needs"]),
        interpreter_language=row["interpreter_language"],
        version=row["version"],
    )


class StaffBookingApi(Controller):
    path = "/api/booking"
    tags = ["booking"]
    opt = {"permission": "booking.work"}

    @get("/professionals/{professional_id:int}/bookings")
    async def professional_bookings(
        self, request: Req, professional_id: RecordId, week_of: dt.date | None = None
    ) -> list[BookingOut]:
        """A professional's bookings in the week (Monday–Sunday, Helsinki) of `week_of`."""
        days = calendar.week_of(week_of or today())
        rows = await bookings.bookings_of_professional(professional_id, days[0], days[-1])
        customer_ids = sorted({r["customer"] for r in rows if r["customer"]})
        if customer_ids:
            async with transaction():
                for customer_id in customer_ids:
                    await customers.record_view(require_user(request), customer_id, "booking")
        return [_booking_out(row) for row in rows]

    @get("/bookings/{booking_id:int}")
    async def booking(self, request: Req, booking_id: RecordId) -> BookingOut:
        row = await bookings.get_booking(booking_id)
        if row["customer"]:
            async with transaction():
                await customers.record_view(require_user(request), row["customer"], "booking")
        return _booking_out(row)
