"""Sliding-window pacing: when may the next message to a key go, and the limits we keep.

A message holds its place in a window from the moment it is sent until ``window`` seconds
after its answer came back. The platform saw it arrive somewhere in between, so however
the network delays one request and hurries the next, no ``limit + 1`` messages can land
inside one of the platform's windows: the pacing provokes no flood refusals by
construction, at the cost of one round trip per window. The worker asks ``free_at`` before
it claims a part, so it never waits while holding a claim.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field

__all__ = ["DEFAULT_LIMITS", "Limits", "Rate", "SlidingWindow"]

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
class Limits:
    """What the worker keeps to. The platforms' figures: Telegram about 30 messages a second
    overall, 20 a minute to one group, about 1 a second to one private chat; a WeCom group
    robot 20 a minute. The windows are a little longer than the platforms' own."""

    telegram_overall: Rate = field(default_factory=lambda: Rate(30, 1.02, gap=1 / 32))
    telegram_group: Rate = field(default_factory=lambda: Rate(20, 61.0))
    telegram_private: Rate = field(default_factory=lambda: Rate(1, 1.0))
    robot: Rate = field(default_factory=lambda: Rate(20, 61.0))
    telegram_in_flight: int = 8
    robot_in_flight: int = 16


DEFAULT_LIMITS = Limits()


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
