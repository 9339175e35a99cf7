"""Every row of a mixed workbook scores exactly as :func:`rules.assess` scores its profile.

Random profiles are written the many ways staff write them: Chinese headers in any order
with different units (元, 万元, 亿元, 千元), amounts as numbers or as text (300万, 1.5亿),
percentages as percent-formatted cells, as 12.5% or as plain numbers, choices by label,
letter or alias, yes-no as 是/否 or TRUE/FALSE, several options separated by ；、 or commas,
formulas with cached values, and the staff's own columns around them. Some figures are
ranges whose conservative end (as the chat takes it) is the profile's figure: the revenue
as 300-400万 (more is better: its lower end), the debt ratio as 25%-50% (less is better:
its upper end); those rows, and only those, have a reading note. The figures are plausible
(rules/data/plausibility.toml): an implausible one is refused, as tests/bot/batch/test_xlsx.py
shows.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.batch.results import ResultColumns
from dialogs.flow import options_for
from dialogs.i18n import load_catalogs
from rules import assess, default_rules, parse_profile
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

TODAY = date(2025, 1, 1)
ROWS = 150


def random_profile(rnd: random.Random) -> dict[str, Any]:
    """A valid profile with plausible figures, amounts in whole hundreds of yuan, shares with
    up to two decimals."""

    def money(top: int, step: int = 100) -> int:
        return rnd.choice([0, rnd.randrange(0, top, step), rnd.randrange(0, top // 10, step)])

    def pct(low: int = 0, high: int = 100) -> Decimal:
        return rnd.choice(
            [
                Decimal(0) if low > 0 else Decimal(low),  # 0 is always plausible: none at all
                Decimal(rnd.randint(low, high)),
                Decimal(rnd.randint(low * 100, high * 100)) / 100,
            ]
        )

    def plausible(field: str) -> tuple[int, int]:
        rule = rules.figures[field]
        return int(rule.min), int(rule.max)

    rules = default_rules()

    def value_of(field: str) -> Any:
        return rnd.choice([v for v, _, _ in options_for(field, rules, "zh")])

    profile: dict[str, Any] = {
        "org_type": rnd.choice(["enterprise"] * 9 + ["service_institution"]),
        "district": value_of("district"),
        "certification": value_of("certification"),
        "niche_years": rnd.randint(0, 15),
        "revenue": money(800_000_000),
        "profit": money(80_000_000) * rnd.choice([1, 1, 1, -1]),
        "rd_expense": money(12_000_000),
        "rd_expense_avg_2y": money(15_000_000, step=1_000_000),
        "equity_financing_2y": money(80_000_000),
        "sci_award": value_of("sci_award"),
        "maker_top500": rnd.random() < 0.2,
        "main_business_share_pct": pct(*plausible("main_business_share_pct")),
        "main_revenue_growth_pct": pct(-20, 30),
        "product_field": value_of("product_field"),
        "digital_level": value_of("digital_level"),
        "quality": sorted({value_of("quality") for _ in range(rnd.randint(0, 3))}),
        "debt_ratio_pct": pct(*plausible("debt_ratio_pct")),
        "distinctive": sorted({value_of("distinctive") for _ in range(rnd.randint(0, 3))}),
        "talent": value_of("talent"),
        "ip": value_of("ip"),
        "rd_staff_pct": pct(*plausible("rd_staff_pct")),
        "rd_institution": value_of("rd_institution"),
        "registered_capital": money(60_000_000, step=1000),
        "operates_park": rnd.random() < 0.2,
        "listing_plan": rnd.random() < 0.3,
        "has_bank_loans": rnd.random() < 0.5,
        "provincial_tech_upgrade_funded": rnd.random() < 0.1,
        "relocating_to_guangzhou": rnd.random() < 0.1,
        "annual_tax": money(30_000_000),
    }
    # R&D or a profit above the revenue is asked back in the chat and refused in a sheet
    profile["revenue"] = max(profile["revenue"], profile["rd_expense"], profile["profit"])
    return {k: v for k, v in profile.items() if rnd.random() < 0.85}


HEADERS = {
    "org_type": "组织类型",
    "district": "所在区",
    "certification": "认定级别",
    "niche_years": "从事细分市场年限（年）",
    "revenue": "营业收入（万元）",
    "profit": "净利润（元）",
    "rd_expense": "研发费用",
    "rd_expense_avg_2y": "近两年研发费用均值（亿元）",
    "equity_financing_2y": "近两年新增股权融资（万元）",
    "sci_award": "科技奖励",
    "maker_top500": "创客中国500强",
    "main_business_share_pct": "主营业务收入占比",
    "main_revenue_growth_pct": "主营业务收入增长率",
    "product_field": "主导产品领域",
    "digital_level": "数字化水平",
    "quality": "质量管理",
    "debt_ratio_pct": "资产负债率（%）",
    "distinctive": "特色化指标",
    "talent": "人才项目",
    "ip": "知识产权",
    "rd_staff_pct": "研发人员占比",
    "rd_institution": "研发机构",
    "registered_capital": "注册资本（千元）",
    "operates_park": "是否运营园区",
    "listing_plan": "上市计划",
    "has_bank_loans": "银行贷款",
    "provincial_tech_upgrade_funded": "获省级技改资金",
    "relocating_to_guangzhou": "迁入广州",
    "annual_tax": "年纳税额（万元）",
}


def cell(field: str, value: Any, rnd: random.Random, workbook: bool) -> Any:
    """`value` as someone might have typed it under HEADERS[field]."""
    rules = default_rules()
    d = Decimal(value) if isinstance(value, int | Decimal) and not isinstance(value, bool) else Decimal(0)
    if field == "revenue":  # 万元 column; a range is scored at its lower end
        choices = [_num(d / 10_000), f"{_plain(d / 10_000)}万", f"{_plain(d)}元"]
        return rnd.choice([*choices, Range(f"{_plain(d / 10_000)}-{_plain(d / 10_000 + 100)}万")])
    if field == "profit":  # 元 column
        return rnd.choice([_num(d), f"{_plain(d)}元", f"{_plain(d / 10_000)}万"]) if d else 0
    if field == "rd_expense":  # no unit: bare numbers are yuan
        return rnd.choice([_num(d), f"{_plain(d / 10_000)}万", f"¥{_plain(d)}"])
    if field == "rd_expense_avg_2y":  # 亿元 column
        return rnd.choice([_num(d / 10**8), f"{_plain(d / 10_000)}万元"])
    if field in ("equity_financing_2y", "annual_tax"):  # 万元 columns
        return rnd.choice([_num(d / 10_000), f"{_plain(d / 10_000)}"])
    if field == "registered_capital":  # 千元 column
        return _num(d / 1000)
    if field == "niche_years":
        return (
            Formula(f"={value}+0", value)
            if workbook and rnd.random() < 0.3
            else rnd.choice([value, f"{value}年"])
        )
    if field == "main_business_share_pct":
        return Styled(float(d / 100), "0.00%") if workbook and rnd.random() < 0.5 else f"{_plain(d)}%"
    if field == "main_revenue_growth_pct":
        return rnd.choice([f"{_plain(d)}%", _num(d)])
    if field == "debt_ratio_pct" and d >= 2 and rnd.random() < 0.25:
        return Range(f"{_plain(d / 2)}%-{_plain(d)}%")  # less is better: scored at its upper end
    if field in ("debt_ratio_pct", "rd_staff_pct"):
        return rnd.choice([_num(d), f"{_plain(d)}%"])
    if isinstance(value, bool):
        return (
            rnd.choice([value, "是" if value else "否"])
            if workbook
            else rnd.choice(["是" if value else "否", str(value).upper()])
        )
    labels = {v: (zh, en, *aliases) for v, zh, (_, en, *aliases) in options_for(field, rules, "zh")}
    if isinstance(value, list):
        if not value:
            return rnd.choice(["无", "都没有"])
        sep = rnd.choice(["；", "、", ",", ";"])
        return sep.join(rnd.choice([labels[v][0], labels[v][1]]) for v in value)
    names = labels[value]
    return rnd.choice([n for n in names if n]) if rnd.random() < 0.5 else names[0]


class Range(str):
    """A cell that gives a range: the row gets a reading note."""

    __slots__ = ()


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _num(value: Decimal) -> Any:
    return int(value) if value == value.to_integral_value() else float(value)


def expected_cells(profile: dict[str, Any]) -> list[Any]:
    rules = default_rules()
    a = assess(parse_profile(profile, rules.contacts.districts), rules, TODAY)
    return ResultColumns(rules, load_catalogs(), "zh", TODAY).cells(a)


def sheet(rnd: random.Random, workbook: bool) -> tuple[list[list[Any]], list[dict[str, Any]], list[bool]]:
    fields = list(HEADERS)
    rnd.shuffle(fields)
    header = [
        "企业名称",
        *(HEADERS[f] for f in fields[:15]),
        "统一社会信用代码",
        *(HEADERS[f] for f in fields[15:]),
        "备注",
    ]
    order = ["企业名称", *fields[:15], "code", *fields[15:], "note"]
    rows: list[list[Any]] = [header]
    profiles = []
    ranges = []
    for n in range(ROWS):
        profile = random_profile(rnd)
        profiles.append(profile)
        extra = {
            "企业名称": f"广州第{n}科技有限公司",
            "code": f"{n:018d}",
            "note": rnd.choice(["", "=1+1", "重点跟进"]),
        }
        cells = [
            extra[f] if f in extra else (cell(f, profile[f], rnd, workbook) if f in profile else None)
            for f in order
        ]
        ranges.append(any(isinstance(c, Range) for c in cells))
        rows.append([str(c) if isinstance(c, Range) else c for c in cells])
    return rows, profiles, ranges


RESULT_HEADERS = ResultColumns(default_rules(), load_catalogs(), "zh", TODAY).headers


@pytest.mark.parametrize("seed", [1, 2])
def test_every_workbook_row_scores_as_the_engine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed: int
) -> None:
    rows, profiles, ranges = sheet(random.Random(seed), workbook=True)
    source = write_xlsx(tmp_path / "in.xlsx", rows)
    target = tmp_path / "out.xlsx"
    status, _, err = run(capsys, "assess", str(source), "-o", str(target), "--today", TODAY.isoformat())
    out = as_dicts(read_xlsx(target))
    assert status == 0, [r["错误"] for r in out if r["错误"]][:3]
    assert len(out) == len(profiles) and any(ranges)
    for n, (row, profile, given_range) in enumerate(zip(out, profiles, ranges, strict=True)):
        assert [row[h] for h in RESULT_HEADERS[:-2]] == expected_cells(profile), (n, profile)
        assert row["企业名称"] == f"广州第{n}科技有限公司" and row["统一社会信用代码"] == f"{n:018d}"
        assert (row["取值说明"] is not None) == given_range, (n, row["取值说明"])
    assert "研发费用" in err  # its bare numbers were read as yuan, and the run said so
    assert f"{sum(ranges)} 行有区间" in err


def test_every_csv_row_scores_as_the_engine(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows, profiles, ranges = sheet(random.Random(3), workbook=False)
    source = write_csv(tmp_path / "in.csv", [["" if c is None else c for c in row] for row in rows])
    target = tmp_path / "out.csv"
    status, _, _ = run(capsys, "assess", str(source), "-o", str(target), "--today", TODAY.isoformat())
    out = read_csv(target)
    assert status == 0
    for row, profile, given_range in zip(out, profiles, ranges, strict=True):
        expected = ["" if v is None else str(v) for v in expected_cells(profile)]
        got = [
            next(v for k, v in row.items() if k == h or k.startswith(h + "（")) for h in RESULT_HEADERS[:-2]
        ]
        assert got == expected, profile
        assert bool(row["取值说明"]) == given_range
