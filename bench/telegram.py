"""How many Telegram updates a second the channel carries end to end through its webhook,
against a bare aiohttp handler in the same run. Prints figures and ratios; asserts nothing.

End to end = POST of an update to /telegram/webhook → secret check, JSON parsing, PTB's
Update, the durable update_id check in SQLite, the per-conversation queue, the dialog step
and its commit, "typing…" and the reply calls answered by the fake Bot API server (on
127.0.0.1, in this process, through PTB's AIORateLimiter) → the update's handling done.
The bare handler only parses the JSON and answers 200.

Every simulated person works through the self-assessment of worked example A by typing
(options by their number), over and over; several people at once at the higher
concurrency, each sending the next update when the last one is answered. Updates are
built before the clock starts. Latency is per update: from sending the POST to the end
of its handling (the bare handler: to its 200); "ack" is the channel's time to its 200.

The rate limiter runs with Telegram's limits switched off here (30 messages a second
would otherwise be the figure measured); the last line shows the same run with them.

Run from the repository root (the fake Bot API server lives in tests/fakes):
``python -m bench.telegram [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Update
from telegram.ext import AIORateLimiter, ContextTypes, TypeHandler

from bench.wecom import script
from bot.app import build, http_app
from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramChannel
from bot.settings import Settings
from dialogs.engine import DialogEngine
from tests.fakes.telegram_api import FakeTelegramBotApi

TODAY = date(2026, 11, 23)
SECRET = "bench-webhook-secret"
FIRST_USER = 10_000

JSONDict = dict[str, Any]


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


def updates(api: FakeTelegramBotApi, messages: list[str], people: int, total: int) -> list[list[JSONDict]]:
    """``total`` updates shared among ``people``; each person goes through ``messages`` in turn."""
    per_person: list[list[JSONDict]] = [[] for _ in range(people)]
    for n in range(total):
        person = n % people
        text = messages[len(per_person[person]) % len(messages)]
        user = FIRST_USER + person
        per_person[person].append(api.message_update(user, user, text))
    return per_person


async def run_channel(
    label: str,
    work: list[list[JSONDict]],
    db: Path,
    api: FakeTelegramBotApi,
    engine: DialogEngine,
    limiter: AIORateLimiter,
) -> Figures:
    app = build(
        Settings(_env_file=None, ZJTX_DB=str(db)),
        today=lambda: TODAY,
        engine=engine,
        channels=False,
        worker=False,
    )
    store = app.store
    channel = TelegramChannel(
        app.assistant,
        token=api.token,
        api_base_url=api.base_url,
        webhook_url="https://bot.example.org/telegram/webhook",
        webhook_secret=SECRET,
        rate_limiter=limiter,
    )
    waiting: dict[int, asyncio.Future[None]] = {}

    async def handled(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # group 1 runs once the channel's own handler (group 0) has sent its replies
        future = waiting.pop(update.update_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    channel.application.add_handler(TypeHandler(Update, handled), group=1)
    server = TestServer(http_app(store.db, [channel]), host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url(WEBHOOK_PATH))
    api.webhook_redirect = url
    await channel.start()
    latencies: list[float] = []
    acks: list[float] = []
    loop = asyncio.get_running_loop()

    async def person(session: aiohttp.ClientSession, mine: list[JSONDict]) -> None:
        for update in mine:
            done = loop.create_future()
            waiting[update["update_id"]] = done
            started = time.perf_counter()
            async with session.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
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


async def run_bare(label: str, work: list[list[JSONDict]]) -> Figures:
    async def handler(request: web.Request) -> web.Response:
        await request.json()
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url(WEBHOOK_PATH))
    latencies: list[float] = []

    async def person(session: aiohttp.ClientSession, mine: list[JSONDict]) -> None:
        for update in mine:
            started = time.perf_counter()
            async with session.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
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
        f"  {f.label:<34} {f.per_second:>8.0f}/s   p50 {f.pct(f.latencies, 50):7.2f} ms   "
        f"p99 {f.pct(f.latencies, 99):7.2f} ms   ack p50 {f.pct(f.acks, 50):6.2f} ms   "
        f"throughput ×{f.per_second / bare.per_second:.3f} of bare"
    )


def unlimited() -> AIORateLimiter:
    return AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=8)


async def main(quick: bool) -> None:
    engine = DialogEngine()
    messages = script(engine)
    total = 400 if quick else 3000
    print(f"one assessment = {len(messages)} messages; {total} updates per run")
    async with FakeTelegramBotApi() as api:
        with tempfile.TemporaryDirectory() as folder:
            for people in (1, 16):
                work = updates(api, messages, people, total)
                bare = await run_bare(f"bare handler, {people} at once", work)
                work = updates(api, messages, people, total)
                calls_before = len(api.calls())
                channel = await run_channel(
                    f"telegram channel, {people} at once",
                    work,
                    Path(folder) / f"bench{people}.db",
                    api,
                    engine,
                    unlimited(),
                )
                calls = api.calls()[calls_before:]
                sends = sum(1 for c in calls if c.method == "sendMessage")
                actions = sum(1 for c in calls if c.method == "sendChatAction")
                print(f"{people} person(s) at once:")
                show(bare, bare)
                show(channel, bare)
                print(
                    f"  per update: {sends / channel.count:.2f} sendMessage, "
                    f"{actions / channel.count:.2f} sendChatAction"
                )
            limited = await run_channel(
                "with Telegram's limits, 16 at once",
                updates(api, messages, 16, 120 if quick else 300),
                Path(folder) / "limited.db",
                api,
                engine,
                AIORateLimiter(max_retries=8),
            )
            print("Telegram's own limits (30 requests a second with a chat, as PTB counts them):")
            show(limited, bare)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer updates")
    asyncio.run(main(parser.parse_args().quick))
