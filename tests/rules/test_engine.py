"""The engine against rules.md: the worked examples, every band edge, every boundary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from rules import default_rules
from tests.rules.examples import EXAMPLE_A, EXAMPLE_B, EXAMPLE_C, SCORE_70, assess_answers

VERSION = default_rules().version
PROVINCIAL_SET = {
    "award_provincial",
    "efficiency_pilot",
    "industrial_housing",
    "digital_transformation",
    "land_priority",
    "traffic_exemption",
}
LIST_KEYS = ("failed_conditions", "direct_pass", "subsidies", "potential_subsidies", "unanswered")


def as_sets(contract: dict[str, Any]) -> dict[str, Any]:
    """The assessment compares lists as sets (docs/interfaces.md#assessment)."""
    return {k: set(v) if k in LIST_KEYS else v for k, v in contract.items()}


def by_number(*points: int) -> dict[str, int]:
    """Indicator points 1, 2, 3… as the assessment keys them (docs/interfaces.md#assessment)."""
    return {str(n): p for n, p in enumerate(points, start=1)}


def indicator(answers: dict[str, Any], number: int) -> int:
    contract = assess_answers(answers).contract()
    return int(contract["indicators"][str(number)])


def D(text: str) -> Decimal:
    return Decimal(text)


# ---------------------------------------------------------------- docs/rules.md#worked-examples


def test_example_a_every_contract_field() -> None:
    assert as_sets(assess_answers(EXAMPLE_A).contract()) == {
        "score": 72,
        "groups": {"specialization": 21, "refinement": 21, "distinctiveness": 7, "innovation": 23},
        "indicators": by_number(5, 10, 3, 3, 3, 5, 8, 5, 7, 6, 10, 3, 4),
        "eligible": True,
        "failed_conditions": set(),
        "direct_pass": set(),
        "tier": "member",
        "subsidies": set(),
        "potential_subsidies": PROVINCIAL_SET,
        "unanswered": set(),
        "rules_version": VERSION,
    }


def test_example_a_director_misses_provincial_recognition() -> None:
    gap = assess_answers(EXAMPLE_A).next_tier
    assert gap is not None and gap.tier == "director"
    missing = {g.metric: g for g in gap.gaps}
    assert missing["certification"].need == "provincial"
    assert missing["revenue"].short == 30_000_000
    assert missing["profit"].short == 10_400_000


def test_example_b_every_contract_field() -> None:
    assert as_sets(assess_answers(EXAMPLE_B).contract()) == {
        "score": 62,
        "groups": {"specialization": 21, "refinement": 21, "distinctiveness": 7, "innovation": 13},
        "indicators": by_number(5, 10, 3, 3, 3, 5, 8, 5, 7, 6, 0, 3, 4),
        "eligible": False,
        "failed_conditions": {"rd_expense", "score_or_direct"},
        "direct_pass": set(),
        "tier": "member",
        "subsidies": set(),
        "potential_subsidies": set(),
        "unanswered": set(),
        "rules_version": VERSION,
    }


def test_example_b_is_100000_short_of_the_rd_floor() -> None:
    rd = next(c for c in assess_answers(EXAMPLE_B).conditions if c.id == "rd_expense")
    amount = next(g for g in rd.gaps if g.metric == "rd_expense")
    assert amount.short == 100_000


def test_example_c_every_contract_field() -> None:
    assert as_sets(assess_answers(EXAMPLE_C).contract()) == {
        "score": 11,
        "groups": {"specialization": 1, "refinement": 0, "distinctiveness": 0, "innovation": 10},
        "indicators": by_number(0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0),
        "eligible": True,
        "failed_conditions": set(),
        "direct_pass": {"equity_2y"},
        "tier": None,
        "subsidies": set(),
        "potential_subsidies": PROVINCIAL_SET,
        "unanswered": set(),
        "rules_version": VERSION,
    }


def test_example_c_meets_revenue_by_financing() -> None:
    revenue = next(c for c in assess_answers(EXAMPLE_C).conditions if c.id == "revenue")
    assert revenue.met


# ---------------------------------------------------------------- band edges, docs/rules.md#indicators

BAND_EDGES: list[tuple[int, dict[str, Any], int]] = [
    # 1 main-business share: a band includes its lower bound
    (1, {"main_business_share_pct": 100}, 5),
    (1, {"main_business_share_pct": 80}, 5),
    (1, {"main_business_share_pct": D("79.99")}, 3),
    (1, {"main_business_share_pct": 70}, 3),
    (1, {"main_business_share_pct": D("69.99")}, 1),
    (1, {"main_business_share_pct": 60}, 1),
    (1, {"main_business_share_pct": D("59.99")}, 0),
    (1, {"main_business_share_pct": 0}, 0),
    # 2 growth
    (2, {"main_revenue_growth_pct": 10}, 10),
    (2, {"main_revenue_growth_pct": D("9.99")}, 8),
    (2, {"main_revenue_growth_pct": 8}, 8),
    (2, {"main_revenue_growth_pct": D("7.99")}, 6),
    (2, {"main_revenue_growth_pct": 6}, 6),
    (2, {"main_revenue_growth_pct": D("5.99")}, 4),
    (2, {"main_revenue_growth_pct": 4}, 4),
    (2, {"main_revenue_growth_pct": D("3.99")}, 2),
    (2, {"main_revenue_growth_pct": 0}, 2),
    (2, {"main_revenue_growth_pct": D("-0.01")}, 0),
    # 3 niche years: 1 per full 2 years, at most 5
    (3, {"niche_years": 0}, 0),
    (3, {"niche_years": D("1.99")}, 0),
    (3, {"niche_years": 2}, 1),
    (3, {"niche_years": D("3.99")}, 1),
    (3, {"niche_years": 4}, 2),
    (3, {"niche_years": D("9.99")}, 4),
    (3, {"niche_years": 10}, 5),
    (3, {"niche_years": 12}, 5),
    (3, {"niche_years": 200}, 5),
    # 4 product field
    (4, {"product_field": "A"}, 5),
    (4, {"product_field": "B"}, 3),
    (4, {"product_field": "C"}, 0),
    # 5 digitalisation
    (5, {"digital_level": 3}, 5),
    (5, {"digital_level": 2}, 3),
    (5, {"digital_level": 1}, 0),
    # 6 quality: 3 per item, at most 5
    (6, {"quality": []}, 0),
    (6, {"quality": ["own_brand"]}, 3),
    (6, {"quality": ["own_brand", "standards"]}, 5),
    (6, {"quality": ["provincial_quality_award", "quality_certification", "own_brand", "standards"]}, 5),
    # 7 net profit margin, exact on the yuan amounts
    (7, {"revenue": 100_000_000, "profit": 10_000_000}, 10),
    (7, {"revenue": 100_000_000, "profit": D("9999999.99")}, 8),
    (7, {"revenue": 100_000_000, "profit": 8_000_000}, 8),
    (7, {"revenue": 100_000_000, "profit": D("7999999.99")}, 6),
    (7, {"revenue": 100_000_000, "profit": 6_000_000}, 6),
    (7, {"revenue": 100_000_000, "profit": D("5999999.99")}, 4),
    (7, {"revenue": 100_000_000, "profit": 4_000_000}, 4),
    (7, {"revenue": 100_000_000, "profit": D("3999999.99")}, 2),
    (7, {"revenue": 100_000_000, "profit": 2_000_000}, 2),
    (7, {"revenue": 100_000_000, "profit": D("1999999.99")}, 0),
    (7, {"revenue": 3, "profit": D("0.3")}, 10),  # 10 % exactly, though 0.3 is no binary float
    (7, {"revenue": 30, "profit": 2}, 6),  # 6.66… %
    (7, {"revenue": 100_000_000, "profit": -5_000_000}, 0),  # a loss
    (7, {"revenue": 0, "profit": 5_000_000}, 0),
    (7, {"revenue": 0, "profit": 0}, 0),
    (7, {"profit": 5_000_000}, 0),  # revenue unanswered
    (7, {"revenue": 100_000_000}, 0),  # profit unanswered
    # 8 debt ratio: lower is better, a band includes its upper bound
    (8, {"debt_ratio_pct": 0}, 5),
    (8, {"debt_ratio_pct": 50}, 5),
    (8, {"debt_ratio_pct": D("50.01")}, 3),
    (8, {"debt_ratio_pct": 60}, 3),
    (8, {"debt_ratio_pct": D("60.01")}, 1),
    (8, {"debt_ratio_pct": 70}, 1),
    (8, {"debt_ratio_pct": D("70.01")}, 0),
    (8, {"debt_ratio_pct": 150}, 0),  # insolvent
    # 9 distinctive A–F, 5 each, plus the highest talent level, at most 15
    (9, {"distinctive": ["A"]}, 5),
    (9, {"distinctive": ["A", "B", "C"]}, 15),
    (9, {"distinctive": ["A", "B", "C", "D", "E", "F"]}, 15),
    (9, {"talent": "national"}, 5),
    (9, {"talent": "provincial"}, 3),
    (9, {"talent": "municipal"}, 2),
    (9, {"talent": "recommended"}, 1),
    (9, {"talent": "none"}, 0),
    (9, {"distinctive": ["A"], "talent": "municipal"}, 7),
    (9, {"distinctive": ["A", "B"], "talent": "national"}, 15),
    (9, {"distinctive": ["A", "B", "C"], "talent": "national"}, 15),
    # 10 IP
    (10, {"ip": "A"}, 10),
    (10, {"ip": "B"}, 8),
    (10, {"ip": "C"}, 6),
    (10, {"ip": "D"}, 2),
    (10, {"ip": "E"}, 0),
    # 11 by amount (revenue unanswered: the ratio bands score 0)
    (11, {"rd_expense": 5_000_000}, 10),
    (11, {"rd_expense": D("4999999.99")}, 8),
    (11, {"rd_expense": 4_000_000}, 8),
    (11, {"rd_expense": D("3999999.99")}, 6),
    (11, {"rd_expense": 3_000_000}, 6),
    (11, {"rd_expense": D("2999999.99")}, 4),
    (11, {"rd_expense": 2_000_000}, 4),
    (11, {"rd_expense": D("1999999.99")}, 2),
    (11, {"rd_expense": 1_000_000}, 2),
    (11, {"rd_expense": D("999999.99")}, 0),
    # 11 by share of revenue (amounts below 1,000,000 so the amount bands score 0)
    (11, {"rd_expense": 500_000, "revenue": 5_000_000}, 10),
    (11, {"rd_expense": D("499999.99"), "revenue": 5_000_000}, 8),
    (11, {"rd_expense": 400_000, "revenue": 5_000_000}, 8),
    (11, {"rd_expense": D("399999.99"), "revenue": 5_000_000}, 6),
    (11, {"rd_expense": 300_000, "revenue": 5_000_000}, 6),
    (11, {"rd_expense": D("299999.99"), "revenue": 5_000_000}, 4),
    (11, {"rd_expense": 400_000, "revenue": 10_000_000}, 4),
    (11, {"rd_expense": D("399999.99"), "revenue": 10_000_000}, 2),
    (11, {"rd_expense": 300_000, "revenue": 10_000_000}, 2),
    (11, {"rd_expense": D("299999.99"), "revenue": 10_000_000}, 0),
    # 3 % exactly from amounts that are no round figures: 999,999.99 / 33,333,333
    (11, {"rd_expense": D("999999.99"), "revenue": 33_333_333}, 2),
    (11, {"rd_expense": D("999999.98"), "revenue": 33_333_333}, 0),
    (11, {"rd_expense": 1, "revenue": 0}, 10),  # unbounded ratio
    (11, {"rd_expense": 0, "revenue": 0}, 0),
    (11, {"rd_expense": 900_000}, 0),  # revenue unanswered
    (11, {"rd_expense": 4_000_000, "revenue": 40_000_000}, 10),  # the better of the two
    # 12 R&D staff
    (12, {"rd_staff_pct": 20}, 5),
    (12, {"rd_staff_pct": D("19.99")}, 3),
    (12, {"rd_staff_pct": 10}, 3),
    (12, {"rd_staff_pct": D("9.99")}, 1),
    (12, {"rd_staff_pct": 5}, 1),
    (12, {"rd_staff_pct": D("4.99")}, 0),
    # 13 R&D institution
    (13, {"rd_institution": "national"}, 10),
    (13, {"rd_institution": "provincial"}, 8),
    (13, {"rd_institution": "municipal"}, 4),
    (13, {"rd_institution": "below_municipal"}, 2),
    (13, {"rd_institution": "none"}, 0),
]


@pytest.mark.parametrize(("number", "answers", "points"), BAND_EDGES)
def test_band_edge(number: int, answers: dict[str, Any], points: int) -> None:
    assert indicator(answers, number) == points


@pytest.mark.parametrize("number", range(1, 14))
def test_every_indicator_has_edges_in_the_table(number: int) -> None:
    assert any(n == number for n, _, _ in BAND_EDGES)


@pytest.mark.parametrize("number", range(1, 14))
def test_unanswered_indicator_scores_0(number: int) -> None:
    assert indicator({}, number) == 0


def test_unanswered_lists_the_indicator_fields_in_order() -> None:
    assert assess_answers({"revenue": 1, "talent": "none"}).unanswered == [
        "main_business_share_pct",
        "main_revenue_growth_pct",
        "niche_years",
        "product_field",
        "digital_level",
        "quality",
        "profit",
        "debt_ratio_pct",
        "distinctive",
        "ip",
        "rd_expense",
        "rd_staff_pct",
        "rd_institution",
    ]


# ---------------------------------------------------------------- conditions, docs/rules.md#eligibility


def failed(answers: dict[str, Any]) -> set[str]:
    return set(assess_answers(answers).failed_conditions)


@pytest.mark.parametrize(
    ("years", "met"), [(2, True), (D("1.99"), False), (0, False), (None, False), (D("2.5"), True)]
)
def test_niche_years_condition(years: Decimal | int | None, met: bool) -> None:
    answers = {**SCORE_70, "niche_years": years}
    assert ("niche_years" not in failed(answers)) is met


@pytest.mark.parametrize(
    ("rd", "revenue", "met"),
    [
        (1_000_000, 10_000_000, True),
        (D("999999.99"), 10_000_000, False),  # the amount floor
        (1_500_000, 50_000_000, True),  # 3 % exactly
        (1_500_000, D("50000000.01"), False),  # just below 3 %
        (D("999999.99"), 33_333_333, False),  # 3 % but below the amount
        (1_000_000, 0, True),  # over no revenue the ratio is unbounded
        (2_000_000, None, False),  # revenue unanswered: the ratio part fails
        (None, 10_000_000, False),
    ],
)
def test_rd_expense_condition(rd: Any, revenue: Any, met: bool) -> None:
    answers = {"certification": "innovative", "rd_expense": rd, "revenue": revenue}
    assert ("rd_expense" not in failed(answers)) is met


@pytest.mark.parametrize(
    ("revenue", "equity", "met"),
    [
        (10_000_000, None, True),
        (D("9999999.99"), None, False),
        (5_000_000, 20_000_000, True),
        (5_000_000, D("19999999.99"), False),
        (None, 20_000_000, True),
        (None, None, False),
    ],
)
def test_revenue_condition(revenue: Any, equity: Any, met: bool) -> None:
    answers = {"revenue": revenue, "equity_financing_2y": equity}
    assert ("revenue" not in failed(answers)) is met


def test_score_70_is_eligible() -> None:
    result = assess_answers(SCORE_70)
    assert (result.score, result.eligible, result.failed_conditions) == (70, True, [])


def test_score_69_fails_only_the_score() -> None:
    result = assess_answers({**SCORE_70, "rd_staff_pct": D("4.99")})
    assert (result.score, result.eligible, result.failed_conditions) == (69, False, ["score_or_direct"])


def test_score_gap_says_how_many_points_are_missing() -> None:
    result = assess_answers({**SCORE_70, "rd_staff_pct": D("4.99")})
    condition = next(c for c in result.conditions if c.id == "score_or_direct")
    assert [g.short for g in condition.gaps] == [1]


@pytest.mark.parametrize(
    ("route", "answers", "passes"),
    [
        ("sci_award", {"sci_award": "provincial_top3"}, True),
        ("sci_award", {"sci_award": "national_top5"}, True),
        ("sci_award", {"sci_award": "none"}, False),
        ("rd_avg_2y", {"rd_expense_avg_2y": 10_000_000}, True),
        ("rd_avg_2y", {"rd_expense_avg_2y": D("9999999.99")}, False),
        ("equity_2y", {"equity_financing_2y": 60_000_000}, True),
        ("equity_2y", {"equity_financing_2y": D("59999999.99")}, False),
        ("maker_top500", {"maker_top500": True}, True),
        ("maker_top500", {"maker_top500": False}, False),
    ],
)
def test_direct_pass_route_below_70(route: str, answers: dict[str, Any], passes: bool) -> None:
    result = assess_answers({**SCORE_70, "rd_staff_pct": 0, **answers})
    assert result.score == 69
    assert result.direct_pass == ([route] if passes else [])
    assert result.eligible is passes


def test_direct_pass_lists_the_routes_that_hold_at_70_too() -> None:
    result = assess_answers({**SCORE_70, "sci_award": "national_top5", "maker_top500": True})
    assert (result.score, result.direct_pass, result.eligible) == (70, ["sci_award", "maker_top500"], True)


def test_direct_pass_lists_every_route_that_holds() -> None:
    answers = {"sci_award": "national_top5", "rd_expense_avg_2y": 10**8, "maker_top500": True}
    assert assess_answers(answers).direct_pass == ["sci_award", "rd_avg_2y", "maker_top500"]


@pytest.mark.parametrize(
    ("certification", "met"),
    [("innovative", True), ("key_little_giant", True), ("none", False), (None, False)],
)
def test_innovative_sme_prerequisite(certification: str | None, met: bool) -> None:
    result = assess_answers({**SCORE_70, "certification": certification})
    assert ("innovative_sme" not in result.failed_conditions) is met
    assert result.eligible is met


# ---------------------------------------------------------------- tiers, docs/rules.md#tiers


@pytest.mark.parametrize(
    ("answers", "tier"),
    [
        ({"revenue": 60_000_000, "certification": "innovative"}, "member"),
        ({"revenue": D("59999999.99"), "certification": "innovative"}, None),
        ({"revenue": 60_000_000, "certification": "none"}, None),
        ({"revenue": 60_000_000}, None),  # certification unanswered
        ({"revenue": 150_000_000, "profit": 20_000_000, "certification": "provincial"}, "director"),
        ({"revenue": D("149999999.99"), "profit": 20_000_000, "certification": "provincial"}, "member"),
        ({"revenue": 150_000_000, "profit": D("19999999.99"), "certification": "provincial"}, "member"),
        ({"revenue": 150_000_000, "profit": 20_000_000, "certification": "municipal"}, "member"),
        ({"revenue": 550_000_000, "profit": 60_000_000, "certification": "provincial"}, "vice_president"),
        ({"revenue": 550_000_000, "profit": 60_000_000, "certification": "none"}, "vice_president"),
        ({"revenue": D("549999999.99"), "profit": 60_000_000, "certification": "provincial"}, "director"),
        ({"revenue": 550_000_000, "profit": D("59999999.99"), "certification": "provincial"}, "director"),
        ({"revenue": 550_000_000, "profit": -1, "certification": "provincial"}, "member"),
    ],
)
def test_enterprise_tier(answers: dict[str, Any], tier: str | None) -> None:
    assert assess_answers(answers).tier == tier


@pytest.mark.parametrize(
    ("capital", "tier"),
    [
        (5_000_000, "member"),
        (D("4999999.99"), None),
        (None, None),
        (10_000_000, "director"),
        (D("9999999.99"), "member"),
        (50_000_000, "vice_president"),
        (D("49999999.99"), "director"),
    ],
)
def test_service_institution_tier(capital: Any, tier: str | None) -> None:
    answers = {"org_type": "service_institution", "registered_capital": capital}
    assert assess_answers(answers).tier == tier


def test_service_institution_has_no_score() -> None:
    contract = assess_answers({**EXAMPLE_A, "org_type": "service_institution"}).contract()
    assert [contract[k] for k in ("score", "groups", "indicators", "eligible")] == [None] * 4
    assert contract["potential_subsidies"] == contract["unanswered"] == []


def test_no_tier_names_what_member_needs() -> None:
    gap = assess_answers({"revenue": 30_000_000, "certification": "none"}).next_tier
    assert gap is not None and gap.tier == "member"
    assert {g.metric: g.short for g in gap.gaps} == {"revenue": 30_000_000, "certification": None}


def test_top_tier_has_no_next_tier() -> None:
    answers = {"revenue": 10**9, "profit": 10**8, "certification": "key_little_giant"}
    assert assess_answers(answers).next_tier is None


# ---------------------------------------------------------------- subsidies, docs/rules.md#subsidies


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"certification": "innovative", "listing_plan": True, "has_bank_loans": True}, set()),
        ({"certification": "municipal"}, {"efficiency_pilot", "industrial_housing"}),
        (
            {"certification": "municipal", "listing_plan": True, "has_bank_loans": True},
            {"efficiency_pilot", "industrial_housing", "listing_cost", "loan_interest"},
        ),
        (
            {"certification": "municipal", "provincial_tech_upgrade_funded": True},
            {"efficiency_pilot", "industrial_housing", "tech_upgrade_match"},
        ),
        (
            {"certification": "municipal", "annual_tax": 20_000_000},
            {"efficiency_pilot", "industrial_housing", "traffic_exemption"},
        ),
        (
            {"certification": "municipal", "annual_tax": D("19999999.99")},
            {"efficiency_pilot", "industrial_housing"},
        ),
        ({"certification": "provincial"}, PROVINCIAL_SET),
        (
            {"certification": "national_little_giant"},
            PROVINCIAL_SET - {"award_provincial"} | {"award_national_little_giant"},
        ),
        (
            {"certification": "key_little_giant", "relocating_to_guangzhou": True},
            PROVINCIAL_SET - {"award_provincial"}
            | {"award_national_little_giant", "award_relocated_little_giant"},
        ),
        ({"certification": "provincial", "relocating_to_guangzhou": True}, PROVINCIAL_SET),
        ({"certification": "provincial", "operates_park": True}, PROVINCIAL_SET),
        ({"org_type": "service_institution", "operates_park": True}, {"park_award"}),
        ({"org_type": "service_institution", "certification": "provincial"}, set()),
    ],
)
def test_subsidies(answers: dict[str, Any], expected: set[str]) -> None:
    assert set(assess_answers(answers).subsidies) == expected


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2022, 4, 12), "not_yet_valid"),
        (date(2022, 4, 13), "current"),
        (date(2024, 12, 31), "current"),
        (date(2025, 1, 1), "expired"),
    ],
)
def test_subsidy_validity_against_the_injected_date(today: date, status: str) -> None:
    result = assess_answers({"certification": "provincial"}, today=today)
    assert result.subsidy_hints and {h.status for h in result.subsidy_hints} == {status}


