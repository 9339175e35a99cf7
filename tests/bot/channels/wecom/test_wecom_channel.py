"""The WeCom channel end to end: encrypted callbacks POSTed to the shared server, the dialog
engine and a SQLite store behind it, replies through the fake WeCom API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from bot.app import build, http_app, staff_notifier
from bot.channels.wecom import (
    CALLBACK_PATH,
    Backoff,
    SendResult,
    WeComApi,
    WeComConfig,
    WeComCrypto,
    WeComError,
    utf8_size,
)
from bot.channels.wecom.channel import (
    WeComChannel,
    channel_from_settings,
)
from bot.db import connect
from bot.mailroom import Mailroom
from bot.service import Assistant
from bot.settings import Settings
from bot.store import MemoryStore, SessionKey, SqliteStore
from dialogs import results
from dialogs.engine import DialogEngine
from dialogs.i18n import load_catalogs, placeholders
from dialogs.messages import Inbound, Notify
from rules import assess, default_rules, parse_profile
from tests.conversations import FIGURES_TYPED
from tests.fakes.wecom_api import GETTOKEN, MESSAGE_SEND, FakeWeComApi, ManualClock
from tests.rules.examples import EXAMPLE_A

from . import samples

TODAY = date(2026, 11, 23)
ENGINE = DialogEngine()
ZH = load_catalogs().messages["zh"]
USER = "zhangsan"
OPTION = re.compile(r"^(\d+)\. (.+)$")


class Served:
    """One running server: the shared app with the WeCom channel, a store, the fake API."""

    def __init__(
        self,
        client: TestClient[web.Request, web.Application],
        channel: WeComChannel,
        store: SqliteStore,
        fake: FakeWeComApi,
        crypto: WeComCrypto,
        clock: ManualClock,
        ids: Iterator[int],
    ) -> None:
        self.client = client
        self.channel = channel
        self.store = store
        self.fake = fake
        self.crypto = crypto
        self.clock = clock
        self.ids = ids
        self._seen = len(fake.delivered_messages())

    async def post_raw(self, query: str, body: bytes) -> tuple[int, str]:
        response = await self.client.post(URL(f"{CALLBACK_PATH}?{query}", encoded=True), data=body)
        return response.status, await response.text()

    async def post(self, plaintext: str) -> tuple[int, str]:
        """POST ``plaintext`` encrypted and signed as WeCom does, and wait for its replies."""
        self.clock.advance(1)  # events are told apart by their second
        envelope = self.crypto.envelope(
            plaintext, timestamp=str(int(self.clock())), nonce=str(next(self.ids)), agent_id="218"
        )
        status = await self.post_raw(_query(envelope.query()), envelope.xml)
        await self.channel.drain()
        return status

    def new_messages(self, user: str = USER) -> list[dict[str, Any]]:
        """The messages delivered since the last call, to ``user``."""
        delivered = self.fake.delivered_messages()
        fresh, self._seen = delivered[self._seen :], len(delivered)
        return [m for m in fresh if m["touser"] == user]

    async def say(self, text: str, user: str = USER) -> list[dict[str, Any]]:
        status, _ = await self.post(text_xml(user, text, next(self.ids), int(self.clock())))
        assert status == 200
        return self.new_messages(user)

    async def event(self, event: str, user: str = USER, **fields: str) -> list[dict[str, Any]]:
        status, _ = await self.post(event_xml(user, event, int(self.clock()), **fields))
        assert status == 200
        return self.new_messages(user)

    async def click(self, card: dict[str, Any], label: str, user: str = USER) -> list[dict[str, Any]]:
        [button] = [b for b in card["button_list"] if b["text"] == label]
        return await self.event("template_card_event", user, EventKey=button["key"], TaskId=card["task_id"])

    def session(self, user: str = USER) -> Any:
        return self.store.load(SessionKey("wecom", user, user)).session


MakeServed = Callable[..., Awaitable[Served]]


def stored(served: Served, replay_key: str) -> str | None:
    """The state of a callback's inbox row ("pending", "done"), None if it was not stored."""
    found = served.store.db.row(
        "SELECT state FROM inbox WHERE channel='wecom' AND platform_id=?", [replay_key]
    )
    return found[0] if found else None


