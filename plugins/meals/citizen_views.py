"""The meal service on the citizen's own pages: reporting days away."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.response import Response, Template

from plugins.meals import absences, decisions
from plugins.meals.settings import current
from valvomo.api import (
    CITIZEN,
    N_,
    ValidationFailed,
    form_data,
    may_use,
    now,
    redirect_with_notice,
    render_citizen,
    require_citizen,
    transaction,
)

Req = Request[Any, Any, Any]


class CitizenMealPages(Controller):
    path = "/oma/meals"
    include_in_schema = False
    opt = CITIZEN

    @get("/absence")
    async def absence_form(self, request: Req) -> Template:
        citizen = require_citizen(request)
        if not await may_use(citizen, "meals"):
            raise NotAuthorizedException(N_("Sign in to continue."))
        return self._form(request, {}, {})

    @post("/absence")
    async def report_absence(self, request: Req) -> Response[Any]:
        citizen = require_citizen(request)
        data = await form_data(request)
        if citizen.acting_for is None or not await may_use(citizen, "meals"):
            raise NotAuthorizedException(N_("Sign in to continue."))
        try:
            async with transaction():
                days = await absences.report_absence(
                    citizen, citizen.acting_for, data, current(), now(),
                    reported_by=citizen.role_codes[0],
                )  # fmt: skip
        except ValidationFailed as exc:
            return self._form(request, data, exc.errors, status=400)
        return redirect_with_notice(
            "/oma", N_("Your absence was saved: meals cancelled for %(num)s days."), num=days
        )

    @get("/decisions/{decision_id:int}/letter", media_type="application/pdf")
    async def decision_letter(self, request: Req, decision_id: int) -> Response[bytes]:
        """The written decision, as the letter the customer was or would have been sent."""
        return await decisions.NOTICES.citizen_letter(
            require_citizen(request), "meals", decision_id, decisions.decision_of_customer
        )

    def _form(
        self, request: Req, data: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Template:
        settings = current()
        return render_citizen(
            request,
            "meals/citizen_absence.html",
            status_code=status,
            form=data,
            errors=errors,
            first_open=absences.first_open_day(now(), settings),
            settings=settings,
        )


CONTROLLERS = [CitizenMealPages]
