"""``zjtx assess`` on JSON: one profile object, or a list of them (docs/interfaces.md#command-line).

The assessment (docs/interfaces.md#assessment), or the list of assessments, goes to
standard output or ``-o``; ``--explain`` adds each assessment's structured explanation
under ``"explanation"``. Numbers are read exactly (``12.5`` stays 12.5, never a binary
float). In a list, a profile that cannot be scored is replaced by
``{"error": "…", "index": N}`` (N counts from 0) and the others are still scored.
``--pdf FILE`` (one profile only) also writes the profile's PDF report, in ``--pdf-lang``.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from bot.batch.files import InputError, output_file, output_path, shown_name
from rules import Assessment, ProfileError, Rules, assess, parse_profile

__all__ = ["assess_json"]

EXIT_OK = 0
EXIT_SOME_FAILED = 1


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
    data = _read_json(source, stdin)
    districts = rules.contacts.districts
    if pdf and not isinstance(data, dict):
        raise InputError(
            f"{shown_name(source)}: --pdf writes the report of one profile (a JSON object), not a list"
        )

    def scored(profile_data: Any) -> dict[str, Any]:
        assessment = assess(parse_profile(profile_data, districts), rules, today)
        return _as_json(assessment, explain)

    if isinstance(data, dict):
        try:
            result: Any = scored(data)
        except ProfileError as exc:
            print(f"zjtx assess: {shown_name(source)}: the profile cannot be scored: {exc}", file=stderr)
            return EXIT_SOME_FAILED
        report = _report(data, rules, today, pdf_lang) if pdf else None  # made before anything is written
        _write_json(result, output, stdout)
        if pdf and report is not None:
            with output_path(pdf) as path:  # whole or not at all, as -o
                path.write_bytes(report)
        return EXIT_OK

    if not isinstance(data, list):
        raise InputError(f"{shown_name(source)}: expected a profile (a JSON object) or a list of them")
    results: list[dict[str, Any]] = []
    failed = 0
    for index, item in enumerate(data):
        try:
            results.append(scored(item))
        except ProfileError as exc:
            failed += 1
            results.append({"error": str(exc), "index": index})
    _write_json(results, output, stdout)
    print(_summary(len(data), failed), file=stderr)
    return EXIT_SOME_FAILED if failed else EXIT_OK


def _report(data: dict[str, Any], rules: Rules, today: date, lang: str) -> bytes:
    from bot.media import report_pdf  # Pillow and fpdf2 are loaded only for a report

    return report_pdf(data, rules, today, lang)


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
        raise InputError(f"{shown_name(source)}: not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{shown_name(source)}: not valid JSON: nested too deeply") from None


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
