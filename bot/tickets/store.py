"""Tickets in SQLite: a hand-off kept as a conversation between a person and the secretariat.

States: ``open`` (nobody has it) → ``claimed`` (a staff member has it) → ``answered`` (the
last word was staff's; the person may write again, which makes it ``claimed`` again, or an
``open`` one if nobody claimed it) → ``closed``. One ticket that is not closed per person
(channel, user), kept by a partial unique index. Every message is stored with its
direction (``in``: from the person; ``out``: from staff; ``note``: what happened), author
and time. Times are Unix seconds.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.db import Db
from bot.store import SessionKey, StoredAssessment

__all__ = ["ACTIVE", "STATES", "Ticket", "TicketMessage", "TicketStore"]

State = Literal["open", "claimed", "answered", "closed"]
STATES: tuple[State, ...] = ("open", "claimed", "answered", "closed")
ACTIVE: tuple[State, ...] = ("open", "claimed", "answered")
Direction = Literal["in", "out", "note"]

_COLUMNS = (
    "id, channel, chat_id, user_id, name, lang, question, reason, topic, recent, score, tier, "
    "assessment_id, state, opened_at, in_hours, claimed_by, claimed_name, claimed_at, first_reply_at, "
    "answered_by, answered_name, answered_at, last_person_at, closed_at, closed_by, close_reason, "
    "staff_chat, notice_id, thread, remind_at, reminded_at, close_at, changed_at"
)


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    key: SessionKey
    name: str | None
    lang: str
    question: str
    reason: str | None
    topic: str | None
    recent: list[dict[str, str]]  # [{"who": "person"|"assistant", "text": …}], oldest first
    score: int | None
    tier: str | None
    assessment_id: int | None
    state: State
    opened_at: float
    in_hours: bool
    claimed_by: str | None = None
    claimed_name: str | None = None
    claimed_at: float | None = None
    first_reply_at: float | None = None
    answered_by: str | None = None
    answered_name: str | None = None
    answered_at: float | None = None
    last_person_at: float | None = None
    closed_at: float | None = None
    closed_by: str | None = None
    close_reason: str | None = None
    staff_chat: str | None = None
    notice_id: str | None = None
    thread: str | None = None
    remind_at: float | None = None
    reminded_at: float | None = None
    close_at: float | None = None
    changed_at: float = 0.0

    @property
    def active(self) -> bool:
        return self.state != "closed"

    @property
    def who(self) -> str:
        """The person as staff see them: their name, else their id on the platform."""
        return self.name or self.key.user_id


@dataclass(frozen=True, slots=True)
class TicketMessage:
    id: int
    ticket_id: int
    at: float
    direction: Direction
    author: str  # "person", or the staff member's channel-qualified id ("telegram:7")
    text: str
    author_name: str | None = None
    via: str | None = None  # the channel or "console" it was written in
    delivered: bool | None = None  # staff messages: whether the person's platform took it


@dataclass
class Opening:
    """What a hand-off opens a ticket with."""

    key: SessionKey
    question: str
    lang: str
    now: float
    name: str | None = None
    reason: str | None = None
    topic: str | None = None
    recent: list[dict[str, str]] = field(default_factory=list)
    last: StoredAssessment | None = None
    in_hours: bool = True
    remind_at: float | None = None
    staff_chat: str | None = None


def _ticket(row: Sequence[Any]) -> Ticket:
    (tid, channel, chat_id, user_id, name, lang, question, reason, topic, recent, *rest) = row
    values = list(rest)
    values[5] = bool(values[5])  # in_hours
    return Ticket(
        tid, SessionKey(channel, chat_id, user_id), name, lang, question, reason, topic,
        json.loads(recent or "[]"), *values,
    )  # fmt: skip


class TicketStore:
    """Tickets and their messages on the assistant's database (see :mod:`bot.db`)."""

    def __init__(self, db: Db) -> None:
        self.db = db

    # ------------------------------------------------------------ reading

    def get(self, ticket_id: int) -> Ticket | None:
        row = self.db.row(f"SELECT {_COLUMNS} FROM tickets WHERE id=?", [ticket_id])
        return _ticket(row) if row else None

    def active_for(self, channel: str, user_id: str) -> Ticket | None:
        """The person's ticket that is not closed, if any (whatever chat it came from)."""
        row = self.db.row(
            f"SELECT {_COLUMNS} FROM tickets WHERE channel=? AND user_id=? AND state != 'closed'",
            [channel, user_id],
        )
        return _ticket(row) if row else None

    def open_in(self, key: SessionKey) -> Ticket | None:
        """The person's active ticket if it was opened in this very chat."""
        found = self.active_for(key.channel, key.user_id)
        return found if found is not None and found.key == key else None

    def messages(self, ticket_id: int, *, after: int = 0, limit: int = 500) -> list[TicketMessage]:
        rows = self.db.rows(
            "SELECT id, ticket_id, at, direction, author, text, author_name, via, delivered "
            "FROM ticket_messages WHERE ticket_id=? AND id>? ORDER BY id LIMIT ?",
            [ticket_id, after, limit],
        )
        return [
            TicketMessage(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], None if r[8] is None else bool(r[8])
            )
            for r in rows
        ]

    def message(self, message_id: int) -> TicketMessage | None:
        """One message of any ticket (None: there is none, or its ticket was forgotten)."""
        r = self.db.row(
            "SELECT id, ticket_id, at, direction, author, text, author_name, via, delivered "
            "FROM ticket_messages WHERE id=?",
            [message_id],
        )
        if r is None:
            return None
        return TicketMessage(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], None if r[8] is None else bool(r[8])
        )

    def in_outbox(self, ticket_id: int) -> set[int]:
        """The ids of the ticket's staff answers still waiting in the reply outbox (being sent)."""
        rows = self.db.rows(
            "SELECT json_extract(o.extra, '$.ticket_message') FROM reply_outbox o "
            "JOIN ticket_messages m ON m.id = json_extract(o.extra, '$.ticket_message') "
            "WHERE o.kind='desk' AND o.state IN ('pending', 'sending') AND m.ticket_id=?",
            [ticket_id],
        )
        return {int(r[0]) for r in rows}

    def listing(
        self, states: Sequence[str] = ACTIVE, *, before: int | None = None, limit: int = 50
    ) -> list[Ticket]:
        """Tickets in ``states``, newest first (older than ``before`` when given)."""
        marks = ",".join("?" * len(states))
        rows = self.db.rows(
            f"SELECT {_COLUMNS} FROM tickets WHERE state IN ({marks}) AND id < ? ORDER BY id DESC LIMIT ?",
            [*states, before if before is not None else 2**62, limit],
        )
        return [_ticket(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """How many tickets are in each state."""
        found: dict[str, int] = dict(self.db.rows("SELECT state, count(*) FROM tickets GROUP BY state"))
        return {state: int(found.get(state, 0)) for state in STATES}

    def last_change(self) -> float:
        """When any ticket last changed (the console's list refreshes when it moves)."""
        row = self.db.row("SELECT max(changed_at) FROM tickets")
        return float(row[0]) if row and row[0] is not None else 0.0

    def by_post(self, staff_chat: str, message_id: str) -> int | None:
        """The ticket a staff-chat message (a notice, a forwarded message) belongs to."""
        row = self.db.row(
            "SELECT ticket_id FROM ticket_posts WHERE staff_chat=? AND message_id=?", [staff_chat, message_id]
        )
        return int(row[0]) if row else None

    def by_thread(self, staff_chat: str, thread: str) -> int | None:
        """The ticket whose forum topic ``thread`` is."""
        row = self.db.row(
            "SELECT id FROM tickets WHERE staff_chat=? AND thread=? ORDER BY id DESC LIMIT 1",
            [staff_chat, thread],
        )
        return int(row[0]) if row else None

    def due_reminders(self, now: float, limit: int = 100) -> list[Ticket]:
        """Open tickets nobody claimed whose reminder is due."""
        rows = self.db.rows(
            f"SELECT {_COLUMNS} FROM tickets WHERE remind_at <= ? AND state = 'open' "
            "ORDER BY remind_at LIMIT ?",
            [now, limit],
        )
        return [_ticket(r) for r in rows]

    def due_closing(self, now: float, limit: int = 100) -> list[Ticket]:
        """Answered tickets the person has not written to since for the idle time."""
        rows = self.db.rows(
            f"SELECT {_COLUMNS} FROM tickets WHERE close_at <= ? AND state = 'answered' "
            "ORDER BY close_at LIMIT ?",
            [now, limit],
        )
        return [_ticket(r) for r in rows]

    # ------------------------------------------------------------ writing

    def open(self, opening: Opening) -> tuple[Ticket, bool]:
        """A new ticket, or the person's active one (the question added to it). Returns the
        ticket and whether it is new."""
        o = opening
        last = o.last
        with self.db.tx() as conn:
            existing = conn.execute(
                "SELECT id FROM tickets WHERE channel=? AND user_id=? AND state != 'closed'",
                [o.key.channel, o.key.user_id],
            ).fetchone()
            if existing is not None:
                self._add(conn, existing[0], "in", "person", o.question, o.now, o.name, o.key.channel)
                self._person_wrote(conn, existing[0], o.now)
                ticket_id, created = int(existing[0]), False
            else:
                cur = conn.execute(
                        "INSERT INTO tickets (channel, chat_id, user_id, name, lang, question, reason, "
                        "topic, "
                        "recent, score, tier, assessment_id, state, opened_at, in_hours, last_person_at, "
                        "staff_chat, remind_at, changed_at) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'open',?,?,?,?,?,?)",
                        [
                            o.key.channel, o.key.chat_id, o.key.user_id, o.name, o.lang, o.question, o.reason,
                            o.topic, json.dumps(o.recent, ensure_ascii=False),
                            last.result.get("score") if last else None,
                            last.result.get("tier") if last else None,
                            last.id if last else None, o.now, int(o.in_hours), o.now, o.staff_chat,
                            o.remind_at,
                            o.now,
                        ],
                    )  # fmt: skip
                ticket_id, created = int(cur.lastrowid or 0), True
                self._add(conn, ticket_id, "in", "person", o.question, o.now, o.name, o.key.channel)
        ticket = self.get(ticket_id)
        assert ticket is not None
        return ticket, created

    def add_message(
        self,
        ticket_id: int,
        direction: Direction,
        author: str,
        text: str,
        now: float,
        *,
        author_name: str | None = None,
        via: str | None = None,
        delivered: bool | None = None,
    ) -> TicketMessage:
        with self.db.tx() as conn:
            message_id = self._add(conn, ticket_id, direction, author, text, now, author_name, via, delivered)
            conn.execute("UPDATE tickets SET changed_at=? WHERE id=?", [now, ticket_id])
        return TicketMessage(message_id, ticket_id, now, direction, author, text, author_name, via, delivered)

    def person_wrote(
        self, ticket_id: int, text: str, now: float, name: str | None, via: str
    ) -> Ticket | None:
        """Add a person's message: an answered ticket waits on staff again, and its idle
        closing is called off."""
        with self.db.tx() as conn:
            self._add(conn, ticket_id, "in", "person", text, now, name, via)
            self._person_wrote(conn, ticket_id, now)
        return self.get(ticket_id)

    def claim(self, ticket_id: int, by: str, name: str | None, now: float) -> tuple[Ticket | None, bool]:
        """Claim an active ticket nobody has claimed. Returns the ticket and whether this
        call claimed it (False when it is closed or someone has it already)."""
        with self.db.tx() as conn:
            cur = conn.execute(
                "UPDATE tickets SET claimed_by=?, claimed_name=?, claimed_at=?, remind_at=NULL, "
                "changed_at=?, "
                "state=CASE state WHEN 'open' THEN 'claimed' ELSE state END "
                "WHERE id=? AND state != 'closed' AND claimed_by IS NULL",
                [by, name, now, now, ticket_id],
            )
            if cur.rowcount == 1:
                self._add(conn, ticket_id, "note", by, "claimed", now, name)
        return self.get(ticket_id), cur.rowcount == 1

    def sending(self, ticket_id: int, by: str, name: str | None, text: str, now: float, *, via: str) -> int:
        """Store a staff answer about to be sent (delivered unknown: a crash before
        :meth:`answered` leaves it so, shown as uncertain and never sent again). Returns
        the message's id."""
        with self.db.tx() as conn:
            message_id = self._add(conn, ticket_id, "out", by, text, now, name, via)
            conn.execute("UPDATE tickets SET changed_at=? WHERE id=?", [now, ticket_id])
        return message_id

    def answered(
        self,
        ticket_id: int,
        message_id: int,
        by: str,
        name: str | None,
        now: float,
        *,
        delivered: bool,
        close_at: float | None,
    ) -> Ticket | None:
        """Record how a staff answer (:meth:`sending`) went; when it reached the person, the
        ticket is answered (and claimed by its author if nobody had it) and closes at
        ``close_at`` unless the person writes again."""
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE ticket_messages SET delivered=? WHERE id=? AND ticket_id=?",
                [int(delivered), message_id, ticket_id],
            )
            if delivered:
                conn.execute(
                    "UPDATE tickets SET state='answered', answered_by=?, answered_name=?, answered_at=?, "
                    "first_reply_at=coalesce(first_reply_at, ?), claimed_by=coalesce(claimed_by, ?), "
                    "claimed_name=CASE WHEN claimed_by IS NULL THEN ? ELSE claimed_name END, "
                    "claimed_at=coalesce(claimed_at, ?), remind_at=NULL, close_at=?, changed_at=? "
                    "WHERE id=? AND state != 'closed'",
                    [by, name, now, now, by, name, now, close_at, now, ticket_id],
                )
            else:
                conn.execute("UPDATE tickets SET changed_at=? WHERE id=?", [now, ticket_id])
        return self.get(ticket_id)

    def close(self, ticket_id: int, by: str, reason: str, now: float) -> tuple[Ticket | None, bool]:
        """Close an active ticket (``reason``: staff, idle, person). Returns the ticket and
        whether this call closed it."""
        with self.db.tx() as conn:
            cur = conn.execute(
                "UPDATE tickets SET state='closed', closed_at=?, closed_by=?, close_reason=?, "
                "remind_at=NULL, "
                "close_at=NULL, changed_at=? WHERE id=? AND state != 'closed'",
                [now, by, reason, now, ticket_id],
            )
            if cur.rowcount == 1:
                self._add(conn, ticket_id, "note", by, f"closed:{reason}", now)
        return self.get(ticket_id), cur.rowcount == 1

    def reminded(self, ticket_id: int, now: float) -> bool:
        """Mark a ticket's one reminder as sent; False when another sweep got there first."""
        with self.db.tx() as conn:
            cur = conn.execute(
                "UPDATE tickets SET remind_at=NULL, reminded_at=?, changed_at=? "
                "WHERE id=? AND remind_at IS NOT NULL",
                [now, now, ticket_id],
            )
            return cur.rowcount == 1

    def set_notice(self, ticket_id: int, staff_chat: str, notice_id: str, thread: str | None) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE tickets SET staff_chat=?, notice_id=?, thread=? WHERE id=?",
                [staff_chat, notice_id, thread, ticket_id],
            )
            self._post(conn, staff_chat, notice_id, ticket_id)

    def add_post(self, staff_chat: str, message_id: str, ticket_id: int) -> None:
        """Remember that a staff-chat message belongs to a ticket (a reply to it answers it)."""
        with self.db.tx() as conn:
            self._post(conn, staff_chat, message_id, ticket_id)

    def forget(self, channel: str, user_id: str) -> int:
        """Delete a person's tickets (their messages and posts go by trigger). Returns how many."""
        with self.db.tx() as conn:
            return conn.execute(
                "DELETE FROM tickets WHERE channel=? AND user_id=?", [channel, user_id]
            ).rowcount

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _add(
        conn: sqlite3.Connection,
        ticket_id: int,
        direction: str,
        author: str,
        text: str,
        now: float,
        name: str | None = None,
        via: str | None = None,
        delivered: bool | None = None,
    ) -> int:
        cur = conn.execute(
            "INSERT INTO ticket_messages (ticket_id, at, direction, author, author_name, text, via, "
            "delivered) "
            "VALUES (?,?,?,?,?,?,?,?)",
            [
                ticket_id,
                now,
                direction,
                author,
                name,
                text,
                via,
                None if delivered is None else int(delivered),
            ],
        )
        return int(cur.lastrowid or 0)

    @staticmethod
    def _person_wrote(conn: sqlite3.Connection, ticket_id: int, now: float) -> None:
        conn.execute(
            "UPDATE tickets SET last_person_at=?, close_at=NULL, changed_at=?, "
            "state=CASE WHEN state='answered' THEN "
            "CASE WHEN claimed_by IS NULL THEN 'open' ELSE 'claimed' END "
            "ELSE state END WHERE id=?",
            [now, now, ticket_id],
        )

    @staticmethod
    def _post(conn: sqlite3.Connection, staff_chat: str, message_id: str, ticket_id: int) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO ticket_posts (staff_chat, message_id, ticket_id) VALUES (?,?,?)",
            [staff_chat, message_id, ticket_id],
        )
