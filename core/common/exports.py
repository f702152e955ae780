"""A table (headers and rows) as CSV with Finnish conventions or as an XLSX workbook.

Every CSV or XLSX export of core and the plugins goes through here, so each one uses the same
conventions and the same defence against spreadsheet formula injection.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook

Cell = str | int | float | Decimal | None
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def safe_text(value: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _csv_cell(value: Cell) -> str:
    if type(value) is str:  # most cells: one type check instead of three isinstance calls
        return "'" + value if value.startswith(FORMULA_START) else value
    if value is None:
        return ""
    if isinstance(value, Decimal | float):
        return format(value, "f" if isinstance(value, Decimal) else "g").replace(".", ",")
    return str(value) if isinstance(value, int) else safe_text(value)


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """Semicolon-separated, decimal comma, UTF-8 with a byte order mark for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([_csv_cell(c) for c in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_of_text(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """`to_csv` of rows whose cells are already text as `to_csv` writes them (a writer that
    converts each distinct value once, e.g. the billing export)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    sheet.append(list(headers))
    for row in rows:
        sheet.append([safe_text(c) if isinstance(c, str) else c for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export(fmt: str, title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    return to_xlsx(title, headers, rows) if fmt == "xlsx" else to_csv(headers, rows)
