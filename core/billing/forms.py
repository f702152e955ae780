"""The billers' forms (a price, a fee decision), declared on core's form layer; the payer form is
the customer register's (`core.customers.payers.PayerForm`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import msgspec
from msgspec import Meta

from core.i18n import N_
from core.web.forms import After, DateField, FieldError, Message, OneOf, Parse

MAX_PRICE = Decimal(100_000)
PRICE_STEP = Decimal("0.0001")
HUNDRED = Decimal(100)
FEE_KINDS = ("reduction", "fixed_price", "waiver")
END_BEFORE_START = N_("The end date is before the start date.")


def euros(text: str) -> Decimal:
    """A price typed as 6,80, 6.80 or 6,80 € (euros, at most 4 decimals, 0–100 000)."""
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace("€", "").replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise FieldError(N_("Enter a price in euros, e.g. 6,80.")) from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_PRICE:
        raise FieldError(N_("Enter a price from 0 to 99 999,99 €."))
    if amount != amount.quantize(PRICE_STEP):
        raise FieldError(N_("A price has at most four decimals."))
    return amount


def per_cent(text: str) -> Decimal:
    """A reduction typed as 30 or 12,5 (more than 0, at most 100)."""
    try:
        percent = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise FieldError(N_("Enter the reduction in per cent, e.g. 30.")) from None
    if not percent.is_finite() or percent <= 0 or percent > HUNDRED:
        raise FieldError(N_("A reduction is more than 0 and at most 100 per cent."))
    return percent


Euros = Annotated[Decimal, Parse(euros), Message(missing=N_("Enter a price in euros, e.g. 6,80."))]
ValidTo = Annotated[DateField | None, After("valid_from", END_BEFORE_START, or_same=True)]


class PriceForm(msgspec.Struct):
    amount: Euros
    valid_from: DateField
    valid_to: ValidTo = None


class FeeDecisionForm(msgspec.Struct, kw_only=True):
    kind: Annotated[
        str, OneOf(FEE_KINDS), Message(N_("Choose a reduction, a fixed price or a waiver."))
    ]
    valid_from: DateField
    valid_to: ValidTo = None
    basis: Annotated[
        str, Meta(max_length=300), Message(N_("Give the basis of the decision, e.g. income."))
    ]
    decided_by: Annotated[str, Meta(max_length=200), Message(N_("Name the decision maker."))]
    product: Annotated[str, Meta(max_length=120)] = ""


class ReductionForm(FeeDecisionForm, kw_only=True):
    percent: Annotated[
        Decimal,
        Parse(per_cent),
        Message(missing=N_("Enter the reduction in per cent, e.g. 30.")),
    ]


class FixedPriceForm(FeeDecisionForm, kw_only=True):
    price: Euros


FEE_FORMS: dict[str, type[FeeDecisionForm]] = {
    "reduction": ReductionForm,
    "fixed_price": FixedPriceForm,
}
