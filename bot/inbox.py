"""The durable inbox: every platform update is in SQLite before the platform hears "200".

A channel stores what it received with :meth:`Inbox.put` (the raw update, its platform id,
the conversation it belongs to) and only then acknowledges it: a Telegram webhook answers
200, long polling moves its offset on, a WeCom callback answers its empty 200. A second
delivery of the same update finds its row (``UNIQUE(channel, platform_id)``) and does
nothing.

The :class:`Dispatcher` takes the rows, one conversation's in id order, several
conversations at once, and hands each to its channel's handler. The turn a row causes is
committed in the same transaction that marks the row done (:meth:`Inbox.finish`, called
by the reply recorder of :mod:`bot.mailroom`); after a crash every row not done is handled
again, and a row already done is never handled twice. A row whose handler keeps failing
is retried with backoff and, after the last attempt, marked ``failed`` (logged), so one
poisonous update cannot block its conversation.

    pending ──turn committed──▶ done
       └──handler failed N times──▶ failed
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection
from contextvars import ContextVar
from dataclasses import dataclass

from bot.backoff import Backoff
from bot.db import Db

__all__ = [
    "CURRENT",
    "DONE",
    "FAILED",
    "PENDING",
    "AlreadyHandled",
    "Dispatcher",
    "Handler",
    "Inbox",
    "InboxRow",
]

log = logging.getLogger("zjtx.inbox")

PENDING, DONE, FAILED = "pending", "done", "failed"
HANDLER_RETRY = Backoff(attempts=5, base=0.5, cap=30.0)


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One stored update: ``payload`` is what the platform sent (its channel reads it)."""

    id: int
    channel: str
    platform_id: str
    conversation: str
    user_id: str | None
    payload: str
    attempts: int
    received_at: float


# The row being handled in this task: the reply recorder marks it done with the turn.
CURRENT: ContextVar[InboxRow | None] = ContextVar("zjtx_inbox_row", default=None)

Handler = Callable[[InboxRow], Awaitable[None]]


class AlreadyHandled(RuntimeError):
    """The row is not pending any more (another task or process handled it): the turn
    that was about to commit with it is rolled back."""


_COLUMNS = "id, channel, platform_id, conversation, user_id, payload, attempts, received_at"


class Inbox:
    """The ``inbox`` table on the shared Db."""

    def __init__(self, db: Db, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock
        self.finished: set[int] = set()  # rows marked done by a committed turn, not yet looked at

    def put(
        self, channel: str, platform_id: str, *, conversation: str, user_id: str | None, payload: str
    ) -> InboxRow | None:
        """Store an update; committed when this returns. None when (channel, platform_id) is
        stored already (a redelivery). Raises sqlite3.Error when it cannot be stored: then
        the update must not be acknowledged."""
        now = self.clock()
        with self.db.tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO inbox (channel, platform_id, conversation, user_id, payload, state, "
                "received_at) VALUES (?,?,?,?,?,?,?)",
                [channel, platform_id, conversation, user_id, payload, PENDING, now],
            )
            if cur.rowcount != 1:
                return None
            row_id = cur.lastrowid
        assert row_id is not None
        return InboxRow(row_id, channel, platform_id, conversation, user_id, payload, 0, now)

    def get(self, row_id: int) -> InboxRow | None:
        found = self.db.row(f"SELECT {_COLUMNS} FROM inbox WHERE id=? AND state=?", [row_id, PENDING])
        return InboxRow(*found) if found else None

    def find(self, channel: str, platform_id: str) -> str | None:
        """The state of a stored update, or None if it is not stored."""
        found = self.db.row(
            "SELECT state FROM inbox WHERE channel=? AND platform_id=?", [channel, platform_id]
        )
        return found[0] if found else None

    def pending(self, channels: Collection[str]) -> list[InboxRow]:
        """Every pending row of these channels, oldest first."""
        marks = ",".join("?" for _ in channels)
        rows = self.db.rows(
            f"SELECT {_COLUMNS} FROM inbox WHERE state=? AND channel IN ({marks}) ORDER BY id",
            [PENDING, *channels],
        )
        return [InboxRow(*r) for r in rows]

    def finish(self, row_id: int, *, erase: bool = False) -> None:
        """Mark a row done (or, ``erase``, delete it: a /forget leaves no trace) in the
        transaction in progress. Raises AlreadyHandled when it is not pending."""
        with self.db.tx() as conn:
            if erase:
                cur = conn.execute("DELETE FROM inbox WHERE id=? AND state=?", [row_id, PENDING])
            else:
                cur = conn.execute(
                    "UPDATE inbox SET state=?, done_at=?, error=NULL WHERE id=? AND state=?",
                    [DONE, self.clock(), row_id, PENDING],
                )
            if cur.rowcount != 1:
                raise AlreadyHandled(f"inbox row {row_id} is not pending")
        self.db.after_commit(lambda: self.finished.add(row_id))

    def close_if_pending(self, row_id: int) -> None:
        """Mark done a row whose handler finished without a turn (an update not for the bot)."""
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE inbox SET state=?, done_at=? WHERE id=? AND state=?",
                [DONE, self.clock(), row_id, PENDING],
            )

    def failed_attempt(self, row_id: int, error: str, *, last: bool) -> None:
        """Count a failed attempt (``last``: give the row up as failed)."""
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE inbox SET attempts=attempts+1, error=?, state=?, done_at=? WHERE id=? AND state=?",
                [error[:500], FAILED if last else PENDING, self.clock() if last else None, row_id, PENDING],
            )

    def forget(self, channel: str, user_id: str) -> int:
        """Delete the rows of one person that are handled (pending ones are messages still
        to answer), and empty the handled payloads of others that name them (a staff member's
        reply quoting their ticket). Returns how many rows went."""
        pattern = "%" + user_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.db.tx() as conn:
            gone = conn.execute(
                "DELETE FROM inbox WHERE channel=? AND user_id=? AND state!=?", [channel, user_id, PENDING]
            ).rowcount
            conn.execute(  # a handled row's payload is never read again
                "UPDATE inbox SET payload='' WHERE state!=? AND payload LIKE ? ESCAPE '\\'",
                [PENDING, pattern],
            )
            return gone

    def prune(self, before: float) -> int:
        """Delete the rows handled before ``before`` (Unix seconds); return how many."""
        with self.db.tx() as conn:
            return conn.execute("DELETE FROM inbox WHERE state!=? AND done_at<?", [PENDING, before]).rowcount

    def counts(self) -> dict[str, int]:
        """{"pending": rows waiting, "total": rows kept} (read-only)."""
        found = self.db.row("SELECT count(*), coalesce(sum(state=?), 0) FROM inbox", [PENDING])
        total, pending = found if found else (0, 0)
        return {"pending": int(pending), "total": int(total)}


