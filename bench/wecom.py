"""How many encrypted WeCom callbacks a second the channel carries end to end, against a
bare aiohttp handler in the same run. Prints figures and ratios; asserts nothing.

End to end = POST of an encrypted, signed callback → signature check, decryption, XML
parsing, the callback committed to the inbox, the 200; the dialog step committed with its
replies → the delivery finished (the reply outbox sends the replies to the fake WeCom
server beside it; ``python -m bench.inbox`` times until they arrive). The bare handler
reads the body, parses the XML and answers 200.

Every simulated person works through the self-assessment of worked example A (about 25
messages, digits for options, then the result), over and over; several people at once
at the higher concurrency. Envelopes are built before the clock starts (encrypting is
WeCom's work, not ours). Latency is per callback: from sending the POST to the end of
its delivery (the bare handler: to its 200). "ack" is the channel's time to its 200.

Run from the repository root (the fake WeCom server lives in tests/fakes):
``python -m bench.wecom [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import build, http_app
from bot.channels.wecom import (
    CALLBACK_PATH,
    SignedEnvelope,
    WeComApi,
    WeComConfig,
    WeComCrypto,
    WeComInbound,
)
from bot.channels.wecom.channel import WeComChannel
from bot.channels.wecom.inbound import parse_xml
from bot.settings import Settings
from dialogs.engine import DialogEngine
from tests.conversations import assessment_script
from tests.fakes.wecom_api import FakeWeComApi

TODAY = date(2026, 11, 23)
CORP_ID = "wwbenchcorp0001"
TOKEN = "benchtoken"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
SECRET = "bench-secret"


def script(engine: DialogEngine) -> list[str]:
    """The messages of one person's whole assessment (worked example A as people type it)."""
    return assessment_script(engine, TODAY)


class TimedChannel(WeComChannel):
    """The channel, telling the benchmark when each callback's delivery has finished."""

    waiting: dict[str, asyncio.Future[None]]

    async def on_message(self, inbound: WeComInbound) -> None:
        try:
            await super().on_message(inbound)
        finally:
            future = self.waiting.pop(inbound.msg_id or "", None)
            if future is not None and not future.done():
                future.set_result(None)


@dataclass
class Figures:
    label: str
    count: int
    seconds: float
    latencies: list[float]
    acks: list[float]

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def pct(self, values: Sequence[float], q: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def envelopes(
    crypto: WeComCrypto, messages: list[str], people: int, total: int, ids: itertools.count[int]
) -> list[list[tuple[str, SignedEnvelope]]]:
    """``total`` callbacks shared among ``people``; each person goes through ``messages`` in turn."""
    now = int(time.time())
    per_person: list[list[tuple[str, SignedEnvelope]]] = [[] for _ in range(people)]
    for n in range(total):
        person = n % people
        text = messages[len(per_person[person]) % len(messages)]
        msg_id = str(next(ids))
        xml = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[p{person}]]>"
            f"</FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1</AgentID></xml>"
        )
        envelope = crypto.envelope(xml, timestamp=str(now), nonce=msg_id, agent_id="1")
        per_person[person].append((msg_id, envelope))
    return per_person


def url_of(base: str, envelope: SignedEnvelope) -> str:
    query = "&".join(f"{k}={v}" for k, v in envelope.query().items())
    return f"{base}{CALLBACK_PATH}?{query}"


async def run_channel(
    label: str,
    work: list[list[tuple[str, SignedEnvelope]]],
    db: Path,
    fake: FakeWeComApi,
    engine: DialogEngine,
) -> Figures:
    app = build(
        Settings(_env_file=None, ZJTX_DB=str(db)),
        today=lambda: TODAY,
        engine=engine,
        channels=False,
        worker=False,
    )
    store = app.store
    config = WeComConfig(CORP_ID, 1, SECRET, TOKEN, AES_KEY, api_base_url=fake.base_url)
    channel = TimedChannel(config, app.assistant, api=WeComApi.from_config(config))
    channel.waiting = {}
    server = TestServer(http_app(store.db, [channel]), host="127.0.0.1")
    await server.start_server()
    await channel.start()
    base = str(server.make_url("")).rstrip("/")
    latencies: list[float] = []
    acks: list[float] = []
    loop = asyncio.get_running_loop()

    async def person(session: aiohttp.ClientSession, mine: list[tuple[str, SignedEnvelope]]) -> None:
        for msg_id, envelope in mine:
            done = loop.create_future()
            channel.waiting[msg_id] = done
            started = time.perf_counter()
            async with session.post(url_of(base, envelope), data=envelope.xml) as response:
                await response.read()
                assert response.status == 200, response.status
            acks.append(time.perf_counter() - started)
            await done
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=len(work))
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(person(session, mine) for mine in work))
        seconds = time.perf_counter() - began
    await channel.stop()
    await server.close()
    store.close()
    return Figures(label, len(latencies), seconds, latencies, acks)


async def run_bare(label: str, work: list[list[tuple[str, SignedEnvelope]]]) -> Figures:
    async def handler(request: web.Request) -> web.Response:
        parse_xml(await request.read())
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post(CALLBACK_PATH, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    latencies: list[float] = []

    async def person(session: aiohttp.ClientSession, mine: list[tuple[str, SignedEnvelope]]) -> None:
        for _, envelope in mine:
            started = time.perf_counter()
            async with session.post(url_of(base, envelope), data=envelope.xml) as response:
                await response.read()
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=len(work))
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(person(session, mine) for mine in work))
        seconds = time.perf_counter() - began
    await server.close()
    return Figures(label, len(latencies), seconds, latencies, latencies)


def show(figures: Figures, bare: Figures) -> None:
    f = figures
    print(
        f"  {f.label:<28} {f.per_second:>9.0f}/s   p50 {f.pct(f.latencies, 50):7.2f} ms   "
        f"p99 {f.pct(f.latencies, 99):7.2f} ms   ack p50 {f.pct(f.acks, 50):6.2f} ms   "
        f"throughput ×{f.per_second / bare.per_second:.3f} of bare, "
        f"p50 ×{f.pct(f.latencies, 50) / bare.pct(bare.latencies, 50):.1f}"
    )


async def main(quick: bool) -> None:
    engine = DialogEngine()
    messages = script(engine)
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
    total = 400 if quick else 3000
    ids = itertools.count(1)
    print(f"one assessment = {len(messages)} messages; {total} callbacks per run")
    async with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
        with tempfile.TemporaryDirectory() as folder:
            for people in (1, 16):
                work = envelopes(crypto, messages, people, total, ids)
                bare = await run_bare(f"bare handler, {people} at once", work)
                work = envelopes(crypto, messages, people, total, ids)
                sends_before = len(fake.delivered_messages())
                channel = await run_channel(
                    f"wecom channel, {people} at once", work, Path(folder) / f"bench{people}.db", fake, engine
                )
                sends = len(fake.delivered_messages()) - sends_before
                print(f"{people} person(s) at once:")
                show(bare, bare)
                show(channel, bare)
                print(f"  app messages sent per callback: {sends / channel.count:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer callbacks")
    asyncio.run(main(parser.parse_args().quick))
