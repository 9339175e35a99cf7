"""``zjtx assess``: score profiles from a JSON file or a spreadsheet (docs/interfaces.md#command-line).

JSON in, JSON out
    ``zjtx assess FILE|-`` reads one profile object, or a list of them, and writes the
    assessment (docs/interfaces.md#assessment), or the list of assessments, to standard output or ``-o``.
    ``--explain`` adds each assessment's structured explanation under ``"explanation"``.
    Numbers are read exactly (``12.5`` stays 12.5, never a binary float). In a list, a
    profile that cannot be scored is replaced by ``{"error": "…", "index": N}`` (N counts
    from 0) and the others are still scored.

CSV in, CSV out
    ``zjtx assess in.csv -o out.csv`` scores a spreadsheet saved as CSV: a header row of
    profile field names, then one profile a row. List fields (``quality``,
    ``distinctive``) separate their items with ``;``; an empty cell is unanswered. The
    output repeats the input's columns and adds the result columns (:data:`RESULT_COLUMNS`
    plus the group and indicator scores); a row that cannot be scored gets the reason in
    ``error``, naming the field and the row as a spreadsheet numbers it (the header is
    row 1). Rows are read and written one at a time, so a file of any length takes the same
    memory. A wholly empty row is copied as it is. A file named by ``-o`` is UTF-8 with a
    byte-order mark, which Excel needs to show Chinese (standard output gets none); the
    input may be UTF-8 with or without one, or GB18030 (what Chinese Excel writes as plain
    "CSV"). Result columns already in the input (an earlier output scored again) are
    replaced. ``-`` with ``--format csv`` reads the sheet from standard input.

    A column that is not a profile field refuses the whole file before anything is
    scored: a misspelt header (``revenu``) would otherwise leave that answer unanswered on
    every row, and a hundred thousand identical row errors help nobody. The message names
    the column and the nearest field name.

Exit status: 0 when every profile was scored; 1 when some profile or row could not be
scored (the others are still written) or a column is not a profile field (nothing is
written); 2 when the input cannot be read at all (a missing file, text that is not JSON,
JSON that is neither an object nor a list, a bad ``--today``). Problems are reported on
standard error in one line, never as a traceback. A file named by ``-o`` is replaced only
when the run gets to the end, so a run that stops early leaves an earlier result intact.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import csv
import difflib
import json
import os
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, TextIO

from rules import Assessment, ProfileError, Rules, assess, default_rules, parse_profile
from rules.model import Districts
from rules.profile import FIELDS, cell_to_value

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_UNREADABLE = 2

LIST_SEPARATOR = ";"
# The result columns of a scored spreadsheet; the four group scores and i1…i13 go
# between `score` and `eligible` (see `result_columns`).
RESULT_COLUMNS = (
    "score",
    "eligible",
    "failed_conditions",
    "direct_pass",
    "tier",
    "subsidies",
    "potential_subsidies",
    "unanswered",
    "rules_version",
    "error",
)
_SNIFF_BYTES = 1 << 16


class InputError(Exception):
    """The input cannot be read at all (exit status 2)."""


class ColumnError(Exception):
    """The spreadsheet's header cannot be scored (exit status 1)."""


