"""`zjtx chat` as a person uses it across runs: a number typed after a menu picks what the
menu said even when the menu was shown by an earlier process (the open menu is in the
session, stored with the turn that showed it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.store import MemoryStore
from dialogs.i18n import load_catalogs
from tests.conversations import EXAMPLE_A_TYPED, Chat

ZH = load_catalogs()
NOW = "2026-11-23T10:00:00+08:00"  # the day tests.conversations answers on


def typed_lines() -> list[str]:
    """What a person types from /assess to the result for worked example A."""
    chat = Chat(MemoryStore())
    sent: list[str] = []
    original = chat.send

    def send(text: str) -> list[dict[str, Any]]:
        sent.append(text)
        return original(text)

    chat.send = send  # type: ignore[method-assign]
    chat.answer_all(EXAMPLE_A_TYPED)
    return sent


def zjtx_chat(db: Path, lines: list[str]) -> list[dict[str, Any]]:
    cmd = [sys.executable, "-m", "bot", "chat", "--jsonl", "--db", str(db), "--user", "u1"]
    env = {**os.environ, "ZJTX_NOW": NOW, "ZJTX_DB": str(db.with_name("unused.db"))}
    run = subprocess.run(
        cmd, input="".join(f"{line}\n" for line in lines), capture_output=True, text=True,
        timeout=120, check=False, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_a_number_after_result_picks_the_same_line_in_the_next_process(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    first = zjtx_chat(db, [*typed_lines(), "/result"])
    menu = first[-1]
    assert menu["type"] == "message" and menu["choices"][0]["value"] == "/details indicators"
    later = zjtx_chat(db, ["1"])  # a new process: nothing of the first is in memory
    assert later[0]["text"].startswith(ZH.text("zh", "details.indicators.title", score=72, max=100))
    both = zjtx_chat(db, ["/result", "3", "/result", menu["choices"][2]["value"]])  # 3: the tier
    by_command = both[-1]
    by_number = both[(len(both) - 1) // 2]
    assert by_number == by_command and by_number["text"]


def test_forget_is_confirmed_in_the_next_process_too(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    asked = zjtx_chat(db, ["/faq 入会要交钱吗", "/forget"])
    assert asked[-1]["text"] == ZH.text("zh", "forget.confirm")
    [done] = zjtx_chat(db, ["是"])
    assert done["text"].startswith(ZH.text("zh", "forget.done", count=0).split("（")[0])
    assert zjtx_chat(db, ["/forget"])[-1]["text"] == ZH.text("zh", "forget.confirm")


def test_a_question_asked_again_at_the_start_is_what_a_number_answers(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    zjtx_chat(db, ["/assess", "/forget"])  # the confirmation is open when the run ends
    resumed = zjtx_chat(db, ["2"])  # the next run asks the pending question again first
    assert resumed[0]["type"] == "question" and resumed[0]["id"] == "org_type"
    assert resumed[1]["text"].startswith(ZH.text("zh", "echo.choice", value="服务机构")[:3])
