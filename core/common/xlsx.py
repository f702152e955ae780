"""A workbook of one large sheet, written at the speed of a CSV file.

openpyxl (even in write-only mode, with lxml) spends 30–50 µs of Python per cell building a
cell object, binding its value and looking up its style; a month's billing export at national
scale has 1.5 million cells, which took two minutes. Here openpyxl still writes the package
(workbook, styles, content types, the header row and the frozen pane), and only the rows of
the sheet are streamed into it as SpreadsheetML text, one string per row, with the style
indices openpyxl assigned to the few styles used. Files are read back with openpyxl in the
tests (tests/core/billing/test_exports.py, tests/core/test_xlsx.py)."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from core.common.exports import Cell

SHEET_PATH = "xl/worksheets/sheet1.xml"
# XML 1.0 cannot hold these; openpyxl refuses them, a CSV keeps them, the workbook drops them.
ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')


@dataclass(frozen=True)
class CellStyle:
    """The few things a report's cell needs: a number format, bold, a font colour (RRGGBB)."""

    number_format: str = "General"
    bold: bool = False
    color: str | None = None


def _number(value: int | float | Decimal) -> str:
    return format(value, "f") if isinstance(value, Decimal) else repr(value)


def _text(value: str) -> str:
    text = escape(ILLEGAL_CHARACTERS.sub("", value))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<is><t{space}>{text}</t></is>"


class _Styles:
    """Each CellStyle's index in the workbook's cell styles, registered through openpyxl."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet
        self.attributes: dict[CellStyle | None, str] = {None: ""}

    def attribute(self, style: CellStyle | None) -> str:
        if style not in self.attributes:
            assert style is not None
            cell = WriteOnlyCell(self.sheet)
            cell.number_format = style.number_format
            if style.bold or style.color:
                cell.font = Font(bold=style.bold, color=style.color)
            self.attributes[style] = f' s="{cell.style_id}"'
        return self.attributes[style]


class _RowWriter:
    """Rows as SpreadsheetML text. Each distinct text is escaped once and each sequence of
    styles resolved once (a month's export repeats names, labels and details on many rows)."""

    def __init__(self, styles: _Styles, letters: list[str]) -> None:
        self.styles = styles
        self.opens = [f'<c r="{letter}' for letter in letters]
        self.texts: dict[str, str] = {}
        self.attributes: dict[int, tuple[Sequence[CellStyle | None], list[str]]] = {}

    def style_attributes(self, row_styles: Sequence[CellStyle | None]) -> list[str]:
        # By identity: rows of a kind share one sequence (kept here, so its id stays its own).
        found = self.attributes.get(id(row_styles))
        if found is None or found[0] is not row_styles:
            found = (row_styles, [self.styles.attribute(s) for s in row_styles])
            self.attributes[id(row_styles)] = found
        return found[1]

    def text(self, value: str) -> str:
        try:
            return self.texts[value]
        except KeyError:
            found = self.texts[value] = f' t="inlineStr">{_text(value)}</c>'
            return found

    def row(self, number: int, cells: Sequence[Cell], styles: Sequence[str]) -> str:
        n = f'{number}"'
        parts = [f'<row r="{number}">']
        append, texts = parts.append, self.texts
        # One pass over the columns' openings, styles and values together (1.5 million cells
        # at national scale: each index and attribute lookup saved counts).
        for opening, style, value in zip(self.opens, styles, cells, strict=False):  # short rows
            if type(value) is str:
                if value:
                    append(opening + n + style + (texts.get(value) or self.text(value)))
            elif type(value) is Decimal:
                append(f"{opening}{n}{style}><v>{value:f}</v></c>")
            elif value is None or value == "":
                continue
            elif isinstance(value, str):
                append(opening + n + style + self.text(value))
            else:
                append(f"{opening}{n}{style}><v>{_number(value)}</v></c>")
        append("</row>")
        return "".join(parts)


def streamed_xlsx(
    title: str,
    headers: Sequence[str],
    rows: Iterable[tuple[Sequence[Cell], Sequence[CellStyle | None]]],
    header_style: CellStyle | None = None,
) -> bytes:
    """One sheet `title`: the header row (frozen), then each row's cells with their styles
    (a style per column; share the sequences between rows of a kind). Empty text and None
    leave the cell out."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    styles = _Styles(sheet)
    letters = [get_column_letter(n + 1) for n in range(len(headers))]
    writer = _RowWriter(styles, letters)
    body = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024, mode="w+b")
    count = 1
    header_attribute = styles.attribute(header_style)
    text = io.TextIOWrapper(body, encoding="utf-8", write_through=False)
    text.write(writer.row(1, headers, [header_attribute] * len(headers)))
    chunk: list[str] = []
    for cells, row_styles in rows:
        count += 1
        chunk.append(writer.row(count, cells, writer.style_attributes(row_styles)))
        if len(chunk) >= 1000:
            text.write("".join(chunk))
            chunk.clear()
    text.write("".join(chunk))
    text.flush()
    skeleton = io.BytesIO()
    workbook.save(skeleton)
    body.seek(0)
    dimension = f'<dimension ref="A1:{letters[-1]}{count}"/>'
    return _spliced(skeleton, body, dimension)


def _spliced(
    skeleton: io.BytesIO, body: tempfile.SpooledTemporaryFile[bytes], dimension: str
) -> bytes:
    """The skeleton package with `body` as the sheet's rows."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(skeleton) as source,
        zipfile.ZipFile(
            # The fastest deflate level: the rows are nearly all of the time and of the file.
            out,
            "w",
            zipfile.ZIP_DEFLATED,
            compresslevel=1,
        ) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != SHEET_PATH:
                target.writestr(info.filename, data)
                continue
            sheet = data.decode("utf-8")
            sheet = sheet.replace("<sheetData />", "<sheetData></sheetData>").replace(
                "<sheetData/>", "<sheetData></sheetData>"
            )
            head, tail = sheet.split("</sheetData>", 1)
            head = head.split("<sheetData>", 1)[0] + "<sheetData>"
            head = DIMENSION.sub(dimension, head) if DIMENSION.search(head) else head
            with target.open(SHEET_PATH, "w") as stream:
                stream.write(head.encode("utf-8"))
                shutil.copyfileobj(body, stream)
                stream.write(("</sheetData>" + tail).encode("utf-8"))
    return out.getvalue()
