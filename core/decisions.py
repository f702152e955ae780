"""Formal decisions on a customer's service, shared by the plugins that record them (the meal
service's opening and ending decisions, the security phone's decisions to grant and to end):
the decision maker and basis fields with their messages, the rules for a decision's date, and
how the rows become `CitizenDecision`s on the citizen's page of decisions (`/oma/decisions`).

A plugin keeps its own table (its decisions belong to its services), with at least the columns
`id`, `kind`, `decided_on`, `decision_maker`, `basis` and `effective_date`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from core.common.clock import today
from core.i18n import N_
from core.plugins.types import CitizenDecision
from core.web.forms import DateField, Message

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
