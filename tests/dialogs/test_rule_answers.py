"""Answers computed from the rules data: the engine's own figures, cited, and a change of
the data changes the answer."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from dialogs.faq_reply import compose
from dialogs.faq_search import FaqSearch, default_search
from dialogs.i18n import load_catalogs
from dialogs.rule_answers import CUE, rule_answer
from rules import Rules, load_rules
from rules.faq import load_faq
from rules.loader import DATA_DIR

TODAY = date(2026, 11, 23)
CAT = load_catalogs()


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules()


def changed_rules(tmp_path: Path, name: str, old: str, new: str) -> Rules:
    """A copy of the bundled rules with one figure changed."""
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_rules(folder)


@pytest.mark.parametrize(
    ("rule", "question", "points"),
    [
        ("indicator:12", "研发人员占比 20% 能拿几分", 5),
        ("indicator:8", "资产负债率 60% 几分", 3),
        ("indicator:13", "省级研发机构几分", 8),
        ("indicator:3", "细分市场做了 5 年能得几分", 2),
        ("indicator:3", "做细分市场十二年得几分", 5),
        ("indicator:11", "研发投入450万得几分", 8),
        ("indicator:11", "研发费用占营收8%能得几分", 8),
        ("indicator:9", "省级人才加多少分", 3),
        ("indicator:5", "数字化水平二级能得几分", 3),
        ("indicator:7", "净利润率3%得多少分", 2),
        ("indicator:12", "How many points for an R&D staff share of 25%?", 5),
    ],
)
def test_a_named_value_scores_as_the_engine_scores_it(
    rules: Rules, rule: str, question: str, points: int
) -> None:
    answer = rule_answer(rule, question.lower(), rules, "zh", CAT, TODAY)
    assert answer.points == points and answer.value
    assert answer.source.file == "001_1cc477078b1fcf91.txt"


def test_without_a_value_the_bands_are_listed(rules: Rules) -> None:
    answer = rule_answer("indicator:12", "研发人员占比怎么打分", rules, "zh", CAT, TODAY)
    assert answer.points is None
    assert "20%以上 5 分" in answer.text and "5%以下 0 分" in answer.text


def test_a_band_edge_goes_to_the_better_band(rules: Rules) -> None:
    assert rule_answer("indicator:8", "负债率50%", rules, "zh", CAT, TODAY).points == 5
    assert rule_answer("indicator:8", "负债率50.5%", rules, "zh", CAT, TODAY).points == 3


def test_changing_a_band_changes_the_answer(tmp_path: Path) -> None:
    rules = changed_rules(
        tmp_path,
        "indicators.toml",
        '{ option = "A", min = 20, points = 5, label = { zh = "20%以上", en = "20% or more" } }',
        '{ option = "A", min = 25, points = 5, label = { zh = "25%以上", en = "25% or more" } }',
    )
    answer = rule_answer("indicator:12", "研发人员占比 20% 能拿几分", rules, "zh", CAT, TODAY)
    assert answer.points == 3 and "25%以上 5 分" in answer.text


def test_changing_a_tier_figure_changes_the_answer(tmp_path: Path, rules: Rules) -> None:
    before = rule_answer("tier:director", "", rules, "zh", CAT, TODAY).text
    assert "1.5 亿元" in before and "2000 万元" in before and "省级专精特新" in before
    changed = changed_rules(
        tmp_path,
        "tiers.toml",
        "min_revenue = 150000000, min_profit = 20000000",
        "min_revenue = 180000000, min_profit = 20000000",
    )
    after = rule_answer("tier:director", "", changed, "zh", CAT, TODAY)
    assert "1.8 亿元" in after.text and "1.5 亿元" not in after.text
    assert after.source.clause == "理事单位【资质】"


def test_every_direct_route_is_given_with_the_score(tmp_path: Path, rules: Rules) -> None:
    text = rule_answer("direct_routes", "", rules, "zh", CAT, TODAY).text
    assert "70 分" in text and "1000 万元" in text and "6000 万元" in text and "500 强" in text
    assert text.count("\n") >= len(rules.conditions.direct_route)
    changed = changed_rules(tmp_path, "conditions.toml", "min_amount = 60000000", "min_amount = 80000000")
    assert "8000 万元" in rule_answer("direct_routes", "", changed, "zh", CAT, TODAY).text


def test_english_figures(rules: Rules) -> None:
    text = rule_answer("condition:rd_expense", "", rules, "en", CAT, TODAY).text
    assert "¥1 million" in text and "3%" in text
    assert "¥150 million" in rule_answer("tier:director", "", rules, "en", CAT, TODAY).text


def test_every_rule_of_the_faq_answers_in_both_languages(rules: Rules) -> None:
    for entry in load_faq().entries:
        if entry.rule is not None:
            for lang in ("zh", "en"):
                answer = rule_answer(entry.rule, "", rules, lang, CAT, TODAY)
                assert answer.text.strip() and answer.source.clause, entry.id


def test_the_reply_and_the_score_come_from_the_same_data(tmp_path: Path) -> None:
    rules = changed_rules(tmp_path, "conditions.toml", "min_score = 70", "min_score = 75")
    search = FaqSearch(default_search().base, rules, CAT)
    question = "直通条件有哪些"
    reply = compose(search.search(question), question, search, TODAY)
    assert "75 分" in reply.text and "70 分" not in reply.text
    assert reply.source is not None and reply.source.file == "001_1cc477078b1fcf91.txt"


WORDS = default_search().option_words


@pytest.mark.parametrize(
    ("rule", "question", "points"),
    [
        ("indicator:6", "有iso9001认证能加几分", 3),
        ("indicator:6", "有自主品牌又参与制定标准能得几分", 5),  # capped at the indicator's 5
        ("indicator:9", "有首台套和绿色制造能加几分", 10),
        ("indicator:9", "how many points for staff in a provincial talent programme?", 3),
        ("indicator:10", "有一项一类知识产权得几分", 6),
        ("indicator:10", "有高价值一类知识产权得几分", 10),
        ("indicator:4", "主导产品属于中华老字号得几分", 3),
        ("indicator:13", "what points does a national r&d institution earn?", 10),
    ],
)
def test_options_named_in_the_lexicon_score_as_the_engine_scores_them(
    rules: Rules, rule: str, question: str, points: int
) -> None:
    assert rule_answer(rule, question, rules, "zh", CAT, TODAY, WORDS).points == points


def test_a_named_item_shows_only_its_part(rules: Rules) -> None:
    answer = rule_answer("indicator:9", "省级人才加几分", rules, "zh", CAT, TODAY, WORDS)
    assert "拥有省级人才项目人员 3 分" in answer.text and "首台" not in answer.text


def test_every_option_alias_names_an_option(rules: Rules) -> None:
    options = {
        (ind.number, str(o.value))
        for ind in rules.indicators.indicator
        for part in ind.part
        for o in getattr(part, "options", [])
    }
    assert {key for key in WORDS if key[1] != CUE} <= options
    numbers = {ind.number for ind in rules.indicators.indicator}
    assert {n for n, option in WORDS if option == CUE} <= numbers


def test_a_tier_answer_says_there_are_higher_tiers(rules: Rules) -> None:
    member = rule_answer("tier:member", "", rules, "zh", CAT, TODAY).text
    assert "更高的级别：理事单位、副会长单位" in member
    assert "更高的级别" not in rule_answer("tier:vice_president", "", rules, "zh", CAT, TODAY).text


@pytest.mark.parametrize(
    ("rule", "question", "verdict"),
    [
        ("condition:rd_expense", "去年营收3000万研发投入200万够不够", "满足这一条"),
        ("condition:rd_expense", "营收1亿研发投入200万够不够", "不满足这一条"),  # 2% of revenue
        ("condition:rd_expense", "研发费用只有80万能申报吗", "不满足这一条"),
        ("condition:rd_expense", "研发费用150万能申报吗", "还要看营业收入"),
        ("condition:revenue", "营收800万但融资了3000万行吗", "满足这一条"),
        ("condition:revenue", "营收500万能申报吗", "还可以看近两年的股权融资"),
        ("condition:niche_years", "细分市场做了一年半能报吗", "不满足这一条"),
        ("condition:niche_years", "细分市场做了三年能报吗", "满足这一条"),
    ],
)
def test_figures_named_in_a_condition_question_are_checked_as_the_engine_checks_them(
    rules: Rules, rule: str, question: str, verdict: str
) -> None:
    first = rule_answer(rule, question, rules, "zh", CAT, TODAY).text.splitlines()[0]
    assert verdict in first and (verdict != "满足这一条" or "不满足" not in first)


def test_a_condition_question_without_figures_gets_the_condition(rules: Rules) -> None:
    assert rule_answer("condition:rd_expense", "研发费用要求", rules, "zh", CAT, TODAY).text.startswith(
        "认定条件之一"
    )


def test_a_changed_threshold_changes_the_verdict(tmp_path: Path) -> None:
    changed = changed_rules(tmp_path, "conditions.toml", "min_years = 2", "min_years = 4")
    text = rule_answer("condition:niche_years", "细分市场做了三年能报吗", changed, "zh", CAT, TODAY).text
    assert "不满足这一条" in text and "4 年" in text


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("营收3亿利润8000万能申请哪一级", "数额够得上理事单位"),
        ("营收6亿利润7000万能申请哪一级", "数额够得上副会长单位"),
        ("营收5000万能当什么会员", "未达到会员单位的数额要求"),
    ],
)
def test_the_tier_the_named_figures_reach(rules: Rules, question: str, first: str) -> None:
    text = rule_answer("tier_for", question, rules, "zh", CAT, TODAY).text
    assert first in text.splitlines()[0] and "会员分三级" in text


def test_a_tier_question_with_figures_says_whether_they_reach_it(rules: Rules) -> None:
    met = rule_answer("tier:member", "营收9000万能入会吗", rules, "zh", CAT, TODAY).text
    assert met.startswith("按您给的数字（营业收入 9000 万元）：达到会员单位的数额要求")
    short = rule_answer("tier:director", "营收2亿利润1500万能当理事单位吗", rules, "zh", CAT, TODAY).text
    assert short.startswith("按您给的数字（营业收入 2 亿元、年利润 1500 万元）：未达到理事单位")


def test_a_value_binds_to_its_own_indicator(rules: Rules) -> None:
    answer = rule_answer("indicator:8", "主营业务占比85%、负债率45%各得几分", rules, "zh", CAT, TODAY, WORDS)
    assert (answer.value, answer.points) == ("45%", 5)
    unsure = rule_answer("indicator:8", "占比85%和65%各得几分", rules, "zh", CAT, TODAY, WORDS)
    assert unsure.points is None  # two values and nothing says which is the debt ratio


def test_a_condition_is_judged_only_on_its_own_figure(rules: Rules) -> None:
    text = rule_answer("condition:rd_expense", "营收4000万研发够不够", rules, "zh", CAT, TODAY).text
    assert text.startswith("认定条件之一")  # no R&D figure named: no verdict
    english = rule_answer(
        "condition:rd_expense",
        "our r&d spend was 1.5 million on revenue of 40 million",
        rules,
        "en",
        CAT,
        TODAY,
    ).text
    assert english.startswith(
        "With your figures (R&D expense ¥1.5 million, revenue ¥40 million): this condition is met."
    )


# ---------------------------------------------------------------- bounds and ranges, as the chat reads them


@pytest.mark.parametrize(
    ("rule", "question", "said"),
    [
        ("condition:revenue", "营收不到一千万还能申请吗", "营业收入不够"),
        ("condition:revenue", "营收不足1000万能申报吗", "营业收入不够"),
        ("condition:revenue", "营收一千多万能申报吗", "满足这一条"),
        ("condition:revenue", "营收五六千万能申报吗", "满足这一条"),
        ("condition:revenue", "营收800-1200万能申报吗", "要看确切数额"),
        ("condition:revenue", "营收不到一千万，近两年融资三千万，符合吗", "满足这一条"),
        ("condition:rd_expense", "研发费用80万可以申请吗", "不满足这一条"),
        ("condition:rd_expense", "研发费用八九十万够不够", "不满足这一条"),
        ("condition:rd_expense", "研发费用一百多万够不够", "金额达到要求"),
        ("condition:niche_years", "细分市场做了不到两年能申报吗", "不满足这一条"),
        ("condition:niche_years", "细分市场做了三到五年", "满足这一条"),
    ],
)
def test_a_condition_reads_bounds_and_ranges_as_the_chat_does(
    rules: Rules, rule: str, question: str, said: str
) -> None:
    answer = rule_answer(rule, question, rules, "zh", CAT, TODAY)
    assert said in answer.text.splitlines()[0]


def test_a_range_scores_at_both_ends_and_the_cautious_end_is_the_chat_s(rules: Rules) -> None:
    answer = rule_answer("indicator:11", "研发费用三四百万得几分", rules, "zh", CAT, TODAY)
    assert answer.text.startswith("按 300 万元 至 400 万元 计：可得 6 至 8 分")
    assert answer.points == 6  # the chat scores a range at its cautious end


def test_a_bound_below_a_band_edge_stays_in_the_lower_band(rules: Rules) -> None:
    below = rule_answer("indicator:11", "研发费用不到500万得几分", rules, "zh", CAT, TODAY)
    assert below.text.startswith("按不到 500 万元 计：可得 0 至 8 分")
    at_least = rule_answer("indicator:11", "研发费用500万以上得几分", rules, "zh", CAT, TODAY)
    assert at_least.points == 10 and at_least.text.startswith("按 500 万元以上 计")


def test_bounds_in_english(rules: Rules) -> None:
    answer = rule_answer("indicator:8", "debt ratio below 50% how many points", rules, "en", CAT, TODAY)
    assert answer.text.startswith("under 50%: 5 points")


@pytest.mark.parametrize(
    ("question", "first", "then"),
    [
        ("营收一亿多利润两千多万能当什么会员", "数额够得上会员单位", "能否够得上理事单位，要看确切数额。"),
        ("营收五六千万能当什么会员", "能否达到会员单位的数额要求，要看确切数额", "会员分三级"),
        ("营收不到五千万能当什么会员", "未达到会员单位的数额要求", "会员分三级"),
    ],
)
def test_the_tier_of_a_bound_or_a_range(rules: Rules, question: str, first: str, then: str) -> None:
    lines = rule_answer("tier_for", question, rules, "zh", CAT, TODAY).text.splitlines()
    assert first in lines[0] and lines[1].startswith(then)


# ---------------------------------------------------------------- one district's authority


@pytest.mark.parametrize(
    ("question", "lang", "phone"),
    [
        ("黄埔区找谁", "zh", "82118410"),
        ("广州开发区工信局电话", "zh", "82118410"),
        ("who can i call in huangpu district?", "en", "82118410"),
        ("番禺的主管部门", "zh", "34608880"),
    ],
)
def test_a_named_district_gets_its_own_authority(rules: Rules, question: str, lang: str, phone: str) -> None:
    answer = rule_answer("districts", question, rules, lang, CAT, TODAY)
    assert phone in answer.text and len(answer.text.splitlines()) == 3
    assert str(rules.contacts.districts.as_of.year) in answer.text
    assert answer.source == rules.contacts.districts.source


@pytest.mark.parametrize("question", ["各区主管部门电话", "天河区和海珠区的电话", "panyuan"])
def test_no_district_or_several_lists_them_all(rules: Rules, question: str) -> None:
    lines = rule_answer("districts", question, rules, "zh", CAT, TODAY).text.splitlines()
    assert len(lines) == 1 + len(rules.contacts.districts.district)


def test_a_changed_district_phone_changes_the_answer(tmp_path: Path) -> None:
    changed = changed_rules(tmp_path, "contacts.toml", 'phones = ["82118410"]', 'phones = ["82110000"]')
    assert "82110000" in rule_answer("districts", "黄埔区找谁", changed, "zh", CAT, TODAY).text