def test_expired_hints_still_carry_their_validity() -> None:
    hint = assess_answers({"certification": "provincial"}, today=date(2026, 1, 1)).subsidy_hints[0]
    assert (hint.valid_from, hint.valid_to) == (date(2022, 4, 13), date(2024, 12, 31))


def test_potential_subsidies_of_an_eligible_municipal_enterprise() -> None:
    result = assess_answers({**SCORE_70, "certification": "municipal"})
    assert result.eligible
    assert set(result.subsidies) == {"efficiency_pilot", "industrial_housing"}
    assert set(result.potential_subsidies) == PROVINCIAL_SET - set(result.subsidies)
    assert {h.id for h in result.subsidy_hints if h.potential} == set(result.potential_subsidies)


def test_potential_subsidies_count_the_flags_held() -> None:
    result = assess_answers({**SCORE_70, "listing_plan": True})
    assert "listing_cost" in result.potential_subsidies


@pytest.mark.parametrize(
    "answers",
    [
        EXAMPLE_B,  # not eligible
        {**SCORE_70, "certification": "provincial"},  # already provincial
        {**SCORE_70, "certification": "national_little_giant"},
    ],
)
def test_no_potential_subsidies(answers: dict[str, Any]) -> None:
    assert assess_answers(answers).potential_subsidies == []


# ---------------------------------------------------------------- explanation


def test_improvements_are_the_biggest_gains() -> None:
    improvements = assess_answers(EXAMPLE_B).improvements
    # one more distinctive item +5, a provincial R&D institution +4, then the first of the +2s
    assert [(i.indicator, i.gain) for i in improvements] == [(9, 5), (13, 4), (4, 2)]


def test_improvement_of_a_ratio_says_how_many_yuan() -> None:
    improvements = assess_answers({"revenue": 100_000_000, "profit": 9_000_000}).improvements
    margin = next(i for i in improvements if i.indicator == 7)
    assert (margin.target, margin.short, margin.short_amount) == (D("10"), D("1"), D("1000000"))


def test_the_engine_reads_no_clock() -> None:
    first = assess_answers(EXAMPLE_A, today=date(2020, 1, 1))
    again = assess_answers(EXAMPLE_A, today=date(2020, 1, 1))
    assert first == again and first.today == date(2020, 1, 1)
