"""How many encrypted WeChat Official Account callbacks a second the channel carries end to
end with passive replies, beside the WeCom channel and a bare aiohttp handler in the same
run. Prints figures and ratios; asserts nothing.

End to end = POST of an encrypted, signed callback (safe mode) → signature checks,
decryption with the AppID as receive id, XML parsing, the SQLite replay guard and window,
the dialog step and its commit, the passive reply encrypted into the HTTP answer → the
answer read, and any customer-service messages of the turn sent to the fake WeChat server
(on 127.0.0.1, in this process; the score card uploaded as temporary media). The WeCom
figure is bench/wecom.py's channel on the same messages (its replies all go through the
app API). The bare handler reads the body, parses the XML and answers 200.

Every simulated person works through the self-assessment of worked example A (about 25
messages, digits for options, then the result), over and over; several people at once at
the higher concurrency. Envelopes are built before the clock starts (encrypting is
WeChat's work, not ours); the passive replies are decrypted and checked after it stops.

Run from the repository root (the fakes live in tests/fakes): ``python -m bench.wechat [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bench.wecom import CORP_ID, Figures, envelopes, run_bare, run_channel, script, show
from bench.wecom import TOKEN as WECOM_TOKEN
from bot.app import build, http_app
from bot.channels.tencent import MsgCrypto, child_text, parse_xml, signature
from bot.channels.wechat import CALLBACK_PATH, WeChatApi, WeChatConfig, WeChatStore
from bot.channels.wechat.channel import StoreReplayGuard, WeChatChannel
from bot.channels.wecom import WeComCrypto
from bot.settings import Settings
from bot.store import SessionKey
from dialogs.engine import DialogEngine
from dialogs.messages import Text
from tests.fakes.wechat_api import CUSTOM_SEND, FakeWeChatApi
from tests.fakes.wecom_api import FakeWeComApi

TODAY = date(2026, 11, 23)
APP_ID = "wxbenchaccount01"
SECRET = "bench-app-secret"
TOKEN = "benchwechattoken"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
ACCOUNT = "gh_bench0000001"

Call = tuple[str, str, bytes]  # openid, query, body


class CardAsText(WeChatChannel):
    """The channel sending the score card's text instead of drawing and uploading it, as the
    WeCom channel does today: the like-for-like comparison."""

    def image(self, render: Callable[[], bytes], filename: str, alt: str) -> list[Any]:
        return self._plan(SessionKey("wechat", "bench", "bench"), [Text(alt)])


def callbacks(
    crypto: MsgCrypto, messages: list[str], people: int, total: int, ids: itertools.count[int]
) -> list[list[Call]]:
    """``total`` safe-mode callbacks shared among ``people``, each going through ``messages``."""
    now = int(time.time())
    per_person: list[list[Call]] = [[] for _ in range(people)]
    for n in range(total):
        person = n % people
        openid = f"oBench{person:04d}"
        text = messages[len(per_person[person]) % len(messages)]
        msg_id = next(ids)
        xml = (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
        )
        encrypt = crypto.encrypt(xml)
        nonce = str(msg_id)
        query = (
            f"signature={signature(TOKEN, str(now), nonce)}&timestamp={now}&nonce={nonce}&openid={openid}"
            f"&encrypt_type=aes&msg_signature={crypto.sign(str(now), nonce, encrypt)}"
        )
        body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
        body += "</xml>"
        per_person[person].append((openid, query, body.encode()))
    return per_person


async def run_wechat(
    label: str,
    work: list[list[Call]],
    db: Path,
    fake: FakeWeChatApi,
    engine: DialogEngine,
    kind: type[WeChatChannel] = WeChatChannel,
) -> tuple[Figures, list[bytes], int]:
    """The figures, the HTTP answers, and how many answers carried a passive reply."""
    app = build(
        Settings(_env_file=None, ZJTX_DB=str(db)),
        today=lambda: TODAY,
        engine=engine,
        channels=False,
        worker=False,
    )
    config = WeChatConfig(APP_ID, SECRET, TOKEN, AES_KEY, api_base_url=fake.base_url)
    followers = WeChatStore(app.db)
    channel = kind(
        config,
        app.assistant,
        store=followers,
        replay_guard=StoreReplayGuard(app.store),
        api=WeChatApi.from_config(config, tokens=followers),
    )
    server = TestServer(http_app(app.db, [channel]), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    latencies: list[float] = []
    acks: list[float] = []
    answers: list[bytes] = []

    async def person(session: aiohttp.ClientSession, mine: list[Call]) -> None:
        for openid, query, body in mine:
            fake.follower_messaged(openid)  # what WeChat knows when the person writes
            started = time.perf_counter()
            async with session.post(f"{base}{CALLBACK_PATH}?{query}", data=body) as response:
                answer = await response.read()
                assert response.status == 200, response.status
            acks.append(time.perf_counter() - started)
            rest = channel._sending.get(openid)
            if rest is not None:  # the turn's customer-service messages, if any
                await rest
            latencies.append(time.perf_counter() - started)
            answers.append(answer)

    connector = aiohttp.TCPConnector(limit=len(work))
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(person(session, mine) for mine in work))
        seconds = time.perf_counter() - began
    await channel.stop()
    await server.close()
    app.close()
    crypto = MsgCrypto(TOKEN, AES_KEY, APP_ID)
    passive = 0
    for answer in answers:  # checked after the clock: every reply opens and is for a follower
        if answer != b"success":
            root = parse_xml(crypto.open_reply(answer))
            assert (child_text(root, "ToUserName") or "").startswith("oBench")
            passive += 1
    return Figures(label, len(latencies), seconds, latencies, acks), answers, passive


async def main(quick: bool) -> None:
    engine = DialogEngine()
    messages = script(engine)
    wechat_crypto = MsgCrypto(TOKEN, AES_KEY, APP_ID)
    wecom_crypto = WeComCrypto(WECOM_TOKEN, AES_KEY, CORP_ID)
    total = 400 if quick else 3000
    ids = itertools.count(1)
    print(f"one assessment = {len(messages)} messages; {total} callbacks per run")
    async with (
        FakeWeChatApi(app_id=APP_ID, secret=SECRET) as wechat_fake,
        FakeWeComApi(corp_id=CORP_ID, secret="bench-secret") as wecom_fake,
    ):
        with tempfile.TemporaryDirectory() as folder:
            for people in (1, 16):
                bare = await run_bare(
                    f"bare handler, {people} at once", envelopes(wecom_crypto, messages, people, total, ids)
                )
                wecom = await run_channel(
                    f"wecom channel, {people} at once",
                    envelopes(wecom_crypto, messages, people, total, ids),
                    Path(folder) / f"wecom{people}.db",
                    wecom_fake,
                    engine,
                )
                sends_before = len(wechat_fake.calls_to(CUSTOM_SEND))
                wechat, _, passive = await run_wechat(
                    f"wechat channel, {people} at once",
                    callbacks(wechat_crypto, messages, people, total, ids),
                    Path(folder) / f"wechat{people}.db",
                    wechat_fake,
                    engine,
                )
                sends = len(wechat_fake.calls_to(CUSTOM_SEND)) - sends_before
                cardless, _, _ = await run_wechat(
                    "wechat, card as text",
                    callbacks(wechat_crypto, messages, people, total, ids),
                    Path(folder) / f"wechat-text{people}.db",
                    wechat_fake,
                    engine,
                    CardAsText,
                )
                print(f"{people} person(s) at once:")
                show(bare, bare)
                show(wecom, bare)
                show(wechat, bare)
                show(cardless, bare)
                print(
                    f"  wechat: {passive / wechat.count:.0%} of callbacks answered with a passive reply; "
                    f"customer-service messages per callback {sends / wechat.count:.2f}; "
                    f"throughput ×{wechat.per_second / wecom.per_second:.2f} of wecom's "
                    f"(×{cardless.per_second / wecom.per_second:.2f} with the card as text, as wecom does)"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer callbacks")
    asyncio.run(main(parser.parse_args().quick))
