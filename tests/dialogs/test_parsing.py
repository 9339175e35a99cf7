"""Reading answers as people type them: amounts, percentages, years, choices."""

from __future__ import annotations

import ast
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import dialogs.parsing as parsing
from dialogs.parsing import (
    MAX_ANSWER_CHARS,
    MAX_MONEY,
    AnswerError,
    Option,
    format_decimal,
    is_skip,
    likelier_reading,
    normalize,
    parse_choice,
    parse_choices,
    parse_money,
    parse_money_reading,
    parse_percent,
    parse_years,
    yes_no_options,
)

TODAY = date(2025, 11, 23)

CERTIFICATION = [
    Option("none", ("无", "None", "没有认定")),
    Option("innovative", ("创新型中小企业", "Innovative SME")),
    Option("municipal", ("市级专精特新", "Municipal")),
    Option("provincial", ("省级专精特新", "Provincial")),
    Option("national_little_giant", ("国家级专精特新“小巨人”", "National little giant", "国家级小巨人")),
    Option("key_little_giant", ("国家级重点“小巨人”", "Key national little giant", "重点小巨人")),
]
DIGITAL_LEVEL = [
    Option(1, ("一级", "Level 1")),
    Option(2, ("二级", "Level 2")),
    Option(3, ("三级及以上", "Level 3 or above")),
]
LETTERS = [Option(letter, (f"{letter}项特色",)) for letter in "ABCDEF"]
QUALITY = [
    Option("provincial_quality_award", ("省级及以上质量奖", "Provincial or higher quality award")),
    Option("quality_certification", ("质量管理体系认证", "ISO 9001 quality certification")),
    Option("own_brand", ("自主品牌", "Own brand")),
    Option("standards", ("参与制定标准", "Took part in drafting standards")),
]
YES_NO = yes_no_options()


def code_of(call: object) -> str:
    assert callable(call)
    with pytest.raises(AnswerError) as caught:
        call()
    return caught.value.code


# ---------------------------------------------------------------------------------------
# normalize, empty and too long


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  300万  ", "300万"),
        ("１，２００万", "1,200万"),  # full-width digits and comma
        ("５％", "5%"),
        ("￥３００", "¥300"),
        ("3\u200b0\u200d0", "300"),  # zero-width characters
        ("\ufeff300", "300"),
        ("a \t\n  b", "a b"),
        ("一\u3000千", "一 千"),  # ideographic space
        ("壹佰萬", "壹佰萬"),  # financial numerals are left for the parsers
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\u3000\n", "😀", "😀😀 🙏", "？！。", "\u200b", "---"])
@pytest.mark.parametrize(
    "parse",
    [
        parse_money,
        parse_percent,
        lambda text: parse_years(text, today=TODAY),
        lambda text: parse_choice(text, LETTERS),
        lambda text: parse_choices(text, LETTERS),
    ],
)
def test_nothing_written_is_empty(parse: object, text: str) -> None:
    blank = not text.strip() or text == "\u200b"
    # nothing at all is empty; signs or emoji alone hold no words (said so, not "empty")
    assert code_of(lambda: parse(text)) == ("empty" if blank else "no_words")  # type: ignore[operator]


@pytest.mark.parametrize(
    "parse",
    [
        parse_money,
        parse_percent,
        lambda text: parse_years(text, today=TODAY),
        lambda text: parse_choice(text, LETTERS),
        lambda text: parse_choices(text, LETTERS),
    ],
)
@pytest.mark.parametrize("text", ["3" * 5000, "A," * 2500, "一" * (MAX_ANSWER_CHARS + 1), "x" * 10**6])
def test_a_paste_is_too_long(parse: object, text: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse(text)  # type: ignore[operator]
    assert caught.value.code == "too_long"
    assert caught.value.details == {"max": MAX_ANSWER_CHARS}


def test_the_limit_counts_characters_after_normalising() -> None:
    assert parse_money(" " * 600 + "300万") == 3_000_000
    assert parse_money("\u200b" * 600 + "300万") == 3_000_000


# ---------------------------------------------------------------------------------------
# is_skip


@pytest.mark.parametrize(
    "text",
    [
        "不清楚",
        "不知道",
        "跳过",
        "略过",
        "暂无数据",
        "不方便透露",
        "不详",
        "不确定",
        "保密",
        "skip",
        "/skip",
        "/skip@zjtx_bot",
        "SKIP",
        "pass",
        "Pass.",
        "don't know",
        "Don’t know!",
        "I don't know",
        "not sure",
        "Not sure...",
        "n/a",
        "N/A",
        "idk",
        "不清楚。",
        "不知道😅",
        "不知道啊",
        "跳过吧",
        "抱歉，我不太清楚呢",
        "具体数字不清楚",
        "我们也不知道",
        "  不清楚  ",
        "ｓｋｉｐ",
    ],
)
def test_skip_words(text: str) -> None:
    assert is_skip(text)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀", "没有", "无", "暂无", "不", "否", "no", "none", "0", "300万", "清楚", "知道", "skipper",
     "我知道", "passed", "A", "x" * 10**5],
)  # fmt: skip
def test_answers_are_not_skips(text: str) -> None:
    assert not is_skip(text)


# ---------------------------------------------------------------------------------------
# Money


