"""`zjtx chat`: the assistant in a terminal, and (`--jsonl`) for programs and tests.

With `--jsonl` every line written is one JSON object (contract §3), flushed at once; every
line read is one message. At end of input the state is already saved: the next run with
the same --user and --db asks the pending question again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from bot.service import Assistant
from bot.store import SessionKey
from dialogs.messages import Inbound, Menu, Outbound, Question, Result, Text
from dialogs.parsing import menu_number

CHANNEL = "console"


def to_json(message: Outbound) -> dict[str, Any]:
    """One outbound message as a contract §3 JSON line."""
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


def to_text(message: Outbound) -> str:
    """One outbound message for a person at a terminal: choices numbered."""
    if isinstance(message, Question) and message.id == "confirm":
        return message.text  # the summary numbers its own lines
    if isinstance(message, Question | Menu):
        lines = [message.text]
        numeric = all(c.value.isdigit() for c in message.choices)
        # where the values are numbers (a level 3/2/1), show the value: that is what typing it means
        lines += [f"  {c.value if numeric else i}. {c.label}" for i, c in enumerate(message.choices, start=1)]
        return "\n".join(lines)
    if isinstance(message, Result):
        return "\n\n".join(message.parts)
    assert isinstance(message, Text)
    return message.text


class Console:
    def __init__(self, assistant: Assistant, user: str, out: TextIO, jsonl: bool) -> None:
        self.assistant = assistant
        self.key = SessionKey(CHANNEL, user, user)
        self.out = out
        self.jsonl = jsonl
        self._menu: tuple[str, ...] = ()  # values of the last menu, so "2" picks its second item

    def emit(self, messages: Iterable[Outbound]) -> None:
        for message in messages:
            if isinstance(message, Menu):
                self._menu = tuple(c.value for c in message.choices)
            elif isinstance(message, Question):
                self._menu = ()
            if self.jsonl:
                self.out.write(json.dumps(to_json(message), ensure_ascii=False) + "\n")
            else:
                self.out.write(to_text(message) + "\n\n")
            self.out.flush()

    def start(self, lang: str | None) -> None:
        if lang:
            self.assistant.handle_now(self.key, Inbound(text=f"/lang {lang}"))
        pending = self.assistant.resume(self.key)
        if pending:
            self.emit(pending)
        elif not self.jsonl:
            self.emit(self.assistant.handle_now(self.key, Inbound(text="/start")))

    def send(self, line: str) -> None:
        text = line.rstrip("\r\n")
        number = menu_number(text)
        if self._menu and number is not None and 1 <= number <= len(self._menu):
            inbound = Inbound(choice=self._menu[number - 1])
        else:
            inbound = Inbound(text=text)
        self.emit(self.assistant.handle_now(self.key, inbound))

    def run(self, lines: Iterable[str], lang: str | None = None) -> int:
        self.start(lang)
        for line in lines:
            self.send(line)
        return 0
