"""The worked examples of docs/rules.md#worked-examples as profiles, and a helper to score answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from rules import Assessment, assess, default_rules, parse_profile

TODAY = date(2025, 1, 1)

# A: revenue 120,000,000; R&D 6,000,000 (5 %); niche 7 years; main share 92 %; growth 12 %;
# product field B; digital level 2; quality ISO + own brand; net profit 9,600,000 (8 %);
# debt 45 %; distinctive A; municipal talent; IP C; R&D staff 15 %; municipal R&D
# institution; certification innovative.
EXAMPLE_A: dict[str, Any] = {
    "org_type": "enterprise",
    "certification": "innovative",
    "niche_years": 7,
    "revenue": 120_000_000,
    "profit": 9_600_000,
    "rd_expense": 6_000_000,
    "main_business_share_pct": 92,
    "main_revenue_growth_pct": 12,
    "product_field": "B",
    "digital_level": 2,
    "quality": ["quality_certification", "own_brand"],
    "debt_ratio_pct": 45,
    "distinctive": ["A"],
    "talent": "municipal",
    "ip": "C",
    "rd_staff_pct": 15,
    "rd_institution": "municipal",
}

# B: the same with R&D 900,000.
EXAMPLE_B: dict[str, Any] = {**EXAMPLE_A, "rd_expense": 900_000}

# C: revenue 8,000,000, equity financing 65,000,000, R&D 1,600,000 (20 %), niche 2 years,
# certification innovative, everything else at its lowest.
EXAMPLE_C: dict[str, Any] = {
    "org_type": "enterprise",
    "certification": "innovative",
    "niche_years": 2,
    "revenue": 8_000_000,
    "profit": 0,
    "rd_expense": 1_600_000,
    "rd_expense_avg_2y": 0,
    "equity_financing_2y": 65_000_000,
    "sci_award": "none",
    "maker_top500": False,
    "main_business_share_pct": 0,
    "main_revenue_growth_pct": -100,
    "product_field": "C",
    "digital_level": 1,
    "quality": [],
    "debt_ratio_pct": 100,
    "distinctive": [],
    "talent": "none",
    "ip": "E",
    "rd_staff_pct": 0,
    "rd_institution": "none",
}

# Scores exactly 70 with R&D that meets its condition and no direct-pass route: the
# score floor is then the only thing between eligible and not.
SCORE_70: dict[str, Any] = {
    "certification": "innovative",
    "niche_years": 10,  # 3: 5
    "revenue": 30_000_000,
    "profit": 3_000_000,  # 7: 10 %, 10
    "rd_expense": 1_000_000,  # 11: 1,000,000 and 3.33 %, 2
    "main_business_share_pct": 80,  # 1: 5
    "main_revenue_growth_pct": 10,  # 2: 10
    "product_field": "A",  # 4: 5
    "digital_level": 3,  # 5: 5
    "quality": ["own_brand", "standards"],  # 6: 5
    "debt_ratio_pct": 50,  # 8: 5
    "distinctive": ["A", "B", "C"],  # 9: 15
    "talent": "none",
    "ip": "E",  # 10: 0
    "rd_staff_pct": 5,  # 12: 1
    "rd_institution": "below_municipal",  # 13: 2
}


def assess_answers(answers: dict[str, Any], today: date = TODAY) -> Assessment:
    """Parse `answers` as a profile and assess it under the bundled rules."""
    rules = default_rules()
    return assess(parse_profile(answers, rules.contacts.districts), rules, today)