@pytest.mark.parametrize(
    ("text", "yuan", "reading"),
    [
        ("1.5亿", 150_000_000, "yi"),
        ("6千万", 60_000_000, "wan"),
        ("5500万元", 55_000_000, "wan"),
        ("1,200万", 12_000_000, "wan"),
        ("1，200万", 12_000_000, "wan"),
        ("0.8亿元", 80_000_000, "yi"),
        ("两千万", 20_000_000, "wan"),
        ("1亿2000万", 120_000_000, "yi"),
        ("1亿2千万", 120_000_000, "yi"),
        ("3.5千万", 35_000_000, "wan"),
        ("300万", 3_000_000, "wan"),
        ("一千二百万", 12_000_000, "wan"),
        ("3千万元人民币", 30_000_000, "wan"),
        ("人民币300万元", 3_000_000, "wan"),
        ("¥3,000,000元", 3_000_000, "yuan"),
        ("￥3,000,000", 3_000_000, "yuan"),
        ("3000000元", 3_000_000, "yuan"),
        ("3000000 yuan", 3_000_000, "yuan"),
        ("300块", 300, "yuan"),
        ("3千元", 3_000, "yuan"),
        ("120万元左右", 1_200_000, "wan"),
        ("约120万", 1_200_000, "wan"),
        ("大概120万吧", 1_200_000, "wan"),
        ("300多万", 3_000_000, "wan"),
        ("三百余万", 3_000_000, "wan"),
        ("超过300万", 3_000_000, "wan"),
        ("300万以上", 3_000_000, "wan"),
        ("1.2 亿", 120_000_000, "yi"),
        ("1 亿 2000 万", 120_000_000, "yi"),
        ("1.5个亿", 150_000_000, "yi"),
        ("两个亿", 200_000_000, "yi"),
        ("一亿二", 120_000_000, "yi"),
        ("两万五", 25_000, "wan"),
        ("1万5", 15_000, "wan"),
        ("1万2000", 12_000, "wan"),
        ("一亿零五百万", 105_000_000, "yi"),
        ("1亿零500万", 105_000_000, "yi"),
        ("一千零五十万", 10_500_000, "wan"),
        ("一点五亿", 150_000_000, "yi"),
        ("十万", 100_000, "wan"),
        ("百万", 1_000_000, "wan"),
        ("1万亿", 10**12, "yi"),
        ("壹佰万", 1_000_000, "wan"),
        ("贰仟萬元", 20_000_000, "wan"),
        ("300w", 3_000_000, "wan"),
        ("300W", 3_000_000, "wan"),
        ("300万整", 3_000_000, "wan"),
        ("去年营收大概3000万", 30_000_000, "wan"),
        ("我们研发投入有500万左右", 5_000_000, "wan"),
        ("RMB 5 million", 5_000_000, "en"),
        ("rmb5m", 5_000_000, "en"),
        ("5m", 5_000_000, "en"),
        ("5 M", 5_000_000, "en"),
        ("5mn", 5_000_000, "en"),
        ("2.5 million yuan", 2_500_000, "en"),
        ("five million", 5_000_000, "en"),
        ("a million yuan", 1_000_000, "en"),
        ("1.2 billion", 1_200_000_000, "en"),
        ("3bn", 3_000_000_000, "en"),
        ("800k", 800_000, "en"),
        ("about 800K RMB", 800_000, "en"),
        ("0", 0, "bare_wan"),
        ("零", 0, "bare_wan"),
        ("0元", 0, "yuan"),
        ("没有", 0, "yuan"),
        ("无", 0, "yuan"),
        ("300", 3_000_000, "bare_wan"),
        ("３００", 3_000_000, "bare_wan"),
        ("1,200", 12_000_000, "bare_wan"),
        ("12.5", 125_000, "bare_wan"),
        ("一千二百", 12_000_000, "bare_wan"),
        ("三千五", 35_000_000, "bare_wan"),
        ("3千", 30_000_000, "bare_wan"),
    ],
)
def test_money_forms(text: str, yuan: int, reading: str) -> None:
    assert parse_money_reading(text) == (Decimal(yuan), reading)
    assert parse_money(text) == yuan


@pytest.mark.parametrize(
    ("text", "exact"),
    [
        ("1.1亿", "110000000"),
        ("0.1万", "1000"),
        ("0.0001万", "1"),
        ("1.23456789亿", "123456789"),
        ("0.12345678901亿", None),  # more than ten decimals in one number is not an amount
        ("12.34元", "12.34"),
        ("0.01元", "0.01"),
        ("3.3万", "33000"),
        ("1.15亿", "115000000"),
    ],
)
def test_money_is_exact(text: str, exact: str | None) -> None:
    if exact is None:
        assert code_of(lambda: parse_money(text)) == "money.invalid"
        return
    value = parse_money(text)
    assert value == Decimal(exact)
    assert str(value) == exact  # no exponent, no trailing zeros: what the echo prints


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("-300万", -3_000_000),
        ("−300万", -3_000_000),  # a minus sign, not a hyphen
        ("负300万", -3_000_000),
        ("亏损300万", -3_000_000),
        ("亏300万", -3_000_000),
        ("净亏损1.2亿", -120_000_000),
        ("300万亏损", -3_000_000),
        ("¥-300", -300),
        ("loss of 2m", -2_000_000),
        ("-300", -3_000_000),
        ("盈利300万", 3_000_000),
        ("+300万", 3_000_000),
        ("亏损0", 0),
        ("-0", 0),
    ],
)
def test_money_losses(text: str, yuan: int) -> None:
    assert parse_money(text, allow_negative=True) == yuan
    if yuan < 0:
        assert code_of(lambda: parse_money(text)) == "money.negative"
    else:
        assert parse_money(text) == yuan


