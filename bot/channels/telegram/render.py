"""How the assistant's replies look on Telegram: HTML messages under 4096 characters, inline
keyboards, and the short callback data their buttons carry.

Pure functions, no network: :func:`plan_messages` turns one turn's :data:`Outbound` messages
into the `Planned` messages to send. Every text the engine gives is escaped with
:func:`html.escape`; the only markup added is bold on the first line of a result part.
A picture or a document is a message of its own (sendPhoto, sendDocument: see
:mod:`bot.channels.telegram.media`), and so is a result: the score card, then the short
result, then the buttons that open its parts.

Callback data (at most 64 bytes, as Telegram requires) never carries an answer's value:

``q:<tag>:<i>``  choice *i* of the question whose :func:`question_tag` is *tag*
``t:<tag>:<i>``  toggle choice *i* of a question with several answers
``d:<tag>``      those toggled choices are the answer
``n:<tag>``      none of them is
``c:/command``   a menu button (a command the person could have typed)
``v:<token>``    a menu value too long for the data, kept by the channel under *token*

A question button is resolved against the question the session is waiting for; a tag that
no longer matches it means the button is stale (or forged) and is refused.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from dialogs.messages import Document, Image, Menu, Outbound, Question, Result

__all__ = [
    "CALLBACK_DATA_LIMIT",
    "CHECKED",
    "TEXT_LIMIT",
    "Planned",
    "Pressed",
    "command_data",
    "escape",
    "parse_callback",
    "plan_messages",
    "question_keyboard",
    "question_tag",
    "selection_in",
    "utf16_len",
]

TEXT_LIMIT: Final = 4096  # characters of a message after entity parsing
CALLBACK_DATA_LIMIT: Final = 64  # bytes
CHECKED: Final = "✅ "  # marks a toggled choice of a question with several answers
LONG_LABEL_WIDTH: Final = 40  # wider labels are also listed, numbered, in the message text

Translate = Callable[..., str]  # (catalog key, **placeholders) -> text in the person's language
DataForValue = Callable[[str], str]  # a menu choice's value -> its callback data

_TAG: Final = re.compile(r"^[0-9a-f]{10}$")
_INDEX: Final = re.compile(r"^\d{1,3}$")


def utf16_len(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def escape(text: str) -> str:
    """Plain text made safe for parse_mode HTML."""
    return html.escape(text, quote=False)


# ---------------------------------------------------------------------------- callback data


def question_tag(question: Question) -> str:
    """A short fingerprint of a question and its choices: a button of another question, or of
    the same question with other choices (an edited summary), does not match."""
    material = "\x1f".join((question.id, *(c.value for c in question.choices)))
    return hashlib.blake2b(material.encode("utf-8"), digest_size=5).hexdigest()


def command_data(value: str) -> str | None:
    """The callback data of a menu command, or None when it would not fit in 64 bytes."""
    data = f"c:{value}"
    if value.startswith("/") and len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
        return data
    return None


PressedKind = Literal["q", "t", "d", "n", "c", "v"]


@dataclass(frozen=True, slots=True)
class Pressed:
    """What a pressed button's data says; see the module docstring."""

    kind: PressedKind
    tag: str = ""  # q, t, d, n: the question's tag
    index: int = -1  # q, t: the choice's position
    value: str = ""  # c: the command; v: the token


def parse_callback(data: str) -> Pressed | None:
    """Read callback data; None for anything this channel never sends (old or forged)."""
    kind, _, rest = data.partition(":")
    if kind == "c" and rest.startswith("/") and len(rest) <= CALLBACK_DATA_LIMIT:
        return Pressed("c", value=rest)
    if kind == "v" and re.fullmatch(r"[A-Za-z0-9_-]{1,32}", rest):
        return Pressed("v", value=rest)
    if kind in ("q", "t"):
        tag, _, index = rest.partition(":")
        if _TAG.match(tag) and _INDEX.match(index):
            return Pressed("q" if kind == "q" else "t", tag=tag, index=int(index))
    if kind in ("d", "n") and _TAG.match(rest):
        return Pressed("d" if kind == "d" else "n", tag=rest)
    return None


# ---------------------------------------------------------------------------- keyboards


def _numbered(question: Question) -> bool:
    """Long labels are cut short on buttons: the text lists them in full, numbered."""
    return any(_width(c.label) > LONG_LABEL_WIDTH for c in question.choices)


