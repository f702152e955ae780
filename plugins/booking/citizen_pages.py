"""Appointments on the citizen's own pages ("Oma Valvomo"): a strongly identified customer, or
a relative with a proxy right for booking, books, sees and cancels the customer's appointments
without the signed SMS link. The booking rules are the same as on the public pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect, Response, Template

from plugins.booking import bookings, forms, setup
from plugins.booking.public import earliest_start, later_from, manage_url, next_times
from plugins.booking.settings import current as settings
from plugins.booking.waitlist import serve_waitlist
from valvomo.api import (
    CITIZEN,
    N_,
    Citizen,
    NotFound,
    TooManyRequests,
    ValidationFailed,
    audit,
    form_data,
    get_customer,
    is_confirmed,
    may_use,
    now,
    parse_form,
    redirect_with_notice,
    render_citizen,
    render_confirmation,
    require_citizen,
    runtime_of,
    sms_recipient_problem,
    transaction,
)

Req = Request[Any, Any, Any]
SERVICE = "booking"
HOME = "/oma/booking"


async def acting_customer(request: Req) -> tuple[Citizen, int]:
    """The signed-in person and the customer whose appointments they handle, if they may."""
    citizen = require_citizen(request)
    if citizen.acting_for is None or not await may_use(citizen, SERVICE):
        raise NotAuthorizedException(N_("Sign in to continue."))
    return citizen, citizen.acting_for


async def own_booking(customer_id: int, booking_id: int) -> dict[str, Any]:
    """The booking when it is the customer's; another customer's is as if it did not exist."""
    booking = await bookings.get_booking(booking_id)
    if booking["customer"] != customer_id:
        raise NotFound(f"booking {booking_id}")
    return booking


def split_bookings(
    rows: list[dict[str, Any]], moment: dt.datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Coming active appointments (soonest first), and the rest (latest first)."""
    coming = [b for b in rows if b["status"] == bookings.ACTIVE and b["ends_at"] > moment]
    coming.sort(key=lambda b: b["starts_at"])
    return coming, [b for b in rows if b not in coming]


async def _public_type(type_id: int) -> dict[str, Any]:
    appointment_type = await bookings.get_type(type_id)
    if not appointment_type["public"]:
        raise NotFound("appointment type")
    return appointment_type


