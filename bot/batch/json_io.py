"""``zjtx assess`` on JSON: one profile object, or a list of them (docs/interfaces.md#command-line).

The assessment (docs/interfaces.md#assessment), or the list of assessments, goes to
standard output or ``-o``; ``--explain`` adds each assessment's structured explanation
under ``"explanation"``. Numbers are read exactly (``12.5`` stays 12.5, never a binary
float), and a number no profile takes (beyond ±1.8e308, more than 100 digits) is refused
as its text is read, before any arithmetic (:func:`rules.profile.json_number`). In a list,
a profile that cannot be scored is replaced by ``{"error": "…", "index": N}`` (N counts
from 0) and the others are still scored. A list is read and scored one item at a time
(:func:`list_items`), so its size does not matter; its results go to a temporary file
first, so the output is written whole or not at all. ``--pdf FILE`` (one profile only)
also writes the profile's PDF report, in ``--pdf-lang``.

The answers go through the same checks as the chat's before a figure is taken — each
figure within its plausible range (``rules/data/plausibility.toml``), R&D and profit not
above the revenue (:data:`dialogs.flow.PLAUSIBILITY`): where the chat asks back, a file
cannot be, so such a profile is refused with the figures named.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any, Final, TextIO

from bot.batch.files import InputError, output_file, output_path, shown_name
from dialogs.flow import exceeding
from dialogs.parsing import format_decimal
from rules import Assessment, ProfileError, Rules, assess, parse_profile
from rules.figures import FigureRule
from rules.profile import Profile, json_number

__all__ = ["assess_json", "list_items"]

EXIT_OK = 0
EXIT_SOME_FAILED = 1
CHUNK_CHARS: Final = 1 << 20  # characters read at a time from a list
_SPACE: Final = " \t\n\r"
_MARGIN: Final = 16  # characters from the end of what was read within which a value may be cut


def assess_json(
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
    districts = rules.contacts.districts

    def scored(profile_data: Any) -> dict[str, Any]:
        profile = parse_profile(profile_data, districts)
        _check_plausible(profile, rules)
        return _as_json(assess(profile, rules, today), explain)

    with _opened(source, stdin) as stream:
        text = _Text(stream, source)
        if text.skip_space() == "[":
            if pdf:
                name = shown_name(source)
                raise InputError(
                    f"{name}: --pdf writes the report of one profile (a JSON object), not a list"
                )
            return _assess_list(text.items(), scored, output, stdout, stderr)
        data = _loads(text.rest(), source)
    if not isinstance(data, dict):
        raise InputError(f"{shown_name(source)}: expected a profile (a JSON object) or a list of them")
    try:
        result = scored(data)
    except ProfileError as exc:
        print(f"zjtx assess: {shown_name(source)}: the profile cannot be scored: {exc}", file=stderr)
        return EXIT_SOME_FAILED
    report = _report(data, rules, today, pdf_lang) if pdf else None  # made before anything is written
    _write_json(result, output, stdout)
    if pdf and report is not None:
        with output_path(pdf) as path:  # whole or not at all, as -o
            path.write_bytes(report)
    return EXIT_OK


def _check_plausible(profile: Profile, rules: Rules) -> None:
    """What the chat asks back before taking it, refused (a file cannot be asked): a figure
    outside its plausible range (rules/data/plausibility.toml), and R&D or a profit above
    the revenue. Every such figure is named."""
    problems: list[tuple[str, str]] = []
    for field, rule in rules.figures.rules.items():
        value = getattr(profile, field, None)
        if isinstance(value, Decimal | int) and not rule.plausible(Decimal(value)):
            problems.append((field, _outside(value, rule)))
    for a, b in exceeding(profile.model_dump()):
        problems.append(
            (a, f"{getattr(profile, a)} is above {b} ({getattr(profile, b)}): check both figures and units")
        )
    if problems:
        raise ProfileError(problems)


def _outside(value: Decimal | int, rule: FigureRule) -> str:
    """ "0.5 is outside the plausible 1 to 100 (%; 50 if a fraction was meant): …"."""
    shown = format_decimal(Decimal(value))
    unit = {"yuan": "yuan", "pct": "%", "years": "years"}[rule.unit]
    if rule.unit == "pct" and 0 < value < 1:
        unit += f"; {format_decimal(Decimal(value) * 100)} if a fraction was meant"
    return (
        f"{shown} is outside the plausible {format_decimal(rule.min)} to {format_decimal(rule.max)}"
        f" ({unit}): the chat would ask it back, so check the figure"
    )


def _assess_list(
    items: Iterator[Any],
    scored: Callable[[Any], dict[str, Any]],
    output: str | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Score a list item by item, writing each result as it comes (to `output`, or to a
    temporary file copied to standard output at the end)."""
    total = failed = 0
    with _target(output, stdout) as out:
        for index, item in enumerate(items):
            try:
                result = scored(item)
            except ProfileError as exc:
                failed += 1
                result = {"error": str(exc), "index": index}
            out.write(("[\n" if index == 0 else ",\n") + _indented(result))
            total += 1
        out.write("\n]\n" if total else "[]\n")
    print(_summary(total, failed), file=stderr)
    return EXIT_SOME_FAILED if failed else EXIT_OK


def _indented(result: Any) -> str:
    """One list item as ``json.dumps(whole_list, indent=2)`` would write it."""
    text = json.dumps(result, ensure_ascii=False, indent=2)
    return "  " + text.replace("\n", "\n  ")


