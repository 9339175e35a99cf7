"""The staff desk: from a staff member's reply arriving to the send call for the person.

Setup: a SQLite file (WAL, every commit synchronous, as served) with N tickets (default
10,000: 60 % closed, the rest open, claimed or answered, each with its notice post and
three messages, one person each), and the assistant built as ``zjtx serve`` builds it
(bot.app.build) with the Telegram channel in webhook mode against the fake Bot API on
127.0.0.1 and the staff group as ZJTX_STAFF_CHAT. Each measured reply answers another
active ticket by replying to its notice.

python-telegram-bot's rate limiter is set high: the fake enforces no flood limits, and
Telegram's 20 messages a minute to one group would hold back only the staff group's
confirmations and notice edits, which come after the person's send.

Figures (p50/p99 over R replies, default 300), the platform's own call left out (the
clock stops when the channel calls sendMessage for the person):

- in process: from the staff message handed to the Assistant to that send call (the desk
  finds the ticket by its notice, stores the answer and queues it in the reply outbox in
  one synchronous commit, and the outbox sends it);
- end to end: from the fake Bot API POSTing the update to the webhook (HTTP, python-
  telegram-bot's parsing and queue included) to that send call.

Side by side: the same with 100 tickets stored (how much 10,000 cost), and a person's
ordinary turn through the same webhook (/tiers, one session commit) as the baseline.

Run from the repository root: ``python -m bench.desk [--tickets 10000] [--replies 300]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram.ext import AIORateLimiter

from bot.app import App, build
from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel
from bot.db import connect
from bot.reminders.pushing import Pushed
from bot.replies import Reply, Verdict
from bot.settings import Settings
from bot.store import SessionKey
from dialogs.engine import DialogEngine
from dialogs.messages import Inbound, Outbound
from tests.fakes.telegram_api import FakeTelegramBotApi

GROUP = -1009000000001
STAFF = 7
NOTICE_BASE = 500_000  # notice message ids in the staff group


def seed(path: Path, tickets: int) -> list[tuple[int, int]]:
    """Store ``tickets`` tickets; return (ticket id, notice message id) of the active ones."""
    rnd = random.Random(16)
    db = connect(path)
    rows, posts, messages = [], [], []
    now = time.time()
    states = ["closed"] * 6 + ["open", "claimed", "answered", "open"]
    for n in range(1, tickets + 1):
        state = states[n % len(states)]
        opened = now - rnd.randrange(30 * 86400)
        answered = opened + 600 if state in ("answered", "closed") else None
        rows.append(
            (
                n, "telegram" if n % 3 else "wecom", str(10_000 + n), str(10_000 + n), f"用户{n}", "zh",
                f"问题 {n}：会员证书丢了怎么补办", "not_in_sources", "membership",
                json.dumps([{"who": "person", "text": "你好"}], ensure_ascii=False), state, opened,
                "telegram:7" if state != "open" else None, answered, answered,
                opened + 86400 if state == "closed" else None,
                f"telegram:{GROUP}", str(NOTICE_BASE + n), now + 86400 if state == "open" else None,
                now + 7 * 86400 if state == "answered" else None, now,
            )
        )  # fmt: skip
        posts.append((f"telegram:{GROUP}", str(NOTICE_BASE + n), n))
        messages += [
            (n, opened, "in", "person", "会员证书丢了怎么补办"),
            (n, opened + 60, "in", "person", "补充一句"),
        ]
        messages.append((n, opened + 600, "out", "telegram:7", "请带营业执照来补办。"))
    with db.tx() as conn:
        conn.executemany(
            "INSERT INTO tickets (id, channel, chat_id, user_id, name, lang, question, reason, topic, "
            "recent, state, opened_at, claimed_by, first_reply_at, answered_at, closed_at, staff_chat, "
            "notice_id, remind_at, close_at, changed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.executemany("INSERT INTO ticket_posts (staff_chat, message_id, ticket_id) VALUES (?,?,?)", posts)
        conn.executemany(
            "INSERT INTO ticket_messages (ticket_id, at, direction, author, text) VALUES (?,?,?,?,?)",
            messages,
        )
    active = [(r[0], NOTICE_BASE + r[0]) for r in rows if r[10] != "closed" and r[1] == "telegram"]
    db.close()
    return active


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(path: Path, active: list[tuple[int, int]], replies: int) -> dict[str, list[float]]:
    async with FakeTelegramBotApi() as api:
        settings = Settings(
            _env_file=None, ZJTX_DB=str(path), ZJTX_STAFF=f"telegram:{STAFF}",
            ZJTX_STAFF_CHAT=f"telegram:{GROUP}", TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url, TELEGRAM_WEBHOOK_SECRET="bench",
            TELEGRAM_WEBHOOK_URL="https://bench.example.org/telegram/webhook",
            WECOM_CORP_ID=None,
        )  # fmt: skip
        app = build(settings, engine=DialogEngine(), worker=False)
        # the fake enforces no flood limits; Telegram's 20 messages a minute to one group would
        # only hold back the staff group's confirmations and notice edits, after the person's send
        made = next(c for c in app.channels if isinstance(c, TelegramChannel))
        unlimited = AIORateLimiter(overall_max_rate=10**6, group_max_rate=10**6)
        app.channels[app.channels.index(made)] = TelegramChannel(
            app.assistant, token=api.token, api_base_url=api.base_url, rate_limiter=unlimited,
            webhook_url="https://bench.example.org/telegram/webhook", webhook_secret="bench",
        )  # fmt: skip
        runner = web.AppRunner(app.web())
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        api.webhook_redirect = f"http://127.0.0.1:{runner.addresses[0][1]}{WEBHOOK_PATH}"
        await app.start()
        channel = next(c for c in app.channels if isinstance(c, TelegramChannel))
        sent_at: dict[int, float] = {}
        original = channel.push

        async def timed_push(user_id: str, replies: Sequence[Outbound]) -> Pushed:
            sent_at.setdefault(int(user_id), time.perf_counter())  # the send call for the person
            return await original(user_id, replies)

        channel.push = timed_push  # type: ignore[method-assign]
        replying = channel.send

        async def timed_send(reply: Reply, part: Any) -> Verdict:
            sent_at.setdefault(int(reply.chat_id), time.perf_counter())  # any send call to the chat
            return await replying(reply, part)

        channel.send = timed_send  # type: ignore[method-assign]
        gc.collect()
        gc.freeze()
        timings: dict[str, list[float]] = {"in process": [], "end to end": [], "a person's turn (/tiers)": []}
        store = app.tickets.store  # type: ignore[union-attr]
        picked = [active[i % len(active)] for i in range(2 * replies + 20)]  # a ticket may be answered again
        for n, (ticket_id, notice) in enumerate(picked):
            ticket = store.get(ticket_id)
            assert ticket is not None
            person = int(ticket.key.chat_id)
            sent_at.pop(person, None)
            text = f"第 {n} 条答复：请带营业执照来补办。"
            if n % 2 == 0:
                started = time.perf_counter()
                inbound = Inbound(text=text, reply_to=str(notice), name="陈老师")
                await app.assistant.handle(SessionKey("telegram", str(GROUP), str(STAFF)), inbound)
                await app.mail.drain()  # the answer is committed with the update, sent by the outbox
                kind = "in process"
            else:
                update = api.message_update(
                    GROUP, STAFF, text, chat_type="supergroup", first_name="陈老师",
                    reply_to_message={
                        "message_id": notice, "from": api.bot_user, "date": int(time.time()),
                        "chat": {"id": GROUP, "type": "supergroup"}, "text": f"🙋 工单 #{ticket_id}",
                    },
                )  # fmt: skip
                started = time.perf_counter()
                await api.push_update(update)
                await channel.drain()
                kind = "end to end"
            assert person in sent_at, f"ticket {ticket_id}: nothing sent to {person}"
            if n >= 20:  # the first ones warm up
                timings[kind].append((sent_at[person] - started) * 1000)
        for n in range(replies + 10):
            person = 900_000 + n
            sent_at.pop(person, None)
            update = api.message_update(person, person, "/tiers")
            started = time.perf_counter()
            await api.push_update(update)
            await channel.drain()
            if n >= 10:
                timings["a person's turn (/tiers)"].append((sent_at[person] - started) * 1000)
        await stop(app, runner)
        return timings


async def stop(app: App, runner: web.AppRunner) -> None:
    await app.stop()
    await runner.cleanup()
    app.close()


def run(tickets: int, replies: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "desk.db"
        started = time.perf_counter()
        active = seed(path, tickets)
        took = time.perf_counter() - started
        print(f"seeded {tickets:,} tickets ({len(active):,} active on Telegram) in {took:.1f} s")
        return asyncio.run(measure(path, active, replies))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument(
        "--replies", type=int, default=300, help="staff replies measured (half of them each way)"
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the notices of seeded tickets are not in the fake: their edits fail
    small = run(100, args.replies)  # the baseline first, so that it never runs on a warmer process
    big = run(args.tickets, args.replies)
    print(f"\n{'from the staff reply to the send call':44} {'p50 ms':>8} {'p99 ms':>8}")
    for label, timings in ((f"{args.tickets:,} tickets", big), ("100 tickets", small)):
        for kind in ("in process", "end to end"):
            values = timings[kind]
            print(f"{label + ', ' + kind:44} {statistics.median(values):8.2f} {pct(values, 0.99):8.2f}")
    turn = big["a person's turn (/tiers)"]
    label = "baseline: a person's turn, end to end"
    print(f"{label:44} {statistics.median(turn):8.2f} {pct(turn, 0.99):8.2f}")
    ratio = statistics.median(big["in process"]) / statistics.median(small["in process"])
    print(f"\n{args.tickets:,} vs 100 tickets, in process p50: {ratio:.2f}x")
    worst = pct(big["in process"], 0.99)
    print(f"p99 in process with {args.tickets:,} tickets: {worst:.2f} ms (aim: under 20 ms)")


if __name__ == "__main__":
    main()
