"""What the durable inbox and reply outbox cost: updates a second and latency per update
through each channel with them on the database file, and with the same inbox and outbox
in a throwaway in-memory database (no disk writes, nothing durable), in one run. Prints
figures and ratios; asserts nothing.

End to end = POST of an update (Telegram webhook, or an encrypted WeCom callback) → the
checks, the inbox row committed, the 200; the dispatcher, the dialog step committed with
its replies and the row's "done"; the outbox claiming, sending and recording each reply
part at the fake platform (127.0.0.1, in this process) → the person's reply arrived.
Latency is per update, from sending the POST to the arrival of its first reply message;
"ack" is the time to the 200. Each simulated person works through worked example A by
typing (options by number), sending the next message once the reply came; 1 and 16
people at once. With the inbox on disk every update costs the inbox row's commit before
the 200, the turn's (with its replies claimed) and one per reply part sent, each
synchronous (``synchronous=FULL``). A WeCom reply counts as arrived once the fake answered
its text.

Without the inbox: ``--without PATH`` runs the same updates, in the same run, through the
channels of another checkout (one from before the inbox, where a webhook is answered 200
and a WeCom callback acknowledged before the turn, and replies are sent from the turn's
task), in a child process, and gives each figure's ratio to it: what the inbox and the
outbox cost, durability and bookkeeping together.

Run from the repository root (the fakes live in tests/fakes):
``python -m bench.inbox [--quick] [--without ../checkout-before-the-inbox]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from telegram.ext import AIORateLimiter

from bench.wecom import AES_KEY, CORP_ID, SECRET, TOKEN, envelopes, script, url_of
from bot.app import build, http_app
from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramChannel
from bot.channels.wecom import WeComApi, WeComConfig, WeComCrypto
from bot.channels.wecom.channel import WeComChannel
from bot.db import Db, connect
from bot.service import Assistant
from bot.settings import Settings
from dialogs.engine import DialogEngine
from tests.fakes.telegram_api import FakeTelegramBotApi
from tests.fakes.wecom_api import FakeWeComApi

TODAY = date(2026, 11, 23)
WEBHOOK_SECRET = "bench-webhook-secret"
FIRST_USER = 10_000


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


def show(f: Figures, *bases: tuple[Figures, str]) -> None:
    ratios = "".join(f"   ×{f.per_second / b.per_second:.3f} of {of}" for b, of in bases)
    print(
        f"  {f.label:<28} {f.per_second:>6.0f}/s   p50 {f.pct(f.latencies, 50):7.2f} ms   "
        f"p99 {f.pct(f.latencies, 99):7.2f} ms   ack p50 {f.pct(f.acks, 50):6.2f} ms{ratios}"
    )


def show_all(memory: Figures, disk: Figures, bare: Figures | None) -> None:
    """Without the inbox (when measured), then in memory and on disk, with their ratios."""
    if bare is None:
        show(memory)
        show(disk, (memory, "in memory"))
        return
    show(bare)
    show(memory, (bare, "without"))
    show(disk, (bare, "without"), (memory, "in memory"))


def assistant_for(
    db: Path, engine: DialogEngine, durable: bool | None
) -> tuple[Assistant, Db, Callable[[], None]]:
    """An Assistant on the database ``db`` whose inbox and outbox are on it too (``durable``)
    or in a throwaway in-memory database; None: as ``build`` makes it (in a checkout from
    before the inbox, one without)."""
    app = build(
        Settings(_env_file=None, ZJTX_DB=str(db)),
        today=lambda: TODAY,
        engine=engine,
        channels=False,
        worker=False,
    )
    if durable is None:
        return app.assistant, app.db, app.close
    from bot.mailroom import Mailroom

    mail_db = app.db if durable else connect(":memory:")
    assistant = Assistant(app.store, engine, lambda: TODAY, mail=Mailroom(mail_db))

    def close() -> None:
        if mail_db is not app.db:
            mail_db.close()
        app.close()

    return assistant, app.db, close


async def drive(
    people: list[list[Any]],
    post: Callable[[aiohttp.ClientSession, Any], Awaitable[int]],
    replied: Callable[[int, int], Awaitable[None]],
    seen: Callable[[], int],
) -> tuple[float, list[float], list[float]]:
    latencies: list[float] = []
    acks: list[float] = []

    async def person(session: aiohttp.ClientSession, n: int, mine: list[Any]) -> None:
        for item in mine:
            since = seen()  # the fake's record so far: the reply is looked for after it
            started = time.perf_counter()
            status = await post(session, item)
            assert status == 200, status
            acks.append(time.perf_counter() - started)
            await replied(n, since)
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=len(people))
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(person(session, n, mine) for n, mine in enumerate(people)))
        return time.perf_counter() - began, latencies, acks


async def telegram_run(
    label: str,
    api: FakeTelegramBotApi,
    messages: list[str],
    people: int,
    total: int,
    db: Path,
    durable: bool | None,
) -> Figures:
    engine = DialogEngine()
    assistant, app_db, close = assistant_for(db, engine, durable)
    channel = TelegramChannel(
        assistant,
        token=api.token,
        api_base_url=api.base_url,
        webhook_url="https://bot.example.org/telegram/webhook",
        webhook_secret=WEBHOOK_SECRET,
        rate_limiter=AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=8),
    )
    server = TestServer(http_app(app_db, [channel]), host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url(WEBHOOK_PATH))
    await channel.start()
    work: list[list[Any]] = [[] for _ in range(people)]
    for n in range(total):
        user = FIRST_USER + n % people
        work[n % people].append(
            api.message_update(user, user, messages[len(work[n % people]) % len(messages)])
        )

    async def post(session: aiohttp.ClientSession, update: Any) -> int:
        async with session.post(url, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}) as response:
            await response.read()
            return response.status

    async def replied(n: int, since: int) -> None:
        chat = FIRST_USER + n
        await api.wait_for(
            lambda c: c.method == "sendMessage" and c.ok and c.result["chat"]["id"] == chat, 30, since=since
        )

    seconds, latencies, acks = await drive(work, post, replied, api.checkpoint)
    await channel.stop()
    await server.close()
    close()
    return Figures(label, len(latencies), seconds, latencies, acks)


async def wecom_run(
    label: str,
    fake: FakeWeComApi,
    messages: list[str],
    people: int,
    total: int,
    db: Path,
    durable: bool | None,
) -> Figures:
    from bot.channels.wecom.channel import StoreReplayGuard

    engine = DialogEngine()
    assistant, app_db, close = assistant_for(db, engine, durable)
    config = WeComConfig(CORP_ID, 1, SECRET, TOKEN, AES_KEY, api_base_url=fake.base_url)
    api = WeComApi.from_config(config)
    # a reply has arrived once the fake answered its text (watched on the client: a version
    # before the inbox has fakes that cannot be waited on)
    texts: dict[str, int] = {}
    arrived = asyncio.Condition()
    send_text = api.send_text

    async def counted(user_id: str, content: str) -> Any:
        result = await send_text(user_id, content)
        async with arrived:
            texts[user_id] = texts.get(user_id, 0) + 1
            arrived.notify_all()
        return result

    api.send_text = counted  # type: ignore[method-assign]
    channel = WeComChannel(
        config,
        assistant,
        replay_guard=StoreReplayGuard(assistant.store),  # a version before the inbox needs it
        api=api,
    )
    server = TestServer(http_app(app_db, [channel]), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    await channel.start()
    work = envelopes(WeComCrypto(TOKEN, AES_KEY, CORP_ID), messages, people, total, itertools.count(1))
    before: dict[str, int] = {}
    owner = {msg_id: f"p{n}" for n, mine in enumerate(work) for msg_id, _ in mine}

    async def post(session: aiohttp.ClientSession, item: Any) -> int:
        msg_id, envelope = item
        user = owner[msg_id]
        before[user] = texts.get(user, 0)
        async with session.post(url_of(base, envelope), data=envelope.xml) as response:
            await response.read()
            return response.status

    async def replied(n: int, since: int) -> None:
        user = f"p{n}"
        async with asyncio.timeout(30), arrived:
            await arrived.wait_for(lambda: texts.get(user, 0) > before.get(user, 0))

    seconds, latencies, acks = await drive(list(work), post, replied, lambda: 0)
    await channel.stop()
    await server.close()
    close()
    return Figures(label, len(latencies), seconds, latencies, acks)


async def child(platform: str, people: int, total: int) -> None:
    """One run as ``build`` makes the assistant, printed as JSON (for ``--without``)."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    messages = script(DialogEngine())
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "without.db"
        if platform == "telegram":
            async with FakeTelegramBotApi() as api:
                f = await telegram_run("without the inbox", api, messages, people, total, db, None)
        else:
            async with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
                f = await wecom_run("without the inbox", fake, messages, people, total, db, None)
    print(json.dumps({"count": f.count, "seconds": f.seconds, "latencies": f.latencies, "acks": f.acks}))


