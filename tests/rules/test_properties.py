"""Properties that hold for every valid profile, checked on generated ones."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rules import Profile, assess, default_rules, parse_profile, tier_for
from tests.rules.examples import TODAY

RULES = default_rules()
TIER_RANK: dict[str | None, int] = {None: 0, **{t.id: t.rank for t in RULES.tiers.tier}}


def score_of(profile: Profile) -> int:
    score = assess(profile, RULES, TODAY).score
    assert score is not None
    return score


def money(top: int = 10**9) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=top, places=2, allow_nan=False, allow_infinity=False)


def pct(low: int = 0, high: int = 100) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=low, max_value=high, places=2, allow_nan=False, allow_infinity=False)


FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "certification": st.sampled_from(
        ["none", "innovative", "municipal", "provincial", "national_little_giant", "key_little_giant"]
    ),
    "niche_years": pct(0, 30),
    # round figures and zero often, so band edges and zero revenue come up
    "revenue": st.one_of(st.sampled_from([0, 10_000_000, 60_000_000, 150_000_000]), money()),
    "profit": st.one_of(st.just(0), money(10**8), money(10**8).map(lambda d: -d)),
    "rd_expense": st.one_of(st.sampled_from([0, 1_000_000, 5_000_000]), money(10**8)),
    "rd_expense_avg_2y": money(10**8),
    "equity_financing_2y": money(10**8),
    "sci_award": st.sampled_from(["none", "provincial_top3", "national_top5"]),
    "maker_top500": st.booleans(),
    "main_business_share_pct": pct(),
    "main_revenue_growth_pct": pct(-100, 300),
    "product_field": st.sampled_from(["A", "B", "C"]),
    "digital_level": st.integers(1, 3),
    "quality": st.lists(
        st.sampled_from(["provincial_quality_award", "quality_certification", "own_brand", "standards"]),
        unique=True,
    ),
    "debt_ratio_pct": pct(0, 200),
    "distinctive": st.lists(st.sampled_from(list("ABCDEF")), unique=True),
    "talent": st.sampled_from(["none", "national", "provincial", "municipal", "recommended"]),
    "ip": st.sampled_from(list("ABCDE")),
    "rd_staff_pct": pct(),
    "rd_institution": st.sampled_from(["national", "provincial", "municipal", "below_municipal", "none"]),
    "annual_tax": money(10**8),
    "listing_plan": st.booleans(),
    "has_bank_loans": st.booleans(),
}


@st.composite
def enterprises(draw: st.DrawFn) -> Profile:
    """An enterprise profile with any subset of the fields answered."""
    answered = draw(st.sets(st.sampled_from(sorted(FIELD_VALUES))))
    return parse_profile({field: draw(FIELD_VALUES[field]) for field in sorted(answered)})


@settings(max_examples=300, deadline=None)
@given(enterprises())
def test_score_is_the_sum_of_groups_and_of_indicators(profile: Profile) -> None:
    result = assess(profile, RULES, TODAY)
    assert result.score is not None and result.groups is not None and result.indicators is not None
    assert 0 <= result.score <= 100
    assert result.score == sum(result.groups.values()) == sum(result.indicators.values())
    maxima = {str(i.number): i.max for i in RULES.indicators.indicator}
    assert all(0 <= points <= maxima[n] for n, points in result.indicators.items())
    assert all(result.groups[g.id] <= g.max for g in RULES.indicators.group)


@settings(max_examples=300, deadline=None)
@given(enterprises(), money(10**8).filter(lambda d: d > 0))
def test_more_rd_expense_never_lowers_the_score(profile: Profile, more: Decimal) -> None:
    raised = profile.model_copy(update={"rd_expense": (profile.rd_expense or 0) + more})
    assert score_of(raised) >= score_of(profile)


@settings(max_examples=300, deadline=None)
@given(enterprises(), pct().filter(lambda d: d > 0))
def test_higher_main_business_share_never_lowers_the_score(profile: Profile, more: Decimal) -> None:
    share = min((profile.main_business_share_pct or 0) + more, Decimal(100))
    raised = profile.model_copy(update={"main_business_share_pct": share})
    assert score_of(raised) >= score_of(profile)


@settings(max_examples=300, deadline=None)
@given(enterprises(), money(10**9).filter(lambda d: d > 0))
def test_more_revenue_never_drops_the_tier(profile: Profile, more: Decimal) -> None:
    raised = profile.model_copy(update={"revenue": (profile.revenue or 0) + more})
    before, after = tier_for(profile, RULES), tier_for(raised, RULES)
    assert TIER_RANK[after.id if after else None] >= TIER_RANK[before.id if before else None]


@settings(max_examples=100, deadline=None)
@given(enterprises())
def test_the_same_answers_give_the_same_assessment(profile: Profile) -> None:
    again = parse_profile(profile.model_dump(exclude_none=True))
    assert assess(again, RULES, TODAY) == assess(profile, RULES, TODAY)
