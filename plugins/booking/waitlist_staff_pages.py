"""The waiting list for staff: who waits for which type and period, whose time is held, who
booked, let the hold expire or withdrew. Thin: parse, call waitlist_changes, render."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from plugins.booking import setup, waitlist_changes
from valvomo.api import CurrentUser, NotFound, audit, render, require_user, transaction

Req = Request[Any, Any, Any]


async def _unit_of(user: CurrentUser) -> int | None:
    """A manager sees every unit's requests; a professional their own unit's and those for any
    office; anyone else none of them."""
    if user.can("booking.manage"):
        return None
    professional = await setup.professional_of_user(user.id)
    if professional is None:
        raise NotFound("You are not a professional in any service unit.")
    return int(professional["unit"])


class WaitlistStaffPages(Controller):
    path = "/booking/waitlist"
    include_in_schema = False
    opt = {"permission": "booking.work"}

    @get("/")
    async def waitlist_page(self, request: Req, status: str = "") -> Template:
        status = status if status in waitlist_changes.STATUSES else ""
        user = require_user(request)
        entries = await waitlist_changes.list_entries(status, await _unit_of(user))
        async with transaction():  # the page shows citizens' names
            await audit.record(
                user,
                "view",
                "booking_waitlist",
                "list",
                after={"status": status, "rows": len(entries)},
            )
        return render(
            request,
            "booking/waitlist.html",
            entries=entries,
            status=status,
            statuses=waitlist_changes.STATUSES,
        )
