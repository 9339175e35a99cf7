"""The in-memory replay guard."""

from __future__ import annotations

import pytest

from bot.channels.wecom import InMemoryReplayGuard
from tests.fakes.wecom_api import ManualClock


async def test_a_key_is_new_once() -> None:
    guard = InMemoryReplayGuard()
    assert [await guard.first_time(key) for key in ["a", "b", "a", "b"]] == [True, True, False, False]


async def test_keys_are_forgotten_after_the_ttl() -> None:
    clock = ManualClock()
    guard = InMemoryReplayGuard(ttl_seconds=60, clock=clock)
    assert await guard.first_time("a")
    clock.advance(59)
    assert not await guard.first_time("a")
    clock.advance(2)
    assert await guard.first_time("a")


async def test_the_oldest_keys_go_past_max_entries() -> None:
    guard = InMemoryReplayGuard(max_entries=2)
    for key in ["a", "b", "c"]:
        assert await guard.first_time(key)
    assert len(guard) == 2
    assert await guard.first_time("a")


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        InMemoryReplayGuard(ttl_seconds=0)
