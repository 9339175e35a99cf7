"""``zjtx assess in.csv -o out.csv``: the same header and cell rules as a workbook, as text."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.bot.batch.workbooks import read_csv, run, write_csv
from tests.rules.examples import EXAMPLE_A

BOM = "\ufeff"
GROUPS = ["Specialisation", "Refinement", "Distinctiveness", "Innovation"]


def cells_of(profile: dict[str, object]) -> list[str]:
    return [";".join(v) if isinstance(v, list) else str(v) for v in profile.values()]


def test_a_sheet_by_field_ids(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    header = list(EXAMPLE_A)
    cells = cells_of(EXAMPLE_A)
    source = write_csv(tmp_path / "in.csv", [header, cells, ["" for _ in header]])
    target = tmp_path / "out.csv"
    status, out, err = run(capsys, "assess", str(source), "-o", str(target), "--today", "2025-01-01")
    assert (status, out) == (0, "")
    assert err.strip().splitlines()[-1] == "Rows: 2; assessed: 1; failed: 0; blank: 1"
    assert "read as yuan: revenue, profit, rd_expense" in err  # said once, in the run's summary
    assert target.read_text(encoding="utf-8").startswith(BOM)  # for Excel
    first, blank = read_csv(target)
    assert {k: first[k] for k in header} == dict(zip(header, cells, strict=True))
    assert first["Score"] == "72" and first["Error"] == ""
    assert [int(first[g]) for g in GROUPS] == [21, 21, 7, 23]
    assert (first["Eligible"], first["Tier"], first["Conditions not met"]) == ("Yes", "Member", "")
    assert first["Next tier needs"].startswith("For Council member: Last year's revenue: ¥120,000,000")
    subsidies = next(v for k, v in first.items() if k.startswith("Subsidies ("))
    assert (
        "Award for a provincial 专精特新 SME (expired) (once recognised as Provincial 专精特新 SME)"
        in subsidies
    )
    assert set(blank.values()) == {""}


def test_the_output_columns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["revenue", "备注", "quality"], ["1", "x", ""]])
    target = tmp_path / "out.csv"
    run(capsys, "assess", str(source), "-o", str(target))
    with target.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert header[:3] == ["revenue", "备注", "quality"]  # a Chinese header: Chinese results
    assert header[3:13] == [
        "评价得分",
        "专业化",
        "精细化",
        "特色化",
        "创新能力",
        "符合认定条件",
        "未满足的条件",
        "会员等级",
        "下一等级还需",
        header[12],
    ]
    assert (
        header[12].startswith("可关注的补贴（") and "已到期" in header[12]
    )  # the note, in the header itself
    assert header[13:] == ["提升建议1", "提升建议2", "提升建议3", "取值说明", "错误"]


def test_bad_rows_name_the_row_and_the_column(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows = [
        ["name", "revenue", "rd_expense", "district", "certification", "main_business_share_pct"],
        ["Acme", "120000000", "6000000", "天河区", "innovative", "92"],
        ["Beta", "-5", "", "", "", ""],
        ["", "", "abc", "朝阳区", "", ""],
        ["Gamma", "", "", "", "national", "100.5"],
        ["Delta", "1000000", "", "", "", ""],
    ]
    source = write_csv(tmp_path / "in.csv", rows)
    target = tmp_path / "out.csv"
    status, _, err = run(capsys, "assess", str(source), "-o", str(target))
    out = read_csv(target)
    assert status == 1
    assert err.strip().splitlines()[-1] == "Rows: 5; assessed: 2; failed: 3"
    assert [r["Error"] for r in out][::4] == ["", ""]
    assert out[1]["Error"] == "Row 3 (Beta): revenue: must not be negative (“-5”)" and out[1]["Score"] == ""
    assert out[2]["Error"].startswith("Row 4: rd_expense: cannot read “abc”; expected an amount")
    assert "district: cannot read “朝阳区”; expected one option" in out[2]["Error"]
    assert out[3]["Error"].startswith("Row 5 (Gamma): certification: ")
    assert "main_business_share_pct: “100.5” is not between 0% and 100%" in out[3]["Error"]
    assert out[1]["revenue"] == "-5"  # the input is copied as it was


def test_rows_the_chat_would_ask_back_are_refused_naming_both_figures(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """R&D or a profit above the revenue, and a bare revenue too small as yuan: the chat asks
    back (or reads 万元), a sheet cannot ask, so the row is refused with a clear message."""
    rows = [
        ["企业名称", "营业收入（元）", "研发费用（万元）", "净利润（万元）"],
        ["甲公司", "12000", "600", "0.5"],
        ["乙公司", "120000000", "600", "20000"],
        ["丙公司", "120000000", "600", "-300"],
    ]
    source = write_csv(tmp_path / "in.csv", rows)
    target = tmp_path / "out.csv"
    status, _, err = run(capsys, "assess", str(source), "-o", str(target))
    out = read_csv(target)
    assert status == 1 and err.strip().splitlines()[-1] == "共 3 行：已评估 1 行，未能评估 2 行"
    assert out[0]["错误"] == (
        "第 2 行（甲公司）：研发费用（600 万元）高于营业收入（1.2 万元）："
        "表格无法当面确认，请核对两项数字及其单位"
    )
    assert out[0]["评价得分"] == ""
    assert out[1]["错误"].startswith("第 3 行（乙公司）：净利润（2 亿元）高于营业收入（1.2 亿元）")
    assert out[2]["错误"] == "" and out[2]["评价得分"] != ""  # a loss is no contradiction
    bare = write_csv(tmp_path / "bare.csv", [["企业名称", "营业收入"], ["甲", "12000"], ["乙", "12000元"]])
    status, _, _ = run(capsys, "assess", str(bare), "-o", str(target))
    out = read_csv(target)
    assert out[0]["错误"] == (
        "第 2 行（甲）：营业收入：“12000”按元计只有 1.2 万元（列名没有注明单位），作为营业收入太小；"
        "如为万元即 1.2 亿元：请在列名注明单位，如“营业收入（万元）”"
    )
    assert out[1]["错误"] == ""  # 元 written out is what was meant


def test_a_service_institution_row(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows = [["org_type", "registered_capital", "operates_park"], ["service_institution", "10000000", "是"]]
    target = tmp_path / "out.csv"
    status, _, _ = run(capsys, "assess", str(write_csv(tmp_path / "in.csv", rows)), "-o", str(target))
    (row,) = read_csv(target)
    assert status == 0
    assert (row["Score"], row["Innovation"], row["Eligible"]) == ("", "", "")
    subsidies = next(v for k, v in row.items() if k.startswith("Subsidies"))
    assert (row["Tier"], subsidies) == ("Council member", "Industrial-park award (expired)")


def test_columns_that_are_not_fields_are_kept_and_near_misses_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = write_csv(
        tmp_path / "in.csv", [["企业名称", "营业收人", "ip", "联系人"], ["某公司", "1", "A", "李四"]]
    )
    target = tmp_path / "out.csv"
    status, out, err = run(capsys, "assess", str(source), "-o", str(target))
    (row,) = read_csv(target)
    assert (status, out) == (0, "")
    assert (row["企业名称"], row["营业收人"], row["联系人"], row["评价得分"]) == ("某公司", "1", "李四", "10")
    assert "“营业收人”不是评估字段，已原样保留；如果指的是“营业收入”，请改列名。" in err


def test_repeated_column_refuses_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["revenue", "ip", "Revenue"], ["1", "A", "2"]])
    status, _, err = run(capsys, "assess", str(source))
    assert status == 1 and "“revenue” and “Revenue” are the same field" in err


def test_an_output_can_be_scored_again(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    source = write_csv(tmp_path / "in.csv", [["revenue", "ip", "note"], ["1000000", "A", "=danger()"]])
    run(capsys, "assess", str(source), "-o", str(first))
    status, _, _ = run(capsys, "assess", str(first), "-o", str(second))
    assert status == 0
    assert second.read_text(encoding="utf-8-sig") == first.read_text(encoding="utf-8-sig")
    assert read_csv(second)[0]["note"] == "'=danger()"  # neutralised once, not twice


def test_output_may_replace_the_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["ip"], ["A"], ["B"]])
    status, _, _ = run(capsys, "assess", str(source), "-o", str(source))
    assert status == 0 and [r["Score"] for r in read_csv(source)] == ["10", "8"]


def test_excel_chinese_csv_is_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "in.csv", [["所在区", "创客中国500强"], ["黄埔区", "否"]], encoding="gb18030"
    )
    target = tmp_path / "out.csv"
    status, _, err = run(capsys, "assess", str(source), "-o", str(target))
    assert status == 0 and "GB18030" in err
    assert read_csv(target)[0]["所在区"] == "黄埔区"


def test_a_row_longer_than_the_header(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "in.csv", [["ip", ""], ["A", ""], ["A", "", ""], ["A", "x"], ["A", "", "y"]]
    )
    target = tmp_path / "out.csv"
    status, _, _ = run(capsys, "assess", str(source), "-o", str(target))
    errors = [r["Error"] for r in read_csv(target)]
    assert status == 1
    assert errors[:2] == ["", ""]
    assert errors[2] == "Row 4: has values from column B on, under no header; name the column or clear it"
    assert errors[3] == "Row 5: has values from column C on, under no header; name the column or clear it"


def test_csv_on_stdin_and_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "assess", "-", "--format", "csv", stdin="ip,product_field\nA,A\n")
    (row,) = csv.DictReader(io.StringIO(out))
    assert status == 0 and (row["Score"], row["Innovation"], row["Specialisation"]) == ("15", "10", "5")


def test_explain_is_for_json_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["ip"], ["A"]])
    status, _, err = run(capsys, "assess", str(source), "--explain")
    assert status == 2 and "--explain" in err


@pytest.mark.parametrize("content", [b"", b"\n\n", "\ufeff".encode()])
def test_a_sheet_without_header(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    status, _, err = run(capsys, "assess", str(source))
    assert status == 2 and "第一行应为列名" in err


def test_text_that_is_no_text_stops_and_keeps_the_old_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    good = "ip\n" + "A\n" * 40_000  # more than the part read to tell the encoding
    source.write_bytes(good.encode() + b"\xff\xfe\xfa\n")
    target = tmp_path / "out.csv"
    target.write_text("an earlier result", encoding="utf-8")
    status, _, err = run(capsys, "assess", str(source), "-o", str(target), "--lang", "en")
    assert status == 2 and "not utf-8" in err.lower() and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "an earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]  # no half-written file


def test_negative_numbers_stay_numbers_and_formulas_are_neutralised(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = [
        ["企业名称", "净利润（万元）", "备注"],
        ["=cmd|' /C calc'!A0", "-120", "+SUM(1)"],
        ["@x", "-1.5", "\tx"],
    ]
    target = tmp_path / "out.csv"
    status, _, _ = run(capsys, "assess", str(write_csv(tmp_path / "in.csv", rows)), "-o", str(target))
    with target.open(encoding="utf-8-sig", newline="") as fh:
        cells = list(csv.reader(fh))
    assert status == 0
    assert [r[:3] for r in cells[1:]] == [
        ["'=cmd|' /C calc'!A0", "-120", "'+SUM(1)"],
        ["'@x", "-1.5", "'\tx"],
    ]


def test_a_workbook_in_a_csv_out(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from datetime import datetime

    from tests.bot.batch.workbooks import Styled, write_xlsx

    source = write_xlsx(
        tmp_path / "in.xlsx",
        [
            ["企业名称", "成立日期", "主营业务收入占比", "上市计划"],
            ["甲", datetime(2015, 3, 1), Styled(0.92, "0%"), True],
        ],
    )
    target = tmp_path / "out.csv"
    status, _, _ = run(capsys, "assess", str(source), "-o", str(target))
    (row,) = read_csv(target)
    assert status == 0
    assert (row["成立日期"], row["主营业务收入占比"], row["上市计划"]) == ("2015-03-01", "92%", "TRUE")
    assert row["专业化"] == "5"


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


def test_a_sheet_is_scored_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = 1_000
    source = CountingLines(["ip,revenue\n"] + ["A,1000000\n"] * rows)
    sink = RecordingOutput(source)
    monkeypatch.setattr(sys, "stdin", source)
    monkeypatch.setattr(sys, "stdout", sink)
    assert main(["assess", "-", "--format", "csv"]) == 0
    assert len(sink.getvalue().splitlines()) == rows + 1
    # a row is written before the next ones are read: nothing holds the whole file
    assert sink.read_at_write[0] <= 2 and sink.read_at_write[rows // 2] < rows
