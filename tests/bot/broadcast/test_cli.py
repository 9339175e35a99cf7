"""`zjtx broadcast …` and `zjtx groups …`: what staff type, what they read, what is recorded."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import broadcast_platforms
from bot.broadcast.store import BroadcastStore
from bot.channels.wecom.sender import add_robot
from bot.cli import main
from bot.db import connect
from bot.settings import TIMEZONE
from tests.fakes.telegram_api import FakeTelegramBotApi, FloodLimits
from tests.fakes.wecom_api import FakeWeComApi

ROOT = Path(__file__).resolve().parents[3]
WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "zjtx.db")


def test_a_wecom_group_is_added_listed_and_removed_without_showing_its_key(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["groups", "add", "--webhook", WEBHOOK, "--name", "会员群", "--topic", "政策", "--db", db]) == 0
    )
    added = capsys.readouterr().out
    assert "#1 会员群" in added and "693a…" in added and "693a91f6" not in added
    assert main(["groups", "list", "--db", db]) == 0
    listed = capsys.readouterr().out
    assert "企业微信群 会员群 · 政策 · 订阅中" in listed and "key=" not in listed

    assert main(["groups", "add", "--webhook", "https://example.com/x", "--name", "坏", "--db", db]) == 2
    assert "Webhook" in capsys.readouterr().err
    assert main(["groups", "remove", "1", "--db", db]) == 0
    assert main(["groups", "list", "--db", db]) == 0
    assert "还没有订阅" in capsys.readouterr().out
    assert main(["groups", "list", "--all", "--db", db, "--lang", "en"]) == 0
    assert "inactive: removed by staff" in capsys.readouterr().out
    assert main(["groups", "remove", "1", "--db", db]) == 1


def test_send_refuses_what_it_cannot_send_and_records_nothing(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "update.md"
    text.write_text("**政策速递**", encoding="utf-8")
    long = tmp_path / "long.md"
    long.write_text("长" * 5000, encoding="utf-8")
    picture = tmp_path / "x.gif"
    picture.write_bytes(b"GIF89a")
    cases = [
        (["--file", str(text), "--topic", "体育"], "体育"),
        (["--file", str(long), "--topic", "政策"], "4096"),
        (["--file", str(text), "--topic", "政策", "--at", "2020-01-01 09:00"], "已经过去"),
        (["--file", str(text), "--topic", "政策", "--at", "下周"], "2026-12-01 09:00"),
        (["--file", str(text), "--topic", "政策", "--image", str(picture)], "PNG"),
        (["--file", str(tmp_path / "missing.md"), "--topic", "政策"], "missing.md"),
    ]
    for extra, why in cases:
        assert main(["broadcast", "send", *extra, "--db", db, "--yes"]) == 2, extra
        assert why in capsys.readouterr().err, extra
    assert BroadcastStore(connect(db), broadcast_platforms()).broadcasts() == []


def test_a_scheduled_broadcast_is_recorded_listed_and_cancelled(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "update.md"
    text.write_text("# 申报通知\n- 截止 12 月 1 日", encoding="utf-8")
    args = ["broadcast", "send", "--file", str(text), "--topic", "申报通知", "--topic", "政策"]
    assert main([*args, "--at", "2099-12-01 09:00", "--by", "张三", "--db", db, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "申报通知\n• 截止 12 月 1 日" in out and "2099-12-01 09:00" in out
    (b,) = BroadcastStore(connect(db), broadcast_platforms()).broadcasts()
    assert (
        b.state == "scheduled" and b.created_by == "张三" and b.topics == ("policy", "call")
    )  # stored as the ids of rules/data/topics.toml
    assert datetime.fromtimestamp(b.send_at, TIMEZONE) == datetime(2099, 12, 1, 9, 0, tzinfo=TIMEZONE)
    assert main(["broadcast", "list", "--db", db]) == 0
    assert "#1 定时 · 政策、申报通知 · 张三 · 2099-12-01 09:00" in capsys.readouterr().out
    assert main(["broadcast", "cancel", "1", "--db", db]) == 0
    assert main(["broadcast", "cancel", "1", "--db", db]) == 1
    assert main(["broadcast", "report", "1", "--db", db, "--lang", "en"]) == 0
    assert "Broadcast #1 (cancelled)" in capsys.readouterr().out


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramBotApi]:
    async with FakeTelegramBotApi() as api:
        api.enforce_flood_limits(FloodLimits())
        yield api


@pytest.fixture
async def wecom() -> AsyncIterator[FakeWeComApi]:
    async with FakeWeComApi(clock=time.monotonic) as api:
        yield api


async def test_send_delivers_with_a_progress_bar_and_a_final_report(
    db: str, tmp_path: Path, telegram: FakeTelegramBotApi, wecom: FakeWeComApi
) -> None:
    store = BroadcastStore(connect(db), broadcast_platforms())
    for i in range(40):
        store.subscribe(
            "telegram", str(500 + i), kind="private", name=f"p{i}", topics=("policy",), by="t", now=0
        )
    add_robot(store, f"{wecom.base_url}/cgi-bin/webhook/send?key=k1", name="会员群", topics=(), by="t", now=0)
    store.close()
    text = tmp_path / "update.md"
    text.write_text("**政策速递**：新规解读", encoding="utf-8")
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "PYTHONPATH": str(ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "broadcast", "send", "--file", str(text), "--topic", "政策", "--db", db,
        cwd=tmp_path, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    assert "40 个 Telegram 聊天和 1 个企业微信群" in out.decode()
    assert "已发送 41，失败 0，跳过 0，不确定 0，待发送 0，共 41" in out.decode()
    assert "[##############################] 41/41" in err.decode()
    assert len(telegram.sent_messages()) == 40 and len(wecom.robot_messages("k1")) == 1
    assert telegram.flood_refusals == 0