class _target:
    """Where a list's results are written: `output` whole or not at all, or a temporary file
    that is copied to `stdout` once every item is scored."""

    def __init__(self, output: str | None, stdout: TextIO) -> None:
        self.output, self.stdout = output, stdout

    def __enter__(self) -> TextIO:
        if self.output is not None:
            self._file = output_file(self.output, encoding="utf-8")
            return self._file.__enter__()
        self._temp: TextIO = tempfile.TemporaryFile("w+", encoding="utf-8")
        return self._temp

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if self.output is not None:
            self._file.__exit__(kind, exc, tb)
            return
        try:
            if kind is None:
                self._temp.seek(0)
                shutil.copyfileobj(self._temp, self.stdout)
        finally:
            self._temp.close()


class _opened:
    """The input as text: standard input, or the file decoded as UTF-8 (a BOM dropped)."""

    def __init__(self, source: str, stdin: TextIO) -> None:
        self.source, self.stdin = source, stdin
        self._file: TextIO | None = None

    def __enter__(self) -> TextIO:
        if self.source == "-":
            return self.stdin
        try:
            self._file = open(self.source, encoding="utf-8-sig")
        except OSError as exc:
            raise InputError(f"cannot read {self.source}: {exc.strerror or exc}") from None
        return self._file

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if self._file is not None:
            self._file.close()


class _Text:
    """The input read a chunk at a time, with the position reached in what has been read."""

    def __init__(self, stream: TextIO, source: str, chunk: int = CHUNK_CHARS) -> None:
        self.stream, self.source, self.chunk = stream, source, chunk
        self.buf, self.pos = "", 0
        self.consumed = 0  # characters of the input before buf[0]
        self.eof = False

    def more(self, size: int) -> bool:
        """Read up to `size` more characters (dropping what is behind the position)."""
        if self.eof:
            return False
        try:
            text = self.stream.read(size)
        except UnicodeDecodeError:
            raise InputError(f"{shown_name(self.source)}: not UTF-8 text") from None
        if not text:
            self.eof = True
            return False
        if self.consumed == 0 and self.pos == 0 and not self.buf:
            text = text.removeprefix("\ufeff")
        self.consumed += self.pos
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        return True

    def skip_space(self) -> str:
        """The next character that is not white space ("" at the end of the input)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more(self.chunk):
                return ""

    def rest(self) -> str:
        """Everything from the position to the end of the input."""
        while self.more(max(self.chunk, len(self.buf))):
            pass
        return self.buf[self.pos :]

    def invalid(self, message: str, at: int) -> InputError:
        return InputError(
            f"{shown_name(self.source)}: not valid JSON: {message} at character {self.consumed + at}"
        )

    def items(self) -> Iterator[Any]:
        """The items of the list whose opening bracket is at the position, one at a time."""
        decoder = _decoder()
        self.pos += 1
        index = 0
        while True:
            ahead = self.skip_space()
            if ahead == "]" and index == 0:
                self.pos += 1
                break
            if ahead == "":
                raise self.invalid("the list is not closed with ]", self.pos)
            item, self.pos = self._item(decoder)
            yield item
            index += 1
            ahead = self.skip_space()
            if ahead == ",":
                self.pos += 1
                if self.skip_space() == "]":
                    raise self.invalid("a comma before ]", self.pos)
                continue
            if ahead == "]":
                self.pos += 1
                break
            if ahead == "":
                raise self.invalid("the list is not closed with ]", self.pos)
            raise self.invalid("expecting , or ] after an item", self.pos)
        if self.skip_space() != "":  # nothing but white space may follow the list
            raise self.invalid("extra data after the list", self.pos)

    def _item(self, decoder: json.JSONDecoder) -> tuple[Any, int]:
        """One value decoded at the position, and where it ends. A value that reaches (or
        fails) near the end of what has been read may go on in the input (a number cut
        after "1.", a literal cut after "tru", a string): read more and decode it again."""
        while True:
            near_end = len(self.buf) - _MARGIN
            try:
                item, end = decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.pos >= near_end or exc.msg.startswith("Unterminated string")
                if cut and self.more(max(self.chunk, len(self.buf))):
                    continue
                raise self.invalid(exc.msg, exc.pos) from None
            except RecursionError:
                raise self.invalid("nested too deeply", self.pos) from None
            if end >= near_end and self.more(self.chunk):
                continue
            return item, end


def list_items(stream: TextIO, source: str, chunk: int = CHUNK_CHARS) -> Iterator[Any]:
    """The items of the JSON list `stream` holds, one at a time: the memory taken is that of
    one chunk and one item, whatever the list's length.

    Raises :class:`InputError` for text that is not a JSON list, saying where (counting
    characters from the start of the input)."""
    text = _Text(stream, source, chunk)
    if text.skip_space() != "[":
        raise text.invalid("expecting a list", text.pos)
    return text.items()


def _decoder() -> json.JSONDecoder:
    return json.JSONDecoder(parse_float=json_number, parse_int=json_number)


def _loads(text: str, source: str) -> Any:
    try:
        return _decoder().decode(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{shown_name(source)}: not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{shown_name(source)}: not valid JSON: nested too deeply") from None


def _report(data: dict[str, Any], rules: Rules, today: date, lang: str) -> bytes:
    from bot.media import report_pdf  # Pillow and fpdf2 are loaded only for a report

    return report_pdf(data, rules, today, lang)


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
    with output_file(output, encoding="utf-8") as fh:
        fh.write(text)


def _summary(total: int, failed: int) -> str:
    noun = "profiles" if total != 1 else "profile"
    return f"{total} {noun}: {total - failed} assessed, {failed} failed"
