"""Tables for a spreadsheet, as CSV (UTF-8 with BOM, for Excel) or XLSX (openpyxl); every text
cell made safe against formula injection (:mod:`bot.cell_safety`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from bot.cell_safety import needs_quoting, safe_csv_cell

__all__ = ["CSV_TYPE", "XLSX_TYPE", "csv_bytes", "xlsx_bytes"]

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Value = str | int | float | None


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Value]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([v if isinstance(v, int | float) else safe_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[Value]]) -> bytes:
    """One sheet: the header in bold, numbers as numbers, text that could run as a formula
    as a string cell with Excel's quote prefix (shown exactly as written)."""
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever it starts with
                if needs_quoting(value):
                    cell.quotePrefix = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
