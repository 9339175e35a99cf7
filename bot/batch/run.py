"""Scoring a sheet: header, rows, results and summary, from a CSV file or a workbook.

The flow of one run: find the header row (the first of the top rows that names a profile
field; rows above it, a title say, are copied as they are), read each row under it with
:class:`~bot.batch.cells.CellReader`, score it with :func:`rules.assess`, and write the
row back with the result columns after it; then the summary. Rows are read and written one
at a time, so any number of rows takes the same memory.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, TextIO
from xml.etree.ElementTree import ParseError

from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]

from bot.batch.cells import CellNote, CellProblem, CellReader
from bot.batch.columns import ColumnError, FieldColumn, Layout, layout
from bot.batch.files import InputError, output_file, output_path, shown_name
from bot.batch.progress import Progress
from bot.batch.results import HISTOGRAM_BINS, ResultColumns, Tally, result_names
from bot.batch.sheets import CsvSink, Row, Sheet, Sink, SummaryLine, WorkbookError, XlsxSink, csv_rows
from bot.batch.writer import WorkbookWriter
from dialogs import render
from dialogs.flow import exceeding
from dialogs.i18n import Catalogs, load_catalogs
from dialogs.parsing import format_decimal
from rules import ProfileError, Rules, assess, parse_profile
from rules.profile import Profile

__all__ = ["SheetRun", "assess_sheet"]

EXIT_OK: Final = 0
EXIT_SOME_FAILED: Final = 1
HEADER_SEARCH: Final = 10  # non-empty rows looked at for the header
# From this input size on, the output workbook is written by a second process (about a
# 5,000-row workbook): below it, starting that process costs more than it saves.
WRITER_PROCESS_BYTES: Final = 1 << 20
_SNIFF_BYTES: Final = 1 << 16
_NAME_CHARS: Final = 40
# Problems a damaged workbook raises while its rows are read (defusedxml refuses entity
# tricks in a workbook's XML with errors of its own).
_BROKEN: Final[tuple[type[Exception], ...]] = (
    ParseError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    DefusedXmlException,
)


# Message keys by column kind and by problem (tables, so that a test can check every key).
EXPECT: Final = {
    "money": "batch.expect.money",
    "percent": "batch.expect.percent",
    "years": "batch.expect.years",
    "choice": "batch.expect.choice",
    "multi": "batch.expect.multi",
    "yesno": "batch.expect.yesno",
}
PROBLEMS: Final = {
    "money.negative": "batch.err.negative",
    "money.too_large": "batch.err.too_large",
    "choice.too_many": "batch.err.too_many",
    "too_long": "batch.err.too_long",
    "date": "batch.err.date",
    "excel_error": "batch.err.excel_error",
}
REASONS: Final = {"range": "batch.err.range", "upper_bound": "batch.err.upper_bound"}


class SheetRun:
    """The words of one run: messages in the run's language, from the catalogs."""

    def __init__(self, cat: Catalogs, lang: str) -> None:
        self.cat, self.lang = cat, lang

    def t(self, key: str, **values: Any) -> str:
        return self.cat.text(self.lang, key, **values)

    def join(self, items: Sequence[str]) -> str:
        return self.t("list.sep").join(items)


