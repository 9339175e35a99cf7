"""Kill `zjtx serve` at random moments while people answer, and count what was lost.

The real server runs in a child process, against the fakes of this package on 127.0.0.1:
the fake Telegram delivers each update by webhook until it is answered 200 (or serves it
by getUpdates until an offset confirms it), the fake WeCom posts each callback until it is
answered 200. People answer a whole self-assessment each, at human pace (the next message
once a reply to the last one came) or eagerly (as a backlog after downtime arrives). At
seeded random moments the server gets SIGKILL and is started again on the same database.

Afterwards every person's replies are compared with what the same conversation gives in
memory (the channel's own planning of the same replies), and the database is read:

- acknowledged: updates the platform saw answered 200 (or confirmed by an offset);
- lost: acknowledged updates whose turn is not in the database (per person, the updates
  acknowledged beyond the session's revision);
- applied twice: turns beyond one per update sent (a session revision too many);
- replies skipped / duplicated: messages expected and never delivered / delivered again.

At human pace a person waits for the reply to each answer, for ``patience`` seconds at most
(then, as a person would, goes on with the next answer: a version that loses updates is
measured to the end too).

The tests (tests/bot/test_kill_restart.py) run it small; ``python -m bench.kill`` big.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import sqlite3
import sys
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, Protocol

from bot.channels.telegram import TelegramChannel
from bot.channels.telegram.media import _caption as caption_of
from bot.channels.wecom.channel import WeComChannel, _MediaSend, _TextSend
from bot.channels.wecom.config import WeComConfig
from bot.channels.wecom.crypto import WeComCrypto
from bot.replies import Reply
from bot.service import Assistant
from bot.settings import today_in_guangzhou
from bot.store import MemoryStore, SessionKey
from dialogs.engine import DialogEngine
from dialogs.messages import Image, Inbound, Outbound
from tests.conversations import assessment_script
from tests.fakes.telegram_api import FakeTelegramBotApi
from tests.fakes.wecom_api import MESSAGE_SEND, FakeWeComApi, FakeWeComCallbacks

ROOT = Path(__file__).resolve().parents[1]
# the tree `zjtx serve` runs from (another checkout, to measure an older version the same way)
SERVER_ROOT = Path(os.environ.get("ZJTX_PROBE_SERVER_ROOT", ROOT))
Mode = Literal["webhook", "polling", "wecom"]
SECRET = "kill-probe-secret"
CORP_ID = "wwkillprobe0001"
WECOM_TOKEN = "killtoken"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
WECOM_SECRET = "kill-secret"
AGENT_ID = 218
SENDING = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
HINT = "zh-hans"  # the fake Telegram's users' language


@dataclass
class Figures:
    mode: str
    pace: str
    people: int
    updates: int = 0
    kills: int = 0
    acknowledged: int = 0
    lost: int = 0
    applied_twice: int = 0
    replies_expected: int = 0
    replies_skipped: int = 0
    replies_duplicated: int = 0
    tracebacks: int = 0
    restarts_to_finish: int = 0
    gave_up_waiting: int = 0  # human pace: answers whose reply never came within the patience
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.mode:<8} {self.pace:<6} people {self.people:>3}  updates {self.updates:>5}  "
            f"kills {self.kills:>2}  acknowledged {self.acknowledged:>5}  lost {self.lost}  "
            f"applied twice {self.applied_twice}  replies {self.replies_expected:>5} "
            f"(skipped {self.replies_skipped}, duplicated {self.replies_duplicated})  "
            f"tracebacks {self.tracebacks}  {self.seconds:.0f} s"
            + (f"  no reply within patience {self.gave_up_waiting}" if self.gave_up_waiting else "")
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`zjtx serve` in a child process, with its log read as it comes (never a pipe left full)."""

    def __init__(self, env: dict[str, str], cwd: Path, ready: str) -> None:
        self.env = env
        self.cwd = cwd
        self.ready_marker = ready
        self.process: asyncio.subprocess.Process | None = None
        self.log: deque[str] = deque(maxlen=400)
        self.tracebacks = 0
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        ready = asyncio.get_running_loop().create_future()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", cwd=self.cwd, env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        self._reader = asyncio.get_running_loop().create_task(self._read(self.process, ready))
        await asyncio.wait_for(ready, 120)

    async def _read(self, process: asyncio.subprocess.Process, ready: asyncio.Future[None]) -> None:
        assert process.stderr is not None
        async for raw in process.stderr:
            line = raw.decode("utf-8", errors="replace").rstrip()
            self.log.append(line)
            if line.startswith("Traceback"):
                self.tracebacks += 1
            if self.ready_marker in line and not ready.done():
                ready.set_result(None)
        if not ready.done():
            ready.set_exception(RuntimeError("zjtx serve ended before it was ready:\n" + "\n".join(self.log)))

    async def kill(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        if self._reader is not None:
            await self._reader

    async def stop(self) -> int:
        """SIGTERM: the server finishes what it has (within its grace period) and exits."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 120)
        if self._reader is not None:
            await self._reader
        return code


def _query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def unfinished(db: Path) -> int:
    """Inbox rows still pending and replies not yet sent (0 for a version without them)."""
    tables = {r[0] for r in _query(db, "SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"inbox", "reply_outbox"} <= tables:
        return 0
    inbox = _query(db, "SELECT count(*) FROM inbox WHERE state='pending'")[0][0]
    replies = _query(db, "SELECT count(*) FROM reply_outbox WHERE state IN ('pending', 'sending')")[0][0]
    return int(inbox) + int(replies)


class Platform(Protocol):
    """One channel's fake and how the probe talks through it."""

    mode: str
    ready: str

    def env(self) -> dict[str, str]: ...

    async def say(self, person: int, text: str) -> None: ...

    def delivered(self, person: int) -> list[str]: ...

    def replies_seen(self, person: int) -> int: ...

    async def wait_replies(self, person: int, count: int, timeout: float) -> None: ...  # noqa: ASYNC109

    async def restarted(self) -> None: ...

    def acknowledged(self) -> int: ...

    def acknowledged_of(self, person: int) -> int: ...

    def expected(self, replies: list[Outbound], lang: str, person: int) -> list[str]: ...

    def key(self, person: int) -> SessionKey: ...


class TelegramPlatform:
    def __init__(self, api: FakeTelegramBotApi, mode: Literal["webhook", "polling"], port: int) -> None:
        self.api = api
        self.mode: str = mode
        self.port = port
        self.ready = "telegram.ready"
        self._read = 0
        self._by_chat: dict[int, list[str]] = {}
        self._person_of: dict[int, int] = {}  # update_id → person
        self.planner = TelegramChannel(
            Assistant(MemoryStore(), DialogEngine(), today_in_guangzhou), token=api.token
        )

    def chat(self, person: int) -> int:
        return 50_000 + person

    def key(self, person: int) -> SessionKey:
        return SessionKey("telegram", str(self.chat(person)), str(self.chat(person)))

    def env(self) -> dict[str, str]:
        env = {"TELEGRAM_BOT_TOKEN": self.api.token, "TELEGRAM_API_BASE_URL": self.api.base_url}
        if self.mode == "webhook":
            env["TELEGRAM_WEBHOOK_URL"] = f"http://127.0.0.1:{self.port}/telegram/webhook"
            env["TELEGRAM_WEBHOOK_SECRET"] = SECRET
        return env

    async def say(self, person: int, text: str) -> None:
        chat = self.chat(person)
        update = self.api.message_update(chat, chat, text)
        self._person_of[int(update["update_id"])] = person
        if self.mode == "webhook":
            await self.api.deliver(update)
        else:
            await self.api.push_update(update)

    def _sent(self, chat: int) -> list[str]:
        """What the chat got: each message's text, each picture's or document's caption."""
        calls = self.api.calls()
        for call in calls[self._read :]:
            if call.method in SENDING and call.ok:
                got = str(call.result.get("text", call.result.get("caption", "")))
                self._by_chat.setdefault(call.result["chat"]["id"], []).append(got)
        self._read = len(calls)
        return self._by_chat.get(chat, [])

    def delivered(self, person: int) -> list[str]:
        return self._sent(self.chat(person))

    def replies_seen(self, person: int) -> int:
        return len(self._sent(self.chat(person)))

    async def wait_replies(self, person: int, count: int, timeout: float) -> None:  # noqa: ASYNC109
        chat = self.chat(person)
        if self.replies_seen(person) >= count:
            return
        await self.api.wait_for(
            lambda c: c.method in SENDING and c.ok and len(self._sent(chat)) >= count, timeout
        )

    async def restarted(self) -> None:
        """Nothing: the restarted bot's setWebhook or getUpdates is the signal."""

    def acknowledged(self) -> int:
        return len(self.api.acknowledged)

    def acknowledged_of(self, person: int) -> int:
        return sum(1 for u in self.api.acknowledged if self._person_of.get(u) == person)

    def expected(self, replies: list[Outbound], lang: str, person: int) -> list[str]:
        chat = str(self.chat(person))
        reply = Reply(0, "telegram", chat, chat, "reply", lang, tuple(replies))
        return [
            caption_of(planned.plain) if planned.media is not None else planned.plain
            for planned, _ in self.planner.parts(reply)
        ]


class WeComPlatform:
    def __init__(self, api: FakeWeComApi, callbacks: FakeWeComCallbacks, port: int) -> None:
        self.api = api
        self.callbacks = callbacks
        self.port = port
        self.mode = "wecom"
        self.ready = "wecom.channel_ready"
        self._read = 0
        self._by_user: dict[str, list[str]] = {}
        self.ids = iter(range(8_000_000_000, 9_000_000_000))
        self._person_of: dict[str, int] = {}  # msg id → person
        config = WeComConfig(
            corp_id=CORP_ID,
            agent_id=AGENT_ID,
            secret=WECOM_SECRET,
            token=WECOM_TOKEN,
            aes_key=AES_KEY,
            api_base_url=api.base_url,
        )
        self.planner = WeComChannel(config, Assistant(MemoryStore(), DialogEngine(), today_in_guangzhou))

    def user(self, person: int) -> str:
        return f"probe{person:04d}"

    def key(self, person: int) -> SessionKey:
        return SessionKey("wecom", self.user(person), self.user(person))

    def env(self) -> dict[str, str]:
        return {
            "WECOM_CORP_ID": CORP_ID,
            "WECOM_AGENT_ID": str(AGENT_ID),
            "WECOM_SECRET": WECOM_SECRET,
            "WECOM_TOKEN": WECOM_TOKEN,
            "WECOM_AES_KEY": AES_KEY,
            "WECOM_API_BASE_URL": self.api.base_url,
        }

    async def say(self, person: int, text: str) -> None:
        msg_id = next(self.ids)
        self._person_of[str(msg_id)] = person
        user = self.user(person)
        xml = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>"
        )
        await self.callbacks.deliver(xml, str(msg_id))

    def _texts(self, person: int) -> list[str]:
        """What the person got: each text, and "[image]" or "[file]" for a picture or a file."""
        calls = self.api.calls
        for call in calls[self._read :]:
            m = call.body if isinstance(call.body, dict) else {}
            if call.path == MESSAGE_SEND and call.answer.get("errcode") == 0:
                kind = m.get("msgtype")
                if kind in ("text", "image", "file"):
                    got = str(m["text"]["content"]) if kind == "text" else f"[{kind}]"
                    self._by_user.setdefault(str(m.get("touser")), []).append(got)
        self._read = len(calls)
        return self._by_user.get(self.user(person), [])

    def delivered(self, person: int) -> list[str]:
        return self._texts(person)

    def replies_seen(self, person: int) -> int:
        return len(self._texts(person))

    async def wait_replies(self, person: int, count: int, timeout: float) -> None:  # noqa: ASYNC109
        await self.api.wait_until(lambda: self.replies_seen(person) >= count, timeout)

    async def restarted(self) -> None:
        await self.callbacks.retarget(f"http://127.0.0.1:{self.port}/wecom/callback")

    def acknowledged(self) -> int:
        return len(self.callbacks.acknowledged)

    def acknowledged_of(self, person: int) -> int:
        return sum(1 for k in self.callbacks.acknowledged if self._person_of.get(k) == person)

    def expected(self, replies: list[Outbound], lang: str, person: int) -> list[str]:
        user = self.user(person)
        reply = Reply(0, "wecom", user, user, "reply", lang, tuple(replies))
        out = []
        for part in self.planner.parts(reply):
            if isinstance(part, _TextSend):
                out.append(part.content)
            elif isinstance(part, _MediaSend):
                out.append("[image]" if isinstance(part.message, Image) else "[file]")
        return out


