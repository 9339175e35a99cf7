"""/forget leaves no row that names the person, in any table and any column of the database.

The person (and a staff member) go through the real channels against the fake platforms,
so the inbox, the reply outbox, the staff notices, a subscription of their private chat,
a session kept aside and an old replay key all exist before they ask to be forgotten.
Then every table and every column is searched for their id.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from bot.app import broadcast_platforms, http_app
from bot.broadcast.desk import BroadcastDesk
from bot.broadcast.store import BroadcastStore
from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel
from bot.channels.telegram.sender import TelegramSender
from bot.channels.wecom import CALLBACK_PATH, WeComApi, WeComConfig, WeComCrypto
from bot.channels.wecom.channel import WeComChannel
from bot.db import Db, connect
from bot.mailroom import Mailroom
from bot.service import Assistant
from bot.store import SessionKey, SqliteStore
from dialogs.engine import DialogEngine
from tests.bot.channels.wecom import samples
from tests.fakes.telegram_api import FakeTelegramBotApi
from tests.fakes.wecom_api import FakeWeComApi

TODAY = date(2026, 11, 23)
ENGINE = DialogEngine()
PERSON = 7777123455  # ids no other value in the database contains
STAFF = 7777000111
GROUP = -1009999888777
STAFF_CHAT = -1003333444555
SECRET = "forget-secret"
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def rows_naming(db: Db, who: str) -> list[tuple[str, str, int]]:
    """(table, column, rows) of every column of every table where ``who`` appears."""
    found = []
    tables = [r[0] for r in db.rows("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for column in [r[1] for r in db.rows(f"PRAGMA table_info({table})")]:
            row = db.row(
                f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS TEXT) LIKE ?', [f"%{who}%"]
            )
            if row and row[0]:
                found.append((table, column, int(row[0])))
    return found


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramBotApi]:
    async with FakeTelegramBotApi() as api:
        yield api


async def test_forget_on_telegram_leaves_nothing_that_names_the_person(
    tmp_path: Path, telegram: FakeTelegramBotApi
) -> None:
    db = connect(tmp_path / "zjtx.db")
    store, broadcasts = SqliteStore(db), BroadcastStore(db, broadcast_platforms())
    helper = TelegramSender.from_token(telegram.token, telegram.base_url)
    mail = Mailroom(db, staff_chat=f"telegram:{STAFF_CHAT}")
    assistant = Assistant(
        store,
        ENGINE,
        lambda: TODAY,
        staff=frozenset({f"telegram:{STAFF}"}),
        broadcasts=BroadcastDesk(broadcasts, ENGINE.cat, telegram=helper),
        mail=mail,
    )
    channel = TelegramChannel(
        assistant,
        token=telegram.token,
        api_base_url=telegram.base_url,
        webhook_url="https://bot.example.org/telegram/webhook",
        webhook_secret=SECRET,
    )
    runner = web.AppRunner(http_app(db, [channel]))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    telegram.webhook_redirect = f"http://127.0.0.1:{runner.addresses[0][1]}{WEBHOOK_PATH}"
    await channel.start()

    async def say(text: str, user: int = PERSON, chat: int | None = None, **kw: Any) -> None:
        kind: dict[str, Any] = {"chat_type": "supergroup", "chat_title": "会员群"} if chat else {}
        update = telegram.message_update(chat or user, user, text, **kind, **kw)
        assert await telegram.push_update(update) == 200
        await channel.drain()

    try:
        store.put_raw(SessionKey("telegram", str(GROUP), str(PERSON)), '{"version": 1, "answers": 7}')
        await say("/tiers@zjtx_test_bot", chat=GROUP)  # that unreadable session is kept aside
        for text in ("/start", "/subscribe", "/callme", "yes", "广州某某科技有限公司", "李四", "13800138000"):
            await say(text)
        await say("/assess")
        await say("1")
        telegram.set_admins(GROUP, [STAFF], owner_id=STAFF)
        await say("/subscribe@zjtx_test_bot", user=STAFF, chat=GROUP)
        await say("/handled 1", user=STAFF)
        person, staff = str(PERSON), str(STAFF)
        assert {t for t, _, _ in rows_naming(db, person)} >= {
            "sessions", "sessions_quarantine", "leads", "inbox", "reply_outbox", "broadcast_subscriptions",
        }  # fmt: skip
        notices = telegram.sent_messages(STAFF_CHAT)
        assert any("13800138000" in m["text"] for m in notices)  # the enquiry reached the staff chat

        await say("/forget")  # asked to confirm first, then confirmed by typing yes
        await say("是")
        assert "已删除" in telegram.sent_messages(PERSON)[-1]["text"]
        assert rows_naming(db, person) == []
        assert rows_naming(db, staff)  # others are kept

        await say("/forget", user=STAFF)
        await say("是", user=STAFF)
        assert rows_naming(db, staff) == []
        assert broadcasts.subscription("telegram", str(GROUP)) is not None  # the group stays subscribed
    finally:
        await channel.stop()
        await runner.cleanup()
        await helper.aclose()
        db.close()


async def test_forget_on_wecom_leaves_nothing_that_names_the_person(tmp_path: Path) -> None:
    user = "zhang_forget_7777"
    db = connect(tmp_path / "zjtx.db")
    with db.tx() as conn:  # a replay key as the first versions kept it, naming the sender
        conn.execute(
            "INSERT INTO seen (scope, key, at) VALUES ('wecom', ?, ?)",
            [f"wecom:event:{user}:1700000000:click:/menu", datetime.now(UTC).isoformat(timespec="seconds")],
        )
    store = SqliteStore(db)
    async with FakeWeComApi(corp_id=samples.CORP_ID, clock=time.time) as fake:
        config = WeComConfig(
            corp_id=samples.CORP_ID,
            agent_id=218,
            secret=fake.secret,
            token=samples.TOKEN,
            aes_key=samples.ENCODING_AES_KEY,
            api_base_url=fake.base_url,
        )
        mail = Mailroom(db, staff_chat="wecom:secretary")
        channel = WeComChannel(
            config, Assistant(store, ENGINE, lambda: TODAY, mail=mail), api=WeComApi.from_config(config)
        )
        crypto = WeComCrypto(samples.TOKEN, samples.ENCODING_AES_KEY, samples.CORP_ID)
        ids = itertools.count(5_000_000)
        async with TestClient(TestServer(http_app(db, [channel]), host="127.0.0.1")) as client:
            await channel.start()

            async def post(inner: str) -> None:
                now = str(int(time.time()))
                envelope = crypto.envelope(inner, timestamp=now, nonce=str(next(ids)), agent_id="218")
                query = "&".join(f"{k}={v}" for k, v in envelope.query().items())
                response = await client.post(URL(f"{CALLBACK_PATH}?{query}", encoded=True), data=envelope.xml)
                assert response.status == 200
                await channel.drain()

            def head(kind: str) -> str:
                return (
                    f"<xml><ToUserName><![CDATA[{samples.CORP_ID}]]></ToUserName>"
                    f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
                    f"<MsgType><![CDATA[{kind}]]></MsgType>"
                )

            async def say(text: str) -> None:
                await post(
                    head("text") + f"<Content><![CDATA[{text}]]></Content><MsgId>{next(ids)}</MsgId></xml>"
                )

            await post(head("event") + "<Event><![CDATA[enter_agent]]></Event></xml>")
            for text in ("/callme", "同意", "广州某某科技有限公司", "王五", "13800138000", "/assess", "1"):
                await say(text)
            assert any(m.get("touser") == "secretary" for m in fake.delivered_messages())
            assert {t for t, _, _ in rows_naming(db, user)} >= {
                "sessions",
                "leads",
                "inbox",
                "reply_outbox",
                "seen",
            }
            await say("/forget")
            await say("是")
            assert "已删除" in fake.delivered_messages()[-1]["text"]["content"]
            assert rows_naming(db, user) == []
            await channel.stop()
    db.close()
