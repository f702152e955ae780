"""Decisions to open and end a meal service, and the customer's written notice of them.

A decision has a date, a decision maker, a basis and an effective date. The customer is told
in their own language (Finnish or Swedish): by SMS through core notifications when the
customer's phone is a mobile number, otherwise by a printable PDF letter (fpdf2).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from plugins.meals.tables import MealDecision
from valvomo.api import (
    N_,
    Actor,
    CitizenDecision,
    CustomerRecord,
    DecisionNotices,
    NotFound,
    citizen_decisions,
)

KINDS = {"opening": N_("Opening decision"), "ending": N_("Ending decision")}
NOTICE_TEXTS = {
    "opening": N_(
        "Decision on your meal service: meals are delivered to you from %(date)s. "
        "Decided on %(decided_on)s by %(maker)s. Basis: %(basis)s"
    ),
    "ending": N_(
        "Decision on your meal service: your meal service ends; the last day of meals is "
        "%(date)s. Decided on %(decided_on)s by %(maker)s. Basis: %(basis)s"
    ),
}
NOTICE_TITLE = N_("Decision on your meal service")
NOTICE_SIGNATURE = N_("Meal service of the wellbeing region")


NOTICES = DecisionNotices(
    table=MealDecision,
    entity="meal_decision",
    reference="meals:decision",
    texts=NOTICE_TEXTS,
    title=NOTICE_TITLE,
    signature=NOTICE_SIGNATURE,
)


async def record_decision(
    actor: Actor,
    service_id: int,
    customer: CustomerRecord,
    kind: str,
    decision: dict[str, Any],
    effective_date: dt.date,
) -> int:
    """Save the decision and queue its notice (SMS) or mark it for a printed letter; in the
    caller's transaction, with its audit entry."""
    return await NOTICES.record(actor, customer, kind, decision, effective_date, service=service_id)


async def decisions_of(service_id: int) -> list[dict[str, Any]]:
    return (
        await MealDecision.select()
        .where(MealDecision.service == service_id)
        .order_by(MealDecision.id)
    )


CITIZEN_TITLES = {
    "opening": N_("Meal service: opening decision"),
    "ending": N_("Meal service: ending decision"),
}


async def decisions_of_customer(customer_id: int) -> list[CitizenDecision]:
    """The customer's meal-service decisions as their own pages show them, with the letter."""
    rows = (
        await MealDecision.select()
        .where(MealDecision.service.customer == customer_id)
        .order_by(MealDecision.id)
    )
    return citizen_decisions(rows, CITIZEN_TITLES, "/oma/meals/decisions/{id}/letter")


async def decision_of_customer(customer_id: int, decision_id: int) -> dict[str, Any]:
    """One decision, when it is about this customer's service (else as if it did not exist)."""
    row = (
        await MealDecision.select()
        .where((MealDecision.id == decision_id) & (MealDecision.service.customer == customer_id))
        .first()
    )
    if row is None:
        raise NotFound(f"meal decision {decision_id}")
    return row


async def get_decision(service_id: int, decision_id: int) -> dict[str, Any]:
    row = (
        await MealDecision.select()
        .where((MealDecision.id == decision_id) & (MealDecision.service == service_id))
        .first()
    )
    if row is None:
        raise NotFound(f"meal decision {decision_id}")
    return row
