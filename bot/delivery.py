"""Messages that no one asked for right now: a staff answer, a ticket's closing.

A turn's replies go back through the channel that received the message. Everything else
(a staff member's answer typed in the staff chat or the web console, a ticket closed by
the sweep) goes through the :class:`Router`: it finds the running channel that owns a
:class:`~bot.store.SessionKey` (by its ``channel``) and hands it neutral
:data:`~dialogs.messages.Outbound` messages, which the channel renders as it renders a
reply. A conversation with the person alone is reached the way reminders reach it, through
the channel's push (:data:`bot.reminders.pushing.Pusher`, one per channel, the
:class:`Deliverer` protocol); a group a ticket came from (Telegram), through the channel's
:class:`GroupDeliverer`. The channels that carry the staff desk in a chat of their own (post
a notice with buttons, edit it, open a forum topic) are :class:`StaffBoard` s.

Where the person's channel sends through the reply outbox in this process (Telegram, WeCom,
the WeChat Official Account under ``zjtx serve``), the desk does not send at all: it
:meth:`Router.queue` s the messages in the transaction that records them (the staff
member's own update, the sweep's closing), and the outbox sends them after the commit, again
after a crash (a message on the wire at a kill may arrive twice; none is skipped). Only a
channel without an outbox here (a test's recorder) is sent to at once by
:meth:`Router.deliver`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.reminders.pushing import Dropped, Later, Pushed, Pusher, Sent, Uncertain
from bot.replies import NOTICE
from bot.store import SessionKey
from dialogs.messages import Choice, Outbound

if TYPE_CHECKING:
    from bot.mailroom import Mailroom

__all__ = ["Delivered", "Deliverer", "GroupDeliverer", "Posted", "Router", "StaffBoard"]

log = logging.getLogger("zjtx.delivery")


@runtime_checkable
class Deliverer(Protocol):
    """A channel that can write to a person unprompted (each chat channel's push)."""

    name: str

    async def push(self, user_id: str, replies: Sequence[Outbound]) -> Pushed | int:
        """Send ``replies`` to the person ``user_id``; the verdict (WeChat: how many went)."""
        ...


@runtime_checkable
class GroupDeliverer(Protocol):
    """A channel whose group chats can be written to unprompted (Telegram)."""

    name: str

    async def deliver_in_chat(self, key: SessionKey, messages: Sequence[Outbound]) -> bool:
        """Send ``messages`` into the group of ``key``; True when every one went."""
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
    """How a delivery went: ``ok``, else ``reason``: ``no_channel`` (nothing running can
    reach that channel), ``refused`` (the platform did not take it, and will not),
    ``later`` (a flood limit: try again in a while) or ``uncertain`` (it may have gone: it
    is not sent again)."""

    ok: bool
    reason: str = ""
    detail: str = ""


class Router:
    """Delivers to a conversation through the running channel that owns it.

    ``channels`` is read at each delivery (the composition root fills it after making the
    desk); ``pushers`` gives each running channel's push (bot/app.py's ``pushers``, the same
    the reminder scheduler sends with). Channels added with :meth:`add` come after them.
    ``mail``: the reply outbox that channels running here send through (:meth:`queue`)."""

    def __init__(
        self,
        channels: Sequence[object] = (),
        pushers: Callable[[], Mapping[str, Pusher]] | None = None,
        mail: Mailroom | None = None,
    ) -> None:
        self._channels = channels
        self._pushers = pushers
        self._extra: list[object] = []
        self.mail = mail

    def add(self, channel: object) -> None:
        """Also deliver through ``channel`` (a test's recorder, a channel made later)."""
        self._extra.append(channel)

    def _all(self) -> list[object]:
        return [*self._channels, *self._extra]

    def pusher(self, channel: str) -> Pusher | None:
        found = dict(self._pushers()) if self._pushers is not None else {}
        if channel in found:
            return found[channel]
        for candidate in self._all():
            if isinstance(candidate, Deliverer) and candidate.name == channel:
                return _verdict(candidate)
        return None

    def board(self, channel: str) -> StaffBoard | None:
        for candidate in self._all():
            if isinstance(candidate, StaffBoard) and candidate.name == channel:
                return candidate
        return None

    def reaches(self, channel: str) -> bool:
        return self.durable(channel) or self.pusher(channel) is not None

    def durable(self, channel: str) -> bool:
        """Whether messages to ``channel`` go through the reply outbox here (:meth:`queue`)."""
        return self.mail is not None and self.mail.sends(channel)

    def queue(
        self,
        key: SessionKey,
        messages: Sequence[Outbound],
        *,
        lang: str,
        about: Mapping[str, Any] | None = None,
        notice_about: str | None = None,
    ) -> int:
        """Queue ``messages`` to ``key``'s chat in the reply outbox, in the transaction in
        progress: sent once it commits (only when :meth:`durable`). ``about`` comes back to
        the outbox's settled hook (which ticket message this is); ``notice_about``: the chat
        is staff's and this is a notice about that person (forgotten with them). Returns
        the row's id."""
        assert self.mail is not None, "no reply outbox"
        if notice_about is not None:
            return self.mail.queue(
                key.channel, key.chat_id, messages, user_id=notice_about, lang=lang, extra=about, kind=NOTICE
            )
        return self.mail.queue(
            key.channel, key.chat_id, messages, user_id=key.user_id, lang=lang, extra=about
        )

    async def deliver(self, key: SessionKey, messages: Sequence[Outbound]) -> Delivered:
        """Send ``messages`` to ``key`` through its channel. Never raises: a channel's
        failure is logged and reported."""
        try:
            if key.chat_id != key.user_id:
                return await self._in_group(key, messages)
            push = self.pusher(key.channel)
            if push is None:
                log.warning("delivery.no_channel key=%s", key)
                return Delivered(False, "no_channel")
            verdict = await push(key.user_id, messages)
        except Exception:  # a platform's surprise must not take the caller down
            log.exception("delivery.failed key=%s", key)
            return Delivered(False, "uncertain", "an error while sending")
        if isinstance(verdict, Sent):
            return Delivered(True)
        if isinstance(verdict, Later):
            return Delivered(False, "later", verdict.reason)
        if isinstance(verdict, Uncertain):
            return Delivered(False, "uncertain", verdict.reason)
        return Delivered(False, "refused", verdict.reason)

    async def _in_group(self, key: SessionKey, messages: Sequence[Outbound]) -> Delivered:
        for candidate in self._all():
            if isinstance(candidate, GroupDeliverer) and candidate.name == key.channel:
                went = await candidate.deliver_in_chat(key, messages)
                return Delivered(True) if went else Delivered(False, "refused", "the group refused it")
        log.warning("delivery.no_group_channel key=%s", key)
        return Delivered(False, "no_channel")


def _verdict(channel: Deliverer) -> Pusher:
    """A channel's push as a Pusher (a count of what went is a verdict too)."""

    async def push(user_id: str, replies: Sequence[Outbound]) -> Pushed:
        went = await channel.push(user_id, replies)
        if isinstance(went, int):
            return Sent() if went else Dropped("nothing went")
        return went

    return push