@pytest.fixture
async def make_served(
    tmp_path: Path, config: WeComConfig, crypto: WeComCrypto, clock: ManualClock, fake_api: FakeWeComApi
) -> AsyncIterator[MakeServed]:
    ids = itertools.count(7_000_000_000)
    running: list[tuple[TestClient[web.Request, web.Application], WeComChannel, SqliteStore]] = []

    async def make(db: Path | None = None, api: WeComApi | None = None) -> Served:
        store = SqliteStore(connect(db or tmp_path / "wecom.db"))
        wired = replace(config, api_base_url=fake_api.base_url)
        channel = WeComChannel(
            wired,
            Assistant(store, ENGINE, lambda: TODAY, mail=Mailroom(store.db, sleep=clock.sleep)),
            api=api or WeComApi.from_config(wired, clock=clock, sleep=clock.sleep),
            clock=clock,
        )
        client = TestClient(TestServer(http_app(store.db, [channel]), host="127.0.0.1"))
        await client.start_server()
        await channel.start()
        running.append((client, channel, store))
        return Served(client, channel, store, fake_api, crypto, clock, ids)

    yield make
    for client, channel, store in running:
        await channel.stop()
        await client.close()
        store.close()


async def restart(served: Served, make: MakeServed, db: Path) -> Served:
    """Stop everything but WeCom (the fake) and start again on the same database."""
    await served.channel.stop()
    await served.client.close()
    served.store.close()
    return await make(db)


# --- callback XML as WeCom sends it (before encryption) -----------------------------------------


def _query(params: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())


def _head(user: str, at: int, msg_type: str) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{samples.CORP_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{at}</CreateTime>"
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>"
    )


def text_xml(user: str, content: str, msg_id: int, at: int) -> str:
    return (
        _head(user, at, "text")
        + f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>218</AgentID></xml>"
    )


def event_xml(user: str, event: str, at: int, **fields: str) -> str:
    extra = "".join(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items())
    return _head(user, at, "event") + f"<Event><![CDATA[{event}]]></Event>{extra}<AgentID>218</AgentID></xml>"


def media_xml(user: str, kind: str, msg_id: int, at: int) -> str:
    return (
        _head(user, at, kind)
        + f"<MediaId><![CDATA[media-{msg_id}]]></MediaId><MsgId>{msg_id}</MsgId><AgentID>218</AgentID></xml>"
    )


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)).replace(
        "&lol0;", "&lol;"
    )
    + "]><xml><Encrypt>&lol9;</Encrypt></xml>"
)


# --- reading what was delivered -----------------------------------------------------------------


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"]["content"] for m in messages if m["msgtype"] == "text"]


def cards(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["template_card"] for m in messages if m["msgtype"] == "template_card"]


def options(text: str) -> dict[str, str]:
    """The numbered options of a question or menu: label → the number to type."""
    return {m[2]: m[1] for line in text.splitlines() if (m := OPTION.match(line))}


def number_of(messages: list[dict[str, Any]], *labels: str) -> str:
    shown = options(texts(messages)[-1])
    return ",".join(shown[label] for label in labels)


