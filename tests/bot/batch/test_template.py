"""``zjtx assess --template``: a workbook to fill in, generated from the rules data."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from bot.batch.cells import CellReader
from bot.batch.columns import FieldColumn
from dialogs.flow import options_for
from rules import default_rules
from tests.bot.batch.workbooks import as_dicts, read_xlsx, run, write_xlsx

TODAY = "2025-01-01"


@pytest.fixture
def template(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    target = tmp_path / "模板.xlsx"
    status, out, err = run(capsys, "assess", "--template", "-o", str(target))
    assert (status, out) == (0, "") and "模板已写入" in err
    return target


def test_one_column_per_field_with_its_unit(template: Path) -> None:
    book = load_workbook(template)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    fields = default_rules().fields.field
    assert header[0] == "企业名称" and len(header) == 1 + len(fields)
    assert (
        "营业收入（万元）" in header
        and "主营业务收入占比（%）" in header
        and "从事细分市场年限（年）" in header
    )
    assert "已获认定" in header  # a choice has no unit
    assert sheet.freeze_panes == "B2"
    assert book.sheetnames == ["企业数据", "填写说明", "选项"] and book["选项"].sheet_state == "hidden"


def test_every_choice_has_a_drop_down_of_its_chinese_labels(template: Path) -> None:
    book = load_workbook(template)
    sheet, lists = book.worksheets[0], book["选项"]
    header = [str(c.value) for c in sheet[1]]
    rules = default_rules()
    checks = {str(dv.sqref).split(":")[0]: dv for dv in sheet.data_validations.dataValidation}
    for info in rules.fields.field:
        letter = get_column_letter(header.index(_header(info.id, header)) + 1)
        if info.kind not in ("choice", "multi", "yesno"):
            assert f"{letter}2" not in checks
            continue
        check = checks[f"{letter}2"]
        assert check.type == "list" and check.formula1.startswith("='选项'!$")
        column = check.formula1.split("!$")[1].split("$")[0]
        labels = [c.value for c in lists[column]][1:]
        labels = [label for label in labels if label is not None]
        assert labels == [label for _, label, _ in options_for(info.id, rules, "zh")]
        assert check.showErrorMessage is (info.kind != "multi")  # several options may be typed


def _header(field: str, header: list[str]) -> str:
    label = default_rules().fields.get(field).label.zh
    return next(h for h in header if h.split("（")[0] == label)


def test_every_drop_down_label_reads_as_its_option() -> None:
    rules = default_rules()
    reader = CellReader(rules, __import__("datetime").date(2025, 1, 1))
    for info in rules.fields.field:
        if info.kind not in ("choice", "multi", "yesno"):
            continue
        column = FieldColumn(0, info.id, info.kind, info.label.zh)
        for value, label, _ in options_for(info.id, rules, "zh"):
            for lang in ("zh", "en"):
                shown = (
                    label
                    if lang == "zh"
                    else dict((v, n) for v, n, _ in options_for(info.id, rules, "en"))[value]
                )
                read = reader.read(column, shown)
                assert read == ([value] if info.kind == "multi" else value), (info.id, shown)


def test_the_example_row_scores_as_the_worked_example(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, template: Path
) -> None:
    target = tmp_path / "out.xlsx"
    status, _, err = run(capsys, "assess", str(template), "-o", str(target), "--today", TODAY)
    (row,) = as_dicts(read_xlsx(target))
    assert status == 0, err
    assert row["企业名称"].startswith("示例")
    assert (row["评价得分"], row["会员等级"], row["符合认定条件"]) == (72, "会员单位", "是")
    assert [row[g] for g in ("专业化", "精细化", "特色化", "创新能力")] == [21, 21, 7, 23]
    assert "按元计" not in err and "不是评估字段" not in err


def test_a_filled_in_template_is_scored(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, template: Path
) -> None:
    rows = read_xlsx(template)
    header = rows[0]
    filled: list[object] = [None] * len(header)
    for name, value in (
        ("企业名称", "广州甲科技有限公司"),
        ("营业收入（万元）", 20000),
        ("已获认定", "省级专精特新"),
    ):
        filled[header.index(name)] = value
    source = write_xlsx(tmp_path / "filled.xlsx", [header, filled])
    target = tmp_path / "out.xlsx"
    status, _, _ = run(capsys, "assess", str(source), "-o", str(target), "--today", TODAY)
    (row,) = as_dicts(read_xlsx(target))
    assert status == 0 and row["错误"] is None
    assert "1.5 亿元" not in (row["下一等级还需"] or "")  # 2 亿元 of revenue is past the director's floor


def test_the_guide_explains_every_column_with_its_source(template: Path) -> None:
    guide = load_workbook(template)["填写说明"]
    rows = [[c.value for c in row] for row in guide.iter_rows()]
    head = rows.index(["列名", "字段", "填写方式", "可选项", "依据"])
    table = {r[1]: r for r in rows[head + 2 :]}
    rules = default_rules()
    assert set(table) == {f.id for f in rules.fields.field}
    title = "广东省专精特新中小企业认定条件与评价指标（2025-08-26 解读文章）"
    assert table["revenue"][4] == f"来源：《{title}》一、认定条件（三）；二、（二）7"
    assert "三级及以上" in str(table["digital_level"][3])
    assert all(str(r[4]).startswith("来源：《") for r in table.values())


def test_in_english(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "t.xlsx"
    status, _, _ = run(capsys, "assess", "--template", "--lang", "en", "-o", str(target))
    header = read_xlsx(target)[0]
    assert status == 0 and header[0] == "Company name" and "Revenue (10k yuan)" in header
    out = tmp_path / "out.xlsx"
    status, _, _ = run(capsys, "assess", str(target), "-o", str(out), "--today", TODAY)
    (row,) = as_dicts(read_xlsx(out))
    assert status == 0 and (row["Score"], row["Tier"]) == (72, "Member")


def test_the_default_file_is_never_overwritten(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "assess", "--template")[0] == 0
    (tmp_path / "评估模板.xlsx").write_bytes(b"filled in by staff")
    status, _, err = run(capsys, "assess", "--template")
    assert status == 2 and "已存在" in err
    assert (tmp_path / "评估模板.xlsx").read_bytes() == b"filled in by staff"


def test_a_template_takes_no_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, "assess", "x.xlsx", "--template", "-o", str(tmp_path / "t.xlsx"))
    assert status == 2 and "--template" in err
