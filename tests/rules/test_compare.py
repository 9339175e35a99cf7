"""What changed between two assessments."""

from __future__ import annotations

from rules.compare import compare
from tests.rules.examples import EXAMPLE_A, EXAMPLE_B, assess_answers


def test_points_conditions_and_tier_since_an_earlier_assessment() -> None:
    before, after = assess_answers(EXAMPLE_B).contract(), assess_answers(EXAMPLE_A).contract()
    change = compare(before, after)
    assert change.score_delta == 10 and change.indicators == ((11, 10),)
    assert change.newly_met == ("rd_expense", "score_or_direct") and change.newly_failed == ()
    assert not change.tier_changed and not change.nothing


def test_the_same_assessment_changes_nothing() -> None:
    a = assess_answers(EXAMPLE_A).contract()
    assert compare(a, a).nothing


def test_losing_points_is_a_negative_change_listed_first_by_size() -> None:
    change = compare(
        assess_answers(EXAMPLE_A).contract(), assess_answers({**EXAMPLE_B, "rd_staff_pct": 25}).contract()
    )
    assert change.indicators == ((11, -10), (12, 2)) and change.newly_failed == (
        "rd_expense",
        "score_or_direct",
    )
