"""``zjtx assess``: score profiles from a JSON file, a CSV file or an Excel workbook.

JSON in, JSON out (:mod:`bot.batch.json_io`)
    ``zjtx assess FILE|-`` reads one profile object, or a list of them, and writes the
    assessment (docs/interfaces.md#assessment), or the list of assessments, to standard output or ``-o``.

Sheets in, sheets out (:mod:`bot.batch.run`)
    ``zjtx assess in.xlsx -o out.xlsx`` (or ``in.csv -o out.csv``, in any combination)
    scores a sheet of one enterprise a row, as staff keep them: the header names fields by
    id or by Chinese or English label, with the unit in brackets (营业收入（万元）); cells
    are read by the chat's parsers (1.5亿, 92%, 市级, 是, ISO9001,自主品牌); other columns
    (企业名称, 统一社会信用代码, 备注…) are kept in place; the result columns come after
    them, in the sheet's language; a workbook gets a second sheet with the run's summary.
    ``--sheet NAME`` picks a worksheet (default: the first). A row that cannot be scored
    gets the reason in the error column, naming the row as the sheet numbers it, the
    enterprise and the column. The columns are listed in the README, generated from the
    rules data (:mod:`bot.batch.docs`).

The template (:mod:`bot.batch.template`)
    ``zjtx assess --template [-o 评估模板.xlsx] [--lang en]`` writes a workbook to fill in.

Exit status: 0 when every profile or row was scored; 1 when some could not be (the others
are still written) or the header cannot be scored (nothing is written); 2 when the input
cannot be read at all (a missing file, an old .xls, text that is not JSON, a bad
``--today``). Problems are reported on standard error in one line, never as a traceback.
A file named by ``-o`` is replaced only when the run gets to the end.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Final, TextIO

from bot.batch.columns import ColumnError, has_chinese
from bot.batch.files import InputError, output_path
from bot.batch.json_io import assess_json
from dialogs.i18n import load_catalogs
from rules import default_rules

__all__ = ["EXIT_OK", "EXIT_SOME_FAILED", "EXIT_UNREADABLE", "add_parser", "run_assess"]

EXIT_OK: Final = 0
EXIT_SOME_FAILED: Final = 1
EXIT_UNREADABLE: Final = 2
EXIT_INTERRUPTED: Final = 130  # as a shell reports a Ctrl-C

_ZIP: Final = b"PK\x03\x04"
_OLE: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and password-protected .xlsx
_OTHER_SHEETS: Final = (".xls", ".ods", ".et", ".xlsb", ".numbers")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``zjtx assess`` to the command line."""
    from bot.batch.docs import help_epilog

    p = sub.add_parser(
        "assess",
        help="score profiles: a JSON object or list, a CSV file or an .xlsx workbook; or write a template",
        description="Score profiles from JSON, or a sheet of enterprises from a CSV file or a workbook.",
        epilog=help_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "input",
        nargs="?",
        help="a .json, .csv or .xlsx file, or - for standard input (JSON unless --format csv)",
    )
    p.add_argument(
        "-o", "--output", help="write the result here: .xlsx, .csv or .json (default: standard output)"
    )
    p.add_argument(
        "--format",
        choices=["json", "csv", "xlsx"],
        help="the input's format (default: from the file itself and its name)",
    )
    p.add_argument("--sheet", help="a workbook's worksheet to score (default: the first)")
    p.add_argument(
        "--lang", choices=["zh", "en"], help="the language of headers and messages (default: the sheet's)"
    )
    p.add_argument(
        "--template", action="store_true", help="write a workbook to fill in (default: 评估模板.xlsx)"
    )
    p.add_argument("--today", help="score as of this date, YYYY-MM-DD (default: today)")
    p.add_argument("--explain", action="store_true", help="JSON: add the structured explanation")
    p.add_argument("--pdf", metavar="FILE", help="one JSON profile: also write its PDF report to FILE")
    p.add_argument("--pdf-lang", choices=["zh", "en"], default="zh", help="the PDF report's language (zh)")


