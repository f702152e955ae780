"""Formal decisions on a customer's service, shared by the plugins that record them (the meal
service's opening and ending decisions, the security phone's decisions to grant and to end):
the decision maker and basis fields with their messages, the rules for a decision's date, and
how the rows become `CitizenDecision`s on the citizen's page of decisions (`/oma/decisions`).

A plugin keeps its own table (its decisions belong to its services), with at least the columns
`id`, `kind`, `decided_on`, `decision_maker`, `basis` and `effective_date`.

The customer is told of a decision in their own language (Finnish or Swedish): by SMS when
their phone is a mobile number (`notice_channel`), otherwise by a printed letter
(`decision_letter_pdf`, which also serves the citizen's copy of any decision).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar.exceptions import NotAuthorizedException
from litestar.response import Response
from msgspec import Meta
from piccolo.table import Table

from core.audit import services as audit
from core.audit.services import Actor
from core.citizen.services import Citizen, may_use
from core.common.clock import HELSINKI, now, today
from core.customers.services import CustomerRecord, get_customer
from core.i18n import N_, gettext, in_language
from core.notifications.services import queue_message, sms_recipient_problem
from core.plugins.types import CitizenDecision
from core.web.forms import DateField, Message

NOTICE_LANGUAGES = ("fi", "sv")

DecisionMaker = Annotated[str, Meta(max_length=200), Message(N_("Enter who made the decision."))]
DecisionBasis = Annotated[
    str, Meta(max_length=2000), Message(N_("Enter the basis of the decision."))
]


class DecisionFields(msgspec.Struct):
    """The parts every decision has; a plugin's decision form extends it."""

    decided_on: DateField
    decision_maker: DecisionMaker
    basis: DecisionBasis


def decision_date_problems(
    decided_on: dt.date, not_before: dt.date | None, field: str = "decided_on"
) -> dict[str, str]:
    """A decision may not be dated in the future, nor before the request (`not_before`)."""
    if decided_on > today():
        return {field: N_("A decision cannot be dated in the future.")}
    if not_before is not None and decided_on < not_before:
        return {field: N_("The decision date is before the request.")}
    return {}


def decision_values(form: DecisionFields) -> dict[str, Any]:
    """Date, decision maker and basis of a decision, as the plugin's table stores them."""
    return {
        "decided_on": form.decided_on,
        "decision_maker": form.decision_maker,
        "basis": form.basis,
    }


def citizen_decisions(
    rows: Iterable[Mapping[str, Any]], titles: Mapping[str, str], letter_href: str = ""
) -> list[CitizenDecision]:
    """A plugin's decision rows as the citizen's page shows them: `titles` by kind (English
    msgids), `letter_href` formatted with the row (e.g. "/oma/meals/decisions/{id}/letter"),
    or "" when the plugin writes no letter."""
    return [
        CitizenDecision(
            title=titles.get(row["kind"], row["kind"]),
            decided_on=row["decided_on"],
            decision_maker=row["decision_maker"],
            basis=row["basis"],
            effective_date=row["effective_date"],
            letter_href=letter_href.format(**row) if letter_href else "",
        )
        for row in rows
    ]


async def decisions_about(host: Any, customer_id: int, citizen: Citizen) -> list[CitizenDecision]:
    """Every plugin's decisions about the customer's services that `citizen` may see
    (`valvomo_citizen_decisions` of the `PluginHost`), newest first: the page of decisions
    and the citizen's own data both list them."""
    found: list[CitizenDecision] = await host.acollect(
        "valvomo_citizen_decisions", customer_id=customer_id, citizen=citizen
    )
    return sorted(found, key=lambda d: d.decided_on, reverse=True)


def decision_records(decisions: Iterable[CitizenDecision]) -> list[dict[str, Any]]:
    """Decisions as the citizen's data download holds them (page, JSON, PDF): the title in the
    reader's language, the dates, the decision maker and the basis; no link to the letter."""
    return [
        {
            "title": gettext(d.title),
            "decided_on": d.decided_on,
            "effective_date": d.effective_date,
            "decision_maker": d.decision_maker,
            "basis": d.basis,
        }
        for d in decisions
    ]


def notice_language(customer: CustomerRecord) -> str:
    """The language of the customer's notices: theirs when it is Finnish or Swedish."""
    return customer.language if customer.language in NOTICE_LANGUAGES else "fi"


def notice_channel(customer: CustomerRecord) -> str:
    """ "sms" when the customer's phone takes text messages, else "letter"."""
    phone = customer.phone
    return "sms" if phone and sms_recipient_problem(phone) is None else "letter"


def letter_date(day: dt.date) -> str:
    """7.12.2026: how dates are written in Finnish and in Finland-Swedish letters."""
    return f"{day.day}.{day.month}.{day.year}"


