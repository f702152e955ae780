"""The month's bill for billers, and closing a month into a frozen snapshot.

A closed month never changes. When a plugin's data for a closed month changes later, the
month is recomputed and the difference to what was billed for it (its snapshot plus the
corrections settled since) appears as correction lines in the next open month. Closing that
month stores them in its snapshot, which settles them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from piccolo.query.mixins import OnConflictAction

from core.audit import services as audit
from core.billing.lines import (
    ZERO,
    MonthLine,
    billed_for,
    corrections,
    plugin_lines,
    translated,
)
from core.billing.lines import snapshot_lines as frozen_lines
from core.billing.periods import (
    PeriodState,
    closed_periods,
    key,
    months_between,
    period_containing,
    period_state,
    previous_period,
)
from core.billing.tables import BilledLine, BillingPeriodRecord
from core.common.clock import now
from core.common.errors import ValidationFailed, VersionConflict
from core.common.pagination import page_count
from core.common.versioned import update_versioned
from core.customers.tables import Customer
from core.db import chunked
from core.i18n import N_
from core.plugins.host import PluginHost
from core.plugins.types import BillingPeriod

if TYPE_CHECKING:
    from core.audit.services import Actor

# Corrections are looked for in at most this many closed months before an open month.
CORRECTION_LOOKBACK_MONTHS = 12
CUSTOMERS_PER_PAGE = 50


@dataclass(frozen=True)
class ProductTotal:
    service: str
    product: str
    is_correction: bool
    quantity: Decimal
    amount: Decimal

    @property
    def service_label(self) -> str:
        return translated(self.service)

    @property
    def product_label(self) -> str:
        return translated(self.product)


@dataclass(frozen=True)
class MonthBill:
    """Every line of a month with its totals; lines are ordered by customer number."""

    state: PeriodState
    lines: list[MonthLine]

    @property
    def period(self) -> BillingPeriod:
        return self.state.period

    @property
    def total_amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def correction_count(self) -> int:
        return sum(1 for line in self.lines if line.is_correction)

    @cached_property  # asked for several times per export (90,000 lines at national scale)
    def customer_ids(self) -> list[int]:
        return list(dict.fromkeys([line.customer_id for line in self.lines]))

    @property
    def totals(self) -> list[ProductTotal]:
        """Quantity and amount per service and product; corrections apart from the month's own."""
        quantity: dict[tuple[str, str, bool], Decimal] = defaultdict(lambda: ZERO)
        amount: dict[tuple[str, str, bool], Decimal] = defaultdict(lambda: ZERO)
        for line in self.lines:
            group = (line.service, line.product, line.is_correction)
            quantity[group] += line.quantity
            amount[group] += line.amount
        return [
            ProductTotal(service, product, is_correction, quantity[g], amount[g])
            for g in sorted(quantity)
            for service, product, is_correction in [g]
        ]


@dataclass(frozen=True)
class CustomerBill:
    customer_id: int
    name: str
    lines: list[MonthLine] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


@dataclass(frozen=True)
class BillPage:
    customers: list[CustomerBill]
    page: int
    pages: int
    customer_count: int


class EarlierMonthOpen(ValidationFailed):
    """Closing was refused because an earlier month with lines is still open."""

    def __init__(self, month: BillingPeriod) -> None:
        super().__init__(
            {"period": N_("An earlier month with billing lines is still open; close it first.")}
        )
        self.month = month


async def pending_corrections(host: PluginHost, period: BillingPeriod) -> list[MonthLine]:
    """Corrections of the closed months just before an open month, oldest month first."""
    closed = {(s.period.year, s.period.month): s for s in await closed_periods()}
    run: list[PeriodState] = []
    month = previous_period(period)
    while (month.year, month.month) in closed and len(run) < CORRECTION_LOOKBACK_MONTHS:
        run.append(closed[(month.year, month.month)])
        month = previous_period(month)
    found: list[MonthLine] = []
    for state in reversed(run):
        recomputed = await plugin_lines(host, state.period)
        found += corrections(state.period, recomputed, await billed_for(state))
    return found


async def month_to_close(today: dt.date) -> PeriodState:
    """Last month's state: the month a biller closes next in the usual rhythm."""
    return await period_state(previous_period(period_containing(today)))


async def month_bill(host: PluginHost, period: BillingPeriod) -> MonthBill:
    """A closed month's snapshot, or an open month's plugin lines and pending corrections."""
    state = await period_state(period)
    if state.is_closed:
        lines = await frozen_lines(state)
    else:
        lines = await plugin_lines(host, period) + await pending_corrections(host, period)
    return MonthBill(state, sorted(lines, key=lambda line: line.sort_key))