def run_assess(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``zjtx assess`` with parsed `args`; returns the exit status."""
    cat = load_catalogs()
    lang = getattr(args, "lang", None)
    try:
        if getattr(args, "template", False):
            return _write_template(args.input, args.output, lang or "zh", stderr)
        if args.input is None:
            raise InputError(cat.text(lang or "zh", "batch.file.nothing"))
        today = _today(args.today)
        fmt = input_format(args.input, args.format)
        if fmt == "other":
            raise InputError(cat.text(lang or "zh", "batch.file.xls", file=Path(args.input).name))
        if fmt != "json" and args.explain:
            raise InputError("--explain adds to JSON output only; a spreadsheet has no room for it")
        pdf = getattr(args, "pdf", None)
        if fmt != "json" and pdf:
            raise InputError("--pdf writes the report of one JSON profile, not of a spreadsheet")
        rules = default_rules()
        if fmt == "json":
            pdf_lang = getattr(args, "pdf_lang", "zh")
            return assess_json(
                args.input, args.output, args.explain, rules, today, stdin, stdout, stderr, pdf, pdf_lang
            )
        if fmt == "xlsx" and args.input == "-":
            raise InputError(cat.text(lang or "zh", "batch.file.workbook_stdin"))
        from bot.batch.run import assess_sheet  # openpyxl is loaded only for sheets

        sheet = getattr(args, "sheet", None)
        return assess_sheet(args.input, fmt, args.output, sheet, lang, rules, today, stdin, stdout, stderr)
    except InputError as exc:
        print(f"zjtx assess: {exc}", file=stderr)
        return EXIT_UNREADABLE
    except ColumnError as exc:
        print(f"zjtx assess: {cat.text(lang or _lang_of(exc), exc.key, **exc.values)}", file=stderr)
        return EXIT_SOME_FAILED
    except OSError as exc:  # a file that cannot be opened, read or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"zjtx assess: {where}{exc.strerror or exc}", file=stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:  # Ctrl-C: the output file, if any, was left as it was
        print(f"\nzjtx assess: {cat.text(lang or 'zh', 'batch.interrupted')}", file=stderr)
        return EXIT_INTERRUPTED


def _lang_of(exc: ColumnError) -> str:
    return "zh" if any(has_chinese(v) for v in exc.values.values()) else "en"


def _today(text: str | None) -> date:
    # The real date is read here, at the edge; the engine only ever gets it injected.
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--today {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-01-01") from None


def input_format(source: str, given: str | None) -> str:
    """json, csv, xlsx, or other (a spreadsheet format that cannot be read: .xls, .ods…).

    A file's first bytes win over its name: an .xlsx saved as "data.csv" is a workbook.
    """
    if given is not None:
        return given
    if source == "-":
        return "json"
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix in _OTHER_SHEETS:
        return "other"
    try:
        with path.open("rb") as fh:
            start = fh.read(8)
    except OSError:
        start = b""
    if start.startswith(_ZIP):
        return "xlsx"
    if start.startswith(_OLE):
        return "other"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    return "csv" if suffix == ".csv" else "json"


def _write_template(source: str | None, output: str | None, lang: str, stderr: TextIO) -> int:
    from bot.batch.template import build_template, template_name

    cat = load_catalogs()
    if source is not None:
        raise InputError(cat.text(lang, "batch.template.no_input"))
    target = output or template_name(lang, cat)
    if output is None and Path(target).exists():
        # never over a template someone may have filled in
        raise InputError(cat.text(lang, "batch.template.exists", file=target))
    if Path(target).suffix.lower() != ".xlsx":
        raise InputError(cat.text(lang, "batch.template.suffix", file=target))
    book = build_template(default_rules(), cat, lang)
    with output_path(target) as path:
        book.save(path)
    print(f"zjtx assess: {cat.text(lang, 'batch.template.written', file=target)}", file=stderr)
    return EXIT_OK
