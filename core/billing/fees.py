"""Client-fee decisions: a customer's reduction (per cent or a fixed lower unit price) or a
waiver, with validity dates, the basis and the decision maker. Core applies them day by day to
every plugin's lines (`apply_decisions`, called when the month's lines are collected), so no
plugin carries fee rules of its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from core.audit import services as audit
from core.billing import days as day_codes
from core.billing.forms import FEE_FORMS, HUNDRED, PRICE_STEP, FeeDecisionForm
from core.billing.tables import FeeDecision
from core.common.clock import now
from core.common.errors import NotFound, ValidationFailed
from core.customers.tables import Customer
from core.db import CachedQuery
from core.i18n import N_, fmt_money, gettext
from core.plugins.types import BillingLine, BillingPeriod
from core.web.forms import parse_form

if TYPE_CHECKING:
    from core.audit.services import Actor


@dataclass(frozen=True)
class FeeRule:
    customer_id: int
    kind: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    product: str = ""  # "" = every product
    percent: Decimal | None = None
    price: Decimal | None = None
    basis: str = ""
    decided_by: str = ""
    id: int | None = None

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def applies_to(self, product: str) -> bool:
        return self.product in ("", product)

    def apply(self, unit_price: Decimal) -> Decimal:
        if self.kind == "waiver":
            return Decimal(0)
        if self.kind == "fixed_price" and self.price is not None:
            return min(unit_price, self.price)
        percent = self.percent or Decimal(0)
        return (unit_price * (HUNDRED - percent) / HUNDRED).quantize(PRICE_STEP)

    @property
    def label(self) -> str:
        """What the line says, e.g. "fee decision: reduction 30 %"."""
        if self.kind == "waiver":
            return gettext("fee decision: fee waived")
        if self.kind == "fixed_price":
            return gettext("fee decision: %(price)s", price=fmt_money(self.price or 0))
        percent = (self.percent or Decimal(0)).normalize()
        return gettext("fee decision: reduction %(percent)s %%", percent=f"{percent:f}")


def _rule(row: dict[str, Any]) -> FeeRule:
    return FeeRule(
        customer_id=row["customer"],
        kind=row["kind"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        product=row["product"],
        percent=None if row["percent"] is None else Decimal(row["percent"]),
        price=None if row["price"] is None else Decimal(row["price"]),
        basis=row["basis"],
        decided_by=row["decided_by"],
        id=row["id"],
    )


async def decisions_in(period: BillingPeriod) -> dict[int, list[FeeRule]]:
    """Each customer's decisions valid on some day of the month (one query)."""
    rows = await FeeDecision.select().where(
        (FeeDecision.valid_from <= period.last_day)
        & (FeeDecision.valid_to.is_null() | (FeeDecision.valid_to >= period.first_day))
    )
    found: dict[int, list[FeeRule]] = {}
    for row in rows:
        found.setdefault(row["customer"], []).append(_rule(row))
    return found


_CUSTOMER_DECISIONS = CachedQuery(
    lambda customer_id: (
        FeeDecision.select()
        .where(FeeDecision.customer == customer_id)
        .order_by(FeeDecision.valid_from)
    )
)


async def customer_decisions(customer_id: int) -> list[FeeRule]:
    return [_rule(r) for r in await _CUSTOMER_DECISIONS(customer_id)]


@dataclass(frozen=True)
class DecidedDays:
    """Days of a line billed at one unit price under one decision (or none)."""

    unit_price: Decimal
    rule: FeeRule | None
    days: dict[int, int]  # day of month → quantity


def split_by_decisions(
    period: BillingPeriod,
    product: str,
    unit_price: Decimal,
    days: Mapping[int, int],
    rules: Sequence[FeeRule],
) -> list[DecidedDays]:
    """A line's days by the decision in force on each day (at most one per day, see
    `add_decision`), each part at its decided unit price."""
    parts: dict[int | None, DecidedDays] = {}
    mine = [r for r in rules if r.applies_to(product)]
    for day, quantity in sorted(days.items()):
        date = period.first_day.replace(day=day)
        rule = next((r for r in mine if r.covers(date)), None)
        key = None if rule is None else id(rule)
        if key not in parts:
            price = unit_price if rule is None else rule.apply(unit_price)
            parts[key] = DecidedDays(price, rule, {})
        parts[key].days[day] = quantity
    return list(parts.values())