@pytest.mark.parametrize(
    "text",
    [
        *("很多", "abc", "一些", "不清楚", "几百万", "上千万", "万", "亿元", "元", "万元", "1.2.3万"),
        *("1,2万", "12,000,00", "1亿2000", "1亿5千", "三百二千", "千千万", "1万2万", "亿亿", "30%"),
        *("$5m", "5 dollars", "1e6", "0x10", "nan", "Infinity", "一二三四五六七八九十百", "负负300"),
        *("亏损-300万", "300万-", "很多钱", "5/3万"),
    ],
)
def test_money_rejects_nonsense(text: str) -> None:
    assert code_of(lambda: parse_money(text, allow_negative=True)) == "money.invalid"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("300-500万", "range"),
        ("300~500万", "range"),
        ("300到500万", "range"),
        ("三百至五百万", "range"),
        ("3 to 5 million", "range"),
        ("不到100万", "upper_bound"),
        ("100万以下", "upper_bound"),
        ("低于100万", "upper_bound"),
        ("less than 1m", "upper_bound"),
    ],
)
def test_money_refuses_ranges_and_upper_bounds(text: str, reason: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_money(text)
    assert caught.value.code == "money.invalid"
    assert caught.value.details == {"reason": reason}


@pytest.mark.parametrize(
    "text", ["9" * 400, "9" * 21 + "元", "一" * 30 + "元", "10000001亿", "2000万亿", "9" * 12]
)
def test_money_too_large(text: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_money(text)
    assert caught.value.code == "money.too_large"
    assert caught.value.details == {"max": MAX_MONEY}


def test_money_largest_accepted() -> None:
    assert parse_money("1000万亿") == MAX_MONEY
    assert parse_money("99999999999") == Decimal("999999999990000")


# ---------------------------------------------------------------------------------------
# Percentages


@pytest.mark.parametrize(
    ("text", "percent"),
    [
        ("12.5%", "12.5"),
        ("12.5", "12.5"),
        ("12.50 %", "12.5"),
        ("百分之八", "8"),
        ("百分之十二点五", "12.5"),
        ("百分之一百", "100"),
        ("8个百分点", "8"),
        ("8个点", "8"),
        ("0.5%", "0.5"),
        ("5 percent", "5"),
        ("five percent", "5"),
        ("5 per cent", "5"),
        ("５％", "5"),
        ("0.08", "0.08"),
        ("0", "0"),
        ("100%", "100"),
        ("增长5%", "5"),
        ("同比增长百分之五", "5"),
        ("+5%", "5"),
        ("八成", "80"),
        ("一半", "50"),
        ("约8%", "8"),
        ("8%左右", "8"),
        ("80%以上", "80"),
        ("5‰", "0.5"),
        ("十二", "12"),
    ],
)
def test_percent_forms(text: str, percent: str) -> None:
    assert parse_percent(text) == Decimal(percent)


@pytest.mark.parametrize(
    ("text", "percent"),
    [
        ("负3%", "-3"),
        ("-3%", "-3"),
        ("−3%", "-3"),
        ("减少3%", "-3"),
        ("下降3%", "-3"),
        ("下降了3个百分点", "-3"),
        ("负增长3%", "-3"),
        ("3%的下降", "-3"),
        ("百分之负三", "-3"),
        ("down 3%", "-3"),
        ("decline of 2.5 percent", "-2.5"),
        ("-0%", "0"),
    ],
)
def test_percent_negatives(text: str, percent: str) -> None:
    assert parse_percent(text, low=None, high=None) == Decimal(percent)
    assert parse_percent(text, low=Decimal(-100)) == Decimal(percent)
    if Decimal(percent) < 0:
        with pytest.raises(AnswerError) as caught:
            parse_percent(text)
        assert caught.value.code == "percent.range"
        assert caught.value.details == {"low": Decimal(0), "high": Decimal(100)}


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("101", Decimal(0), Decimal(100)),
        ("150%", Decimal(0), Decimal(100)),
        ("-5", Decimal(0), Decimal(100)),
        ("60", Decimal(0), Decimal(50)),
        ("-60", Decimal(-50), None),
        ("9" * 400, Decimal(0), Decimal(100)),
    ],
)
def test_percent_out_of_range(text: str, low: Decimal | None, high: Decimal | None) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_percent(text, low=low, high=high)
    assert caught.value.code == "percent.range"
    assert caught.value.details == {"low": low, "high": high}


def test_percent_bounds_are_inclusive_and_optional() -> None:
    assert parse_percent("0") == 0
    assert parse_percent("100") == 100
    assert parse_percent("250%", high=None) == 250
    assert parse_percent("-250%", low=None) == -250


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "很多",
        "百分之",
        "%",
        "8点",
        "1/3",
        "1.2.3%",
        "300万",
        "一亿",
        "3%4%",
        "负增长增长3%",
        "八成%",
        "几个点",
    ],
)
def test_percent_rejects_nonsense(text: str) -> None:
    expected = "no_words" if text == "%" else "percent.invalid"
    assert code_of(lambda: parse_percent(text, low=None, high=None)) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("5%-8%", "range"), ("5到8%", "range"), ("百分之五至八", "range"), ("50%以下", "upper_bound"),
     ("不到50%", "upper_bound"), ("less than 5 percent", "upper_bound")],
)  # fmt: skip
def test_percent_refuses_ranges_and_upper_bounds(text: str, reason: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_percent(text)
    assert (caught.value.code, caught.value.details) == ("percent.invalid", {"reason": reason})


# ---------------------------------------------------------------------------------------
# Years


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("7", "7"),
        ("七年", "7"),
        ("7年", "7"),
        ("7 年", "7"),
        ("3.5年", "3.5"),
        ("三年半", "3.5"),
        ("3年半", "3.5"),
        ("一年半", "1.5"),
        ("十年", "10"),
        ("十二年", "12"),
        ("两年", "2"),
        ("半年", "0.5"),
        ("0", "0"),
        ("200", "200"),
        ("7年了", "7"),
        ("有7年", "7"),
        ("已经7年多了", "7"),
        ("十多年", "10"),
        ("20年以上", "20"),
        ("大约8年", "8"),
        ("7年前", "7"),
        ("7个年头", "7"),
        ("18个月", "1.5"),
        ("6个月", "0.5"),
        ("1年6个月", "1.5"),
        ("两年零三个月", "2.25"),
        ("7 years", "7"),
        ("7yrs", "7"),
        ("seven years", "7"),
        ("twenty-five years", "25"),
        ("a year and a half", "1.5"),
        ("one and a half years", "1.5"),
        ("half a year", "0.5"),
        ("about 7 years", "7"),
        ("7 years ago", "7"),
        ("４年", "4"),
    ],
)
def test_years_counted(text: str, years: str) -> None:
    assert parse_years(text, today=TODAY) == Decimal(years)


