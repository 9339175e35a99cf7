"""`zjtx chat`: the assistant in a terminal, and (`--jsonl`) for programs and tests.

With `--jsonl` every line written is one JSON object (docs/interfaces.md#command-line),
flushed at once; every line read is one message. At end of input the state is already
saved: the next run with the same --user and --db asks the pending question again.

Pictures and documents (the score card PNG, the PDF report) are written to files in the
files folder (``--files``; by default ``<db name>-files/`` beside the database) and their
path is printed; with `--jsonl` as ``{"type": "image", "path": …, "alt": …}`` and
``{"type": "document", "path": …, "caption": …}`` lines, in the order they come.

The terminal is a channel like the others for reminders too: when a run starts, the
reminders due for its person by then (a questionnaire left for a day, a yearly
reassessment) are shown first, each once, through :meth:`Console.push`.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot import media
from bot.reminders.pushing import Dropped, Pushed, Sent
from bot.service import Assistant
from bot.store import SessionKey
from dialogs.messages import Document, Image, Inbound, Menu, Outbound, Question, Result, Text
from dialogs.picking import option_numbers
from dialogs.results import SCREEN_COLUMNS, pack

if TYPE_CHECKING:
    from bot.reminders.scheduler import ReminderScheduler

CHANNEL = "console"


def files_beside(db: str) -> Path:
    """Where `zjtx chat` writes pictures and documents by default: beside the database."""
    if db == ":memory:":
        return Path(tempfile.gettempdir()) / "zjtx-files"
    path = Path(db)
    return path.with_name(f"{path.stem}-files")


def to_json(message: Outbound, path: Path | None = None) -> dict[str, Any]:
    """One outbound message as a docs/interfaces.md#command-line JSON line (a picture or a
    document: the file it was written to)."""
    if isinstance(message, Image):
        return {"type": "image", "path": str(path), "alt": message.alt}
    if isinstance(message, Document):
        return {"type": "document", "path": str(path), "caption": message.caption}
    if isinstance(message, Question):
        line: dict[str, Any] = {"type": "question", "id": message.id, "text": message.text}
        if message.choices:
            line["choices"] = [{"value": c.value, "label": c.label} for c in message.choices]
            line["multi"] = message.multi
        if message.progress:
            line["progress"] = list(message.progress)
        return line
    if isinstance(message, Result):
        return {"type": "result", "assessment": message.assessment, "text": message.text}
    if isinstance(message, Menu):
        return {
            "type": "message",
            "text": message.text,
            "choices": [{"value": c.value, "label": c.label} for c in message.choices],
        }
    return {"type": "message", "text": message.text}


PACKED_MENU = 6  # a menu of more choices than this shares lines at a terminal


def to_text(message: Outbound) -> str:
    """One outbound message for a person at a terminal: choices numbered (the number is what
    typing it picks), unless the text lists them itself."""
    if isinstance(message, Question) and message.choices_in_text:
        return message.text
    if isinstance(message, Question | Menu):
        numbers = option_numbers(message)
        items = [f"{n}. {c.label}" for n, c in zip(numbers, message.choices, strict=True)]
        if isinstance(message, Menu) and len(items) > PACKED_MENU:
            # a long menu (the one after a result) shares lines, as buttons would on a phone
            return "\n".join(
                [message.text, *("  " + line for line in pack(items, "   ", SCREEN_COLUMNS - 2))]
            )
        return "\n".join([message.text, *(f"  {item}" for item in items)])
    if isinstance(message, Result):
        return "\n\n".join(message.parts)
    assert isinstance(message, Text | Image | Document)
    return message.text


def _file_prefix(user_id: str) -> str:
    """The start of the names of a person's files: "<user>-zjtx-score-2026-11-23.png"."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", user_id)[:40] or "user"


