"""Picking a choice by typing its number, or yes or no, the same in every channel.

A channel without buttons (the terminal, WeCom's text) lists the choices numbered: the
number shown is what typing it picks. For a question the engine reads the number (as a
position, or as the value itself when every value is a number); for a menu the number
names one of its commands. The open menu is kept in the session (:class:`MenuNote`),
stored with the turn that showed it, so that "1" typed after a restart does what the
menu said — until a question comes, which the engine reads itself. A yes/no menu (the
confirmation of /restart or /forget) is also answered by a plain yes or no, in any
channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from dialogs.messages import Menu, Outbound, Question
from dialogs.parsing import menu_number, strict_yes_no
from dialogs.session import MenuNote

__all__ = ["could_pick", "menu_commands", "note", "option_numbers", "pick", "record_number"]

_RECORD_NUMBER: Final = re.compile(r"#?([0-9]{1,18})")


def record_number(text: str) -> int | None:
    """The number of a record (an enquiry, a broadcast) typed after a command: ``12`` or
    ``#12``, one to 18 ASCII digits (it fits SQLite's integers); None for anything else.
    Never raises, whatever the digits (², ⑴, ፩, 𐩀, thousands of them)."""
    found = _RECORD_NUMBER.fullmatch(text.strip())
    return int(found.group(1)) if found else None


# A phone's Chinese keyboard types full-width digits: they pick as the ASCII ones do.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def option_numbers(message: Question | Menu) -> list[str]:
    """The number to show before each choice: what typing it picks."""
    values = [c.value for c in message.choices]
    if isinstance(message, Question) and values and all(v.isdecimal() for v in values):
        return values
    return [str(n) for n in range(1, len(values) + 1)]


def menu_commands(replies: Iterable[Outbound]) -> tuple[str, ...] | None:
    """What a typed number picks after these replies: the commands of a menu that comes last
    among the menus and questions, () when a question does, None when neither comes."""
    last = _last_open(replies)
    if last is None:
        return None
    return tuple(c.value for c in last.choices) if isinstance(last, Menu) else ()


def note(replies: Iterable[Outbound], before: MenuNote | None) -> MenuNote | None:
    """The open menu after these replies: the menu that comes last among the menus and
    questions; None when a question comes last; `before` when neither comes (a text changes
    nothing). Kept whatever the channel: whether a number picks from it is :func:`pick`'s."""
    last = _last_open(replies)
    if last is None:
        return before
    if isinstance(last, Question) or not last.choices:
        return None
    return MenuNote(commands=[c.value for c in last.choices], yes_no=last.yes_no)


def could_pick(typed: str, *, numbered: bool) -> bool:
    """Whether `typed` could pick from some menu (a number where numbers pick, or a plain yes
    or no): cheap, so that a caller looks at the stored menu only then."""
    if len(typed) > 40:
        return False
    if numbered and menu_number(typed.translate(_FULL_WIDTH_DIGITS)) is not None:
        return True
    if len(typed.strip()) > 16 or any(ch.isdigit() for ch in typed):
        return False  # no yes or no is that long or has a figure in it
    return strict_yes_no(typed) is not None


def pick(menu: MenuNote | None, typed: str, *, numbered: bool) -> str | None:
    """The command `typed` picks in the open `menu`, or None: a 1-based number of one to
    four ASCII (or full-width) digits where numbers pick (², ⑴ or a paste of thousands of
    digits pick nothing); yes or no in a yes/no menu."""
    if menu is None or not menu.commands or len(typed) > 40:
        return None
    if numbered:
        index = menu_number(typed.translate(_FULL_WIDTH_DIGITS))
        if index is not None:
            return menu.commands[index - 1] if 1 <= index <= len(menu.commands) else None
    if menu.yes_no and len(menu.commands) >= 2:
        verdict = strict_yes_no(typed)
        if verdict is not None:
            return menu.commands[0 if verdict else 1]
    return None


def _last_open(replies: Iterable[Outbound]) -> Menu | Question | None:
    last: Menu | Question | None = None
    for message in replies:
        if isinstance(message, Menu | Question):
            last = message
    return last
