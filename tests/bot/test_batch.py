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


# ---------------------------------------------------------------- numbers no profile takes


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("1e999999999", "1e999999999 must be a finite number"),  # took minutes as an exact fraction
        ("1e400", "1e400 must be a finite number"),  # was read as inf and scored
        ("-1e400", "-1e400 must be a finite number"),
        ("9" * 5000, "999999999999…(5,000 characters) has 5,000 digits"),  # was a traceback
        ("0." + "1" * 5000, "0.1111111111…(5,002 characters) has 5,000 digits"),
        ("1e-999999999", "1e-999999999 has more than 100 decimal places"),
    ],
)
def test_a_number_no_profile_takes_is_refused_naming_the_field(
    capsys: pytest.CaptureFixture[str], number: str, words: str
) -> None:
    status, out, err = run(capsys, "assess", "-", stdin=f'{{"revenue": {number}}}')
    assert (status, out) == (1, "")
    assert f"revenue: {words}" in err and err.count("\n") == 1 and "Traceback" not in err
    assert len(err) < 300  # 5,000 digits are not echoed


def test_an_impossible_number_in_a_list_fails_its_item_only(capsys: pytest.CaptureFixture[str]) -> None:
    stdin = f'[{{"revenue": 1e400}}, {json.dumps(EXAMPLE_A)}, {{"profit": {"1" * 5000}}}]'
    status, out, err = run(capsys, "assess", "-", stdin=stdin)
    results = json.loads(out)
    assert status == 1 and results[1]["score"] == 72
    assert results[0] == {
        "error": "revenue: 1e400 must be a finite number (it is beyond ±1.8e308)",
        "index": 0,
    }
    assert (
        results[2]["index"] == 2
        and "profit: " in results[2]["error"]
        and "5,000 digits" in results[2]["error"]
    )
    assert err.strip() == "3 profiles: 1 assessed, 2 failed"


# ---------------------------------------------------------------- what the chat asks back


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"revenue": 12000, "rd_expense": 6000000}, ["rd_expense: 6000000 is above revenue (12000)"]),
        (
            {"revenue": 12000, "rd_expense": 6000000, "profit": 50000},
            ["rd_expense: 6000000 is above revenue", "profit: 50000 is above revenue (12000)"],
        ),
        ({"revenue": 2 * 10**10}, ["revenue: 20000000000 is outside the plausible 0 to 10000000000 (yuan)"]),
        ({"debt_ratio_pct": 0.5}, ["debt_ratio_pct: 0.5 is outside", "50 if a fraction was meant"]),
    ],
)
def test_a_profile_the_chat_would_ask_back_is_refused(
    capsys: pytest.CaptureFixture[str], changes: dict[str, Any], words: list[str]
) -> None:
    status, out, err = run(capsys, "assess", "-", stdin=json.dumps({**EXAMPLE_A, **changes}))
    assert (status, out) == (1, "")
    assert all(w in err for w in words), err


def test_a_loss_or_no_revenue_with_no_rd_is_taken(capsys: pytest.CaptureFixture[str]) -> None:
    profile = {**EXAMPLE_A, "revenue": 0, "rd_expense": 0, "profit": -3_000_000}
    status, out, _ = run(capsys, "assess", "-", stdin=json.dumps(profile))
    assert status == 0 and "score" in json.loads(out)


# ---------------------------------------------------------------- a list read item by item


def _random_value(rnd: Any, depth: int = 0) -> Any:
    kind = rnd.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return rnd.randint(-(10**12), 10**12)
    if kind == 1:
        return rnd.choice([0.5, 12.25, -3.0, 1e-7, 123456.789])
    if kind == 2:
        return "".join(rnd.choice('ab"\\\n中文é \u2028') for _ in range(rnd.randrange(12)))
    if kind == 3:
        return rnd.choice([True, False, None])
    if kind == 4:
        return rnd.randrange(10)
    if kind in (5, 6):
        return {f"k{i}": _random_value(rnd, depth + 1) for i in range(rnd.randrange(4))}
    return [_random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_a_list_read_in_chunks_gives_what_json_loads_gives(chunk: int) -> None:
    """Items cut anywhere by the chunk boundary (a number after "1.", "tru", a string's
    escape) come out whole, exactly as json.loads reads them (numbers as Decimals/ints)."""
    import random
    from decimal import Decimal

    from bot.batch.json_io import list_items

    rnd = random.Random(chunk)
    for _ in range(40):
        data = [_random_value(rnd) for _ in range(rnd.randrange(6))]
        text = json.dumps(data, ensure_ascii=rnd.random() < 0.5, indent=rnd.choice([None, 1]))
        expected = json.loads(text, parse_float=Decimal)
        assert list(list_items(io.StringIO(text), "-", chunk)) == expected, text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[{"a": 1},', "the list is not closed with ]"),
        ('[{"a": 1} {"b": 2}]', "expecting , or ] after an item"),
        ('[{"a": 1},]', "a comma before ]"),
        ('[{"a": 1}] x', "extra data after the list"),
        ('[{"a": 1}, {"b": }]', "not valid JSON: Expecting value at character 17"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_a_broken_list_says_where(text: str, words: str) -> None:
    from bot.batch.files import InputError
    from bot.batch.json_io import list_items

    with pytest.raises(InputError) as caught:
        list(list_items(io.StringIO(text), "in.json", chunk=4))
    assert words in str(caught.value)


def test_a_broken_list_writes_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The first items are scored before the break is found: nothing of them is written."""
    target = tmp_path / "out.json"
    stdin = f"[{json.dumps(EXAMPLE_A)}, {json.dumps(EXAMPLE_B)}, {{"
    status, out, err = run(capsys, "assess", "-", "-o", str(target), stdin=stdin)
    assert (status, out) == (2, "") and not target.exists() and "not valid JSON" in err
    status, out, err = run(capsys, "assess", "-", stdin=stdin)
    assert (status, out) == (2, "") and "not valid JSON" in err