async def without(root: Path, platform: str, people: int, total: int) -> Figures:
    """The same updates through the checkout at ``root`` (its own bot and fakes), in a child."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    args = ["--child", platform, "--people", str(people), "--total", str(total)]
    # this file, run with that checkout first on the path (not this folder: bench/telegram.py
    # would stand for python-telegram-bot)
    code = (
        f"import runpy, sys; sys.argv = [{__file__!r}, *{args!r}]; "
        f"runpy.run_path({__file__!r}, run_name='__main__')"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, cwd=root, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the run without the inbox failed ({process.returncode})")
    got = json.loads(out.decode().strip().splitlines()[-1])
    return Figures("without the inbox", got["count"], got["seconds"], got["latencies"], got["acks"])


async def main(quick: bool, root: Path | None) -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    messages = script(DialogEngine())
    total = 300 if quick else 1500
    print(f"one assessment = {len(messages)} messages; {total} updates per run")
    with tempfile.TemporaryDirectory() as folder:
        async with FakeTelegramBotApi() as api:
            for people in (1, 16):
                print(f"Telegram webhook, {people} at once:")
                memory = await telegram_run(
                    "inbox and outbox in memory",
                    api,
                    messages,
                    people,
                    total,
                    Path(folder) / f"tm{people}.db",
                    False,
                )
                disk = await telegram_run(
                    "durable inbox and outbox",
                    api,
                    messages,
                    people,
                    total,
                    Path(folder) / f"td{people}.db",
                    True,
                )
                bare = await without(root, "telegram", people, total) if root is not None else None
                show_all(memory, disk, bare)
        async with FakeWeComApi(corp_id=CORP_ID, secret=SECRET) as fake:
            for people in (1, 16):
                print(f"WeCom callbacks, {people} at once:")
                memory = await wecom_run(
                    "inbox and outbox in memory",
                    fake,
                    messages,
                    people,
                    total,
                    Path(folder) / f"wm{people}.db",
                    False,
                )
                disk = await wecom_run(
                    "durable inbox and outbox",
                    fake,
                    messages,
                    people,
                    total,
                    Path(folder) / f"wd{people}.db",
                    True,
                )
                bare = await without(root, "wecom", people, total) if root is not None else None
                show_all(memory, disk, bare)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer updates")
    parser.add_argument("--without", type=Path, help="a checkout from before the inbox, to compare with")
    parser.add_argument("--child", choices=("telegram", "wecom"), help=argparse.SUPPRESS)
    parser.add_argument("--people", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--total", type=int, default=300, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child, args.people, args.total))
    else:
        asyncio.run(main(args.quick, args.without.resolve() if args.without else None))
