"""Core's invoice formats: CSV and XLSX for people, JSON lines for the invoicing integration.

A region or plugin adds its own format through the `valvomo_invoice_formats` hook; every format
gets the same `InvoiceMonth` (lines grouped by payer and customer)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from core.billing.invoices import InvoiceCustomer, InvoiceFormat, InvoiceLine, InvoiceMonth
from core.billing.lines import CHANGE, MOVED_DAYS, ZERO, plain, translated
from core.billing.periods import key, label
from core.common.exports import CONTENT_TYPES, Cell, csv_of_text, safe_text
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
    N_("Correction to month"), N_("Correction kind"), N_("Detail"), N_("Note"),
)  # fmt: skip
QUANTITY, UNIT_PRICE, AMOUNT, NOTE = 10, 11, 12, 18
# What a correction line does (JSON lines: "correction_kind"): an invoicing system bills a
# change; days moved total 0 € for the customer, split between the payers of those days.
CORRECTION_KINDS = {
    CHANGE: N_("Quantity or amount changed"),
    MOVED_DAYS: N_("Days moved, total unchanged"),
}
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
        label(line.corrects) if line.corrects else "", _kind_label(line.correction_kind),
        line.detail, "",
    ]  # fmt: skip


def _kind_label(kind: str) -> str:
    return gettext(CORRECTION_KINDS[kind]) if kind else ""


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


def memoised(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`function` computed once per distinct argument (for one file). Zero is not cached: it
    equals -0, whose sign a Decimal's text keeps; any other Decimal's plain or unit price text
    depends only on its value (2.9 and 2.90 give the same)."""
    cache: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        if not value:
            return function(value)
        try:
            return cache[value]
        except KeyError:
            found = cache[value] = function(value)
            return found

    return cached


def _table(
    month: InvoiceMonth,
    text: Callable[[str], Any],
    quantity: Callable[[Decimal], Any],
    price: Callable[[Decimal], Any],
    amount: Callable[[Decimal], Any],
) -> Iterator[tuple[str, list[Any]]]:
    """The rows of `rows()` with each cell already converted for one writer: `text` for text,
    `quantity` for a plain quantity, `price` for a unit price, `amount` for an amount. The same
    cells as `rows()`, built once per customer and once per distinct value where they repeat
    (1.5 million cells at national scale)."""
    month_label = text(label(month.period))
    labels = memoised(lambda code: text(translated(code)))
    kinds = {kind: text(_kind_label(kind)) for kind in ("", *CORRECTION_KINDS)}
    corrected = memoised(lambda period: text(label(period)))
    customer_total, empty = text(gettext("Customer total")), text("")
    negative_note = text(gettext("Negative total: a credit, check before invoicing"))
    grand = ZERO
    for customer in month.customers:
        payer = customer.payer
        payer_name, number, name = text(payer.name), text(customer.number), text(customer.name)
        prefix = [month_label, payer_name, text(payer.address), number, name,
                  text(customer.identity_code), text(customer.municipality)]  # fmt: skip
        total = ZERO
        for item in customer.lines:
            line = item.line
            total += line.amount
            corrects = line.corrects
            yield "line", [
                *prefix, labels(line.service), labels(line.product), text(line.description),
                quantity(line.quantity), price(line.unit_price), amount(line.amount),
                text(item.cost_centre), text(item.account),
                corrected(corrects) if corrects else empty, kinds[line.correction_kind],
                text(line.detail), empty,
            ]  # fmt: skip
        grand += total
        yield "customer_total", [
            month_label, payer_name, empty, number, name, empty, empty, empty, empty,
            customer_total, empty, empty, amount(total), empty, empty, empty, empty, empty,
            negative_note if total < 0 else empty,
        ]  # fmt: skip
    yield "grand_total", [
        month_label, empty, empty, empty, empty, empty, empty, empty, empty,
        text(gettext("Grand total")), empty, empty, amount(grand), empty, empty, empty, empty,
        empty, empty,
    ]  # fmt: skip


def _text_cache(convert: Callable[[str], str]) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def cached(value: str) -> str:
        try:
            return cache[value]
        except KeyError:
            found = cache[value] = convert(value)
            return found

    return cached


def _csv_number(value: Decimal) -> str:
    return format(value, "f").replace(".", ",")


def to_csv(month: InvoiceMonth) -> bytes:
    """Semicolon-separated, decimal comma, UTF-8 with a byte order mark for Excel (the cells as
    `core.common.exports.to_csv` writes them)."""
    table = _table(
        month,
        _text_cache(safe_text),
        memoised(lambda q: _csv_number(plain(q))),
        memoised(lambda p: _csv_number(unit_price(p))),
        _csv_number,
    )
    return csv_of_text(headers(), [cells for _, cells in table])


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
    table = _table(
        month, _text_cache(_xlsx_text), memoised(plain), memoised(unit_price), lambda a: a
    )
    for kind, cells in table:
        styles = LINE_STYLES if kind == "line" else TOTAL_STYLES
        if kind == "customer_total" and cells[NOTE]:
            styles = NEGATIVE_TOTAL_STYLES
        yield cells, styles


def _xlsx_text(value: str) -> str:
    """A workbook cell holding text is never run, except text openpyxl takes for a formula
    ("=..."); "+2 Lunch 3.–4.10." stays as it is (a CSV defuses it with a quote)."""
    return safe_text(value) if value.startswith("=") else value


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def to_jsonl(month: InvoiceMonth) -> bytes:
    """JSON lines (UTF-8): a "month" record, one "customer" record per customer with its payer
    and lines, and a closing "total" record; amounts are decimal strings. See docs/billing.md."""
    records: list[dict[str, Any]] = [
        {"type": "month", "version": JSONL_VERSION, "month": key(month.period),
         "status": month.status},
    ]  # fmt: skip
    quantity, price = memoised(lambda q: str(plain(q))), memoised(lambda p: str(unit_price(p)))
    corrected = memoised(key)
    grand, lines = ZERO, 0
    for customer in month.customers:
        payer = customer.payer
        total = ZERO
        for item in customer.lines:
            total += item.line.amount
        grand += total
        lines += len(customer.lines)
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
                "lines": [
                    {
                        "service": line.service,
                        "product": line.product,
                        "description": line.description,
                        "quantity": quantity(line.quantity),
                        "unit_price": price(line.unit_price),
                        "amount": _money(line.amount),
                        "cost_centre": item.cost_centre,
                        "account": item.account,
                        "corrects": corrected(line.corrects) if line.corrects else None,
                        "correction_kind": line.correction_kind or None,
                        "detail": line.detail,
                        "days": line.days,
                    }
                    for item in customer.lines
                    for line in (item.line,)
                ],
                "total": _money(total),
                "negative": total < 0,
            }
        )
    records.append(
        {"type": "total", "customers": len(records) - 1, "lines": lines, "amount": _money(grand)}
    )  # fmt: skip
    encode = JSON.encode
    return "".join([encode(r) + "\n" for r in records]).encode("utf-8")


CORE_FORMATS = [
    InvoiceFormat("csv", N_("CSV"), CONTENT_TYPES["csv"], "csv", to_csv),
    InvoiceFormat("xlsx", N_("XLSX"), CONTENT_TYPES["xlsx"], "xlsx", to_xlsx),
    InvoiceFormat("jsonl", N_("JSON lines"), "application/jsonl; charset=utf-8", "jsonl", to_jsonl),
]
