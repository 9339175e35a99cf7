"""Fixtures for broadcasts: both fake platforms on one manual clock, enforcing their limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import broadcast_platforms
from bot.broadcast.desk import check_text
from bot.broadcast.outbox import Broadcast
from bot.broadcast.sending import Sender
from bot.broadcast.store import BroadcastStore
from bot.broadcast.subscriptions import Subscription
from bot.broadcast.worker import Worker
from bot.channels.telegram.sender import TelegramSender
from bot.channels.wecom.sender import RobotWebhookSender, add_robot
from bot.db import connect
from tests.fakes.telegram_api import FakeTelegramBotApi, FloodLimits
from tests.fakes.wecom_api import FakeWeComApi, ManualClock

PHOTO_AND_TEXT = FloodLimits(methods=frozenset({"sendMessage", "sendPhoto"}))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def telegram(clock: ManualClock) -> AsyncIterator[FakeTelegramBotApi]:
    async with FakeTelegramBotApi(clock=clock, wall_clock=clock) as api:
        api.enforce_flood_limits(PHOTO_AND_TEXT)
        yield api


@pytest.fixture
async def wecom(clock: ManualClock) -> AsyncIterator[FakeWeComApi]:
    async with FakeWeComApi(clock=clock) as api:
        yield api


@pytest.fixture
def store(tmp_path: Path) -> Iterator[BroadcastStore]:
    opened = BroadcastStore(connect(tmp_path / "zjtx.db"), broadcast_platforms())
    yield opened
    opened.close()


@pytest.fixture
async def senders(telegram: FakeTelegramBotApi, clock: ManualClock) -> AsyncIterator[list[Sender]]:
    made: list[Sender] = [
        TelegramSender.from_token(telegram.token, telegram.base_url),
        RobotWebhookSender(clock=clock, sleep=clock.sleep),
    ]
    yield made
    for sender in made:
        await sender.aclose()


def worker_for(store: BroadcastStore, senders: list[Sender], clock: ManualClock, **options: object) -> Worker:
    return Worker(store, senders, clock=clock, wall=clock, sleep=clock.sleep, **options)  # type: ignore[arg-type]


def private(store: BroadcastStore, chat: int, clock: ManualClock, *topics: str) -> Subscription:
    return store.subscribe(
        "telegram", str(chat), kind="private", name=f"用户 {chat}", topics=topics, by="test", now=clock()
    )


def group(store: BroadcastStore, chat: int, clock: ManualClock, *topics: str) -> Subscription:
    return store.subscribe(
        "telegram", str(chat), kind="group", name=f"群 {chat}", topics=topics, by="test", now=clock()
    )


def robot(
    store: BroadcastStore, wecom: FakeWeComApi, key: str, clock: ManualClock, *topics: str
) -> Subscription:
    url = f"{wecom.base_url}/cgi-bin/webhook/send?key={key}"
    return add_robot(store, url, name=f"企业微信群 {key}", topics=topics, by="test", now=clock())


def broadcast(
    store: BroadcastStore,
    clock: ManualClock,
    text: str = "**政策速递**：新政发布",
    *topics: str,
    **options: object,
) -> Broadcast:
    rendered, problem = check_text(text)
    assert problem is None
    return store.create(
        by="telegram:7",
        source=text,
        rendered=rendered,
        topics=topics,
        send_at=float(options.pop("send_at", clock())),  # type: ignore[arg-type]
        now=clock(),
        **options,  # type: ignore[arg-type]
    )