def of_customers(bill: MonthBill, customers: Sequence[int] | None) -> MonthBill:
    """The month's lines of `customers` only (all of them when None)."""
    if customers is None:
        return bill
    chosen = set(customers)
    return MonthBill(bill.state, [line for line in bill.lines if line.customer_id in chosen])


async def customer_names(customer_ids: Sequence[int]) -> dict[int, str]:
    """Each customer's name as "Last First", in one query per 500 customers."""
    names: dict[int, str] = {}
    for chunk in chunked(customer_ids):
        rows = await Customer.select(Customer.id, Customer.first_name, Customer.last_name).where(
            Customer.id.is_in(list(chunk))
        )
        names.update({r["id"]: f"{r['last_name']} {r['first_name']}" for r in rows})
    return names


async def bill_page(bill: MonthBill, page: int, per_page: int = CUSTOMERS_PER_PAGE) -> BillPage:
    """One page of customers with their lines and names (one name query for the page)."""
    customer_ids = bill.customer_ids
    pages = page_count(len(customer_ids), per_page)
    page = max(1, min(page, pages))
    shown = customer_ids[(page - 1) * per_page : page * per_page]
    names = await customer_names(shown)
    by_customer: dict[int, list[MonthLine]] = defaultdict(list)
    wanted = set(shown)
    for line in bill.lines:
        if line.customer_id in wanted:
            by_customer[line.customer_id].append(line)
    customers = [CustomerBill(cid, names.get(cid, ""), by_customer[cid]) for cid in shown]
    return BillPage(customers, page, pages, len(customer_ids))


async def record_views(actor: Actor, period: BillingPeriod, customer_ids: Sequence[int]) -> None:
    """Each customer whose billing lines were shown gets an entry in their access log."""
    for customer_id in customer_ids:
        await audit.record(actor, "view", "billing", key(period), customer_id=customer_id)


async def record_export(
    actor: Actor, bill: MonthBill, file_format: str, customers: int, lines: int
) -> None:
    """One entry per export, naming the month, with the numbers of customers and lines in the
    file (a correction that only moves days is not in it); the customers' access logs say whose
    data it held."""
    await audit.record(
        actor,
        "export",
        "billing_period",
        key(bill.period),
        after={
            "format": file_format,
            "status": bill.state.status,
            "customers": customers,
            "lines": lines,
        },
    )


async def close_period(
    actor: Actor,
    host: PluginHost,
    period: BillingPeriod,
    expected_version: int,
    today: dt.date,
) -> MonthBill:
    """Freeze the month: store its lines and pending corrections. Call inside a transaction."""
    state = await period_state(period)
    if state.version != expected_version:
        raise VersionConflict(
            "billing_period",
            {"status": state.status, "version": state.version},
            {"version": expected_version},
        )
    if state.is_closed:
        raise ValidationFailed({"period": N_("This month is already closed.")})
    if period.last_day >= today:
        raise ValidationFailed({"period": N_("A month can be closed only after it has ended.")})
    await _check_earlier_months(host, period)
    bill = await month_bill(host, period)
    record_id = await _period_record_id(period)
    await update_versioned(
        BillingPeriodRecord,
        record_id,
        expected_version,
        {
            BillingPeriodRecord.status: "closed",
            BillingPeriodRecord.closed_at: now(),
            BillingPeriodRecord.closed_by: actor.id,
            BillingPeriodRecord.closed_by_name: actor.full_name,
        },
        {"version": expected_version},
    )
    rows = [line.as_row(record_id) for line in bill.lines]
    for chunk in chunked(rows):
        await BilledLine.insert(*chunk)
    await audit.record(
        actor,
        "close",
        "billing_period",
        key(period),
        before={"status": "open"},
        after={
            "status": "closed",
            "lines": len(bill.lines),
            "corrections": bill.correction_count,
            "amount": str(bill.total_amount),
        },
    )
    return MonthBill(await period_state(period), bill.lines)


async def _check_earlier_months(host: PluginHost, period: BillingPeriod) -> None:
    """Months close in order: the open months since the last closed one must have no lines.

    Before the first month is closed, earlier months were billed in the old process, so the
    first close needs nothing; a month before the first closed month can no longer be closed.
    """
    closed = [s.period for s in await closed_periods()]
    if not closed:
        return
    earlier = [p for p in closed if (p.year, p.month) < (period.year, period.month)]
    if not earlier:
        raise ValidationFailed(
            {"period": N_("Billing in Valvomo started later; this month was billed before it.")}
        )
    for month in months_between(earlier[-1], period):
        if (await month_bill(host, month)).lines:
            raise EarlierMonthOpen(month)


async def _period_record_id(period: BillingPeriod) -> int:
    await BillingPeriodRecord.insert(
        BillingPeriodRecord(year=period.year, month=period.month)
    ).on_conflict(action=OnConflictAction.do_nothing)
    state = await period_state(period)
    assert state.record_id is not None
    return state.record_id