@pytest.mark.parametrize(
    ("text", "years"),
    [
        # a year alone: the full years from its 31 December (a start in it is sure of those)
        ("2015", "9"),
        ("2015年", "9"),
        ("2015年开始", "9"),
        ("从2015年起", "9"),
        ("自2015年以来", "9"),
        ("since 2015", "9"),
        ("from 2015 onwards", "9"),
        ("二零一五年", "9"),
        ("二〇一五年", "9"),
        ("2025年", "0"),
        ("1900", "124"),
        # a month: the full months from its last day, cut down to two decimals
        ("2015年3月", "10.58"),  # 31 March 2015 to 23 November 2025: 127 months
        ("2015年11月", "9.91"),  # 30 November 2015: 119 months, the 120th on 30 November
        ("2015-03", "10.58"),
        ("2015/11", "9.91"),
        ("2024年12月起", "0.83"),
        ("2015年10月", "10"),
        ("公司2015年成立", "9"),
    ],
)
def test_years_since_a_calendar_year(text: str, years: str) -> None:
    assert parse_years(text, today=TODAY) == Decimal(years)


def test_years_since_depends_on_today() -> None:
    assert parse_years("2015年", today=date(2030, 1, 1)) == 14
    assert parse_years("2015年", today=date(2030, 12, 31)) == 15  # sure of 15 on its last day
    assert parse_years("2015年", today=date(2015, 6, 1)) == 0
    assert parse_years("2024年2月", today=date(2026, 2, 28)) == 2  # 29 February's anniversary


def test_a_year_alone_is_the_range_of_full_years_a_start_in_it_can_be() -> None:
    march = date(2026, 3, 10)
    assert parsing.read_years("2024年开始", today=march) == parsing.Figure(
        "range", Decimal(1), Decimal(2), parsing.SINCE_YEAR
    )
    assert parsing.read_years("前年", today=march).low == 1  # not the calendar difference, 2
    assert parsing.read_years("2019年开始做的", today=march).low == 6  # not 7
    assert parsing.read_years("今年", today=march) == parsing.Figure(
        "exact", Decimal(0), Decimal(0), parsing.SINCE_YEAR
    )


@pytest.mark.parametrize(
    ("text", "details"),
    [
        ("2030", {"year": 2030}),
        ("2026年", {"year": 2026}),
        ("1800年", {"year": 1800}),
        ("1000", {"year": 1000}),
        ("2025年12月", {"year": 2025}),
        ("2015年13月", {"year": 2015}),
        ("201", {}),
        ("300年", {}),
        ("-3", {}),
        ("负三年", {}),
        ("abc", {}),
        ("很多年", {}),
        ("十几年", {}),
        ("since 7", {}),
        ("9" * 400, {}),
        ("半年半", {}),
        ("3.5年半", {}),
        ("3-5年", {"reason": "range"}),
        ("三到五年", {"reason": "range"}),
        ("不到两年", {"reason": "upper_bound"}),
        ("less than 2 years", {"reason": "upper_bound"}),
    ],
)
def test_years_rejected(text: str, details: dict[str, object]) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_years(text, today=TODAY)
    assert (caught.value.code, caught.value.details) == ("years.invalid", details)


# ---------------------------------------------------------------------------------------
# One choice


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("provincial", "provincial"),
        ("PROVINCIAL", "provincial"),
        ("national_little_giant", "national_little_giant"),
        ("4", "provincial"),  # the option's number
        ("４", "provincial"),
        ("第四个", "provincial"),
        ("4.", "provincial"),
        ("(4)", "provincial"),
        ("省级专精特新", "provincial"),
        ("Provincial", "provincial"),
        ("省级", "provincial"),  # contained in one label only
        ("我们是省级专精特新企业", "provincial"),  # contains one label
        ("市级", "municipal"),
        ("创新型", "innovative"),
        ("国家级小巨人", "national_little_giant"),  # an alias
        ("国家级专精特新小巨人", "national_little_giant"),  # quotes do not matter
        ("国家级重点", "key_little_giant"),
        ("key", "key_little_giant"),
        ("municipal level", "municipal"),
        ("无", "none"),
    ],
)
def test_choice(text: str, value: str) -> None:
    assert parse_choice(text, CERTIFICATION) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1), ("3", 3), ("三", 3), ("二", 2), ("3级", 3), ("三级", 3), ("3级以上", 3), ("level 2", 2),
     ("Level 3 or above", 3), ("三级及以上", 3), ("一级", 1)],
)  # fmt: skip
def test_numeric_values_win_over_option_numbers(text: str, value: int) -> None:
    assert parse_choice(text, DIGITAL_LEVEL) == value


def test_option_numbers_are_not_read_when_values_are_numbers() -> None:
    options = [Option(5, ("五",)), Option(10, ("十",))]
    assert parse_choice("5", options) == 5
    assert code_of(lambda: parse_choice("1", options)) == "choice.unknown"
    assert code_of(lambda: parse_choice("4", DIGITAL_LEVEL)) == "choice.unknown"


@pytest.mark.parametrize(
    ("text", "value"),
    [("是", True), ("是的", True), ("有", True), ("有的", True), ("对", True), ("嗯", True), ("yes", True),
     ("Y", True), ("true", True), ("有两笔贷款", True), ("是的，有", True), ("1", True), ("否", False),
     ("没有", False), ("无", False), ("不是", False), ("没", False), ("no", False), ("N", False),
     ("FALSE", False), ("没有贷款", False), ("2", False)],
)  # fmt: skip
def test_yes_no(text: str, value: bool) -> None:
    assert parse_choice(text, YES_NO) is value


@pytest.mark.parametrize("text", ["不清楚", "不知道", "是否", "maybe", "3"])
def test_yes_no_does_not_guess(text: str) -> None:
    assert code_of(lambda: parse_choice(text, YES_NO)) == "choice.unknown"