QUANTITY_STEP = Decimal("0.001")


async def apply_decisions(period: BillingPeriod, lines: Sequence[BillingLine]) -> list[BillingLine]:
    """Every line split by its customer's fee decisions in force on each of its days, each part
    at its decided unit price and naming the decision (one query for the month)."""
    decisions = await decisions_in(period)
    if not decisions:
        return list(lines)
    found: list[BillingLine] = []
    for line in lines:
        rules = decisions.get(line.customer_id)
        found += _decided(period, line, rules) if rules else [line]
    return found


def _line_days(period: BillingPeriod, line: BillingLine) -> tuple[dict[int, int], bool]:
    """The line's days with their weights, and whether they are its billed days (`days`)."""
    if line.days:
        return day_codes.decode(line.days), True
    if line.period_days:
        return day_codes.decode(line.period_days), False
    return {day: 1 for day in range(1, period.last_day.day + 1)}, False


def _decided(period: BillingPeriod, line: BillingLine, rules: list[FeeRule]) -> list[BillingLine]:
    weights, billed_days = _line_days(period, line)
    parts = split_by_decisions(period, line.product, line.unit_price, weights, rules)
    if len(parts) == 1 and parts[0].rule is None:
        return [line]
    total = sum(weights.values())
    quantities = _shares(line.quantity, [sum(p.days.values()) for p in parts], total)
    found = []
    for part, quantity in zip(parts, quantities, strict=True):
        if len(parts) == 1:
            detail = line.detail
        elif billed_days:
            detail = ", ".join(
                f"{d}.{period.month}." + (f" ×{n}" if n != 1 else "")
                for d, n in sorted(part.days.items())
            )
        else:
            detail = f"{line.detail}; {day_codes.day_ranges(part.days, period.month)}".lstrip("; ")
        found.append(
            replace(
                line,
                description=_described(line.description, part.rule),
                quantity=quantity,
                unit_price=part.unit_price,
                detail=detail,
                days=day_codes.encode(part.days) if billed_days else "",
                period_days="" if billed_days else day_codes.encode(part.days),
            )
        )
    return found


def _described(description: str, rule: FeeRule | None) -> str:
    return f"{description}, {rule.label}"[:300] if rule else description


def _shares(quantity: Decimal, weights: list[int], total: int) -> list[Decimal]:
    """`quantity` in proportion to `weights` (exact when the weights are the quantities, as
    for lines billed per day); the last part takes the rounding so the parts add up."""
    if total == quantity:
        return [Decimal(w) for w in weights]
    shares = [(quantity * w / total).quantize(QUANTITY_STEP) for w in weights[:-1]]
    return [*shares, quantity - sum(shares, Decimal(0))]


def _parse(data: Mapping[str, Any]) -> dict[str, Any]:
    """The decision's values; a reduction has a percent, a fixed price a price."""
    form = FEE_FORMS.get(str(data.get("kind", "")).strip(), FeeDecisionForm)
    values = msgspec.structs.asdict(parse_form(form, data))
    return {"percent": None, "price": None, **values}


async def add_decision(actor: Actor, customer_id: int, data: Mapping[str, Any]) -> int:
    """Record a fee decision. Call inside a transaction."""
    if not await Customer.exists().where(Customer.id == customer_id):
        raise NotFound(f"customer {customer_id}")
    values = _parse(data)
    new = FeeRule(customer_id=customer_id, **values)
    for other in await customer_decisions(customer_id):
        same_product = other.product == new.product or "" in (other.product, new.product)
        ends = other.valid_to or dt.date.max
        if (
            same_product
            and other.valid_from <= (new.valid_to or dt.date.max)
            and (new.valid_from <= ends)
        ):
            raise ValidationFailed(
                {"valid_from": N_("Another fee decision is in force on some of these days.")}
            )
    rows = await FeeDecision.insert(
        FeeDecision(customer=customer_id, created_at=now(), **values)
    ).returning(FeeDecision.id)
    decision_id = int(rows[0]["id"])
    await audit.record(
        actor,
        "create",
        "fee_decision",
        decision_id,
        customer_id=customer_id,
        after={k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()},
    )
    return decision_id
