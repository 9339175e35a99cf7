"""Spreadsheet cells that cannot run as formulas (CSV injection, OWASP).

A spreadsheet program reads a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a
formula, and a tab or carriage return in front of one hides it; a formula can fetch data
or start a program (``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``). Every text cell the
project writes into a CSV file or a workbook goes through this module:

- CSV: :func:`safe_csv_cell` puts an apostrophe in front of such a cell, which Excel,
  LibreOffice and Google Sheets show as text. A plain number (``-5``, ``-1200.50``) is
  written as it is: a spreadsheet reads it as a number, never as a formula, and the sign
  is kept for sums. Anything else that starts with ``-`` or ``+`` (``-1+2``, ``+A1``) is
  quoted like the rest.
- Workbooks: numbers are written as numeric cells, which are never formulas. A text cell
  for which :func:`needs_quoting` is true is written as a string cell with Excel's
  ``quotePrefix`` set, so it shows exactly as written and stays text when edited.

Reading back, :func:`unquote` removes the apostrophe again, so a file the project wrote
can be read and written any number of times without growing apostrophes.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["FORMULA_TRIGGERS", "needs_quoting", "safe_csv_cell", "unquote"]

FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_QUOTE: Final = "'"


def needs_quoting(text: str) -> bool:
    """Whether a spreadsheet program could read `text` as a formula (a plain number cannot)."""
    return text.startswith(FORMULA_TRIGGERS) and _PLAIN_NUMBER.fullmatch(text) is None


def safe_csv_cell(value: object) -> str:
    """`value` as the text of a CSV cell that no spreadsheet program runs as a formula.

    None is the empty cell; other values are written with ``str``.
    """
    text = "" if value is None else str(value)
    return _QUOTE + text if needs_quoting(text) else text


def unquote(text: str) -> str:
    """`text` without the apostrophe :func:`safe_csv_cell` added, if it added one."""
    if text.startswith(_QUOTE) and needs_quoting(text[1:]):
        return text[1:]
    return text
