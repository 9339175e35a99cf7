"""The reply outbox: every reply and staff notice is committed with the turn that made it,
then sent; after a crash, whatever is not recorded as sent is sent.

A turn's replies to one chat are one row: the neutral :data:`~dialogs.messages.Outbound`
messages as JSON (every type, pictures and documents included: :func:`dump_messages`), the
language their buttons speak and the channel's own details (a message to reply to). The
channel's :class:`ReplySender` turns a row into its platform messages (parts) when it is
sent. A row moves

    pending ──claim──▶ sending ──each part answered──▶ sending (next part) … ──▶ sent
                          └──refused for good──▶ failed

and, as in the broadcast outbox, every move is committed before the next platform call: a
part is claimed (``sending`` under a fresh attempt id, with ``parts_done`` parts before
it) before it is sent, and recorded after. One difference, on purpose: a row left
``sending`` by a crash is **sent again** from the part in flight (a broadcast's is marked
uncertain instead). So no reply is ever skipped, and a reply whose call was on the wire at
the kill may arrive twice. One chat's rows go out strictly in order, one at a time; other
chats in parallel.

Rows marked ``erase`` (a /forget's own reply, and what was still queued about that person)
are deleted once sent.

Besides a turn's replies (``reply``) and staff notices (``notice``), a row may be a message
to a person nobody's turn there asked for (``desk``: a staff answer, a ticket's closing),
committed with whatever caused it (the staff member's own update, the sweep). When such a
row is settled (sent, or given up), the postman's ``on_settled`` hook is called in the same
transaction that records it, so what depends on the delivery (the ticket answered, staff
told) is never recorded without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.backoff import Backoff
from bot.db import Db
from dialogs import messages as vocabulary

__all__ = [
    "DESK",
    "NOTICE",
    "REPLY",
    "Again",
    "Dropped",
    "Postman",
    "Reply",
    "ReplyOutbox",
    "ReplySender",
    "Sent",
    "Settled",
    "Undeliverable",
    "Verdict",
    "dump_messages",
    "load_messages",
]

log = logging.getLogger("zjtx.replies")

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
REPLY, NOTICE, DESK = "reply", "notice", "desk"
SEND_RETRY = Backoff(attempts=8, base=1.0, cap=60.0)

# --------------------------------------------------------------------------- the messages as JSON

_TYPES: dict[str, type[Any]] = {
    name: kind
    for name, kind in vars(vocabulary).items()
    if isinstance(kind, type) and dataclasses.is_dataclass(kind) and kind.__module__ == vocabulary.__name__
}
TAG = "_t"


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {TAG: type(value).__name__, **fields}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value  # str, numbers, None, and plain JSON (an assessment, a channel's own item)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        kind = _TYPES.get(value.get(TAG, ""))
        if kind is None:
            return value
        return kind(**{k: _decode(v) for k, v in value.items() if k != TAG})
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value


def dump_messages(items: Sequence[Any]) -> str:
    """The messages as JSON: every dataclass of :mod:`dialogs.messages` by its type name (a
    ``"_t"`` key), nested ones too; a channel's own items are plain dicts with their own
    ``"_t"`` (``"telegram.planned"``). Raises TypeError for anything JSON cannot hold."""
    return json.dumps([_encode(m) for m in items], ensure_ascii=False)


def load_messages(raw: str) -> tuple[Any, ...]:
    """The messages :func:`dump_messages` wrote, as the same objects (lists become tuples,
    plain JSON inside a message stays as it was)."""
    return tuple(_decode(m) for m in json.loads(raw))


# --------------------------------------------------------------------------- what senders answer


@dataclass(frozen=True, slots=True)
class Sent:
    """The part was delivered."""


@dataclass(frozen=True, slots=True)
class Again:
    """Not delivered (or not known to be): send it again after ``wait`` seconds (0: the
    backoff decides). After the last attempt the row fails."""

    reason: str
    wait: float = 0.0


@dataclass(frozen=True, slots=True)
class Dropped:
    """This part can never be delivered, but the next ones can (a WeCom card refused: its
    numbered text was sent)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Undeliverable:
    """Nothing more of this reply can be delivered (the person blocked the bot)."""

    reason: str


Verdict = Sent | Again | Dropped | Undeliverable


@dataclass(frozen=True, slots=True)
class Reply:
    """One stored reply as its sender sees it."""

    id: int
    channel: str
    chat_id: str
    user_id: str | None
    kind: str  # reply | notice | desk
    lang: str
    messages: tuple[Any, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)
    parts_done: int = 0
    attempts: int = 0


