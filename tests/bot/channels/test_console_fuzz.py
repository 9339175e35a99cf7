"""Arbitrary lines through the terminal channel and the Assistant, as `zjtx chat --jsonl`
reads them: nothing crashes, every line written is JSON in valid UTF-8.

One conversation goes on through thousands of seeded arbitrary lines (tests/fuzzing.py),
on a SQLite store, with a staff member's commands among them; bytes that are not UTF-8 are
read as `zjtx chat` reads standard input; lone surrogates (which a platform's JSON may
carry) go to the Assistant directly.
"""

from __future__ import annotations

import io
import json
import random
from datetime import date
from pathlib import Path

from bot.channels.console import Console
from bot.cli import read_lines
from bot.db import connect
from bot.service import Assistant
from bot.store import SessionKey, SqliteStore
from dialogs.engine import DialogEngine
from dialogs.messages import Inbound
from tests.conversations import EXAMPLE_A_TYPED
from tests.fuzzing import lines

ENGINE = DialogEngine()
TODAY = date(2026, 11, 23)


def written(out: io.StringIO) -> list[dict[str, object]]:
    parsed = []
    for text in out.getvalue().splitlines():
        text.encode("utf-8")  # strict: no lone surrogate, nothing that is not UTF-8
        parsed.append(json.loads(text))
    return parsed


def test_thousands_of_arbitrary_lines_in_one_conversation(tmp_path: Path) -> None:
    store = SqliteStore(connect(tmp_path / "zjtx.db"))
    bot = Assistant(store, ENGINE, lambda: TODAY, staff=frozenset({"console:local"}))
    out = io.StringIO()
    console = Console(bot, "local", out, jsonl=True)
    console.start(None)
    typed = ["/assess", *EXAMPLE_A_TYPED.values()]
    rng = random.Random(7)
    for n, text in enumerate(lines(seed=2026, count=3000)):
        console.send(text)
        if n % 50 == 0:  # back to the questionnaire now and then, so every step sees noise
            for answer in typed[: rng.randint(1, len(typed))]:
                console.send(answer)
    assert len(written(out)) > 3000
    store.close()


def test_bytes_that_are_not_utf8_come_out_as_valid_utf8(tmp_path: Path) -> None:
    store = SqliteStore(connect(tmp_path / "zjtx.db"))
    out = io.StringIO()
    console = Console(Assistant(store, ENGINE, lambda: TODAY), "local", out, jsonl=True)
    rng = random.Random(3)
    raw = [bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))).replace(b"\n", b"") + b"\n"]
    raw += [b"\xff\xfe/assess\n", b"1\xc3\n", "天河".encode("gbk") + b"\n", b"\xed\xa0\x80\n"]
    raw += [bytes(rng.randrange(128, 256) for _ in range(30)) + b"\n" for _ in range(500)]
    console.run(read_lines(raw))
    assert len(written(out)) >= len(raw)
    store.close()


def test_lone_surrogates_from_a_platform_are_replaced_before_anything_keeps_them(tmp_path: Path) -> None:
    store = SqliteStore(connect(tmp_path / "zjtx.db"))
    bot = Assistant(store, ENGINE, lambda: TODAY)
    key = SessionKey("telegram", "42", "42")
    bot.handle_now(key, Inbound(text="/assess"))
    for text in lines(seed=5, count=1000, surrogates=True):
        for reply in bot.handle_now(key, Inbound(text=text)):
            json.dumps(getattr(reply, "text", ""), ensure_ascii=False).encode("utf-8")
    store.load(key).session.model_dump_json().encode("utf-8")
    store.close()
