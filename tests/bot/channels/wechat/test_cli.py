"""`zjtx wechat menu` against the fake WeChat server."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from bot.channels.wechat.cli import run
from bot.cli import build_parser, main
from tests.fakes.wechat_api import MENU_CREATE, STABLE_TOKEN, FakeWeChatApi

from .conftest import AES_KEY, APP_ID, SECRET, TOKEN


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the working folder
    for name, value in {
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": SECRET,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_AES_KEY": AES_KEY,
        "ZJTX_DB": str(tmp_path / "menu.db"),
    }.items():
        monkeypatch.setenv(name, value)


async def test_the_menu_is_set_from_the_catalogs(
    account: None, fake_api: FakeWeChatApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WECHAT_API_BASE_URL", fake_api.base_url)
    out, err = io.StringIO(), io.StringIO()
    args = build_parser().parse_args(["wechat", "menu"])
    assert await asyncio.to_thread(run, args, out, err) == 0  # the command runs its own event loop
    assert fake_api.menu == [
        {"type": "click", "name": "自测评估", "key": "/assess"},
        {"type": "click", "name": "常见问题", "key": "/faq"},
        {"type": "click", "name": "联系我们", "key": "/contacts"},
    ]
    assert out.getvalue() == "custom menu set: 自测评估 / 常见问题 / 联系我们\n"
    assert await asyncio.to_thread(run, args, out, err) == 0
    assert len(fake_api.calls_to(STABLE_TOKEN)) == 1  # the second run used the stored token


async def test_a_refused_menu_exits_1(
    account: None, fake_api: FakeWeChatApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WECHAT_API_BASE_URL", fake_api.base_url)
    fake_api.fail_next(MENU_CREATE, 48001, errmsg="api unauthorized")
    err = io.StringIO()
    args = build_parser().parse_args(["wechat", "menu"])
    assert await asyncio.to_thread(run, args, io.StringIO(), err) == 1
    assert "48001" in err.getvalue()


def test_without_an_account_it_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_TOKEN", "WECHAT_AES_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert main(["wechat", "menu", "--db", str(tmp_path / "x.db")]) == 2


def test_show_prints_the_menu_without_an_account(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["wechat", "menu", "--show", "--lang", "en"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [b["key"] for b in shown["button"]] == ["/assess", "/faq", "/contacts"]
    assert all(len(b["name"].encode()) <= 16 for b in shown["button"])