# (the row, delivered?, why not) → what to do once that is committed (None: nothing); called
# inside the transaction that settles a ``desk`` row
Settled = Callable[[Reply, bool, str], Callable[[], Awaitable[None]] | None]


class ReplySender(Protocol):
    """How one channel sends its stored replies."""

    def parts(self, reply: Reply) -> Sequence[Any]:
        """The platform messages of ``reply``, in order: the same list every time it is asked
        (``parts_done`` counts into it)."""
        ...

    async def send(self, reply: Reply, part: Any) -> Verdict:
        """Send one part; answer what happened (never raise for the platform's refusals)."""
        ...


# --------------------------------------------------------------------------- the store

_COLUMNS = "id, channel, chat_id, user_id, kind, lang, messages, extra, parts_done, attempts"


class ReplyOutbox:
    """The ``reply_outbox`` table on the shared Db."""

    def __init__(self, db: Db, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def add(
        self,
        channel: str,
        chat_id: str,
        items: Sequence[Any],
        *,
        user_id: str | None,
        lang: str,
        kind: str = REPLY,
        extra: Mapping[str, Any] | None = None,
        inbox_id: int | None = None,
        erase: bool = False,
        attempt_id: str | None = None,
    ) -> int:
        """Queue a reply (in the transaction in progress, if any); return its id. With an
        ``attempt_id`` the row is claimed for sending at once (``sending``: the postman of
        this process sends it under that id without a claim of its own)."""
        with self.db.tx() as conn:
            cur = conn.execute(
                "INSERT INTO reply_outbox (channel, chat_id, user_id, kind, inbox_id, lang, messages, extra, "
                "state, erase, created_at, attempt_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    channel,
                    chat_id,
                    user_id,
                    kind,
                    inbox_id,
                    lang,
                    dump_messages(items),
                    json.dumps(dict(extra or {}), ensure_ascii=False),
                    PENDING if attempt_id is None else SENDING,
                    int(erase),
                    self.clock(),
                    attempt_id,
                ],
            )
            row_id = cur.lastrowid
        assert row_id is not None
        return row_id

    def _reply(self, row: tuple[Any, ...]) -> Reply:
        return Reply(
            row[0], row[1], row[2], row[3], row[4], row[5], load_messages(row[6]), json.loads(row[7] or "{}"),
            row[8], row[9],
        )  # fmt: skip

    def get(self, row_id: int) -> Reply | None:
        """The reply if it is still to send."""
        found = self.db.row(
            f"SELECT {_COLUMNS} FROM reply_outbox WHERE id=? AND state IN (?, ?)", [row_id, PENDING, SENDING]
        )
        return self._reply(found) if found else None

    def unsent(self, channels: Collection[str]) -> list[int]:
        """The ids of the rows of these channels not yet sent, oldest first."""
        marks = ",".join("?" for _ in channels)
        rows = self.db.rows(
            f"SELECT id FROM reply_outbox WHERE state IN (?, ?) AND channel IN ({marks}) ORDER BY id",
            [PENDING, SENDING, *channels],
        )
        return [r[0] for r in rows]

    def claim(self, row_id: int, attempt_id: str) -> bool:
        """Mark the row in flight under ``attempt_id`` (committed before the send); False
        when it is not to send any more."""
        with self.db.tx() as conn:
            return (
                conn.execute(
                    "UPDATE reply_outbox SET state=?, attempt_id=?, last_at=? WHERE id=? AND state IN (?, ?)",
                    [SENDING, attempt_id, self.clock(), row_id, PENDING, SENDING],
                ).rowcount
                == 1
            )

    def progress(self, row_id: int, attempt_id: str, parts_done: int, *, final: bool) -> None:
        """Record ``parts_done`` parts delivered (``final``: all of them; an erased row goes)."""
        now = self.clock()
        with self.db.tx() as conn:
            if final:
                conn.execute("DELETE FROM reply_outbox WHERE id=? AND erase=1", [row_id])
            conn.execute(
                "UPDATE reply_outbox SET parts_done=?, last_at=?, state=?, sent_at=?, error=NULL "
                "WHERE id=? AND attempt_id=?",
                [parts_done, now, SENT if final else SENDING, now if final else None, row_id, attempt_id],
            )

    def attempt_failed(self, row_id: int, attempt_id: str, reason: str) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE reply_outbox SET attempts=attempts+1, error=? WHERE id=? AND attempt_id=?",
                [reason[:500], row_id, attempt_id],
            )

    def fail(self, row_id: int, attempt_id: str, reason: str) -> None:
        """End a row as failed (an erased row goes)."""
        with self.db.tx() as conn:
            conn.execute("DELETE FROM reply_outbox WHERE id=? AND erase=1", [row_id])
            conn.execute(
                "UPDATE reply_outbox SET state=?, error=?, last_at=? WHERE id=? AND attempt_id=?",
                [FAILED, reason[:500], self.clock(), row_id, attempt_id],
            )

    def forget(self, channel: str, user_id: str) -> int:
        """A person asked to be forgotten: delete the rows about them that are sent or
        failed, mark the others to be deleted once sent. Returns how many went now."""
        with self.db.tx() as conn:
            gone = conn.execute(
                "DELETE FROM reply_outbox WHERE user_id=? AND (channel=? OR kind=?) AND state IN (?, ?)",
                [user_id, channel, NOTICE, SENT, FAILED],
            ).rowcount
            conn.execute(
                "UPDATE reply_outbox SET erase=1 WHERE user_id=? AND (channel=? OR kind=?)",
                [user_id, channel, NOTICE],
            )
            return gone

    def prune(self, before: float) -> int:
        """Delete rows sent or failed before ``before`` (Unix seconds); return how many."""
        with self.db.tx() as conn:
            return conn.execute(
                "DELETE FROM reply_outbox WHERE state IN (?, ?) AND last_at<?", [SENT, FAILED, before]
            ).rowcount

    def counts(self) -> dict[str, int]:
        found = self.db.row(
            "SELECT count(*), coalesce(sum(state IN (?, ?)), 0) FROM reply_outbox", [PENDING, SENDING]
        )
        total, pending = found if found else (0, 0)
        return {"pending": int(pending), "total": int(total)}


