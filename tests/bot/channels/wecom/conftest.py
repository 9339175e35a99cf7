"""Fixtures for the WeCom channel tests: the official sample app, a manual clock, the fake API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.wecom import WeComConfig, WeComCrypto
from tests.fakes.wecom_api import FakeWeComApi, ManualClock

from . import samples


@pytest.fixture
def config() -> WeComConfig:
    return WeComConfig(
        corp_id=samples.CORP_ID,
        agent_id=218,
        secret="fake-secret",
        token=samples.TOKEN,
        aes_key=samples.ENCODING_AES_KEY,
    )


@pytest.fixture
def crypto() -> WeComCrypto:
    return WeComCrypto(samples.TOKEN, samples.ENCODING_AES_KEY, samples.CORP_ID)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake_api(clock: ManualClock) -> AsyncIterator[FakeWeComApi]:
    async with FakeWeComApi(corp_id=samples.CORP_ID, secret="fake-secret", clock=clock) as fake:
        yield fake
