"""The staff desk end to end: `zjtx serve`'s application (bot.app.build) with the Telegram
channel in webhook mode against the fake Bot API and the WeCom channel against the fake
WeCom API, both on 127.0.0.1. People and staff write as the platforms deliver; every
helper returns once the update is handled and its messages are sent (no sleeps)."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from yarl import URL

from bot.app import App, build
from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel
from bot.channels.wecom import CALLBACK_PATH, WeComCrypto
from bot.channels.wecom.channel import WeComChannel
from bot.settings import TIMEZONE, Settings
from bot.store import SessionKey
from dialogs.engine import DialogEngine
from tests.bot.channels.wechat import conftest as wechat_account
from tests.bot.channels.wecom import samples
from tests.fakes.telegram_api import FakeTelegramBotApi
from tests.fakes.wechat_api import FakeWeChatApi
from tests.fakes.wecom_api import FakeWeComApi

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

ENGINE = DialogEngine()
GROUP = -1001234500001  # the staff group
PERSON = 42  # a Telegram user asking
OTHER = 43  # another Telegram user
STAFF = 7  # a staff member in the group (ZJTX_STAFF)
STRANGER = 99  # a member of the staff group who is not staff
WECOM_PERSON = "zhangsan"
WECOM_STAFF = "lisi"
WECHAT_PERSON = "oZjtx_desk_person_0001"
SECRET = "desk-webhook_secret"
# Tuesday 24 November 2026, 10:00 in Guangzhou: the office is open
OPEN_TIME = datetime(2026, 11, 24, 2, 0, tzinfo=UTC).timestamp()
# Saturday 28 November 2026, 10:00 in Guangzhou: closed until Monday 09:00
WEEKEND = datetime(2026, 11, 28, 2, 0, tzinfo=UTC).timestamp()


class Clock:
    """The assistant's clock (bot.settings.Clock): it moves only when told."""

    def __init__(self, now: float = OPEN_TIME) -> None:
        self.now = now  # Unix seconds

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.now, TIMEZONE)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Desk:
    """One running assistant with both channels, the fakes, and how to talk to them."""

    app: App
    telegram: FakeTelegramBotApi
    wecom: FakeWeComApi
    wechat: FakeWeChatApi
    runner: web.AppRunner
    clock: Clock
    crypto: WeComCrypto
    base: str
    ids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def channel(self) -> TelegramChannel:
        return next(c for c in self.app.channels if isinstance(c, TelegramChannel))

    @property
    def wecom_channel(self) -> WeComChannel:
        return next(c for c in self.app.channels if isinstance(c, WeComChannel))

    async def drain(self) -> None:
        """Until every update is handled and every message sent, whichever channel it is in
        (a staff answer in one channel is sent in another, and "✓ sent" comes back after)."""
        while True:
            for channel in self.app.channels:
                await channel.drain()  # type: ignore[attr-defined]
            await self.app.mail.drain()
            if not (self.app.mail.dispatcher.busy or self.app.mail.postman.waiting()):
                return

    # --- Telegram ----------------------------------------------------------------------------

    async def push(self, update: dict[str, Any]) -> None:
        assert await self.telegram.push_update(update) == 200
        await self.drain()

    async def say(self, text: str, user: int = PERSON, **kwargs: Any) -> list[dict[str, Any]]:
        """A person writes in their private chat; the messages the bot sent them."""
        since = self.telegram.checkpoint()
        await self.push(self.telegram.message_update(user, user, text, first_name="王小明", **kwargs))
        return self.sent_to(user, since)

    async def in_group(
        self, text: str, user: int = STAFF, *, reply_to: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[dict[str, Any]]:
        """Someone writes in the staff group; the messages the bot then sent there."""
        since = self.telegram.checkpoint()
        update = self.telegram.message_update(
            GROUP, user, text, chat_type="supergroup", first_name="陈老师" if user == STAFF else "路人",
            reply_to_message=reply_to, **kwargs,
        )  # fmt: skip
        await self.push(update)
        return self.sent_to(GROUP, since)

    async def press(self, message: dict[str, Any], label: str, user: int = STAFF) -> None:
        await self.push(self.telegram.button_press_update(GROUP, user, label, message=message))

    def sent_to(self, chat: int, since: int = 0) -> list[dict[str, Any]]:
        return [
            call.result
            for call in self.telegram.calls()[since:]
            if call.method == "sendMessage" and call.ok and call.result["chat"]["id"] == chat
        ]

    def notice(self, ticket_id: int = 1) -> dict[str, Any]:
        """The ticket's notice as the staff group shows it now (after edits)."""
        shown = [
            m
            for m in self.telegram.chat_messages(GROUP)
            if m.get("text", "").startswith(f"🙋 工单 #{ticket_id} ")
        ]
        assert shown, f"no notice of ticket #{ticket_id} in the staff group"
        return shown[0]

    # --- WeCom -------------------------------------------------------------------------------

    async def wecom_say(self, text: str, user: str = WECOM_PERSON) -> list[dict[str, Any]]:
        """A WeCom user writes to the app; the messages the app then sent them."""
        seen = len(self.wecom.delivered_messages())
        number = next(self.ids)
        at = int(time.time())
        plaintext = (
            f"<xml><ToUserName><![CDATA[{samples.CORP_ID}]]></ToUserName>"
            f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{at}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
            f"<MsgId>{7_000_000 + number}</MsgId><AgentID>218</AgentID></xml>"
        )
        envelope = self.crypto.envelope(plaintext, timestamp=str(at), nonce=f"n{number}", agent_id="218")
        query = "&".join(f"{k}={v}" for k, v in envelope.query().items())
        from aiohttp import ClientSession

        async with (
            ClientSession() as session,
            session.post(
                URL(f"{self.base}{CALLBACK_PATH}?{query}", encoded=True), data=envelope.xml
            ) as response,
        ):
            assert response.status == 200, await response.text()
        await self.drain()
        return self.wecom_to(user, seen)

    def wecom_to(self, user: str, since: int = 0) -> list[dict[str, Any]]:
        return [m for m in self.wecom.delivered_messages()[since:] if m["touser"] == user]

    # --- WeChat ------------------------------------------------------------------------------

    async def wechat_say(self, text: str, user: str = WECHAT_PERSON) -> list[dict[str, Any]]:
        """A follower writes to the Official Account; the customer-service messages sent to
        them for it (the passive reply aside)."""
        from aiohttp import ClientSession

        from bot.channels.tencent import MsgCrypto, signature
        from tests.bot.channels.wechat.test_wechat_channel import text_xml, wrapped

        seen = len(self.wechat.delivered(user))
        self.wechat.follower_messaged(user)
        number = next(self.ids)
        at, nonce = str(int(time.time())), f"w{number}"
        crypto = MsgCrypto(wechat_account.TOKEN, wechat_account.AES_KEY, wechat_account.APP_ID)
        encrypt = crypto.encrypt(text_xml(user, text, 8_000_000 + number, int(at)))
        query = "&".join(
            f"{k}={v}"
            for k, v in {
                "signature": signature(wechat_account.TOKEN, at, nonce), "timestamp": at, "nonce": nonce,
                "openid": user, "encrypt_type": "aes", "msg_signature": crypto.sign(at, nonce, encrypt),
            }.items()
        )  # fmt: skip
        async with (
            ClientSession() as session,
            session.post(
                URL(f"{self.base}/wechat/callback?{query}", encoded=True), data=wrapped(encrypt)
            ) as got,
        ):
            assert got.status == 200, await got.text()
        await self.drain()
        return self.wechat.delivered(user)[seen:]

    # --- the store ---------------------------------------------------------------------------

    def session(self, user: int = PERSON) -> Any:
        return self.app.store.load(SessionKey("telegram", str(user), str(user))).session


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") or m.get("text", {}).get("content", "") for m in messages)


def wecom_texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", {}).get("content", "") for m in messages if m.get("msgtype") == "text")


MakeDesk = Callable[..., Awaitable[Desk]]


Fakes = tuple[FakeTelegramBotApi, FakeWeComApi, FakeWeChatApi]


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    async with (
        FakeTelegramBotApi() as telegram,
        FakeWeComApi(corp_id=samples.CORP_ID, secret="fake-secret", clock=time.time) as wecom,
        FakeWeChatApi(app_id=wechat_account.APP_ID, secret=wechat_account.SECRET, clock=time.time) as wechat,
    ):
        telegram.set_admins(GROUP, [STAFF, telegram.bot_id], owner_id=STAFF)
        yield telegram, wecom, wechat


@pytest.fixture
async def make_desk(fakes: Fakes, tmp_path: Path) -> AsyncIterator[MakeDesk]:
    """Start the assistant (again, on the same database: a restart) with these settings."""
    telegram, wecom, wechat = fakes
    running: list[Desk] = []

    async def start(clock: Clock | None = None, **values: Any) -> Desk:
        clock = clock or Clock()
        settings = Settings(
            _env_file=None,
            **{
                "ZJTX_DB": str(tmp_path / "zjtx.db"),
                "ZJTX_STAFF": f"telegram:{STAFF},wecom:{WECOM_STAFF}",
                "ZJTX_STAFF_CHAT": f"telegram:{GROUP}",
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook",
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "WECOM_CORP_ID": samples.CORP_ID,
                "WECOM_AGENT_ID": 218,
                "WECOM_SECRET": "fake-secret",
                "WECOM_TOKEN": samples.TOKEN,
                "WECOM_AES_KEY": samples.ENCODING_AES_KEY,
                "WECOM_API_BASE_URL": wecom.base_url,
                "WECHAT_APP_ID": wechat_account.APP_ID,
                "WECHAT_APP_SECRET": wechat_account.SECRET,
                "WECHAT_TOKEN": wechat_account.TOKEN,
                "WECHAT_AES_KEY": wechat_account.AES_KEY,
                "WECHAT_API_BASE_URL": wechat.base_url,
                **values,
            },
        )
        app = build(settings, engine=ENGINE, worker=False, clock=clock)
        runner = web.AppRunner(app.web())
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        telegram.webhook_redirect = f"{base}{WEBHOOK_PATH}"
        await app.start()
        crypto = WeComCrypto(samples.TOKEN, samples.ENCODING_AES_KEY, samples.CORP_ID)
        desk = Desk(app, telegram, wecom, wechat, runner, clock, crypto, base)
        running.append(desk)
        return desk

    yield start
    for desk in running:
        await stop(desk)


async def stop(desk: Desk) -> None:
    """Stop the assistant as SIGTERM does (safe to call twice)."""
    await desk.app.stop()
    await desk.runner.cleanup()
    desk.app.close()


@pytest.fixture
async def desk(make_desk: MakeDesk) -> Desk:
    return await make_desk()
