"""Reading a header row: fields by id, label or alias; units; kept, dropped and name columns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.batch.columns import ColumnError, Layout, layout, split_unit
from bot.batch.results import result_names
from dialogs.i18n import load_catalogs
from rules import default_rules


def read(*header: str, lang: str | None = None) -> Layout:
    rules = default_rules()
    return layout(list(header), rules, result_names(rules, load_catalogs()), lang)


@pytest.mark.parametrize(
    ("header", "split"),
    [
        ("营业收入（万元）", ("营业收入", "万元")),
        ("营业收入(单位：万元)", ("营业收入", "万元")),
        ("营业收入【亿元】", ("营业收入", "亿元")),
        ("Revenue (10k yuan)", ("Revenue", "10k yuan")),
        ("研发人员占比（%）*", ("研发人员占比", "%")),
        ("营业收入\n（万元）", ("营业收入", "万元")),
        ("营业收入", ("营业收入", None)),
        ("（万元）", ("(万元)", None)),
    ],
)
def test_a_header_splits_into_name_and_unit(header: str, split: tuple[str, str | None]) -> None:
    assert split_unit(header) == split


@pytest.mark.parametrize(
    ("header", "field", "scale"),
    [
        ("revenue", "revenue", 1),
        ("营业收入", "revenue", 1),
        ("上年度营业收入（万元）", "revenue", 10_000),
        ("营收(亿元)", "revenue", 10**8),
        ("Revenue (yuan)", "revenue", 1),
        ("REVENUE", "revenue", 1),
        ("营业收入（千元）", "revenue", 1000),
        ("营业收入（2024年）", "revenue", 1),  # a note, not a unit
        ("主营业务收入占比（%）", "main_business_share_pct", 1),
        ("是否有上市计划", "listing_plan", 1),
        ("ＩＰ", "ip", 1),  # full-width letters
        ("特色化指标（广东省自主设定）", "distinctive", 1),  # an alias that has brackets itself
    ],
)
def test_fields_are_named_by_id_label_or_alias(header: str, field: str, scale: int) -> None:
    (col,) = read(header).fields
    assert (col.field, col.scale) == (field, Decimal(scale))


def test_kept_dropped_and_name_columns() -> None:
    lay = read("序号", "企业名称", "营业收入", "联系人", "评价得分", "Score", "错误", "")
    assert lay.kept == [0, 1, 2, 3]  # an earlier run's results are dropped, trailing blanks too
    assert lay.name_column == 1 and lay.passthrough == ["序号", "企业名称", "联系人"]
    assert read("company", "公司名称").name_column == 1  # 公司名称 is preferred


def test_the_sheets_language() -> None:
    assert read("revenue", "ip").lang == "en"
    assert read("营业收入", "ip").lang == "zh"
    assert read("revenue", "备注").lang == "zh"
    assert read("Revenue", "创客中国 top 500", "Company name").lang == "en"  # English labels
    assert read("营业收入", lang="en").lang == "en"


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (("营业收入（%）",), "batch.header.bad_unit"),
        (("研发人员占比（万元）",), "batch.header.bad_unit"),
        (("营业收入", "营收（万元）"), "batch.header.repeated"),
    ],
)
def test_headers_that_cannot_be_scored(header: tuple[str, ...], key: str) -> None:
    with pytest.raises(ColumnError) as caught:
        read(*header)
    assert caught.value.key == key


def test_every_field_label_and_alias_names_its_field() -> None:
    for info in default_rules().fields.field:
        for name in (info.id, info.label.zh, info.label.en, *info.aliases):
            assert [c.field for c in read(name).fields] == [info.id], name


def test_no_field_is_named_like_a_result_column() -> None:
    rules = default_rules()
    from rules.loader import column_key

    names = result_names(rules, load_catalogs())
    for info in rules.fields.field:
        for name in (info.id, info.label.zh, info.label.en, *info.aliases):
            assert column_key(name) not in names, name
