"""No cell the project writes runs as a formula (OWASP CSV injection)."""

from __future__ import annotations

import pytest

from bot.cell_safety import needs_quoting, safe_csv_cell, unquote


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+SUM(A1)",
        "-2+3",
        "@SUM(1)",
        "\t=1",
        "\r=1",
        '=HYPERLINK("http://x")',
        "-",
        "+",
        "-1e3",
        "--1",
    ],
)
def test_formula_triggers_are_quoted(text: str) -> None:
    assert needs_quoting(text) and safe_csv_cell(text) == "'" + text and unquote(safe_csv_cell(text)) == text


@pytest.mark.parametrize("text", ["-5", "-1200.50", "12", "0.5", "广州某某科技有限公司", "", "a=b"])
def test_plain_numbers_and_text_stay_as_they_are(text: str) -> None:
    assert not needs_quoting(text) and safe_csv_cell(text) == text and unquote(text) == text


def test_values_of_any_type() -> None:
    assert (safe_csv_cell(None), safe_csv_cell(-3), safe_csv_cell(2.5)) == ("", "-3", "2.5")


def test_quoting_twice_adds_nothing() -> None:
    assert safe_csv_cell(safe_csv_cell("=x")) == "'=x"
