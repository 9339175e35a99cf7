"""Reminders through the platforms, end to end: the real Telegram and WeCom channels against
the fake APIs on 127.0.0.1, and `zjtx serve` sending the reminder due when it starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.app import build, http_app
from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel
from bot.channels.wecom import WeComApi, WeComConfig
from bot.channels.wecom.channel import StoreReplayGuard, WeComChannel
from bot.db import connect
from bot.reminders.book import DROPPED, SENT
from bot.reminders.pushing import Dropped, Sent
from bot.reminders.scheduler import ReminderScheduler
from bot.service import Assistant
from bot.settings import TIMEZONE, Settings
from bot.store import SessionKey, SqliteStore
from dialogs.i18n import load_catalogs
from dialogs.messages import Choice, Menu
from tests.bot.channels.wecom import samples
from tests.conversations import ENGINE, INSTITUTION_TYPED
from tests.fakes.telegram_api import BOT_BLOCKED, FakeTelegramBotApi
from tests.fakes.wecom_api import MESSAGE_SEND, FakeWeComApi, ManualClock

from .test_scheduler import ManualClock as Clock

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

ZH = load_catalogs().messages["zh"]
USER = 42
SECRET = "webhook-s3cret_token"
START = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


class TelegramBot:
    def __init__(self, api: FakeTelegramBotApi, db: Path, clock: Clock) -> None:
        self.api = api
        self.clock = clock
        self.store = SqliteStore(connect(db))
        self.assistant = Assistant(self.store, ENGINE, clock=clock)
        self.channel = TelegramChannel(
            self.assistant,
            token=api.token,
            api_base_url=api.base_url,
            webhook_url="https://bot.example.org/telegram/webhook",
            webhook_secret=SECRET,
        )
        self.scheduler = ReminderScheduler(
            self.store.reminders, self.assistant.reminder, {"telegram": self.channel.push}, clock=clock
        )
        self.runner = web.AppRunner(http_app(self.store.db, [self.channel]))

    async def start(self) -> None:
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.api.webhook_redirect = f"http://127.0.0.1:{self.runner.addresses[0][1]}{WEBHOOK_PATH}"
        await self.channel.start()

    async def stop(self) -> None:
        await self.channel.stop()
        await self.runner.cleanup()
        self.store.close()

    async def say(self, text: str) -> None:
        assert await self.api.push_update(self.api.message_update(USER, USER, text)) == 200
        await self.channel.drain()

    async def press(self, message: dict[str, Any], label: str) -> None:
        update = self.api.button_press_update(USER, USER, label, message=message)
        assert await self.api.push_update(update) == 200
        await self.channel.drain()


@pytest.fixture
async def telegram(tmp_path: Path) -> AsyncIterator[TelegramBot]:
    async with FakeTelegramBotApi() as api:
        bot = TelegramBot(api, tmp_path / "zjtx.db", Clock(START))
        await bot.start()
        yield bot
        await bot.stop()


async def test_telegram_a_reminder_in_the_private_chat_with_its_two_buttons(telegram: TelegramBot) -> None:
    for text in ("/assess", INSTITUTION_TYPED["org_type"], INSTITUTION_TYPED["registered_capital"]):
        await telegram.say(text)
    telegram.clock.advance(hours=25)
    since = telegram.api.checkpoint()
    assert (await telegram.scheduler.send_due()).sent == 1
    [reminder] = [c.result for c in telegram.api.calls()[since:] if c.method == "sendMessage"]
    assert reminder["chat"]["id"] == USER and "第 3/4 题" in reminder["text"]
    assert labels(reminder) == [ZH["remind.continue"], ZH["remind.stop"]]
    await telegram.press(reminder, ZH["remind.stop"])  # the reminder's own button
    key = SessionKey("telegram", str(USER), str(USER))
    assert telegram.store.load(key).session.reminders_off
    assert ZH["remind.stopped"] in telegram.api.chat_messages(USER)[-1]["text"]


async def test_telegram_the_continue_button_asks_the_pending_question(telegram: TelegramBot) -> None:
    for text in ("/assess", INSTITUTION_TYPED["org_type"]):
        await telegram.say(text)
    telegram.clock.advance(hours=25)
    await telegram.scheduler.send_due()
    reminder = telegram.api.chat_messages(USER)[-1]
    since = telegram.api.checkpoint()
    await telegram.press(reminder, ZH["remind.continue"])
    [*_, question] = [c.result for c in telegram.api.calls()[since:] if c.method == "sendMessage"]
    assert "第 2/" in question["text"]


async def test_telegram_a_person_who_blocked_the_bot_is_dropped_not_retried(telegram: TelegramBot) -> None:
    await telegram.say("/assess")
    telegram.api.fail_chat(USER, BOT_BLOCKED)
    telegram.clock.advance(hours=25)
    assert (await telegram.scheduler.send_due()).dropped == 1
    [row] = telegram.store.reminders.of("telegram", str(USER), str(USER))
    assert row.state == DROPPED and "blocked" in (row.error or "")
    telegram.api.restore_chat(USER)
    telegram.clock.advance(days=1)
    assert (await telegram.scheduler.send_due()).sent == 0


async def test_telegram_push_refuses_a_group(telegram: TelegramBot) -> None:
    menu = [Menu("提醒", (Choice("/assess", "继续自测"),))]
    assert await telegram.channel.push("-1001234567890", menu) == Dropped("not a private chat")
    assert telegram.api.calls("sendMessage") == []


# --- WeCom --------------------------------------------------------------------------------------


@pytest.fixture
async def wecom(tmp_path: Path) -> AsyncIterator[tuple[WeComChannel, FakeWeComApi, SqliteStore]]:
    clock = ManualClock()
    async with FakeWeComApi(corp_id=samples.CORP_ID, secret="fake-secret", clock=clock) as fake:
        config = WeComConfig(
            corp_id=samples.CORP_ID,
            agent_id=218,
            secret="fake-secret",
            token=samples.TOKEN,
            aes_key=samples.ENCODING_AES_KEY,
        )
        wired = replace(config, api_base_url=fake.base_url)
        store = SqliteStore(connect(tmp_path / "wecom.db"))
        channel = WeComChannel(
            wired,
            Assistant(store, ENGINE, clock=Clock(START)),
            replay_guard=StoreReplayGuard(store),
            api=WeComApi.from_config(wired, clock=clock, sleep=clock.sleep),
            clock=clock,
        )
        yield channel, fake, store
        await channel.stop()
        store.close()


async def test_wecom_a_reminder_is_an_app_message_with_its_buttons(
    wecom: tuple[WeComChannel, FakeWeComApi, SqliteStore],
) -> None:
    channel, fake, _ = wecom
    reminder = ENGINE.reminder(_waiting(), "paused", START.date())
    assert await channel.push("zhangsan", reminder) == Sent()
    text, card = fake.delivered_messages()
    assert text["touser"] == "zhangsan" and "第 1/" in text["text"]["content"]
    assert [b["text"] for b in card["template_card"]["button_list"]] == [
        ZH["remind.continue"],
        ZH["remind.stop"],
    ]


async def test_wecom_a_user_wecom_refuses_is_dropped(
    wecom: tuple[WeComChannel, FakeWeComApi, SqliteStore],
) -> None:
    channel, fake, _ = wecom
    fake.fail_next(MESSAGE_SEND, 81013, errmsg="user & party & tag all invalid")
    verdict = await channel.push("gone", ENGINE.reminder(_waiting(), "paused", START.date()))
    assert isinstance(verdict, Dropped) and "81013" in verdict.reason


def _waiting() -> Any:
    from dialogs.session import Session

    return Session(mode="assess", pending="org_type", attempt=1)


# --- zjtx serve ---------------------------------------------------------------------------------


async def test_serve_sends_the_reminder_due_when_it_starts(tmp_path: Path) -> None:
    async with FakeTelegramBotApi() as api:
        settings = Settings(
            _env_file=None,
            ZJTX_DB=str(tmp_path / "zjtx.db"),
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url,
            TELEGRAM_WEBHOOK_URL="https://bot.example.org/telegram/webhook",
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            WECOM_CORP_ID=None,
            ZJTX_NOW="2026-11-23T10:00:00+08:00",
        )
        first = build(settings, worker=False)
        runner = web.AppRunner(first.web())
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        api.webhook_redirect = f"http://127.0.0.1:{runner.addresses[0][1]}{WEBHOOK_PATH}"
        await first.start()
        assert first.reminders is not None and first.assistant.clock().date() == START.date()
        for text in ("/assess", INSTITUTION_TYPED["org_type"]):
            assert await api.push_update(api.message_update(USER, USER, text)) == 200
        await first.stop()
        await runner.cleanup()
        first.close()
        key = ("telegram", str(USER), str(USER))

        later = settings.model_copy(update={"now": START + timedelta(hours=25)})
        second = build(later, worker=False)
        since = api.checkpoint()
        await second.start()  # the scheduler's first pass: the overdue reminder goes now
        sent = await api.wait_for_message(USER, containing="第 2/", since=since)
        assert labels(sent) == [ZH["remind.continue"], ZH["remind.stop"]]
        await second.stop()
        assert [r.state for r in second.store.reminders.of(*key)] == [SENT]
        second.close()

        third = build(later, worker=False)
        await third.start()
        await third.stop()
        assert [r.state for r in third.store.reminders.of(*key)] == [SENT]
        assert len([m for m in api.chat_messages(USER) if ZH["remind.continue"] in labels(m)]) == 1
        third.close()


def test_serve_reads_its_clock_from_zjtx_now(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, ZJTX_DB=str(tmp_path / "z.db"), ZJTX_NOW="2030-01-02T03:04:05+00:00")
    app = build(settings, channels=False, worker=False)
    try:
        ran = app.assistant.clock() - datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert timedelta(0) <= ran < timedelta(seconds=5)  # it starts there and runs on
        assert app.assistant.today().isoformat() == "2030-01-02"  # 11:04 in Beijing
    finally:
        app.close()
