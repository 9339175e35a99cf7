"""What the engine derives from a Rules object lives as long as that object, no longer."""

from __future__ import annotations

import gc
from datetime import date

from rules import assess, load_rules, parse_profile
from rules.engine import _PLANS
from rules.loader import DATA_DIR


def test_a_plan_is_made_once_per_rules_object_and_goes_with_it() -> None:
    rules = load_rules(DATA_DIR)
    profile = parse_profile({"revenue": 1}, rules.contacts.districts)
    assess(profile, rules, date(2026, 1, 1))
    plan = _PLANS[rules]
    assess(profile, rules, date(2026, 1, 1))
    assert _PLANS[rules] is plan
    other = load_rules(DATA_DIR)
    assert other not in _PLANS  # an equal copy is another object, with a plan of its own
    kept = len(_PLANS)
    del rules, plan
    gc.collect()
    assert len(_PLANS) == kept - 1
