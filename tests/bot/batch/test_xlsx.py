"""``zjtx assess in.xlsx -o out.xlsx``: workbooks as staff fill them, scored as the chat scores."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.batch.columns import split_unit
from bot.batch.results import ResultColumns
from dialogs.i18n import load_catalogs
from rules import Assessment, assess, default_rules, parse_profile
from tests.bot.batch.workbooks import (
    Formula,
    Styled,
    as_dicts,
    read_csv,
    read_xlsx,
    run,
    write_csv,
    write_xlsx,
)
from tests.rules.examples import EXAMPLE_A

TODAY = "2025-01-01"
RESULT_ZH = [
    "评价得分",
    "专业化",
    "精细化",
    "特色化",
    "创新能力",
    "符合认定条件",
    "未满足的条件",
    "会员等级",
    "下一等级还需",
    "可关注的补贴",
    "提升建议1",
    "提升建议2",
    "提升建议3",
    "取值说明",
    "错误",
]
RESULT_EN = [
    "Score",
    "Specialisation",
    "Refinement",
    "Distinctiveness",
    "Innovation",
    "Eligible",
    "Conditions not met",
    "Tier",
    "Next tier needs",
    "Subsidies",
    "Improvement 1",
    "Improvement 2",
    "Improvement 3",
    "Reading notes",
    "Error",
]


def reference(profile: dict[str, Any]) -> Assessment:
    rules = default_rules()
    return assess(parse_profile(profile, rules.contacts.districts), rules, date.fromisoformat(TODAY))


def score(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rows: Sequence[Sequence[Any]], *extra: str
) -> tuple[int, list[dict[str, Any]], str]:
    source = write_xlsx(tmp_path / "in.xlsx", rows)
    target = tmp_path / "out.xlsx"
    status, out, err = run(capsys, "assess", str(source), "-o", str(target), "--today", TODAY, *extra)
    assert out == ""
    return status, as_dicts(read_xlsx(target)), err


def assert_scored_as(row: dict[str, Any], profile: dict[str, Any]) -> None:
    assert row["错误"] is None
    assert [row[h] for h in RESULT_ZH[:-2]] == expected_cells(profile)


# ---------------------------------------------------------------- the stories


def test_chinese_headers_units_and_the_staffs_own_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    header = [
        "企业名称",
        "统一社会信用代码",
        "营业收入（万元）",
        "净利润",
        "研发费用(万元)",
        "主营业务收入占比",
        "已获认定",
        "从事细分市场年限",
        "数字化水平",
        "质量管理",
        "联系人",
        "备注",
    ]
    row = [
        "广州某某科技有限公司",
        "0914401010000000XA",
        12000,
        "960万",
        600,
        Styled(0.92, "0%"),
        "创新型中小企业",
        7,
        "二级",
        "ISO9001,自主品牌",
        "张三",
        '=HYPERLINK("http://example.invalid","点我")',
    ]
    status, (out,), err = score(capsys, tmp_path, [header, row])
    assert status == 0
    assert list(out)[: len(header)] == header and list(out)[len(header) :] == RESULT_ZH
    assert out["企业名称"] == "广州某某科技有限公司" and out["统一社会信用代码"] == "0914401010000000XA"
    assert out["联系人"] == "张三" and out["营业收入（万元）"] == 12000
    assert_scored_as(
        out,
        {
            "revenue": 120_000_000,
            "profit": 9_600_000,
            "rd_expense": 6_000_000,
            "main_business_share_pct": 92,
            "certification": "innovative",
            "niche_years": 7,
            "digital_level": 2,
            "quality": ["quality_certification", "own_brand"],
        },
    )
    assert "按元计" not in err  # every money column here says its unit, or its cells do


def test_a_formula_in_a_cell_of_ours_stays_text(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["企业名称", "备注", "知识产权"],
        ["=1+1", '=HYPERLINK("http://x.invalid")', "A"],
        ["@SUM(A1)", "-2+3", "B"],
    ]
    source = write_xlsx(tmp_path / "in.xlsx", [rows[0], ["公司甲", "x", "A"]])
    del source
    target = tmp_path / "out.xlsx"
    status, _, _ = run(capsys, "assess", str(write_csv(tmp_path / "in.csv", rows)), "-o", str(target))
    book = load_workbook(target)
    ws = book.worksheets[0]
    cells = [ws.cell(row=r, column=c) for r in (2, 3) for c in (1, 2)]
    assert status == 0
    assert [c.value for c in cells] == ["=1+1", '=HYPERLINK("http://x.invalid")', "@SUM(A1)", "-2+3"]
    assert {c.data_type for c in cells} == {"s"} and all(c.quotePrefix for c in cells)


def test_a_bare_amount_without_a_unit_is_yuan_and_the_run_says_so_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows: list[list[Any]] = [["企业名称", "营业收入", "研发费用"], ["甲", 1200000, 500], ["乙", 1200000, 500]]
    status, out, err = score(capsys, tmp_path, rows)
    assert status == 0
    assert err.count("按元计") == 1 and "营业收入、研发费用" in err
    tier_needs = out[0]["下一等级还需"]
    assert "120 万元" in tier_needs  # 1200000 yuan, not 1200000 万元
    summary = read_xlsx(tmp_path / "out.xlsx", sheet=1)
    assert any("营业收入、研发费用" in str(v) for line in summary for v in line)
    book = load_workbook(tmp_path / "out.xlsx")
    comment = book.worksheets[0]["B1"].comment
    assert comment is not None and "按元计" in comment.text


@pytest.mark.parametrize(
    ("header", "cell", "field", "value"),
    [
        ("营业收入（万元）", "1.5亿", "revenue", 150_000_000),  # a magnitude in the cell wins over the header
        ("营业收入（万元）", "3000", "revenue", 30_000_000),
        ("营业收入（亿元）", 1.5, "revenue", 150_000_000),
        ("营业收入（元）", "300万元", "revenue", 3_000_000),
        ("营业收入", "¥3,000,000", "revenue", 3_000_000),
        ("Revenue (10k yuan)", 250, "revenue", 2_500_000),
        ("净利润（万元）", -120, "profit", -1_200_000),
        ("净利润", "亏损300万", "profit", -3_000_000),
        ("主营业务收入占比", "92%", "main_business_share_pct", 92),
        ("主营业务收入占比（%）", 92, "main_business_share_pct", 92),
        ("主营业务收入占比", Styled(0.925, "0.0%"), "main_business_share_pct", Decimal("92.5")),
        ("主营业务收入增长率", "负3%", "main_revenue_growth_pct", -3),
        ("已获认定", "市级", "certification", "municipal"),
        ("认定级别", "省级专精特新", "certification", "provincial"),
        ("数字化水平", "二级", "digital_level", 2),
        ("数字化水平", 3, "digital_level", 3),
        ("上市计划", "是", "listing_plan", True),
        ("上市计划", True, "listing_plan", True),
        ("上市计划", 0, "listing_plan", False),
        ("质量管理", "ISO9001,自主品牌", "quality", ["quality_certification", "own_brand"]),
        ("质量管理", "ISO9001、自主品牌", "quality", ["quality_certification", "own_brand"]),
        ("质量管理", "自主品牌；参与制修订标准", "quality", ["own_brand", "standards"]),
        ("特色化指标", "A,C", "distinctive", ["A", "C"]),
        ("从事细分市场年限", "七年", "niche_years", 7),
        ("所在区", "天河", "district", "天河区"),
        ("org_type", "服务机构", "org_type", "service_institution"),
    ],
)
def test_cells_are_read_as_the_chat_reads_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, header: str, cell: Any, field: str, value: Any
) -> None:
    status, (out,), _ = score(capsys, tmp_path, [["企业名称", header], ["甲", cell]], "--lang", "zh")
    assert status == 0 and out["错误"] is None
    assert [out[h] for h in RESULT_ZH[:-2]] == expected_cells({field: value})


def expected_cells(profile: dict[str, Any]) -> list[Any]:
    """The result cells of `profile` as the engine scores it."""
    return ResultColumns(default_rules(), load_catalogs(), "zh", date.fromisoformat(TODAY)).cells(
        reference(profile)
    )


def test_a_formula_cell_is_read_by_its_cached_value(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows: list[list[Any]] = [
        ["企业名称", "营业收入（万元）", "研发费用（万元）", "研发人员占比"],
        ["甲", Formula("=8000+4000", 12000), Formula("=B2*0.05", 600), Formula('=TEXT(0.15,"0%")', "15%")],
    ]
    status, (out,), _ = score(capsys, tmp_path, rows)
    assert status == 0
    assert_scored_as(out, {"revenue": 120_000_000, "rd_expense": 6_000_000, "rd_staff_pct": 15})
    assert out["营业收入（万元）"] == 12000  # the value is kept, as a number


def test_formula_cells_without_a_saved_result_are_named_in_the_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A workbook written by a program (openpyxl saves no results): its formulas read as
    empty, and the run says which cells, rather than leaving them blank in silence."""
    rows: list[list[Any]] = [["企业名称", "营业收入（万元）", "备注"]]
    rows += [[f"甲{n}", "1200", f'=A{n + 2}&"跟进"'] for n in range(7)]
    rows.append(["乙", Formula("=1000+200", 1200), "已核实"])  # a saved result: not named
    status, out, err = score(capsys, tmp_path, rows)
    assert status == 0 and out[0]["备注"] is None  # empty, as the file holds no result for it
    assert "7 个公式单元格没有保存的计算结果" in err and "C2、C3、C4、C5、C6等" in err
    assert "B9" not in err
    summary = read_xlsx(tmp_path / "out.xlsx", sheet=1)
    assert any("7 个公式单元格" in str(v) for line in summary for v in line)


