"""``zjtx assess`` (docs/interfaces.md#command-line), driven through ``bot.cli.main`` and once as a
subprocess."""

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


# ---------------------------------------------------------------- CSV


def test_a_spreadsheet(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    header = list(EXAMPLE_A)
    cells = [";".join(v) if isinstance(v, list) else str(v) for v in EXAMPLE_A.values()]
    source = write_csv(tmp_path / "in.csv", [header, cells, ["" for _ in header]])
    target = tmp_path / "out.csv"
    status, out, err = run(capsys, "assess", str(source), "-o", str(target), "--today", "2025-01-01")
    assert (status, out) == (0, "")
    assert err.strip() == "2 rows: 1 assessed, 0 failed, 1 blank"
    assert target.read_text(encoding="utf-8").startswith(BOM)  # for Excel
    first, blank = read_csv(target)
    assert {k: first[k] for k in header} == dict(zip(header, cells, strict=True))
    assert first["score"] == "72" and first["error"] == ""
    groups = [first[g] for g in ("specialization", "refinement", "distinctiveness", "innovation")]
    assert [int(p) for p in groups] == [21, 21, 7, 23]
    assert [int(first[f"i{n}"]) for n in range(1, 14)] == [5, 10, 3, 3, 3, 5, 8, 5, 7, 6, 10, 3, 4]
    assert (first["eligible"], first["tier"], first["failed_conditions"]) == ("true", "member", "")
    assert set(first["potential_subsidies"].split(";")) == {
        "award_provincial",
        "efficiency_pilot",
        "industrial_housing",
        "digital_transformation",
        "land_priority",
        "traffic_exemption",
    }
    assert first["rules_version"] and first["unanswered"] == ""
    assert set(blank.values()) == {""}


def test_the_output_columns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["revenue", "quality"], ["1", ""]])
    target = tmp_path / "out.csv"
    run(capsys, "assess", str(source), "-o", str(target))
    with target.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    groups = ["specialization", "refinement", "distinctiveness", "innovation"]
    indicators = [f"i{n}" for n in range(1, 14)]
    lists = ["failed_conditions", "direct_pass", "tier", "subsidies", "potential_subsidies", "unanswered"]
    assert header == [
        "revenue",
        "quality",
        "score",
        *groups,
        *indicators,
        "eligible",
        *lists,
        "rules_version",
        "error",
    ]


def test_bad_rows_name_the_row_and_the_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows = [
        ["revenue", "rd_expense", "district", "certification", "main_business_share_pct"],
        ["120000000", "6000000", "天河区", "innovative", "92"],
        ["-5", "", "", "", ""],
        ["", "abc", "朝阳区", "", ""],
        ["", "", "", "national", "100.5"],
        ["1", "", "", "", ""],
    ]
    source = write_csv(tmp_path / "in.csv", rows)
    target = tmp_path / "out.csv"
    status, _, err = run(capsys, "assess", str(source), "-o", str(target))
    out = read_csv(target)
    assert status == 1
    assert err.strip() == "5 rows: 2 assessed, 3 failed"
    assert [r["error"] for r in out][::4] == ["", ""]
    assert out[1]["error"] == "row 3: revenue: must be ≥ 0, got -5" and out[1]["score"] == ""
    assert out[2]["error"].startswith(
        "row 4: rd_expense: must be a number; district: unknown district '朝阳区'"
    )
    assert "row 5: certification: unknown value 'national'" in out[3]["error"]
    assert "main_business_share_pct: must be ≤ 100" in out[3]["error"]
    assert out[1]["revenue"] == "-5"  # the input is copied as it was


def test_a_service_institution_row(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows = [["org_type", "registered_capital", "operates_park"], ["service_institution", "10000000", "是"]]
    target = tmp_path / "out.csv"
    status, _, _ = run(capsys, "assess", str(write_csv(tmp_path / "in.csv", rows)), "-o", str(target))
    (row,) = read_csv(target)
    assert status == 0
    assert (row["score"], row["i1"], row["innovation"], row["eligible"]) == ("", "", "", "")
    assert (row["tier"], row["subsidies"]) == ("director", "park_award")


def test_unknown_column_refuses_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["revenu", "ip", "公司名称"], ["1", "A", "某公司"]])
    target = tmp_path / "out.csv"
    status, out, err = run(capsys, "assess", str(source), "-o", str(target))
    assert (status, out) == (1, "")
    assert "“revenu” (did you mean “revenue”?)" in err and "“公司名称”" in err
    assert "Nothing was scored" in err and err.count("\n") == 1
    assert not target.exists()


