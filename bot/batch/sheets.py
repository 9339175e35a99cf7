"""Reading and writing sheets one row at a time: CSV text, and .xlsx workbooks (openpyxl).

A row read is ``(values, formats)``: the cells' values (text from a CSV file; numbers,
text, booleans, dates and :class:`~bot.batch.cells.ExcelError` from a workbook, formulas
as their cached results) and, where a workbook gives one, each numeric cell's number
format (None for the rest, or for a whole row without any).

Workbooks are read with openpyxl in read-only mode and written in write-only mode, so a
sheet of any length takes the same memory. Every text cell written goes through
:mod:`bot.cell_safety`, so no cell of ours runs as a formula.
"""

from __future__ import annotations

import contextlib
import csv
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Protocol, TextIO

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.batch.cells import ExcelError
from bot.cell_safety import FORMULA_TRIGGERS, needs_quoting, safe_csv_cell, unquote
from dialogs.parsing import format_decimal

__all__ = [
    "CsvSink",
    "Row",
    "Sink",
    "SummaryLine",
    "WorkbookError",
    "XlsxSink",
    "csv_rows",
    "open_sheet",
]

Row = tuple[list[Any], list[str | None] | None]

_PERCENT_CSV: Final = "%"
_TRIGGERS: Final = frozenset(FORMULA_TRIGGERS)
_HEADER_FONT: Final = Font(bold=True)
_FIELD_FILL: Final = PatternFill("solid", fgColor="DDEBF7")
_RESULT_FILL: Final = PatternFill("solid", fgColor="E2EFDA")
_ERROR_FILL: Final = PatternFill("solid", fgColor="FCE4D6")
_WRAP: Final = Alignment(wrap_text=True, vertical="top")
_LEFT_WRAP: Final = Alignment(horizontal="left", wrap_text=True, vertical="top")


class WorkbookError(Exception):
    """A workbook that cannot be opened: `key` is the message, `values` fill it."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


# ---------------------------------------------------------------- reading


def csv_rows(reader: Iterator[list[str]]) -> Iterator[Row]:
    """The rows of a CSV reader, without the apostrophes :func:`safe_csv_cell` added."""
    for row in reader:
        yield [unquote(cell) if cell[:1] == "'" else cell for cell in row], None


class Sheet:
    """One worksheet of a workbook opened for reading, row by row."""

    def __init__(self, path: Path, name: str | None) -> None:
        # Opened here, not by name, so that a workbook saved as "data.csv" is read too.
        self._path = path
        self._file = path.open("rb")
        try:
            self._book = load_workbook(self._file, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError) as exc:
            self._file.close()
            detail = str(exc) or type(exc).__name__
            raise WorkbookError("batch.file.not_xlsx", file=path.name, detail=detail) from None
        sheets = self._book.worksheets
        if not sheets:
            self.close()
            raise WorkbookError("batch.file.no_sheets", file=path.name)
        if name is None:
            self._sheet = sheets[0]
        elif name in self._book.sheetnames and self._book[name] in sheets:
            self._sheet = self._book[name]
        else:
            names = "、".join(s.title for s in sheets)
            self.close()
            raise WorkbookError("batch.file.no_sheet", file=path.name, sheet=name, sheets=names)
        self.title: str = self._sheet.title

    @property
    def rows_hint(self) -> int | None:
        """The number of rows the sheet says it has (None when it does not say)."""
        rows = self._sheet.max_row
        return rows if isinstance(rows, int) else None

    def rows(self) -> Iterator[Row]:
        for row in self._sheet.iter_rows():
            values: list[Any] = []
            formats: list[str | None] | None = None
            for i, cell in enumerate(row):
                value = cell.value
                if value is not None:
                    kind = type(value)
                    if kind is str:
                        if cell.data_type == "e":
                            value = ExcelError(value)
                    elif kind is not bool:
                        number_format = cell.number_format
                        if number_format != "General":
                            if formats is None:
                                formats = [None] * len(row)
                            formats[i] = number_format
                values.append(value)
            yield values, formats

    def uncached_formulas(self, limit: int = 5) -> tuple[int, list[str]]:
        """How many formula cells of the sheet have no saved result, and the first `limit`
        of them ("B2"): read as their results, they came out empty. Excel always saves a
        formula's result; a program that writes workbooks may not. One pass over the
        sheet's XML, a chunk at a time, after the rows are read."""
        where = getattr(self._sheet, "_worksheet_path", None)
        if not isinstance(where, str):
            return 0, []
        count, first = 0, list[str]()
        carry = b""
        try:
            with zipfile.ZipFile(self._path) as archive, archive.open(where) as xml:
                while True:
                    chunk = xml.read(_XML_CHUNK)
                    text = carry + chunk
                    # a cell cut by the chunk's end is looked at again with the next chunk
                    cut = len(text) if not chunk else text.rfind(b"<c ", 0, max(0, len(text) - _CELL_MAX))
                    cut = max(cut, 0)
                    for found in _UNCACHED.finditer(text, 0, len(text)):
                        if found.start() >= cut and chunk:
                            break
                        count += 1
                        if len(first) < limit:
                            first.append(found[1].decode("ascii"))
                    if not chunk:
                        return count, first
                    carry = text[cut:]
        except (OSError, KeyError, zipfile.BadZipFile, EOFError, zlib.error):
            return count, first

    def close(self) -> None:
        self._book.close()
        self._file.close()


