"""No catalog message states a policy figure: amounts, percentages and points come from the
rules data through placeholders, so a headline and the gap line under it can never disagree
after a figure changes (rules/data is the one place to change it)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest

from dialogs.figures import condition_figures, question_figures
from dialogs.i18n import LANGS, load_catalogs
from rules import default_rules

# An amount in 元/万/亿 (or yuan, million), a percentage, a value in points.
FIGURE = re.compile(
    r"\d[\d,.]*\s*(?:万|亿|元|百万|千万|yuan\b|million\b|billion\b)"
    r"|[¥￥]\s*\d"
    r"|\d\s*[%％]|百分之[零〇一二三四五六七八九十百]"
    r"|\d+\s*(?:分|points?\b|pts\b)"
    r"|(?:满分|最高|得|scores?|scored|out of|up to|at most)\s*\d",
    re.IGNORECASE,
)

# Messages whose figures are not policy: what a person might type, and the one mechanical
# rule that an unanswered item scores nothing (docs/rules.md, "Unanswered").
SAMPLE_ANSWERS = {"q.profit.text": "a loss typed as a negative amount"}
MECHANICS = {
    "echo.skipped": "a skipped question scores 0",
    "result.unanswered": "unanswered items score 0",
}


def written_out(messages: Mapping[str, str]) -> dict[str, list[str]]:
    """The figures each message states outright (placeholders are not figures)."""
    found: dict[str, list[str]] = {}
    for key, text in messages.items():
        if key.endswith(".example") or key in SAMPLE_ANSWERS or key in MECHANICS:
            continue
        hits = FIGURE.findall(re.sub(r"\{[^{}]*\}", "", text))
        if hits:
            found[key] = hits
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_no_catalog_message_writes_out_a_policy_figure(lang: str) -> None:
    assert written_out(load_catalogs().messages[lang]) == {}


@pytest.mark.parametrize(
    "text",
    [
        "✗ 研发费用未达标（≥100 万元且占营收 ≥3%）",
        "✗ Revenue below ¥10 million",
        "ℹ️ 第 8 项指标：50% 及以下得 5 分。",
        "ℹ️ Indicator 8: or less scores 5.",
        "📊 自测得分：{score} 分（满分 100）",
        "Below 70 points, any route qualifies",
        "占营收百分之三",
        "纳税 2000万元以上",
    ],
)
def test_the_scan_catches_a_planted_figure(text: str) -> None:
    assert written_out({"planted": text}) != {}


def test_the_scan_passes_templates() -> None:
    assert written_out({"q.x.why": "ℹ️ 第 {indicator} 项指标：{top} 以上得 {top_points} 分。"}) == {}


def test_every_exempt_message_still_needs_its_exemption() -> None:
    catalogs = load_catalogs().messages
    for key in [*SAMPLE_ANSWERS, *MECHANICS]:
        assert any(FIGURE.search(catalogs[lang][key]) for lang in LANGS), f"{key} states no figure now"


def test_the_templates_render_the_figures_of_the_rules_data() -> None:
    rules, cat = default_rules(), load_catalogs()
    assert cat.text("zh", "condition.rd_expense", **condition_figures(rules, "zh", cat)) == (
        "✗ 研发费用未达标（≥100 万元且占营收 ≥3%）"
    )
    assert cat.text("en", "q.debt_ratio_pct.why", **question_figures("debt_ratio_pct", rules, "en", cat)) == (
        "ℹ️ Indicator 8: 50% or less scores 5."
    )
    every_why = {
        f"q.{field}.why": question_figures(field, rules, lang, cat)
        for field in ("main_business_share_pct", "talent", "niche_years", "annual_tax", "rd_expense_avg_2y")
        for lang in LANGS
    }
    for key, figures in every_why.items():
        for lang in LANGS:
            assert "{" not in cat.text(lang, key, **figures), key  # every placeholder has its figure
