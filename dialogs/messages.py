"""The neutral vocabulary between channels and the dialog engine.

A channel turns a platform update into an :class:`Inbound`; the engine answers with
:data:`Outbound` messages, which the channel turns into platform calls. Texts are plain
(no markup): each channel escapes and formats them its own way.

Pictures and documents are intents, not bytes: an :class:`Image` carries a
:class:`ScoreCard` and a :class:`Document` a :class:`ReportDoc`, every word already in the
person's language. The bot layer draws them (``bot.media.render``) when a channel sends
them, so the dialogs stay free of fonts, Pillow and files. A channel that cannot send
pictures or files yet shows their ``text`` (the alt text or caption) instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Inbound:
    """What a person sent: typed text (a command starts with "/"), or a chosen value."""

    text: str = ""
    choice: str | None = None  # the `value` of a choice button the person pressed
    lang_hint: str | None = None  # the platform's idea of the person's language
    staff: bool = False  # set by the caller: the person is association staff (/help lists theirs)
    name: str | None = None  # how the platform names the sender ("王小明 @wxm"), for the staff desk
    reply_to: str | None = None  # the platform id of the message this one replies to, if any
    thread: str | None = None  # the forum topic (Telegram message_thread_id) it was written in
    # set by the caller: the reminders this conversation can be sent ("paused", "reassess");
    # none in a group, no yearly one where a platform lets the assistant write only for a while
    remindable: frozenset[str] = frozenset({"paused", "reassess"})
    # set by a channel that lists choices numbered (the terminal, WeCom, WeChat): a number
    # typed then picks that line of the open menu (:mod:`dialogs.picking`)
    numbered: bool = False

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
    """A question awaiting an answer; `id` is a profile field or a dialog step.

    ``choices_in_text``: the text already lists the choices, numbered its own way (the
    summary: "reply 3 to change the third answer"), so a channel shows them as buttons at
    most and never lists them again."""

    id: str
    text: str
    choices: tuple[Choice, ...] = ()
    multi: bool = False
    progress: tuple[int, int] | None = None  # (this question's number, how many in all)
    choices_in_text: bool = False
    lang: str | None = None  # set when the reply's language is not the conversation's


@dataclass(frozen=True, slots=True)
class Menu:
    """A short text with buttons that are not an answer to a question (main menu, suggestions)."""

    text: str
    choices: tuple[Choice, ...]
    lang: str | None = None  # set when the reply's language is not the conversation's
    # a confirmation: the first choice is "yes", the second "no", and typing yes or no
    # (好的, 算了) picks them as the buttons do
    yes_no: bool = False


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


# ------------------------------------------------------------------ pictures and documents


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a chart: `value` points out of `max`."""

    label: str
    value: int
    max: int


@dataclass(frozen=True, slots=True)
class Check:
    """One condition: met or not, and what is missing (`note`) when it is not."""

    label: str
    met: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class ScoreCard:
    """What the score card picture shows. `score` is None for a service institution, which
    is not scored; then `groups` and `conditions` are empty."""

    lang: str
    title: str
    subtitle: str
    score: int | None
    score_max: int
    pass_mark: int
    pass_caption: str  # "及格线 70 分"
    verdict: str
    verdict_ok: bool | None
    groups_title: str
    groups: tuple[Bar, ...]
    conditions_title: str
    conditions: tuple[Check, ...]
    tier_title: str
    tier: str
    next_tier: str
    footer: tuple[str, ...]  # the date and rules version, the association, a disclaimer

    def texts(self) -> tuple[str, ...]:
        """Every string the card draws, besides the score's digits."""
        return (
            self.title,
            self.subtitle,
            self.pass_caption,
            self.verdict,
            self.groups_title,
            *(b.label for b in self.groups),
            self.conditions_title,
            *(c.label for c in self.conditions),
            *(c.note for c in self.conditions if c.note),
            self.tier_title,
            self.tier,
            self.next_tier,
            *self.footer,
        )


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of cells under a header; `widths` are the columns' relative widths. A row's
    `marks` entry ("ok", "fail" or "") lets a renderer colour it."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[int, ...]
    marks: tuple[str, ...] = ()


Block = str | Table  # a paragraph (lines joined by "\n") or a table


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]
    source: str = ""  # the seed document and clause this part comes from


@dataclass(frozen=True, slots=True)
class ReportDoc:
    """A report to keep (a PDF): headed sections of paragraphs and tables."""

    lang: str
    title: str
    subtitle: str
    meta: tuple[str, ...]  # date, rules version
    headline: str
    sections: tuple[Section, ...]
    footer: str

    def texts(self) -> tuple[str, ...]:
        """Every string the report prints."""
        out = [self.title, self.subtitle, *self.meta, self.headline, self.footer]
        for section in self.sections:
            out += [section.heading, section.source]
            for block in section.blocks:
                if isinstance(block, Table):
                    out += [*block.header, *(cell for row in block.rows for cell in row)]
                else:
                    out.append(block)
        return tuple(t for t in out if t)


@dataclass(frozen=True, slots=True)
class Image:
    """A picture (PNG) to show: Telegram sendPhoto with `alt` as the caption, WeCom an
    uploaded image; `filename` names the file. The bot layer draws `card` on demand."""

    card: ScoreCard
    alt: str
    filename: str
    mime: ClassVar[str] = "image/png"

    @property
    def text(self) -> str:
        """What a channel without pictures shows instead."""
        return self.alt

    @property
    def choices(self) -> tuple[()]:
        """No buttons (for channels that treat every message alike)."""
        return ()


@dataclass(frozen=True, slots=True)
class Document:
    """A file (PDF) to send: Telegram sendDocument with `caption`, WeCom a file message.
    The bot layer writes `report` on demand."""

    report: ReportDoc
    caption: str
    filename: str
    mime: ClassVar[str] = "application/pdf"

    @property
    def text(self) -> str:
        """What a channel without files shows instead."""
        return self.caption

    @property
    def choices(self) -> tuple[()]:
        """No buttons (for channels that treat every message alike)."""
        return ()


Media = Image | Document
Outbound = Text | Question | Menu | Result | Image | Document