def test_yes_no_words_can_be_aliases_of_other_values() -> None:
    options = [
        Option("yes", ("提交", "Submit", *parsing.YES_WORDS)),
        Option("no", ("修改", *parsing.NO_WORDS)),
    ]
    assert parse_choice("是的", options) == "yes"
    assert parse_choice("提交", options) == "yes"
    assert parse_choice("不", options) == "no"


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("国家级", ("national_little_giant", "key_little_giant")),
        ("小巨人", ("national_little_giant", "key_little_giant")),
        ("national", ("national_little_giant", "key_little_giant")),
    ],
)
def test_choice_ambiguous(text: str, candidates: tuple[str, ...]) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_choice(text, CERTIFICATION)
    assert caught.value.code == "choice.ambiguous"
    assert caught.value.details == {"text": text, "candidates": candidates}


def test_the_same_label_on_two_options_is_ambiguous() -> None:
    options = [Option("a", ("同名",)), Option("b", ("同名",))]
    with pytest.raises(AnswerError) as caught:
        parse_choice("同名", options)
    assert caught.value.details["candidates"] == ("a", "b")


@pytest.mark.parametrize(
    "text", ["xyz", "不是省级", "非省级", "not provincial", "7", "0", "省", "第九个", "🙂 ok"]
)
def test_choice_unknown(text: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_choice(text, CERTIFICATION)
    assert caught.value.code == "choice.unknown"
    assert caught.value.details == {"text": normalize(text)}


# ---------------------------------------------------------------------------------------
# Several choices


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("A,C", ["A", "C"]),
        ("A，C", ["A", "C"]),
        ("A C", ["A", "C"]),
        ("AC", ["A", "C"]),
        ("ac", ["A", "C"]),
        ("1、3", ["A", "C"]),
        ("1,3", ["A", "C"]),
        ("1 3", ["A", "C"]),
        ("A和C", ["A", "C"]),
        ("A与C", ["A", "C"]),
        ("A及C", ["A", "C"]),
        ("A；C", ["A", "C"]),
        ("A;C", ["A", "C"]),
        ("A/C", ["A", "C"]),
        ("A and C", ["A", "C"]),
        ("C,A,A,c", ["A", "C"]),  # repeats dropped, option order kept
        ("F、A项", ["A", "F"]),
        ("A", ["A"]),
        ("选B", ["B"]),
        ("B项特色", ["B"]),
        ("都没有", []),
        ("无", []),
        ("没有", []),
        ("以上都没有", []),
        ("none", []),
        ("None of the above", []),
        ("全部", ["A", "B", "C", "D", "E", "F"]),
        ("以上都是", ["A", "B", "C", "D", "E", "F"]),
    ],
)
def test_choices_letters(text: str, values: list[str]) -> None:
    assert parse_choices(text, LETTERS) == values


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("质量奖，自主品牌", ["provincial_quality_award", "own_brand"]),
        ("质量奖 自主品牌", ["provincial_quality_award", "own_brand"]),
        ("自主品牌和参与制定标准", ["own_brand", "standards"]),
        ("自主品牌、质量管理体系认证", ["quality_certification", "own_brand"]),
        ("own brand, drafting standards", ["own_brand", "standards"]),
        ("ISO 9001", ["quality_certification"]),
        ("省级及以上质量奖", ["provincial_quality_award"]),
        ("1,2", ["provincial_quality_award", "quality_certification"]),
        ("own_brand,standards", ["own_brand", "standards"]),
    ],
)
def test_choices_labels(text: str, values: list[str]) -> None:
    assert parse_choices(text, QUALITY) == values


def test_choices_with_numeric_values() -> None:
    assert parse_choices("1,3", DIGITAL_LEVEL) == [1, 3]
    assert parse_choices("三级、一级", DIGITAL_LEVEL) == [1, 3]


def test_letters_run_together_only_when_every_value_is_a_letter() -> None:
    assert code_of(lambda: parse_choices("AC", CERTIFICATION)) == "choice.unknown"


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("A,G", "G"),
        ("A, 火星", "火星"),
        ("自主品牌, 火星", "火星"),
        ("A和火星", "火星"),
        ("AG", "AG"),
        ("A,无", "无"),
    ],
)
def test_choices_name_the_unknown_item(text: str, item: str) -> None:
    options = QUALITY if "自主品牌" in text else LETTERS
    with pytest.raises(AnswerError) as caught:
        parse_choices(text, options)
    assert caught.value.code == "choice.unknown"
    assert caught.value.details == {"item": item}


def test_choices_name_the_ambiguous_item() -> None:
    with pytest.raises(AnswerError) as caught:
        parse_choices("市级, 国家级", CERTIFICATION)
    assert caught.value.code == "choice.ambiguous"
    assert caught.value.details == {
        "item": "国家级",
        "candidates": ("national_little_giant", "key_little_giant"),
    }


def test_choices_too_many() -> None:
    assert parse_choices("A,B", LETTERS, max_choices=2) == ["A", "B"]
    with pytest.raises(AnswerError) as caught:
        parse_choices("A,B,C", LETTERS, max_choices=2)
    assert (caught.value.code, caught.value.details) == ("choice.too_many", {"max": 2})


def test_choices_custom_none_words() -> None:
    assert parse_choices("不涉及", LETTERS) == []
    assert parse_choices("nada", LETTERS, none_words=("nada",)) == []
    assert code_of(lambda: parse_choices("无", LETTERS, none_words=())) == "choice.unknown"


def test_an_option_named_like_a_none_word_wins() -> None:
    options = [Option("none", ("无",)), Option("some", ("有",))]
    assert parse_choices("无", options) == ["none"]


