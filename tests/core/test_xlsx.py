"""The streamed workbook (core.common.xlsx) read back with openpyxl: values, styles, the
frozen header and the sheet's dimension."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl

from core.common.xlsx import CellStyle, streamed_xlsx

EURO = CellStyle('#,##0.00\\ "€"')
BOLD_RED = CellStyle(bold=True, color="B00020")


def test_values_styles_and_header_read_back() -> None:
    rows = [
        (["Virtanen & <Aino>", Decimal("136.00"), 3, 2.5], (None, EURO, None, None)),
        ([" leading space", None, "", Decimal("-9.3")], (BOLD_RED, None, None, EURO)),
        (["bell\x07 removed", Decimal("0.1250"), 0, "=1+1"], (None, EURO, None, None)),
    ]
    content = streamed_xlsx("Rivit", ["Asiakas", "Summa", "Määrä", "Hinta"], rows)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.title == "Rivit" and sheet.freeze_panes == "A2"
    values = list(sheet.iter_rows(values_only=True))
    assert values == [
        ("Asiakas", "Summa", "Määrä", "Hinta"),
        ("Virtanen & <Aino>", 136, 3, 2.5),
        (" leading space", None, None, -9.3),
        ("bell removed", 0.125, 0, "=1+1"),
    ]
    assert sheet["B2"].number_format == EURO.number_format
    assert sheet["A2"].number_format == "General" and not sheet["A2"].font.bold
    assert sheet["A3"].font.bold and sheet["A3"].font.color.rgb.endswith("B00020")
    assert sheet["D3"].number_format == EURO.number_format
    assert sheet.dimensions == "A1:D4"


def test_an_empty_sheet_has_its_header() -> None:
    content = streamed_xlsx("Empty", ["A", "B"], [])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert list(sheet.iter_rows(values_only=True)) == [("A", "B")]
