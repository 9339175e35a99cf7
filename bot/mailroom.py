"""Where every platform message comes in and every reply goes out: the durable inbox
(:mod:`bot.inbox`) and the reply outbox (:mod:`bot.replies`) on the assistant's database,
and the tasks that work them.

How a channel plugs in (Telegram, WeCom and the 公众号 do the same):

1. ``mailroom.attach(name, handle=…, sender=…)`` when the channel starts: ``handle(row)``
   turns one stored update into a turn, ``sender`` sends the channel's stored replies.
2. On each update, after the platform's own checks (secret, signature, freshness) and
   before acknowledging it: ``mailroom.accept(name, platform_id, conversation=…,
   user_id=…, payload=…)``. It returns once the update is committed (False: it was stored
   before, a redelivery) and raises sqlite3.Error when it cannot be stored; then do not
   acknowledge (answer 503), and the platform delivers it again.
3. In ``handle(row)``: read ``row.payload`` and call ``assistant.handle(key, inbound,
   reply=mailroom.to(name, chat_id, user_id=…, lang=…))``. The Assistant commits the
   turn, its replies, its staff notices and the row's "done" in one transaction. Replies
   the channel makes itself (a "please type" for a sticker) go the same way:
   ``mailroom.to(…).record(replies)``. An update that needs no answer needs nothing: the
   dispatcher marks its row done when ``handle`` returns.
4. ``await mailroom.detach(name)`` when the channel stops.

Staff notices go to ZJTX_STAFF_CHAT through the outbox too, and so do the messages to a
person that no turn of theirs asked for (:meth:`Mailroom.queue`: a staff answer, a ticket's
closing), committed with what caused them; done inbox rows, sent replies and the old replay
keys are pruned after ZJTX_PRUNE_DAYS days.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.db import Db
from bot.inbox import CURRENT, Dispatcher, Handler, Inbox, InboxRow
from bot.replies import DESK, NOTICE, Postman, ReplyOutbox, ReplySender, Settled
from dialogs.messages import Notify, Outbound, Text

__all__ = ["DEFAULT_PRUNE_DAYS", "Mailroom", "Recorder"]

log = logging.getLogger("zjtx.mailroom")
DEFAULT_PRUNE_DAYS = 7.0
PRUNE_EVERY_SECONDS = 3600.0

Lang = str | Callable[[], str]


class Recorder:
    """Where one turn's replies go: a chat of a channel. :meth:`record` is called inside the
    turn's transaction."""

    def __init__(
        self,
        mailroom: Mailroom,
        channel: str,
        chat_id: str,
        *,
        user_id: str | None,
        lang: Lang,
        extra: Mapping[str, Any] | None = None,
        outbox: bool = True,
    ) -> None:
        self.mailroom = mailroom
        self.channel = channel
        self.chat_id = chat_id
        self.user_id = user_id
        self._lang = lang
        self.extra = dict(extra or {})
        self.outbox = outbox

    @property
    def lang(self) -> str:
        return self._lang() if callable(self._lang) else self._lang

    def record(
        self,
        replies: Sequence[Outbound | Mapping[str, Any]],
        notices: Sequence[Notify] = (),
        *,
        erase: bool = False,
    ) -> None:
        """Queue ``replies`` (and staff ``notices``) and mark the update being handled done,
        all in the transaction in progress (or one of its own); they are sent once it commits.
        ``erase``: the update's row is deleted, not kept, and the replies once sent (/forget)."""
        self.mailroom.record(self, replies, notices, erase=erase)


