"""The loader refuses bad rules data, naming the file and the item."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rules import RulesError, load_rules
from rules.loader import DATA_DIR


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the bundled rules data, to spoil."""
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


def test_the_bundled_rules_load(data: Path) -> None:
    rules = load_rules(data)
    assert len(rules.indicators.indicator) == 13
    assert sum(g.max for g in rules.indicators.group) == 100


def test_unknown_key(data: Path) -> None:
    edit(data, "conditions.toml", "min_years = 2\n", "min_years = 2\nmin_yeers = 3\n")
    message = refusal(data)
    assert "conditions.toml" in message and "niche_years.min_yeers" in message


def test_unknown_key_in_a_list_item_names_the_item(data: Path) -> None:
    edit(data, "subsidies.toml", 'id = "award_provincial"\n', 'id = "award_provincial"\namout = 1\n')
    message = refusal(data)
    assert "subsidies.toml" in message and "subsidy[award_provincial].amout" in message


def test_duplicate_key(data: Path) -> None:
    edit(data, "conditions.toml", "min_years = 2\n", "min_years = 2\nmin_years = 3\n")
    message = refusal(data)
    assert "conditions.toml" in message and "min_years = 3" in message


def test_duplicate_id(data: Path) -> None:
    edit(data, "subsidies.toml", 'id = "listing_cost"', 'id = "loan_interest"')
    message = refusal(data)
    assert "subsidies.toml" in message and "duplicate subsidy 'loan_interest'" in message


def test_impossible_date(data: Path) -> None:
    edit(data, "contacts.toml", "as_of = 2019-05-27", "as_of = 2019-02-30")
    message = refusal(data)
    assert "contacts.toml" in message and "as_of = 2019-02-30" in message


def test_date_that_is_no_date(data: Path) -> None:
    edit(data, "meta.toml", "published = 2025-08-26", 'published = "last summer"')
    message = refusal(data)
    assert "meta.toml" in message and "sources[1].published" in message


def test_valid_to_before_valid_from(data: Path) -> None:
    path = data / "subsidies.toml"
    head, tail = path.read_text(encoding="utf-8").split('id = "award_provincial"\n')
    spoilt = tail.replace("valid_to = 2024-12-31", "valid_to = 2022-04-12", 1)
    path.write_text(head + 'id = "award_provincial"\n' + spoilt, encoding="utf-8")
    message = refusal(data)
    assert "subsidies.toml" in message and "subsidy[award_provincial]" in message
    assert "valid_to is before valid_from" in message


def test_bands_out_of_order(data: Path) -> None:
    edit(
        data,
        "indicators.toml",
        '{ option = "B", min = 70, points = 3, label = { zh = "70%-80%", en = "70% to 80%" } },',
        '{ option = "B", min = 85, points = 3, label = { zh = "70%-80%", en = "70% to 80%" } },',
    )
    message = refusal(data)
    assert "indicators.toml" in message and "indicator[1]" in message and "out of order" in message


def test_band_points_out_of_order(data: Path) -> None:
    edit(
        data,
        "indicators.toml",
        '{ option = "A", max = 50, points = 5, label',
        '{ option = "A", max = 50, points = 2, label',
    )
    message = refusal(data)
    assert "indicators.toml" in message and "indicator[8]" in message and "points must fall" in message


def test_group_maxima_must_add_up(data: Path) -> None:
    edit(
        data,
        "indicators.toml",
        'number = 12\ngroup = "innovation"\nmax = 5',
        'number = 12\ngroup = "innovation"\nmax = 6',
    )
    message = refusal(data)
    assert "indicators.toml" in message and "group innovation" in message and "36, not 35" in message


def test_groups_must_add_up_to_100(data: Path) -> None:
    edit(data, "indicators.toml", 'id = "innovation"\nmax = 35', 'id = "innovation"\nmax = 36')
    edit(
        data,
        "indicators.toml",
        'number = 12\ngroup = "innovation"\nmax = 5',
        'number = 12\ngroup = "innovation"\nmax = 6',
    )
    message = refusal(data)
    assert "indicators.toml" in message and "101, not 100" in message


def test_unknown_certification_level(data: Path) -> None:
    edit(data, "tiers.toml", 'min_certification = "provincial" }', 'min_certification = "provincal" }')
    message = refusal(data)
    assert "tiers.toml" in message and "tier[director]" in message and "'provincal'" in message


def test_uncited_source(data: Path) -> None:
    edit(
        data,
        "conditions.toml",
        'clause = "一、认定条件（一）"',
        'clause = "一、认定条件（一）", file = "009.txt"',
    )
    message = refusal(data)
    assert "conditions.toml" in message


def test_missing_file(data: Path) -> None:
    (data / "tiers.toml").unlink()
    assert "tiers.toml" in refusal(data)


# ---------------------------------------------------------------- fields.toml (the columns of a sheet)


def test_every_profile_field_has_a_column(data: Path) -> None:
    edit(data, "fields.toml", 'id = "annual_tax"', 'id = "annual_taxes"')
    message = refusal(data)
    assert "fields.toml" in message and "'annual_tax' is missing" in message and "annual_taxes" in message


def test_a_field_of_the_wrong_kind(data: Path) -> None:
    edit(data, "fields.toml", 'id = "revenue"\nkind = "money"', 'id = "revenue"\nkind = "percent"')
    assert "field[revenue]: kind 'percent', but the profile field is 'money'" in refusal(data)


def test_a_column_name_shared_by_two_fields(data: Path) -> None:
    edit(data, "fields.toml", '"注册资金"', '"营收"')
    assert "field[registered_capital]: the name '营收' also names field 'revenue'" in refusal(data)


def test_a_field_citing_an_unknown_source(data: Path) -> None:
    text = (data / "fields.toml").read_text(encoding="utf-8")
    first = text.replace('file = "003_cb9b15ec6ed65fd7.txt"', 'file = "009.txt"', 1)  # operates_park's
    (data / "fields.toml").write_text(first, encoding="utf-8")
    assert "fields.toml: field[operates_park]: cites '009.txt'" in refusal(data)
