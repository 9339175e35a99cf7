"""SIGKILL a worker process mid-delivery, restart it, count what each chat received.

The fakes run here; the worker is `zjtx broadcast worker` in a child process, in real time.
The claim under test: a target never gets a broadcast twice, and every target gets it,
except one whose own send was in flight at the kill; that one is marked 'uncertain' (never
resent automatically) and shown in the report.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import broadcast_platforms
from bot.broadcast.desk import check_text
from bot.broadcast.store import BroadcastStore
from bot.channels.wecom.sender import add_robot
from bot.db import connect
from tests.fakes.telegram_api import Call, FakeTelegramBotApi, FloodLimits
from tests.fakes.wecom_api import WEBHOOK_SEND, FakeWeComApi

ROOT = Path(__file__).resolve().parents[3]
PEOPLE = 60
ROBOTS = 40
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and SIGSTOP")


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramBotApi]:
    async with FakeTelegramBotApi() as api:  # real time: the worker is another process
        api.enforce_flood_limits(FloodLimits())
        yield api


@pytest.fixture
async def wecom() -> AsyncIterator[FakeWeComApi]:
    import time

    async with FakeWeComApi(clock=time.monotonic) as api:
        yield api


def prepare(db: Path, wecom: FakeWeComApi) -> None:
    store = BroadcastStore(connect(db), broadcast_platforms())
    for i in range(PEOPLE):
        store.subscribe("telegram", str(10_000 + i), kind="private", name=f"p{i}", topics=(), by="t", now=0)
    for i in range(ROBOTS):
        url = f"{wecom.base_url}/cgi-bin/webhook/send?key=robot-{i}"
        add_robot(store, url, name=f"r{i}", topics=(), by="t", now=0)
    rendered, _ = check_text("**政策速递**：本周新政")
    store.create(by="cli:test", source="本周新政", rendered=rendered, topics=(), send_at=0, now=0)
    store.close()


async def start_worker(
    db: Path, telegram: FakeTelegramBotApi, *, log: bool = False
) -> asyncio.subprocess.Process:
    """`zjtx broadcast worker` in a child process (``log``: its log readable on stderr)."""
    env = {
        **os.environ,
        "ZJTX_DB": str(db),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "PYTHONPATH": str(ROOT),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "broadcast", "worker", "--db", str(db), "--until-done",
        cwd=db.parent, env=env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE if log else asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def logged(worker: asyncio.subprocess.Process, event: str) -> str:
    """The worker's next log line naming ``event`` (it logs a refusal once it is recorded)."""
    assert worker.stderr is not None
    async with asyncio.timeout(30):
        while True:
            line = (await worker.stderr.readline()).decode("utf-8", "replace")
            if not line:
                raise AssertionError(f"the worker ended before logging {event}")
            if event in line:
                return line


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


def in_flight(db: Path) -> int:
    return int(query(db, "SELECT count(*) FROM broadcast_outbox WHERE state='sending'")[0][0])


def rows(db: Path) -> Counter[str]:
    return Counter(dict(query(db, "SELECT state, count(*) FROM broadcast_outbox GROUP BY state")))


def uncertain_targets(db: Path) -> set[str]:
    found = query(
        db,
        "SELECT s.chat_id FROM broadcast_outbox o JOIN broadcast_subscriptions s "
        "ON s.id = o.subscription_id WHERE o.state='uncertain'",
    )
    return {r[0] for r in found}


def delivered(telegram: FakeTelegramBotApi, wecom: FakeWeComApi) -> Counter[str]:
    got: Counter[str] = Counter(str(m["chat"]["id"]) for m in telegram.sent_messages())
    for call in wecom.calls_to(WEBHOOK_SEND):
        if call.answer.get("errcode") == 0:
            got[call.query["key"]] += 1
    return got


def every_target() -> set[str]:
    return {str(10_000 + i) for i in range(PEOPLE)} | {f"robot-{i}" for i in range(ROBOTS)}


def sent_messages(call: Call) -> bool:
    return call.method == "sendMessage" and call.ok


async def nth_message(telegram: FakeTelegramBotApi, n: int) -> None:
    await telegram.wait_for(lambda c: sent_messages(c) and len(telegram.sent_messages()) >= n, timeout=30)


async def test_killed_outside_a_send_no_target_gets_it_twice_and_none_is_missing(
    tmp_path: Path, telegram: FakeTelegramBotApi, wecom: FakeWeComApi
) -> None:
    db = tmp_path / "zjtx.db"
    prepare(db, wecom)
    worker = await start_worker(db, telegram, log=True)
    await nth_message(telegram, PEOPLE // 3)
    await wecom.wait_until(lambda: len(wecom.calls_to(WEBHOOK_SEND)) >= ROBOTS, timeout=30)
    # Kill it at an instant when no part is claimed and unanswered: Telegram refuses the
    # next sends with a 429, and the worker, once it has put a refused part back to pending,
    # holds its Telegram lane for the retry_after (and has no robot left to write to).
    # A part in flight beside the refused one is refused too: the check under SIGSTOP decides.
    telegram.rate_limit_next(count=8, retry_after=2, method="sendMessage")
    for _ in range(8):
        await logged(worker, "broadcast.refused")
        os.kill(worker.pid, signal.SIGSTOP)
        if in_flight(db) == 0:
            break
        os.kill(worker.pid, signal.SIGCONT)
    else:
        pytest.fail("the worker always had a part in flight")
    os.kill(worker.pid, signal.SIGKILL)
    assert await worker.wait() == -signal.SIGKILL
    before = rows(db)
    assert 0 < before["sent"] < PEOPLE + ROBOTS and before["pending"] > 0

    telegram.stop_failing()
    restarted = await start_worker(db, telegram)
    assert await asyncio.wait_for(restarted.wait(), timeout=60) == 0

    got = delivered(telegram, wecom)
    assert set(got) == every_target()  # none missing
    assert [t for t, n in got.items() if n > 1] == []  # none twice
    assert rows(db) == Counter({"sent": PEOPLE + ROBOTS})
    assert telegram.flood_refusals == 0


async def test_killed_at_any_instant_none_twice_and_only_the_uncertain_may_be_missing(
    tmp_path: Path, telegram: FakeTelegramBotApi, wecom: FakeWeComApi
) -> None:
    db = tmp_path / "zjtx.db"
    prepare(db, wecom)
    worker = await start_worker(db, telegram)
    await nth_message(telegram, PEOPLE // 2)
    os.kill(worker.pid, signal.SIGKILL)  # most likely while a message is on its way back
    await worker.wait()

    restarted = await start_worker(db, telegram)
    assert await asyncio.wait_for(restarted.wait(), timeout=60) == 0

    got = delivered(telegram, wecom)
    uncertain = uncertain_targets(db)
    assert [t for t, n in got.items() if n > 1] == []  # none twice, ever
    assert every_target() - set(got) <= uncertain  # a missing target is one reported uncertain
    assert len(uncertain) <= 8 + 16  # at most the parts in flight at once
    final = rows(db)
    assert final["sent"] + final["uncertain"] == PEOPLE + ROBOTS and final["pending"] == 0
