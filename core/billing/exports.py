"""Core's invoice formats: CSV and XLSX for people, JSON lines for the invoicing integration.

A region or plugin adds its own format through the `valvomo_invoice_formats` hook; every format
gets the same `InvoiceMonth` (lines grouped by payer and customer)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from core.billing.invoices import InvoiceCustomer, InvoiceFormat, InvoiceLine, InvoiceMonth
from core.billing.lines import plain
from core.billing.periods import key, label
from core.common.exports import CONTENT_TYPES, Cell, safe_text
from core.common.exports import to_csv as table_to_csv
from core.common.xlsx import CellStyle, streamed_xlsx
from core.i18n import N_, gettext

JSONL_VERSION = 1
CENT = Decimal("0.01")
EURO_FORMAT = '#,##0.00\\ "€";-#,##0.00\\ "€"'
QUANTITY_FORMAT = "0.###"

COLUMNS = (
    N_("Month"), N_("Payer"), N_("Payer's address"), N_("Customer number"), N_("Customer"),
    N_("Identity code"), N_("Municipality"), N_("Service"), N_("Product"), N_("Description"),
    N_("Quantity"), N_("Unit price"), N_("Amount"), N_("Cost centre"), N_("Account"),
    N_("Correction to month"), N_("Detail"), N_("Note"),
)  # fmt: skip
QUANTITY, UNIT_PRICE, AMOUNT, NOTE = 10, 11, 12, 17
NUMBER_FORMATS = {QUANTITY: QUANTITY_FORMAT, UNIT_PRICE: EURO_FORMAT, AMOUNT: EURO_FORMAT}


def unit_price(value: Decimal) -> Decimal:
    """Two decimals (2,90), more only where the price has them."""
    return value.quantize(CENT) if value == value.quantize(CENT) else plain(value)


def _line_row(month_label: str, customer: InvoiceCustomer, item: InvoiceLine) -> list[Cell]:
    line = item.line
    return [
        month_label, customer.payer.name, customer.payer.address, customer.number,
        customer.name, customer.identity_code, customer.municipality, line.service_label,
        line.product_label, line.description, plain(line.quantity), unit_price(line.unit_price),
        line.amount, item.cost_centre, item.account,
        label(line.corrects) if line.corrects else "", line.detail, "",
    ]  # fmt: skip


def _total_row(month: InvoiceMonth, customer: InvoiceCustomer) -> list[Cell]:
    row: list[Cell] = [""] * len(COLUMNS)
    row[0], row[1], row[3], row[4] = (
        label(month.period),
        customer.payer.name,
        customer.number,
        customer.name,
    )
    row[9], row[AMOUNT] = gettext("Customer total"), customer.amount
    row[NOTE] = (
        gettext("Negative total: a credit, check before invoicing")
        if (customer.is_negative)
        else ""
    )
    return row


def _grand_total_row(month: InvoiceMonth) -> list[Cell]:
    row: list[Cell] = [""] * len(COLUMNS)
    row[0], row[9], row[AMOUNT] = label(month.period), gettext("Grand total"), month.total
    return row


def rows(month: InvoiceMonth) -> Iterator[tuple[str, list[Cell]]]:
    """("line" | "customer_total" | "grand_total", cells) in payer and customer order."""
    month_label = label(month.period)
    for customer in month.customers:
        for item in customer.lines:
            yield "line", _line_row(month_label, customer, item)
        yield "customer_total", _total_row(month, customer)
    yield "grand_total", _grand_total_row(month)


def headers() -> list[str]:
    return [gettext(c) for c in COLUMNS]


def to_csv(month: InvoiceMonth) -> bytes:
    """Semicolon-separated, decimal comma, UTF-8 with a byte order mark for Excel."""
    return table_to_csv(headers(), [cells for _, cells in rows(month)])


def to_xlsx(month: InvoiceMonth) -> bytes:
    """One sheet: lines, a total per customer (negative ones flagged) and the grand total,
    amounts and unit prices in euro number format, totals bold."""
    return streamed_xlsx(gettext("Lines"), headers(), _xlsx_rows(month))


def _column_styles(font: CellStyle | None) -> tuple[CellStyle | None, ...]:
    bold, color = (font.bold, font.color) if font else (False, None)
    plain_cell = font
    return tuple(
        CellStyle(NUMBER_FORMATS[i], bold, color) if i in NUMBER_FORMATS else plain_cell
        for i in range(len(COLUMNS))
    )


LINE_STYLES = _column_styles(None)
TOTAL_STYLES = _column_styles(CellStyle(bold=True))
NEGATIVE_TOTAL_STYLES = _column_styles(CellStyle(bold=True, color="B00020"))


def _xlsx_rows(month: InvoiceMonth) -> Iterator[tuple[list[Cell], tuple[CellStyle | None, ...]]]:
    for kind, cells in rows(month):
        styles = LINE_STYLES if kind == "line" else TOTAL_STYLES
        if kind == "customer_total" and cells[NOTE]:
            styles = NEGATIVE_TOTAL_STYLES
        yield [_xlsx_text(c) if isinstance(c, str) else c for c in cells], styles


def _xlsx_text(value: str) -> str:
    """A workbook cell holding text is never run, except text openpyxl takes for a formula
    ("=..."); "+2 Lunch 3.–4.10." stays as it is (a CSV defuses it with a quote)."""
    return safe_text(value) if value.startswith("=") else value


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def to_jsonl(month: InvoiceMonth) -> bytes:
    """JSON lines (UTF-8): a "month" record, one "customer" record per customer with its payer
    and lines, and a closing "total" record; amounts are decimal strings. See docs/billing.md."""
    records: list[dict[str, Any]] = [
        {"type": "month", "version": JSONL_VERSION, "month": key(month.period),
         "status": month.status},
    ]  # fmt: skip
    for customer in month.customers:
        payer = customer.payer
        records.append(
            {
                "type": "customer",
                "customer_id": customer.customer_id,
                "customer_number": customer.number,
                "external_number": customer.external_number or None,
                "identity_code": customer.identity_code or None,
                "name": customer.name,
                "address": {
                    "street": customer.street_address,
                    "postal_code": customer.postal_code,
                    "municipality": customer.municipality,
                },
                "payer": {
                    "is_customer": payer.is_customer,
                    "name": payer.name,
                    "relationship": payer.relationship or None,
                    "street": payer.street_address,
                    "postal_code": payer.postal_code,
                    "post_office": payer.post_office,
                },
                "lines": [_json_line(item) for item in customer.lines],
                "total": _money(customer.amount),
                "negative": customer.is_negative,
            }
        )
    records.append(
        {"type": "total", "customers": len(month.customers), "lines": month.line_count,
         "amount": _money(month.total)}
    )  # fmt: skip
    text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
    return text.encode("utf-8")


def _json_line(item: InvoiceLine) -> dict[str, Any]:
    line = item.line
    return {
        "service": line.service,
        "product": line.product,
        "description": line.description,
        "quantity": str(plain(line.quantity)),
        "unit_price": str(unit_price(line.unit_price)),
        "amount": _money(line.amount),
        "cost_centre": item.cost_centre,
        "account": item.account,
        "corrects": key(line.corrects) if line.corrects else None,
        "detail": line.detail,
        "days": line.days,
    }


CORE_FORMATS = [
    InvoiceFormat("csv", N_("CSV"), CONTENT_TYPES["csv"], "csv", to_csv),
    InvoiceFormat("xlsx", N_("XLSX"), CONTENT_TYPES["xlsx"], "xlsx", to_xlsx),
    InvoiceFormat("jsonl", N_("JSON lines"), "application/jsonl; charset=utf-8", "jsonl", to_jsonl),
]
