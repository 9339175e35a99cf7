"""Messages that no one asked for right now: a staff answer, a ticket's closing, a notice.

A turn's replies go back through the channel that received the message. Everything else
(a staff member's answer typed in the staff chat or the web console, a ticket closed by
the sweep) goes through the :class:`Router`: it finds the running channel that owns a
:class:`~bot.store.SessionKey` (by its ``channel``) and hands it neutral
:data:`~dialogs.messages.Outbound` messages, which that channel renders as it renders a
reply. Each chat channel implements :class:`Deliverer`; the ones that can carry the staff
desk (post a notice with buttons, edit it, open a forum topic) also implement
:class:`StaffBoard`.

Sending happens here and only here, so that moving it behind a durable reply outbox is
one change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.store import SessionKey
from dialogs.messages import Choice, Outbound

__all__ = ["Delivered", "Deliverer", "Posted", "Router", "StaffBoard"]

log = logging.getLogger("zjtx.delivery")


@runtime_checkable
class Deliverer(Protocol):
    """A channel that can send to one of its conversations unprompted."""

    name: str

    async def deliver(self, key: SessionKey, messages: Sequence[Outbound]) -> bool:
        """Send ``messages`` to the conversation ``key`` as a turn's replies are sent.
        True when the platform accepted every one; False (logged) when it refused one."""
        ...


@dataclass(frozen=True, slots=True)
class Posted:
    """A message posted to a staff chat: its platform id, and the forum topic it is in."""

    message_id: str
    thread: str | None = None


@runtime_checkable
class StaffBoard(Protocol):
    """A channel that can carry the staff desk in a chat of its own (ZJTX_STAFF_CHAT)."""

    name: str

    async def post_staff(
        self,
        chat_id: str,
        text: str,
        *,
        buttons: Sequence[Choice] = (),
        reply_to: str | None = None,
        thread: str | None = None,
    ) -> Posted | None:
        """Post ``text`` (with command buttons where the platform has them, else the
        commands written out), as a reply to ``reply_to`` or in the forum topic ``thread``.
        None when the platform refused it (logged)."""
        ...

    async def edit_staff(
        self, chat_id: str, message_id: str, text: str, *, buttons: Sequence[Choice] = ()
    ) -> bool:
        """Change a posted notice in place; False when the platform cannot (WeCom) or refused."""
        ...

    async def open_topic(self, chat_id: str, title: str) -> str | None:
        """A new forum topic in ``chat_id`` (its thread id), or None when the chat is no forum."""
        ...


@dataclass(frozen=True, slots=True)
class Delivered:
    """How a delivery went: ``ok``, else ``reason`` (``no_channel``: nothing running can
    reach that channel; ``refused``: the platform did not take it)."""

    ok: bool
    reason: str = ""


class Router:
    """Delivers to a conversation through the running channel that owns it.

    ``channels`` is read at each delivery (the composition root fills it after making the
    desk), and channels added with :meth:`add` come after it."""

    def __init__(self, channels: Sequence[object] = ()) -> None:
        self._channels = channels
        self._extra: list[object] = []

    def add(self, channel: object) -> None:
        """Also deliver through ``channel`` (a test's recorder, a channel made later)."""
        self._extra.append(channel)

    def _all(self) -> list[object]:
        return [*self._channels, *self._extra]

    def deliverer(self, channel: str) -> Deliverer | None:
        for candidate in self._all():
            if isinstance(candidate, Deliverer) and candidate.name == channel:
                return candidate
        return None

    def board(self, channel: str) -> StaffBoard | None:
        for candidate in self._all():
            if isinstance(candidate, StaffBoard) and candidate.name == channel:
                return candidate
        return None

    def reaches(self, channel: str) -> bool:
        return self.deliverer(channel) is not None

    async def deliver(self, key: SessionKey, messages: Sequence[Outbound]) -> Delivered:
        """Send ``messages`` to ``key`` through its channel. Never raises: a channel's
        failure is logged and reported as ``refused``."""
        channel = self.deliverer(key.channel)
        if channel is None:
            log.warning("delivery.no_channel key=%s", key)
            return Delivered(False, "no_channel")
        try:
            ok = await channel.deliver(key, messages)
        except Exception:  # a platform's surprise must not take the caller down
            log.exception("delivery.failed key=%s", key)
            return Delivered(False, "refused")
        return Delivered(True) if ok else Delivered(False, "refused")