class CitizenBookingPages(Controller):
    path = HOME
    include_in_schema = False
    opt = CITIZEN

    @get("/")
    async def list_bookings(self, request: Req) -> Template:
        citizen, customer_id = await acting_customer(request)
        await audit.record(citizen, "view", "booking", customer_id=customer_id)
        coming, earlier = split_bookings(await bookings.bookings_of_customer(customer_id), now())
        return render_citizen(
            request, "booking/citizen_list.html", coming=coming, earlier=earlier[:10]
        )

    @get("/new")
    async def choose_type(self, request: Req, type_id: str = "") -> Template:
        _citizen, customer_id = await acting_customer(request)
        types = await setup.list_types(public_only=True)
        chosen = next((t for t in types if t["id"] == bookings.record_id(type_id)), None)
        # Said before the four steps, not only at their end (the confirmation still checks).
        cap = settings().max_open_bookings
        full = await bookings.open_bookings_of_customer(customer_id, now()) >= cap
        return render_citizen(
            request,
            "booking/citizen_new.html",
            types=types,
            chosen=chosen,
            units=await setup.list_units(),
            cap=cap if full else 0,
        )

    @get("/times")
    async def times(
        self, request: Req, type_id: str = "", mode: str = "", unit_id: str = "", after: str = ""
    ) -> Template:
        await acting_customer(request)
        appointment_type = await _public_type(bookings.record_id(type_id))
        errors = {}
        if mode not in appointment_type["modes"]:
            errors["mode"] = N_("Choose how you want to meet.")
        free = await next_times(
            appointment_type["id"], earliest_start(after, now()), bookings.record_id(unit_id)
        )
        return render_citizen(
            request,
            "booking/citizen_times.html",
            status_code=400 if errors else 200,
            errors=errors,
            appointment_type=appointment_type,
            mode=mode,
            unit_id=unit_id,
            free_times=free,
            later=later_from(free),
        )

    @get("/details")
    async def details(
        self, request: Req, type_id: str = "", mode: str = "", slot: str = ""
    ) -> Template:
        await acting_customer(request)
        professional_id, start = bookings.split_slot(slot)
        values = {"appointment_type_id": type_id, "mode": mode,
                  "professional_id": professional_id, "starts_at": start}  # fmt: skip
        return await self._details(request, values, {})

    async def _details(
        self, request: Req, values: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Template:
        _citizen, customer_id = await acting_customer(request)
        customer = await get_customer(customer_id)
        return render_citizen(
            request,
            "booking/citizen_details.html",
            status_code=status,
            values=values,
            errors=errors,
            appointment_type=await _public_type(
                bookings.record_id(values.get("appointment_type_id"))
            ),
            starts_at=bookings.parse_start(str(values.get("starts_at", ""))),
            sms_phone="" if sms_recipient_problem(customer.phone) else customer.phone,
        )

    @post("/confirm")
    async def confirm(self, request: Req) -> Response[Any]:
        citizen, customer_id = await acting_customer(request)
        data = await form_data(request)
        try:
            async with transaction():
                booking = await self._book(request, citizen, customer_id, data)
        except ValidationFailed as exc:
            return await self._details(request, data, exc.errors, 400)
        except bookings.SlotTaken:
            errors = {"starts_at": bookings.SLOT_TAKEN}
            return await self._details(request, data, errors, 409)
        return redirect_with_notice(f"{HOME}/{booking['id']}", N_("Your appointment is booked."))

    async def _book(
        self, request: Req, citizen: Citizen, customer_id: int, data: dict[str, Any]
    ) -> dict[str, Any]:
        booking_request = bookings.clean_request(data, contact_required=False)
        await _public_type(booking_request.appointment_type_id)
        moment = now()
        cap = settings().max_open_bookings
        if await bookings.open_bookings_of_customer(customer_id, moment) >= cap:
            raise TooManyRequests(
                3600,
                N_("You already have %(count)s upcoming bookings. Cancel one or call us to "
                   "book more."),
                count=cap,
            )  # fmt: skip
        customer = await get_customer(customer_id)
        booking_request.customer_id = customer_id
        booking_request.language = customer.language
        booking_request.reminder_channel = (
            "none" if sms_recipient_problem(customer.phone) else "sms"
        )
        booking_id = await bookings.create_booking(citizen, booking_request, moment)
        booking = await bookings.get_booking(booking_id)
        await bookings.queue_messages(booking, manage_url(request, booking), moment)
        return booking

    @get("/{booking_id:int}")
    async def booking(self, request: Req, booking_id: int) -> Template:
        citizen, customer_id = await acting_customer(request)
        booking = await own_booking(customer_id, booking_id)
        await audit.record(citizen, "view", "booking", booking_id, customer_id=customer_id)
        return render_citizen(request, "booking/citizen_booking.html", booking=booking,
                              upcoming=booking["ends_at"] > now())  # fmt: skip

    @get("/{booking_id:int}/move")
    async def move_form(self, request: Req, booking_id: int, after: str = "") -> Template:
        _citizen, customer_id = await acting_customer(request)
        booking = await own_booking(customer_id, booking_id)
        return await self._move_page(request, booking, after)

    async def _move_page(
        self,
        request: Req,
        booking: dict[str, Any],
        after: str = "",
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        """The same professional's next free times, as the SMS link's move page offers."""
        free = await next_times(
            booking["appointment_type"], earliest_start(after, now()), 0, booking["professional"]
        )
        return render_citizen(
            request,
            "booking/citizen_move.html",
            status_code=status,
            booking=booking,
            free_times=free,
            errors=errors or {},
            later=later_from(free),
        )

    @post("/{booking_id:int}/move")
    async def move(self, request: Req, booking_id: int) -> Response[Any]:
        citizen, customer_id = await acting_customer(request)
        booking = await own_booking(customer_id, booking_id)
        data = await form_data(request)
        moment = now()
        try:
            new_start = parse_form(forms.MoveForm, data).starts_at
            async with transaction():
                moved = await bookings.move_booking(citizen, booking_id, new_start, moment)
                await bookings.queue_messages(moved, manage_url(request, moved), moment)
        except ValidationFailed as exc:
            return await self._move_page(request, booking, errors=exc.errors, status=400)
        except bookings.SlotTaken:
            errors = {"starts_at": bookings.SLOT_TAKEN}
            return await self._move_page(request, booking, errors=errors, status=409)
        return redirect_with_notice(
            f"{HOME}/{booking_id}", N_("Your appointment was moved to the new time.")
        )

    @post("/{booking_id:int}/cancel")
    async def cancel(self, request: Req, booking_id: int) -> Response[Any]:
        citizen, customer_id = await acting_customer(request)
        booking = await own_booking(customer_id, booking_id)
        if not is_confirmed(await form_data(request)):
            return render_confirmation(
                request,
                title=N_("Cancel your appointment?"),
                message=N_("The time is freed for others. You can book a new one later."),
                action=f"{HOME}/{booking_id}/cancel",
                fields={},
                confirm_label=N_("Cancel the appointment"),
                cancel_href=f"{HOME}/{booking_id}",
                cancel_label=N_("Keep the appointment"),
            )
        try:
            async with transaction():
                await bookings.cancel_booking(citizen, booking["id"], moment=now())
        except ValidationFailed:
            return Redirect(path=f"{HOME}/{booking_id}")
        await serve_waitlist(runtime_of(request).settings)
        return redirect_with_notice(HOME, N_("Your appointment was cancelled."))


CONTROLLERS = [CitizenBookingPages]
