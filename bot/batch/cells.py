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

A range or a bound (五六千万, 5000-6000万, 一千多万, 不到5%, 三到五年) is read as the chat reads
it: at its conservative end for that field (``rules.figures``), and the reader says so in a
:class:`CellNote` for the row's notes. A figure outside what is plausible for its field
(``rules/data/plausibility.toml``), 12,000,000 in a 万元 column say, is where the chat asks
back; a sheet cannot be asked, so the cell is refused (``implausible``) with the likelier
reading, when there is one, for the row's error.

Results of reading an option or a number of years are remembered (a few thousand at most),
so a column of 是/否 or of option labels is parsed once per distinct text, not once per row.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from bot.batch.columns import FieldColumn
from dialogs.flow import STEP_BY_FIELD, parser_options
from dialogs.parsing import (
    MAX_MONEY,
    AnswerError,
    Figure,
    Option,
    format_decimal,
    is_skip,
    likelier_reading,
    parse_choice,
    parse_choices,
    read_money,
    read_percent,
    read_years,
    yes_no_options,
)
from rules import Rules

__all__ = ["CellNote", "CellProblem", "CellReader", "ExcelError"]

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


@dataclass(frozen=True, slots=True)
class CellNote:
    """A cell that gave a range or a bound (`given`, ends in the field's unit): its answer
    is `value`, the conservative end, as the chat takes it."""

    column: FieldColumn
    text: str  # the cell as shown
    given: Figure
    value: Decimal


# How a cell's figure was written, for its likelier reading: "column" is a bare number in
# the header's unit; the others are a Figure's readings (wan, yi, yuan, en, percent, years).
_IN_COLUMN: Final = "column"
_WAN_YUAN: Final = Decimal(10**4)


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
        self._figures = rules.figures
        self._cache: dict[tuple[str, Decimal, str], tuple[bool, Any, CellNote | None]] = {}
        # money columns without a unit in which a bare number was read as yuan
        self.bare_in_yuan: dict[str, None] = {}

    def read(
        self,
        column: FieldColumn,
        value: Any,
        number_format: str | None = None,
        notes: list[CellNote] | None = None,
    ) -> Any:
        """The answer in one cell: a Decimal, an option value, a list of them, or None
        (unanswered). A range or a bound read at its conservative end adds a
        :class:`CellNote` to `notes`. Raises :class:`CellProblem`."""
        found: list[CellNote] = []
        answer = self._read(column, value, number_format, found)
        if notes is not None:
            notes += found
        return answer

    def _read(self, column: FieldColumn, value: Any, number_format: str | None, notes: list[CellNote]) -> Any:
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
            # amounts and shares rarely repeat: not worth keeping
            answer, note = self._text(column, text)
            if note is not None:
                notes.append(note)
            return answer
        key = (column.field, column.scale, text)
        hit = self._cache.get(key)
        if hit is None:
            try:
                hit = (True, *self._text(column, text))
            except CellProblem as problem:
                hit = (False, problem, None)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = hit
        ok, result, note = hit
        if not ok:
            raise result.with_traceback(None)  # a fresh traceback: a kept one would grow each time
        if note is not None:
            notes.append(dataclasses.replace(note, column=column))
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
            self._not_too_small(column, amount, _plain(number))
            return self._plausible(column, amount, _IN_COLUMN, _plain(number))
        percent_cell = number_format is not None and "%" in number_format
        if percent_cell:
            number *= 100  # Excel keeps 92 % as 0.92
        low, high = step.percent_low, step.percent_high
        shown = f"{_plain(number)}%" if percent_cell else _plain(number)
        if (low is not None and number < low) or (high is not None and number > high):
            raise CellProblem("percent.range", shown, low=low, high=high)
        return self._plausible(column, number, "percent", shown)

    def _text(self, column: FieldColumn, text: str) -> tuple[Any, CellNote | None]:
        if is_skip(text):
            return None, None
        try:
            if column.kind in ("money", "percent", "years"):
                return self._figure(column, text)
            options = self._options[column.field]
            if column.kind == "multi":
                return parse_choices(text, options), None
            return parse_choice(text, options), None
        except AnswerError as error:
            if error.code in ("empty", "no_words"):
                return None, None  # "-", "/", "——": nothing was answered
            details = {k: v for k, v in error.details.items() if k != "text"}
            raise CellProblem(error.code, text, **details) from None

    def _figure(self, column: FieldColumn, text: str) -> tuple[Decimal, CellNote | None]:
        """A figure typed as text, a range or a bound read at its conservative end, as the
        chat reads it. Raises AnswerError or :class:`CellProblem`."""
        step = STEP_BY_FIELD[column.field]
        given: Figure
        if column.kind == "money":
            given = read_money(text, allow_negative=step.allow_negative)
            if given.reading == "bare_wan":  # the chat's 万元 for a bare number; the header decides here
                given = dataclasses.replace(
                    given,
                    low=_in_column(given.low, column),
                    high=_in_column(given.high, column),
                    reading=_IN_COLUMN,
                )
                if not column.unit_given:
                    self.bare_in_yuan[column.name] = None
                if any(end is not None and abs(end) > MAX_MONEY for end in (given.low, given.high)):
                    raise AnswerError("money.too_large", max=MAX_MONEY)
                if given.kind == "exact" and given.low is not None:
                    self._not_too_small(column, given.low, text)
        elif column.kind == "percent":
            given = read_percent(text, low=step.percent_low, high=step.percent_high)
        else:
            given = read_years(text, today=self.today)
        rule = self._figures[column.field]
        value = given.value if given.kind == "exact" else rule.conservative(given.low, given.high)
        assert value is not None
        value = self._plausible(column, value, given.reading, text)
        return value, None if given.kind == "exact" else CellNote(column, text, given, value)

    def _not_too_small(self, column: FieldColumn, amount: Decimal, shown: str) -> None:
        """A bare number in a column that names no unit, read as yuan, far too small for the
        field (a revenue of 12000 元 is more likely 1.2 亿 in 万元): refused with that reading."""
        least = self._figures[column.field].bare_yuan_min
        if not column.unit_given and least is not None and 0 < amount < least:
            raise CellProblem("small_in_yuan", shown, value=amount, alternative=amount * _WAN_YUAN)

    def _plausible(self, column: FieldColumn, value: Decimal, reading: str, shown: str) -> Decimal:
        """`value` if it is plausible for its field; else raises ``implausible`` with the
        likelier reading (None when there is none), where the chat would ask back."""
        rule = self._figures[column.field]
        if rule.plausible(value):
            return value
        if reading == _IN_COLUMN:
            # a bare number far too large for the header's unit: most likely in the next
            # smaller unit, as the chat reads 亿 for 万 and 万 after yuan (亿元 → 万元,
            # 万元 or 千元 → 元); in a yuan column there is no other reading
            other = value / min(column.scale, _WAN_YUAN) if column.scale > 1 else None
        else:
            other = likelier_reading(value, reading, rule.unit)
        if other is not None:
            other = Decimal(format_decimal(other))
        if other is not None and (other.is_zero() or not rule.plausible(other)):
            other = None
        raise CellProblem("implausible", shown, value=value, alternative=other)


def _in_column(end: Decimal | None, column: FieldColumn) -> Decimal | None:
    """An end the chat read as 万元, in the column's unit instead."""
    return None if end is None else end.scaleb(-_WAN) * column.scale


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
