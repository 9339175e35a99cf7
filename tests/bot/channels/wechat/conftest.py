"""Fixtures for the WeChat channel tests: an account, a manual clock, the fake API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.tencent import MsgCrypto
from bot.channels.wechat import WeChatConfig
from tests.fakes.wechat_api import FakeWeChatApi, ManualClock

APP_ID = "wxzjtxassociation"
SECRET = "zjtx-app-secret"
TOKEN = "zjtxcallbacktoken"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
ACCOUNT = "gh_3f0a1b2c3d4e"  # the account's original id, ToUserName of what followers send


@pytest.fixture
def config() -> WeChatConfig:
    return WeChatConfig(app_id=APP_ID, secret=SECRET, token=TOKEN, aes_key=AES_KEY)


@pytest.fixture
def crypto() -> MsgCrypto:
    return MsgCrypto(TOKEN, AES_KEY, APP_ID)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake_api(clock: ManualClock) -> AsyncIterator[FakeWeChatApi]:
    async with FakeWeChatApi(app_id=APP_ID, secret=SECRET, clock=clock) as fake:
        yield fake
