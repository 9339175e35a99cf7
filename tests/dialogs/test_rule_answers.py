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
from dialogs.rule_answers import rule_answer
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
