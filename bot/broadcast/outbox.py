"""Broadcasts (the audit trail) and their durable outbox, in the SQLite file.

The outbox has one row per (broadcast, target), written in one transaction when the
broadcast falls due, before anything is sent. A row moves

    pending ──claim──▶ sending ──answer──▶ sent | pending (next part, or a retry) | failed | uncertain
       └──(target no longer subscribed)──▶ skipped

and every move is committed before the worker does the next thing. A row still 'sending'
when a worker takes over was interrupted between its claim and its answer: it becomes
'uncertain' and is not sent again (see the README, "Broadcasts: exactly once?").

Times the worker compares are Unix seconds. Every move is a commit with the durability of
:mod:`bot.db` (synchronous=FULL): a claim survives a power cut, not only a killed process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.db import Db

from .content import Content, Part
from .lease import Lease, try_lease
from .markup import Rendered
from .sending import Platform
from .subscriptions import MATCHES, UNSUBSCRIBED, dumps, topics_of

__all__ = [
    "FINAL_STATES",
    "Broadcast",
    "Claim",
    "Job",
    "Outbox",
    "Report",
    "Skipped",
]

PENDING, SENDING, SENT, FAILED, SKIPPED, UNCERTAIN = (
    "pending",
    "sending",
    "sent",
    "failed",
    "skipped",
    "uncertain",
)
ROW_STATES = (SENT, FAILED, SKIPPED, UNCERTAIN, PENDING, SENDING)
FINAL_STATES = frozenset({SENT, FAILED, SKIPPED, UNCERTAIN})
SCHEDULED, DELIVERING, DONE, CANCELLED = "scheduled", "delivering", "done", "cancelled"
INTERRUPTED = "broadcast.reason.interrupted"


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    created_by: str
    created_at: float
    source: str
    topics: tuple[str, ...]
    has_image: bool
    send_at: float
    state: str  # scheduled | delivering | done | cancelled
    started_at: float | None
    finished_at: float | None
    cancelled_by: str | None


@dataclass(frozen=True, slots=True)
class Report:
    broadcast: Broadcast
    counts: dict[str, int]  # every row state, zeros included
    reasons: list[tuple[str, str, int]]  # (state, reason, rows), most rows first
    took: float | None  # seconds from the first claim to done (or to now while delivering)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def open(self) -> int:
        return self.counts[PENDING] + self.counts[SENDING]


@dataclass(frozen=True, slots=True)
class Job:
    """An outbox row waiting for its next part."""

    row_id: int
    broadcast_id: int
    subscription_id: int
    channel: str
    kind: str
    parts_total: int
    parts_done: int
    attempts: int
    not_before: float


@dataclass(frozen=True, slots=True)
class Claim:
    address: str
    part: int  # index of the part now in flight


@dataclass(frozen=True, slots=True)
class Skipped:
    reason: str


class Outbox:
    """The broadcasts (the audit trail) and their outbox rows, on the shared Db; the
    ``platforms`` say how many parts each target of their channel gets."""

    _BC_COLUMNS = (
        "id, created_by, created_at, source, topics, image IS NOT NULL, send_at, state, started_at, "
        "finished_at, cancelled_by"
    )

    def __init__(self, db: Db, platforms: Mapping[str, Platform]) -> None:
        self.db = db
        self.platforms = dict(platforms)

    def try_lease(self) -> Lease | None:
        """Become the one worker of this database, or None while another process (or task) is."""
        return try_lease(self.db)

    def parts(self, channel: str, content: Content) -> list[Part]:
        """The parts one target of ``channel`` gets. Raises KeyError for an unknown channel."""
        return self.platforms[channel].parts(content)

    def create(
        self,
        *,
        by: str,
        source: str,
        rendered: Rendered,
        topics: Sequence[str],
        send_at: float,
        now: float,
        image: bytes | None = None,
    ) -> Broadcast:
        """Record a broadcast (who, when, what), due at ``send_at``; the worker delivers it."""
        with self.db.tx() as conn:
            cur = conn.execute(
                "INSERT INTO broadcasts (created_by, created_at, source, topics, image, telegram_html, "
                "telegram_visible, wecom_markdown, plain, send_at, state) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    by,
                    now,
                    source,
                    dumps(list(topics)),
                    image,
                    rendered.telegram_html,
                    rendered.telegram_visible,
                    rendered.wecom_markdown,
                    rendered.plain,
                    send_at,
                    SCHEDULED,
                ],
            )
            broadcast_id = cur.lastrowid
        assert broadcast_id is not None
        found = self.broadcast(broadcast_id)
        assert found is not None
        return found

    def _broadcast(self, row: tuple[Any, ...]) -> Broadcast:
        return Broadcast(
            row[0], row[1], row[2], row[3], topics_of(row[4]), bool(row[5]), row[6], row[7], row[8], row[9],
            row[10],
        )  # fmt: skip

    def broadcast(self, broadcast_id: int) -> Broadcast | None:
        rows = self.db.rows(f"SELECT {self._BC_COLUMNS} FROM broadcasts WHERE id=?", [broadcast_id])
        return self._broadcast(rows[0]) if rows else None

    def broadcasts(self, limit: int = 10) -> list[Broadcast]:
        """The most recent broadcasts, newest first."""
        rows = self.db.rows(f"SELECT {self._BC_COLUMNS} FROM broadcasts ORDER BY id DESC LIMIT ?", [limit])
        return [self._broadcast(r) for r in rows]

    def cancel(self, broadcast_id: int, by: str) -> bool:
        """Cancel a broadcast that has not started; False if there is none such."""
        with self.db.tx() as conn:
            cur = conn.execute(
                "UPDATE broadcasts SET state=?, cancelled_by=? WHERE id=? AND state=?",
                [CANCELLED, by, broadcast_id, SCHEDULED],
            )
            return cur.rowcount == 1

    def content(self, broadcast_id: int) -> Content:
        """What to send for a broadcast. Raises KeyError for an unknown id."""
        rows = self.db.rows(
            "SELECT telegram_html, telegram_visible, wecom_markdown, plain, image, telegram_file_id "
            "FROM broadcasts WHERE id=?",
            [broadcast_id],
        )
        if not rows:
            raise KeyError(broadcast_id)
        r = rows[0]
        return Content(broadcast_id, r[0], r[1], r[2], r[3], r[4], r[5])

    def remember_file_id(self, broadcast_id: int, file_id: str) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE broadcasts SET telegram_file_id=? WHERE id=? AND telegram_file_id IS NULL",
                [file_id, broadcast_id],
            )

    def start_due(self, now: float) -> list[int]:
        """Write the outbox of every broadcast due by ``now`` (one row per target, in one
        transaction per broadcast); return their ids."""
        due = self.db.rows(
            "SELECT id FROM broadcasts WHERE state=? AND send_at<=? ORDER BY send_at, id", [SCHEDULED, now]
        )
        started: list[int] = []
        for (broadcast_id,) in due:
            content = self.content(broadcast_id)
            parts = {channel: len(self.parts(channel, content)) for channel in self.platforms}
            cases = " ".join("WHEN ? THEN ?" for _ in parts)
            known = ", ".join("?" for _ in parts)
            with self.db.tx() as conn:
                row = conn.execute(
                    "SELECT topics FROM broadcasts WHERE id=? AND state=?", [broadcast_id, SCHEDULED]
                ).fetchone()
                if row is None:  # cancelled meanwhile
                    continue
                cur = conn.execute(
                    "INSERT INTO broadcast_outbox (broadcast_id, subscription_id, channel, kind, target, "
                    "state, parts_total) SELECT ?, s.id, s.channel, s.kind, s.name, ?, "
                    f"CASE s.channel {cases} END FROM broadcast_subscriptions s "
                    f"WHERE {MATCHES} AND s.channel IN ({known}) ORDER BY s.id",
                    [
                        broadcast_id,
                        PENDING,
                        *(x for pair in parts.items() for x in pair),
                        row[0],
                        row[0],
                        *parts,
                    ],
                )
                empty = cur.rowcount == 0
                conn.execute(
                    "UPDATE broadcasts SET state=?, started_at=?, finished_at=? WHERE id=?",
                    [DONE if empty else DELIVERING, now, now if empty else None, broadcast_id],
                )
            started.append(broadcast_id)
        return started

    def next_due(self) -> float | None:
        """When the earliest scheduled broadcast falls due, or None."""
        rows = self.db.rows("SELECT min(send_at) FROM broadcasts WHERE state=?", [SCHEDULED])
        return rows[0][0] if rows and rows[0][0] is not None else None

    def delivering(self) -> list[int]:
        return [
            r[0] for r in self.db.rows("SELECT id FROM broadcasts WHERE state=? ORDER BY id", [DELIVERING])
        ]

    def finish_if_complete(self, broadcast_id: int, now: float) -> bool:
        """Mark a broadcast done once none of its rows is pending or sending; True if it was now."""
        with self.db.tx() as conn:
            cur = conn.execute(
                "UPDATE broadcasts SET state=?, finished_at=? WHERE id=? AND state=? AND NOT EXISTS "
                "(SELECT 1 FROM broadcast_outbox WHERE broadcast_id=? AND state IN (?, ?))",
                [DONE, now, broadcast_id, DELIVERING, broadcast_id, PENDING, SENDING],
            )
            return cur.rowcount == 1

    def resend_uncertain(self, broadcast_id: int) -> int:
        """Queue the uncertain rows of a broadcast again (each may then arrive twice)."""
        with self.db.tx() as conn:
            count = conn.execute(
                "UPDATE broadcast_outbox SET state=?, attempt_id=NULL, not_before=0 "
                "WHERE broadcast_id=? AND state=?",
                [PENDING, broadcast_id, UNCERTAIN],
            ).rowcount
            if count:
                conn.execute(
                    "UPDATE broadcasts SET state=?, finished_at=NULL WHERE id=? AND state=?",
                    [DELIVERING, broadcast_id, DONE],
                )
            return count

    def report(self, broadcast_id: int, now: float) -> Report | None:
        broadcast = self.broadcast(broadcast_id)
        if broadcast is None:
            return None
        counts = dict.fromkeys(ROW_STATES, 0)
        for state, count in self.db.rows(
            "SELECT state, count(*) FROM broadcast_outbox WHERE broadcast_id=? GROUP BY state", [broadcast_id]
        ):
            counts[state] = count
        reasons = [
            (state, reason, count)
            for state, reason, count in self.db.rows(
                "SELECT state, coalesce(error, ''), count(*) FROM broadcast_outbox WHERE broadcast_id=? "
                "AND state IN (?, ?, ?) GROUP BY state, error ORDER BY count(*) DESC",
                [broadcast_id, FAILED, SKIPPED, UNCERTAIN],
            )
        ]
        took = None
        if broadcast.started_at is not None:
            took = (broadcast.finished_at or now) - broadcast.started_at
        return Report(broadcast, counts, reasons, took)

    def failures(self, broadcast_id: int, limit: int = 20) -> list[tuple[str, str, str]]:
        """(target, state, reason) of rows not delivered, for the detailed report."""
        return [
            (r[0], r[1], r[2] or "")
            for r in self.db.rows(
                "SELECT coalesce(target, ''), state, error FROM broadcast_outbox WHERE broadcast_id=? "
                "AND state IN (?, ?, ?) ORDER BY id LIMIT ?",
                [broadcast_id, FAILED, SKIPPED, UNCERTAIN, limit],
            )
        ]

    # --- the outbox, for the worker ---------------------------------------------------------------

    def pending_jobs(self, channel: str, *, after_id: int = 0, limit: int = 1000) -> list[Job]:
        """Pending rows of one channel, oldest first, after row ``after_id``."""
        rows = self.db.rows(
            "SELECT id, broadcast_id, subscription_id, channel, kind, parts_total, parts_done, attempts, "
            "not_before FROM broadcast_outbox WHERE state=? AND channel=? AND id>? ORDER BY id LIMIT ?",
            [PENDING, channel, after_id, limit],
        )
        return [Job(*r) for r in rows]

    def pending_counts(self) -> dict[str, int]:
        """How many rows wait, per channel."""
        return dict(
            self.db.rows(
                "SELECT channel, count(*) FROM broadcast_outbox WHERE state=? GROUP BY channel", [PENDING]
            )
        )

    def recover_interrupted(self) -> int:
        """Rows left 'sending' by a worker that died: mark them uncertain, never resend them."""
        with self.db.tx() as conn:
            return conn.execute(
                "UPDATE broadcast_outbox SET state=?, error=? WHERE state=?",
                [UNCERTAIN, INTERRUPTED, SENDING],
            ).rowcount

    def recent_sends(self, since: float) -> list[tuple[int, str, str, float, int]]:
        """(subscription, channel, kind, time, parts) of rows touched since ``since``: what the
        platforms may have counted against their limits lately."""
        return [
            (r[0], r[1], r[2], r[3], r[4])
            for r in self.db.rows(
                "SELECT subscription_id, channel, kind, last_at, max(parts_done, 1) FROM broadcast_outbox "
                "WHERE last_at>?",
                [since],
            )
        ]

    def claim(self, row_id: int, attempt_id: str, now: float) -> Claim | Skipped | None:
        """Mark the row's next part in flight under ``attempt_id`` (committed before the send).

        Returns where to send it, Skipped when the target is no longer subscribed (the row is
        then 'skipped'), or None when the row is not pending any more."""
        with self.db.tx() as conn:
            row = conn.execute(
                "SELECT o.state, o.parts_done, s.active, s.inactive_reason, s.chat_id, s.webhook_url "
                "FROM broadcast_outbox o JOIN broadcast_subscriptions s ON s.id = o.subscription_id "
                "WHERE o.id=?",
                [row_id],
            ).fetchone()
            if row is None or row[0] != PENDING:
                return None
            if not row[2]:
                reason = row[3] or UNSUBSCRIBED
                conn.execute(
                    "UPDATE broadcast_outbox SET state=?, error=? WHERE id=?", [SKIPPED, reason, row_id]
                )
                return Skipped(reason)
            conn.execute(
                "UPDATE broadcast_outbox SET state=?, attempt_id=?, last_at=? WHERE id=?",
                [SENDING, attempt_id, now, row_id],
            )
            return Claim(row[5] or row[4], row[1])

    def part_sent(self, row_id: int, attempt_id: str, message_id: str, now: float) -> bool:
        """Record a delivered part; return True when it was the row's last."""
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE broadcast_outbox SET parts_done=parts_done+1, last_at=?, error=NULL, "
                "message_ids=json_insert(message_ids, '$[#]', ?), "
                "state=CASE WHEN parts_done+1>=parts_total THEN ? ELSE ? END "
                "WHERE id=? AND attempt_id=? AND state IN (?, ?)",
                [now, message_id, SENT, PENDING, row_id, attempt_id, SENDING, UNCERTAIN],
            )
            row = conn.execute("SELECT state FROM broadcast_outbox WHERE id=?", [row_id]).fetchone()
            return row is not None and row[0] == SENT

    def retry_later(
        self, row_id: int, attempt_id: str, *, not_before: float, reason: str, count: bool
    ) -> None:
        """Put a part that was provably not delivered back in the queue."""
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE broadcast_outbox SET state=?, not_before=?, error=?, attempts=attempts+? "
                "WHERE id=? AND attempt_id=? AND state=?",
                [PENDING, not_before, reason, int(count), row_id, attempt_id, SENDING],
            )

    def settle(self, row_id: int, attempt_id: str, state: str, reason: str) -> None:
        """End a row as 'failed' or 'uncertain' with ``reason``."""
        assert state in (FAILED, UNCERTAIN)
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE broadcast_outbox SET state=?, error=? WHERE id=? AND attempt_id=? AND state=?",
                [state, reason, row_id, attempt_id, SENDING],
            )
