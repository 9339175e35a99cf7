"""The durable inbox and its dispatcher: stored once, handled in order, never twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.backoff import Backoff
from bot.db import connect
from bot.inbox import CURRENT, AlreadyHandled, Dispatcher, Inbox, InboxRow
from bot.mailroom import Mailroom
from dialogs.messages import Text


def test_an_update_is_stored_once_and_a_redelivery_finds_its_row(tmp_path: Path) -> None:
    inbox = Inbox(connect(tmp_path / "z.db"))
    first = inbox.put("telegram", "101", conversation="1:1", user_id="1", payload="{}")
    assert first is not None
    assert inbox.put("telegram", "101", conversation="1:1", user_id="1", payload="{}") is None
    assert inbox.put("wecom", "101", conversation="u", user_id="u", payload="<xml/>") is not None
    assert inbox.counts() == {"pending": 2, "total": 2}
    assert inbox.find("telegram", "101") == "pending"


async def test_one_conversation_in_order_others_alongside_and_every_row_done(tmp_path: Path) -> None:
    inbox = Inbox(connect(tmp_path / "z.db"))
    seen: list[tuple[str, str]] = []
    gate, fast_done = asyncio.Event(), asyncio.Event()

    async def handle(row: InboxRow) -> None:
        if row.conversation == "slow" and row.platform_id == "s0":
            await gate.wait()  # the first of "slow" waits: "fast" goes on meanwhile
        seen.append((row.conversation, row.platform_id))
        if row.platform_id == "f2":
            fast_done.set()

    dispatcher = Dispatcher(inbox)
    dispatcher.attach("t", handle)
    for n in range(3):
        for conversation in ("slow", "fast"):
            row = inbox.put("t", f"{conversation[0]}{n}", conversation=conversation, user_id=None, payload="")
            assert row is not None
            dispatcher.offer(row)
    await fast_done.wait()
    assert seen == [("fast", "f0"), ("fast", "f1"), ("fast", "f2")]
    gate.set()
    await dispatcher.drain()
    assert [p for c, p in seen if c == "slow"] == ["s0", "s1", "s2"]
    assert inbox.counts() == {"pending": 0, "total": 6}


async def test_rows_left_pending_are_handled_when_a_channel_attaches(tmp_path: Path) -> None:
    path = tmp_path / "z.db"
    inbox = Inbox(connect(path))
    for n in range(5):
        inbox.put("t", str(n), conversation="c", user_id=None, payload=str(n))
    handled: list[str] = []

    async def handle(row: InboxRow) -> None:
        handled.append(row.payload)

    restarted = Dispatcher(Inbox(connect(path)))  # a new process on the same file
    restarted.attach("t", handle)
    await restarted.drain()
    assert handled == ["0", "1", "2", "3", "4"]


async def test_a_turn_that_finds_its_row_done_already_is_rolled_back(tmp_path: Path) -> None:
    db = connect(tmp_path / "z.db")
    mail = Mailroom(db)
    row = mail.inbox.put("t", "1", conversation="c", user_id="u", payload="")
    assert row is not None
    mail.inbox.close_if_pending(row.id)  # another process finished it meanwhile
    token = CURRENT.set(row)
    try:
        with pytest.raises(AlreadyHandled), db.tx() as conn:
            conn.execute("INSERT INTO seen (scope, key, at) VALUES ('turn', 'effect', 'now')")
            mail.to("t", "c", user_id="u", lang="zh").record([Text("reply")])
    finally:
        CURRENT.reset(token)
    assert db.rows("SELECT * FROM seen") == [] and db.rows("SELECT * FROM reply_outbox") == []


async def test_a_failing_handler_is_tried_again_then_given_up_without_blocking_the_next(
    tmp_path: Path,
) -> None:
    inbox = Inbox(connect(tmp_path / "z.db"))
    tries: list[str] = []

    async def handle(row: InboxRow) -> None:
        tries.append(row.platform_id)
        if row.platform_id == "bad":
            raise RuntimeError("poison")

    dispatcher = Dispatcher(inbox, retry=Backoff(attempts=3, base=0.0, cap=0.0))
    dispatcher.attach("t", handle)
    for platform_id in ("bad", "good"):
        row = inbox.put("t", platform_id, conversation="c", user_id=None, payload="")
        assert row is not None
        dispatcher.offer(row)
    await dispatcher.drain()
    assert tries == ["bad", "bad", "bad", "good"]
    assert dict(inbox.db.rows("SELECT platform_id, state FROM inbox")) == {"bad": "failed", "good": "done"}


def test_pruning_keeps_pending_rows_and_recent_ones(tmp_path: Path) -> None:
    now = [1000.0]
    inbox = Inbox(connect(tmp_path / "z.db"), clock=lambda: now[0])
    old = inbox.put("t", "old", conversation="c", user_id=None, payload="")
    assert old is not None
    inbox.close_if_pending(old.id)
    inbox.put("t", "waiting", conversation="c", user_id=None, payload="")
    now[0] = 10_000.0
    assert inbox.prune(before=5000.0) == 1
    assert [r[0] for r in inbox.db.rows("SELECT platform_id FROM inbox")] == ["waiting"]
