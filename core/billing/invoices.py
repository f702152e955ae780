"""A month's bill as the invoicing system needs it: lines grouped by payer and customer, with
the customer's register data, the payer's address and each product's cost centre and account.
Every export format (`valvomo_invoice_formats`) writes one of these."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.audit import services as audit
from core.billing import days as day_codes
from core.billing.lines import ZERO, MonthLine
from core.billing.periods import key
from core.billing.prices import Accounts, product_accounts
from core.billing.services import MonthBill, month_bill, record_export
from core.common.memory import collector_paused
from core.customers.payers import PayerPeriod, in_force, payers_between
from core.customers.tables import Customer
from core.db import in_conditions, transaction
from core.plugins.host import PluginHost
from core.plugins.types import BillingPeriod

if TYPE_CHECKING:
    from core.audit.services import Actor

CENT = Decimal("0.01")
CUSTOMER_COLUMNS = (
    Customer.id, Customer.identity_code, Customer.first_name, Customer.last_name,
    Customer.street_address, Customer.postal_code, Customer.municipality,
    Customer.external_number,
)  # fmt: skip


@dataclass(frozen=True)
class Payer:
    """Who receives the invoice: the customer, or a named payer (a guardian, a relative)."""

    name: str
    street_address: str
    postal_code: str
    post_office: str
    relationship: str = ""
    is_customer: bool = True

    @property
    def address(self) -> str:
        return f"{self.street_address}, {self.postal_code} {self.post_office}".strip(", ")


@dataclass(frozen=True)
class InvoiceLine:
    line: MonthLine
    cost_centre: str = ""
    account: str = ""


@dataclass(frozen=True)
class InvoiceCustomer:
    customer_id: int
    external_number: str
    identity_code: str  # "" unless the reader may see it (billers)
    name: str
    street_address: str
    postal_code: str
    municipality: str
    payer: Payer
    lines: list[InvoiceLine] = field(default_factory=list)

    @property
    def number(self) -> str:
        """The region's own customer number where it has one, else Valvomo's."""
        return self.external_number or str(self.customer_id)

    @property
    def amount(self) -> Decimal:
        return sum((item.line.amount for item in self.lines), ZERO)

    @property
    def is_negative(self) -> bool:
        return self.amount < 0


@dataclass(frozen=True)
class PayerGroup:
    payer: Payer
    customers: list[InvoiceCustomer]

    @property
    def amount(self) -> Decimal:
        return sum((c.amount for c in self.customers), ZERO)


@dataclass(frozen=True)
class InvoiceMonth:
    period: BillingPeriod
    status: str
    payers: list[PayerGroup]

    @property
    def key(self) -> str:
        return key(self.period)

    @property
    def customers(self) -> list[InvoiceCustomer]:
        return [c for group in self.payers for c in group.customers]

    @property
    def line_count(self) -> int:
        return sum(len(c.lines) for c in self.customers)

    @property
    def total(self) -> Decimal:
        return sum((g.amount for g in self.payers), ZERO)


@dataclass(frozen=True)
class InvoiceFormat:
    """A file format for the month's invoicing data, offered on the billing page, the API
    (`/api/billing/{year}/{month}/export/{code}`) and `valvomo billing export --format`."""

    code: str
    label: str
    media_type: str
    extension: str
    write: Callable[[InvoiceMonth], bytes]


def _payer(row: dict[str, Any], period: PayerPeriod | None) -> Payer:
    """The payer of `period`, or the customer (no period, or a period without a payer)."""
    if period is not None and not period.is_customer:
        return Payer(
            period.name,
            period.street_address,
            period.postal_code,
            period.post_office,
            period.relationship,
            is_customer=False,
        )
    return Payer(
        f"{row['last_name']} {row['first_name']}",
        row["street_address"],
        row["postal_code"],
        row["municipality"],
    )


async def _customer_rows(customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for condition in in_conditions(Customer.id, customer_ids):
        for row in await Customer.select(*CUSTOMER_COLUMNS).where(condition):
            rows[row["id"]] = row
    return rows


async def invoice_month(bill: MonthBill, *, with_identity_codes: bool) -> InvoiceMonth:
    """The bill grouped by payer (ordered by payer name) and customer (by name). A line billed
    per day goes to the payer in force on each of its days (split where the payer changes); a
    line without days to the payer on the last day of the month it bills. A correction (or a
    payer's part of one) that only moves days, with quantity and amount zero, is left out: it
    changes nothing an invoicing system bills, and a customer with nothing else is not listed."""
    rows = await _customer_rows(bill.customer_ids)
    first = min([bill.period, *(ln.corrects for ln in bill.lines if ln.corrects)], key=key)
    paying = await payers_between(bill.customer_ids, first.first_day, bill.period.last_day)
    accounts = await product_accounts()
    by_payer: dict[tuple[int, int | None], list[InvoiceLine]] = defaultdict(list)
    chosen: dict[tuple[int, int | None], PayerPeriod | None] = {}
    unbooked = Accounts()
    for line in bill.lines:
        booked = accounts.get(line.product, unbooked)
        for period, part in payer_parts(line, bill.period, paying.get(line.customer_id, [])):
            if part.corrects is not None and part.moves_days_only:
                continue  # nothing billable for this payer: the month's page shows it
            slot = (line.customer_id, None if period is None or period.is_customer else period.id)
            chosen[slot] = None if slot[1] is None else period
            by_payer[slot].append(InvoiceLine(part, booked.cost_centre, booked.account))
    groups: dict[tuple[Any, ...], list[InvoiceCustomer]] = defaultdict(list)
    payers: dict[tuple[Any, ...], Payer] = {}
    for (customer_id, payer_id), lines in by_payer.items():
        row = rows.get(customer_id) or _missing(customer_id)
        payer = _payer(row, chosen[(customer_id, payer_id)])
        group = (
            ("customer", customer_id)
            if payer.is_customer
            else ("payer", payer.name, payer.street_address, payer.postal_code)
        )
        payers[group] = payer
        groups[group].append(
            InvoiceCustomer(
                customer_id=customer_id,
                external_number=row["external_number"],
                identity_code=row["identity_code"] if with_identity_codes else "",
                name=f"{row['last_name']} {row['first_name']}".strip(),
                street_address=row["street_address"],
                postal_code=row["postal_code"],
                municipality=row["municipality"],
                payer=payer,
                lines=lines,
            )
        )
    ordered = sorted(groups, key=lambda g: (payers[g].name.casefold(), g))
    return InvoiceMonth(
        bill.period,
        bill.state.status,
        [PayerGroup(payers[g], _by_name(groups[g])) for g in ordered],
    )


def _by_name(customers: list[InvoiceCustomer]) -> list[InvoiceCustomer]:
    if len(customers) == 1:  # most payers pay for themselves only
        return customers
    return sorted(customers, key=lambda c: (c.name, c.customer_id))


def payer_parts(
    line: MonthLine, period: BillingPeriod, payers: list[PayerPeriod]
) -> list[tuple[PayerPeriod | None, MonthLine]]:
    """The line as billed to each payer (None: the customer) in force on its days."""
    month = line.corrects or period
    if not payers:
        return [(None, line)]
    if not line.days:
        return [(in_force(payers, month.last_day), line)]
    covering = next(
        (p for p in payers if p.covers(month.first_day) and p.covers(month.last_day)), None
    )
    return [(covering, line)] if covering is not None else _split(line, month, payers)


def _split(
    line: MonthLine, month: BillingPeriod, payers: list[PayerPeriod]
) -> list[tuple[PayerPeriod | None, MonthLine]]:
    parts: dict[int | None, tuple[PayerPeriod | None, dict[int, int]]] = {}
    for day, count in sorted(day_codes.decode(line.days).items()):
        payer = in_force(payers, month.first_day.replace(day=day))
        parts.setdefault(None if payer is None else payer.id, (payer, {}))[1][day] = count
    if len(parts) == 1:
        return [(next(iter(parts.values()))[0], line)]
    found: list[tuple[PayerPeriod | None, MonthLine]] = []
    left = line.amount
    for index, (part_payer, days) in enumerate(parts.values()):
        quantity = Decimal(sum(days.values()))
        amount = left if index == len(parts) - 1 else (quantity * line.unit_price).quantize(CENT)
        left -= amount
        detail = (
            day_codes.change_text(days, line.product_label, month.month)
            if line.corrects
            else day_codes.day_ranges(days, month.month)
        )
        part = replace(line, quantity=quantity, amount=amount, detail=detail,
                       days=day_codes.encode(days))  # fmt: skip
        found.append((part_payer, part))
    return found


def _missing(customer_id: int) -> dict[str, Any]:
    """A customer removed from the register since the month was closed."""
    empty = {column._meta.name: "" for column in CUSTOMER_COLUMNS}
    return {**empty, "id": customer_id}


def invoice_formats(host: PluginHost) -> dict[str, InvoiceFormat]:
    """Core's formats and the plugins'; a plugin's format replaces core's of the same code."""
    from core.billing.exports import CORE_FORMATS

    found = {f.code: f for f in CORE_FORMATS}
    for fmt in host.collect("valvomo_invoice_formats"):
        if fmt not in CORE_FORMATS:
            found[fmt.code] = fmt
    return found


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    media_type: str


async def export_month(
    actor: Actor,
    host: PluginHost,
    period: BillingPeriod,
    file_format: InvoiceFormat,
    *,
    with_identity_codes: bool,
) -> ExportFile:
    """The month in `file_format`, written to the access log of every customer in it."""
    # The access-log rows too: with the month's lines still alive, the collector's walks of
    # them while those rows were built took a sixth of the export's CPU at 30,000 customers.
    with collector_paused():
        bill = await month_bill(host, period)
        month = await invoice_month(bill, with_identity_codes=with_identity_codes)
        content = file_format.write(month)
        in_file = list(dict.fromkeys([c.customer_id for c in month.customers]))
        async with transaction():
            await record_export(actor, bill, file_format.code, len(in_file), month.line_count)
            await audit.record_views(actor, "export", "billing", key(period), in_file)
    return ExportFile(
        content, f"billing-{key(period)}.{file_format.extension}", file_format.media_type
    )
