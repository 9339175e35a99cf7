"""Composing a broadcast in a chat, one step at a time: text → image → topics → review → when.

Pure: given the draft and what the staff member said, return the new draft and what to do
next. Fetching an image, rendering the preview and queueing the broadcast are the caller's.
Menu buttons send ``/broadcast <verb>`` (``noimage``, ``topic 政策``, ``send``, ``schedule``,
``edit``, ``cancel``); typed answers work too (``跳过``, ``政策 活动``, ``2026-12-01 09:00``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dialogs.commands import parse_command
from dialogs.parsing import is_skip, menu_number

__all__ = [
    "ALL_TOPICS",
    "Action",
    "Ask",
    "Cancelled",
    "Draft",
    "Fetch",
    "Problem",
    "Review",
    "Schedule",
    "Send",
    "advance",
    "image_fetched",
    "parse_send_time",
    "parse_topics",
]

Step = Literal["text", "image", "topics", "review", "when"]
ALL_TOPICS = ("全部", "所有", "全部主题", "all", "*")
NO_IMAGE = ("不要", "不用", "无", "没有", "不配图", "无图", "no", "none", "no image")
MIN_LEAD = timedelta(minutes=1)  # a scheduled time must be at least this far ahead


class Draft(BaseModel):
    """A broadcast being composed (kept as JSON by the caller, keyed by the conversation)."""

    model_config = ConfigDict(extra="forbid")

    step: Step = "text"
    source: str = ""
    image_url: str | None = None
    topics: list[str] = Field(default_factory=list)  # empty: every topic


@dataclass(frozen=True, slots=True)
class Ask:
    """Ask for what ``step`` needs."""

    step: Step


@dataclass(frozen=True, slots=True)
class Problem:
    """Refuse what was said (catalog ``key`` with ``values``); the draft stays where it was."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fetch:
    """Fetch the image at ``url``, then call :func:`image_fetched`."""

    url: str


@dataclass(frozen=True, slots=True)
class Review:
    """Show the preview and the review menu."""


@dataclass(frozen=True, slots=True)
class Send:
    """Queue the broadcast now."""


@dataclass(frozen=True, slots=True)
class Schedule:
    at: datetime


@dataclass(frozen=True, slots=True)
class Cancelled:
    pass


Action = Ask | Problem | Fetch | Review | Send | Schedule | Cancelled

_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_TOPIC_SEPARATORS = re.compile(r"[\s,，、;；/]+")


def _verb(said: str) -> tuple[str | None, str]:
    """('send', '') for "/broadcast send", ('cancel', '') for "/cancel", (None, said) for text."""
    command = parse_command(said)
    if command is not None and command.name == "/cancel":
        return "cancel", ""
    if command is None or command.name != "/broadcast":
        return None, said.strip()
    verb, _, arg = command.args.partition(" ")
    return verb.lower(), arg.strip()


def advance(
    draft: Draft,
    said: str,
    *,
    known_topics: Sequence[str],
    now: datetime,
    check_text: Callable[[str], Problem | None],
    topic_names: Mapping[str, str] | None = None,
) -> tuple[Draft | None, Action]:
    """Return the next draft (None once it is finished or cancelled) and the action to take.

    ``now`` is an aware datetime in the association's time zone; ``check_text`` refuses a
    text that cannot be sent (too long for a platform, empty once parsed)."""
    verb, arg = _verb(said)
    if verb == "cancel":
        return None, Cancelled()
    step = draft.step
    if step == "text":
        if verb is not None or not arg:
            return draft, Problem("broadcast.compose.need_text")
        problem = check_text(arg)
        if problem is not None:
            return draft, problem
        return draft.model_copy(update={"source": arg, "step": "image", "image_url": None}), Ask("image")
    if step == "image":
        if verb == "noimage" or (verb is None and (arg.lower() in NO_IMAGE or is_skip(arg))):
            return draft.model_copy(update={"step": "topics", "image_url": None}), Ask("topics")
        if verb is None and _URL.match(arg):
            return draft.model_copy(update={"image_url": arg}), Fetch(arg)
        return draft, Problem("broadcast.compose.need_image")
    if step == "topics":
        text = arg if verb in (None, "topic") else ""
        topics, unknown = parse_topics(text, known_topics, topic_names)
        if unknown or topics is None:
            return draft, Problem(
                "broadcast.compose.bad_topics",
                {"unknown": tuple(unknown) or (text or "-",), "known": tuple(known_topics)},
            )
        return draft.model_copy(update={"topics": topics, "step": "review"}), Review()
    if step == "review":
        if verb == "send":
            return None, Send()
        if verb == "schedule":
            return draft.model_copy(update={"step": "when"}), Ask("when")
        if verb == "edit":
            return Draft(), Ask("text")
        return draft, Problem("broadcast.compose.choose")
    # step == "when"
    if verb == "send":
        return None, Send()
    at = parse_send_time(arg, now) if verb is None else None
    if at is None:
        return draft, Problem("broadcast.compose.bad_time")
    if at < now + MIN_LEAD:
        return draft, Problem("broadcast.compose.past", {"at": at.strftime("%Y-%m-%d %H:%M")})
    return None, Schedule(at)


