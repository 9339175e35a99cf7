"""Figure rules: which way is better comes from the thresholds, plausible ranges are checked."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from rules import RulesError, default_rules, load_rules
from rules.figures import FIELD_UNITS
from rules.loader import DATA_DIR


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def refusal(folder: Path) -> str:
    with pytest.raises(RulesError) as caught:
        load_rules(folder)
    return str(caught.value)


def test_every_numeric_field_has_a_rule() -> None:
    assert set(default_rules().figures.rules) == set(FIELD_UNITS)


def test_which_way_is_better_comes_from_the_bands_and_minimums() -> None:
    figures = default_rules().figures
    assert figures["debt_ratio_pct"].better == "lower"  # a band_low
    lower = {field for field, rule in figures.rules.items() if rule.better == "lower"}
    assert lower == {"debt_ratio_pct"}
    # revenue divides the margins, but its own floors (conditions, tiers) decide
    assert figures["revenue"].better == "higher"


def test_turning_a_band_around_turns_the_direction(data: Path) -> None:
    edit(
        data,
        "indicators.toml",
        """kind = "band_low"
field = "debt_ratio_pct"
unit = "pct"
bands = [
  { option = "A", max = 50, points = 5, label = { zh = "50%以下", en = "50% or less" } },
  { option = "B", max = 60, points = 3, label = { zh = "50%-60%", en = "50% to 60%" } },
  { option = "C", max = 70, points = 1, label = { zh = "60%-70%", en = "60% to 70%" } },""",
        """kind = "band_high"
field = "debt_ratio_pct"
unit = "pct"
bands = [
  { option = "A", min = 70, points = 5, label = { zh = "70%以上", en = "70% or more" } },
  { option = "B", min = 60, points = 3, label = { zh = "60%-70%", en = "60% to 70%" } },
  { option = "C", min = 50, points = 1, label = { zh = "50%-60%", en = "50% to 60%" } },""",
    )
    assert load_rules(data).figures["debt_ratio_pct"].better == "higher"


def test_the_conservative_end() -> None:
    figures = default_rules().figures
    revenue, debt, profit = figures["revenue"], figures["debt_ratio_pct"], figures["profit"]
    assert revenue.conservative(Decimal(5), Decimal(6)) == 5
    assert debt.conservative(Decimal(50), Decimal(60)) == 60
    assert revenue.conservative(None, Decimal(6)) == 0  # below 6: nothing better is known
    assert debt.conservative(Decimal(70), None) == debt.max  # at least 70: up to the plausible top
    assert profit.conservative(None, Decimal(-1)) == profit.min  # a loss of more than 1


def test_plausible_ranges_accept_zero_and_refuse_the_far_outside() -> None:
    figures = default_rules().figures
    assert figures["revenue"].plausible(Decimal(0))
    assert not figures["revenue"].plausible(Decimal(120_000_000_000))  # 1200 亿元
    assert not figures["main_business_share_pct"].plausible(Decimal("0.92"))
    assert figures["main_business_share_pct"].plausible(Decimal(92))


def test_a_threshold_outside_its_plausible_range_is_refused(data: Path) -> None:
    edit(data, "plausibility.toml", "max = 10000000000          # 100 亿元", "max = 100000000")
    message = refusal(data)
    assert "plausibility.toml" in message and "revenue" in message and "550000000" in message


def test_a_numeric_field_without_a_range_is_refused(data: Path) -> None:
    edit(
        data,
        "plausibility.toml",
        '[[figure]]\nfield = "annual_tax"\nunit = "yuan"\nmin = 0\nmax = 2000000000\n',
        "",
    )
    assert "annual_tax: no plausible range" in refusal(data)


def test_a_range_in_the_wrong_unit_or_for_an_unknown_field_is_refused(data: Path) -> None:
    staff = 'field = "rd_staff_pct"\nunit = '
    edit(data, "plausibility.toml", staff + '"pct"', staff + '"yuan"')
    assert "rd_staff_pct: unit 'yuan', expected 'pct'" in refusal(data)
    edit(data, "plausibility.toml", 'field = "rd_staff_pct"', 'field = "rd_staf_pct"')
    assert "rd_staf_pct: not a numeric profile field" in refusal(data)


def test_min_must_be_below_max(data: Path) -> None:
    edit(data, "plausibility.toml", "min = 5\nmax = 100", "min = 100\nmax = 5")
    assert "main_business_share_pct: min must be below max" in refusal(data)


def test_one_english_name_per_tier_in_the_faq_too() -> None:
    """Wherever the FAQ's English text names a tier beside its Chinese name, it uses the
    tier's English label (理事单位 is a council member everywhere, not also a director)."""
    import tomllib

    rules = default_rules()
    faq = tomllib.loads((DATA_DIR / "faq.toml").read_text(encoding="utf-8"))
    texts = [
        str(value)
        for entry in faq.get("entry", [])
        for value in (entry.get("answer", {}).get("en", ""), entry.get("question", {}).get("en", ""))
    ]
    checked = 0
    for tier in rules.tiers.tier:
        marker = f"({tier.label.zh})"
        for text in texts:
            start = 0
            while (where := text.find(marker, start)) >= 0:
                before = text[:where].rstrip().lower()
                assert before.endswith(tier.label.en.lower()), (tier.id, text[max(0, where - 40) : where])
                start, checked = where + 1, checked + 1
    assert checked >= 3  # the test reads the FAQ as it is laid out
