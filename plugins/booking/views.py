"""Staff pages of booking: calendars, openings, bookings, booking for a customer, setup; and the
JSON API. Thin: parse, call a service, render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from core.common.clock import now, today
from core.common.errors import NotFound, ValidationFailed, VersionConflict
from core.customers import services as customers
from core.db import transaction
from core.i18n import N_
from core.identity.guards import require_user
from core.notifications.services import sms_recipient_problem
from core.web.pages import form_data, int_field, render, render_conflict
from core.web.runtime import runtime_of
from plugins.booking import bookings, calendar, duties, rights, setup
from plugins.booking.public import manage_url, next_times

Req = Request[Any, Any, Any]


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
        return render(
            request,
            "booking/calendar.html",
            professional=professional,
            professionals=await setup.list_professionals(),
            view="day" if view == "day" else "week",
            day=day,
            previous=day - step,
            following=day + step,
            days=await calendar.professional_days(professional["id"], days),
        )

    @get("/bookings/{booking_id:int}")
    async def booking_page(self, request: Req, booking_id: int) -> Template:
        booking = await bookings.get_booking(booking_id)
        if booking["customer"]:
            async with transaction():
                await customers.record_view(require_user(request), booking["customer"], "booking")
        return render(request, "booking/booking.html", booking=booking, now=now())

    @post("/bookings/{booking_id:int}")
    async def change_booking(self, request: Req, booking_id: int) -> Response[Any]:
        data = await form_data(request)
        user = require_user(request)
        action = str(data.get("action", ""))
        try:
            async with transaction():
                if action == "cancel":
                    await bookings.cancel_booking(user, booking_id)
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
            return render(
                request,
                "booking/booking.html",
                status_code=400,
                booking=booking,
                errors=errors,
                now=now(),
            )
        return Redirect(path=f"/booking/bookings/{booking_id}")

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

    @post("/openings")
    async def change_openings(self, request: Req, professional_id: int = 0) -> Response[Any]:
        professional = await _professional(request, professional_id)
        data = await form_data(request)
        user = require_user(request)
        action = str(data.get("action", ""))
        try:
            async with transaction():
                if action == "close":
                    await setup.add_closure(user, professional["id"], data)
                elif action == "remove":
                    await setup.remove_opening(user, professional["id"], int_field(data, "id"))
                else:
                    await setup.add_opening(user, professional["id"], data, today())
        except ValidationFailed as exc:
            return await self._openings(request, professional, data, exc.errors, 400)
        suffix = f"?professional_id={professional_id}" if professional_id else ""
        return Redirect(path=f"/booking/openings{suffix}")

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
            return await self._customer_page(
                request,
                customer,
                int_field(data, "appointment_type_id"),
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
            return Redirect(path=f"/booking/bookings/{booking_id}")
        if action == "grant":
            return await self._customer_page(request, customer, 0, "", "", {}, {}, code=code)
        return Redirect(path=f"/booking/customers/{customer.id}")

    async def _book_for(self, request: Req, customer_id: int, data: dict[str, Any]) -> int:
        professional_id, _, start = str(data.get("slot", "")).partition("|")
        form = {**data, "professional_id": professional_id, "starts_at": start}
        booking_request = bookings.clean_request(form, contact_required=False)
        booking_request.customer_id = customer_id
        phone = (await customers.get_customer(customer_id)).phone
        booking_request.reminder_channel = "none" if sms_recipient_problem(phone) else "sms"
        user = require_user(request)
        booking_id = await bookings.create_booking(user, booking_request, now(), user.id)
        booking = await bookings.get_booking(booking_id)
        await bookings.queue_messages(booking, manage_url(request, booking), now())
        return booking_id

    async def _grant(self, request: Req, customer_id: int, data: dict[str, Any]) -> str:
        professional = await setup.professional_of_user(require_user(request).id)
        if professional is None:
            raise ValidationFailed({"appointment_type_id": N_("Only professionals grant rights.")})
        try:
            valid_until = dt.date.fromisoformat(str(data.get("valid_until", "")))
        except ValueError:
            raise ValidationFailed({"valid_until": N_("Give a date like 2026-12-31.")}) from None
        return await rights.grant_right(
            require_user(request),
            customer_id,
            int_field(data, "appointment_type_id"),
            professional["id"],
            valid_until,
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
        return Redirect(path="/booking/setup")

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
        return Redirect(path="/booking/setup")

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
        return Redirect(path="/booking/setup")


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
        self, appointment_type_id: int, unit_id: int = 0, after: dt.datetime | None = None
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
        self, request: Req, professional_id: int, week_of: dt.date | None = None
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
    async def booking(self, request: Req, booking_id: int) -> BookingOut:
        row = await bookings.get_booking(booking_id)
        if row["customer"]:
            async with transaction():
                await customers.record_view(require_user(request), row["customer"], "booking")
        return _booking_out(row)
