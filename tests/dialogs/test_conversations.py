"""Conversations through the console channel: strings in, JSON lines out (docs/interfaces.md#command-line)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.db import connect
from bot.store import MemoryStore, SqliteStore
from rules import assess, default_rules, parse_profile
from tests.conversations import EXAMPLE_A, EXAMPLE_A_TYPED, TODAY, Chat


def result_of(lines: list[dict[str, Any]]) -> dict[str, Any]:
    return next(line for line in lines if line["type"] == "result")


def question(lines: list[dict[str, Any]]) -> dict[str, Any]:
    return next(line for line in reversed(lines) if line["type"] == "question")


def expected(profile: dict[str, Any]) -> dict[str, Any]:
    rules = default_rules()
    return assess(parse_profile(profile, rules.contacts.districts), rules, TODAY).contract()


def test_worked_example_a_typed_as_people_type_agrees_with_the_engine() -> None:
    result = Chat(MemoryStore()).answer_all(EXAMPLE_A_TYPED)
    assert result["assessment"] == expected(EXAMPLE_A)
    assert result["assessment"]["score"] == 72
    assert "72" in result["text"]


def test_every_answer_is_echoed_back_in_one_line() -> None:
    chat = Chat(MemoryStore())
    chat.send("/assess")
    chat.send("1")
    chat.send("4")
    chat.send("黄埔")
    chat.send("7")
    replies = chat.send("300")
    assert replies[0] == {"type": "message", "text": "好的，按 300 万元计（只写数字时单位为万元）。"}
    assert question(replies)["id"] == "equity_financing_2y"  # below the revenue floor


@pytest.mark.parametrize("nonsense", ["很多", "abc", "😀", "", "x" * 5000])
def test_nonsense_is_reasked_with_an_example_on_the_same_question(nonsense: str) -> None:
    chat = Chat(MemoryStore())
    for text in ("/assess", "1", "4", "天河区", "7"):
        replies = chat.send(text)
    assert question(replies)["id"] == "revenue"
    replies = chat.send(nonsense)
    assert replies[0]["type"] == "message" and "例如" in replies[0]["text"]
    assert question(replies)["id"] == "revenue"
    assert chat.send("5500万")[0]["text"] == "好的，按 5500 万元计。"


def test_stop_halfway_and_resume_in_a_new_process_asks_the_pending_question(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    first = Chat(SqliteStore(connect(db)))
    for text in ("/assess", "1", "provincial", "南沙区", "5"):
        replies = first.send(text)
    assert question(replies)["id"] == "revenue"
    again = Chat(SqliteStore(connect(db)))
    assert [line["id"] for line in again.opening if line["type"] == "question"] == ["revenue"]
    result = again.answer_all({})  # /assess resumes: every later question skipped
    assert result["assessment"]["indicators"]["3"] == 2  # five years answered before the restart


def test_back_returns_to_the_previous_question_and_changes_it() -> None:
    chat = Chat(MemoryStore())
    for text in ("/assess", "1", "4", "天河区", "7", "1.2亿"):
        chat.send(text)
    replies = chat.send("/back")
    q = question(replies)
    assert q["id"] == "revenue" and "1.2 亿元" in q["text"]
    replies = chat.send("5000万")
    assert question(replies)["id"] == "rd_expense"  # still above the 10M floor: no equity question
    result = chat.answer_all({})
    assert result["assessment"]["tier"] is None  # 50M is under the member tier's 60M


def test_rd_above_revenue_is_questioned_and_can_be_kept_or_corrected() -> None:
    chat = Chat(MemoryStore())
    for text in ("/assess", "1", "4", "天河区", "7", "1000万"):
        chat.send(text)
    replies = chat.send("2000万")
    assert question(replies)["id"] == "confirm_rd_expense"
    replies = chat.send("no")
    assert question(replies)["id"] == "rd_expense"
    replies = chat.send("200万")
    assert question(replies)["id"] == "profit"


def test_summary_lets_any_answer_be_changed_before_scoring() -> None:
    chat = Chat(MemoryStore())
    replies = chat.send("/assess")
    for _ in range(40):
        q = question(replies)
        if q["id"] == "confirm":
            break
        replies = chat.send(EXAMPLE_A_TYPED.get(q["id"], "跳过"))
    assert q["id"] == "confirm"
    assert q["choices"][0] == {"value": "yes", "label": "确认提交"}
    replies = chat.send("revenue")
    assert question(replies)["id"] == "revenue"
    replies = chat.send("1.1亿")
    assert question(replies)["id"] == "confirm"
    result = result_of(chat.send("确认"))
    assert result["assessment"] == expected({**EXAMPLE_A, "revenue": 110_000_000})


def test_a_service_institution_takes_its_short_path() -> None:
    chat = Chat(MemoryStore())
    asked = []
    replies = chat.send("/assess")
    answers = {
        "org_type": "服务机构",
        "registered_capital": "2000万",
        "operates_park": "是",
        "district": "番禺",
    }
    while not any(line["type"] == "result" for line in replies):
        q = question(replies)
        asked.append(q["id"])
        replies = chat.send("yes" if q["id"] == "confirm" else answers[q["id"]])
    assert asked == ["org_type", "registered_capital", "operates_park", "district", "confirm"]
    a = result_of(replies)["assessment"]
    assert a["tier"] == "director" and a["score"] is None and a["subsidies"] == ["park_award"]


def test_direct_pass_and_equity_questions_only_when_they_can_change_the_outcome() -> None:
    low = {"org_type": "1", "certification": "innovative", "revenue": "800万", "rd_expense": "160万"}
    chat = Chat(MemoryStore())
    asked = []
    replies = chat.send("/assess")
    while not any(line["type"] == "result" for line in replies):
        q = question(replies)
        asked.append(q["id"])
        answer = {**low, "niche_years": "2", "equity_financing_2y": "6500万"}.get(q["id"], "跳过")
        replies = chat.send("yes" if q["id"] == "confirm" else answer)
    assert asked.index("equity_financing_2y") < asked.index("rd_expense")  # revenue below the floor
    assert {"sci_award", "rd_expense_avg_2y", "maker_top500"} <= set(asked)  # score below 70
    assert result_of(replies)["assessment"]["direct_pass"] == ["equity_2y"]
    assert result_of(replies)["assessment"]["eligible"] is True  # worked example C

    high = Chat(MemoryStore()).send("/assess")
    chat = Chat(MemoryStore(), user="u2")
    asked = []
    replies = chat.send("/assess")
    while not any(line["type"] == "result" for line in replies):
        q = question(replies)
        asked.append(q["id"])
        replies = chat.send("yes" if q["id"] == "confirm" else EXAMPLE_A_TYPED.get(q["id"], "跳过"))
    assert high  # a second person's chat is independent
    assert not {"equity_financing_2y", "sci_award", "maker_top500"} & set(asked)


def test_english_when_asked_and_remembered(tmp_path: Path) -> None:
    db = tmp_path / "en.db"
    chat = Chat(SqliteStore(connect(db)), lang="en")
    replies = chat.send("/assess")
    assert question(replies)["text"].startswith("Question 1/")
    assert [c["label"] for c in question(replies)["choices"]] == ["Enterprise", "Service institution"]
    later = Chat(SqliteStore(connect(db)))
    assert later.opening[-1]["text"].startswith("Question 1/")


def test_contacts_tiers_and_subsidies_without_the_questionnaire() -> None:
    chat = Chat(MemoryStore())
    contacts = chat.send("/contacts 天河区")[0]["text"]
    assert "18011714912" in contacts and "38622962" in contacts and "2019" in contacts
    assert "400" not in contacts.replace("4001", "")
    tiers = chat.send("/tiers")[0]["text"]
    assert "5.5 亿元" in tiers and "注册资本" in tiers
    subsidies = " ".join(line["text"] for line in chat.send("/subsidies"))
    assert "已到期" in subsidies and "100 万元" in subsidies


def test_result_again_after_finishing() -> None:
    store = MemoryStore()
    chat = Chat(store)
    assert chat.send("/result")[0]["type"] == "message"
    first = chat.answer_all(EXAMPLE_A_TYPED)
    again = result_of(chat.send("/result"))
    assert again["assessment"] == first["assessment"]


def test_the_real_command_exits_cleanly_and_resumes(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    cmd = [sys.executable, "-m", "bot", "chat", "--jsonl", "--db", db, "--user", "p", "--today", "2026-11-23"]
    run = subprocess.run(cmd, input="/assess\n1\n", capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert question(lines)["id"] == "certification"
    run = subprocess.run(cmd, input="", capture_output=True, text=True, timeout=60, check=False)
    assert [json.loads(line)["id"] for line in run.stdout.splitlines()] == ["certification"]


def test_parsed_money_is_exact() -> None:
    chat = Chat(MemoryStore())
    for text in ("/assess", "1", "4", "天河区", "7"):
        chat.send(text)
    chat.send("1,234.56万")
    loaded = chat.console.assistant.store.load(chat.console.key)
    assert Decimal(loaded.session.answers["revenue"]) == Decimal("12345600")


def test_a_number_on_the_summary_changes_that_line_rather_than_submitting() -> None:
    chat = Chat(MemoryStore())
    replies = chat.send("/assess")
    while question(replies)["id"] != "confirm":
        replies = chat.send(EXAMPLE_A_TYPED.get(question(replies)["id"], "跳过"))
    replies = chat.send("1")
    assert question(replies)["id"] == "org_type"
    assert not any(line["type"] == "result" for line in replies)


def test_the_terminal_shows_level_values_not_positions() -> None:
    from bot.channels.console import to_text
    from dialogs.messages import Choice, Question

    shown = to_text(Question("digital_level", "?", (Choice("3", "三级及以上"), Choice("1", "一级"))))
    assert "  3. 三级及以上" in shown and "  1. 一级" in shown


def test_a_route_met_above_the_pass_mark_is_shown_as_met_too_not_as_the_way_in() -> None:
    from dialogs.i18n import load_catalogs
    from dialogs.render import result_parts
    from rules import default_rules
    from tests.rules.examples import SCORE_70, assess_answers

    result = assess_answers({**SCORE_70, "maker_top500": True})
    assert result.score == 70 and result.direct_pass == ["maker_top500"]
    text = "\n".join(result_parts(result, default_rules(), "zh", load_catalogs()))
    assert "另满足直通条件" in text and "经直通条件" not in text


@pytest.mark.parametrize("typed", ["²", "⑴", "፩", "𐩀", "9" * 5000, "2"])
def test_the_terminal_picks_menu_items_by_ascii_numbers_only(typed: str) -> None:
    chat = Chat(MemoryStore())
    menu = chat.send("/menu")[0]
    assert menu["choices"][1]["value"] == "/tiers"
    replies = chat.send(typed)  # a digit int() refuses is text, never a crash
    if typed == "2":
        assert "5.5 亿元" in replies[0]["text"]  # the menu's second item: /tiers
    else:
        assert replies and all(line["type"] in ("message", "question") for line in replies)


def test_a_figure_asked_back_is_asked_again_after_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "ask.db"
    first = Chat(SqliteStore(connect(db)))
    for text in ("/assess", "1", "4", "天河区", "7"):
        first.send(text)
    replies = first.send("12,000,000")
    assert question(replies)["id"] == "verify_revenue"
    again = Chat(SqliteStore(connect(db)))  # a new process on the same store
    asked = [line for line in again.opening if line["type"] == "question"]
    assert [q["id"] for q in asked] == ["verify_revenue"]
    assert asked[0]["text"] == "您填的是 1200 亿元吗？如果是 1200 万元，请回复 1。"
    assert again.send("1")[0]["text"] == "好的，按 1200 万元计。"
    loaded = again.console.assistant.store.load(again.console.key)
    assert Decimal(loaded.session.answers["revenue"]) == 12_000_000