def _rows(buttons: Sequence[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    widest = max((_width(b.text) for b in buttons), default=0)
    per_row = 3 if widest <= 10 else 2 if widest <= 18 else 1
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def question_keyboard(
    question: Question, t: Translate, selected: Iterable[int] = ()
) -> InlineKeyboardMarkup | None:
    """The buttons of a question: one per choice; with several answers, toggles and Done/None."""
    if not question.choices:
        return None
    tag = question_tag(question)
    numbered = _numbered(question)
    chosen = set(selected)
    buttons = []
    for i, choice in enumerate(question.choices):
        label = f"{i + 1}. {choice.label}" if numbered else choice.label
        if question.multi:
            mark = CHECKED if i in chosen else ""
            buttons.append(InlineKeyboardButton(mark + label, callback_data=f"t:{tag}:{i}"))
        else:
            buttons.append(InlineKeyboardButton(label, callback_data=f"q:{tag}:{i}"))
    rows = _rows(buttons)
    if question.multi:
        rows.append(
            [
                InlineKeyboardButton(t("tg.multi_done"), callback_data=f"d:{tag}"),
                InlineKeyboardButton(t("tg.multi_none"), callback_data=f"n:{tag}"),
            ]
        )
    return InlineKeyboardMarkup(rows)


def selection_in(markup: InlineKeyboardMarkup | None, tag: str) -> frozenset[int]:
    """The toggled choices a question keyboard shows (after a restart, the keyboard is the record)."""
    if markup is None:
        return frozenset()
    chosen = set()
    for row in markup.inline_keyboard:
        for button in row:
            pressed = parse_callback(str(button.callback_data or ""))
            if pressed and pressed.kind == "t" and pressed.tag == tag and button.text.startswith(CHECKED):
                chosen.add(pressed.index)
    return frozenset(chosen)


def _menu_keyboard(menu: Menu, data_for: DataForValue) -> InlineKeyboardMarkup | None:
    buttons = [InlineKeyboardButton(c.label, callback_data=data_for(c.value)) for c in menu.choices]
    return InlineKeyboardMarkup(_rows(buttons)) if buttons else None


# ---------------------------------------------------------------------------- messages


@dataclass(frozen=True, slots=True)
class Planned:
    """One sendMessage: its HTML, the same as plain text (the fallback), its keyboard; or,
    with `media`, one sendPhoto or sendDocument (`plain` is then its alt text or caption)."""

    html: str
    plain: str
    markup: InlineKeyboardMarkup | None = None
    media: Image | Document | None = None


@dataclass(frozen=True, slots=True)
class _Paragraph:
    text: str
    bold_first_line: bool = False


def _hard_split(line: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    length = 0
    for ch in line:
        size = utf16_len(ch)
        if current and length + size > limit:
            pieces.append("".join(current))
            current, length = [], 0
        current.append(ch)
        length += size
    pieces.append("".join(current))
    return pieces


def _fit(paragraph: _Paragraph, limit: int) -> list[_Paragraph]:
    """A paragraph longer than a message, cut at line ends (and, for a huge line, anywhere)."""
    if utf16_len(paragraph.text) <= limit:
        return [paragraph]
    pieces: list[str] = []
    lines: list[str] = []
    length = 0
    for line in paragraph.text.split("\n"):
        for part in _hard_split(line, limit):
            size = utf16_len(part) + (1 if lines else 0)
            if lines and length + size > limit:
                pieces.append("\n".join(lines))
                lines, length, size = [], 0, utf16_len(part)
            lines.append(part)
            length += size
    pieces.append("\n".join(lines))
    return [_Paragraph(p, paragraph.bold_first_line and i == 0) for i, p in enumerate(pieces)]


def _pack(paragraphs: Sequence[_Paragraph], limit: int) -> list[list[_Paragraph]]:
    """Paragraphs into as few messages as fit, each under `limit`, cut only between paragraphs."""
    messages: list[list[_Paragraph]] = []
    current: list[_Paragraph] = []
    length = 0
    for whole in paragraphs:
        for paragraph in _fit(whole, limit):
            size = utf16_len(paragraph.text) + (2 if current else 0)
            if current and length + size > limit:
                messages.append(current)
                current, length, size = [], 0, utf16_len(paragraph.text)
            current.append(paragraph)
            length += size
    if current:
        messages.append(current)
    return messages


def _html(paragraph: _Paragraph) -> str:
    if not paragraph.bold_first_line:
        return escape(paragraph.text)
    first, newline, rest = paragraph.text.partition("\n")
    bold = f"<b>{escape(first)}</b>" if first.strip() else escape(first)
    return bold + newline + escape(rest)


class _Planner:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.planned: list[Planned] = []
        self.paragraphs: list[_Paragraph] = []

    def add(self, text: str, bold_first_line: bool = False) -> None:
        if text.strip():
            self.paragraphs.append(_Paragraph(text, bold_first_line))

    def flush(self, markup: InlineKeyboardMarkup | None = None) -> None:
        messages = _pack(self.paragraphs, self.limit)
        self.paragraphs = []
        if not messages and markup is not None:
            messages = [[_Paragraph("…")]]  # a keyboard needs a message to hang from
        for n, message in enumerate(messages):
            last = n == len(messages) - 1
            self.planned.append(
                Planned(
                    "\n\n".join(_html(p) for p in message),
                    "\n\n".join(p.text for p in message),
                    markup if last else None,
                )
            )


def plan_messages(
    replies: Iterable[Outbound],
    t: Translate,
    data_for: DataForValue,
    limit: int = TEXT_LIMIT,
    t_in: Callable[[str], Translate] | None = None,
) -> list[Planned]:
    """The Telegram messages for one turn's replies, in order.

    Texts run together (a blank line apart) into the next question or menu, whose buttons
    end that message; a picture or a document goes alone; a result is a message of its own
    whose parts start with a bold line. Nothing is longer than
    `limit` UTF-16 units: messages are cut between paragraphs, a paragraph longer than a
    message between lines. A question's own words (numbered options, Done/None) are in
    the conversation's language (`t`), or in the question's when it has one (`t_in`)."""
    planner = _Planner(limit)
    for reply in replies:
        if isinstance(reply, Image | Document):
            planner.flush()
            planner.planned.append(Planned("", reply.text, media=reply))
        elif isinstance(reply, Result):
            planner.flush()  # a result is a message of its own: what a person forwards
            for part in reply.parts:
                planner.add(part, bold_first_line=True)
            planner.flush()
        elif isinstance(reply, Question):
            tq = t_in(reply.lang) if reply.lang and t_in is not None else t
            planner.add(reply.text)
            if _numbered(reply):
                options = [tq("tg.option", n=n, label=c.label) for n, c in enumerate(reply.choices, 1)]
                planner.add("\n".join(options))
            markup = question_keyboard(reply, tq)
            if markup is not None:
                planner.flush(markup)
        elif isinstance(reply, Menu):
            planner.add(reply.text)
            planner.flush(_menu_keyboard(reply, data_for))
        else:
            planner.add(reply.text)
    planner.flush()
    return planner.planned
