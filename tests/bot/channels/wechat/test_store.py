"""The customer-service window kept in SQLite: 48 hours and 5 messages after a message, a
minute and 3 after an event, nothing after unsubscribing; claims are durable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.wechat import Shut, WeChatStore
from bot.channels.wechat.store import StoredToken
from bot.db import connect

T0 = 1_800_000_000.0
HOUR = 3600.0


@pytest.fixture
def store(tmp_path: Path) -> WeChatStore:
    return WeChatStore(connect(tmp_path / "w.db"))


def claims(store: WeChatStore, at: float, n: int) -> list[Shut | None]:
    return [store.claim_send("o1", at) for _ in range(n)]


def test_nobody_heard_from_gets_nothing(store: WeChatStore) -> None:
    assert store.claim_send("o1", T0) is Shut.UNKNOWN


def test_a_message_opens_48_hours_and_five_messages(store: WeChatStore) -> None:
    store.record_message("o1", T0)
    assert claims(store, T0 + 47 * HOUR, 6) == [None] * 5 + [Shut.QUOTA]
    store.record_message("o1", T0 + 47 * HOUR)  # a new message: five more
    assert claims(store, T0 + 94 * HOUR, 5) == [None] * 5
    assert store.claim_send("o1", T0 + 47 * HOUR + 48 * HOUR) is Shut.WINDOW
    follower = store.follower("o1")
    assert follower is not None and follower.dropped == 2


def test_the_last_seconds_of_the_window_are_not_used(store: WeChatStore) -> None:
    store.record_message("o1", T0)
    assert store.claim_send("o1", T0 + 48 * HOUR - 31) is None
    assert store.claim_send("o1", T0 + 48 * HOUR - 29) is Shut.WINDOW


def test_an_event_opens_a_minute_and_three_messages(store: WeChatStore) -> None:
    store.record_event("o1", T0, subscribed=True)
    assert claims(store, T0 + 10, 4) == [None, None, None, Shut.QUOTA]
    store.record_event("o1", T0 + 20)
    assert store.claim_send("o1", T0 + 100) is Shut.WINDOW


def test_an_unsubscribed_follower_gets_nothing_until_they_come_back(store: WeChatStore) -> None:
    store.record_message("o1", T0)
    store.record_event("o1", T0 + 1, subscribed=False)
    assert store.claim_send("o1", T0 + 2) is Shut.UNSUBSCRIBED
    store.record_event("o1", T0 + 3, subscribed=True)
    assert store.claim_send("o1", T0 + 4) is None


def test_a_refusal_by_wechat_shuts_the_window(store: WeChatStore) -> None:
    store.record_message("o1", T0)
    store.close_window("o1", Shut.WINDOW, T0 + 1)
    assert store.claim_send("o1", T0 + 2) is Shut.QUOTA
    store.close_window("o1", Shut.UNSUBSCRIBED, T0 + 3)
    assert store.claim_send("o1", T0 + 4) is Shut.UNSUBSCRIBED


def test_claims_survive_a_restart(tmp_path: Path) -> None:
    first = WeChatStore(connect(tmp_path / "w.db"))
    first.record_message("o1", T0)
    assert claims(first, T0 + 1, 4) == [None] * 4
    first.db.close()
    again = WeChatStore(connect(tmp_path / "w.db"))
    assert claims(again, T0 + 2, 2) == [None, Shut.QUOTA]
    assert again.dropped_total() == 1


def test_forget_deletes_the_follower_and_keeps_the_token(store: WeChatStore) -> None:
    store.record_message("o1", T0)
    store.save_token("wxapp", StoredToken("tok", T0 + 7200), T0)
    assert store.forget("wecom", "o1") == 0
    assert store.forget("wechat", "o1") == 1
    assert store.follower("o1") is None and store.load_token("wxapp") == StoredToken("tok", T0 + 7200)


def test_a_discarded_token_is_only_the_one_refused(store: WeChatStore) -> None:
    store.save_token("wxapp", StoredToken("new", T0 + 7200), T0)
    store.discard_token("wxapp", "old")
    assert store.load_token("wxapp") is not None
    store.discard_token("wxapp", "new")
    assert store.load_token("wxapp") is None