# Worked example A (docs/rules.md#worked-examples), answered with option numbers where there are options.
BY_NUMBER: dict[str, tuple[str, ...]] = {
    "certification": ("创新型中小企业",),
    "district": ("天河区",),
    "product_field": ("属于工业“六基”领域、中华老字号，或服务关键产业链重点龙头企业",),
    "digital_level": ("二级",),
    "quality": ("获得 ISO9001 等质量管理体系认证", "拥有自主品牌"),
    "distinctive": (
        "属于核心基础零部件、关键软件、关键基础材料等领域，或制造强国十大重点领域，或网络强国相关领域",
    ),
    "talent": ("拥有市级人才项目人员",),
    "ip": ("Ⅰ类知识产权 1 项以上",),
    "rd_institution": ("市级研发机构",),
    "listing_plan": ("否",),
    "has_bank_loans": ("否",),
    "provincial_tech_upgrade_funded": ("否",),
}
TYPED = FIGURES_TYPED  # the figures typed as people type them; the choices by number
EXAMPLE_A_HERE = {
    **EXAMPLE_A,
    "district": "天河区",
    "listing_plan": False,
    "has_bank_loans": False,
    "provincial_tech_upgrade_funded": False,
}


def expected_contract() -> dict[str, Any]:
    rules = default_rules()
    return assess(parse_profile(EXAMPLE_A_HERE, rules.contacts.districts), rules, TODAY).contract()