# ---------------------------------------------------------------------------------------
# format_decimal and AnswerError


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1.2"), "1.2"),
        (Decimal("1.20"), "1.2"),
        (Decimal("300"), "300"),
        (Decimal("3E+2"), "300"),
        (Decimal("1.5E+8"), "150000000"),
        (Decimal("0.5"), "0.5"),
        (Decimal("0.000001"), "0.000001"),
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("0"), "0"),
        (Decimal("-0"), "0"),
        (Decimal("0E-10"), "0"),
        (Decimal("-3.50"), "-3.5"),
        (Decimal("123456789012345678901234567890"), "123456789012345678901234567890"),
    ],
)
def test_format_decimal(value: Decimal, text: str) -> None:
    assert format_decimal(value) == text


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_format_decimal_refuses_non_numbers(value: Decimal) -> None:
    with pytest.raises(ValueError):
        format_decimal(value)


def test_answer_error_carries_a_code_and_details() -> None:
    error = AnswerError("percent.range", low=Decimal(0), high=Decimal(100))
    assert isinstance(error, ValueError)
    assert error.code == "percent.range"
    assert error.details == {"low": Decimal(0), "high": Decimal(100)}
    assert str(error) == "percent.range"


def test_the_module_does_no_io() -> None:
    tree = ast.parse(Path(parsing.__file__).read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
    }
    allowed = {
        "__future__",
        "re",
        "unicodedata",
        "collections",
        "dataclasses",
        "datetime",
        "decimal",
        "functools",
        "typing",
        "opencc",  # traditional to simplified: it reads its own dictionaries once, nothing else
    }
    assert imported <= allowed


# ---------------------------------------------------------------------------------------
# Properties


CODE = re.compile(r"[a-z_]+(\.[a-z_]+)?")
# Pieces that numbers, units and choices are made of, strung together at random.
NUMERIC_PIECES = [
    *"0123456789.,，、%％-+~ 元万亿千百十点零一二两三四五六七八九壹萬年月半个多约负亏增降之成wkmbyi¥",
    *("million", "yuan", "RMB", "since ", "years", "percent", "个月", "以上", "以下", "不到", "省级", "和"),
    *("😀", "\u200b", "\u3000", "9" * 40, "自主品牌", "国家级", "不是", "A", "C", "没有"),
]
NUMERIC_TEXT = st.lists(st.sampled_from(NUMERIC_PIECES), max_size=12).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=60), NUMERIC_TEXT)
HUGE = ["9" * 400, "一" * 400, "1" * 499 + "万", "点" * 400, "亿" * 400, "1亿" * 200, "1," * 200, "零" * 400,
        "0." + "9" * 400, "9" * 20 + "." + "9" * 10 + "亿", "1e999999", "9" * 4300 + "万"]  # fmt: skip


def all_parsers(text: str) -> None:
    for parse in (
        lambda: parse_money(text),
        lambda: parse_money(text, allow_negative=True),
        lambda: parse_money_reading(text),
        lambda: parse_percent(text),
        lambda: parse_percent(text, low=None, high=None),
        lambda: parse_years(text, today=TODAY),
        lambda: parse_choice(text, CERTIFICATION),
        lambda: parse_choice(text, DIGITAL_LEVEL),
        lambda: parse_choice(text, YES_NO),
        lambda: parse_choices(text, LETTERS),
        lambda: parse_choices(text, QUALITY),
    ):
        try:
            parse()
        except AnswerError as error:
            assert CODE.fullmatch(error.code), error.code
    assert isinstance(is_skip(text), bool)


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
@example("9" * 400)
@example("１２３４５６７８９０" * 40)
def test_no_text_raises_anything_but_answer_error(text: str) -> None:
    all_parsers(text)


@pytest.mark.parametrize("text", HUGE)
def test_huge_and_repetitive_input_is_refused_cleanly(text: str) -> None:
    all_parsers(text)


@settings(deadline=None)
@given(ANY_TEXT)
def test_results_are_plain_and_within_bounds(text: str) -> None:
    try:
        money = parse_money(text, allow_negative=True)
    except AnswerError:
        pass
    else:
        assert abs(money) <= MAX_MONEY
        assert "E" not in str(money)
    try:
        percent = parse_percent(text)
    except AnswerError:
        pass
    else:
        assert 0 <= percent <= 100
    try:
        years = parse_years(text, today=TODAY)
    except AnswerError:
        pass
    else:
        assert 0 <= years <= 200


def amounts(top: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=top, places=2, allow_nan=False, allow_infinity=False)


@given(amounts(10**12))
def test_round_trip_in_yuan(amount: Decimal) -> None:
    assert parse_money(f"{format_decimal(amount)}元") == amount
    assert parse_money(f"¥{amount:,}") == amount
    assert parse_money(f"{format_decimal(amount / 10_000)}万") == amount
    assert parse_money(f"{format_decimal(amount / 100_000_000)}亿元") == amount


@given(amounts(10**11))
def test_round_trip_bare_numbers_are_wan(amount: Decimal) -> None:
    assert parse_money_reading(format_decimal(amount)) == (amount * 10_000, "bare_wan")


CN_DIGITS = "零一二三四五六七八九"


def chinese_below_wan(number: int) -> str:
    written, gap = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // unit % 10
        if digit == 0:
            gap = gap or bool(written)
        else:
            written += ("零" if gap else "") + CN_DIGITS[digit] + name
            gap = False
    return written


def chinese_below_yi(number: int) -> str:
    high, low = divmod(number, 10_000)
    written = chinese_below_wan(high) + "万" if high else ""
    if low:
        written += ("零" if high and low < 1000 else "") + chinese_below_wan(low)
    return written


def chinese(number: int) -> str:
    """The formal Chinese numeral of `number` (below 10^12): 一亿零五百万, 一千零五."""
    if number == 0:
        return "零"
    high, low = divmod(number, 10**8)
    written = chinese_below_yi(high) + "亿" if high else ""
    if low:
        written += ("零" if high and low < 10**7 else "") + chinese_below_yi(low)
    return written


