"""The worker against both fake platforms, which refuse anything past their limits.

A manual clock drives the worker, the fakes' limit windows and the robot sender: minutes of
pacing run in a moment, and nothing sleeps for real.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.broadcast.content import Part
from bot.broadcast.sending import Sender, Verdict
from bot.broadcast.store import BroadcastStore
from tests.fakes.pictures import png
from tests.fakes.telegram_api import BOT_BLOCKED, BOT_KICKED, FakeTelegramBotApi
from tests.fakes.wecom_api import WEBHOOK_SEND, FakeWeComApi, ManualClock

from .conftest import broadcast, group, private, robot, worker_for

ONE_AT_A_TIME = 1  # part in flight per lane
PNG = png()  # a real picture: the fake Bot API opens what sendPhoto uploads


def telegram_counts(api: FakeTelegramBotApi) -> Counter[int]:
    sent = [c.result for c in api.calls() if c.method in ("sendMessage", "sendPhoto") and c.ok]
    return Counter(m["chat"]["id"] for m in sent)


def robot_refusals(api: FakeWeComApi) -> int:
    return sum(1 for c in api.calls_to(WEBHOOK_SEND) if c.answer.get("errcode") == 45009)


async def test_every_target_gets_every_broadcast_once_within_the_limits(
    store: BroadcastStore,
    senders: list[Sender],
    telegram: FakeTelegramBotApi,
    wecom: FakeWeComApi,
    clock: ManualClock,
) -> None:
    people = [private(store, 1000 + i, clock) for i in range(45)]
    groups = [group(store, -500 - i, clock) for i in range(2)]
    robots = [robot(store, wecom, f"key-{i}", clock) for i in range(2)]
    for n in range(22):  # more than a group's or a robot's 20 a minute
        broadcast(store, clock, f"第 {n} 期 **政策速递**")
    start = clock()
    await worker_for(store, senders, clock).run(until_done=True)

    counts = telegram_counts(telegram)
    assert {int(s.chat_id): counts[int(s.chat_id)] for s in people + groups} == {
        int(s.chat_id): 22 for s in people + groups
    }
    assert [len(wecom.robot_messages(s.chat_id)) for s in robots] == [22, 22]
    assert telegram.flood_refusals == 0 and robot_refusals(wecom) == 0
    assert 61 <= clock() - start < 70  # the 21st message to a group waited for its minute
    for b in store.broadcasts(limit=30):
        report = store.report(b.id, clock())
        assert report is not None and report.counts["sent"] == 49 and report.broadcast.state == "done"


async def test_telegram_never_gets_more_than_30_a_second(
    store: BroadcastStore, senders: list[Sender], telegram: FakeTelegramBotApi, clock: ManualClock
) -> None:
    for i in range(200):
        private(store, 2000 + i, clock)
    broadcast(store, clock)
    await worker_for(store, senders, clock).run(until_done=True)
    times = sorted(c.time for c in telegram.calls("sendMessage") if c.ok)
    assert len(times) == 200 and telegram.flood_refusals == 0
    assert max(sum(1 for t in times if s <= t < s + 1.0) for s in times) <= 30
    assert (len(times) - 1) / (times[-1] - times[0]) > 0.9 * 30  # and not much fewer


async def test_a_retry_after_is_honoured(
    store: BroadcastStore, senders: list[Sender], telegram: FakeTelegramBotApi, clock: ManualClock
) -> None:
    for i in range(3):
        private(store, 3000 + i, clock)
    b = broadcast(store, clock)
    telegram.rate_limit_next(1, retry_after=7, method="sendMessage")
    start = clock()
    await worker_for(store, senders, clock).run(until_done=True)
    assert clock() - start >= 7
    assert telegram_counts(telegram) == Counter({3000: 1, 3001: 1, 3002: 1})
    report = store.report(b.id, clock())
    assert report is not None and report.counts["sent"] == 3


async def test_a_45009_is_waited_out_and_busy_is_retried(
    store: BroadcastStore, senders: list[Sender], wecom: FakeWeComApi, clock: ManualClock
) -> None:
    robot(store, wecom, "busy", clock)
    b = broadcast(store, clock)
    wecom.fail_next(WEBHOOK_SEND, 45009)
    wecom.fail_next(WEBHOOK_SEND, -1)
    start = clock()
    await worker_for(store, senders, clock).run(until_done=True)
    assert len(wecom.robot_messages("busy")) == 1
    assert clock() - start >= 61 + 2  # a minute for 45009, then the first backoff
    report = store.report(b.id, clock())
    assert report is not None and report.counts["sent"] == 1


async def test_blocked_and_kicked_chats_are_retired_with_the_reason(
    store: BroadcastStore, senders: list[Sender], telegram: FakeTelegramBotApi, clock: ManualClock
) -> None:
    blocked, kicked, fine = (
        private(store, 4001, clock),
        group(store, -4002, clock),
        private(store, 4003, clock),
    )
    telegram.fail_chat(4001, BOT_BLOCKED)
    telegram.fail_chat(-4002, BOT_KICKED)
    first, second = broadcast(store, clock), broadcast(store, clock)
    await worker_for(store, senders, clock).run(until_done=True)

    assert telegram_counts(telegram) == Counter({4003: 2})
    assert len(telegram.calls("sendMessage")) == 4  # each gone chat was tried once, never retried
    for gone, reason in ((blocked, "blocked by the user"), (kicked, "kicked from the group")):
        now = store.subscription_by_id(gone.id)
        assert now is not None and not now.active and reason in (now.inactive_reason or "")
    one, two = store.report(first.id, clock()), store.report(second.id, clock())
    assert one is not None and two is not None
    assert (one.counts["sent"], one.counts["failed"], one.counts["skipped"]) == (1, 2, 0)
    assert (two.counts["sent"], two.counts["failed"], two.counts["skipped"]) == (1, 0, 2)
    assert {reason for _, reason, _ in one.reasons} == {
        "Forbidden: bot was blocked by the user",
        "Forbidden: bot was kicked from the group chat",
    }
    assert fine.active


async def test_a_revoked_robot_key_retires_the_group_and_the_others_still_get_it(
    store: BroadcastStore, senders: list[Sender], wecom: FakeWeComApi, clock: ManualClock
) -> None:
    revoked, kept = robot(store, wecom, "revoked", clock), robot(store, wecom, "kept", clock)
    wecom.revoke_robot("revoked")
    b = broadcast(store, clock)
    await worker_for(store, senders, clock).run(until_done=True)
    assert len(wecom.robot_messages("kept")) == 1 and wecom.robot_messages("revoked") == []
    gone = store.subscription_by_id(revoked.id)
    assert gone is not None and not gone.active and "93000" in (gone.inactive_reason or "")
    report = store.report(b.id, clock())
    assert report is not None and report.counts["failed"] == 1 and report.counts["sent"] == 1
    later = broadcast(store, clock)
    await worker_for(store, senders, clock).run(until_done=True)
    assert store.audience(())["wecom_robot"] == 1
    again = store.report(later.id, clock())
    assert again is not None and again.total == 1 and kept.active


class Crash(BaseException):
    """The process dies here (nothing after it runs, nothing is recorded)."""


class CrashingSender:
    """Passes parts on to ``inner`` until the ``at``-th, where the process "dies" after (or
    before) the platform got it."""

    def __init__(self, inner: Sender, at: int, stop: asyncio.Event, *, after_send: bool) -> None:
        self.inner = inner
        self.platform = inner.platform
        self.at = at
        self.stop = stop
        self.after_send = after_send
        self.calls = 0

    async def send(self, address: str, part: Part) -> Verdict:
        self.calls += 1
        if self.calls < self.at:
            return await self.inner.send(address, part)
        if self.calls == self.at and self.after_send:
            await self.inner.send(address, part)
        self.stop.set()
        raise Crash

    async def start(self) -> None:
        await self.inner.start()

    async def aclose(self) -> None:
        pass


async def test_a_part_delivered_just_before_a_crash_is_never_sent_again(
    store: BroadcastStore, senders: list[Sender], telegram: FakeTelegramBotApi, clock: ManualClock
) -> None:
    chats = [private(store, 5000 + i, clock) for i in range(12)]
    b = broadcast(store, clock)
    stop = asyncio.Event()
    dying = CrashingSender(senders[0], at=5, stop=stop, after_send=True)
    await worker_for(store, [dying], clock, max_in_flight=ONE_AT_A_TIME).run(stop)

    await worker_for(store, senders, clock).run(until_done=True)  # the restart
    counts = telegram_counts(telegram)
    assert sorted(counts.values()) == [1] * 12  # every chat once: the uncertain one was not resent
    report = store.report(b.id, clock())
    assert report is not None
    assert (report.counts["sent"], report.counts["uncertain"]) == (11, 1)
    assert report.reasons == [("uncertain", "broadcast.reason.interrupted", 1)]
    assert len(chats) == 12


async def test_a_crash_before_the_send_leaves_the_target_uncertain_until_staff_resend(
    store: BroadcastStore, senders: list[Sender], telegram: FakeTelegramBotApi, clock: ManualClock
) -> None:
    for i in range(6):
        private(store, 6000 + i, clock)
    b = broadcast(store, clock)
    stop = asyncio.Event()
    dying = CrashingSender(senders[0], at=3, stop=stop, after_send=False)
    await worker_for(store, [dying], clock, max_in_flight=ONE_AT_A_TIME).run(stop)
    await worker_for(store, senders, clock).run(until_done=True)
    assert sorted(telegram_counts(telegram).values()) == [1] * 5  # the lost one is reported, not hidden
    report = store.report(b.id, clock())
    assert report is not None and report.counts["uncertain"] == 1

    assert store.resend_uncertain(b.id) == 1
    await worker_for(store, senders, clock).run(until_done=True)
    assert sorted(telegram_counts(telegram).values()) == [1] * 6
    report = store.report(b.id, clock())
    assert report is not None and report.counts["sent"] == 6 and report.broadcast.state == "done"


async def test_a_restarted_worker_remembers_the_robots_minute(
    store: BroadcastStore, senders: list[Sender], wecom: FakeWeComApi, clock: ManualClock
) -> None:
    robot(store, wecom, "steady", clock)
    for _ in range(25):
        broadcast(store, clock)
    stop = asyncio.Event()

    class StopAfter:
        platform = senders[1].platform
        calls = 0

        async def send(self, address: str, part: Part) -> Verdict:
            self.calls += 1
            if self.calls == 15:
                stop.set()  # a clean stop: SIGTERM
            return await senders[1].send(address, part)

        async def start(self) -> None:
            pass

        async def aclose(self) -> None:
            pass

    await worker_for(store, [StopAfter()], clock, max_in_flight=ONE_AT_A_TIME).run(stop)
    first = len(wecom.robot_messages("steady"))
    assert 15 <= first < 25
    await worker_for(store, senders, clock).run(until_done=True)
    assert len(wecom.robot_messages("steady")) == 25 and robot_refusals(wecom) == 0


async def test_an_image_goes_as_a_photo_with_caption_uploaded_once_and_after_the_markdown(
    store: BroadcastStore,
    senders: list[Sender],
    telegram: FakeTelegramBotApi,
    wecom: FakeWeComApi,
    clock: ManualClock,
) -> None:
    for i in range(3):
        private(store, 7000 + i, clock)
    robot(store, wecom, "pictures", clock)
    broadcast(store, clock, "**申报通知**：见图", image=PNG)
    await worker_for(store, senders, clock, max_in_flight=ONE_AT_A_TIME).run(until_done=True)
    photos = telegram.calls("sendPhoto")
    assert [c.ok for c in photos] == [True] * 3
    assert "photo" in photos[0].files and all(isinstance(c.params["photo"], str) for c in photos[1:])
    assert photos[0].result["caption"] == "申报通知：见图"
    assert photos[0].result["caption_entities"][0]["type"] == "bold"
    kinds = [m["msgtype"] for m in wecom.robot_messages("pictures")]
    assert kinds == ["markdown", "image"]


async def test_a_scheduled_broadcast_waits_for_its_time(
    store: BroadcastStore, senders: list[Sender], telegram: FakeTelegramBotApi, clock: ManualClock
) -> None:
    private(store, 8000, clock)
    b = broadcast(store, clock, send_at=clock() + 3600)
    await worker_for(store, senders, clock).run(until_done=True)
    assert telegram_counts(telegram) == Counter()
    scheduled = store.broadcast(b.id)
    assert scheduled is not None and scheduled.state == "scheduled"
    clock.advance(3600)
    await worker_for(store, senders, clock).run(until_done=True)
    assert telegram_counts(telegram) == Counter({8000: 1})


async def test_topics_choose_the_targets(
    store: BroadcastStore, senders: list[Sender], telegram: FakeTelegramBotApi, clock: ManualClock
) -> None:
    private(store, 9001, clock, "政策")
    private(store, 9002, clock, "活动")
    private(store, 9003, clock)  # every topic
    broadcast(store, clock, "活动预告", "活动")
    await worker_for(store, senders, clock).run(until_done=True)
    assert telegram_counts(telegram) == Counter({9002: 1, 9003: 1})
