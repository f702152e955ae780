"""Decisions on a security phone service: to grant it (recorded when the service is started)
and to end it (recorded when it is ended), each with its date, decision maker and basis. The
fields, date rules and the citizen's view of them are core's (`core.decisions`), shared with
the meal service's decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from plugins.security_phones.tables import PhoneDecision
from valvomo.api import N_, Actor, CitizenDecision, audit, citizen_decisions, now

KINDS = {
    "opening": N_("Decision to grant the service"),
    "ending": N_("Decision to end the service"),
}
CITIZEN_TITLES = {
    "opening": N_("Security phone: decision to grant the service"),
    "ending": N_("Security phone: decision to end the service"),
}


async def record_decision(
    actor: Actor,
    service_id: int,
    customer_id: int,
    kind: str,
    decision: dict[str, Any],
    effective_date: dt.date,
) -> int:
    """Save a decision on the service with its audit entry, in the caller's transaction."""
    values = {**decision, "kind": kind, "effective_date": effective_date}
    rows = await PhoneDecision.insert(
        PhoneDecision(
            service=service_id, created_by=getattr(actor, "id", None), created_at=now(), **values
        )
    ).returning(PhoneDecision.id)
    decision_id = int(rows[0]["id"])
    await audit.record(
        actor, "create", "sp_decision", decision_id, customer_id=customer_id, after=values
    )
    return decision_id


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
    """The decisions as the customer's own page of decisions shows them."""
    return citizen_decisions(await decisions_of_customer(customer_id), CITIZEN_TITLES)
