"""``zjtx assess`` on JSON (docs/interfaces.md#command-line), driven through ``bot.cli.main`` and
once as a subprocess.

Sheets (CSV and workbooks) are tested in tests/bot/batch/.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from tests.rules.examples import EXAMPLE_A, EXAMPLE_B

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_FILE = ROOT / "bot" / "examples" / "profile.json"
BOM = "\ufeff"


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)  # restored by the `restore_stdin` fixture
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(autouse=True)
def restore_stdin() -> Iterator[None]:
    saved = sys.stdin
    yield
    sys.stdin = saved


# ---------------------------------------------------------------- JSON


def test_the_shipped_example_is_worked_example_a() -> None:
    assert json.loads(EXAMPLE_FILE.read_text(encoding="utf-8")) == EXAMPLE_A


def test_one_profile_from_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "assess", str(EXAMPLE_FILE), "--today", "2025-01-01")
    result = json.loads(out)
    assert status == 0 and err == ""
    assert (result["score"], result["eligible"], result["tier"]) == (72, True, "member")
    assert "explanation" not in result


def test_one_profile_from_stdin(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "assess", "-", stdin=BOM + json.dumps(EXAMPLE_B))
    assert status == 0
    assert json.loads(out)["failed_conditions"] == ["rd_expense", "score_or_direct"]


def test_numbers_are_read_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    # as a binary float this would be 80.0 and score 5
    status, out, _ = run(capsys, "assess", "-", stdin='{"main_business_share_pct": 79.99999999999999999}')
    assert status == 0 and json.loads(out)["indicators"]["1"] == 3


def test_explain_adds_the_explanation(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "assess", str(EXAMPLE_FILE), "--explain", "--today", "2025-01-01")
    explanation = json.loads(out)["explanation"]
    assert status == 0
    assert explanation["today"] == "2025-01-01"
    assert [i["number"] for i in explanation["indicators"]] == list(range(1, 14))
    assert {h["status"] for h in explanation["subsidy_hints"]} == {"expired"}


@pytest.mark.parametrize(("today", "status"), [("2024-12-31", "current"), ("2025-01-01", "expired")])
def test_today_is_injected(capsys: pytest.CaptureFixture[str], today: str, status: str) -> None:
    stdin = json.dumps({"certification": "provincial"})
    _, out, _ = run(capsys, "assess", "-", "--explain", "--today", today, stdin=stdin)
    assert {h["status"] for h in json.loads(out)["explanation"]["subsidy_hints"]} == {status}


def test_a_list_in_gives_a_list_out(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_json(tmp_path / "in.json", [EXAMPLE_A, EXAMPLE_B])
    status, out, err = run(capsys, "assess", str(source))
    assert status == 0
    assert [r["score"] for r in json.loads(out)] == [72, 62]
    assert err.strip() == "2 profiles: 2 assessed, 0 failed"


def test_bad_items_in_a_list(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_json(tmp_path / "in.json", [EXAMPLE_A, {"revenue": -1}, "x", {"ip": "Z"}])
    status, out, err = run(capsys, "assess", str(source))
    results = json.loads(out)
    assert status == 1
    assert results[0]["score"] == 72
    assert results[1] == {"error": "revenue: must be ≥ 0, got -1", "index": 1}
    assert results[2]["index"] == 2 and "JSON object" in results[2]["error"]
    assert results[3]["index"] == 3 and results[3]["error"].startswith("ip: unknown value 'Z'")
    assert err.strip() == "4 profiles: 1 assessed, 3 failed"


def test_one_bad_profile(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "assess", "-", stdin='{"revenue": 1, "colour": "red"}')
    assert (status, out) == (1, "")
    assert err.count("\n") == 1 and "colour: unknown field" in err


def test_output_to_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    status, out, _ = run(capsys, "assess", str(EXAMPLE_FILE), "-o", str(target))
    assert (status, out) == (0, "")
    assert json.loads(target.read_text(encoding="utf-8"))["score"] == 72


@pytest.mark.parametrize(
    ("stdin", "words"),
    [
        ('{"revenue": ', "not valid JSON"),
        ("", "not valid JSON"),
        ('"a profile"', "expected a profile (a JSON object) or a list"),
        ("42", "expected a profile"),
    ],
)
def test_unreadable_json(capsys: pytest.CaptureFixture[str], stdin: str, words: str) -> None:
    status, out, err = run(capsys, "assess", "-", stdin=stdin)
    assert (status, out) == (2, "")
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, "assess", str(tmp_path / "nothing.json"))
    assert status == 2 and "cannot read" in err and "nothing.json" in err


def test_a_folder_is_no_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, "assess", str(tmp_path))
    assert status == 2 and err.count("\n") == 1


def test_bad_today(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "assess", str(EXAMPLE_FILE), "--today", "31/12/2024")
    assert status == 2 and "YYYY-MM-DD" in err


# ---------------------------------------------------------------- the console script


def test_python_m_bot_assess(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "assess", str(EXAMPLE_FILE), "--today", "2025-01-01"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    result = json.loads(done.stdout)
    assert result["score"] == 72 and result["potential_subsidies"]
