"""The reminders table: written with the turn that asks for a reminder, drained by the scheduler.

A row (at most one per conversation and kind) moves

    pending ──claim──▶ sending ──answer──▶ sent | dropped | failed | uncertain | pending (later)

with every move committed before the next thing is done, as in the broadcast outbox
(bot/broadcast/outbox.py): the claim under a fresh attempt id before the platform is
called, the answer after. A row still ``sending`` when a scheduler starts was interrupted
between its claim and its answer: it becomes ``uncertain`` and is not sent again (README,
"Reminders").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.db import Db

from .timing import Timer

__all__ = [
    "DROPPED",
    "FAILED",
    "PENDING",
    "SENDING",
    "SENT",
    "STATES",
    "UNCERTAIN",
    "Due",
    "ReminderBook",
    "StoredReminder",
]

PENDING, SENDING, SENT, DROPPED, FAILED, UNCERTAIN = (
    "pending",
    "sending",
    "sent",
    "dropped",
    "failed",
    "uncertain",
)
STATES = (PENDING, SENDING, SENT, DROPPED, FAILED, UNCERTAIN)
INTERRUPTED = "interrupted"  # the reason of a row a scheduler found 'sending' when it started


@dataclass(frozen=True, slots=True)
class Due:
    """A pending reminder whose time has come."""

    id: int
    channel: str
    chat_id: str
    user_id: str
    kind: str
    pause: str
    question: str | None
    lang: str
    due_at: float
    attempts: int


@dataclass(frozen=True, slots=True)
class StoredReminder:
    kind: str
    pause: str
    question: str | None
    lang: str
    due_at: float
    state: str
    error: str | None


def _key_where(channels: Sequence[str], user: tuple[str, str] | None) -> tuple[str, list[str]]:
    clauses = [f"channel IN ({', '.join('?' for _ in channels)})"]
    params = list(channels)
    if user is not None:
        clauses.append("user_id=? AND chat_id=?")
        params += [user[0], user[1]]
    return " AND ".join(clauses), params


class ReminderBook:
    """The ``reminders`` table on the shared Db."""

    _DUE = "id, channel, chat_id, user_id, kind, pause, question, lang, due_at, attempts"

    def __init__(self, db: Db) -> None:
        self.db = db

    # --- with the turn (inside the store's transaction) -----------------------------------------

    @staticmethod
    def write(
        conn: sqlite3.Connection,
        channel: str,
        chat_id: str,
        user_id: str,
        timers: Iterable[Timer],
        now: float,
    ) -> None:
        """Apply one turn's timers in the caller's transaction. A schedule replaces the
        conversation's reminder of that kind — unless that one is for the same pause and was
        sent already or is being sent: a pause is reminded of once. A cancel removes a
        reminder not yet sent (one in flight goes on)."""
        for timer in timers:
            if timer.action == "cancel":
                conn.execute(
                    "DELETE FROM reminders WHERE channel=? AND chat_id=? AND user_id=? AND kind=? "
                    "AND state=?",
                    [channel, chat_id, user_id, timer.kind, PENDING],
                )
                continue
            conn.execute(
                "INSERT INTO reminders (channel, chat_id, user_id, kind, pause, question, lang, due_at, "
                "state, attempts, created_at) VALUES (?,?,?,?,?,?,?,?,?,0,?) "
                "ON CONFLICT(channel, chat_id, user_id, kind) DO UPDATE SET pause=excluded.pause, "
                "question=excluded.question, lang=excluded.lang, due_at=excluded.due_at, "
                "state=excluded.state, attempts=0, attempt_id=NULL, error=NULL, "
                "created_at=excluded.created_at, last_at=NULL "
                "WHERE reminders.state=? OR reminders.pause IS NOT excluded.pause",
                [
                    channel, chat_id, user_id, timer.kind, timer.pause, timer.question, timer.lang,
                    timer.due_at, PENDING, now, PENDING,
                ],
            )  # fmt: skip

    @staticmethod
    def forget(conn: sqlite3.Connection, channel: str, user_id: str) -> int:
        """Delete one person's reminders in the caller's transaction; return how many went."""
        return conn.execute(
            "DELETE FROM reminders WHERE channel=? AND user_id=?", [channel, user_id]
        ).rowcount

    # --- for the scheduler ----------------------------------------------------------------------

    def due(
        self, now: float, channels: Sequence[str], *, user: tuple[str, str] | None = None, limit: int = 100
    ) -> list[Due]:
        """Pending reminders of ``channels`` due by ``now``, earliest first (``user``: only
        that (user, chat)'s)."""
        if not channels:
            return []
        where, params = _key_where(channels, user)
        rows = self.db.rows(
            f"SELECT {self._DUE} FROM reminders WHERE state=? AND due_at<=? AND {where} "
            "ORDER BY due_at LIMIT ?",
            [PENDING, now, *params, limit],
        )
        return [Due(*r) for r in rows]

    def next_due(self, channels: Sequence[str], *, user: tuple[str, str] | None = None) -> float | None:
        """When the earliest pending reminder of ``channels`` falls due, or None."""
        if not channels:
            return None
        where, params = _key_where(channels, user)
        row = self.db.row(f"SELECT min(due_at) FROM reminders WHERE state=? AND {where}", [PENDING, *params])
        return None if row is None or row[0] is None else float(row[0])

    def claim(self, row_id: int, attempt_id: str, now: float) -> bool:
        """Mark a due row in flight under ``attempt_id`` (committed before the send); False
        when it is not pending any more (cancelled, rescheduled later, sent by another)."""
        with self.db.tx() as conn:
            return (
                conn.execute(
                    "UPDATE reminders SET state=?, attempt_id=?, last_at=? "
                    "WHERE id=? AND state=? AND due_at<=?",
                    [SENDING, attempt_id, now, row_id, PENDING, now],
                ).rowcount
                == 1
            )

    def settle(self, row_id: int, attempt_id: str, state: str, now: float, reason: str | None = None) -> bool:
        """Record the answer to a claimed row: sent, dropped, failed or uncertain (with a
        reason). False when the row is no longer this attempt's (a new pause replaced it)."""
        assert state in (SENT, DROPPED, FAILED, UNCERTAIN)
        with self.db.tx() as conn:
            return (
                conn.execute(
                    "UPDATE reminders SET state=?, error=?, last_at=? "
                    "WHERE id=? AND attempt_id=? AND state=?",
                    [state, reason, now, row_id, attempt_id, SENDING],
                ).rowcount
                == 1
            )

    def later(self, row_id: int, attempt_id: str, due_at: float, reason: str) -> None:
        """Put a claimed row that was provably not delivered back, due at ``due_at``."""
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE reminders SET state=?, due_at=?, error=?, attempts=attempts+1, attempt_id=NULL "
                "WHERE id=? AND attempt_id=? AND state=?",
                [PENDING, due_at, reason, row_id, attempt_id, SENDING],
            )

    def skip(self, row_id: int, reason: str, now: float) -> bool:
        """Drop a pending row without sending it (the questionnaire it was for is over)."""
        with self.db.tx() as conn:
            return (
                conn.execute(
                    "UPDATE reminders SET state=?, error=?, last_at=? WHERE id=? AND state=?",
                    [DROPPED, reason, now, row_id, PENDING],
                ).rowcount
                == 1
            )

    def recover_interrupted(self, channels: Sequence[str], *, user: tuple[str, str] | None = None) -> int:
        """Rows of ``channels`` left 'sending' by a process that died: mark them uncertain,
        never send them again."""
        if not channels:
            return 0
        where, params = _key_where(channels, user)
        with self.db.tx() as conn:
            return conn.execute(
                f"UPDATE reminders SET state=?, error=? WHERE state=? AND {where}",
                [UNCERTAIN, INTERRUPTED, SENDING, *params],
            ).rowcount

    # --- reading --------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """How many rows are in each state (every state, zeros included)."""
        found = dict.fromkeys(STATES, 0)
        for state, n in self.db.rows("SELECT state, count(*) FROM reminders GROUP BY state"):
            found[state] = n
        return found

    def of(self, channel: str, chat_id: str, user_id: str) -> list[StoredReminder]:
        """One conversation's reminders, by kind."""
        rows = self.db.rows(
            "SELECT kind, pause, question, lang, due_at, state, error FROM reminders "
            "WHERE channel=? AND chat_id=? AND user_id=? ORDER BY kind",
            [channel, chat_id, user_id],
        )
        return [StoredReminder(*r) for r in rows]
