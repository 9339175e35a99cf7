"""Typing a number to pick a choice: what is shown, and what a typed number picks."""

from __future__ import annotations

from dialogs.i18n import choose_lang
from dialogs.messages import Choice, Menu, Question, Text
from dialogs.picking import MenuNotes, menu_commands, option_numbers

LEVELS = Question("digital_level", "?", (Choice("3", "三级"), Choice("2", "二级"), Choice("1", "一级")))
FIELD = Question("product_field", "?", (Choice("A", "甲"), Choice("B", "乙")))
MENU = Menu("菜单", (Choice("/assess", "自测"), Choice("/tiers", "等级")))


def test_numbers_shown_are_what_typing_them_picks() -> None:
    assert option_numbers(LEVELS) == ["3", "2", "1"]  # the engine reads these numbers as the values
    assert option_numbers(FIELD) == ["1", "2"]  # and these as positions
    assert option_numbers(Menu("m", (Choice("3", "x"), Choice("1", "y")))) == ["1", "2"]  # a menu: positions


def test_a_typed_number_picks_from_the_last_menu_until_a_question_comes() -> None:
    assert menu_commands([Text("hi"), MENU]) == ("/assess", "/tiers")
    assert menu_commands([MENU, FIELD]) == ()
    assert menu_commands([FIELD, MENU]) == ("/assess", "/tiers")
    assert menu_commands([Text("only text")]) is None  # nothing changes what a number picks
    notes = MenuNotes()
    notes.note_replies("u", [MENU])
    notes.note_replies("u", [Text("a reply")])
    assert notes.pick("u", "2") == "/tiers"
    notes.note_replies("u", [FIELD])
    assert notes.pick("u", "2") is None


def test_the_language_is_the_chosen_one_else_the_platforms_else_the_sessions() -> None:
    assert choose_lang("zh", True, "en-US") == "zh"
    assert choose_lang("zh", False, "en-US") == "en"
    assert choose_lang("en", False, "fr") == "en"  # a language we do not speak
    assert choose_lang("en", False, None) == "en"