_XML_CHUNK: Final = 1 << 20
_CELL_MAX: Final = 1 << 16  # the longest cell looked for whole (a formula holds at most 8192 characters)
# A formula cell with no result: <c r="B2" …><f>…</f></c>, <f …/>, an empty <v/> or <v></v>.
_UNCACHED: Final = re.compile(
    rb'<c\b[^>]*?\br="([A-Z]{1,3}[0-9]+)"[^>]*>\s*<f\b[^>]*?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>'
)


def open_sheet(path: Path, name: str | None) -> Sheet:
    """Open `path` for reading. Raises :class:`WorkbookError`."""
    return Sheet(path, name)


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class SummaryLine:
    """One line of the run's summary: a label and a value (a share is a float of 1)."""

    label: str
    value: Any = None
    share: bool = False


class Sink(Protocol):
    def header(self, names: Sequence[str], kept: int, comments: dict[int, str]) -> None: ...

    def row(
        self, values: Sequence[Any], formats: Sequence[str | None] | None, results: Sequence[Any]
    ) -> None: ...

    def summary(
        self, title: str, lines: Sequence[SummaryLine], chart_title: str, histogram: Sequence[tuple[str, int]]
    ) -> None: ...


class CsvSink:
    """Rows as CSV text; the header's notes go into the header cells themselves."""

    def __init__(self, out: TextIO, with_note: str = "{name} ({note})") -> None:
        self._writer = csv.writer(out)
        self._with_note = with_note  # how a header shows its note

    def header(self, names: Sequence[str], kept: int, comments: dict[int, str]) -> None:
        # A CSV cell has no comment: a result column's note goes into its header; the
        # input's own headers stay exactly as they were.
        cells = [
            self._with_note.format(name=name, note=comments[i]) if i in comments and i >= kept else name
            for i, name in enumerate(names)
        ]
        self._writer.writerow([safe_csv_cell(c) for c in cells])

    def row(
        self, values: Sequence[Any], formats: Sequence[str | None] | None, results: Sequence[Any]
    ) -> None:
        cells = [_csv_text(v, formats[i] if formats else None) for i, v in enumerate(values)]
        cells += [_csv_text(v, None) for v in results]
        self._writer.writerow(cells)

    def summary(
        self, title: str, lines: Sequence[SummaryLine], chart_title: str, histogram: Sequence[tuple[str, int]]
    ) -> None:
        pass  # a CSV file has one sheet; the run's summary goes to standard error


