"""One cell of a sheet made into one answer, read as the chat reads it.

Text goes to the chat's own parsers (:mod:`dialogs.parsing`): money with 亿/万/元, English
multipliers and the approximation words people add; percentages with or without ``%``;
years; choices by value, number or label; several choices separated by ``;``, ``、`` or
``,``; 是/否. So a sheet and a conversation agree. Where they must differ, the header
decides: a bare number in a money column is in the header's unit (元 when it names none),
where the chat reads it as 万元.

A number (a numeric workbook cell, or a CSV cell that is nothing but a number) is taken as
it is, checked against the same bounds the chat's question has (no negative amount but a
profit, shares from 0 to 100, …). A percentage cell formatted as ``%`` in Excel holds 0.92
for 92 % and is read as 92. A date where a figure belongs is an error, never a number;
so is an Excel error value (``#DIV/0!``). An empty cell, a skip word (不清楚, n/a) or a cell
of nothing but punctuation (``-``, ``/``) is unanswered.

Results of reading an option or a number of years are remembered (a few thousand at most),
so a column of 是/否 or of option labels is parsed once per distinct text, not once per row.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from bot.batch.columns import FieldColumn
from dialogs.flow import STEP_BY_FIELD, parser_options
from dialogs.parsing import (
    MAX_MONEY,
    AnswerError,
    Option,
    format_decimal,
    is_skip,
    parse_choice,
    parse_choices,
    parse_money_reading,
    parse_percent,
    parse_years,
    yes_no_options,
)
from rules import Rules

__all__ = ["CellProblem", "CellReader", "ExcelError"]

_PLAIN_NUMBER: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_WAN: Final = 4  # a bare number the money parser reads as 万元: shift back by 10^4
_CACHE_LIMIT: Final = 4096  # distinct texts remembered per run (option labels, yes/no words)
_CACHED_KINDS: Final = frozenset({"choice", "multi", "yesno", "years"})


class ExcelError(str):
    """An Excel error value in a cell (``#DIV/0!``, ``#N/A``), not text someone typed."""

    __slots__ = ()


class CellProblem(Exception):
    """A cell that cannot be read: `code` names the problem (an :class:`AnswerError` code
    such as ``money.invalid``, or ``date``, ``excel_error``), `text` is the cell as shown."""

    def __init__(self, code: str, text: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.text = text
        self.details = details


class CellReader:
    """Reads cells into the JSON values of a profile (see :func:`rules.parse_profile`)."""

    def __init__(self, rules: Rules, today: date) -> None:
        self.today = today
        self._options: dict[str, list[Option[Any]]] = {}
        for info in rules.fields.field:
            if info.kind == "yesno":
                # 1 already reads as the first option, yes; 0 reads as no, as sheets use it
                labels = rules.choices.yes_no.options
                yes_words = [o.label.zh for o in labels if o.value is True] + ["1"]
                no_words = [o.label.zh for o in labels if o.value is False] + ["0"]
                self._options[info.id] = list(yes_no_options((*yes_words, "yes"), (*no_words, "no")))
            elif info.kind in ("choice", "multi"):
                self._options[info.id] = parser_options(info.id, rules)
        self._cache: dict[tuple[str, Decimal, str], tuple[bool, Any]] = {}
        # money columns without a unit in which a bare number was read as yuan
        self.bare_in_yuan: dict[str, None] = {}

    def read(self, column: FieldColumn, value: Any, number_format: str | None = None) -> Any:
        """The answer in one cell: a Decimal, an option value, a list of them, or None
        (unanswered). Raises :class:`CellProblem`."""
        if value is None:
            return None
        if isinstance(value, ExcelError):
            raise CellProblem("excel_error", str(value))
        if isinstance(value, datetime | date | time | timedelta):
            raise CellProblem("date", _shown_date(value))
        if isinstance(value, bool):
            if column.kind == "yesno":
                return value
            value = "true" if value else "false"
        if isinstance(value, int | float | Decimal):
            if column.kind in ("money", "percent"):
                return self._number(column, _decimal(value), number_format)
            value = _plain(_decimal(value))
        text = str(value).strip()
        if not text:
            return None
        if column.kind in ("money", "percent") and _PLAIN_NUMBER.fullmatch(text):
            return self._number(column, Decimal(text), None)
        if column.kind not in _CACHED_KINDS:
            return self._text(column, text)  # amounts and shares rarely repeat: not worth keeping
        key = (column.field, column.scale, text)
        hit = self._cache.get(key)
        if hit is None:
            try:
                hit = (True, self._text(column, text))
            except CellProblem as problem:
                hit = (False, problem)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = hit
        ok, result = hit
        if not ok:
            raise result.with_traceback(None)  # a fresh traceback: a kept one would grow each time
        return result

    def _number(self, column: FieldColumn, number: Decimal, number_format: str | None) -> Decimal:
        step = STEP_BY_FIELD[column.field]
        if column.kind == "money":
            if not column.unit_given:
                self.bare_in_yuan[column.name] = None
            amount = number * column.scale
            if amount < 0 and not step.allow_negative:
                raise CellProblem("money.negative", _plain(number))
            if abs(amount) > MAX_MONEY:
                raise CellProblem("money.too_large", _plain(number), max=MAX_MONEY)
            return amount
        percent_cell = number_format is not None and "%" in number_format
        if percent_cell:
            number *= 100  # Excel keeps 92 % as 0.92
        low, high = step.percent_low, step.percent_high
        if (low is not None and number < low) or (high is not None and number > high):
            shown = f"{_plain(number)}%" if percent_cell else _plain(number)
            raise CellProblem("percent.range", shown, low=low, high=high)
        return number

    def _text(self, column: FieldColumn, text: str) -> Any:
        if is_skip(text):
            return None
        step = STEP_BY_FIELD[column.field]
        try:
            if column.kind == "money":
                amount, reading = parse_money_reading(text, allow_negative=step.allow_negative)
                if reading == "bare_wan":  # the chat's 万元 for a bare number; the header decides here
                    amount = amount.scaleb(-_WAN) * column.scale
                    if not column.unit_given:
                        self.bare_in_yuan[column.name] = None
                    if abs(amount) > MAX_MONEY:
                        raise AnswerError("money.too_large", max=MAX_MONEY)
                return amount
            if column.kind == "percent":
                return parse_percent(text, low=step.percent_low, high=step.percent_high)
            if column.kind == "years":
                return parse_years(text, today=self.today)
            options = self._options[column.field]
            if column.kind == "multi":
                return parse_choices(text, options)
            return parse_choice(text, options)
        except AnswerError as error:
            if error.code == "empty":
                return None  # "-", "/", "——": nothing was answered
            details = {k: v for k, v in error.details.items() if k != "text"}
            raise CellProblem(error.code, text, **details) from None


def _shown_date(value: datetime | date | time | timedelta) -> str:
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    return str(value) if isinstance(value, timedelta) else value.isoformat()


def _decimal(value: int | float | Decimal) -> Decimal:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellProblem("number.invalid", str(value))
        # the shortest text that gives back the same float: 0.1 stays 0.1
        return Decimal(repr(value))
    try:
        return Decimal(value)
    except InvalidOperation:
        raise CellProblem("number.invalid", str(value)) from None


def _plain(number: Decimal) -> str:
    try:
        return format_decimal(number)
    except ValueError:
        raise CellProblem("number.invalid", str(number)) from None
