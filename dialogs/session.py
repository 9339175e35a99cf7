"""A conversation's state: pure data, serialised to JSON by the store."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rules.profile import MONEY_FIELDS, PERCENT_FIELDS

SESSION_VERSION = 1
DECIMAL_FIELDS = frozenset((*MONEY_FIELDS, *PERCENT_FIELDS, "niche_years"))

Mode = Literal["idle", "assess", "lead"]


def profile_data(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers as a session or a finished assessment keeps them (Decimals as exact strings)
    made a profile mapping again, Decimals restored. Raises ArithmeticError for a figure
    that is not a number."""
    return {k: Decimal(v) if k in DECIMAL_FIELDS and isinstance(v, str) else v for k, v in answers.items()}


class Reading(BaseModel):
    """A figure given as a range or a bound ("五六千万", "不到两千万"), kept beside the answer
    read from it (its cautious end) so that the summary and the report can show both.
    `low` and `high` are Decimal strings in the field's unit."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["range", "at_least", "below"]
    low: str | None = None
    high: str | None = None


class Doubt(BaseModel):
    """A figure asked back before it is taken ("您填的是 1200 亿元吗？"): the value as
    read and the likelier reading, both Decimal strings in the field's unit."""

    model_config = ConfigDict(extra="forbid")

    field: str
    value: str
    alternative: str | None = None  # None: no other reading, only "keep" or "change"
    reading: Reading | None = None  # the range or bound `value` was read from
    # years counted from a calendar year with no month, on the edge of the condition: the
    # month of that year is asked for ("2024 年几月开始的？"); `value` is the cautious reading
    start_year: int | None = None


class MenuNote(BaseModel):
    """The menu shown last, kept so that what a person types next picks from it after a
    restart too: a number (in a channel that lists choices numbered) picks the command of
    that line; in a yes/no menu a plain yes or no (好的, 算了) picks the first or second."""

    model_config = ConfigDict(extra="forbid")

    commands: list[str]
    yes_no: bool = False


RECENT_KEPT = 8  # messages of the conversation kept for a hand-off (four exchanges)
RECENT_CHARS = 300


class Said(BaseModel):
    """One message of the recent conversation: who said it (the person or the assistant)."""

    model_config = ConfigDict(extra="forbid")

    who: Literal["person", "assistant"]
    text: str


class Session(BaseModel):
    """Where one person is in the dialog. Answers are profile values (docs/interfaces.md#profile), with
    Decimals kept as strings so they survive JSON exactly."""

    model_config = ConfigDict(extra="forbid")

    version: int = SESSION_VERSION
    lang: str = "zh"
    lang_chosen: bool = False
    mode: Mode = "idle"
    answers: dict[str, Any] = Field(default_factory=dict)
    skipped: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)  # fields in the order they were settled
    pending: str | None = None  # the question awaiting an answer
    editing: bool = False  # the pending field was reopened by /back or from the summary
    misses: int = 0  # consecutive questions the FAQ could not answer
    lead: dict[str, str] = Field(default_factory=dict)
    # Added without a version change: a stored session without them reads with these defaults.
    doubt: Doubt | None = None  # the figure asked back while `pending` is "verify_<field>"
    attempt: int = 0  # questionnaires started, numbering this person's statistics events
    reminders_off: bool = False  # /stop_reminders: no reminder is scheduled until an opt-in
    readings: dict[str, Reading] = Field(default_factory=dict)  # answers given as a range or bound
    # the last messages of the conversation, so staff taking a hand-off need not ask again
    recent: list[Said] = Field(default_factory=list)
    menu: MenuNote | None = None  # the open menu (None once a question or nothing is open)

    def remember(self, who: Literal["person", "assistant"], text: str) -> None:
        """Keep one message of the conversation (the last RECENT_KEPT, each clipped)."""
        text = " ".join(text.split())
        if not text:
            return
        if len(text) > RECENT_CHARS:
            text = text[: RECENT_CHARS - 1] + "…"
        self.recent.append(Said(who=who, text=text))
        del self.recent[:-RECENT_KEPT]

    def settled(self, field: str) -> bool:
        return field in self.answers or field in self.skipped

    def set_answer(self, field: str, value: Any, reading: Reading | None = None) -> None:
        self.answers[field] = str(value) if isinstance(value, Decimal) else value
        if reading is None:
            self.readings.pop(field, None)
        else:
            self.readings[field] = reading
        if field in self.skipped:
            self.skipped.remove(field)
        self._mark(field)

    def skip(self, field: str) -> None:
        self.answers.pop(field, None)
        self.readings.pop(field, None)
        if field not in self.skipped:
            self.skipped.append(field)
        self._mark(field)

    def forget(self, field: str) -> None:
        self.answers.pop(field, None)
        self.readings.pop(field, None)
        if field in self.skipped:
            self.skipped.remove(field)
        if field in self.history:
            self.history.remove(field)

    def _mark(self, field: str) -> None:
        if field in self.history:
            self.history.remove(field)
        self.history.append(field)

    def profile_data(self) -> dict[str, Any]:
        """The answers as a profile mapping (Decimals restored)."""
        return profile_data(self.answers)

    def reset_assessment(self) -> None:
        self.mode = "idle"
        self.answers.clear()
        self.readings.clear()
        self.skipped.clear()
        self.history.clear()
        self.pending = None
        self.editing = False
        self.doubt = None