def expected_conversation(platform: Platform, lines: list[str], today: date, person: int) -> list[str]:
    """The messages one person gets for ``lines``, as the channel plans the same replies."""
    engine = DialogEngine()
    assistant = Assistant(MemoryStore(), engine, lambda: today)
    key = platform.key(person)
    out: list[str] = []
    for text in lines:
        hint = HINT if platform.mode != "wecom" else None
        replies = assistant.handle_now(key, Inbound(text=text, lang_hint=hint))
        out += platform.expected(replies, assistant.lang(key, hint), person)
    return out


async def run_probe(
    folder: Path,
    mode: Mode,
    *,
    people: int,
    kills: int,
    seed: int,
    eager: bool,
    timeout: float = 300.0,  # noqa: ASYNC109 -- the whole run's bound
    patience: float = 60.0,
) -> Figures:
    """Run one probe and count; ``folder`` holds the database and the server's working folder."""
    began = time.monotonic()
    today = today_in_guangzhou()
    lines = assessment_script(DialogEngine(), today)
    figures = Figures(mode, "eager" if eager else "human", people, updates=people * len(lines))
    rng = random.Random(seed)
    port = free_port()
    db = folder / "zjtx.db"
    async with contextlib.AsyncExitStack() as stack:
        platform: Platform
        if mode == "wecom":
            wecom = await stack.enter_async_context(
                FakeWeComApi(corp_id=CORP_ID, secret=WECOM_SECRET, clock=time.time)
            )
            callbacks = FakeWeComCallbacks(WeComCrypto(WECOM_TOKEN, AES_KEY, CORP_ID), agent_id=str(AGENT_ID))
            stack.push_async_callback(callbacks.close)
            platform = WeComPlatform(wecom, callbacks, port)
        else:
            telegram = await stack.enter_async_context(FakeTelegramBotApi())
            platform = TelegramPlatform(telegram, mode, port)
        expected = {p: expected_conversation(platform, lines, today, p) for p in range(people)}
        figures.replies_expected = sum(len(v) for v in expected.values())
        env = {
            **os.environ,
            "PYTHONPATH": str(SERVER_ROOT),
            "ZJTX_DB": str(db),
            "ZJTX_LISTEN": f"127.0.0.1:{port}",
            **platform.env(),
        }
        server = Server(env, folder, platform.ready)
        await server.start()
        await platform.restarted()

        said = 0
        said_changed = asyncio.Condition()
        sent = [0] * people

        async def person(p: int) -> None:
            nonlocal said
            for text in lines:
                before = platform.replies_seen(p)
                await platform.say(p, text)
                sent[p] += 1
                async with said_changed:
                    said += 1
                    said_changed.notify_all()
                if not eager:  # human pace: the next answer once a reply to this one came
                    try:
                        await platform.wait_replies(p, before + 1, patience)
                    except TimeoutError:
                        figures.gave_up_waiting += 1

        async def killer() -> None:
            total = figures.updates
            points = sorted(rng.sample(range(max(1, total // 10), max(2, total * 9 // 10)), kills))
            for point in points:
                async with said_changed:
                    await said_changed.wait_for(lambda: said >= point)  # noqa: B023
                await server.kill()
                figures.kills += 1
                await server.start()
                await platform.restarted()

        tasks = [asyncio.ensure_future(person(p)) for p in range(people)]
        chaos = asyncio.ensure_future(killer())
        try:
            async with asyncio.timeout(timeout):
                await asyncio.gather(*tasks)
                await chaos
                for p in range(people):  # every expected message at least once
                    await platform.wait_replies(p, len(expected[p]), timeout)
        except TimeoutError:
            figures.notes.append("timed out waiting: some replies never came")
        finally:
            for task in (*tasks, chaos):
                task.cancel()
        await server.stop()
        while unfinished(db) and figures.restarts_to_finish < 3:  # what the grace period left over
            figures.restarts_to_finish += 1
            await server.start()
            await platform.restarted()
            await server.stop()
        figures.tracebacks = server.tracebacks

        figures.acknowledged = platform.acknowledged()
        for p in range(people):
            key = platform.key(p)
            found = _query(
                db,
                "SELECT rev FROM sessions WHERE channel=? AND chat_id=? AND user_id=?",
                (key.channel, key.chat_id, key.user_id),
            )
            rev = int(found[0][0]) if found else 0
            figures.lost += max(0, platform.acknowledged_of(p) - rev)
            figures.applied_twice += max(0, rev - sent[p])
            want, got = Counter(expected[p]), Counter(platform.delivered(p))
            figures.replies_skipped += sum((want - got).values())
            figures.replies_duplicated += sum((got - want).values())
            missing = list((want - got).elements())
            if missing:
                figures.notes.append(f"person {p} never got: {missing[0][:80]!r}")
    figures.seconds = time.monotonic() - began
    return figures


Run = Callable[..., Awaitable[Figures]]