def test_a_date_where_a_figure_belongs_is_an_error_and_a_date_column_is_kept(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows: list[list[Any]] = [
        ["企业名称", "成立日期", "营业收入（万元）"],
        ["广州某某科技有限公司", datetime(2015, 3, 1), Styled(datetime(2024, 5, 6), "yyyy-mm-dd")],
        ["乙公司", datetime(2016, 1, 1), 8000],
    ]
    status, (bad, good), _ = score(capsys, tmp_path, rows)
    assert status == 1
    assert bad["错误"] == "第 2 行（广州某某科技有限公司）：营业收入：是日期（2024-05-06），应填" + (
        "金额（可写亿、万、元；只写数字时按列名中的单位计，未注明单位按元计）"
    )
    assert bad["评价得分"] is None and good["评价得分"] is not None
    assert (bad["成立日期"], good["成立日期"]) == (datetime(2015, 3, 1), datetime(2016, 1, 1))


def test_a_row_that_cannot_be_read_names_the_row_the_company_and_the_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows: list[list[Any]] = [
        ["序号", "企业名称", "营业收入（万元）", "研发人员占比", "知识产权"],
        [1, "广州甲科技有限公司", 12000, 15, "A"],
        [2, "广州某某科技有限公司", "很多很多", "120%", "Z"],
        [3, None, "3-5-7万", None, None],
    ]
    status, out, err = score(capsys, tmp_path, rows)
    assert status == 1
    assert out[0]["错误"] is None and out[0]["评价得分"] is not None
    message = out[1]["错误"]
    assert message.startswith("第 3 行（广州某某科技有限公司）：营业收入：无法识别“很多很多”，应填金额")
    assert "研发人员占比：“120%”不在 0% 到 100% 之间" in message
    assert "知识产权：无法识别“Z”" in message
    # a range is read as the chat reads it (test_a_range_is_scored_at_its_conservative_end…);
    # a text that is neither one figure nor one range is not
    assert out[2]["错误"] == "第 4 行：营业收入：“3-5-7万”看不出是一个数还是一个区间，请填一个数"
    assert err.strip().splitlines()[-1] == "共 3 行：已评估 1 行，未能评估 2 行"
    assert out[1]["序号"] == 2  # the row is still there, as it was


# (header, cell, what one types in the chat for the same figure, field, value scored, note)
RANGES: list[tuple[str, str, str, str, int, str]] = [
    (
        "营业收入（万元）",
        "五六千万",
        "五六千万",
        "revenue",
        50_000_000,
        "“五六千万”按 5000 万元计（区间 5000–6000 万元取保守值）",
    ),
    (
        "营业收入（万元）",
        "5000-6000",
        "5000-6000",
        "revenue",
        50_000_000,
        "“5000-6000”按 5000 万元计（区间 5000–6000 万元取保守值）",
    ),
    (
        "营业收入",
        "5000-6000",
        "5000-6000元",
        "revenue",
        5000,
        "“5000-6000”按 5,000 元计（区间 5,000–6,000 元取保守值）",
    ),
    (
        "研发费用",
        "一千多万",
        "一千多万",
        "rd_expense",
        10_000_000,
        "“一千多万”按 1000 万元计（“1000 万元以上”取保守值）",
    ),
    ("净利润", "不到两千万", "不到两千万", "profit", 0, "“不到两千万”按 0 元计（“不到 2000 万元”取保守值）"),
    ("资产负债率", "40%到60%", "40%到60%", "debt_ratio_pct", 60, "“40%到60%”按 60%计（区间 40–60%取保守值）"),
    ("资产负债率", "50%以上", "50%以上", "debt_ratio_pct", 100, "“50%以上”按 100%计（“50%以上”取保守值）"),
    (
        "从事细分市场年限",
        "三到五年",
        "三到五年",
        "niche_years",
        3,
        "“三到五年”按 3 年计（区间 3–5 年取保守值）",
    ),
]


@pytest.mark.parametrize(("header", "cell", "chat", "field", "value", "note"), RANGES)
def test_a_range_is_scored_at_its_conservative_end_as_the_chat_takes_it_and_the_row_says_so(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    header: str,
    cell: str,
    chat: str,
    field: str,
    value: int,
    note: str,
) -> None:
    from dialogs.engine import DialogEngine
    from dialogs.flow import STEP_BY_FIELD
    from dialogs.session import Session

    # the chat takes this figure from the same words (a bare number there is 万元)
    engine = DialogEngine(default_rules())
    assert engine._parse(STEP_BY_FIELD[field], chat, date(2025, 1, 1), Session()).value == Decimal(value)
    status, (out,), err = score(capsys, tmp_path, [["企业名称", header], ["甲", cell]])
    assert status == 0 and out["错误"] is None
    assert [out[h] for h in RESULT_ZH[:-2]] == expected_cells({field: value})
    assert out["取值说明"] == f"{split_unit(header)[0]}：{note}"
    assert "1 行有区间或“以上”“不到”这样的数，已像聊天中一样按保守的一端计分，见“取值说明”列" in err


def test_every_range_of_a_row_is_noted_and_an_english_sheet_notes_in_english(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = [["Company name", "revenue", "debt_ratio_pct", "ip"], ["Acme", "五六千万", "40%-60%", "A"]]
    status, (out,), err = score(capsys, tmp_path, rows)
    assert status == 0 and out["Error"] is None
    assert out["Score"] == expected_cells({"revenue": 50_000_000, "debt_ratio_pct": 60, "ip": "A"})[0]
    assert out["Reading notes"] == (
        "revenue: “五六千万” counted as ¥50,000,000 (range ¥50,000,000–60,000,000: the cautious end); "
        "debt_ratio_pct: “40%-60%” counted as 60% (range 40–60%: the cautious end)"
    )
    assert "Rows that gave a range or a bound (at least, below): 1." in err


@pytest.mark.parametrize(
    ("header", "cell", "error"),
    [
        # what the chat asks back ("您填的是 1200 亿元吗？如果是 1200 万元，请回复 1"), a sheet refuses
        (
            "营业收入（万元）",
            12_000_000,
            "营业收入：“12000000”即 1200 亿元，超出常见范围，更可能是 1200 万元；请核对后改正",
        ),
        (
            "营业收入（万元）",
            "12,000,000",
            "营业收入：“12,000,000”即 1200 亿元，超出常见范围，更可能是 1200 万元；请核对后改正",
        ),
        (
            "营业收入（亿元）",
            3000,
            "营业收入：“3000”即 3000 亿元，超出常见范围，更可能是 3000 万元；请核对后改正",
        ),
        ("营业收入", 20_000_000_000, "营业收入：“20000000000”即 200 亿元，超出常见范围，请核对后改正"),
        ("研发人员占比", 0.35, "研发人员占比：“0.35”即 0.35%，超出常见范围，更可能是 35%；请核对后改正"),
        ("主营业务收入占比", "3%", "主营业务收入占比：“3%”超出常见范围，请核对后改正"),
        ("资产负债率", "120%", "资产负债率：“120%”超出常见范围，请核对后改正"),
        ("从事细分市场年限", 150, "从事细分市场年限：“150”即 150 年，超出常见范围，请核对后改正"),
    ],
)
def test_an_implausible_figure_is_refused_with_its_likelier_reading(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, header: str, cell: Any, error: str
) -> None:
    status, (out,), _ = score(capsys, tmp_path, [["企业名称", header], ["甲", cell]])
    assert status == 1 and out["评价得分"] is None
    assert out["错误"] == f"第 2 行（甲）：{error}"


def test_an_english_sheet_gets_english_columns_and_messages(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows: list[list[Any]] = [
        ["Company name", "Revenue (10k yuan)", "ip", "rd_staff_pct"],
        ["Acme Ltd", 12000, "A", "lots"],
    ]
    status, (out,), err = score(capsys, tmp_path, rows)
    assert status == 1
    assert list(out)[4:] == RESULT_EN
    assert (
        out["Error"]
        == "Row 2 (Acme Ltd): rd_staff_pct: cannot read “lots”; expected a percentage (with or without %)"
    )
    assert err.strip() == "Rows: 1; assessed: 0; failed: 1"


def test_lang_overrides_the_sheets_language(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, (out,), _ = score(capsys, tmp_path, [["ip"], ["A"]], "--lang", "zh")
    assert status == 0 and list(out)[1:] == RESULT_ZH


def test_title_rows_above_the_header_are_kept(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows: list[list[Any]] = [["2025 年会员企业自测名单"], [None], ["企业名称", "知识产权"], ["甲", "A"]]
    source = write_xlsx(tmp_path / "in.xlsx", rows)
    target = tmp_path / "out.xlsx"
    status, _, _ = run(capsys, "assess", str(source), "-o", str(target))
    out = read_xlsx(target)
    assert status == 0
    assert out[0][0] == "2025 年会员企业自测名单" and out[2][:3] == ["企业名称", "知识产权", "评价得分"]
    assert out[3][:3] == ["甲", "A", 10]
    assert load_workbook(target).worksheets[0].freeze_panes == "A4"


def test_the_second_sheet_sums_the_run_up(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a = [EXAMPLE_A[f] for f in ("revenue", "profit", "rd_expense", "niche_years", "main_business_share_pct")]
    rows: list[list[Any]] = [
        [
            "企业名称",
            "营业收入（元）",
            "净利润（元）",
            "研发费用（元）",
            "细分市场年限",
            "主营业务收入占比",
            "已获认定",
            "知识产权",
        ],
        ["甲", *a, "创新型中小企业", "A"],
        ["乙", 1000, 10, 0, 1, 10, "暂无认定", "E"],
        [None] * 8,
        ["丙", "很多", None, None, None, None, None, None],
        ["丁", 2 * 10**8, 3 * 10**7, 10**7, 5, 95, "省级专精特新", "A"],
    ]
    status, out, _ = score(capsys, tmp_path, rows)
    book = load_workbook(tmp_path / "out.xlsx")
    assert status == 1 and book.sheetnames == ["Sheet1", "评估汇总"]
    summary = {r[0]: r[1] for r in read_xlsx(tmp_path / "out.xlsx", sheet=1) if r and r[0] is not None}
    assert (summary["数据行"], summary["已评估"], summary["未能评估（见“错误”列）"], summary["空行"]) == (
        4,
        3,
        1,
        1,
    )
    tiers = [summary[t] for t in ("副会长单位", "理事单位", "会员单位", "未达到会员单位条件")]
    assert tiers == [0, 1, 1, 1]
    eligible = [r["符合认定条件"] for r in out if r["评价得分"] is not None].count("是")
    assert summary["符合认定条件的企业占比"] == pytest.approx(eligible / 3)
    share_cell = next(r for r in book["评估汇总"].iter_rows() if r[0].value == "符合认定条件的企业占比")[1]
    assert share_cell.number_format == "0.0%"
    scores = [r["评价得分"] for r in out if r["评价得分"] is not None]
    histogram = {k: v for k, v in summary.items() if isinstance(k, str) and "–" in k}
    assert sum(histogram.values()) == 3 and len(histogram) == 10
    for s in scores:
        low = min(s // 10, 9) * 10
        assert histogram[f"{low}–{low + 9 if low < 90 else 100}"] >= 1
    assert len(book["评估汇总"]._charts) == 1  # type: ignore[attr-defined]
    assert summary["规则版本"] == default_rules().version and summary["评估日期"] == TODAY


def test_subsidies_carry_their_expiry_in_the_header_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, (out,), _ = score(capsys, tmp_path, [["已获认定"], ["省级专精特新"]])
    book = load_workbook(tmp_path / "out.xlsx")
    header = {c.value: c for c in book.worksheets[0][1]}
    note = header["可关注的补贴"].comment
    assert status == 0
    assert "省级专精特新认定奖励（已到期）" in out["可关注的补贴"]  # marked in the cell too
    assert note is not None and "已到期" in note.text and "2022—2024" in note.text
    assert "穗府办规〔2022〕4号" in note.text


def test_numbers_are_numbers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "in.csv", [["企业名称", "营业收入（万元）", "统一社会信用代码"], ["甲", "12000", "0001"]]
    )
    target = tmp_path / "out.xlsx"
    status, _, _ = run(capsys, "assess", str(source), "-o", str(target))
    (out,) = as_dicts(read_xlsx(target))
    assert status == 0
    assert out["营业收入（万元）"] == 12000 and out["统一社会信用代码"] == "0001"  # a code stays text
    assert isinstance(out["评价得分"], int) and isinstance(out["专业化"], int)


# ---------------------------------------------------------------- sheets and files


def test_sheet_picks_a_worksheet(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    assert first is not None
    first.append(["说明：第二个工作表是数据"])
    data = book.create_sheet("企业")
    data.append(["知识产权"])
    data.append(["A"])
    book.save(tmp_path / "in.xlsx")
    target = tmp_path / "out.xlsx"
    status, _, _ = run(capsys, "assess", str(tmp_path / "in.xlsx"), "--sheet", "企业", "-o", str(target))
    assert status == 0 and read_xlsx(target)[1][:2] == ["A", 10]
    assert load_workbook(target).sheetnames == ["企业", "评估汇总"]
    status, _, err = run(capsys, "assess", str(tmp_path / "in.xlsx"), "--sheet", "名单", "-o", str(target))
    assert status == 2 and "没有名为“名单”的工作表；现有：Sheet、企业" in err


def test_a_first_sheet_without_fields_is_refused_clearly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = write_xlsx(tmp_path / "in.xlsx", [["名称", "地址"], ["甲", "天河"]])
    target = tmp_path / "out.xlsx"
    status, _, err = run(capsys, "assess", str(source), "-o", str(target))
    assert status == 1 and not target.exists()
    assert "没有一列是评估字段" in err and "--template" in err and err.count("\n") == 1


@pytest.mark.parametrize("name", ["old.xls", "book.ods"])
def test_an_old_excel_file_is_asked_to_be_saved_again(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    source = tmp_path / name
    source.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    status, _, err = run(capsys, "assess", str(source), "-o", str(tmp_path / "out.xlsx"))
    assert status == 2 and err.count("\n") == 1
    assert "另存为" in err and ".xlsx" in err and ".csv" in err and "Traceback" not in err


def test_an_old_excel_file_named_xlsx_is_told_apart_by_its_content(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "renamed.xlsx"
    source.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    status, _, err = run(capsys, "assess", str(source), "-o", str(tmp_path / "out.xlsx"), "--lang", "en")
    assert status == 2 and "Save As" in err


def test_a_workbook_saved_under_a_csv_name_is_read_as_a_workbook(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = write_xlsx(tmp_path / "data.csv", [["知识产权"], ["A"]])
    target = tmp_path / "out.csv"
    status, _, _ = run(capsys, "assess", str(source), "-o", str(target))
    assert status == 0 and read_csv(target)[0]["评价得分"] == "10"


@pytest.mark.parametrize("content", [b"not a workbook", b"PK\x03\x04broken"])
def test_a_file_that_is_no_workbook(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    source = tmp_path / "in.xlsx"
    source.write_bytes(content)
    status, _, err = run(capsys, "assess", str(source), "-o", str(tmp_path / "out.xlsx"))
    assert status == 2 and "不是有效的 .xlsx 工作簿" in err and err.count("\n") == 1


def test_a_workbook_result_needs_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_xlsx(tmp_path / "in.xlsx", [["ip"], ["A"]])
    status, out, err = run(capsys, "assess", str(source))
    assert (status, out) == (2, "") and "-o" in err


def test_excel_error_values_are_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, (out,), _ = score(capsys, tmp_path, [["企业名称", "研发人员占比"], ["甲", "#DIV/0!"]])
    assert status == 1 and out["错误"] == "第 2 行（甲）：研发人员占比：单元格是错误值 #DIV/0!，请检查公式"


def test_an_output_can_be_scored_again(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, first, _ = score(
        capsys, tmp_path, [["企业名称", "知识产权", "营业收入（万元）"], ["甲", "A", 8000]]
    )
    again = tmp_path / "again.xlsx"
    status, _, _ = run(capsys, "assess", str(tmp_path / "out.xlsx"), "-o", str(again), "--today", TODAY)
    assert status == 0 and as_dicts(read_xlsx(again)) == first


def test_the_output_may_replace_the_input_and_a_failed_run_keeps_the_old_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = write_xlsx(tmp_path / "in.xlsx", [["知识产权"], ["A"]])
    status, _, _ = run(capsys, "assess", str(source), "-o", str(source))
    assert status == 0 and read_xlsx(source)[1][:2] == ["A", 10]
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"an earlier result")
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04broken")
    status, _, _ = run(capsys, "assess", str(tmp_path / "bad.xlsx"), "-o", str(target))
    assert status == 2 and target.read_bytes() == b"an earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx", "in.xlsx", "out.xlsx"]


def test_a_row_with_cells_beyond_the_header(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = score(capsys, tmp_path, [["企业名称", "知识产权"], ["甲", "A"], ["乙", "A", "多出来的"]])
    assert status == 1 and out[0]["错误"] is None
    assert out[1]["错误"] == "第 3 行（乙）：C 列起有内容但没有列名，请补上列名或清空"


def test_repeated_and_misunited_headers_refuse_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for header, words in (
        (["营业收入", "revenue"], "“营业收入”和“revenue”是同一个字段"),
        (["营业收入（%）"], "列“营业收入（%）”的单位“%”与这一列不符"),
    ):
        source = write_xlsx(tmp_path / "in.xlsx", [header, [1] * len(header)])
        status, _, err = run(capsys, "assess", str(source), "-o", str(tmp_path / "out.xlsx"))
        assert status == 1 and words in err and "未评估任何行" in err
        assert not (tmp_path / "out.xlsx").exists()


def test_a_large_workbook_is_written_by_a_second_process(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.batch import run as batch_run

    monkeypatch.setattr(batch_run, "WRITER_PROCESS_BYTES", 0)  # every input counts as large
    rows: list[list[Any]] = [["2025 名单"], ["企业名称", "知识产权", "备注"]]
    rows += [[f"公司{n}", "A", "@x"] for n in range(1200)]
    status, _, _ = score(capsys, tmp_path, rows)
    book = load_workbook(tmp_path / "out.xlsx")
    out = as_dicts(read_xlsx(tmp_path / "out.xlsx")[1:])
    assert status == 0 and book.sheetnames == ["Sheet1", "评估汇总"]
    assert book.worksheets[0]["A1"].value == "2025 名单" and book.worksheets[0]["C3"].quotePrefix
    assert len(out) == 1200 and {r["评价得分"] for r in out} == {10}


def test_a_writer_that_fails_stops_the_run_and_keeps_the_old_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from bot.batch import run as batch_run

    monkeypatch.setattr(batch_run, "WRITER_PROCESS_BYTES", 0)
    source = write_xlsx(tmp_path / "in.xlsx", [["知识产权"], ["A"]])
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"an earlier result")
    (tmp_path / f".out.xlsx.{os.getpid()}.partial").mkdir()  # where the workbook would be written
    status, _, err = run(capsys, "assess", str(source), "-o", str(target))
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "directory" in err.lower() and target.read_bytes() == b"an earlier result"


@pytest.mark.parametrize("second_process", [False, True])
def test_ctrl_c_leaves_the_old_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, second_process: bool
) -> None:
    import multiprocessing

    from bot.batch import run as batch_run

    if second_process:
        monkeypatch.setattr(batch_run, "WRITER_PROCESS_BYTES", 0)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(batch_run, "assess", interrupted)
    source = write_xlsx(tmp_path / "in.xlsx", [["知识产权"], ["A"]])
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"an earlier result")
    status, _, err = run(capsys, "assess", str(source), "-o", str(target))
    assert status == 130 and "已中断" in err and "Traceback" not in err
    assert target.read_bytes() == b"an earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx", "out.xlsx"]
    assert multiprocessing.active_children() == []  # the writer, if any, is gone
