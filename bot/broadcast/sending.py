"""What the broadcast worker asks of a platform: a Sender, and a verdict on each part sent.

The worker resends a part only when the platform's answer proves it was not delivered
(a flood refusal, WeCom "busy", a connection that never opened). When the request may have
reached the platform (a timeout after it was written, a dropped connection, a 5xx) the
verdict is Uncertain and the part is not sent again.

Nothing here knows a platform. Each platform package describes itself as a
:class:`Platform` (how a broadcast becomes its messages, its image limit, its pacing) and
implements :class:`Sender` (bot/channels/telegram/sender.py, bot/channels/wecom/sender.py);
the composition root (bot/app.py) hands them to the store and the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.pacing import Pacing

from .content import Content, Part

__all__ = [
    "Delivered",
    "Layout",
    "Moved",
    "Permanent",
    "Platform",
    "Refused",
    "Sender",
    "Transient",
    "Uncertain",
    "Verdict",
]

Layout = Callable[[Content], list[Part]]


@dataclass(frozen=True, slots=True)
class Platform:
    """What broadcasting needs to know of one platform without connecting to it: the
    subscriptions' ``channel``, the messages (``parts``) a broadcast becomes for one target,
    the largest image it takes, and the limits its sender keeps (:class:`~bot.pacing.Pacing`)."""

    channel: str
    parts: Layout
    image_limit_bytes: int
    pacing: Pacing


@dataclass(frozen=True, slots=True)
class Delivered:
    message_id: str = ""
    file_id: str | None = None  # Telegram: the uploaded photo, for the next sends


@dataclass(frozen=True, slots=True)
class Refused:
    """Not delivered: the platform asked to wait ``wait`` seconds (the whole lane if ``lane``)."""

    wait: float
    reason: str
    lane: bool = False


@dataclass(frozen=True, slots=True)
class Transient:
    """Not delivered (the request never left, or the platform was busy): retry with backoff."""

    reason: str


@dataclass(frozen=True, slots=True)
class Permanent:
    """Not delivered and retrying will not help; ``retire`` the subscription too when the chat
    is gone (bot blocked or removed, robot key revoked)."""

    reason: str
    retire: bool = False


@dataclass(frozen=True, slots=True)
class Uncertain:
    """The request may have been delivered: never resend it automatically."""

    reason: str


@dataclass(frozen=True, slots=True)
class Moved:
    """Not delivered: the Telegram group is now a supergroup with ``chat_id``."""

    chat_id: str


Verdict = Delivered | Refused | Transient | Permanent | Uncertain | Moved


class Sender(Protocol):
    """Sends one part at a time to the targets of one platform."""

    @property
    def platform(self) -> Platform: ...

    async def start(self) -> None:
        """Get ready to send (log in); a failure is logged, and sending tries again."""
        ...

    async def send(self, address: str, part: Part) -> Verdict:
        """Send one part to ``address`` (a chat id or a webhook URL); never raises for the
        platform's refusals, only returns a verdict."""
        ...

    async def aclose(self) -> None: ...
