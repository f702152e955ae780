"""The customer's page behind an "offer new times" message: the same type's free times in the
same unit, grouped by day; choosing one books it as the same booking (its history stays)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response

from plugins.booking import bookings, links
from plugins.booking.public import (
    SELF_SERVICE,
    _manage_path,
    bad_link_page,
    earliest_start,
    linked_booking,
    manage_url,
    next_times,
)
from valvomo.api import N_, NotFound, ValidationFailed, form_data, now, render, transaction

Req = Request[Any, Any, Any]


class OfferPages(Controller):
    path = "/book/offer"
    include_in_schema = False
    opt = {"public": True, "audience": "citizen"}

    @get("/{token:str}")
    async def offer(self, request: Req, token: str, after: str = "") -> Response[Any]:
        try:
            booking = await linked_booking(request, token)
        except (links.BadLink, NotFound) as exc:
            return bad_link_page(request, exc)
        return await self._page(request, booking, token, after, {}, {})

    async def _page(
        self,
        request: Req,
        booking: dict[str, Any],
        token: str,
        after: str,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response[Any]:
        if booking["status"] == bookings.ACTIVE:
            return Redirect(path=_manage_path(request, booking))
        free = []
        if booking["status"] == bookings.OFFERED:
            free = await next_times(
                booking["appointment_type"],
                earliest_start(after, now()),
                booking["professional.unit"],
            )
        return render(
            request,
            "booking/public_offer.html",
            status_code=status,
            booking=booking,
            token=token,
            free_times=free,
            values=values,
            errors=errors,
        )

    @post("/{token:str}")
    async def choose(self, request: Req, token: str) -> Response[Any]:
        data = await form_data(request)
        try:
            booking = await linked_booking(request, token)
        except (links.BadLink, NotFound) as exc:
            return bad_link_page(request, exc)
        professional_id, start = bookings.split_slot(data.get("slot"))
        new_start = bookings.parse_start(start)
        moment = now()
        try:
            if new_start is None or not professional_id.isdigit():
                raise ValidationFailed({"starts_at": N_("Choose a time.")})
            async with transaction():
                moved = await bookings.move_booking(
                    SELF_SERVICE, booking["id"], new_start, moment, int(professional_id)
                )
                await bookings.queue_messages(moved, manage_url(request, moved), moment)
        except ValidationFailed as exc:
            return await self._page(request, booking, token, "", data, exc.errors, 400)
        except bookings.SlotTaken:
            errors = {"starts_at": bookings.SLOT_TAKEN}
            return await self._page(request, booking, token, "", data, errors, 409)
        return Redirect(path=_manage_path(request, moved) + "?new=1")
