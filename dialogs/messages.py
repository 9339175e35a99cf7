"""The neutral vocabulary between channels and the dialog engine.

A channel turns a platform update into an :class:`Inbound`; the engine answers with
:data:`Outbound` messages, which the channel turns into platform calls. Texts are plain
(no markup): each channel escapes and formats them its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Inbound:
    """What a person sent: typed text (a command starts with "/"), or a chosen value."""

    text: str = ""
    choice: str | None = None  # the `value` of a choice button the person pressed
    lang_hint: str | None = None  # the platform's idea of the person's language
    staff: bool = False  # set by the caller: the person is association staff (/help lists theirs)

    @property
    def is_command(self) -> bool:
        return self.choice is None and self.text.strip().startswith("/")

    def as_staff(self, staff: bool) -> Inbound:
        """The same message, marked as sent by staff or not."""
        return replace(self, staff=staff)


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Question:
    """A question awaiting an answer; `id` is a profile field or a dialog step."""

    id: str
    text: str
    choices: tuple[Choice, ...] = ()
    multi: bool = False
    progress: tuple[int, int] | None = None  # (this question's number, how many in all)


@dataclass(frozen=True, slots=True)
class Menu:
    """A short text with buttons that are not an answer to a question (main menu, suggestions)."""

    text: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True, slots=True)
class Result:
    """A finished assessment: the contract JSON and its rendering, split into short parts."""

    assessment: dict[str, Any]
    parts: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(self.parts)


@dataclass(frozen=True, slots=True)
class Notify:
    """A message for the staff chat (a hand-off or an enquiry), not for the person."""

    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


Outbound = Text | Question | Menu | Result