async def answer_until_result(served: Served, replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answer each pending question (by number, or typed) until the result arrives."""
    for _ in range(60):
        pending = served.session().pending
        if pending is None:
            return replies
        if pending == "confirm":
            replies = await served.say("确认")
        elif pending in BY_NUMBER:
            replies = await served.say(number_of(replies, *BY_NUMBER[pending]))
        else:
            replies = await served.say(TYPED.get(pending, "跳过"))
    raise AssertionError("no result")


# --- conversations ------------------------------------------------------------------------------


async def test_a_whole_assessment_by_buttons_and_typed_numbers_ends_in_the_result(
    make_served: MakeServed,
) -> None:
    served = await make_served()
    greeting = await served.event("enter_agent", EventKey="")
    [menu_card] = cards(greeting)
    assert [b["key"] for b in menu_card["button_list"]] == [
        "/assess",
        "/tiers",
        "/subsidies",
        "/faq",
        "/contacts",
    ]

    replies = await served.say("1")  # the menu's first entry: /assess
    assert texts(replies)[0].startswith(ZH["assess.intro"])
    [org_card] = cards(replies)
    assert [b["text"] for b in org_card["button_list"]] == ["企业", "服务机构"]

    replies = await served.click(org_card, "企业")
    assert served.session().answers["org_type"] == "enterprise"
    replies = await answer_until_result(served, replies)

    stored = served.store.last_assessment("wecom", USER)
    assert stored is not None and stored.result == expected_contract()
    assert stored.result["score"] == 72
    result_text = "\n\n".join(texts(replies))
    lines = result_text.splitlines()
    assert "72" in result_text and any(line.endswith(". 申请入会（/join）") for line in lines)
    assert any(line.endswith(". 指标明细") for line in lines)  # picked by number: a short line
    assert cards(replies) == []  # more choices than a card holds: typed numbers instead
    assert all(utf8_size(text) <= 2048 for text in texts(served.fake.delivered_messages()))


async def test_numbers_shown_for_numeric_values_are_the_values_the_engine_reads(
    make_served: MakeServed,
) -> None:
    served = await make_served()
    replies = await served.say("/assess")
    while served.session().pending != "digital_level":
        pending = served.session().pending
        answer = (
            number_of(replies, *BY_NUMBER[pending]) if pending in BY_NUMBER else TYPED.get(pending, "跳过")
        )
        replies = await served.say("1" if pending == "org_type" else answer)
    assert options(texts(replies)[-1]) == {"三级及以上": "3", "二级": "2", "一级": "1"}
    await served.say("3")
    assert served.session().answers["digital_level"] == 3


async def test_a_restart_halfway_continues_where_the_person_was(
    make_served: MakeServed, tmp_path: Path
) -> None:
    db = tmp_path / "restart.db"
    served = await make_served(db)
    await served.say("/assess")
    await served.say("1")
    district_question = texts(await served.say("创新型"))[-1]
    assert served.session().pending == "district"
    served.clock.advance(1)
    tianhe = text_xml(USER, options(district_question)["天河区"], 424242, int(served.clock()))
    answered = served.crypto.envelope(tianhe, timestamp=str(int(served.clock())), nonce="r1")
    assert await served.post_raw(_query(answered.query()), answered.xml) == (200, "")
    await served.channel.drain()
    assert texts(served.new_messages())

    again = await restart(served, make_served, db)
    assert again.session().pending == "niche_years"
    assert again.session().answers["district"] == "天河区"
    # WeCom retries the last callback after the restart: already handled, not handled again
    assert await again.post_raw(_query(answered.query()), answered.xml) == (200, "")
    await again.channel.drain()
    assert again.new_messages() == []
    assert again.session().pending == "niche_years"

    replies = await answer_until_result(again, await again.say("/assess"))
    stored = again.store.last_assessment("wecom", USER)
    assert stored is not None and stored.result == expected_contract()
    assert "72" in "\n".join(texts(replies))


async def test_an_expired_token_is_refreshed_and_the_reply_delivered(make_served: MakeServed) -> None:
    served = await make_served()
    await served.say("/assess")
    served.fake.expire_tokens()
    replies = await served.say("1")
    assert texts(replies) and served.session().pending == "certification"
    sends = served.fake.calls_to(MESSAGE_SEND)
    assert any(call.answer.get("errcode") == 42001 for call in sends)
    assert len(served.fake.calls_to(GETTOKEN)) == 2


async def test_a_replayed_callback_is_answered_once(make_served: MakeServed) -> None:
    served = await make_served()
    envelope = served.crypto.envelope(
        text_xml(USER, "/tiers", 99, int(served.clock())), timestamp=str(int(served.clock())), nonce="n"
    )
    for _ in range(3):
        assert await served.post_raw(_query(envelope.query()), envelope.xml) == (200, "")
    await served.channel.drain()
    assert len(texts(served.new_messages())) == 1
    assert stored(served, "wecom:msg:99") == "done"


async def test_a_forged_signature_is_403_and_nothing_is_stored(make_served: MakeServed) -> None:
    served = await make_served()
    envelope = served.crypto.envelope(
        text_xml(USER, "/assess", 5, int(served.clock())), timestamp=str(int(served.clock())), nonce="n"
    )
    forged = {**envelope.query(), "msg_signature": "0" * 40}
    status, body = await served.post_raw(_query(forged), envelope.xml)
    await served.channel.drain()
    assert (status, "bad_signature" in body) == (403, True)
    assert served.store.db.row("SELECT count(*) FROM inbox") == (0,)
    assert served.store.db.row("SELECT count(*) FROM sessions") == (0,)
    assert served.fake.calls == []


async def test_malformed_xml_is_400(make_served: MakeServed) -> None:
    served = await make_served()
    status, body = await served.post_raw("msg_signature=a&timestamp=1&nonce=2", b"<xml><Encrypt>abc</Encr")
    assert (status, "malformed_xml" in body) == (400, True)


async def test_an_xml_bomb_is_400_outside_and_inside_the_envelope(make_served: MakeServed) -> None:
    served = await make_served()
    status, body = await served.post_raw("msg_signature=a&timestamp=1&nonce=2", BOMB.encode())
    assert (status, "xml_forbidden" in body) == (400, True)
    status, body = await served.post(BOMB)  # signed and encrypted: refused after decryption
    assert (status, "xml_forbidden" in body) == (400, True)
    assert served.fake.calls == []


@pytest.mark.parametrize("event", ["enter_agent", "subscribe"])
async def test_entering_the_app_greets_with_the_main_menu(make_served: MakeServed, event: str) -> None:
    served = await make_served()
    replies = await served.event(event, EventKey="")
    [text] = texts(replies)
    assert text.startswith(ZH["start.greeting"])
    assert "1. 自测评估（/assess）" in text.splitlines()
    assert cards(replies)[0]["button_list"][0]["text"] == "自测评估"


async def test_a_pending_question_is_asked_again_after_the_greeting_and_digits_answer_it(
    make_served: MakeServed,
) -> None:
    served = await make_served()
    await served.say("/assess")
    replies = await served.event("enter_agent")
    assert len(texts(replies)) == 2  # the menu, then the pending question on its own
    assert [c["button_list"][0]["text"] for c in cards(replies)] == ["企业"]
    await served.say("2")
    assert served.session().answers["org_type"] == "service_institution"


async def test_english_is_used_for_the_channel_texts_too(make_served: MakeServed) -> None:
    served = await make_served()
    await served.say("/lang en")
    [text] = texts(await served.say("/menu"))
    assert "1. Self-assessment (/assess)" in text.splitlines()
    assert (
        cards(served.fake.delivered_messages())[-1]["main_title"]["title"]
        == (load_catalogs().messages["en"]["wecom.card_title"])
    )


async def test_a_reply_in_english_in_a_chinese_conversation_lists_its_options_in_english(
    make_served: MakeServed,
) -> None:
    served = await make_served()
    en, zh = load_catalogs().messages["en"], load_catalogs().messages["zh"]
    text, _offer = texts(await served.say("what does R&D expenses mean?"))  # suggestions, in English
    assert served.session().lang == "zh"
    assert [line for line in text.splitlines() if OPTION.match(line)]
    assert text.endswith(en["wecom.pick_number"])  # the channel's own words, in the reply's language
    [chinese] = texts(await served.say("哪些算研发费用？", user="lisi"))  # a Chinese conversation
    assert chinese.endswith(zh["wecom.pick_number"])


@pytest.mark.parametrize("kind", ["image", "voice", "file", "video"])
async def test_media_gets_a_please_type_reply(make_served: MakeServed, kind: str) -> None:
    served = await make_served()
    status, _ = await served.post(media_xml(USER, kind, 31, int(served.clock())))
    assert status == 200
    assert texts(served.new_messages()) == [ZH["wecom.please_type"]]
    assert served.store.db.row("SELECT count(*) FROM sessions") == (0,)


async def test_a_button_of_an_earlier_question_does_not_answer_the_current_one(
    make_served: MakeServed,
) -> None:
    served = await make_served()
    [org_card] = cards(await served.say("/assess"))
    await served.click(org_card, "企业")
    replies = await served.click(org_card, "服务机构")
    assert texts(replies)[0].startswith(ZH["wecom.stale_button"])
    assert served.session().answers["org_type"] == "enterprise"
    assert served.session().pending == "certification"


async def test_a_menu_button_runs_its_command(make_served: MakeServed) -> None:
    served = await make_served()
    [card] = cards(await served.say("/menu"))
    replies = await served.click(card, "会员等级")
    assert "5.5 亿元" in texts(replies)[0]


async def test_many_texts_are_joined_into_few_messages_each_under_2048_bytes(
    make_served: MakeServed, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = await make_served()
    long_parts = [f"{i}. " + "专精特新" * 60 for i in range(12)]  # /subsidies itself is short now
    monkeypatch.setattr(results, "all_subsidies", lambda view, today, full=False: long_parts)
    alone = Assistant(MemoryStore(), ENGINE, lambda: TODAY)
    parts = [m.text for m in alone.handle_now(SessionKey("console", "u", "u"), Inbound("/subsidies all"))]
    assert len(parts) > 10 and utf8_size("\n\n".join(parts)) > 2 * 2048
    sent = texts(await served.say("/subsidies all"))
    assert 3 <= len(sent) < len(parts)
    assert all(0 < utf8_size(text) <= 2048 for text in sent)
    assert "\n\n".join(sent) == "\n\n".join(parts)


# --- WeCom failures -----------------------------------------------------------------------------


async def test_a_rate_limit_is_waited_out_and_the_reply_delivered(make_served: MakeServed) -> None:
    served = await make_served()
    served.fake.fail_next(MESSAGE_SEND, 45009, times=2)
    replies = await served.say("/tiers")
    assert len(texts(replies)) == 1
    assert served.clock.sleeps == [1.0, 2.0]


async def test_a_refused_reply_is_logged_with_its_errcode_and_the_answer_kept(
    make_served: MakeServed, caplog: pytest.LogCaptureFixture
) -> None:
    served = await make_served()
    await served.say("/assess")
    served.fake.fail_next(MESSAGE_SEND, 81013)
    with caplog.at_level(logging.ERROR, logger="zjtx.wecom"):
        assert await served.say("1") == []
    assert served.session().answers["org_type"] == "enterprise"
    [record] = [r for r in caplog.records if "reply_undelivered" in r.getMessage()]
    assert "errcode=81013" in record.getMessage() and "user=zhangsan" in record.getMessage()


async def test_an_unreachable_wecom_is_retried_logged_and_the_answer_kept(
    make_served: MakeServed, config: WeComConfig, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:  # a port on 127.0.0.1 that nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    api = WeComApi(
        corp_id=config.corp_id,
        secret=config.secret,
        agent_id=config.agent_id,
        base_url=f"http://127.0.0.1:{closed}",
        clock=clock,
        sleep=clock.sleep,
        backoff=Backoff(attempts=3),
    )
    served = await make_served(api=api)
    with caplog.at_level(logging.ERROR):
        await served.say("/assess")
    assert served.session().pending == "org_type"  # the answer is kept
    assert clock.sleeps[:3] == [1.0, 2.0, 1.0]  # the client's retries, then the outbox's first wait
    [(state, error)] = served.store.db.rows("SELECT state, error FROM reply_outbox")
    assert state == "failed" and "errcode -1" in error  # tried again and again, then given up
    assert any("replies.gave_up" in r.getMessage() for r in caplog.records)


class CardlessApi(WeComApi):
    """WeCom refusing every template card (an old client, a card WeCom does not like)."""

    async def send_choices(
        self,
        user_id: str,
        *,
        title: str,
        task_id: str,
        buttons: Any,
        description: str | None = None,
    ) -> SendResult:
        raise WeComError(40058, "invalid template_card")


async def test_a_refused_card_leaves_the_numbered_text(
    make_served: MakeServed,
    config: WeComConfig,
    clock: ManualClock,
    fake_api: FakeWeComApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wired = replace(config, api_base_url=fake_api.base_url)
    served = await make_served(api=CardlessApi.from_config(wired, clock=clock, sleep=clock.sleep))
    with caplog.at_level(logging.WARNING, logger="zjtx.wecom"):
        replies = await served.say("/menu")
    assert cards(replies) == [] and "1. 自测评估（/assess）" in texts(replies)[0]
    assert any("card_failed" in r.getMessage() and "errcode=40058" in r.getMessage() for r in caplog.records)
    assert await served.say("2") and "5.5 亿元" in texts(served.fake.delivered_messages())[-1]


# --- shutdown -----------------------------------------------------------------------------------


class GatedApi(WeComApi):
    """Holds every send until ``gate`` is set; ``reached`` tells that one is waiting."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.gate = asyncio.Event()
        self.reached = asyncio.Event()

    async def send_message(self, user_id: str, msgtype: str, body: Any) -> SendResult:
        self.reached.set()
        await self.gate.wait()
        return await super().send_message(user_id, msgtype, body)


async def test_stop_refuses_new_callbacks_and_delivers_those_in_flight(
    make_served: MakeServed, config: WeComConfig, clock: ManualClock, fake_api: FakeWeComApi
) -> None:
    api = GatedApi(
        corp_id=config.corp_id,
        secret=config.secret,
        agent_id=config.agent_id,
        base_url=fake_api.base_url,
        clock=clock,
        sleep=clock.sleep,
    )
    served = await make_served(api=api)
    first = served.crypto.envelope(
        text_xml(USER, "/tiers", 1, int(clock())), timestamp=str(int(clock())), nonce="a"
    )
    assert await served.post_raw(_query(first.query()), first.xml) == (200, "")
    await api.reached.wait()
    assert served.channel.in_flight == 1

    stopping = asyncio.ensure_future(served.channel.stop())
    late = served.crypto.envelope(
        text_xml(USER, "/help", 2, int(clock())), timestamp=str(int(clock())), nonce="b"
    )
    status, body = await served.post_raw(_query(late.query()), late.xml)
    assert (status, "shutting_down" in body) == (503, True)
    assert stored(served, "wecom:msg:2") is None  # not stored: WeCom's retry will count

    api.gate.set()
    await stopping
    assert served.channel.in_flight == 0
    assert len(texts(served.new_messages())) == 1


# --- wiring -------------------------------------------------------------------------------------

FULL = {
    "WECOM_CORP_ID": samples.CORP_ID,
    "WECOM_AGENT_ID": "218",
    "WECOM_SECRET": "s",
    "WECOM_TOKEN": samples.TOKEN,
    "WECOM_AES_KEY": samples.ENCODING_AES_KEY,
}


def settings(**values: str) -> Settings:
    """Settings with these values only: neither the environment nor a .env file is read."""
    fields = {name: info.alias for name, info in Settings.model_fields.items()}
    given: dict[str, Any] = {name: values[alias] for name, alias in fields.items() if alias in values}
    if "wecom_agent_id" in given:
        given["wecom_agent_id"] = int(given["wecom_agent_id"])
    return Settings.model_construct(**given)


@pytest.mark.parametrize("missing", [None, *FULL])
async def test_the_factory_needs_all_five_settings(tmp_path: Path, missing: str | None) -> None:
    store = SqliteStore(connect(tmp_path / "f.db"))
    assistant = Assistant(store, ENGINE, lambda: TODAY)
    values = {k: v for k, v in FULL.items() if k != missing}
    built = build(settings(ZJTX_DB=str(tmp_path / "f.db"), **values), engine=ENGINE, worker=False)
    wecom = [c for c in built.channels if c.name == "wecom"]  # the composition root wires it
    assert len(wecom) == (1 if missing is None else 0)
    for channel in wecom:
        await channel.stop()
    built.close()
    assert channel_from_settings(settings(), assistant) is None
    store.close()


async def test_url_verification_answers_through_the_shared_server(make_served: MakeServed) -> None:
    served = await make_served()
    echostr = served.crypto.encrypt("echo-4711")
    signature = served.crypto.sign(str(int(served.clock())), "v", echostr)
    query = _query({"msg_signature": signature, "timestamp": str(int(served.clock())), "nonce": "v"})
    response = await served.client.get(
        URL(
            f"{CALLBACK_PATH}?{query}&echostr={echostr.replace('+', '%2B').replace('/', '%2F')}", encoded=True
        )
    )
    assert (response.status, await response.text()) == (200, "echo-4711")


def test_the_channel_texts_are_in_both_catalogs_with_the_same_placeholders() -> None:
    catalogs = load_catalogs().messages
    keys = [k for k in catalogs["zh"] if k.startswith("wecom.")]
    assert len(keys) == 6
    for key in keys:
        assert catalogs["en"].get(key), key
        assert placeholders(catalogs["zh"][key]) == placeholders(catalogs["en"][key]), key


async def test_staff_notices_for_a_wecom_staff_chat_go_out_as_text(make_served: MakeServed) -> None:
    served = await make_served()
    notify = staff_notifier(settings(ZJTX_STAFF_CHAT="wecom:lisi"), [served.channel])
    assert notify is not None
    await notify(Notify("lead", "新的入会申请：广州某某科技"))
    assert texts(served.new_messages("lisi")) == ["新的入会申请：广州某某科技"]