class Dispatcher:
    """Hands pending rows to their channel's handler: one conversation's rows one at a time,
    in id order; up to ``max_conversations`` conversations at once."""

    def __init__(
        self,
        inbox: Inbox,
        *,
        max_conversations: int = 256,
        retry: Backoff = HANDLER_RETRY,
    ) -> None:
        self.inbox = inbox
        self.retry = retry
        self._handlers: dict[str, Handler] = {}
        self._slots = asyncio.Semaphore(max_conversations)
        self._queues: dict[str, deque[InboxRow]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._open: dict[str, set[int]] = {}  # channel → rows queued or being handled
        self._changed = asyncio.Event()
        self._stop = asyncio.Event()

    def attach(self, channel: str, handler: Handler) -> None:
        """Take ``channel``'s rows from now on, starting with those left pending."""
        self._handlers[channel] = handler
        self._open.setdefault(channel, set())
        for row in self.inbox.pending([channel]):
            self.offer(row)

    async def detach(self, channel: str) -> None:
        """Stop taking ``channel``'s rows; return once those being handled are done (the
        rows not started stay pending for the next start)."""
        self._handlers.pop(channel, None)
        for queue in self._queues.values():
            for row in [r for r in queue if r.channel == channel]:
                queue.remove(row)
                self._open.get(channel, set()).discard(row.id)
        self._changed.set()
        await self.drain(channel)

    def offer(self, row: InboxRow) -> None:
        """Queue a row just stored (or found pending) behind its conversation's earlier ones."""
        open_rows = self._open.get(row.channel)
        if open_rows is None or row.channel not in self._handlers or row.id in open_rows:
            return
        open_rows.add(row.id)
        self._queues.setdefault(row.conversation, deque()).append(row)
        if row.conversation not in self._tasks:
            task = asyncio.get_running_loop().create_task(self._run(row.conversation))
            self._tasks[row.conversation] = task

    @property
    def busy(self) -> int:
        return sum(len(rows) for rows in self._open.values())

    def waiting(self, channel: str | None = None) -> int:
        """Rows (of ``channel``) queued or being handled."""
        return len(self._open.get(channel, ())) if channel is not None else self.busy

    async def drain(self, channel: str | None = None) -> None:
        """Return once no row (of ``channel``) is queued or being handled."""
        while True:
            rows = self._open.get(channel, set()) if channel is not None else self.busy
            if not rows:
                return
            self._changed.clear()
            await self._changed.wait()

    async def close(self) -> None:
        """Stop every conversation after the row it is handling."""
        self._stop.set()
        for channel in list(self._handlers):
            await self.detach(channel)

    async def _run(self, conversation: str) -> None:
        try:
            async with self._slots:
                queue = self._queues[conversation]
                while queue:
                    row = queue.popleft()
                    try:
                        await self._handle(row)
                    finally:
                        self._open.get(row.channel, set()).discard(row.id)
                        self._changed.set()
        finally:
            self._tasks.pop(conversation, None)
            if not self._queues.get(conversation):
                self._queues.pop(conversation, None)
            elif conversation not in self._tasks and not self._stop.is_set():  # offered meanwhile
                task = asyncio.get_running_loop().create_task(self._run(conversation))
                self._tasks[conversation] = task
            self._changed.set()

    async def _handle(self, row: InboxRow) -> None:
        attempts = row.attempts
        while True:
            handler = self._handlers.get(row.channel)
            current = self.inbox.get(row.id)
            if handler is None or current is None:
                return  # detached (stays pending), or handled already
            token = CURRENT.set(current)
            try:
                await handler(current)
            except AlreadyHandled:
                log.info("inbox.already_handled row=%d", row.id)
                return
            except Exception as exc:
                attempts += 1
                last = attempts >= self.retry.attempts
                log.exception(
                    "inbox.handler_failed row=%d channel=%s attempt=%d%s",
                    row.id,
                    row.channel,
                    attempts,
                    " (given up)" if last else "",
                )
                try:
                    self.inbox.failed_attempt(row.id, f"{type(exc).__name__}: {exc}", last=last)
                except Exception:  # the database itself fails: try again later all the same
                    log.exception("inbox.not_recorded row=%d", row.id)
                if last:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.retry.delay(attempts))
                if self._stop.is_set():
                    return
                continue
            finally:
                CURRENT.reset(token)
            if row.id in self.inbox.finished:  # the turn marked it done
                self.inbox.finished.discard(row.id)
            else:
                self.inbox.close_if_pending(row.id)
            return