def image_fetched(draft: Draft, problem: Problem | None) -> tuple[Draft, Action]:
    """The draft after the image was fetched (``problem`` None) or refused."""
    if problem is not None:
        return draft.model_copy(update={"image_url": None}), problem
    return draft.model_copy(update={"step": "topics"}), Ask("topics")


def parse_topics(
    text: str, known: Sequence[str], names: Mapping[str, str] | None = None
) -> tuple[list[str] | None, list[str]]:
    """(topics, unknown names) from "政策 活动", "1、3" (positions in ``known``) or "全部" ([]).

    A word is a topic of ``known`` by itself or by one of its ``names`` (folded: a label in
    any language → the topic). Topics come back in the order of ``known``, without repeats;
    (None, []) for empty text."""
    for name in sorted((n for n in names or {} if " " in n), key=len, reverse=True):
        text = re.sub(re.escape(name), f" {(names or {})[name]} ", text, flags=re.IGNORECASE)  # "Calls for …"
    words = [w for w in _TOPIC_SEPARATORS.split(text.strip()) if w]
    if not words:
        return None, []
    if any(w.lower() in ALL_TOPICS for w in words):
        return [], []
    chosen: set[str] = set()
    unknown: list[str] = []
    for word in words:
        number = menu_number(word)  # not isdecimal + int: int() refuses 5,000 digits
        if number is not None and 1 <= number <= len(known):
            chosen.add(known[number - 1])
        elif word in known:
            chosen.add(word)
        elif names is not None and names.get(word.casefold()) in known:
            chosen.add(names[word.casefold()])
        else:
            unknown.append(word)
    return [t for t in known if t in chosen], unknown


_FULL_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T]*(\d{1,2}):(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})[ T]*(\d{1,2}):(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_RELATIVE_DAYS = {"今天": 0, "today": 0, "明天": 1, "tomorrow": 1, "后天": 2}


def parse_send_time(text: str, now: datetime) -> datetime | None:
    """The moment ``text`` names, in ``now``'s time zone, or None when it names none.

    Accepts "2026-12-01 09:00" (also 2026/12/01, 2026年12月1日 9:00, 9：00), "12-01 09:00"
    (this year), "09:00" (today), "明天 9:00" / "tomorrow 9:00"."""
    cleaned = text.strip().lower().replace("：", ":").replace("/", "-").replace(".", "-")
    cleaned = re.sub(r"(\d)\s*年\s*(\d)", r"\1-\2", cleaned)
    cleaned = re.sub(r"(\d)\s*月\s*(\d)", r"\1-\2", cleaned)
    cleaned = re.sub(r"(\d)\s*[日号]", r"\1 ", cleaned).strip()
    days = 0
    for word, offset in _RELATIVE_DAYS.items():
        if cleaned.startswith(word):
            days, cleaned = offset, cleaned[len(word) :].strip()
            break
    try:
        if match := _FULL_DATE.match(cleaned):
            year, month, day, hour, minute = (int(g) for g in match.groups())
            return now.replace(
                year=year, month=month, day=day, hour=hour, minute=minute, second=0, microsecond=0
            )
        if match := _MONTH_DAY.match(cleaned):
            month, day, hour, minute = (int(g) for g in match.groups())
            return now.replace(month=month, day=day, hour=hour, minute=minute, second=0, microsecond=0)
        if match := _TIME.match(cleaned):
            hour, minute = (int(g) for g in match.groups())
            base = now + timedelta(days=days)
            return base.replace(hour=hour, minute=minute, second=0, microsecond=0)
    except ValueError:  # 2026-02-30, 25:00
        return None
    return None
