"""Broadcasts as staff and subscribers see them in a chat, through the Assistant.

Compose → preview → confirm → delivery end to end: the preview is a real message at the
fake Telegram, and the subscribers then get the very same message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import broadcast_platforms
from bot.broadcast.desk import BroadcastDesk
from bot.broadcast.sending import Sender
from bot.broadcast.store import BroadcastStore
from bot.channels.telegram.sender import TelegramSender
from bot.db import connect
from bot.service import Assistant
from bot.store import SessionKey, SqliteStore
from dialogs.engine import DialogEngine
from dialogs.messages import Inbound, Menu, Outbound, Text
from tests.fakes.pictures import png
from tests.fakes.telegram_api import FakeTelegramBotApi
from tests.fakes.wecom_api import FakeWeComApi, ManualClock

from .conftest import private, robot, worker_for

ENGINE = DialogEngine()
STAFF = SessionKey("telegram", "7", "7")
PERSON = SessionKey("telegram", "42", "42")
GROUP_ADMIN = SessionKey("telegram", "-100200", "43")
GROUP_MEMBER = SessionKey("telegram", "-100200", "44")
PNG = png()  # a real picture: the fake Bot API opens what sendPhoto uploads
TEXT = (
    "# 政策速递\n**2026 年专精特新奖励**开始申报，详见[通知](https://example.gov.cn/n?a=1&b=2)。\n"
    "- 截止 `12月1日`"
)


def said(replies: list[Outbound]) -> str:
    return "\n".join(getattr(r, "text", "") for r in replies)


def choices(replies: list[Outbound]) -> list[str]:
    return [c.value for r in replies if isinstance(r, Menu) for c in r.choices]


def labels(replies: list[Outbound]) -> list[str]:
    return [c.label for r in replies if isinstance(r, Menu) for c in r.choices]


@pytest.fixture
async def helper(telegram: FakeTelegramBotApi) -> AsyncIterator[TelegramSender]:
    sender = TelegramSender.from_token(telegram.token, telegram.base_url)
    yield sender
    await sender.aclose()


@pytest.fixture
def assistant(tmp_path: Path, store: BroadcastStore, helper: TelegramSender, clock: ManualClock) -> Assistant:
    sessions = SqliteStore(connect(tmp_path / "zjtx.db"))
    desk = BroadcastDesk(store, ENGINE.cat, telegram=helper, wall=clock)
    return Assistant(
        sessions, ENGINE, lambda: date(2026, 11, 23), staff=frozenset({"telegram:7"}), broadcasts=desk
    )


async def test_compose_preview_confirm_and_every_subscriber_gets_what_was_previewed(
    assistant: Assistant,
    store: BroadcastStore,
    senders: list[Sender],
    telegram: FakeTelegramBotApi,
    wecom: FakeWeComApi,
    clock: ManualClock,
) -> None:
    for chat in (1001, 1002, 1003):
        private(store, chat, clock, "policy")
    private(store, 1004, clock, "event")
    robot(store, wecom, "group-key", clock, "policy")

    asked = await assistant.handle(STAFF, Inbound(text="/broadcast"))
    assert "正文" in said(asked)
    asked = await assistant.handle(STAFF, Inbound(text=TEXT))
    assert "/broadcast noimage" in choices(asked)
    asked = await assistant.handle(STAFF, Inbound(choice="/broadcast noimage"))
    assert "/broadcast topic policy" in choices(asked) and "政策" in labels(asked)
    review = await assistant.handle(STAFF, Inbound(choice="/broadcast topic policy"))

    preview = telegram.sent_messages(7)
    assert len(preview) == 1  # the preview is a real message, sent the way targets get theirs
    assert preview[0]["text"].startswith("政策速递\n2026 年专精特新奖励开始申报")
    assert {e["type"] for e in preview[0]["entities"]} == {"bold", "text_link", "code"}
    assert "3 个 Telegram 聊天和 1 个企业微信群" in said(review)
    assert "# 政策速递" in said(review)  # the WeCom rendering, shown beside it
    assert choices(review)[:2] == ["/broadcast send", "/broadcast schedule"]
    assert telegram.sent_messages(1001) == []  # nothing goes out before the confirmation

    queued = await assistant.handle(STAFF, Inbound(choice="/broadcast send"))
    assert "#1" in said(queued)
    await worker_for(store, senders, clock).run(until_done=True)

    for chat in (1001, 1002, 1003):
        (got,) = telegram.sent_messages(chat)
        assert (got["text"], got["entities"]) == (preview[0]["text"], preview[0]["entities"])
    assert telegram.sent_messages(1004) == []
    (markdown,) = wecom.robot_messages("group-key")
    assert markdown["markdown"]["content"].startswith("# 政策速递\n**2026 年专精特新奖励**")

    report = await assistant.handle(STAFF, Inbound(text="/broadcasts 1"))
    assert "已发送 4" in said(report) and "telegram:7" in said(report)
    listed = await assistant.handle(STAFF, Inbound(text="/broadcasts"))
    assert "#1 已完成" in said(listed)


async def test_someone_who_is_not_staff_is_refused_and_nothing_is_recorded(
    assistant: Assistant, store: BroadcastStore, telegram: FakeTelegramBotApi
) -> None:
    refused = await assistant.handle(PERSON, Inbound(text="/broadcast"))
    assert "工作人员" in said(refused)
    assert store.draft(PERSON) is None
    assert "工作人员" in said(await assistant.handle(PERSON, Inbound(text="/broadcasts")))
    assert "工作人员" in said(await assistant.handle(PERSON, Inbound(choice="/broadcast send")))
    assert store.broadcasts() == []
    # and what they type next is the normal dialog, not a broadcast text
    assert not assistant.broadcasts or not assistant.broadcasts.claims(PERSON, Inbound(text="你好"), False)


async def test_a_broadcast_can_be_scheduled_listed_and_cancelled(
    assistant: Assistant, store: BroadcastStore, clock: ManualClock
) -> None:
    private(store, 2001, clock)
    for step in ("/broadcast", "活动预告：12 月沙龙"):
        await assistant.handle(STAFF, Inbound(text=step))
    await assistant.handle(STAFF, Inbound(choice="/broadcast noimage"))
    await assistant.handle(STAFF, Inbound(text="活动"))
    asked = await assistant.handle(STAFF, Inbound(choice="/broadcast schedule"))
    assert "北京时间" in said(asked)
    wrong = await assistant.handle(STAFF, Inbound(text="下周某天"))
    assert "2026-12-01 09:00" in said(wrong)
    past = await assistant.handle(STAFF, Inbound(text="2020-01-01 09:00"))
    assert "已经过去" in said(past)
    done = await assistant.handle(STAFF, Inbound(text="2026-12-01 09:00"))
    assert "2026-12-01 09:00" in said(done)
    (b,) = store.broadcasts()
    assert b.state == "scheduled" and b.topics == ("event",) and b.created_by == "telegram:7"
    assert "定时" in said(await assistant.handle(STAFF, Inbound(text="/broadcasts")))
    assert "已取消" in said(await assistant.handle(STAFF, Inbound(text=f"/broadcasts cancel {b.id}")))
    cancelled = store.broadcast(b.id)
    assert cancelled is not None and cancelled.state == "cancelled"


async def test_compose_refuses_what_cannot_be_sent_and_can_be_cancelled(
    assistant: Assistant, store: BroadcastStore
) -> None:
    await assistant.handle(STAFF, Inbound(text="/broadcast"))
    too_long = await assistant.handle(STAFF, Inbound(text="长" * 4100))
    assert "4096" in said(too_long)
    await assistant.handle(STAFF, Inbound(text="短讯"))
    bad = await assistant.handle(STAFF, Inbound(text="一张图"))
    assert "http" in said(bad)
    await assistant.handle(STAFF, Inbound(text="不要"))
    unknown = await assistant.handle(STAFF, Inbound(text="体育"))
    assert "体育" in said(unknown) and "政策" in said(unknown)
    # an unrelated command in between is the dialog's; the draft waits
    assert store.draft(STAFF) is not None
    assert not assistant.broadcasts or not assistant.broadcasts.claims(STAFF, Inbound(text="/tiers"), True)
    cancelled = await assistant.handle(STAFF, Inbound(text="/cancel"))
    assert "什么也没有发送" in said(cancelled)
    assert store.draft(STAFF) is None and store.broadcasts() == []
    stale = await assistant.handle(STAFF, Inbound(choice="/broadcast send"))
    assert "/broadcast" in said(stale) and store.broadcasts() == []


async def test_an_image_link_is_fetched_checked_and_sent_with_the_broadcast(
    assistant: Assistant, store: BroadcastStore, telegram: FakeTelegramBotApi, clock: ManualClock
) -> None:
    async def poster(_: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    async def page(_: web.Request) -> web.Response:
        return web.Response(text="<html></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/poster.png", poster)
    app.router.add_get("/page.html", page)
    async with TestServer(app, host="127.0.0.1") as server:
        await assistant.handle(STAFF, Inbound(text="/broadcast"))
        await assistant.handle(STAFF, Inbound(text="**海报**"))
        wrong = await assistant.handle(STAFF, Inbound(text=str(server.make_url("/page.html"))))
        assert "PNG" in said(wrong)
        missing = await assistant.handle(STAFF, Inbound(text=str(server.make_url("/gone.png"))))
        assert "下载不到" in said(missing)
        topics = await assistant.handle(STAFF, Inbound(text=str(server.make_url("/poster.png"))))
        assert "/broadcast topic 全部" in choices(topics)
    review = await assistant.handle(STAFF, Inbound(text="全部"))
    assert "含配图" in said(review)
    (photo,) = telegram.calls("sendPhoto")
    assert photo.files["photo"].content == PNG and photo.result["caption"] == "海报"
    await assistant.handle(STAFF, Inbound(choice="/broadcast send"))
    (b,) = store.broadcasts()
    assert b.has_image and store.content(b.id).image == PNG


async def test_subscriptions_in_private_chats_and_groups(
    assistant: Assistant, store: BroadcastStore, telegram: FakeTelegramBotApi
) -> None:
    done = await assistant.handle(PERSON, Inbound(text="/subscribe"))
    assert "全部主题" in said(done) and "/subscribe policy" in choices(done)
    narrowed = await assistant.handle(PERSON, Inbound(choice="/subscribe policy"))
    assert "政策" in said(narrowed)
    sub = store.subscription("telegram", "42")
    assert sub is not None and sub.topics == ("policy",) and sub.kind == "private"

    telegram.set_admins(-100200, [43])
    refused = await assistant.handle(GROUP_MEMBER, Inbound(text="/subscribe"))
    assert "管理员" in said(refused) and store.subscription("telegram", "-100200") is None
    accepted = await assistant.handle(GROUP_ADMIN, Inbound(text="/subscribe@zjtx_test_bot 政策 申报通知"))
    assert "政策、申报通知" in said(accepted)
    grp = store.subscription("telegram", "-100200")
    assert grp is not None and grp.kind == "group" and grp.active and grp.added_by == "telegram:43"
    assert "管理员" in said(await assistant.handle(GROUP_MEMBER, Inbound(text="/unsubscribe")))
    staff_in_group = SessionKey("telegram", "-100200", "7")
    partly = await assistant.handle(staff_in_group, Inbound(text="/unsubscribe 政策"))
    assert "申报通知" in said(partly)
    assert "私聊" in said(await assistant.handle(staff_in_group, Inbound(text="/broadcasts")))
    assert "私聊" in said(await assistant.handle(staff_in_group, Inbound(text="/broadcast")))
    assert store.draft(staff_in_group) is None
    assert "私聊" in said(await assistant.handle(staff_in_group, Inbound(text="/broadcasts")))
    assert "私聊" in said(await assistant.handle(staff_in_group, Inbound(text="/broadcast")))
    assert store.draft(staff_in_group) is None

    gone = await assistant.handle(PERSON, Inbound(text="/unsubscribe"))
    assert "已退订" in said(gone)
    sub = store.subscription("telegram", "42")
    assert sub is not None and not sub.active and sub.inactive_reason == "broadcast.reason.unsubscribed"
    assert "没有订阅" in said(await assistant.handle(PERSON, Inbound(text="/unsubscribe")))


async def test_the_bot_removed_from_a_group_retires_its_subscription(
    assistant: Assistant, store: BroadcastStore, clock: ManualClock
) -> None:
    sub = store.subscribe("telegram", "-100300", kind="group", name="某群", topics=(), by="t", now=clock())
    assert assistant.broadcasts is not None
    assert assistant.broadcasts.chat_gone("telegram", "-100300", "removed from the group (my_chat_member)")
    now = store.subscription_by_id(sub.id)
    assert (
        now is not None
        and not now.active
        and now.inactive_reason == "removed from the group (my_chat_member)"
    )


def test_the_terminal_composes_with_a_text_preview(tmp_path: Path) -> None:
    db = connect(tmp_path / "zjtx.db")
    sessions, store = SqliteStore(db), BroadcastStore(db, broadcast_platforms())
    store.subscribe("telegram", "1", kind="private", name="p", topics=(), by="t", now=0)
    me = SessionKey("console", "local", "local")
    bot = Assistant(
        sessions,
        ENGINE,
        lambda: date(2026, 11, 23),
        staff=frozenset({"console:local"}),
        broadcasts=BroadcastDesk(store, ENGINE.cat),
    )
    for line in ("/broadcast", "**通知**：[详情](https://example.cn)", "/broadcast noimage"):
        bot.handle_now(me, Inbound(text=line))
    review = bot.handle_now(me, Inbound(text="1 2"))
    assert "通知：详情 (https://example.cn)" in said(review)
    assert "**通知**：[详情](https://example.cn)" in said(review)
    queued = bot.handle_now(me, Inbound(text="/broadcast send"))
    assert "#1" in said(queued)
    (b,) = store.broadcasts()
    assert b.topics == ("policy", "event") and b.created_by == "console:local"
    assert isinstance(review[0], Text)
    assert "Telegram" in said(bot.handle_now(me, Inbound(text="/subscribe")))


def test_topics_are_shown_in_the_persons_language_and_typed_in_either(tmp_path: Path) -> None:
    db = connect(tmp_path / "zjtx.db")
    sessions, store = SqliteStore(db), BroadcastStore(db, broadcast_platforms())
    person = SessionKey("telegram", "42", "42")
    bot = Assistant(sessions, ENGINE, lambda: date(2026, 11, 23), broadcasts=BroadcastDesk(store, ENGINE.cat))
    bot.handle_now(person, Inbound(text="/lang en"))
    done = bot.handle_now(person, Inbound(text="/subscribe"))
    assert "Policy" in labels(done)[0] and "政策" not in said(done) + "".join(labels(done))
    narrowed = bot.handle_now(person, Inbound(text="/subscribe 政策 Events"))
    assert "Policy, Events" in said(narrowed)
    sub = store.subscription("telegram", "42")
    assert sub is not None and sub.topics == ("policy", "event")


def test_a_label_of_several_words_is_one_topic(tmp_path: Path) -> None:
    store = BroadcastStore(connect(tmp_path / "zjtx.db"), broadcast_platforms())
    desk = BroadcastDesk(store, ENGINE.cat)
    person = SessionKey("telegram", "43", "43")
    desk.handle_now(person, Inbound(text="/subscribe calls for applications, policy"), staff=False, lang="en")
    sub = store.subscription("telegram", "43")
    assert sub is not None and sub.topics == ("policy", "call")
