"""Decisions to open and end a meal service, and the customer's written notice of them.

A decision has a date, a decision maker, a basis and an effective date. The customer is told
in their own language (Finnish or Swedish): by SMS through core notifications when the
customer's phone is a mobile number, otherwise by a printable PDF letter (fpdf2).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

from plugins.meals.tables import MealDecision
from valvomo.api import (
    HELSINKI,
    N_,
    Actor,
    CitizenDecision,
    CustomerRecord,
    NotFound,
    audit,
    citizen_decisions,
    current_language,
    gettext,
    now,
    queue_message,
    sms_recipient_problem,
)

KINDS = {"opening": N_("Opening decision"), "ending": N_("Ending decision")}
NOTICE_LANGUAGES = ("fi", "sv")
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


def notice_language(customer: CustomerRecord) -> str:
    return customer.language if customer.language in NOTICE_LANGUAGES else "fi"


@contextlib.contextmanager
def in_language(language: str) -> Iterator[None]:
    reset = current_language.set(language)
    try:
        yield
    finally:
        current_language.reset(reset)


def letter_date(day: dt.date) -> str:
    """7.12.2026: how dates are written in Finnish and in Finland-Swedish letters."""
    return f"{day.day}.{day.month}.{day.year}"


def notice_text(decision: dict[str, Any], language: str) -> str:
    with in_language(language):
        return gettext(
            NOTICE_TEXTS[decision["kind"]],
            date=letter_date(decision["effective_date"]),
            decided_on=letter_date(decision["decided_on"]),
            maker=decision["decision_maker"],
            basis=decision["basis"],
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
    language = notice_language(customer)
    channel = (
        "sms" if customer.phone and sms_recipient_problem(customer.phone) is None else "letter"
    )
    values = {**decision, "kind": kind, "effective_date": effective_date}
    rows = await MealDecision.insert(
        MealDecision(
            service=service_id,
            notice_channel=channel,
            notice_language=language,
            created_by=getattr(actor, "id", None),
            created_at=now(),
            **values,
        )
    ).returning(MealDecision.id)
    decision_id = int(rows[0]["id"])
    if channel == "sms":
        await queue_message(
            channel="sms",
            recipient=customer.phone,
            body=notice_text(values, language)[:1000],
            customer_id=customer.id,
            reference=f"meals:decision:{decision_id}",
        )
    await audit.record(
        actor,
        "create",
        "meal_decision",
        decision_id,
        customer_id=customer.id,
        after={**values, "notice_channel": channel, "notice_language": language},
    )
    return decision_id


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


def letter_pdf(decision: dict[str, Any], customer: CustomerRecord) -> bytes:
    """The notice as an A4 letter addressed to the customer, in the customer's language."""
    # Imported here: fpdf2 costs every `valvomo` command about a second of start-up otherwise.
    from fpdf import FPDF

    language = decision["notice_language"]
    pdf = FPDF(format="A4")
    pdf.set_title(_latin(NOTICE_TITLE, language))
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    address = [
        customer.full_name,
        customer.street_address,
        f"{customer.postal_code} {customer.municipality}",
    ]
    for line in address:
        pdf.cell(0, 6, _plain(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(20)
    sent_on = decision["created_at"].astimezone(HELSINKI).date()
    pdf.cell(0, 6, letter_date(sent_on), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", style="B", size=14)
    pdf.cell(0, 8, _latin(NOTICE_TITLE, language), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, _plain(notice_text(decision, language)))
    pdf.ln(10)
    pdf.cell(0, 6, _latin(NOTICE_SIGNATURE, language), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _latin(message: str, language: str) -> str:
    with in_language(language):
        return _plain(gettext(message))


def _plain(text: str) -> str:
    """Helvetica covers Latin-1 (ä, ö, å, é); other characters become '?' rather than fail."""
    return text.encode("latin-1", "replace").decode("latin-1")