# A file `save` wrote: the person's prefix, then the card's or the report's name of the day
# (dialogs/report.py), with "-2", "-3"… for a second one that day.
_SAVED = r"-zjtx-(?:score|report)-\d{4}-\d{2}-\d{2}(?:-\d+)?\.(?:png|pdf)"


class Console:
    def __init__(
        self, assistant: Assistant, user: str, out: TextIO, jsonl: bool, files: Path | None = None
    ) -> None:
        self.assistant = assistant
        self.key = SessionKey(CHANNEL, user, user)
        self.out = out
        self.jsonl = jsonl
        self.files = files  # where pictures and documents go; a temporary folder if None
        self.reminders: ReminderScheduler | None = None  # set by `zjtx chat`: due reminders shown at start

    def forget(self, channel: str, user_id: str) -> int:
        """/forget: delete the pictures and reports written for ``user_id`` in the files
        folder (the database rows go with the store's forget); how many were deleted."""
        if channel != CHANNEL or self.files is None or not self.files.is_dir():
            return 0
        mine = re.compile(re.escape(_file_prefix(user_id)) + _SAVED)
        count = 0
        for path in self.files.iterdir():
            if mine.fullmatch(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                count += 1
        return count

    async def push(self, user_id: str, replies: Sequence[Outbound]) -> Pushed:
        """Show a reminder to the person at this terminal (the scheduler of `zjtx chat` asks
        for theirs only)."""
        if user_id != self.key.user_id:
            return Dropped("another person's terminal")
        self.emit(replies)
        return Sent()

    def save(self, message: Image | Document) -> Path:
        """Write a picture or document to the files folder; returns its path (never overwrites)."""
        if self.files is None:
            self.files = Path(tempfile.mkdtemp(prefix="zjtx-files-"))
        self.files.mkdir(parents=True, exist_ok=True)
        user = _file_prefix(self.key.user_id)
        stem, dot, ext = message.filename.rpartition(".")
        data = media.render(message)
        for n in range(1, 10_000):
            path = self.files / f"{user}-{stem}{'' if n == 1 else f'-{n}'}{dot}{ext}"
            try:
                with path.open("xb") as fh:  # exclusive: a second result of the day gets -2
                    fh.write(data)
            except FileExistsError:
                continue
            return path.resolve()
        raise FileExistsError(f"{self.files}: too many files named {message.filename}")

    def emit(self, messages: Iterable[Outbound]) -> None:
        messages = list(messages)
        for message in messages:
            if isinstance(message, Image | Document):
                path = self.save(message)
                if self.jsonl:
                    self.out.write(json.dumps(to_json(message, path), ensure_ascii=False) + "\n")
                else:
                    key = "console.image" if isinstance(message, Image) else "console.document"
                    lang = message.card.lang if isinstance(message, Image) else message.report.lang
                    self.out.write(self.assistant.t(lang, key, path=path) + "\n\n")
                self.out.flush()
                continue
            if self.jsonl:
                self.out.write(json.dumps(to_json(message), ensure_ascii=False) + "\n")
            else:
                self.out.write(to_text(message) + "\n\n")
            self.out.flush()

    def start(self, lang: str | None) -> None:
        if self.reminders is not None:  # before anything the person says reschedules them
            self.reminders.recover()
            asyncio.run(self.reminders.send_due())
        if lang:
            self.assistant.handle_now(self.key, Inbound(text=f"/lang {lang}"))
        pending = self.assistant.resume(self.key)
        if pending:
            self.emit(pending)
        elif not self.jsonl:
            self.emit(self.assistant.handle_now(self.key, Inbound(text="/start")))

    def send(self, line: str) -> None:
        text = line.rstrip("\r\n")
        # choices are listed numbered: "2" picks the second line of the open menu, kept in the session
        self.emit(self.assistant.handle_now(self.key, Inbound(text=text, numbered=True)))

    def run(self, lines: Iterable[str], lang: str | None = None) -> int:
        self.start(lang)
        for line in lines:
            self.send(line)
        return 0
