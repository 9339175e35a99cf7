"""Workbooks and CSV files written the way staff's spreadsheets are, for the batch tests.

Written with openpyxl (as Excel would save them: numbers as numbers, percent-formatted
cells holding fractions, dates as dates); formula cells get a cached value spliced into
the sheet's XML, as Excel and LibreOffice store one (openpyxl writes formulas without).
"""

from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from bot.cli import main


@dataclass(frozen=True)
class Styled:
    """A cell value with an Excel number format (0.92 with "0%" shows as 92%)."""

    value: Any
    number_format: str


@dataclass(frozen=True)
class Formula:
    """A formula cell whose cached result Excel saved with it."""

    formula: str
    cached: int | float | str


def write_xlsx(
    path: Path, rows: Sequence[Sequence[Any]], sheet: str = "Sheet1", extra_sheets: int = 0
) -> Path:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for _ in range(extra_sheets):
        book.create_sheet(f"Other{_}").append(["nothing", "here"])
    cached: dict[str, Formula] = {}
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, Styled):
                cell.value = value.value
                cell.number_format = value.number_format
            elif isinstance(value, Formula):
                cell.value = value.formula
                cached[cell.coordinate] = value
            else:
                cell.value = value
    book.save(path)
    if cached:
        _splice_cached_values(path, cached)
    return path


def _splice_cached_values(path: Path, cached: dict[str, Formula]) -> None:
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode("utf-8")
                for ref, f in cached.items():
                    kind = ' t="str"' if isinstance(f.cached, str) else ""
                    cell = rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?'
                    value = f"<v>{f.cached}</v>"
                    found = re.search(cell, xml)
                    assert found is not None, ref
                    spliced = f'<c r="{ref}"{found[1]}{kind}><f>{found[2]}</f>{value}'
                    xml = xml[: found.start()] + spliced + xml[found.end() :]
                data = xml.encode("utf-8")
            zout.writestr(info, data)


def read_xlsx(path: Path, sheet: int = 0) -> list[list[Any]]:
    book = load_workbook(path, data_only=True)
    ws = book.worksheets[sheet]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def as_dicts(rows: list[list[Any]]) -> list[dict[str, Any]]:
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def write_csv(path: Path, rows: Sequence[Sequence[Any]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        status = main(list(argv))
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return status, out, err
