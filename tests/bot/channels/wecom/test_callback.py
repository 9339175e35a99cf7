"""The /wecom/callback endpoint, driven through aiohttp's test client."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from bot.channels.wecom import (
    CALLBACK_PATH,
    InMemoryReplayGuard,
    WeComCallback,
    WeComConfig,
    WeComCrypto,
    WeComInbound,
)
from tests.fakes.wecom_api import ManualClock

from . import samples

NOW = 1_700_000_000


class Inbox:
    """An on_message that records what it gets; ``gate`` holds deliveries until set."""

    def __init__(self) -> None:
        self.received: list[WeComInbound] = []
        self.gate: asyncio.Event | None = None
        self.arrived = asyncio.Event()

    async def __call__(self, inbound: WeComInbound) -> None:
        self.arrived.set()
        if self.gate is not None:
            await self.gate.wait()
        self.received.append(inbound)


class Served:
    def __init__(self, client: TestClient[web.Request, web.Application], callback: WeComCallback) -> None:
        self.client = client
        self.callback = callback

    async def get(self, query: str) -> tuple[int, str]:
        response = await self.client.get(URL(f"{CALLBACK_PATH}?{query}", encoded=True))
        return response.status, await response.text()

    async def post(self, query: str, body: bytes) -> tuple[int, str]:
        response = await self.client.post(URL(f"{CALLBACK_PATH}?{query}", encoded=True), data=body)
        return response.status, await response.text()


MakeServed = Callable[..., Awaitable[Served]]


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def guard() -> InMemoryReplayGuard:
    return InMemoryReplayGuard()


@pytest.fixture
async def make_served(
    config: WeComConfig, inbox: Inbox, guard: InMemoryReplayGuard
) -> AsyncIterator[MakeServed]:
    clients: list[TestClient[web.Request, web.Application]] = []

    async def make(
        now: float = NOW,
        on_message: Callable[[WeComInbound], Awaitable[None]] | None = None,
        max_age_seconds: float = 300.0,
        max_body_bytes: int = 64 * 1024,
    ) -> Served:
        callback = WeComCallback(
            config,
            on_message or inbox,
            replay_guard=guard,
            clock=ManualClock(now),
            max_age_seconds=max_age_seconds,
            max_body_bytes=max_body_bytes,
        )
        app = web.Application()
        callback.install(app)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return Served(client, callback)

    yield make
    for client in clients:
        await client.close()


def query_of(signature: str, timestamp: str, nonce: str) -> str:
    return f"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}"


def text_message(
    user: str = "zhangsan", content: str = "你好", msg_id: str = "1001", create_time: int = NOW
) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{samples.CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>218</AgentID></xml>"
    )


def envelope_query_and_body(crypto: WeComCrypto, message: str, timestamp: int = NOW) -> tuple[str, bytes]:
    envelope = crypto.envelope(message, timestamp=str(timestamp), nonce="n1", agent_id="218")
    return query_of(envelope.msg_signature, envelope.timestamp, envelope.nonce), envelope.xml


# --- GET: URL verification -------------------------------------------------------------------


async def test_official_url_verification_answers_the_bare_echo(make_served: MakeServed) -> None:
    served = await make_served(now=int(samples.VERIFY_TIMESTAMP) + 3)
    response = await served.client.get(URL(f"{CALLBACK_PATH}?{samples.VERIFY_QUERY}", encoded=True))
    assert response.status == 200
    assert await response.read() == samples.VERIFY_ECHO_PLAINTEXT.encode()


async def test_a_raw_plus_in_echostr_stays_a_plus(make_served: MakeServed) -> None:
    served = await make_served(now=int(samples.VERIFY_TIMESTAMP))
    query = query_of(samples.VERIFY_MSG_SIGNATURE, samples.VERIFY_TIMESTAMP, samples.VERIFY_NONCE)
    assert "+" in samples.VERIFY_ECHOSTR
    assert await served.get(f"{query}&echostr={samples.VERIFY_ECHOSTR}") == (
        200,
        samples.VERIFY_ECHO_PLAINTEXT,
    )


async def test_url_verification_with_a_forged_signature_is_403(make_served: MakeServed) -> None:
    served = await make_served(now=int(samples.VERIFY_TIMESTAMP))
    status, body = await served.get(samples.VERIFY_QUERY.replace("5c45ff", "5c45fe"))
    assert status == 403
    assert "bad_signature" in body
    assert samples.VERIFY_ECHO_PLAINTEXT not in body


async def test_stale_url_verification_is_403(make_served: MakeServed) -> None:
    served = await make_served(now=int(samples.VERIFY_TIMESTAMP) + 301)
    status, body = await served.get(samples.VERIFY_QUERY)
    assert (status, "stale_timestamp" in body) == (403, True)


@pytest.mark.parametrize(
    "query",
    [
        "timestamp=1&nonce=2&echostr=abc",
        "msg_signature=a&timestamp=1&nonce=2",
        samples.VERIFY_QUERY + "&nonce=3",
    ],
)
async def test_url_verification_with_missing_or_repeated_parameters_is_400(
    make_served: MakeServed, query: str
) -> None:
    served = await make_served(now=int(samples.VERIFY_TIMESTAMP))
    status, _ = await served.get(query)
    assert status == 400


# --- POST: messages -------------------------------------------------------------------------


async def test_official_message_is_acknowledged_empty_and_delivered(
    make_served: MakeServed, inbox: Inbox
) -> None:
    served = await make_served(now=int(samples.POST_TIMESTAMP))
    query = query_of(samples.POST_MSG_SIGNATURE, samples.POST_TIMESTAMP, samples.POST_NONCE)
    assert await served.post(query, samples.POST_XML) == (200, "")
    await served.callback.drain()
    assert [(m.kind, m.from_user, m.content, m.msg_id) for m in inbox.received] == [
        ("text", "mycreate", "hello", "4561255354251345929")
    ]


async def test_own_text_message_reaches_on_message(
    make_served: MakeServed, inbox: Inbox, crypto: WeComCrypto
) -> None:
    served = await make_served()
    assert await served.post(*envelope_query_and_body(crypto, text_message(content="专精特新"))) == (200, "")
    await served.callback.drain()
    assert [(m.from_user, m.content, m.agent_id) for m in inbox.received] == [("zhangsan", "专精特新", "218")]


async def test_the_answer_does_not_wait_for_the_dialog(
    make_served: MakeServed, inbox: Inbox, crypto: WeComCrypto
) -> None:
    inbox.gate = asyncio.Event()
    served = await make_served()
    assert await served.post(*envelope_query_and_body(crypto, text_message())) == (200, "")
    await asyncio.wait_for(inbox.arrived.wait(), timeout=5)
    assert served.callback.in_flight == 1 and inbox.received == []
    inbox.gate.set()
    await served.callback.drain()
    assert len(inbox.received) == 1 and served.callback.in_flight == 0


async def test_forged_signature_is_403_logged_and_nothing_stored(
    make_served: MakeServed,
    inbox: Inbox,
    guard: InMemoryReplayGuard,
    crypto: WeComCrypto,
    caplog: pytest.LogCaptureFixture,
) -> None:
    served = await make_served()
    envelope = crypto.envelope(text_message(), timestamp=str(NOW), nonce="n1")
    wrong_last = "0" if envelope.msg_signature[-1] != "0" else "1"
    forged = query_of(envelope.msg_signature[:-1] + wrong_last, envelope.timestamp, envelope.nonce)
    body = envelope.xml
    with caplog.at_level(logging.WARNING, logger="zjtx.wecom"):
        status, text = await served.post(forged, body)
    await served.callback.drain()
    assert (status, "bad_signature" in text) == (403, True)
    assert inbox.received == [] and len(guard) == 0
    assert any("reason=bad_signature" in record.getMessage() for record in caplog.records)


async def test_a_message_signed_with_another_token_is_403(make_served: MakeServed, inbox: Inbox) -> None:
    intruder = WeComCrypto("another-token", samples.ENCODING_AES_KEY, samples.CORP_ID)
    served = await make_served()
    status, _ = await served.post(*envelope_query_and_body(intruder, text_message()))
    await served.callback.drain()
    assert status == 403 and inbox.received == []


@pytest.mark.parametrize("age", [301, -301, 100_000])
async def test_stale_or_future_timestamp_is_refused(
    make_served: MakeServed, inbox: Inbox, crypto: WeComCrypto, age: int
) -> None:
    served = await make_served(now=NOW + age)
    status, text = await served.post(*envelope_query_and_body(crypto, text_message()))
    await served.callback.drain()
    assert (status, "stale_timestamp" in text, inbox.received) == (403, True, [])


async def test_a_timestamp_within_the_window_is_accepted(
    make_served: MakeServed, inbox: Inbox, crypto: WeComCrypto
) -> None:
    served = await make_served(now=NOW + 299)
    assert (await served.post(*envelope_query_and_body(crypto, text_message())))[0] == 200


async def test_the_window_is_configurable(make_served: MakeServed, crypto: WeComCrypto) -> None:
    served = await make_served(now=NOW + 61, max_age_seconds=60.0)
    assert (await served.post(*envelope_query_and_body(crypto, text_message())))[0] == 403


async def test_a_retried_message_is_processed_once(
    make_served: MakeServed, inbox: Inbox, crypto: WeComCrypto
) -> None:
    served = await make_served()
    first = envelope_query_and_body(crypto, text_message(msg_id="777"))
    retry = envelope_query_and_body(crypto, text_message(msg_id="777"))  # fresh random prefix, same MsgId
    assert await served.post(*first) == (200, "")
    assert await served.post(*retry) == (200, "")
    assert await served.post(*first) == (200, "")
    await served.callback.drain()
    assert len(inbox.received) == 1


async def test_a_retried_event_is_processed_once(
    make_served: MakeServed, inbox: Inbox, crypto: WeComCrypto
) -> None:
    event = text_message().replace(
        "<MsgType><![CDATA[text]]></MsgType>", "<MsgType>event</MsgType><Event>enter_agent</Event>"
    )
    event = event.replace("<MsgId>1001</MsgId>", "")
    served = await make_served()
    for _ in range(2):
        assert await served.post(*envelope_query_and_body(crypto, event)) == (200, "")
    await served.callback.drain()
    assert [(m.kind, m.event) for m in inbox.received] == [("event", "enter_agent")]


@pytest.mark.parametrize(
    "body",
    [b"<xml><Encrypt>abc</Encrypt>", b"not xml at all", b"", b"<xml><ToUserName>x</ToUserName></xml>"],
)
async def test_malformed_xml_is_400(make_served: MakeServed, inbox: Inbox, body: bytes) -> None:
    served = await make_served()
    status, _ = await served.post(query_of("a" * 40, str(NOW), "n"), body)
    assert status == 400 and inbox.received == []


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><Encrypt>&lol9;</Encrypt></xml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><Encrypt>&xxe;</Encrypt></xml>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion_laughs", "external_entity"])
async def test_xml_bombs_are_400_and_logged(
    make_served: MakeServed, inbox: Inbox, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    served = await make_served()
    with caplog.at_level(logging.WARNING, logger="zjtx.wecom"):
        status, text = await served.post(query_of("a" * 40, str(NOW), "n"), body)
    assert (status, "xml_forbidden" in text, inbox.received) == (400, True, [])
    assert any("reason=xml_forbidden" in record.getMessage() for record in caplog.records)


async def test_a_bomb_inside_a_validly_signed_envelope_is_400(
    make_served: MakeServed, inbox: Inbox, crypto: WeComCrypto
) -> None:
    served = await make_served()
    status, text = await served.post(*envelope_query_and_body(crypto, EXTERNAL_ENTITY.decode()))
    assert (status, "xml_forbidden" in text, inbox.received) == (400, True, [])


async def test_an_oversized_body_is_413(make_served: MakeServed, crypto: WeComCrypto) -> None:
    served = await make_served(max_body_bytes=1024)
    status, _ = await served.post(*envelope_query_and_body(crypto, text_message(content="长" * 1000)))
    assert status == 413


async def test_a_failing_dialog_is_logged_and_later_messages_still_flow(
    make_served: MakeServed, crypto: WeComCrypto, caplog: pytest.LogCaptureFixture
) -> None:
    received: list[str] = []

    async def flaky(inbound: WeComInbound) -> None:
        if inbound.content == "boom":
            raise RuntimeError("dialog failed")
        received.append(inbound.content or "")

    served = await make_served(on_message=flaky)
    with caplog.at_level(logging.ERROR, logger="zjtx.wecom"):
        assert (
            await served.post(*envelope_query_and_body(crypto, text_message(content="boom", msg_id="1")))
        )[0] == 200
        assert (await served.post(*envelope_query_and_body(crypto, text_message(content="ok", msg_id="2"))))[
            0
        ] == 200
        await served.callback.drain()
    assert received == ["ok"]
    assert any("wecom.delivery_failed" in record.getMessage() for record in caplog.records)


async def test_one_users_messages_stay_in_order_while_others_proceed(
    make_served: MakeServed, crypto: WeComCrypto
) -> None:
    gate = asyncio.Event()
    other_done = asyncio.Event()
    order: list[str] = []

    async def dialog(inbound: WeComInbound) -> None:
        if inbound.content == "a1":
            await gate.wait()
        order.append(inbound.content or "")
        if inbound.content == "b1":
            other_done.set()

    served = await make_served(on_message=dialog)
    for user, content, msg_id in [("a", "a1", "1"), ("a", "a2", "2"), ("b", "b1", "3")]:
        assert (await served.post(*envelope_query_and_body(crypto, text_message(user, content, msg_id))))[
            0
        ] == 200
    await asyncio.wait_for(other_done.wait(), timeout=5)
    assert order == ["b1"]
    gate.set()
    await served.callback.drain()
    assert order == ["b1", "a1", "a2"]


async def test_drain_cancels_what_outlives_the_grace(
    make_served: MakeServed, inbox: Inbox, crypto: WeComCrypto
) -> None:
    inbox.gate = asyncio.Event()  # never set
    served = await make_served()
    await served.post(*envelope_query_and_body(crypto, text_message()))
    await asyncio.wait_for(inbox.arrived.wait(), timeout=5)
    await served.callback.drain(grace_seconds=0)
    assert served.callback.in_flight == 0 and inbox.received == []
