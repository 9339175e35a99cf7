"""The outbox and subscriptions in SQLite: rows written before any send, one worker, states."""

from __future__ import annotations

import pytest

from bot.app import broadcast_platforms
from bot.broadcast.outbox import Claim, Skipped
from bot.broadcast.store import BroadcastStore
from bot.channels.wecom.robot import WebhookError, robot_key
from bot.db import connect
from tests.fakes.wecom_api import ManualClock

from .conftest import broadcast, private


@pytest.mark.parametrize(
    "url",
    [
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123",
        " https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123 ",
        "http://127.0.0.1:8080/cgi-bin/webhook/send?key=abc-123",
    ],
)
def test_a_robot_webhook_gives_its_key(url: str) -> None:
    assert robot_key(url) == "abc-123"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", "broadcast.webhook.bad_url"),
        ("https://qyapi.weixin.qq.com/cgi-bin/message/send?key=abc", "broadcast.webhook.bad_url"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "broadcast.webhook.no_key"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=", "broadcast.webhook.no_key"),
    ],
)
def test_other_urls_are_refused_saying_why(url: str, why: str) -> None:
    with pytest.raises(WebhookError) as refused:
        robot_key(url)
    assert refused.value.key == why


def test_the_outbox_is_written_when_the_broadcast_falls_due_one_row_per_active_target(
    store: BroadcastStore, clock: ManualClock
) -> None:
    private(store, 1, clock, "政策")
    gone = private(store, 2, clock)
    private(store, 3, clock, "活动")
    store.retire(gone.id, "broadcast.reason.unsubscribed", clock())
    later = broadcast(store, clock, "预告", "政策", send_at=clock() + 60)
    now = broadcast(store, clock, "现在", "政策")
    assert store.start_due(clock()) == [now.id]
    assert [j.subscription_id for j in store.pending_jobs("telegram")] == [1]
    assert store.report(later.id, clock()).total == 0  # type: ignore[union-attr]
    clock.advance(60)
    assert store.start_due(clock()) == [later.id]
    assert store.start_due(clock()) == []  # written once


def test_a_broadcast_nobody_subscribes_to_is_done_at_once(store: BroadcastStore, clock: ManualClock) -> None:
    b = broadcast(store, clock, "无人订阅", "申报通知")
    store.start_due(clock())
    done = store.broadcast(b.id)
    assert done is not None and done.state == "done" and done.finished_at == clock()


def test_a_claim_is_committed_before_the_send_and_an_interrupted_one_becomes_uncertain(
    store: BroadcastStore, clock: ManualClock
) -> None:
    private(store, 1, clock)
    quitter = private(store, 2, clock)
    broadcast(store, clock)
    store.start_due(clock())
    first, second = store.pending_jobs("telegram")
    assert store.claim(first.row_id, "attempt-1", clock()) == Claim("1", 0)
    assert store.claim(first.row_id, "attempt-2", clock()) is None  # not pending any more
    store.retire(quitter.id, "broadcast.reason.unsubscribed", clock())
    assert store.claim(second.row_id, "attempt-3", clock()) == Skipped("broadcast.reason.unsubscribed")

    other = BroadcastStore(connect(store.path), broadcast_platforms())  # what a restarted worker sees
    assert other.recover_interrupted() == 1
    assert other.claim(first.row_id, "attempt-4", clock()) is None
    report = other.report(first.broadcast_id, clock())
    assert report is not None and (report.counts["uncertain"], report.counts["skipped"]) == (1, 1)
    store.part_sent(first.row_id, "attempt-1", "99", clock())  # a late answer still tells the truth
    report = other.report(first.broadcast_id, clock())
    assert report is not None and report.counts["sent"] == 1
    other.close()


def test_one_worker_per_database(store: BroadcastStore) -> None:
    other = BroadcastStore(connect(store.path), broadcast_platforms())
    lease = store.try_lease()
    assert lease is not None and other.try_lease() is None
    lease.release()
    again = other.try_lease()
    assert again is not None
    again.release()
    other.close()


def test_subscribing_again_reactivates_and_topics_show_up_as_known(
    store: BroadcastStore, clock: ManualClock
) -> None:
    sub = private(store, 5, clock, "policy")
    store.retire(sub.id, "Forbidden: bot was blocked by the user", clock())
    again = private(store, 5, clock, "沙龙")
    assert again.id == sub.id and again.active and again.inactive_reason is None
    assert store.known_topics() == ["policy", "event", "call", "沙龙"]  # the data's topics, then staff's
    assert store.audience(("沙龙",)) == {"telegram": 1, "wecom_robot": 0}