def _csv_text(value: Any, number_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_csv_cell(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
        if number_format is not None and _PERCENT_CSV in number_format and number.is_finite():
            return safe_csv_cell(format_decimal(number * 100) + "%")
        return safe_csv_cell(format_decimal(number) if number.is_finite() else str(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, date | time | datetime):
        return value.isoformat()
    return safe_csv_cell(str(value))


class XlsxSink:
    """Rows into a write-only workbook: the results sheet, then the summary sheet."""

    def __init__(
        self, sheet_title: str, freeze_below: int, widths: Sequence[float], numeric: set[int]
    ) -> None:
        self.book = Workbook(write_only=True)
        self.sheet: WriteOnlyWorksheet = self.book.create_sheet(_sheet_title(sheet_title))
        self.sheet.freeze_panes = f"A{freeze_below + 1}"
        for i, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(i)].width = width
        self._numeric = numeric  # input columns whose plain-number text becomes a number

    def preamble(self, values: Sequence[Any]) -> None:
        self.sheet.append([self._cell(v, None) for v in values])

    def header(self, names: Sequence[str], kept: int, comments: dict[int, str]) -> None:
        cells = []
        for i, name in enumerate(names):
            cell = WriteOnlyCell(self.sheet, value=_text(name))
            cell.data_type = "s"
            cell.font = _HEADER_FONT
            cell.alignment = _WRAP
            cell.fill = _RESULT_FILL if i >= kept else _FIELD_FILL
            if i == len(names) - 1 and i >= kept:
                cell.fill = _ERROR_FILL
            if i in comments:
                cell.comment = Comment(comments[i], "zjtx")
                cell.comment.width, cell.comment.height = 320, 160
            cells.append(cell)
        self.sheet.append(cells)

    def row(
        self, values: Sequence[Any], formats: Sequence[str | None] | None, results: Sequence[Any]
    ) -> None:
        cell, numeric = self._cell, self._numeric
        cells = []
        for i, value in enumerate(values):
            if i in numeric and type(value) is str and _is_number_text(value):
                cells.append(Decimal(value))  # a figure from a CSV file: a number again
            else:
                cells.append(cell(value, formats[i] if formats else None))
        cells += [cell(v, None) for v in results]
        self.sheet.append(cells)

    def _cell(self, value: Any, number_format: str | None) -> Any:
        """`value` as the write-only sheet takes it: as it is, or a cell with a format."""
        if value is None:
            return None
        if isinstance(value, str):
            if isinstance(value, ExcelError):
                return str(value)  # written back as the error it was
            text = _text(value) if ILLEGAL_CHARACTERS_RE.search(value) else value
            if (text[:1] in _TRIGGERS and needs_quoting(text)) or (text[:1] == "#" and text in ERROR_CODES):
                quoted = WriteOnlyCell(self.sheet, value=text)
                quoted.data_type = "s"  # text, never a formula or an error
                quoted.quotePrefix = True
                return quoted
            return text
        if number_format is not None:
            formatted = WriteOnlyCell(self.sheet, value=value)
            formatted.number_format = number_format
            return formatted
        return value

    def summary(
        self, title: str, lines: Sequence[SummaryLine], chart_title: str, histogram: Sequence[tuple[str, int]]
    ) -> None:
        sheet = self.book.create_sheet(_sheet_title(title))
        sheet.column_dimensions["A"].width = 34
        sheet.column_dimensions["B"].width = 60
        for line in lines:
            label = WriteOnlyCell(sheet, value=_text(line.label))
            label.data_type = "s"
            if line.value is None:
                label.font = _HEADER_FONT
                sheet.append([label])
                continue
            value = WriteOnlyCell(
                sheet, value=_text(line.value) if isinstance(line.value, str) else line.value
            )
            if isinstance(line.value, str):
                value.data_type = "s"
            if line.share:
                value.number_format = "0.0%"
            value.alignment = _LEFT_WRAP  # figures beside their labels, notes wrapped
            sheet.append([label, value])
        if histogram:
            first = len(lines) + 1
            for label_text, count in histogram:
                label = WriteOnlyCell(sheet, value=label_text)
                label.data_type = "s"
                sheet.append([label, count])
            chart = BarChart()
            chart.type = "col"
            chart.legend = None
            chart.title = chart_title
            chart.height, chart.width = 7.5, 16
            data = Reference(sheet, min_col=2, min_row=first, max_row=first + len(histogram) - 1)
            categories = Reference(sheet, min_col=1, min_row=first, max_row=first + len(histogram) - 1)
            chart.add_data(data)
            chart.set_categories(categories)
            sheet.add_chart(chart, "D2")

    def save(self, path: Path) -> None:
        self.book.save(path)

    def discard(self) -> None:
        """Give up the workbook: finish its sheets' streams so nothing is left half-open
        (openpyxl removes their temporary files when the process ends)."""
        for sheet in self.book.worksheets:
            if isinstance(sheet, WriteOnlyWorksheet) and not sheet.closed:
                with contextlib.suppress(Exception):
                    sheet.close()


def _text(value: str) -> str:
    """`value` without the control characters a workbook cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _is_number_text(text: str) -> bool:
    body = text[1:] if text[:1] == "-" else text
    whole, _, fraction = body.partition(".")
    return (
        whole.isascii() and whole.isdigit() and (not fraction or (fraction.isascii() and fraction.isdigit()))
    )


def _sheet_title(title: str) -> str:
    """A sheet title Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'") or "Sheet1"
    return cleaned[:31]
