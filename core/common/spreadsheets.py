"""Reading the old process's spreadsheets (XLSX, or CSV separated by ; or ,) for imports."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

__all__ = ["read_rows"]


def read_rows(path: Path) -> list[dict[str, str]]:
    """The file's rows as dicts keyed by lower-case header; ValueError if it cannot be read."""
    if path.suffix.lower() == ".xlsx":
        try:
            sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        except (BadZipFile, InvalidFileException) as exc:
            raise ValueError("not a readable XLSX workbook") from exc
        values = [
            ["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)
        ]
    else:
        text = path.read_text(encoding="utf-8-sig")
        try:
            dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=";,")
        except csv.Error as exc:
            raise ValueError("the first row must be the headers, separated by ; or ,") from exc
        values = list(csv.reader(io.StringIO(text), dialect))
    if not values:
        return []
    headers = [h.strip().lower() for h in values[0]]
    return [
        dict(zip(headers, (c.strip() for c in row), strict=False)) for row in values[1:] if any(row)
    ]