def decision_letter_pdf(
    customer: CustomerRecord, sent_on: dt.date, language: str, title: str, text: str, signature: str
) -> bytes:
    """A decision's notice as an A4 letter (fpdf2) addressed to the customer: `title` and
    `signature` are msgids translated into `language`; `text` is already in it."""
    # Imported here: fpdf2 costs every `valvomo` command about a second of start-up otherwise.
    from fpdf import FPDF

    with in_language(language):
        title, signature = _plain(gettext(title)), _plain(gettext(signature))
    pdf = FPDF(format="A4")
    pdf.set_title(title)
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
    pdf.cell(0, 6, letter_date(sent_on), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", style="B", size=14)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, _plain(text))
    pdf.ln(10)
    pdf.cell(0, 6, signature, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _plain(text: str) -> str:
    """Helvetica covers Latin-1 (ä, ö, å, é); other characters become '?' rather than fail."""
    return text.encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class DecisionNotices:
    """How a plugin keeps its decisions and tells the customer of them. `table` has the columns
    of the module docstring and `notice_channel`, `notice_language`, `created_by`,
    `created_at`; `entity` names the rows in the audit trail ("meal_decision"); `reference`
    starts the outbox reference of each SMS ("meals:decision"); `texts` are the notices by
    kind (msgids with %(date)s, %(decided_on)s, %(maker)s and %(basis)s); `title` and
    `signature` head and sign the letter."""

    table: type[Table]
    entity: str
    reference: str
    texts: Mapping[str, str]
    title: str
    signature: str

    def text(self, decision: Mapping[str, Any], language: str) -> str:
        message = self.texts[decision["kind"]]
        with in_language(language):
            return gettext(
                message,
                date=letter_date(decision["effective_date"]),
                decided_on=letter_date(decision["decided_on"]),
                maker=decision["decision_maker"],
                basis=decision["basis"],
            )

    async def record(
        self,
        actor: Actor,
        customer: CustomerRecord,
        kind: str,
        decision: Mapping[str, Any],
        effective_date: dt.date,
        **row: Any,
    ) -> int:
        """Save the decision (`row`: the plugin's own columns, e.g. its service) and queue its
        notice (SMS) or mark it for a printed letter; with its audit entry, in the caller's
        transaction."""
        language, channel = notice_language(customer), notice_channel(customer)
        values = {**decision, "kind": kind, "effective_date": effective_date}
        table = self.table
        rows = await table.insert(
            table(
                notice_channel=channel,
                notice_language=language,
                created_by=getattr(actor, "id", None),
                created_at=now(),
                **row,
                **values,
            )
        ).returning(table._meta.primary_key)
        decision_id = int(rows[0][table._meta.primary_key._meta.name])
        if channel == "sms":
            await queue_message(
                channel="sms",
                recipient=customer.phone,
                body=self.text(values, language)[:1000],
                customer_id=customer.id,
                reference=f"{self.reference}:{decision_id}",
            )
        await audit.record(
            actor,
            "create",
            self.entity,
            decision_id,
            customer_id=customer.id,
            after={**values, "notice_channel": channel, "notice_language": language},
        )
        return decision_id

    def letter(self, decision: Mapping[str, Any], customer: CustomerRecord) -> bytes:
        """The notice as an A4 letter addressed to the customer, in the customer's language."""
        language = decision["notice_language"]
        sent_on = decision["created_at"].astimezone(HELSINKI).date()
        text = self.text(decision, language)
        return decision_letter_pdf(customer, sent_on, language, self.title, text, self.signature)

    def letter_response(
        self, decision: Mapping[str, Any], customer: CustomerRecord
    ) -> Response[bytes]:
        """The letter as the staff's and the citizen's pages answer it (shown in the browser)."""
        return Response(
            self.letter(decision, customer),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="decision-{decision["id"]}.pdf"'},
        )

    async def citizen_letter(
        self,
        citizen: Citizen,
        service: str,
        decision_id: int,
        find: Callable[[int, int], Awaitable[Mapping[str, Any]]],
    ) -> Response[bytes]:
        """The citizen's copy of a decision's letter: only of the customer they act for, with a
        right to `service` (the plugin's name); `find(customer_id, decision_id)` raises
        NotFound for another customer's decision. In the customer's access log."""
        customer_id = citizen.acting_for
        if customer_id is None or not await may_use(citizen, service):
            raise NotAuthorizedException(N_("Sign in to continue."))
        decision = await find(customer_id, decision_id)
        customer = await get_customer(customer_id)
        await audit.record(citizen, "view", self.entity, decision_id, customer_id=customer_id)
        return self.letter_response(decision, customer)