def test_repeated_column_refuses_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["revenue", "ip", "revenue"], ["1", "A", "2"]])
    status, _, err = run(capsys, "assess", str(source))
    assert status == 1 and "“revenue” appears more than once" in err


def test_an_output_can_be_scored_again(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    source = write_csv(tmp_path / "in.csv", [["revenue", "ip"], ["1", "A"]])
    run(capsys, "assess", str(source), "-o", str(first))
    status, _, _ = run(capsys, "assess", str(first), "-o", str(second))
    assert status == 0
    assert second.read_text(encoding="utf-8-sig") == first.read_text(encoding="utf-8-sig")


def test_output_may_replace_the_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["ip"], ["A"], ["B"]])
    status, _, _ = run(capsys, "assess", str(source), "-o", str(source))
    assert status == 0 and [r["i10"] for r in read_csv(source)] == ["10", "8"]


def test_excel_chinese_csv_is_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "in.csv", [["district", "maker_top500"], ["黄埔区", "否"]], encoding="gb18030"
    )
    target = tmp_path / "out.csv"
    status, _, err = run(capsys, "assess", str(source), "-o", str(target))
    assert status == 0 and "GB18030" in err
    assert read_csv(target)[0]["district"] == "黄埔区"


def test_a_row_longer_than_the_header(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "in.csv", [["ip", ""], ["A", ""], ["A", "", ""], ["A", "x"], ["A", "", "y"]]
    )
    target = tmp_path / "out.csv"
    status, _, _ = run(capsys, "assess", str(source), "-o", str(target))
    errors = [r["error"] for r in read_csv(target)]
    assert status == 1
    assert errors[:2] == ["", ""]
    assert errors[2] == "row 4: column 2: has a value but no name in the header"
    assert errors[3].startswith("row 5: (row): has 3 cells")


def test_csv_on_stdin_and_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "assess", "-", "--format", "csv", stdin="ip,product_field\nA,A\n")
    (row,) = csv.DictReader(io.StringIO(out))
    assert status == 0 and (row["i10"], row["i4"], row["score"]) == ("10", "5", "15")


def test_explain_is_for_json_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["ip"], ["A"]])
    status, _, err = run(capsys, "assess", str(source), "--explain")
    assert status == 2 and "--explain" in err


@pytest.mark.parametrize("content", [b"", b"\n\n", "\ufeff".encode()])
def test_a_spreadsheet_without_header(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    status, _, err = run(capsys, "assess", str(source))
    assert status == 2 and "must name the columns" in err


def test_text_that_is_no_text_stops_and_keeps_the_old_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    good = "ip\n" + "A\n" * 40_000  # more than the part read to tell the encoding
    source.write_bytes(good.encode() + b"\xff\xfe\xfa\n")
    target = tmp_path / "out.csv"
    target.write_text("an earlier result", encoding="utf-8")
    status, _, err = run(capsys, "assess", str(source), "-o", str(target))
    assert status == 2 and "not utf-8" in err.lower() and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "an earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]  # no half-written file


class CountingLines:
    """Standard input that counts the lines read so far."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.read = 0

    def __iter__(self) -> Iterator[str]:
        for line in self.lines:
            self.read += 1
            yield line


class RecordingOutput(io.StringIO):
    """Standard output that notes how much input had been read at each write."""

    def __init__(self, source: CountingLines):
        super().__init__()
        self.source = source
        self.read_at_write: list[int] = []

    def write(self, text: str) -> int:
        self.read_at_write.append(self.source.read)
        return super().write(text)


def test_a_spreadsheet_is_scored_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = 1_000
    source = CountingLines(["ip,revenue\n"] + ["A,1000\n"] * rows)
    sink = RecordingOutput(source)
    monkeypatch.setattr(sys, "stdin", source)
    monkeypatch.setattr(sys, "stdout", sink)
    assert main(["assess", "-", "--format", "csv"]) == 0
    assert len(sink.getvalue().splitlines()) == rows + 1
    # a row is written before the next ones are read: nothing holds the whole file
    assert sink.read_at_write[0] <= 2 and sink.read_at_write[rows // 2] < rows


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