class Mailroom:
    """The inbox and the reply outbox of one database, their dispatcher and postman, and
    the staff chat notices go to (``channel:chat``, or None: notices are only logged)."""

    def __init__(
        self,
        db: Db,
        *,
        staff_chat: str | None = None,
        prune_days: float = DEFAULT_PRUNE_DAYS,
        clock: Callable[[], float] = time.time,
        max_conversations: int = 256,
        max_chats: int = 64,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        outbox_channels: frozenset[str] | None = None,
        elsewhere: Callable[[Notify], Awaitable[None]] | None = None,
    ) -> None:
        """``sleep``: how the outbox waits between attempts (tests pass a manual clock's).
        ``outbox_channels``: the channels that send through the outbox (None: all); a staff
        chat on another channel gets its notices through ``elsewhere`` once the turn commits."""
        self.db = db
        self.clock = clock
        self.prune_days = prune_days
        self.staff_chat = staff_chat or None
        self.outbox_channels = outbox_channels
        self._elsewhere = elsewhere
        self._posting: set[asyncio.Future[None]] = set()
        self.inbox = Inbox(db, clock)
        self.outbox = ReplyOutbox(db, clock)
        self.dispatcher = Dispatcher(self.inbox, max_conversations=max_conversations)
        self.postman = Postman(self.outbox, max_chats=max_chats, sleep=sleep)
        self._attached: set[str] = set()
        self._pruner: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    # --- channels ------------------------------------------------------------------------------

    def attach(self, channel: str, *, handle: Handler, sender: ReplySender | None) -> None:
        """Handle ``channel``'s stored updates and send its stored replies, those left by an
        earlier process first (``sender`` None: the channel sends its replies itself).
        Starts the pruning the first time."""
        self._attached.add(channel)
        if sender is not None:
            self.postman.attach(channel, sender)
        self.dispatcher.attach(channel, handle)
        if self._pruner is None:
            self._stop.clear()
            self._pruner = asyncio.get_running_loop().create_task(self._prune_periodically())

    async def detach(self, channel: str, *, grace_seconds: float = 10.0) -> None:
        """Handle ``channel``'s updates received so far and send their replies, for up to
        ``grace_seconds``; then stop taking its updates (those being handled finish, the rest
        wait in the inbox for the next start) and stop sending once the parts in flight are
        recorded (the rest wait in the outbox)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain(channel), grace_seconds)
        await self.dispatcher.detach(channel)
        await self.postman.detach(channel)
        self._attached.discard(channel)
        if not self._attached and self._pruner is not None:
            self._stop.set()
            await self._pruner
            self._pruner = None

    def accept(
        self, channel: str, platform_id: str, *, conversation: str, user_id: str | None, payload: str
    ) -> bool:
        """Store one update before acknowledging it; True when it is new (and then queued),
        False when it was stored before. Raises sqlite3.Error when it cannot be stored."""
        row = self.store(channel, platform_id, conversation=conversation, user_id=user_id, payload=payload)
        if row is None:
            return False
        self.dispatcher.offer(row)
        return True

    def store(
        self, channel: str, platform_id: str, *, conversation: str, user_id: str | None, payload: str
    ) -> InboxRow | None:
        """Store one update the channel handles at once itself (a WeChat callback whose answer
        is the reply); the dispatcher hands it back only if it is still pending at the next
        start. None when it was stored before. Raises sqlite3.Error."""
        return self.inbox.put(
            channel, platform_id, conversation=conversation, user_id=user_id, payload=payload
        )

    def to(
        self,
        channel: str,
        chat_id: str,
        *,
        user_id: str | None,
        lang: Lang,
        extra: Mapping[str, Any] | None = None,
        outbox: bool = True,
    ) -> Recorder:
        """A recorder of replies to ``chat_id`` on ``channel``, about ``user_id``; ``lang``
        (or a function giving it, read when the replies are recorded) is the buttons'
        language; ``extra`` is the channel's own (Telegram: the message to reply to).
        ``outbox`` False: the channel sends the replies itself (WeChat's passive reply); the
        recorder still marks the update done and queues the staff notices with the turn."""
        return Recorder(self, channel, chat_id, user_id=user_id, lang=lang, extra=extra, outbox=outbox)

    def record(
        self,
        to: Recorder,
        replies: Sequence[Outbound | Mapping[str, Any]],
        notices: Sequence[Notify] = (),
        *,
        erase: bool = False,
    ) -> None:
        row = CURRENT.get()
        inbox_id = row.id if row is not None else None
        claims: dict[int, str] = {}
        with self.db.tx():
            if replies and to.outbox:
                attempt = uuid.uuid4().hex  # claimed with the turn: one commit fewer per reply
                row_id = self.outbox.add(
                    to.channel,
                    to.chat_id,
                    replies,
                    user_id=to.user_id,
                    lang=to.lang,
                    extra=to.extra,
                    inbox_id=inbox_id,
                    erase=erase,
                    attempt_id=attempt,
                )
                claims[row_id] = attempt
            for notice in notices:
                found = self._queue_notice(notice, about=to.user_id, inbox_id=inbox_id)
                if found is not None:
                    claims[found[0]] = found[1]
            if row is not None:
                self.inbox.finish(row.id, erase=erase)
        self._offer_after_commit(claims)

    def sends(self, channel: str) -> bool:
        """Whether ``channel``'s messages go through the outbox in this process (it is
        attached with a sender and not stopping)."""
        return self.postman.sends(channel)

    def queue(
        self,
        channel: str,
        chat_id: str,
        messages: Sequence[Outbound],
        *,
        user_id: str | None,
        lang: str,
        extra: Mapping[str, Any] | None = None,
        kind: str = DESK,
    ) -> int:
        """Queue messages to a chat that no turn there asked for (a staff answer to a person,
        a ticket's closing), in the transaction in progress (or one of its own): sent once it
        commits, again after a crash, with the outbox's guarantee; the inbox row being
        handled (a staff member's update) is not marked done here. ``extra`` is kept with the
        row for the channel's sender and for :meth:`on_settled` (say which ticket message
        this is); ``kind`` NOTICE: a staff notice about the person ``user_id`` (deleted with
        them by /forget). Returns the row's id."""
        attempt = uuid.uuid4().hex
        with self.db.tx():
            row_id = self.outbox.add(
                channel, chat_id, messages, user_id=user_id, lang=lang, kind=kind, extra=extra,
                attempt_id=attempt,
            )  # fmt: skip
            self._offer_after_commit({row_id: attempt})
        return row_id

    def on_settled(self, hook: Settled) -> None:
        """Call ``hook(row, delivered, reason)`` when a row of :meth:`queue` is sent or given
        up, in the transaction that records it; what it returns runs after the commit."""
        self.postman.on_settled = hook

    def notice(self, notice: Notify, *, about: str | None = None) -> None:
        """Queue a staff notice outside a turn (a broadcast's report)."""
        with self.db.tx():
            found = self._queue_notice(notice, about=about, inbox_id=None)
        self._offer_after_commit(dict([found]) if found is not None else {})

    def _queue_notice(
        self, notice: Notify, *, about: str | None, inbox_id: int | None
    ) -> tuple[int, str] | None:
        if self.staff_chat is None:
            log.info("staff notice (no staff chat configured): %s", notice.text)
            return None
        channel, _, chat_id = self.staff_chat.partition(":")
        if self.outbox_channels is not None and channel not in self.outbox_channels:
            self.db.after_commit(lambda: self._post_elsewhere(notice))
            return None
        attempt = uuid.uuid4().hex
        row_id = self.outbox.add(
            channel,
            chat_id,
            [Text(notice.text)],
            user_id=about,
            lang="zh",
            kind=NOTICE,
            inbox_id=inbox_id,
            attempt_id=attempt,
        )
        return row_id, attempt

    def _post_elsewhere(self, notice: Notify) -> None:
        """A notice for a staff chat on a channel outside the outbox: its own notifier, at once."""
        if self._elsewhere is None:
            log.warning("staff notice for %s not sent (no channel for it): %s", self.staff_chat, notice.text)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            log.info("staff notice (no event loop): %s", notice.text)
            return
        task: asyncio.Future[None] = asyncio.ensure_future(self._elsewhere(notice), loop=loop)
        self._posting.add(task)
        task.add_done_callback(self._posting.discard)

    def _offer_after_commit(self, claims: dict[int, str]) -> None:
        if not claims:
            return

        def offer() -> None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:  # no loop (zjtx chat): the next `zjtx serve` sends them
                return
            self.postman.offer(list(claims), claims)

        self.db.after_commit(offer)

    # --- everything else -----------------------------------------------------------------------

    async def drain(self, channel: str | None = None) -> None:
        """Return once every update stored so far (of ``channel``) is handled and every reply
        sent (or given up)."""
        while self.dispatcher.waiting(channel) or self.postman.waiting(channel):
            await self.dispatcher.drain(channel)
            await self.postman.drain(channel)

    def forget(self, channel: str, user_id: str) -> int:
        """Delete what the inbox and the outbox keep about one person (inside /forget's
        transaction); return how many rows went."""
        return self.inbox.forget(channel, user_id) + self.outbox.forget(channel, user_id)

    def health(self) -> dict[str, dict[str, int]]:
        """The inbox's and the outbox's sizes, read only."""
        return {"inbox": self.inbox.counts(), "replies": self.outbox.counts()}

    def prune(self, now: float | None = None) -> dict[str, int]:
        """Delete handled updates, sent replies and replay keys older than ``prune_days``."""
        cutoff = (now if now is not None else self.clock()) - self.prune_days * 86400
        counts = {"inbox": self.inbox.prune(cutoff), "replies": self.outbox.prune(cutoff)}
        stamp = datetime.fromtimestamp(cutoff, UTC).isoformat(timespec="seconds")
        with self.db.tx() as conn:
            counts["seen"] = conn.execute("DELETE FROM seen WHERE at<?", [stamp]).rowcount
        if any(counts.values()):
            log.info("mailroom.pruned %s", " ".join(f"{k}={v}" for k, v in counts.items()))
        return counts

    async def _prune_periodically(self) -> None:
        while not self._stop.is_set():
            try:
                self.prune()
            except Exception:  # a busy or full database: try again next time
                log.exception("mailroom.prune_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), PRUNE_EVERY_SECONDS)