def run_assess(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``zjtx assess`` with parsed `args`; returns the exit status."""
    try:
        today = _today(args.today)
        fmt = _input_format(args.input, args.format)
        if fmt == "csv" and args.explain:
            raise InputError("--explain adds to JSON output only; a spreadsheet has no room for it")
        pdf = getattr(args, "pdf", None)
        if fmt == "csv" and pdf:
            raise InputError("--pdf writes the report of one JSON profile, not of a spreadsheet")
        rules = default_rules()
        if fmt == "csv":
            return _assess_csv(args.input, args.output, rules, today, stdin, stdout, stderr)
        return _assess_json(
            args.input, args.output, args.explain, rules, today, stdin, stdout, stderr, pdf, args.pdf_lang
        )
    except InputError as exc:
        print(f"zjtx assess: {exc}", file=stderr)
        return EXIT_UNREADABLE
    except ColumnError as exc:
        print(f"zjtx assess: {exc}", file=stderr)
        return EXIT_SOME_FAILED
    except OSError as exc:  # a file that cannot be opened, read or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"zjtx assess: {where}{exc.strerror or exc}", file=stderr)
        return EXIT_UNREADABLE


def _today(text: str | None) -> date:
    # The real date is read here, at the edge; the engine only ever gets it injected.
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--today {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-01-01") from None


def _input_format(source: str, given: str | None) -> str:
    if given is not None:
        return given
    return "csv" if source != "-" and Path(source).suffix.lower() == ".csv" else "json"


# ---------------------------------------------------------------- JSON


def _assess_json(
    source: str,
    output: str | None,
    explain: bool,
    rules: Rules,
    today: date,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    pdf: str | None = None,
    pdf_lang: str = "zh",
) -> int:
    data = _read_json(source, stdin)
    districts = rules.contacts.districts
    if pdf and not isinstance(data, dict):
        raise InputError(
            f"{_name(source)}: --pdf writes the report of one profile (a JSON object), not a list"
        )

    def scored(profile_data: Any) -> dict[str, Any]:
        assessment = assess(parse_profile(profile_data, districts), rules, today)
        return _as_json(assessment, explain)

    if isinstance(data, dict):
        try:
            result: Any = scored(data)
        except ProfileError as exc:
            print(f"zjtx assess: {_name(source)}: the profile cannot be scored: {exc}", file=stderr)
            return EXIT_SOME_FAILED
        _write_json(result, output, stdout)
        if pdf:
            from bot.media import report_pdf

            with _output_file(pdf, encoding="utf-8") as fh:  # whole or not at all, as -o
                fh.buffer.write(report_pdf(data, rules, today, pdf_lang))
        return EXIT_OK

    if not isinstance(data, list):
        raise InputError(f"{_name(source)}: expected a profile (a JSON object) or a list of them")
    results: list[dict[str, Any]] = []
    failed = 0
    for index, item in enumerate(data):
        try:
            results.append(scored(item))
        except ProfileError as exc:
            failed += 1
            results.append({"error": str(exc), "index": index})
    _write_json(results, output, stdout)
    print(_summary(len(data), "profiles", failed), file=stderr)
    return EXIT_SOME_FAILED if failed else EXIT_OK


def _read_json(source: str, stdin: TextIO) -> Any:
    if source == "-":
        text = stdin.read().removeprefix("\ufeff")
    else:
        try:
            text = Path(source).read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise InputError(f"cannot read {source}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise InputError(f"{source}: not UTF-8 text") from None
    try:
        # Decimal keeps every number exactly as written, so band edges compare exactly.
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise InputError(f"{_name(source)}: not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{_name(source)}: not valid JSON: nested too deeply") from None


def _as_json(assessment: Assessment, explain: bool) -> dict[str, Any]:
    out = assessment.contract()
    if explain:
        out["explanation"] = assessment.explanation()
    return out


def _write_json(result: Any, output: str | None, stdout: TextIO) -> None:
    text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        stdout.write(text)
        return
    with _output_file(output, encoding="utf-8") as fh:
        fh.write(text)


# ---------------------------------------------------------------- CSV


def result_columns(rules: Rules) -> list[str]:
    """The columns a scored spreadsheet adds, in order."""
    groups = [g.id for g in rules.indicators.group]
    indicators = [f"i{ind.number}" for ind in rules.indicators.indicator]
    return [RESULT_COLUMNS[0], *groups, *indicators, *RESULT_COLUMNS[1:]]


def _assess_csv(
    source: str,
    output: str | None,
    rules: Rules,
    today: date,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    added = result_columns(rules)
    with _csv_input(source, stdin, stderr) as infile:
        reader = csv.reader(infile)
        try:
            header = next(reader, None)
            if header is None or not any(cell.strip() for cell in header):
                raise InputError(f"{_name(source)}: the first row is empty; it must name the columns")
            columns = _columns(header, set(added), _name(source))
            with _csv_output(output, stdout) as outfile:
                writer = csv.writer(outfile)
                writer.writerow([columns.names[i] for i in columns.kept] + added)
                counts = _score_rows(reader, columns, rules, today, writer)
        except UnicodeDecodeError as exc:
            row = reader.line_num + 1
            raise InputError(
                f"{_name(source)}: line {row} is not {exc.encoding} text; "
                "save the sheet as “CSV UTF-8 (逗号分隔)” and try again"
            ) from None
        except csv.Error as exc:
            raise InputError(f"{_name(source)}: line {reader.line_num}: not readable as CSV: {exc}") from None
    total, failed, blank = counts
    print(_summary(total, "rows", failed, blank), file=stderr)
    return EXIT_SOME_FAILED if failed else EXIT_OK


class _RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class _Columns:
    """Which input column feeds which profile field, and which columns are copied out."""

    def __init__(self, names: list[str], fields: list[tuple[int, str]], kept: list[int], unnamed: list[int]):
        self.names = names  # the header's names, trimmed
        self.fields = fields  # (column index, profile field)
        self.kept = kept  # the input columns repeated in the output
        self.unnamed = unnamed  # columns without a name: they must stay empty
        self.width = len(names)


def _columns(header: list[str], added: set[str], source: str) -> _Columns:
    """Check the header row. Raises :class:`ColumnError` naming unknown or repeated columns."""
    names = [cell.strip().removeprefix("\ufeff").strip() for cell in header]
    unknown = [n for n in names if n and n not in FIELDS and n not in added]
    if unknown:
        hints = []
        for name in dict.fromkeys(unknown):
            near = difflib.get_close_matches(name.lower(), FIELDS, n=1, cutoff=0.6)
            hints.append(f"“{name}”" + (f" (did you mean “{near[0]}”?)" if near else ""))
        raise ColumnError(
            f"{source}: unknown column{'s' if len(hints) > 1 else ''} {', '.join(hints)}; "
            f"the header must use profile field names: {', '.join(FIELDS)}. Nothing was scored."
        )
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        quoted = ", ".join(f"“{n}”" for n in repeated)
        verb = "appear" if len(repeated) > 1 else "appears"
        raise ColumnError(
            f"{source}: {quoted} {verb} more than once in the header; keep one of each. Nothing was scored."
        )
    fields = [(i, n) for i, n in enumerate(names) if n in FIELDS]
    kept = [i for i, n in enumerate(names) if n not in added]
    unnamed = [i for i, n in enumerate(names) if not n]
    return _Columns(names, fields, kept, unnamed)


def _score_rows(
    reader: Iterator[list[str]], columns: _Columns, rules: Rules, today: date, writer: _RowWriter
) -> tuple[int, int, int]:
    """Score and write each row as it is read; returns (rows, failed, blank)."""
    districts = rules.contacts.districts
    width = columns.width
    no_result = [""] * (len(result_columns(rules)) - 1)
    no_groups = [""] * len(rules.indicators.group)
    no_indicators = [""] * len(rules.indicators.indicator)
    total = failed = blank = 0
    # Row numbers as a spreadsheet shows them: the header is row 1.
    for number, row in enumerate(reader, start=2):
        total += 1
        if len(row) < width:
            row = row + [""] * (width - len(row))
        copied = [row[i] for i in columns.kept]
        if not any(cell.strip() for cell in row):
            blank += 1
            writer.writerow(copied + no_result + [""])
            continue
        try:
            assessment = _assess_row(row, columns, districts, rules, today)
        except ProfileError as exc:
            failed += 1
            writer.writerow(copied + no_result + [f"row {number}: {exc}"])
            continue
        writer.writerow(copied + _result_cells(assessment, no_groups, no_indicators) + [""])
    return total, failed, blank


def _assess_row(
    row: list[str], columns: _Columns, districts: Districts, rules: Rules, today: date
) -> Assessment:
    """Score one spreadsheet row. Raises :class:`ProfileError` naming every bad cell."""
    errors: list[tuple[str, str]] = []
    if len(row) > columns.width and any(cell.strip() for cell in row[columns.width :]):
        errors.append(("(row)", f"has {len(row)} cells but the header names only {columns.width} columns"))
    for i in columns.unnamed:
        if row[i].strip():
            errors.append((f"column {i + 1}", "has a value but no name in the header"))
    data: dict[str, Any] = {}
    for i, field in columns.fields:
        cell = row[i]
        if not cell:  # unanswered; most cells of a wide sheet are
            continue
        try:
            value = cell_to_value(field, cell)
        except ValueError as exc:
            errors.append((field, str(exc)))
            continue
        if value is not None:
            data[field] = value
    try:
        profile = parse_profile(data, districts)
    except ProfileError as exc:
        errors.extend(exc.errors)
    if errors:
        raise ProfileError(errors)
    return assess(profile, rules, today)


def _result_cells(a: Assessment, no_groups: list[str], no_indicators: list[str]) -> list[str]:
    """The result cells of one assessment, in `result_columns` order without `error`.

    A service institution has no score: its score, group and indicator cells are empty.
    """
    cells = [_cell(a.score)]
    cells += no_groups if a.groups is None else [str(v) for v in a.groups.values()]
    cells += no_indicators if a.indicators is None else [str(v) for v in a.indicators.values()]
    cells += [
        _cell(a.eligible),
        LIST_SEPARATOR.join(a.failed_conditions),
        LIST_SEPARATOR.join(a.direct_pass),
        a.tier or "",
        LIST_SEPARATOR.join(a.subsidies),
        LIST_SEPARATOR.join(a.potential_subsidies),
        LIST_SEPARATOR.join(a.unanswered),
        a.rules_version,
    ]
    return cells


def _cell(value: int | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@contextlib.contextmanager
def _csv_input(source: str, stdin: TextIO, stderr: TextIO) -> Iterator[TextIO]:
    if source == "-":
        yield stdin
        return
    try:
        with open(source, "rb") as raw:
            start = raw.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from None
    encoding = _sniff_encoding(start, complete=len(start) < _SNIFF_BYTES)
    if encoding is None:
        raise InputError(f"{source}: not UTF-8 or GB18030 text; save the sheet as “CSV UTF-8 (逗号分隔)”")
    if encoding == "gb18030":
        print(f"zjtx assess: note: reading {source} as GB18030 (Excel's Chinese CSV)", file=stderr)
    with open(source, encoding=encoding, newline="") as fh:
        yield fh


def _sniff_encoding(start: bytes, complete: bool) -> str | None:
    """utf-8-sig if the file begins as UTF-8 (with or without a BOM), else gb18030 if it can."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(start, final=complete)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


@contextlib.contextmanager
def _csv_output(output: str | None, stdout: TextIO) -> Iterator[TextIO]:
    if output is None:
        yield stdout
        return
    # utf-8-sig writes the byte-order mark that Excel needs to show Chinese
    with _output_file(output, encoding="utf-8-sig", newline="") as fh:
        yield fh


@contextlib.contextmanager
def _output_file(output: str, encoding: str, newline: str | None = None) -> Iterator[TextIO]:
    """Write `output` whole or not at all: into a temporary file renamed over it at the end.

    So a run that stops half-way leaves an earlier result intact, and `-o` may even name the
    input file. A path that is not a regular file (a pipe, a device) is written directly.
    """
    path = Path(output)
    if path.exists() and not path.is_file():
        with open(path, "w", encoding=encoding, newline=newline) as fh:
            yield fh
        return
    temp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(temp, "w", encoding=encoding, newline=newline) as fh:
            yield fh
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


# ---------------------------------------------------------------- shared


def _name(source: str) -> str:
    return "standard input" if source == "-" else source


def _summary(total: int, what: str, failed: int, blank: int = 0) -> str:
    noun = what if total != 1 else what.removesuffix("s")
    line = f"{total} {noun}: {total - failed - blank} assessed, {failed} failed"
    return line + (f", {blank} blank" if blank else "")