@pytest.mark.parametrize(
    ("number", "written"),
    [(12, "一十二"), (105, "一百零五"), (1005, "一千零五"), (10010, "一万零一十"), (25000, "二万五千"),
     (105_000_000, "一亿零五百万"), (100_002_000, "一亿零二千")],
)  # fmt: skip
def test_the_reference_writer(number: int, written: str) -> None:
    assert chinese(number) == written


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_round_trip_chinese_numerals(number: int) -> None:
    assert parse_money(f"{chinese(number)}元") == number
    if number < 10_000:  # with no 万 or 亿 it is a bare number
        assert parse_money(chinese(number)) == number * 10_000


@given(st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False))
def test_round_trip_percent(percent: Decimal) -> None:
    assert parse_percent(f"{format_decimal(percent)}%") == percent
    assert parse_percent(format_decimal(percent)) == percent


@given(st.integers(min_value=0, max_value=200))
def test_round_trip_years(years: int) -> None:
    assert parse_years(str(years), today=TODAY) == years
    assert parse_years(f"{chinese(years)}年", today=TODAY) == years
    if years < 200:
        assert parse_years(f"{years}年半", today=TODAY) == years + Decimal("0.5")


@given(st.integers(min_value=1900, max_value=TODAY.year))
def test_round_trip_calendar_years(year: int) -> None:
    sure = max(TODAY.year - year - 1, 0)  # from the year's last day: TODAY is not 31 December
    assert parse_years(f"{year}年", today=TODAY) == sure
    assert parse_years(f"since {year}", today=TODAY) == sure
    figure = parsing.read_years(f"{year}年", today=TODAY)
    assert (figure.low, figure.high) == (Decimal(sure), Decimal(TODAY.year - year))


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_format_decimal_reads_back(value: Decimal) -> None:
    written = format_decimal(value)
    assert Decimal(written) == value
    assert "E" not in written and (not written.endswith("0") or "." not in written)


# ---------------------------------------------------------------------------------------
# Figures: ranges and bounds as people give them


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("五六千万", 50_000_000, 60_000_000),
        ("一两亿", 100_000_000, 200_000_000),
        ("七八百万", 7_000_000, 8_000_000),
        ("五六百万", 5_000_000, 6_000_000),
        ("两三千万", 20_000_000, 30_000_000),
        ("十一二万", 110_000, 120_000),
        ("三四十万", 300_000, 400_000),
        ("5000-6000万", 50_000_000, 60_000_000),
        ("5000～6000万元", 50_000_000, 60_000_000),
        ("5000到6000万", 50_000_000, 60_000_000),
        ("五到六千万", 50_000_000, 60_000_000),
        ("5千-6千万", 50_000_000, 60_000_000),
        ("1亿到1.5亿", 100_000_000, 150_000_000),
        ("300-500", 3_000_000, 5_000_000),  # bare numbers are 万元 on both ends
        ("大约300-500元", 300, 500),
        ("在5000到6000万之间", 50_000_000, 60_000_000),
        ("3 to 5 million", 3_000_000, 5_000_000),
        ("3-5m", 3_000_000, 5_000_000),
        ("between 3 and 5 million", 3_000_000, 5_000_000),
        ("6000-5000万", 50_000_000, 60_000_000),  # either order
    ],
)
def test_money_ranges(text: str, low: int, high: int) -> None:
    figure = parsing.read_money(text)
    assert (figure.kind, figure.low, figure.high) == ("range", Decimal(low), Decimal(high))
    assert code_of(lambda: parse_money(text)) == "money.invalid"  # the strict reader refuses them


def test_a_loss_range_is_a_loss_at_both_ends() -> None:
    figure = parsing.read_money("亏损100-200万", allow_negative=True)
    assert (figure.kind, figure.low, figure.high) == ("range", Decimal(-2_000_000), Decimal(-1_000_000))


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("一千多万", "at_least", 10_000_000),
        ("1000万以上", "at_least", 10_000_000),
        ("超过300万", "at_least", 3_000_000),
        ("至少300万", "at_least", 3_000_000),
        ("300多万", "at_least", 3_000_000),
        ("more than 5m", "at_least", 5_000_000),
        ("不到两千万", "below", 20_000_000),
        ("2000万以下", "below", 20_000_000),
        ("less than 1m", "below", 1_000_000),
        ("1.2亿", "exact", 120_000_000),
        ("约1.2亿", "exact", 120_000_000),
    ],
)
def test_money_bounds(text: str, kind: str, value: int) -> None:
    figure = parsing.read_money(text)
    assert figure.kind == kind
    assert (figure.low if kind != "below" else figure.high) == value
    assert (figure.high if kind == "at_least" else figure.low) is None or kind == "exact"


def test_a_loss_of_more_than_is_an_upper_bound_on_profit() -> None:
    figure = parsing.read_money("亏损超过100万", allow_negative=True)
    assert (figure.kind, figure.high) == ("below", Decimal(-1_000_000))


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("没有融资", 0),
        ("无融资", 0),
        ("融资没有", 0),
        ("目前没有融资", 0),
        ("no financing", 0),
        ("no funding", 0),
    ],
)
def test_none_of_it_reads_zero(text: str, yuan: int) -> None:
    assert parse_money(text) == yuan
    assert parsing.read_money(text).value == yuan


@pytest.mark.parametrize("text", ["没有300万", "没有亏损", "没有多少"])
def test_none_with_a_figure_is_not_read(text: str) -> None:
    assert code_of(lambda: parse_money(text, allow_negative=True)) == "money.invalid"


@pytest.mark.parametrize(
    ("text", "kind", "low", "high"),
    [
        ("10%到15%", "range", 10, 15),
        ("10-15%", "range", 10, 15),
        ("10到15", "range", 10, 15),
        ("五六十%", "range", 50, 60),
        ("负3%到5%", "range", -3, 5),
        ("50%以上", "at_least", 50, None),
        ("不到5%", "below", None, 5),
        ("45%", "exact", 45, 45),
    ],
)
def test_percent_ranges_and_bounds(text: str, kind: str, low: int | None, high: int | None) -> None:
    figure = parsing.read_percent(text, low=Decimal(-100), high=None)
    assert (figure.kind, figure.low, figure.high) == (kind, low, high)


