"""What the scheduler asks of a channel: send these messages to this person, unprompted.

A channel answers with a verdict, never an exception for the platform's refusals: the
reminder went (:class:`Sent`), it provably did not and never will (:class:`Dropped`: the
person blocked the bot, the platform's window for unprompted messages is shut, a group),
it provably did not but may later (:class:`Later`: a flood limit), or it may have gone
(:class:`Uncertain`: a timeout after the request was written), in which case it is not
sent again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from dialogs.messages import Outbound

__all__ = ["Dropped", "Later", "Pushed", "Pusher", "Sent", "Uncertain"]


@dataclass(frozen=True, slots=True)
class Sent:
    """Delivered."""


@dataclass(frozen=True, slots=True)
class Dropped:
    """Not delivered, and trying again will not help: ``reason`` says why."""

    reason: str


@dataclass(frozen=True, slots=True)
class Later:
    """Not delivered: try again in ``wait`` seconds."""

    wait: float
    reason: str


@dataclass(frozen=True, slots=True)
class Uncertain:
    """Perhaps delivered: never sent again automatically."""

    reason: str


Pushed = Sent | Dropped | Later | Uncertain
# (the person's id on the channel — a private chat's id — and the messages) → the verdict
Pusher = Callable[[str, Sequence[Outbound]], Awaitable[Pushed]]
