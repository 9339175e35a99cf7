"""Remembering which callbacks were already handled, so the platforms' retries are processed once."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

__all__ = ["InMemoryReplayGuard", "ReplayGuard", "Seen", "StoreReplayGuard"]


class ReplayGuard(Protocol):
    """Answers whether a callback key is seen for the first time (and remembers it)."""

    async def first_time(self, key: str) -> bool:
        """Return True the first time ``key`` is offered, False on every later offer."""
        ...


class Seen(Protocol):
    def first_time(self, scope: str, key: str) -> bool: ...


class StoreReplayGuard:
    """A ReplayGuard kept in the database's ``seen`` table (through the Assistant or the
    store) under ``scope`` (the channel's name): durable across restarts."""

    def __init__(self, seen: Seen, scope: str) -> None:
        self._seen = seen
        self._scope = scope

    async def first_time(self, key: str) -> bool:
        """Return True the first time ``key`` is offered (and record it), False ever after."""
        return self._seen.first_time(self._scope, key)


class InMemoryReplayGuard:
    """A ReplayGuard in a dict: keys are forgotten after ``ttl_seconds`` or past ``max_entries``.

    For tests and single-process use; state is lost on restart.
    """

    def __init__(
        self,
        *,
        ttl_seconds: float = 3600.0,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Raise ValueError for a non-positive ``ttl_seconds`` or ``max_entries``."""
        if ttl_seconds <= 0 or max_entries <= 0:
            raise ValueError("ttl_seconds and max_entries must be positive")
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    async def first_time(self, key: str) -> bool:
        """Return True and remember ``key`` if it is new (or forgotten); False otherwise."""
        now = self._clock()
        self._forget_expired(now)
        if key in self._seen:
            return False
        self._seen[key] = now + self._ttl
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._seen)

    def _forget_expired(self, now: float) -> None:
        # Insertion order is expiry order because the TTL is fixed.
        while self._seen:
            key, expires_at = next(iter(self._seen.items()))
            if expires_at > now:
                return
            del self._seen[key]