def test_a_percent_range_end_out_of_bounds_is_refused() -> None:
    assert code_of(lambda: parsing.read_percent("90%到120%")) == "percent.range"


@pytest.mark.parametrize(
    ("text", "kind", "low", "high"),
    [
        ("三到五年", "range", 3, 5),
        ("3-5年", "range", 3, 5),
        ("两三年", "range", 2, 3),
        ("三五年", "range", 3, 5),
        ("between 3 and 5 years", "range", 3, 5),
        ("2015-2018年", "range", 6, 10),  # started between 2015 and 2018, as of 2025
        ("十多年", "at_least", 10, None),
        ("7年多", "at_least", 7, None),
        ("不到两年", "below", None, 2),
        ("2019-05", "exact", Decimal("6.41"), Decimal("6.41")),  # a month, not a range
    ],
)
def test_years_ranges_and_bounds(text: str, kind: str, low: Decimal | None, high: Decimal | None) -> None:
    figure = parsing.read_years(text, today=TODAY)
    assert (figure.kind, figure.low, figure.high) == (kind, low, high)


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("2019年开始做的", 5),
        ("2019年开始的", 5),
        ("从2019年开始", 5),
        ("去年才开始", 0),
        ("去年开始做的", 0),
        ("前年开始", 1),
        ("今年刚开始", 0),
        ("since last year", 0),
        ("started in 2019", 5),
        ("last year", 0),
    ],
)
def test_years_from_a_year_of_starting(text: str, years: int) -> None:
    assert parse_years(text, today=TODAY) == years  # the cautious end of the range below
    figure = parsing.read_years(text, today=TODAY)
    high = 0 if "今年" in text else years + 1  # from the year's 1 January
    assert (figure.low, figure.high, figure.reading) == (Decimal(years), Decimal(high), parsing.SINCE_YEAR)


def test_years_named_from_today_follow_the_injected_date() -> None:
    assert parse_years("去年才开始", today=date(2030, 1, 1)) == 0  # 2029: 0–1 full years
    assert parse_years("前年", today=date(2030, 1, 1)) == 1
    assert parsing.read_years("前年", today=date(2030, 1, 1)).high == 2


BRAND_AND_STANDARDS = ["own_brand", "standards"]


@pytest.mark.parametrize(
    ("text", "chosen"),
    [
        ("有ISO9001，还有自主品牌", ["quality_certification", "own_brand"]),
        ("有ISO9001还有自主品牌", ["quality_certification", "own_brand"]),
        ("我们有ISO9001和自主品牌", ["quality_certification", "own_brand"]),
        ("有质量管理体系认证，也有自主品牌，还参与制定标准", ["quality_certification", *BRAND_AND_STANDARDS]),
        ("只有自主品牌", ["own_brand"]),
        ("都有", ["provincial_quality_award", "quality_certification", "own_brand", "standards"]),
        ("有质量管理体系认证，没有自主品牌", ["quality_certification"]),
        ("除了省级及以上质量奖都有", ["quality_certification", "own_brand", "standards"]),
        ("没有省级及以上质量奖，其他都有", ["quality_certification", "own_brand", "standards"]),
        ("都有，除了省级及以上质量奖", ["quality_certification", "own_brand", "standards"]),
        ("没有自主品牌", []),
        ("一个都没有", []),
        ("we have ISO 9001 quality certification and also our brand", ["quality_certification", "own_brand"]),
        ("only own brand", ["own_brand"]),
        ("all of them", ["provincial_quality_award", "quality_certification", "own_brand", "standards"]),
        (
            "all except the provincial or higher quality award",
            ["quality_certification", *BRAND_AND_STANDARDS],
        ),
        ("no quality award, but we have our own brand", ["own_brand"]),
        ("none of them", []),
    ],
)
def test_multi_choice_as_people_say_it(text: str, chosen: list[str]) -> None:
    assert parse_choices(text, QUALITY) == chosen


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("只有省级专精特新", "provincial"),
        ("我们是市级专精特新", "municipal"),
        ("没有", "none"),
        ("none", "none"),
    ],
)
def test_one_choice_as_people_say_it(text: str, value: str) -> None:
    assert parse_choice(text, CERTIFICATION) == value


def test_all_of_them_names_the_best_option_where_given() -> None:
    assert parse_choice("都有", DIGITAL_LEVEL, all_means=3) == 3
    assert code_of(lambda: parse_choice("都有", DIGITAL_LEVEL)) == "choice.unknown"


@pytest.mark.parametrize("text", ["1", "12", "0003", " 7 "])
def test_menu_numbers(text: str) -> None:
    assert parsing.menu_number(text) == int(text)


@pytest.mark.parametrize("text", ["²", "⑴", "፩", "𐩀", "١", "9" * 5000, "12345", "-1", "1.5", "", "一"])
def test_menu_numbers_refuse_what_int_would_choke_on(text: str) -> None:
    assert parsing.menu_number(text) is None


@pytest.mark.parametrize(
    ("value", "reading", "unit", "likelier"),
    [
        (Decimal(120_000_000_000), "bare_wan", "yuan", Decimal(12_000_000)),  # 12000000 read as 万元
        (Decimal(120_000_000_000), "wan", "yuan", Decimal(12_000_000)),
        (Decimal(300_000_000_000), "yi", "yuan", Decimal(30_000_000)),  # 3000亿 meant 3000万
        (Decimal(20_000_000_000), "yuan", "yuan", None),  # written in yuan: no other reading
        (Decimal("0.92"), "percent", "pct", Decimal(92)),  # a fraction for a percentage
        (Decimal(3), "percent", "pct", None),
        (Decimal(150), "years", "years", None),
    ],
)
def test_the_likelier_reading_of_an_implausible_figure(
    value: Decimal, reading: str, unit: str, likelier: Decimal | None
) -> None:
    assert likelier_reading(value, reading, unit) == likelier
