"""Decisions on a security phone service: to grant it (recorded when the service is started)
and to end it (recorded when it is ended), each with its date, decision maker and basis, and
the customer's notice of it: an SMS when their phone takes one, else a printed letter. The
fields, date rules, notice channel and language, the letter and the citizen's view are core's
(`core.decisions`), shared with the meal service's decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from plugins.security_phones.tables import PhoneDecision
from valvomo.api import N_, CitizenDecision, DecisionNotices, NotFound, citizen_decisions

KINDS = {
    "opening": N_("Decision to grant the service"),
    "ending": N_("Decision to end the service"),
}
CITIZEN_TITLES = {
    "opening": N_("Security phone: decision to grant the service"),
    "ending": N_("Security phone: decision to end the service"),
}
NOTICE_TEXTS = {
    "opening": N_(
        "Decision on your security phone: you are granted a security phone service from "
        "%(date)s. Decided on %(decided_on)s by %(maker)s. Basis: %(basis)s"
    ),
    "ending": N_(
        "Decision on your security phone: your security phone service ends; its last day is "
        "%(date)s. Decided on %(decided_on)s by %(maker)s. Basis: %(basis)s"
    ),
}
NOTICE_TITLE = N_("Decision on your security phone service")
NOTICE_SIGNATURE = N_("Security phone service of the wellbeing region")
NO_NOTICE = "none"  # decisions from before they were recorded: no notice, no letter


NOTICES = DecisionNotices(
    table=PhoneDecision,
    entity="sp_decision",
    reference="security_phones:decision",
    texts=NOTICE_TEXTS,
    title=NOTICE_TITLE,
    signature=NOTICE_SIGNATURE,
)


async def correct_opening(service_id: int, decided_on: dt.date, start_date: dt.date) -> None:
    """A corrected decision or start date of the service is the opening decision's too (the
    service's own audit entry says what changed)."""
    await PhoneDecision.update(
        {PhoneDecision.decided_on: decided_on, PhoneDecision.effective_date: start_date}
    ).where((PhoneDecision.service == service_id) & (PhoneDecision.kind == "opening"))


async def decisions_of_customer(customer_id: int) -> list[dict[str, Any]]:
    """Every decision on the customer's services, oldest first (the staff page lists them)."""
    return (
        await PhoneDecision.select()
        .where(PhoneDecision.service.customer == customer_id)
        .order_by(PhoneDecision.decided_on)
        .order_by(PhoneDecision.id)
    )


async def citizen_view(customer_id: int) -> list[CitizenDecision]:
    """The decisions as the customer's own page of decisions shows them, with the letter of
    those the customer was told of."""
    rows = await decisions_of_customer(customer_id)
    told = [r for r in rows if r["notice_channel"] != NO_NOTICE]
    untold = [r for r in rows if r["notice_channel"] == NO_NOTICE]
    return citizen_decisions(
        told, CITIZEN_TITLES, "/oma/security-phones/decisions/{id}/letter"
    ) + citizen_decisions(untold, CITIZEN_TITLES)


async def decision_of_customer(customer_id: int, decision_id: int) -> dict[str, Any]:
    """One decision with a notice, when it is about this customer's service (else as if it did
    not exist)."""
    row = (
        await PhoneDecision.select()
        .where(
            (PhoneDecision.id == decision_id)
            & (PhoneDecision.service.customer == customer_id)
            & (PhoneDecision.notice_channel != NO_NOTICE)
        )
        .first()
    )
    if row is None:
        raise NotFound(f"security phone decision {decision_id}")
    return row
