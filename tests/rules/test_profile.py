"""Profiles the engine refuses: each error names the field (docs/interfaces.md#profile)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from rules import ProfileError, default_rules, parse_profile
from rules.profile import Profile, cell_to_value

DISTRICTS = default_rules().contacts.districts


def errors_of(data: Any) -> dict[str, str]:
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, DISTRICTS)
    return dict(caught.value.errors)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"revenu": 1}, "revenu", "unknown field"),
        ({"revenue": "1.5亿"}, "revenue", "must be a number"),
        ({"revenue": True}, "revenue", "must be a number"),
        ({"maker_top500": "yes"}, "maker_top500", "true or false"),
        ({"digital_level": 2.5}, "digital_level", ""),
        ({"quality": "own_brand"}, "quality", ""),
        ({"revenue": -1}, "revenue", "≥ 0"),
        ({"rd_expense": Decimal("-0.01")}, "rd_expense", "≥ 0"),
        ({"annual_tax": -5}, "annual_tax", "≥ 0"),
        ({"main_business_share_pct": Decimal("100.01")}, "main_business_share_pct", "≤ 100"),
        ({"rd_staff_pct": 101}, "rd_staff_pct", "≤ 100"),
        ({"district": "朝阳区"}, "district", "unknown district"),
        ({"certification": "national"}, "certification", "unknown value 'national'"),
        ({"ip": "F"}, "ip", "unknown value 'F'"),
        ({"quality": ["iso"]}, "quality", "item 1: unknown value 'iso'"),
        ({"distinctive": ["A", "G"]}, "distinctive", "item 2: unknown value 'G'"),
        ({"revenue": float("nan")}, "revenue", "finite"),
    ],
)
def test_bad_field_is_named(data: dict[str, Any], field: str, words: str) -> None:
    errors = errors_of(data)
    assert list(errors) == [field]
    assert words in errors[field]


def test_every_bad_field_is_named_at_once() -> None:
    assert set(errors_of({"revenue": -1, "ip": "Z", "colour": "red"})) == {"revenue", "ip", "colour"}


def test_not_an_object() -> None:
    assert "JSON object" in str(errors_of([1, 2]))


@pytest.mark.parametrize(
    ("data", "field", "value"),
    [
        ({"profit": -3_000_000}, "profit", Decimal(-3_000_000)),  # a loss
        ({"debt_ratio_pct": 130}, "debt_ratio_pct", Decimal(130)),  # insolvent, scores 0
        ({"main_revenue_growth_pct": -12}, "main_revenue_growth_pct", Decimal(-12)),
        ({"district": "tianhe"}, "district", "天河区"),  # an alias becomes the district's name
        ({"quality": ["own_brand", "own_brand"]}, "quality", ["own_brand"]),
        ({"revenue": 0.1}, "revenue", Decimal("0.1")),  # a float by its shortest text
    ],
)
def test_accepted(data: dict[str, Any], field: str, value: Any) -> None:
    assert getattr(parse_profile(data, DISTRICTS), field) == value


@pytest.mark.parametrize(
    ("field", "cell", "value"),
    [
        ("revenue", "", None),
        ("revenue", "  ", None),
        ("revenue", "1,200,000", Decimal(1_200_000)),
        ("quality", "own_brand; standards", ["own_brand", "standards"]),
        ("maker_top500", "是", True),
        ("has_bank_loans", "FALSE", False),
        ("digital_level", "3", 3),
        ("district", "黄埔区", "黄埔区"),
    ],
)
def test_cell_to_value(field: str, cell: str, value: Any) -> None:
    assert cell_to_value(field, cell) == value


@pytest.mark.parametrize(
    ("field", "cell"), [("revenue", "abc"), ("maker_top500", "maybe"), ("digital_level", "2.0")]
)
def test_bad_cell(field: str, cell: str) -> None:
    with pytest.raises(ValueError):
        cell_to_value(field, cell)


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1e999999999"),
        Decimal("1" + "0" * 5000),
        10**4000,
        Decimal("0." + "1" * 5000),
        Decimal("1e400"),
    ],
    ids=["1e999999999", "5000 digits", "an int of 4000 digits", "5000 decimals", "1e400"],
)
def test_figures_no_answer_can_be_are_refused_at_once(value: object) -> None:
    with pytest.raises(
        ProfileError, match=r"revenue: (must be a finite number|has [0-9,]+ digits|has more than)"
    ):
        parse_profile({"revenue": value})


def test_the_engine_refuses_such_figures_too_even_in_a_profile_made_without_checks() -> None:
    from datetime import date

    from rules import assess, default_rules

    unchecked = Profile.model_construct(revenue=Decimal("1e999999999"), profit=Decimal(1))
    with pytest.raises(ProfileError, match="revenue"):
        assess(unchecked, default_rules(), date(2026, 11, 23))


def test_ordinary_floats_and_big_but_real_figures_are_kept() -> None:
    profile = parse_profile({"revenue": 123_456_789_012_345, "rd_staff_pct": 15.333333333333334})
    assert profile.revenue == Decimal(123_456_789_012_345)
