"""Typing a number to pick a choice: what is shown, and what a typed number picks."""

from __future__ import annotations

from dialogs.i18n import choose_lang
from dialogs.messages import Choice, Menu, Question, Text
from dialogs.picking import could_pick, menu_commands, note, option_numbers, pick
from dialogs.session import MenuNote

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
    kept = note([MENU], None)
    assert kept == MenuNote(commands=["/assess", "/tiers"])
    assert note([Text("a reply")], kept) == kept
    assert pick(kept, "2", numbered=True) == "/tiers"
    assert pick(kept, "２", numbered=True) == "/tiers"  # a phone's full-width digit
    assert note([FIELD], kept) is None
    assert pick(None, "2", numbered=True) is None


def test_numbers_pick_where_they_are_shown_and_nothing_else_does() -> None:
    kept = MenuNote(commands=["/assess", "/tiers"])
    assert [
        pick(kept, typed, numbered=True) for typed in ("1", " 1 ", "3", "0", "一", "²", "⑴", "1" * 5)
    ] == [
        "/assess",
        "/assess",
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    assert pick(kept, "1", numbered=False) is None  # buttons, not numbers (Telegram)
    assert could_pick("12", numbered=True) and not could_pick("12", numbered=False)
    assert not could_pick("1.2亿", numbered=True) and not could_pick("1" * 5000, numbered=True)


def test_a_yes_no_menu_is_answered_by_yes_or_no_in_any_channel() -> None:
    confirm = Menu("确定吗？", (Choice("/forget confirm", "是"), Choice("/forget keep", "否")), yes_no=True)
    kept = note([confirm], None)
    assert kept == MenuNote(commands=["/forget confirm", "/forget keep"], yes_no=True)
    for yes in ("好的", "是", "可以", "行", "OK", "确认！", "確認"):
        assert pick(kept, yes, numbered=False) == "/forget confirm", yes
    for no in ("不要", "算了", "不", "no", "取消"):
        assert pick(kept, no, numbered=False) == "/forget keep", no
    for neither in ("是什么意思", "好多", "1", "我不确定"):
        assert pick(kept, neither, numbered=False) is None, neither
    assert pick(kept, "1", numbered=True) == "/forget confirm"
    assert could_pick("好的", numbered=False) and not could_pick("是什么意思", numbered=False)


def test_the_language_is_the_chosen_one_else_the_platforms_else_the_sessions() -> None:
    assert choose_lang("zh", True, "en-US") == "zh"
    assert choose_lang("zh", False, "en-US") == "en"
    assert choose_lang("en", False, "fr") == "en"  # a language we do not speak
    assert choose_lang("en", False, None) == "en"