def assess_sheet(
    source: str,
    fmt: str,
    output: str | None,
    sheet_name: str | None,
    lang: str | None,
    rules: Rules,
    today: date,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Score a CSV file or a workbook. Returns the exit status; raises :class:`InputError`
    (the file cannot be read), :class:`ColumnError` (its header cannot be scored)."""
    cat = load_catalogs()
    words = SheetRun(cat, lang or "zh")
    out_fmt = _output_format(output, fmt, words)
    if fmt == "xlsx":
        path = Path(source)
        try:
            sheet = Sheet(path, sheet_name)
        except WorkbookError as exc:
            raise InputError(words.t(exc.key, **exc.values)) from None
        source_of = _Source(
            sheet.rows(), sheet.rows_hint, path.name, sheet.title, _size(path), sheet.uncached_formulas
        )
        try:
            return _score(source_of, out_fmt, output, lang, rules, today, cat, stdout, stderr)
        except _BROKEN as exc:
            raise InputError(
                words.t("batch.file.broken", file=path.name, detail=str(exc) or type(exc).__name__)
            ) from None
        finally:
            sheet.close()
    if sheet_name is not None:
        raise InputError(words.t("batch.file.sheet_for_workbooks"))
    with _csv_input(source, stdin, stderr, words) as infile:
        reader = csv.reader(infile)
        name = Path(source).name if source != "-" else shown_name(source)
        size = _size(Path(source)) if source != "-" else 0
        try:
            return _score(
                _Source(csv_rows(reader), None, name, None, size),
                out_fmt,
                output,
                lang,
                rules,
                today,
                cat,
                stdout,
                stderr,
            )
        except UnicodeDecodeError as exc:
            raise InputError(
                words.t(
                    "batch.file.encoding",
                    file=shown_name(source),
                    line=reader.line_num + 1,
                    encoding=exc.encoding,
                )
            ) from None
        except csv.Error as exc:
            raise InputError(
                words.t("batch.file.csv", file=shown_name(source), line=reader.line_num, detail=str(exc))
            ) from None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _output_format(output: str | None, fmt: str, words: SheetRun) -> str:
    if output is None:
        if fmt == "xlsx":
            raise InputError(words.t("batch.file.needs_output"))
        return "csv"
    suffix = Path(output).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".csv":
        return "csv"
    if suffix in (".xls", ".ods", ".et", ".xlsb", ".numbers"):
        raise InputError(words.t("batch.file.output_kind", file=Path(output).name))
    return fmt


@dataclass(frozen=True)
class _Source:
    rows: Iterator[Row]
    rows_hint: int | None  # how many rows the sheet says it has, for the progress bar
    file_name: str
    sheet_title: str | None = None
    size: int = 0  # bytes: a large input's workbook is written by a process of its own
    # formula cells without a saved result (how many, the first few), once the rows are read
    uncached: Callable[[], tuple[int, list[str]]] = lambda: (0, [])


def _score(
    source: _Source,
    out_fmt: str,
    output: str | None,
    lang: str | None,
    rules: Rules,
    today: date,
    cat: Catalogs,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    rows, file_name, sheet_title = source.rows, source.file_name, source.sheet_title
    preamble, lay = _find_header(rows, rules, cat, lang, file_name)
    words = SheetRun(cat, lay.lang)
    results = ResultColumns(rules, cat, lay.lang, today)
    reader = CellReader(rules, today)
    tally = Tally()
    kept = lay.kept
    out_names = [lay.header[i] for i in kept] + results.headers
    position = {index: n for n, index in enumerate(kept)}
    comments = {len(kept) + results.subsidies_index: results.subsidies_note()}
    for col in lay.fields:
        if col.kind == "money" and not col.unit_given and col.index in position:
            comments[position[col.index]] = words.t("batch.note.column_in_yuan")
    total = None if source.rows_hint is None else max(source.rows_hint - len(preamble) - 1, 0)
    progress = Progress(stderr, total, words.t("batch.progress"), words.t("batch.rows"))

    def run(sink: Sink, preamble_row: Any) -> None:
        for values, _ in preamble:
            preamble_row([values[i] if i < len(values) else None for i in kept] + [None] * results.width)
        sink.header(out_names, len(kept), comments)
        number = len(preamble) + 1  # the header's row number; a sheet counts from 1
        for values, formats in rows:
            number += 1
            progress.tick()
            copied = [values[i] if i < len(values) else None for i in kept]
            copied_formats = [formats[i] if i < len(formats) else None for i in kept] if formats else None
            if all(_blank(v) for v in copied) and all(_blank(v) for v in values[lay.width :]):
                tally.blank += 1  # an earlier run's results alone do not make a row
                sink.row(copied, copied_formats, [*results.empty(), None, None])
                continue
            tally.rows += 1
            notes: list[CellNote] = []
            try:
                assessment = _assess_row(values, formats, lay, reader, rules, today, words, notes)
            except _RowProblems as problems:
                tally.failed += 1
                where = _row_label(number, values, lay, words)
                error = words.t(
                    "batch.err.row", where=where, errors=words.t("batch.sep").join(problems.items)
                )
                sink.row(copied, copied_formats, [*results.empty(), None, error])
                continue
            tally.add(assessment)
            tally.conservative += bool(notes)
            sink.row(copied, copied_formats, [*results.cells(assessment), _notes_text(notes, words), None])
        progress.done()
        tally.uncached = source.uncached()
        lines = _summary_lines(tally, lay, reader, results, words, file_name, sheet_title, today, rules)
        sink.summary(
            words.t("batch.summary.sheet"), lines, words.t("batch.summary.histogram"), _histogram(tally)
        )

    if out_fmt == "xlsx":
        assert output is not None
        widths = [_width(lay, i) for i in kept] + _result_widths(results)
        numeric = {
            position[c.index]
            for c in lay.fields
            if c.kind in ("money", "percent", "years") and c.index in position
        }
        title = sheet_title or words.t("batch.results.sheet")
        with output_path(output) as path:
            if source.size >= WRITER_PROCESS_BYTES:
                writer = WorkbookWriter(title, len(preamble) + 1, widths, numeric)
                try:
                    run(writer, writer.preamble)
                    writer.save(path)
                finally:
                    writer.close()
            else:
                sink = XlsxSink(title, len(preamble) + 1, widths, numeric)
                try:
                    run(sink, sink.preamble)
                except BaseException:
                    sink.discard()
                    raise
                sink.save(path)
    else:
        with _csv_output(output, stdout) as out:
            csv_sink = CsvSink(out, words.t("batch.header.with_note"))
            run(csv_sink, lambda cells: csv_sink.row(cells, None, []))
    for note in _notes(lay, reader, tally, results, words):
        print(f"zjtx assess: {note}", file=stderr)
    print(_summary_text(tally, words), file=stderr)
    return EXIT_SOME_FAILED if tally.failed else EXIT_OK


# ---------------------------------------------------------------- the header


def _find_header(
    rows: Iterator[Row], rules: Rules, cat: Catalogs, lang: str | None, file_name: str
) -> tuple[list[Row], Layout]:
    """(rows above the header, the header's layout). Raises :class:`InputError` for a
    sheet with no rows, :class:`ColumnError` for one whose top rows name no field."""
    names = result_names(rules, cat)
    before: list[Row] = []
    looked = 0
    for row in rows:
        values, _ = row
        if all(_blank(v) for v in values):
            before.append(row)
            continue
        looked += 1
        header = [_header_text(v) for v in values]
        found = layout(header, rules, names, lang)
        if found.fields:
            return before, found
        before.append(row)
        if looked >= HEADER_SEARCH:
            break
    words = SheetRun(cat, lang or "zh")
    if not looked:
        raise InputError(words.t("batch.file.empty", file=file_name))
    examples = [f.label.get(words.lang) for f in rules.fields.field[:3]]
    raise ColumnError(
        "batch.header.no_fields", file=file_name, rows=str(looked), examples=words.join(examples)
    )


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------- rows


class _RowProblems(Exception):
    def __init__(self, items: list[str]) -> None:
        super().__init__(items)
        self.items = items


def _assess_row(
    values: list[Any],
    formats: list[str | None] | None,
    lay: Layout,
    reader: CellReader,
    rules: Rules,
    today: date,
    words: SheetRun,
    notes: list[CellNote],
) -> Any:
    """Score one row; a range or a bound read at its conservative end goes to `notes`.
    Raises :class:`_RowProblems` naming every cell that cannot be read."""
    problems: list[str] = []
    extra = next((i for i in range(lay.width, len(values)) if not _blank(values[i])), None)
    if extra is not None:
        problems.append(words.t("batch.err.extra_cells", column=_column_name(extra)))
    data: dict[str, Any] = {}
    for col in lay.fields:
        if col.index >= len(values):
            continue
        value = values[col.index]
        if value is None or value == "":
            continue  # unanswered; most cells of a wide sheet are
        try:
            answer = reader.read(
                col, value, formats[col.index] if formats and col.index < len(formats) else None, notes
            )
        except CellProblem as problem:
            problems.append(
                words.t("batch.err.cell", column=col.name, problem=_problem_text(problem, col, words))
            )
            continue
        if answer is not None:
            data[col.field] = answer
    if problems:
        raise _RowProblems(problems)
    try:
        profile = parse_profile(data, rules.contacts.districts)
    except ProfileError as exc:
        by_field = {c.field: c.name for c in lay.fields}
        raise _RowProblems(
            [
                words.t(
                    "batch.err.cell",
                    column=by_field.get(f, f),
                    problem=words.t("batch.err.invalid", detail=m),
                )
                for f, m in exc.errors
            ]
        ) from None
    broken = exceeding(profile.model_dump())
    if broken:  # where the chat asks back ("研发费用高于营业收入…确定吗？"), a sheet cannot
        raise _RowProblems([_exceeds_text(a, b, profile, lay, words) for a, b in broken])
    return assess(profile, rules, today)


def _exceeds_text(a: str, b: str, profile: Profile, lay: Layout, words: SheetRun) -> str:
    """ "研发费用（600 万元）高于营业收入（1.2 万元）…": both figures, by their columns' names."""
    names = {c.field: c.name for c in lay.fields}

    def shown(field: str) -> str:
        return render.money(getattr(profile, field), words.lang, words.cat)

    return words.t(
        "batch.err.exceeds",
        column=names.get(a, a),
        value=shown(a),
        other_column=names.get(b, b),
        other=shown(b),
    )


def _problem_text(problem: CellProblem, col: FieldColumn, words: SheetRun) -> str:
    """What is wrong with one cell, in words, and what the column expects."""
    details = {k: (format_decimal(v) if isinstance(v, Decimal) else v) for k, v in problem.details.items()}
    shown = str(details.get("item", problem.text))
    reason = details.get("reason")
    if isinstance(reason, str) and reason in REASONS:
        return words.t(REASONS[reason], text=shown)
    if problem.code == "percent.range":
        low, high = details.get("low"), details.get("high")
        if high is None:
            return words.t("batch.err.percent_low", text=shown, low=low)
        if low is None:
            return words.t("batch.err.percent_high", text=shown, high=high)
        return words.t("batch.err.percent_range", text=shown, low=low, high=high)
    if problem.code == "implausible":  # where the chat asks back: the likelier reading, if any
        value, other = problem.details.get("value"), problem.details.get("alternative")
        assert isinstance(value, Decimal)
        figure = render.figure(col.kind, value, words.lang, words.cat)
        # "“12000000”即 1200 亿元": how the cell was read, unless it reads as it is written
        same = "".join(figure.split()) == "".join(shown.split())
        read_as = "" if same else words.t("batch.err.read_as", value=figure)
        if not isinstance(other, Decimal):
            return words.t("batch.err.implausible", text=shown, read_as=read_as)
        likelier = render.figure(col.kind, other, words.lang, words.cat)
        return words.t("batch.err.implausible_alternative", text=shown, read_as=read_as, alternative=likelier)
    if problem.code == "small_in_yuan":  # a bare number in a column without a unit, too small as yuan
        value, other = problem.details["value"], problem.details["alternative"]
        assert isinstance(value, Decimal) and isinstance(other, Decimal)
        return words.t(
            "batch.err.small_in_yuan",
            text=shown,
            value=render.money(value, words.lang, words.cat),
            alternative=render.money(other, words.lang, words.cat),
        )
    if problem.code == "choice.ambiguous":
        return words.t("batch.err.ambiguous", text=shown)
    expected = words.t(EXPECT[col.kind])
    if problem.code in PROBLEMS:
        return words.t(PROBLEMS[problem.code], text=shown, expected=expected)
    return words.t("batch.err.unreadable", text=shown, expected=expected)


def _notes_text(notes: list[CellNote], words: SheetRun) -> str | None:
    """The row's notes: each range or bound and the conservative end it was scored at."""
    if not notes:
        return None
    lang, cat = words.lang, words.cat
    return words.t("batch.sep").join(
        words.t(
            "batch.note.conservative",
            column=n.column.name,
            text=n.text,
            value=render.figure(n.column.kind, n.value, lang, cat),
            reading=render.figure_given(n.given, n.column.kind, lang, cat),
        )
        for n in notes
    )


def _row_label(number: int, values: list[Any], lay: Layout, words: SheetRun) -> str:
    name = values[lay.name_column] if lay.name_column is not None and lay.name_column < len(values) else None
    if _blank(name):
        return words.t("batch.row", row=number)
    text = " ".join(str(name).split())
    if len(text) > _NAME_CHARS:
        text = text[: _NAME_CHARS - 1] + "…"
    return words.t("batch.row.named", row=number, name=text)


def _column_name(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---------------------------------------------------------------- summary


def _histogram(tally: Tally) -> list[tuple[str, int]]:
    if not tally.enterprises:
        return []
    bins = []
    for n, count in enumerate(tally.histogram):
        low, high = n * 10, (n * 10 + 9 if n < HISTOGRAM_BINS - 1 else 100)
        bins.append((f"{low}–{high}", count))
    return bins


def _summary_lines(
    tally: Tally,
    lay: Layout,
    reader: CellReader,
    results: ResultColumns,
    words: SheetRun,
    file_name: str,
    sheet_title: str | None,
    today: date,
    rules: Rules,
) -> list[SummaryLine]:
    t = words.t
    source = (
        file_name if sheet_title is None else t("batch.summary.in_sheet", file=file_name, sheet=sheet_title)
    )
    lines = [
        SummaryLine(t("batch.summary.title")),
        SummaryLine(t("batch.summary.file"), source),
        SummaryLine(t("batch.summary.today"), today.isoformat()),
        SummaryLine(t("batch.summary.rules_version"), rules.version),
        SummaryLine(t("batch.summary.rows"), tally.rows),
        SummaryLine(t("batch.summary.scored"), tally.scored),
        SummaryLine(t("batch.summary.failed"), tally.failed),
        SummaryLine(t("batch.summary.blank"), tally.blank),
        SummaryLine(t("batch.summary.institutions"), tally.institutions),
        SummaryLine(t("batch.summary.eligible"), tally.eligible_share, share=True)
        if tally.eligible_share is not None
        else SummaryLine(t("batch.summary.eligible"), "—"),
        SummaryLine(""),
        SummaryLine(t("batch.summary.tiers")),
    ]
    for tier in reversed(rules.tiers.tier):
        lines.append(SummaryLine(tier.label.get(words.lang), tally.tiers.get(tier.id, 0)))
    lowest = rules.tiers.tier[0].label.get(words.lang)
    lines.append(SummaryLine(t("batch.tier.none", tier=lowest), tally.tiers.get(None, 0)))
    notes = _notes(lay, reader, tally, results, words)
    note = results.subsidies_note()
    if note:
        notes.append(t("batch.summary.subsidies", note=note))
    if notes:
        lines += [SummaryLine(""), SummaryLine(t("batch.summary.notes"))]
        lines += [SummaryLine(str(n + 1), text) for n, text in enumerate(notes)]
    lines += [SummaryLine(""), SummaryLine(t("batch.summary.histogram"))]
    return lines


def _notes(
    lay: Layout, reader: CellReader, tally: Tally, results: ResultColumns, words: SheetRun
) -> list[str]:
    notes = []
    if reader.bare_in_yuan:
        notes.append(words.t("batch.note.in_yuan", columns=words.join(list(reader.bare_in_yuan))))
    if tally.conservative:
        notes.append(
            words.t("batch.note.conservative_rows", rows=tally.conservative, column=results.headers[-2])
        )
    for column, field in lay.near_misses:
        notes.append(words.t("batch.note.near_miss", column=column, field=field))
    count, cells = tally.uncached
    if count:  # read as their results, they were empty: said, not left blank in silence
        more = words.t("batch.note.more") if count > len(cells) else ""
        notes.append(words.t("batch.note.uncached", n=count, cells=words.join(cells) + more))
    return notes


def _summary_text(tally: Tally, words: SheetRun) -> str:
    rows = tally.rows + tally.blank
    text = words.t("batch.summary.line", rows=rows, scored=tally.scored, failed=tally.failed)
    if tally.blank:
        text += words.t("batch.summary.line_blank", blank=tally.blank)
    return text


def _width(lay: Layout, index: int) -> float:
    if index == lay.name_column:
        return 30
    return min(max(len(lay.header[index]) * 2.2, 10), 24) if index < len(lay.header) else 10


def _result_widths(results: ResultColumns) -> list[float]:
    return [10.0 if i in results.narrow_columns else 36.0 for i in range(results.width)]


# ---------------------------------------------------------------- CSV files


@contextlib.contextmanager
def _csv_input(source: str, stdin: TextIO, stderr: TextIO, words: SheetRun) -> Iterator[TextIO]:
    if source == "-":
        yield stdin
        return
    try:
        with open(source, "rb") as raw:
            start = raw.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(
            words.t("batch.file.cannot_read", file=source, reason=exc.strerror or str(exc))
        ) from None
    encoding = _sniff_encoding(start, complete=len(start) < _SNIFF_BYTES)
    if encoding is None:
        raise InputError(words.t("batch.file.not_text", file=source))
    if encoding == "gb18030":
        print(f"zjtx assess: {words.t('batch.note.gb18030', file=source)}", file=stderr)
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
    with output_file(output, encoding="utf-8-sig", newline="") as fh:
        yield fh