# --------------------------------------------------------------------------- the postman


class Postman:
    """Sends the outbox through each channel's ReplySender: one chat's rows in order, one at
    a time; up to ``max_chats`` chats of a channel at once."""

    def __init__(
        self,
        outbox: ReplyOutbox,
        *,
        max_chats: int = 64,
        retry: Backoff = SEND_RETRY,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        """``sleep`` waits between attempts (default: real time, cut short by a stop; tests
        pass a manual clock's)."""
        self.outbox = outbox
        self.retry = retry
        self._sleep = sleep
        self.on_settled: Settled | None = None  # see the module docstring
        self.max_chats = max_chats
        self._senders: dict[str, ReplySender] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._queues: dict[tuple[str, str], deque[int]] = {}
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._open: dict[str, set[int]] = {}
        self._offered: dict[int, tuple[Reply, str | None]] = {}  # queued rows, and their claim if made
        self._changed = asyncio.Event()
        self._stopping: set[str] = set()
        self._wake = asyncio.Event()

    def attach(self, channel: str, sender: ReplySender) -> None:
        """Send ``channel``'s rows from now on, starting with those left unsent."""
        self._senders[channel] = sender
        self._slots[channel] = asyncio.Semaphore(self.max_chats)
        self._open.setdefault(channel, set())
        self._stopping.discard(channel)
        self.offer(self.outbox.unsent([channel]))

    async def detach(self, channel: str) -> None:
        """Stop sending ``channel``'s rows; return once the parts in flight are answered and
        recorded (the rest stay in the outbox for the next start)."""
        self._stopping.add(channel)
        self._wake.set()
        for key, queue in self._queues.items():
            if key[0] == channel:
                for row_id in list(queue):
                    self._open[channel].discard(row_id)
                    self._offered.pop(row_id, None)
                queue.clear()
        self._changed.set()
        await self.drain(channel)
        self._senders.pop(channel, None)

    def offer(self, row_ids: Sequence[int], claims: Mapping[int, str] | None = None) -> None:
        """Queue rows just committed; ``claims`` are the attempt ids rows were committed with
        (claimed already). A row gone or sent meanwhile is skipped."""
        for row_id in row_ids:
            reply = self.outbox.get(row_id)
            if reply is None or reply.channel not in self._senders or reply.channel in self._stopping:
                continue
            if row_id in self._open[reply.channel]:
                continue
            self._open[reply.channel].add(row_id)
            self._offered[row_id] = (reply, (claims or {}).get(row_id))
            key = (reply.channel, reply.chat_id)
            self._queues.setdefault(key, deque()).append(row_id)
            if key not in self._tasks:
                self._tasks[key] = asyncio.get_running_loop().create_task(self._run(key))

    def sends(self, channel: str) -> bool:
        """Whether this postman sends ``channel``'s rows now (attached, not stopping)."""
        return channel in self._senders and channel not in self._stopping

    def waiting(self, channel: str | None = None) -> int:
        if channel is not None:
            return len(self._open.get(channel, ()))
        return sum(len(rows) for rows in self._open.values())

    async def drain(self, channel: str | None = None) -> None:
        """Return once no row (of ``channel``) is queued or being sent."""
        while self.waiting(channel):
            self._changed.clear()
            await self._changed.wait()

    async def close(self) -> None:
        for channel in list(self._senders):
            await self.detach(channel)

    async def _run(self, key: tuple[str, str]) -> None:
        channel = key[0]
        try:
            async with self._slots[channel]:
                queue = self._queues[key]
                while queue and channel not in self._stopping:
                    row_id = queue.popleft()
                    try:
                        await self._deliver(row_id)
                    except Exception:  # the database failed: the row stays for the next start
                        log.exception("replies.not_recorded row=%d", row_id)
                    finally:
                        self._open[channel].discard(row_id)
                        self._offered.pop(row_id, None)
                        self._changed.set()
        finally:
            self._tasks.pop(key, None)
            if not self._queues.get(key):
                self._queues.pop(key, None)
            self._changed.set()

    async def _deliver(self, row_id: int) -> None:
        reply, attempt = self._offered.get(row_id, (None, None))
        sender = self._senders.get(reply.channel) if reply is not None else None
        if reply is None or sender is None:
            return
        if attempt is None:  # a row of an earlier process, or one queued unclaimed
            attempt = uuid.uuid4().hex
            if not self.outbox.claim(row_id, attempt):
                return
        try:
            parts = list(sender.parts(reply))
        except Exception as exc:  # a row this version cannot render: never block the chat
            log.exception("replies.unreadable row=%d", row_id)
            await self._settle(reply, attempt, f"cannot be rendered: {type(exc).__name__}: {exc}")
            return
        done = min(reply.parts_done, len(parts))
        if done == len(parts):
            await self._settle(reply, attempt, None, parts_done=done)
            return
        failures = 0
        while done < len(parts):
            try:
                verdict = await sender.send(reply, parts[done])
            except Exception as exc:  # not a platform answer; it may have left: send again
                log.exception("replies.send_crashed row=%d", row_id)
                verdict = Again(f"{type(exc).__name__}: {exc}")
            if isinstance(verdict, Sent | Dropped):
                if isinstance(verdict, Dropped):
                    log.warning("replies.part_dropped row=%d part=%d %s", row_id, done, verdict.reason)
                done += 1
                failures = 0
                if done == len(parts):
                    await self._settle(reply, attempt, None, parts_done=done)
                    return
                self.outbox.progress(row_id, attempt, done, final=False)
                continue
            if isinstance(verdict, Undeliverable):
                log.warning(
                    "replies.undeliverable row=%d chat=%s undelivered=%d/%d %s",
                    row_id,
                    reply.chat_id,
                    len(parts) - done,
                    len(parts),
                    verdict.reason,
                )
                await self._settle(reply, attempt, verdict.reason)
                return
            failures += 1
            self.outbox.attempt_failed(row_id, attempt, verdict.reason)
            if failures >= self.retry.attempts:
                log.error("replies.gave_up row=%d after %d attempts: %s", row_id, failures, verdict.reason)
                await self._settle(reply, attempt, f"gave up after {failures} attempts: {verdict.reason}")
                return
            wait = verdict.wait or self.retry.delay(failures)
            log.info("replies.retry row=%d in=%.1fs %s", row_id, wait, verdict.reason)
            if await self._stopped_within(reply.channel, wait):
                return  # stays 'sending' with its parts_done: the next start sends the rest

    async def _settle(self, reply: Reply, attempt: str, failed: str | None, *, parts_done: int = 0) -> None:
        """Record a row sent (``failed`` None) or failed, with what its ``on_settled`` hook
        records in the same transaction; then run what the hook asked for after it."""
        after = None
        with self.outbox.db.tx():
            if failed is None:
                self.outbox.progress(reply.id, attempt, parts_done, final=True)
            else:
                self.outbox.fail(reply.id, attempt, failed)
            if reply.kind == DESK and self.on_settled is not None:
                try:
                    with self.outbox.db.tx():  # a savepoint: a failing hook leaves the row's record
                        after = self.on_settled(reply, failed is None, failed or "")
                except Exception:
                    log.exception("replies.on_settled_failed row=%d", reply.id)
        if after is not None:
            try:
                await after()
            except Exception:  # what follows a delivery (a notice edited) must not stop the chat
                log.exception("replies.after_settled_failed row=%d", reply.id)

    async def _stopped_within(self, channel: str, seconds: float) -> bool:
        if self._sleep is not None:
            await self._sleep(seconds)
            return channel in self._stopping
        deadline = asyncio.get_running_loop().time() + seconds
        while channel not in self._stopping:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return False
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), left)
        return True
