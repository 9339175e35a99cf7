"""Sliding-window pacing: when may the next message to a key go.

One algorithm for every limit the assistant keeps: the broadcast worker plans with
:class:`SlidingWindow` (it asks when there is room, and never waits holding a claim), and a
caller that simply wants to wait for room uses :class:`WindowLimiter` on the same window.
Each platform states its own figures as a :class:`Pacing` (see its broadcast sender).

A message holds its place in a window from the moment it is sent until ``window`` seconds
after its answer came back. The platform saw it arrive somewhere in between, so however
the network delays one request and hurries the next, no ``limit + 1`` messages can land
inside one of the platform's windows: the pacing provokes no flood refusals by
construction, at the cost of one round trip per window. The worker asks ``free_at`` before
it claims a part, so it never waits while holding a claim.
"""

from __future__ import annotations

import asyncio
import time
from bisect import insort
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass

__all__ = ["Pacing", "Rate", "SlidingWindow", "WindowLimiter"]

NEVER = float("inf")


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``limit`` messages in any ``window`` seconds, sent at least ``gap`` seconds apart."""

    limit: int
    window: float
    gap: float = 0.0

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0 or self.gap < 0:
            raise ValueError("a rate needs a positive limit and window")

    @property
    def per_second(self) -> float:
        return self.limit / self.window


@dataclass(frozen=True, slots=True)
class Pacing:
    """What one platform lets a sender do: ``overall`` across every chat (None: no such
    limit), ``per_kind`` for one chat of each kind ("group", "private", "robot"…), and at
    most ``in_flight`` requests at once."""

    per_kind: Mapping[str, Rate]
    in_flight: int
    overall: Rate | None = None

    def __post_init__(self) -> None:
        if self.in_flight < 1 or not self.per_kind:
            raise ValueError("a pacing needs a rate per kind of chat and at least one request in flight")


class _Key:
    __slots__ = ("answered", "in_flight", "last_sent")

    def __init__(self) -> None:
        self.answered: deque[float] = deque()  # when the answers came back, oldest first
        self.in_flight = 0
        self.last_sent = -NEVER


class SlidingWindow:
    """Messages per key: those in flight and those answered within the window."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._keys: dict[Hashable, _Key] = {}
        self._blocked: dict[Hashable, float] = {}

    def _state(self, key: Hashable, now: float) -> _Key | None:
        state = self._keys.get(key)
        if state is None:
            return None
        while state.answered and state.answered[0] <= now - self.rate.window:
            state.answered.popleft()
        if not state.answered and not state.in_flight and state.last_sent <= now - self.rate.gap:
            del self._keys[key]
            return None
        return state

    def free_at(self, key: Hashable, now: float) -> float:
        """The earliest time, not before ``now``, at which one more message to ``key`` fits
        (infinity while the window is full of messages still in flight)."""
        at = max(now, self._blocked.get(key, now))
        state = self._state(key, now)
        if state is None:
            return at
        at = max(at, state.last_sent + self.rate.gap)
        over = state.in_flight + len(state.answered) - self.rate.limit
        if over >= 0:
            if over >= len(state.answered):
                return NEVER  # wait for an answer
            at = max(at, state.answered[over] + self.rate.window)
        return at

    def sent(self, key: Hashable, now: float) -> None:
        """A message to ``key`` leaves now."""
        state = self._keys.setdefault(key, _Key())
        state.in_flight += 1
        state.last_sent = max(state.last_sent, now)

    def answered(self, key: Hashable, now: float) -> None:
        """The answer to a message sent to ``key`` came back now (whatever it said)."""
        state = self._keys.setdefault(key, _Key())
        state.in_flight = max(0, state.in_flight - 1)
        self.seen(key, now)

    def seen(self, key: Hashable, at: float) -> None:
        """Count a message answered at ``at`` (what an earlier worker sent, on restart)."""
        state = self._keys.setdefault(key, _Key())
        if state.answered and state.answered[-1] > at:
            items = list(state.answered)
            insort(items, at)
            state.answered = deque(items)
        else:
            state.answered.append(at)

    def block(self, key: Hashable, until: float) -> None:
        """Send nothing more to ``key`` before ``until`` (a platform asked us to wait)."""
        self._blocked[key] = max(until, self._blocked.get(key, until))


Sleep = Callable[[float], Awaitable[None]]


class WindowLimiter:
    """Waits until ``key`` has room in a :class:`SlidingWindow` of ``rate``, counting each
    message from the moment it goes (for a caller that does not report answers); one
    caller per key at a time, in arrival order, so concurrent senders cannot overshoot.

    ``clock`` gives monotonic seconds and ``sleep`` waits (both injectable for tests)."""

    def __init__(
        self, rate: Rate, *, clock: Callable[[], float] = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.window = SlidingWindow(rate)
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[Hashable, asyncio.Lock] = {}

    async def acquire(self, key: Hashable) -> float:
        """Wait for room for one more message to ``key`` and take it; return the seconds waited."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        waited = 0.0
        async with lock:
            while True:
                now = self._clock()
                free = self.window.free_at(key, now)
                if free <= now:
                    self.window.seen(key, now)
                    return waited
                await self._sleep(free - now)
                waited += free - now
