"""The WeChat channel end to end: encrypted callbacks POSTed to the shared aiohttp app, the
dialog engine and a SQLite store behind it, passive replies read back from the HTTP answer,
customer-service messages through the fake WeChat API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
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
from bot.channels.tencent import MsgCrypto, child_text, parse_xml, signature, utf8_size
from bot.channels.wechat import CALLBACK_PATH, WeChatApi, WeChatConfig, WeChatStore
from bot.channels.wechat.channel import CUSTOM_MENU, StoreReplayGuard, WeChatChannel, channel_from_settings
from bot.db import connect
from bot.links import DocumentLinks
from bot.service import Assistant
from bot.settings import Settings
from bot.store import MemoryStore, SessionKey, SqliteStore
from dialogs import results
from dialogs.engine import DialogEngine
from dialogs.i18n import load_catalogs
from dialogs.messages import Inbound, Notify, Text
from tests.bot.channels.wecom.test_wecom_channel import BY_NUMBER, expected_contract
from tests.conversations import FIGURES_TYPED
from tests.fakes.pictures import png
from tests.fakes.wechat_api import CUSTOM_SEND, MEDIA_UPLOAD, STABLE_TOKEN, FakeWeChatApi, ManualClock

from .conftest import ACCOUNT, AES_KEY, APP_ID, SECRET, TOKEN

TODAY = date(2026, 11, 23)
ENGINE = DialogEngine()
ZH = load_catalogs().messages["zh"]
OPENID = "oZjtx_1a2b3c4d5e6f7g8h9i0j"
OPTION = re.compile(r"^(\d+)\. (.+)$")
HOUR = 3600.0


class Served:
    """One running server: the shared app with the WeChat channel, the stores, the fake API."""

    def __init__(
        self,
        client: TestClient[web.Request, web.Application],
        channel: WeChatChannel,
        store: SqliteStore,
        fake: FakeWeChatApi,
        crypto: MsgCrypto,
        clock: ManualClock,
        ids: Iterator[int],
    ) -> None:
        self.client = client
        self.channel = channel
        self.store = store
        self.followers = WeChatStore(store.db)
        self.fake = fake
        self.crypto = crypto
        self.clock = clock
        self.ids = ids
        self._seen = len(fake.delivered())

    def query(self, encrypt: str, *, timestamp: str | None = None, nonce: str | None = None) -> str:
        """The query string WeChat puts on a safe-mode POST."""
        at = timestamp or str(int(self.clock()))
        nonce = nonce or str(next(self.ids))
        params = {
            "signature": signature(TOKEN, at, nonce),
            "timestamp": at,
            "nonce": nonce,
            "openid": OPENID,
            "encrypt_type": "aes",
            "msg_signature": self.crypto.sign(at, nonce, encrypt),
        }
        return "&".join(f"{k}={v}" for k, v in params.items())

    def envelope(self, plaintext: str) -> tuple[str, bytes]:
        """``plaintext`` encrypted and signed as WeChat POSTs it: (query, body)."""
        encrypt = self.crypto.encrypt(plaintext)
        return self.query(encrypt), wrapped(encrypt)

    async def post_raw(self, query: str, body: bytes) -> tuple[int, str]:
        response = await self.client.post(URL(f"{CALLBACK_PATH}?{query}", encoded=True), data=body)
        return response.status, await response.text()

    async def post(self, plaintext: str, user: str = OPENID, event: str | None = None) -> tuple[int, str]:
        """POST ``plaintext`` as WeChat does (telling the fake what the follower did) and wait
        for every message of the turn to be sent."""
        if event is None:
            self.fake.follower_messaged(user)
        else:
            self.fake.follower_event(user, event)
        status, text = await self.post_raw(*self.envelope(plaintext))
        await self.channel.drain()
        return status, text

    def passive(self, answer: str) -> dict[str, Any] | None:
        """The passive reply in an HTTP answer, decrypted, as a customer-service message would
        look (``"passive": True``); None for ``success``."""
        if answer == "success":
            return None
        root = parse_xml(self.crypto.open_reply(answer.encode()))
        assert child_text(root, "FromUserName") == ACCOUNT
        kind = child_text(root, "MsgType")
        if kind == "text":
            return {"passive": True, "touser": child_text(root, "ToUserName"), "msgtype": "text",
                    "text": {"content": child_text(root, "Content")}}  # fmt: skip
        image = root.find("Image")
        assert kind == "image" and image is not None
        return {"passive": True, "touser": child_text(root, "ToUserName"), "msgtype": "image",
                "image": {"media_id": child_text(image, "MediaId")}}  # fmt: skip

    def new_messages(self, user: str = OPENID) -> list[dict[str, Any]]:
        delivered = self.fake.delivered()
        fresh, self._seen = delivered[self._seen :], len(delivered)
        return [m for m in fresh if m["touser"] == user]

    async def got(self, plaintext: str, user: str = OPENID, event: str | None = None) -> list[dict[str, Any]]:
        """Everything the person got for one callback: the passive reply, then the rest."""
        self.clock.advance(1)
        status, answer = await self.post(plaintext, user, event)
        assert status == 200, answer
        first = self.passive(answer)
        return ([first] if first else []) + self.new_messages(user)

    async def say(self, text: str, user: str = OPENID) -> list[dict[str, Any]]:
        return await self.got(text_xml(user, text, next(self.ids), int(self.clock()) + 1), user)

    async def event(self, event: str, user: str = OPENID, **fields: str) -> list[dict[str, Any]]:
        return await self.got(event_xml(user, event, int(self.clock()) + 1, **fields), user, event)

    def session(self, user: str = OPENID) -> Any:
        return self.store.load(SessionKey("wechat", user, user)).session


MakeServed = Callable[..., Awaitable[Served]]


@pytest.fixture
async def make_served(
    tmp_path: Path, config: WeChatConfig, crypto: MsgCrypto, clock: ManualClock, fake_api: FakeWeChatApi
) -> AsyncIterator[MakeServed]:
    ids = itertools.count(24_000_000_000_000_000)
    running: list[tuple[TestClient[web.Request, web.Application], WeChatChannel, SqliteStore]] = []

    async def make(db: Path | None = None, api: WeChatApi | None = None, **options: Any) -> Served:
        store = SqliteStore(connect(db or tmp_path / "wechat.db"))
        wired = replace(config, api_base_url=fake_api.base_url)
        followers = WeChatStore(store.db)
        links = DocumentLinks(store.db, key=b"k" * 32, public_url="https://zjtx.example.org", clock=clock)
        assistant = Assistant(store, ENGINE, lambda: TODAY)
        assistant.on_forget(followers.forget)
        assistant.on_forget(links.forget)
        channel = WeChatChannel(
            wired,
            assistant,
            store=followers,
            replay_guard=StoreReplayGuard(store),
            api=api or WeChatApi.from_config(wired, tokens=followers, clock=clock, sleep=clock.sleep),
            links=links,
            clock=clock,
            **options,
        )
        client = TestClient(TestServer(http_app(store.db, [channel], routes=[links]), host="127.0.0.1"))
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
    """Stop everything but WeChat (the fake) and start again on the same database."""
    await served.channel.stop()
    await served.client.close()
    served.store.close()
    return await make(db)


# --- callback XML as WeChat sends it (before encryption) ----------------------------------------


def _head(user: str, at: int, msg_type: str) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{at}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
    )


def wrapped(encrypt: str) -> bytes:
    """The POST body of safe mode around ``encrypt``."""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    ).encode()


def text_xml(user: str, content: str, msg_id: int, at: int, menu_id: str | None = None) -> str:
    menu = f"<bizmsgmenuid>{menu_id}</bizmsgmenuid>" if menu_id else ""
    return (
        _head(user, at, "text")
        + f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId>{menu}</xml>"
    )


def event_xml(user: str, event: str, at: int, **fields: str) -> str:
    extra = "".join(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items())
    return _head(user, at, "event") + f"<Event><![CDATA[{event}]]></Event>{extra}</xml>"


def media_xml(user: str, kind: str, msg_id: int, at: int) -> str:
    return (
        _head(user, at, kind) + f"<MediaId><![CDATA[media-{msg_id}]]></MediaId><MsgId>{msg_id}</MsgId></xml>"
    )


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)).replace(
        "&lol0;", "&lol;"
    )
    + "]><xml><Encrypt>&lol9;</Encrypt></xml>"
)


# --- reading what arrived -----------------------------------------------------------------------


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"]["content"] for m in messages if m["msgtype"] == "text"]


def menus(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["msgmenu"] for m in messages if m["msgtype"] == "msgmenu"]


def options(text: str) -> dict[str, str]:
    """The numbered options of a question or menu: label → the number to type."""
    return {m[2]: m[1] for line in text.splitlines() if (m := OPTION.match(line))}


def number_of(messages: list[dict[str, Any]], *labels: str) -> str:
    shown = options(texts(messages)[-1])
    return ",".join(shown[label] for label in labels)


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
            replies = await served.say(FIGURES_TYPED.get(pending, "跳过"))
    raise AssertionError("no result")


# --- conversations ------------------------------------------------------------------------------


async def test_a_whole_assessment_in_passive_replies_ends_in_the_result(make_served: MakeServed) -> None:
    served = await make_served()
    greeting = await served.event("subscribe", EventKey="")
    assert greeting[0]["passive"] and texts(greeting)[0].startswith(ZH["start.greeting"])
    assert "1. 自测评估（/assess）" in texts(greeting)[0].splitlines()

    replies = await served.say("1")  # the menu's first entry: /assess
    assert texts(replies)[0].startswith(ZH["assess.intro"])
    replies = await served.say(number_of(replies, "企业"))
    assert served.session().answers["org_type"] == "enterprise"
    questions = 0
    while served.session().pending not in (None, "confirm"):
        before = len(served.fake.calls_to(CUSTOM_SEND))
        replies = await answer_until_result_step(served, replies)
        questions += 1
        # every question of the questionnaire came back in the HTTP answer: no message spent
        assert len(served.fake.calls_to(CUSTOM_SEND)) == before and replies[0]["passive"]
    replies = await answer_until_result(served, replies)

    stored = served.store.last_assessment("wechat", OPENID)
    assert stored is not None and stored.result == expected_contract()
    # the score card first, as the passive reply: uploaded as temporary media within the deadline
    assert replies[0]["passive"] and replies[0]["msgtype"] == "image"
    card = served.fake.uploads[replies[0]["image"]["media_id"]]
    assert card.data.startswith(b"\x89PNG") and card.filename.endswith(".png")
    result_text = "\n\n".join(texts(replies))
    lines = result_text.splitlines()
    assert "72" in result_text and any(line.endswith(". 申请入会（/join）") for line in lines)
    assert len(replies) <= 1 + 5  # the passive reply and at most five customer-service messages
    assert questions > 15
    everything = texts(served.fake.delivered())
    assert all(0 < utf8_size(text) <= 2048 for text in everything)


async def answer_until_result_step(served: Served, replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pending = served.session().pending
    if pending in BY_NUMBER:
        return await served.say(number_of(replies, *BY_NUMBER[pending]))
    return await served.say(FIGURES_TYPED.get(pending, "跳过"))


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
    tianhe = text_xml(OPENID, options(district_question)["天河区"], 424242, int(served.clock()))
    query, body = served.envelope(tianhe)
    status, answer = await served.post_raw(query, body)
    assert status == 200 and served.passive(answer) is not None

    again = await restart(served, make_served, db)
    assert again.session().pending == "niche_years"
    assert again.session().answers["district"] == "天河区"
    # WeChat retries the last callback after the restart: already handled, not handled again
    assert await again.post_raw(query, body) == (200, "success")
    await again.channel.drain()
    assert again.new_messages() == [] and again.session().pending == "niche_years"

    replies = await answer_until_result(again, await again.say("/assess"))
    stored = again.store.last_assessment("wechat", OPENID)
    assert stored is not None and stored.result == expected_contract()
    assert "72" in "\n".join(texts(replies))
    assert len(again.fake.calls_to(STABLE_TOKEN)) <= 1  # the stored token served the new process


async def test_a_replayed_callback_is_handled_once_and_answered_alike(make_served: MakeServed) -> None:
    served = await make_served()
    served.fake.follower_messaged(OPENID)
    query, body = served.envelope(text_xml(OPENID, "/tiers", 99, int(served.clock())))
    answers = [await served.post_raw(query, body) for _ in range(3)]
    await served.channel.drain()
    assert {status for status, _ in answers} == {200}
    replies = [served.passive(text) for _, text in answers]
    assert replies[0] is not None and replies[0] == replies[1] == replies[2]
    assert served.store.db.row("SELECT rev FROM sessions") == (1,)
    assert served.store.db.row("SELECT state FROM inbox WHERE platform_id=?", ["wechat:msg:99"]) == ("done",)


async def test_a_forged_signature_is_403_and_nothing_is_stored(make_served: MakeServed) -> None:
    served = await make_served()
    query, body = served.envelope(text_xml(OPENID, "/assess", 5, int(served.clock())))
    for name in ("msg_signature", "signature"):
        forged = re.sub(rf"(^|&){name}=\w+", rf"\g<1>{name}={'0' * 40}", query)
        status, text = await served.post_raw(forged, body)
        assert (status, "bad_signature" in text) == (403, True), name
    tampered = body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[A")
    assert (await served.post_raw(query, tampered))[0] == 403
    for table in ("seen", "sessions", "wechat_followers"):
        assert served.store.db.row(f"SELECT count(*) FROM {table}") == (0,), table
    assert served.fake.calls == []


async def test_a_message_for_another_appid_is_403(make_served: MakeServed) -> None:
    served = await make_served()
    other = MsgCrypto(TOKEN, AES_KEY, "wxsomeotheraccount")  # same token and key, another account
    encrypt = other.encrypt(text_xml(OPENID, "/assess", 6, int(served.clock())))
    body = (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    )
    status, text = await served.post_raw(served.query(encrypt), body.encode())
    assert (status, "wrong_receiver" in text) == (403, True)
    assert served.store.db.row("SELECT count(*) FROM inbox") == (0,)


async def test_a_stale_or_future_timestamp_is_403(make_served: MakeServed) -> None:
    served = await make_served()
    for shift in (-301, 301):
        encrypt = served.crypto.encrypt(text_xml(OPENID, "/assess", 7, int(served.clock())))
        body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
        status, text = await served.post_raw(
            served.query(encrypt, timestamp=str(int(served.clock() + shift))), body
        )
        assert (status, "stale_timestamp" in text) == (403, True)
    assert served.store.db.row("SELECT count(*) FROM inbox") == (0,)


async def test_malformed_xml_is_400_outside_and_inside_the_envelope(make_served: MakeServed) -> None:
    served = await make_served()
    status, text = await served.post_raw(served.query("abc"), b"<xml><Encrypt>abc</Encr")
    assert (status, "malformed_xml" in text) == (400, True)
    status, text = await served.post("<xml><FromUserName>x</FromUserName></xml>")  # no MsgType …
    assert (status, "malformed_xml" in text) == (400, True)
    status, text = await served.post("not xml at all")
    assert (status, "malformed_xml" in text) == (400, True)
    assert served.store.db.row("SELECT count(*) FROM sessions") == (0,)


async def test_an_xml_bomb_is_400_outside_and_inside_the_envelope(make_served: MakeServed) -> None:
    served = await make_served()
    status, text = await served.post_raw(served.query("abc"), BOMB.encode())
    assert (status, "xml_forbidden" in text) == (400, True)
    status, text = await served.post(BOMB)  # signed and encrypted: refused after decryption
    assert (status, "xml_forbidden" in text) == (400, True)
    assert served.fake.calls == []


async def test_missing_parameters_and_an_oversized_body_are_refused(make_served: MakeServed) -> None:
    served = await make_served()
    assert (await served.post_raw("encrypt_type=aes&timestamp=1&nonce=2", b"<xml/>"))[0] == 403  # unsigned
    assert (await served.post_raw("encrypt_type=rsa&timestamp=1&nonce=2&signature=a", b"<xml/>"))[0] == 400
    assert (await served.post_raw(served.query("abc"), b"<xml>" + b"a" * 70_000 + b"</xml>"))[0] == 413


async def test_plaintext_callbacks_are_refused_without_wechat_plaintext(make_served: MakeServed) -> None:
    served = await make_served()
    at, nonce = str(int(served.clock())), "77"
    query = f"signature={signature(TOKEN, at, nonce)}&timestamp={at}&nonce={nonce}&openid={OPENID}"
    status, text = await served.post_raw(query, text_xml(OPENID, "/tiers", 8, int(at)).encode())
    assert (status, "plaintext_refused" in text) == (403, True)
    assert served.store.db.row("SELECT count(*) FROM inbox") == (0,)


async def test_a_test_account_in_plaintext_mode_gets_plain_passive_replies(
    make_served: MakeServed, config: WeChatConfig
) -> None:
    served = await make_served()
    await served.channel.stop()
    plain = replace(config, aes_key=None, plaintext=True)
    store = served.store
    followers = WeChatStore(store.db)
    channel = WeChatChannel(
        plain,
        Assistant(store, ENGINE, lambda: TODAY),
        store=followers,
        replay_guard=StoreReplayGuard(store),
        api=WeChatApi(app_id=APP_ID, secret=SECRET, base_url=served.fake.base_url, tokens=followers),
        clock=served.clock,
    )
    async with TestClient(TestServer(http_app(store.db, [channel]), host="127.0.0.1")) as client:
        at, nonce = str(int(served.clock())), "78"
        good = f"signature={signature(TOKEN, at, nonce)}&timestamp={at}&nonce={nonce}"
        response = await client.post(
            URL(f"{CALLBACK_PATH}?{good}", encoded=True), data=text_xml(OPENID, "/tiers", 9, int(at))
        )
        root = parse_xml(await response.read())
        assert response.status == 200 and "5.5 亿元" in (child_text(root, "Content") or "")
        bad = f"signature={'0' * 40}&timestamp={at}&nonce={nonce}"
        response = await client.post(
            URL(f"{CALLBACK_PATH}?{bad}", encoded=True), data=text_xml(OPENID, "/tiers", 10, int(at))
        )
        assert response.status == 403
        encrypted = f"{good}&encrypt_type=aes&msg_signature={'0' * 40}"
        response = await client.post(URL(f"{CALLBACK_PATH}?{encrypted}", encoded=True), data=b"<xml/>")
        assert (response.status, "safe_mode_not_configured" in await response.text()) == (403, True)
    await channel.stop()


async def test_server_verification_answers_the_bare_echostr(make_served: MakeServed) -> None:
    served = await make_served()
    at, nonce, echo = str(int(served.clock())), "1514711492", "4375120948345356249"
    good = f"signature={signature(TOKEN, at, nonce)}&echostr={echo}&timestamp={at}&nonce={nonce}"
    response = await served.client.get(URL(f"{CALLBACK_PATH}?{good}", encoded=True))
    assert (response.status, await response.text()) == (200, echo)
    forged = good.replace(signature(TOKEN, at, nonce), "f" * 40)
    assert (await served.client.get(URL(f"{CALLBACK_PATH}?{forged}", encoded=True))).status == 403
    stale = (
        f"signature={signature(TOKEN, '1409735669', nonce)}&echostr={echo}&timestamp=1409735669&nonce={nonce}"
    )
    assert (await served.client.get(URL(f"{CALLBACK_PATH}?{stale}", encoded=True))).status == 403
    assert (await served.client.get(URL(f"{CALLBACK_PATH}?timestamp={at}", encoded=True))).status == 403
    unechoed = good.replace(f"&echostr={echo}", "")
    assert (await served.client.get(URL(f"{CALLBACK_PATH}?{unechoed}", encoded=True))).status == 400


# --- replies: passive, customer service, the window ---------------------------------------------


async def test_a_long_reply_is_split_under_2048_bytes_first_part_passive(
    make_served: MakeServed, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = await make_served()
    long_parts = [f"{i}. " + "专精特新" * 60 for i in range(12)]  # /subsidies itself is short now
    monkeypatch.setattr(results, "all_subsidies", lambda view, today, full=False: long_parts)
    alone = Assistant(MemoryStore(), ENGINE, lambda: TODAY)
    parts = [m.text for m in alone.handle_now(SessionKey("console", "u", "u"), Inbound("/subsidies all"))]
    assert utf8_size("\n\n".join(parts)) > 2 * 2048
    got = await served.say("/subsidies all")
    assert got[0]["passive"] and all(not m.get("passive") for m in got[1:])
    assert 3 <= len(got) <= 1 + 5  # the passive reply, then at most the five a message allows
    assert all(0 < utf8_size(text) <= 2048 for text in texts(got))
    assert "\n\n".join(texts(got)) == "\n\n".join(parts)
    assert served.fake.refused(45002) == []


async def test_a_second_list_of_choices_is_a_click_to_reply_menu_read_like_its_number(
    make_served: MakeServed,
) -> None:
    served = await make_served()
    await served.say("/assess")
    got = await served.event("subscribe", EventKey="")  # the main menu, then the pending question
    assert got[0]["passive"] and "1. 自测评估（/assess）" in texts(got)[0].splitlines()
    [menu] = menus(got)
    assert [item["content"] for item in menu["list"]] == ["1. 企业", "2. 服务机构"]
    assert menu["tail_content"] == ZH["wechat.menu_tail"]
    item = menu["list"][1]
    await served.got(text_xml(OPENID, item["content"], next(served.ids), int(served.clock()) + 1, item["id"]))
    assert served.session().answers["org_type"] == "service_institution"


async def test_a_menu_item_of_an_earlier_question_does_not_answer_the_current_one(
    make_served: MakeServed,
) -> None:
    served = await make_served()
    await served.say("/assess")
    [menu] = menus(await served.event("subscribe", EventKey=""))
    await served.say("1")  # 企业, typed
    assert served.session().pending == "certification"
    stale = menu["list"][1]
    got = await served.got(
        text_xml(OPENID, stale["content"], next(served.ids), int(served.clock()) + 1, stale["id"])
    )
    assert texts(got)[0].startswith(ZH["wechat.stale_choice"])
    assert (
        served.session().answers["org_type"] == "enterprise" and served.session().pending == "certification"
    )


async def test_a_turn_late_for_the_deadline_goes_out_as_customer_service_messages(
    make_served: MakeServed,
) -> None:
    served = await make_served(passive_deadline=0.01)
    assistant = served.channel._assistant
    handle, gate = assistant.handle, asyncio.Event()

    async def slow(key: SessionKey, inbound: Inbound, **how: Any) -> list[Any]:
        await gate.wait()  # the dialog is held until WeChat has had its answer
        return await handle(key, inbound, **how)

    assistant.handle = slow  # type: ignore[method-assign]
    served.fake.follower_messaged(OPENID)
    query, body = served.envelope(text_xml(OPENID, "/tiers", 11, int(served.clock())))
    assert await served.post_raw(query, body) == (200, "success")
    gate.set()
    await served.channel.drain()
    got = served.new_messages()
    assert len(got) == 1 and "5.5 亿元" in texts(got)[0]


async def test_customer_service_messages_stop_at_the_48_hour_window(make_served: MakeServed) -> None:
    served = await make_served()
    await served.say("/menu")
    served.clock.advance(48 * HOUR - 120)
    assert await served.channel.push(OPENID, [Text("还在窗口内")]) == 1
    served.clock.advance(240)  # now past 48 hours since the person's last message
    assert await served.channel.push(OPENID, [Text("提醒：您的自测尚未完成"), Text("第二条")]) == 0
    assert texts(served.new_messages()) == ["还在窗口内"]
    follower = served.followers.follower(OPENID)
    assert follower is not None and follower.dropped == 1  # the two texts were one message
    assert served.channel.dropped == 1
    assert served.fake.refused(45015) == []  # never even tried
    await served.say("我回来了")  # a new message opens a new window
    assert await served.channel.push(OPENID, [Text("提醒")]) == 1


async def test_a_reminder_outside_the_window_is_dropped_and_counted(make_served: MakeServed) -> None:
    from bot.app import pushers
    from bot.reminders.pushing import Dropped, Sent
    from dialogs.messages import Choice, Menu

    served = await make_served()
    await served.say("/assess")
    reminder = [
        Menu("您的自测停在第 1/4 题", (Choice("/assess", "继续自测"), Choice("/stop_reminders", "不再提醒")))
    ]
    push = pushers([served.channel])["wechat"]  # what the reminder scheduler calls
    served.clock.advance(24 * HOUR)
    assert await push(OPENID, reminder) == Sent()
    assert "继续自测" in texts(served.new_messages())[0]
    served.clock.advance(25 * HOUR)  # 49 hours after the person's last message
    assert isinstance(await push(OPENID, reminder), Dropped)
    follower = served.followers.follower(OPENID)
    assert follower is not None and follower.dropped == 1 and served.new_messages() == []


async def test_the_five_messages_a_message_allows_are_kept(make_served: MakeServed) -> None:
    served = await make_served()
    await served.say("/menu")
    sent = [await served.channel.push(OPENID, [Text(f"第{n}条")]) for n in range(7)]
    assert sent == [1, 1, 1, 1, 1, 0, 0]
    assert served.fake.refused(45047) == [] and served.channel.dropped == 2


async def test_a_refusal_by_wechat_closes_the_window(
    make_served: MakeServed, caplog: pytest.LogCaptureFixture
) -> None:
    served = await make_served()
    await served.say("/menu")
    served.fake.fail_next(CUSTOM_SEND, 45015)
    with caplog.at_level(logging.ERROR, logger="zjtx.wechat"):
        assert await served.channel.push(OPENID, [Text("一")]) == 0
    assert any("errcode=45015" in r.getMessage() for r in caplog.records)
    assert await served.channel.push(OPENID, [Text("二")]) == 0  # not tried again
    assert len(served.fake.calls_to(CUSTOM_SEND)) == 1


# --- events -------------------------------------------------------------------------------------


async def test_unsubscribe_is_remembered_and_nothing_more_is_sent(make_served: MakeServed) -> None:
    served = await make_served()
    await served.say("/menu")
    assert await served.event("unsubscribe") == []
    assert await served.channel.push(OPENID, [Text("提醒")]) == 0
    follower = served.followers.follower(OPENID)
    assert follower is not None and not follower.subscribed
    assert served.fake.calls_to(CUSTOM_SEND) == []
    got = await served.event("subscribe", EventKey="")  # back again: greeted, sendable
    assert texts(got)[0].startswith(ZH["start.greeting"])
    assert await served.channel.push(OPENID, [Text("欢迎回来")]) == 1


@pytest.mark.parametrize(
    ("command", "expected"), [("/assess", "assess.intro"), ("/contacts", None), ("/faq", None)]
)
async def test_the_custom_menu_buttons_run_their_commands(
    make_served: MakeServed, command: str, expected: str | None
) -> None:
    served = await make_served()
    got = await served.event("CLICK", EventKey=command)
    assert got and got[0]["passive"]
    if expected:
        assert texts(got)[0].startswith(ZH[expected])
    assert command in CUSTOM_MENU


@pytest.mark.parametrize("kind", ["image", "voice", "video", "shortvideo", "location", "link"])
async def test_media_gets_a_please_type_reply(make_served: MakeServed, kind: str) -> None:
    served = await make_served()
    got = await served.got(media_xml(OPENID, kind, 31, int(served.clock()) + 1))
    assert texts(got) == [ZH["wechat.please_type"]]
    assert served.store.db.row("SELECT count(*) FROM sessions") == (0,)


async def test_other_events_are_answered_success(make_served: MakeServed) -> None:
    served = await make_served()
    assert await served.event("VIEW", EventKey="https://example.org") == []
    assert await served.event("TEMPLATESENDJOBFINISH") == []


# --- across the product -------------------------------------------------------------------------


async def test_forget_removes_the_persons_rows_but_not_the_token(make_served: MakeServed) -> None:
    served = await make_served()
    await served.say("/menu")
    await served.channel.push(OPENID, [Text("x")])  # fetches (and stores) the access token
    served.channel.document_text(
        SessionKey("wechat", OPENID, OPENID), "zh", "报告", "r.pdf", "application/pdf", b"%PDF"
    )
    asked = await served.say("/forget")  # what it deletes, and a yes/no to confirm
    assert texts(asked)[0].startswith(ZH["forget.confirm"])
    got = await served.say("1")  # 1. 是，全部删除
    assert texts(got)[0].startswith(ZH["forget.done"].split("{")[0])
    for table in ("sessions", "wechat_followers", "document_links"):
        assert served.store.db.row(f"SELECT count(*) FROM {table}") == (0,), table
    assert served.store.db.row("SELECT count(*) FROM wechat_tokens") == (1,)


async def test_staff_notices_go_to_a_wechat_staff_chat_within_its_window(make_served: MakeServed) -> None:
    served = await make_served()
    notify = staff_notifier(settings(ZJTX_STAFF_CHAT="wechat:oStaff"), [served.channel])
    assert notify is not None
    await served.say("/menu", user="oStaff")
    await notify(Notify("lead", "新的入会申请：广州某某科技"))
    assert texts(served.fake.delivered("oStaff"))[-1] == "新的入会申请：广州某某科技"


async def test_a_handoff_from_a_follower_reaches_the_staff_chat(make_served: MakeServed) -> None:
    served = await make_served()
    mail = served.channel._assistant.mail
    assert mail is not None
    mail.staff_chat = "telegram:-1001234"  # queued with the turn in the reply outbox, for Telegram

    def seen() -> list[tuple[str, str]]:
        return served.store.db.rows("SELECT chat_id, messages FROM reply_outbox WHERE kind='notice'")

    unreachable = texts(await served.say("转人工"))  # no staff chat that can be reached
    assert seen() == [] and ZH["faq.handoff.unreachable"] in "\n".join(unreachable)
    served.channel._assistant.engine = ENGINE.reaching_staff(True)  # a staff chat, e.g. on Telegram
    promised = texts(await served.say("转人工"))
    [(chat, notice)] = seen()
    assert chat == "-1001234" and "wechat" in notice and OPENID in notice
    assert ZH["faq.handoff.asked"].split("。")[0] in "\n".join(promised)


async def test_an_expired_token_is_refreshed_once_and_the_call_repeated(make_served: MakeServed) -> None:
    served = await make_served()
    await served.say("/menu")
    assert await served.channel.push(OPENID, [Text("一")]) == 1
    served.fake.expire_tokens()
    assert await served.channel.push(OPENID, [Text("二")]) == 1
    answers = [c.answer.get("errcode") for c in served.fake.calls_to(CUSTOM_SEND)]
    assert answers == [0, 42001, 0] and len(served.fake.calls_to(STABLE_TOKEN)) == 2


async def test_pictures_are_uploaded_as_temporary_media(make_served: MakeServed) -> None:
    served = await make_served()
    await served.say("/menu")
    key = SessionKey("wechat", OPENID, OPENID)
    picture = png()
    sent = await served.channel._deliver(
        key, "test", served.channel.image(lambda: picture, "card.png", "得分 72")
    )
    [upload] = served.fake.uploads.values()
    assert sent == 1 and upload.data == picture and upload.filename == "card.png"
    assert served.new_messages()[-1] == {
        "touser": OPENID,
        "msgtype": "image",
        "image": {"media_id": upload.media_id},
    }
    served.fake.fail_next(MEDIA_UPLOAD, 40004)
    await served.channel._deliver(key, "test", served.channel.image(lambda: picture, "card.png", "得分 72"))
    assert texts(served.new_messages()) == ["得分 72"]  # the picture's text instead


async def test_a_document_is_a_signed_expiring_link(make_served: MakeServed) -> None:
    served = await make_served()
    key = SessionKey("wechat", OPENID, OPENID)
    text = served.channel.document_text(
        key, "zh", "您的自测报告", "报告.pdf", "application/pdf", b"%PDF-1.7 fake"
    )
    [url] = re.findall(r"https://zjtx\.example\.org(/files/\S+)", text)
    assert text.startswith("您的自测报告")
    response = await served.client.get(url)
    assert (response.status, await response.read()) == (200, b"%PDF-1.7 fake")
    assert response.headers["Content-Type"] == "application/pdf"
    token = url.rsplit("/", 1)[1]
    file_id, expiry, sig = token.split(".")
    for forged in (
        f"{file_id}.{int(expiry) + 86400}.{sig}",
        f"{file_id}.{expiry}.{'A' * len(sig)}",
        "x",
        f"{file_id}",
    ):
        assert (await served.client.get(f"/files/{forged}")).status == 403, forged
    served.clock.advance(3 * 24 * HOUR + 1)
    assert (await served.client.get(url)).status == 410


# --- shutdown and wiring ------------------------------------------------------------------------


async def test_stop_refuses_new_callbacks(make_served: MakeServed) -> None:
    served = await make_served()
    await served.channel.stop()
    query, body = served.envelope(text_xml(OPENID, "/help", 2, int(served.clock())))
    status, text = await served.post_raw(query, body)
    assert (status, "shutting_down" in text) == (503, True)
    assert served.store.db.row("SELECT count(*) FROM inbox WHERE platform_id=?", ["wechat:msg:2"]) == (0,)


async def test_a_new_message_waits_behind_the_unsent_rest_of_the_last_one(
    make_served: MakeServed, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = await make_served()
    long_parts = [f"{i}. " + "专精特新" * 60 for i in range(6)]  # two messages and more
    monkeypatch.setattr(results, "all_subsidies", lambda view, today, full=False: long_parts)
    gate = asyncio.Event()
    real = served.channel._api.send_text

    async def gated(openid: str, content: str) -> None:
        await gate.wait()
        await real(openid, content)

    served.channel._api.send_text = gated  # type: ignore[method-assign]
    served.fake.follower_messaged(OPENID)
    query, body = served.envelope(text_xml(OPENID, "/subsidies all", 3, int(served.clock())))
    status, answer = await served.post_raw(query, body)
    assert status == 200 and served.passive(answer) is not None
    assert served.channel.in_flight >= 1
    # the next message's turn must queue behind the unsent rest: no passive reply overtakes it
    query, body = served.envelope(text_xml(OPENID, "/tiers", 4, int(served.clock())))
    status, second = await served.post_raw(query, body)
    assert (status, second) == (200, "success")
    gate.set()
    await served.channel.drain()
    sent = texts(served.new_messages())
    assert len(sent) >= 2 and "5.5 亿元" in sent[-1]  # the rest of the first turn, then the second
    assert all("专精特新" in text for text in sent[:-1])


FULL = {
    "WECHAT_APP_ID": APP_ID,
    "WECHAT_APP_SECRET": SECRET,
    "WECHAT_TOKEN": TOKEN,
    "WECHAT_AES_KEY": AES_KEY,
}


def settings(**values: Any) -> Settings:
    """Settings with these values only: neither the environment nor a .env file is read."""
    fields = {name: info.alias for name, info in Settings.model_fields.items()}
    given: dict[str, Any] = {name: values[alias] for name, alias in fields.items() if alias in values}
    return Settings.model_construct(**given)


@pytest.mark.parametrize("missing", [None, *FULL])
async def test_the_factory_needs_the_account_settings(tmp_path: Path, missing: str | None) -> None:
    values = {k: v for k, v in FULL.items() if k != missing}
    built = build(settings(ZJTX_DB=str(tmp_path / "f.db"), **values), engine=ENGINE, worker=False)
    wechat = [c for c in built.channels if c.name == "wechat"]  # the composition root wires it
    assert len(wechat) == (1 if missing is None else 0)
    for channel in wechat:
        await channel.stop()
    built.close()


async def test_plaintext_alone_is_enough_for_a_test_account(tmp_path: Path) -> None:
    db = connect(tmp_path / "p.db")
    assistant = Assistant(SqliteStore(db), ENGINE, lambda: TODAY)
    values = {k: v for k, v in FULL.items() if k != "WECHAT_AES_KEY"}
    assert channel_from_settings(settings(**values), assistant, db) is None
    channel = channel_from_settings(settings(WECHAT_PLAINTEXT=True, **values), assistant, db)
    assert channel is not None
    await channel.stop()
    db.close()


def test_the_channel_texts_are_in_both_catalogs() -> None:
    catalogs = load_catalogs().messages
    keys = [k for k in catalogs["zh"] if k.startswith("wechat.")]
    assert len(keys) == 6 and all(catalogs["en"].get(k) for k in keys)


async def test_the_report_after_a_result_is_a_link_to_the_pdf(make_served: MakeServed) -> None:
    served = await make_served()
    await answer_until_result(served, await served.say("/assess"))
    got = await served.say("/report")
    assert got[0]["passive"]
    [url] = re.findall(r"https://zjtx\.example\.org(/files/\S+)", "\n".join(texts(got)))
    response = await served.client.get(url)
    pdf = await response.read()
    assert response.status == 200 and pdf.startswith(b"%PDF")
    assert response.headers["Content-Type"] == "application/pdf"


async def test_no_request_crashes_the_callback_and_none_touches_state(make_served: MakeServed) -> None:
    import random

    served = await make_served()
    pick = random.Random(18)
    good_query, good_body = served.envelope(text_xml(OPENID, "/assess", 12, int(served.clock())))
    for n in range(300):
        body = bytes(pick.randrange(256) for _ in range(pick.randrange(0, 400)))
        if n % 3 == 0:  # a real envelope with bits of its signed Encrypt flipped
            flipped = bytearray(good_body)
            start = good_body.index(b"<Encrypt><![CDATA[") + len(b"<Encrypt><![CDATA[")
            end = good_body.index(b"]]></Encrypt>")
            for _ in range(pick.randrange(1, 4)):
                flipped[pick.randrange(start, end)] ^= 1 << pick.randrange(8)
            body = bytes(flipped)
        query = good_query if n % 2 else "".join(pick.choice("a=&%+/x1") for _ in range(pick.randrange(40)))
        status, _ = await served.post_raw(query, body)
        assert status in (400, 403, 413), (n, status)
    for table in ("seen", "sessions", "wechat_followers"):
        assert served.store.db.row(f"SELECT count(*) FROM {table}") == (0,), table


async def test_a_callback_stored_but_not_handled_before_a_crash_is_handled_at_the_next_start(
    make_served: MakeServed, tmp_path: Path
) -> None:
    db = tmp_path / "crash.db"
    served = await make_served(db)
    await served.say("/menu")  # the follower's window is open
    # a callback stored (acknowledged or not), then the process died before its turn committed
    stored = served.store.db
    mail = served.channel._assistant.mail
    assert mail is not None
    row = mail.store(
        "wechat",
        "wechat:msg:4242",
        conversation=OPENID,
        user_id=OPENID,
        payload=text_xml(OPENID, "/tiers", 4242, int(served.clock())),
    )
    assert row is not None and stored.row("SELECT state FROM inbox WHERE id=?", [row.id]) == ("pending",)
    served.new_messages()
    again = await restart(served, make_served, db)
    await again.channel.drain()
    assert again.store.db.row("SELECT state FROM inbox WHERE id=?", [row.id]) == ("done",)
    assert "5.5 亿元" in "\n".join(texts(again.new_messages()))  # as customer-service messages
    # WeChat retrying that callback now finds it done: answered, not handled again
    query, body = again.envelope(text_xml(OPENID, "/tiers", 4242, int(again.clock())))
    assert await again.post_raw(query, body) == (200, "success")
    await again.channel.drain()
    assert again.new_messages() == []
