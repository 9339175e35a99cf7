"""The columns are documented where staff look: the README's table and ``zjtx assess --help``."""

from __future__ import annotations

import pytest

from bot.batch.docs import BEGIN, END, README, columns_markdown, help_epilog, readme_with_columns
from bot.cli import build_parser
from dialogs.i18n import load_catalogs
from rules import default_rules


def test_the_readme_table_is_the_generated_one() -> None:
    text = README.read_text(encoding="utf-8")
    table = columns_markdown(default_rules(), load_catalogs())
    assert readme_with_columns(text, table) == text, (
        "the README's columns are stale: run python -m bot.batch.docs"
    )


def test_the_table_names_every_field_and_result_column() -> None:
    table = columns_markdown(default_rules(), load_catalogs())
    for info in default_rules().fields.field:
        assert f"`{info.id}`" in table and info.label.zh in table and info.source.file in table
    assert "| 评价得分 | Score |" in table and "| 错误 | Error |" in table


def test_help_lists_the_fields_and_points_to_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["assess", "--help"])
    shown = capsys.readouterr().out
    assert "Scoring a spreadsheet" in shown and "--template" in shown
    assert all(f.id in shown for f in default_rules().fields.field)
    assert help_epilog() in shown


def test_the_markers_are_in_the_readme_once() -> None:
    text = README.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
