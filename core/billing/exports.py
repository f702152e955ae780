"""A month's lines as CSV (Finnish conventions) and as an XLSX workbook."""

from __future__ import annotations

import io
from collections.abc import Callable

from openpyxl import Workbook

from core.billing.lines import MonthLine, plain
from core.billing.periods import label
from core.billing.services import MonthBill
from core.common.exports import Cell, safe_text
from core.common.exports import to_csv as table_to_csv
from core.i18n import N_, gettext

COLUMNS = (
    N_("Month"), N_("Customer number"), N_("Customer"), N_("Service"), N_("Product"),
    N_("Description"), N_("Quantity"), N_("Unit price"), N_("Amount"), N_("Correction to month"),
    N_("Detail"),
)  # fmt: skip


def _rows(bill: MonthBill, names: dict[int, str]) -> list[list[Cell]]:
    return [_row(bill, line, names) for line in bill.lines]


def _row(bill: MonthBill, line: MonthLine, names: dict[int, str]) -> list[Cell]:
    return [
        label(bill.period),
        line.customer_id,
        names.get(line.customer_id, ""),
        line.service_label,
        line.product_label,
        line.description,
        plain(line.quantity),
        plain(line.unit_price),
        line.amount,
        label(line.corrects) if line.corrects else "",
        line.detail,
    ]


def to_csv(bill: MonthBill, names: dict[int, str]) -> bytes:
    """Semicolon-separated, decimal comma, UTF-8 with a byte order mark for Excel."""
    return table_to_csv([gettext(c) for c in COLUMNS], _rows(bill, names))


def to_xlsx(bill: MonthBill, names: dict[int, str]) -> bytes:
    """One sheet of lines with numbers as numbers, and a sheet of totals per product."""
    workbook = Workbook(write_only=True)
    lines = workbook.create_sheet(gettext("Lines"))
    lines.freeze_panes = "A2"
    lines.append([gettext(c) for c in COLUMNS])
    for row in _rows(bill, names):
        lines.append([_xlsx_cell(cell) for cell in row])
    totals = workbook.create_sheet(gettext("Totals"))
    totals.append([gettext(c) for c in (N_("Service"), N_("Product"), N_("Correction"),
                                        N_("Quantity"), N_("Amount"))])  # fmt: skip
    for total in bill.totals:
        totals.append(
            [
                safe_text(total.service_label),
                safe_text(total.product_label),
                gettext("yes") if total.is_correction else "",
                total.quantity,
                total.amount,
            ]
        )
    totals.append([gettext("Total"), "", "", None, bill.total_amount])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(value: Cell) -> Cell:
    return safe_text(value) if isinstance(value, str) else value


EXPORTERS: dict[str, tuple[Callable[[MonthBill, dict[int, str]], bytes], str]] = {
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
