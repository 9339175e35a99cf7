"""The questionnaire's event log: each step of an attempt, dated and by channel, written with
the turn, never an answer, and gone with /forget."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.db import connect
from bot.service import Assistant
from bot.settings import TIMEZONE
from bot.store import SessionKey, SqliteStore
from dialogs.messages import Inbound
from tests.conversations import ENGINE, INSTITUTION_TYPED

ALICE = SessionKey("wecom", "alice", "alice")
NOW = datetime(2026, 11, 23, 23, 30, tzinfo=TIMEZONE)  # 15:30 UTC: the day is Beijing's


def assistant(tmp_path: Path) -> Assistant:
    return Assistant(SqliteStore(connect(tmp_path / "zjtx.db")), ENGINE, clock=lambda: NOW)


def rows(a: Assistant) -> list[tuple[object, ...]]:
    store = a.store
    assert isinstance(store, SqliteStore)
    return [
        tuple(r)
        for r in store.db.rows(
            "SELECT at, day, kind, question, attempt, channel, chat_id, user_id "
            "FROM questionnaire_events ORDER BY id"
        )
    ]


def test_each_step_is_recorded_with_its_day_and_channel_and_never_an_answer(tmp_path: Path) -> None:
    a = assistant(tmp_path)
    a.handle_now(ALICE, Inbound(text="/assess"))
    for qid in ("org_type", "registered_capital", "operates_park"):
        a.handle_now(ALICE, Inbound(text=INSTITUTION_TYPED[qid]))
    a.handle_now(ALICE, Inbound(text="跳过"))  # the district
    a.handle_now(ALICE, Inbound(text="确认"))
    found = rows(a)
    assert [(r[2], r[3]) for r in found] == [
        ("asked", "org_type"),
        ("answered", "org_type"),
        ("asked", "registered_capital"),
        ("answered", "registered_capital"),
        ("asked", "operates_park"),
        ("answered", "operates_park"),
        ("asked", "district"),
        ("skipped", "district"),
        ("asked", "confirm"),
        ("finished", None),
    ]
    assert {r[0] for r in found} == {NOW.timestamp()} and {r[1] for r in found} == {"2026-11-23"}
    assert {r[4] for r in found} == {"wecom:alice:alice:1"} and {r[5] for r in found} == {"wecom"}
    cells = " ".join(str(c) for r in found for c in r)
    for typed in INSTITUTION_TYPED.values():
        assert typed not in cells
    for kept in ("20000000", "service_institution", "True", "true"):
        assert kept not in cells  # what was answered is in the assessment, not in the log


def test_a_second_attempt_is_another_attempt(tmp_path: Path) -> None:
    a = assistant(tmp_path)
    a.handle_now(ALICE, Inbound(text="/assess"))
    a.handle_now(ALICE, Inbound(text="/restart"))
    assert [(r[2], r[3], r[4]) for r in rows(a)] == [
        ("asked", "org_type", "wecom:alice:alice:1"),
        ("abandoned", "org_type", "wecom:alice:alice:1"),
        ("asked", "org_type", "wecom:alice:alice:2"),
    ]


def test_forget_removes_a_persons_events_only(tmp_path: Path) -> None:
    a = assistant(tmp_path)
    bob = SessionKey("wecom", "bob", "bob")
    for key in (ALICE, bob):
        a.handle_now(key, Inbound(text="/assess"))
        a.handle_now(key, Inbound(text="1"))
    a.handle_now(ALICE, Inbound(text="/forget confirm"))
    assert {r[7] for r in rows(a)} == {"bob"}
