"""The security phone on the citizen's own pages: the written decisions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Response

from plugins.security_phones import decisions
from valvomo.api import CITIZEN, require_citizen

Req = Request[Any, Any, Any]


class CitizenPhonePages(Controller):
    path = "/oma/security-phones"
    include_in_schema = False
    opt = CITIZEN

    @get("/decisions/{decision_id:int}/letter", media_type="application/pdf")
    async def decision_letter(self, request: Req, decision_id: int) -> Response[bytes]:
        """The written decision, as the letter the customer was or would have been sent."""
        return await decisions.NOTICES.citizen_letter(
            require_citizen(request), "security_phones", decision_id,
            decisions.decision_of_customer,
        )  # fmt: skip


CONTROLLERS = [CitizenPhonePages]
