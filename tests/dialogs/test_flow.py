"""Which questions are asked follows from the rules data: a subsidy question is asked only
where some subsidy item's clause reads that answer and could hold."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from dialogs.flow import STEP_BY_FIELD, context
from dialogs.session import Session
from rules import Rules, default_rules, load_rules
from rules.loader import DATA_DIR

TODAY = date(2026, 11, 23)


def asked(field: str, rules: Rules, **answers: object) -> bool:
    return STEP_BY_FIELD[field].when(context(Session(answers=dict(answers)), rules, TODAY))


def test_the_tax_question_is_asked_only_where_the_tax_decides_a_subsidy() -> None:
    rules = default_rules()
    assert asked("annual_tax", rules, org_type="enterprise", certification="municipal")
    assert not asked("annual_tax", rules, org_type="enterprise", certification="provincial")  # granted anyway
    assert not asked("annual_tax", rules, org_type="enterprise", certification="innovative")
    assert not asked("annual_tax", rules, org_type="service_institution")


def test_the_park_question_is_for_institutions_and_relocation_for_little_giants() -> None:
    rules = default_rules()
    assert asked("operates_park", rules, org_type="service_institution")
    assert not asked("operates_park", rules, org_type="enterprise")
    assert asked("relocating_to_guangzhou", rules, org_type="enterprise", certification="key_little_giant")
    assert not asked("relocating_to_guangzhou", rules, org_type="enterprise", certification="provincial")


def test_a_changed_clause_in_the_data_changes_the_questions(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    subsidies = folder / "subsidies.toml"
    text = subsidies.read_text(encoding="utf-8")
    lowered = text.replace(
        '{ org_type = "enterprise", min_certification = "municipal", min_annual_tax = 20000000 }',
        '{ org_type = "enterprise", min_certification = "innovative", min_annual_tax = 20000000 }',
    )
    assert lowered != text
    subsidies.write_text(lowered, encoding="utf-8")
    rules = load_rules(folder)
    assert asked("annual_tax", rules, org_type="enterprise", certification="innovative")
    assert not asked("annual_tax", default_rules(), org_type="enterprise", certification="innovative")
