"""The composition root: what `build` makes from the settings, and the shared server's probe."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build
from bot.settings import Settings
from dialogs.engine import DialogEngine


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(_env_file=None, ZJTX_DB=str(tmp_path / "zjtx.db"), **values)


def test_nothing_configured_means_no_chat_channel_and_a_robot_only_worker(tmp_path: Path) -> None:
    app = build(settings(tmp_path, TELEGRAM_BOT_TOKEN=None, WECOM_CORP_ID=None))
    assert app.channels == []
    assert [s.platform.channel for s in app.senders] == ["wecom_robot"]
    assert app.worker is not None and app.assistant.broadcasts is not None
    assert app.store.db is app.db and app.broadcasts.db is app.db  # one connection, one policy
    app.close()


def test_the_terminal_gets_the_assistant_without_channels_or_worker(tmp_path: Path) -> None:
    app = build(settings(tmp_path, TELEGRAM_BOT_TOKEN="1:a"), channels=False, worker=False)
    assert (app.channels, app.senders, app.worker) == ([], [], None)
    assert app.assistant.broadcasts is not None  # staff still compose in the terminal
    app.close()


async def test_healthz_answers_from_a_read_only_probe(tmp_path: Path) -> None:
    app = build(settings(tmp_path, TELEGRAM_BOT_TOKEN=None, WECOM_CORP_ID=None))
    changes = app.db.database.conn.total_changes
    async with TestClient(TestServer(app.web())) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {
            "status": "ok",
            "channels": ["broadcast"],
            "inbox": {"pending": 0, "total": 0},
            "replies": {"pending": 0, "total": 0},
        }
    assert app.db.database.conn.total_changes == changes  # the probe wrote nothing
    app.close()
    async with TestClient(TestServer(app.web())) as client:
        response = await client.get("/healthz")
        assert response.status == 503  # a closed database is unhealthy, not a crash


def test_a_hand_off_promises_staff_only_when_a_running_channel_reaches_the_staff_chat(
    tmp_path: Path,
) -> None:
    made: list[str] = []

    def reachable(*, channels: bool = True, **values: Any) -> bool:
        app = build(settings(tmp_path, WECOM_CORP_ID=None, **values), channels=channels, worker=False)
        try:
            made[:] = [c.name for c in app.channels]
            return app.assistant.engine.staff_reachable
        finally:
            app.close()

    assert reachable(TELEGRAM_BOT_TOKEN="1:a", ZJTX_STAFF_CHAT="telegram:-100")
    # the terminal: no one to hand off to
    assert not reachable(TELEGRAM_BOT_TOKEN="1:a", ZJTX_STAFF_CHAT="telegram:-100", channels=False)
    assert not reachable(TELEGRAM_BOT_TOKEN="1:a", ZJTX_STAFF_CHAT=None)
    assert not reachable(TELEGRAM_BOT_TOKEN="1:a", ZJTX_STAFF_CHAT="wecom:zhangsan")  # WeCom not running
    assert not reachable(TELEGRAM_BOT_TOKEN=None, ZJTX_STAFF_CHAT="telegram:-100")
    wechat: dict[str, Any] = {"WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s", "WECHAT_TOKEN": "t"}
    # the Official Account sends a notice only inside that follower's window: no promise
    assert not reachable(**wechat, WECHAT_AES_KEY="a" * 43, ZJTX_STAFF_CHAT="wechat:oStaff")
    assert made == ["wechat"]


def test_build_leaves_the_engine_it_is_given_as_it_was(tmp_path: Path) -> None:
    engine = DialogEngine()
    app = build(
        settings(tmp_path, TELEGRAM_BOT_TOKEN="1:a", WECOM_CORP_ID=None, ZJTX_STAFF_CHAT="telegram:-1"),
        engine=engine,
        worker=False,
    )
    assert app.assistant.engine.staff_reachable and not engine.staff_reachable
    assert app.assistant.engine.rules is engine.rules and app.assistant.engine.cat is engine.cat
    app.close()


def test_a_public_address_for_the_console_alone_warns_of_no_document_links(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = "0" * 43 + "="
    base = {"TELEGRAM_BOT_TOKEN": None, "WECOM_CORP_ID": None, "ZJTX_PUBLIC_URL": "https://zjtx.example.org"}
    with caplog.at_level(logging.WARNING, logger="zjtx.server"):
        app = build(settings(tmp_path, **base, ZJTX_CONSOLE_KEY=key), worker=False)
    assert app.console is not None and app.links is None
    assert "links.disabled" not in caplog.text  # only WeChat sends documents as links
    app.close()
    with caplog.at_level(logging.WARNING, logger="zjtx.server"):
        app = build(settings(tmp_path, **base, ZJTX_LINK_SECRET="k" * 32), worker=False)
    assert app.links is not None and app.console is None
    assert any(r.resource and r.resource.canonical == "/files/{token}" for r in app.web().router.routes())
    app.close()


async def test_serve_with_nothing_configured_says_what_runs_and_what_to_set(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The log names the chat channels apart from the background services (/healthz lists
    "broadcast": the channels are not "none" and something else at once), and with no chat
    channel says which settings make one."""
    import asyncio

    app = build(settings(tmp_path, TELEGRAM_BOT_TOKEN=None, WECOM_CORP_ID=None, ZJTX_LISTEN="127.0.0.1:0"))
    stop = asyncio.Event()
    stop.set()  # start, log, and stop again
    with caplog.at_level(logging.INFO, logger="zjtx.server"):
        assert await app.serve(stop) == 0
    app.close()
    assert "chat channels: none; also running: broadcast" in caplog.text
    hint = next(
        r for r in caplog.records if r.levelno == logging.WARNING and "TELEGRAM_BOT_TOKEN" in r.message
    )
    assert "WECOM_CORP_ID" in hint.message and "WECHAT_APP_ID" in hint.message
