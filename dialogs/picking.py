"""Picking a choice by typing its number, the same in every text channel.

A channel without buttons (the terminal, WeCom's text) lists the choices numbered: the
number shown is what typing it picks. For a question the engine reads the number (as a
position, or as the value itself when every value is a number: digital level 3, 2, 1);
for a menu the channel remembers the menu's commands and turns a typed number into the
command (:class:`MenuNotes`), until a question comes.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable
from typing import Final

from dialogs.messages import Menu, Outbound, Question
from dialogs.parsing import menu_number

__all__ = ["MenuNotes", "menu_commands", "option_numbers", "record_number"]

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
    last: tuple[str, ...] | None = None
    for message in replies:
        if isinstance(message, Menu):
            last = tuple(c.value for c in message.choices)
        elif isinstance(message, Question):
            last = ()
    return last


class MenuNotes:
    """The commands of the last menu shown to each user, so that a typed "2" picks the second.

    Kept in memory, bounded (least recently noted users are forgotten): a menu matters only
    until the person answers it, and a forgotten note costs one round trip, not a wrong
    action: the digit goes to the engine, which shows the menu again.
    """

    def __init__(self, max_users: int = 10_000) -> None:
        if max_users < 1:
            raise ValueError("max_users must be positive")
        self._max = max_users
        self._notes: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def note(self, user: str, commands: tuple[str, ...]) -> None:
        """Remember ``commands`` as ``user``'s menu (an empty tuple forgets it)."""
        self._notes.pop(user, None)
        if commands:
            self._notes[user] = commands
            while len(self._notes) > self._max:
                self._notes.popitem(last=False)

    def note_replies(self, user: str, replies: Iterable[Outbound]) -> None:
        """Remember what a typed number picks after ``replies`` (see :func:`menu_commands`)."""
        commands = menu_commands(replies)
        if commands is not None:
            self.note(user, commands)

    def pick(self, user: str, typed: str) -> str | None:
        """Return the command a typed 1-based number names in ``user``'s menu, or None.

        The number is one to four ASCII (or full-width) digits
        (:func:`dialogs.parsing.menu_number`): ², ⑴ or a paste of thousands of digits pick
        nothing."""
        commands = self._notes.get(user)
        index = menu_number(typed.translate(_FULL_WIDTH_DIGITS))
        if not commands or index is None:
            return None
        return commands[index - 1] if 1 <= index <= len(commands) else None

    def __len__(self) -> int:
        return len(self._notes)
