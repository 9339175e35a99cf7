"""Where conversations are kept: a small storage interface, in memory or in SQLite.

Sessions are keyed by (channel, chat, user). Every turn is saved in one transaction
(the session, the assessment when one finished, the reminders the turn schedules or
cancels and its questionnaire events) before the reply goes out; a revision number makes a
concurrent write fail loudly instead of losing an answer.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from bot import questionnaire_events
from bot.db import Db
from bot.reminders.book import ReminderBook
from bot.reminders.timing import Timer
from dialogs.intents import Event
from dialogs.outcome import Finished, LastResult
from dialogs.session import SESSION_VERSION, Session

log = logging.getLogger("zjtx.store")


@dataclass(frozen=True, slots=True)
class SessionKey:
    channel: str
    chat_id: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.chat_id}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class Loaded:
    session: Session
    rev: int  # 0 when there is no stored session yet
    corrupt: bool = False  # the stored row could not be read and was set aside


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    id: int
    key: SessionKey
    made_on: date
    rules_version: str
    answers: dict[str, Any]
    result: dict[str, Any]
    created_at: str
    readings: dict[str, dict[str, Any]] = field(default_factory=dict)  # answers given as ranges

    def last_result(self) -> LastResult:
        return LastResult(self.answers, self.made_on, self.rules_version, self.result, dict(self.readings))


@dataclass(frozen=True, slots=True)
class Lead:
    """An enquiry (申请入会 / 请联系我) for the secretariat, with the person's last result."""

    id: int
    key: SessionKey
    kind: str
    company: str
    contact: str
    phone: str
    score: int | None
    tier: str | None
    assessment_id: int | None
    created_at: str
    handled_at: str | None = None
    handled_by: str | None = None


class Conflict(RuntimeError):
    """The session changed since it was loaded; reload and try again."""


FORGOTTEN = "(forgotten)"  # stands for a person who asked to be forgotten, in audit columns


class Store(Protocol):
    def load(self, key: SessionKey) -> Loaded: ...

    def transaction(self) -> AbstractContextManager[object]:
        """One unit of work: every write inside (this store's and the other stores' on the same
        database) is committed together at the end, or not at all."""
        ...

    def set_aside(self, key: SessionKey, reason: str) -> None:
        """Keep the stored session row of ``key`` aside (it could not be read) before it is
        replaced by a fresh one."""
        ...

    def save(
        self,
        key: SessionKey,
        session: Session,
        rev: int,
        finished: Finished | None = None,
        *,
        timers: Sequence[Timer] = (),
        events: Sequence[Event] = (),
        at: datetime | None = None,
    ) -> int:
        """Write one turn atomically — the session, a finished assessment, the reminders it
        schedules or cancels (`timers`) and its questionnaire `events` (dated `at` when they
        carry no time) — and return the new revision.

        Raises :class:`Conflict` when the stored revision is no longer `rev`."""
        ...

    def last_assessment(self, channel: str, user_id: str) -> StoredAssessment | None: ...

    def assessments(self) -> Iterator[StoredAssessment]: ...

    def first_time(self, scope: str, key: str) -> bool:
        """True the first time (scope, key) is seen, False ever after (durable dedupe)."""
        ...

    def forget_user(self, channel: str, user_id: str) -> int:
        """Delete everything kept about one person (sessions, assessments, enquiries, and
        their reminders and questionnaire events); return how many sessions, assessments
        and enquiries went."""
        ...

    def add_lead(
        self,
        key: SessionKey,
        kind: str,
        company: str,
        contact: str,
        phone: str,
        *,
        at: datetime | None = None,
    ) -> Lead:
        """Store an enquiry with the person's last assessment; return it with its id."""
        ...

    def leads(self, open_only: bool = True) -> list[Lead]: ...

    def mark_handled(self, lead_id: int, by: str, *, at: datetime | None = None) -> bool:
        """Mark an open enquiry handled; False if there is no such open enquiry."""
        ...


def _now(at: datetime | None = None) -> str:
    """`at` (the assistant's clock: ZJTX_NOW when set), or the wall clock, as stored."""
    return (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


def _decode(raw: str, key: SessionKey) -> tuple[Session, bool]:
    try:
        session = Session.model_validate_json(raw)
    except (ValidationError, ValueError):
        log.warning("session %s could not be read; starting afresh", key)
        return Session(), True
    if session.version != SESSION_VERSION:
        log.warning("session %s has version %s; starting afresh", key, session.version)
        return Session(lang=session.lang), True
    return session, False


def _like(text: str) -> str:
    """``text`` matched literally in a LIKE pattern (escape character backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _names(seen: tuple[str, str], channel: str, user_id: str) -> bool:
    return seen[0] == channel and seen[1].startswith(f"{channel}:event:{user_id}:")


def _made_on(finished: Finished) -> date:
    today = finished.assessment.today
    assert today is not None
    return today


class MemoryStore:
    """The same contract in memory, for tests and throwaway runs."""

    def __init__(self) -> None:
        self._sessions: dict[SessionKey, tuple[str, int]] = {}
        self._assessments: list[StoredAssessment] = []
        self._seen: set[tuple[str, str]] = set()
        self._leads: list[Lead] = []
        self.quarantined: list[tuple[SessionKey, str, str]] = []
        self.timers: dict[tuple[SessionKey, str], Timer] = {}  # the reminders scheduled, by kind
        self.events: list[tuple[SessionKey, Event]] = []
        self._lock = threading.Lock()

    def load(self, key: SessionKey) -> Loaded:
        row = self._sessions.get(key)
        if row is None:
            return Loaded(Session(), 0)
        session, corrupt = _decode(row[0], key)
        return Loaded(session, row[1], corrupt)

    def put_raw(self, key: SessionKey, raw: str) -> None:
        """Store a raw session row (tests use it to plant a corrupt one)."""
        rev = self._sessions.get(key, ("", 0))[1]
        self._sessions[key] = (raw, rev + 1)

    def transaction(self) -> AbstractContextManager[object]:
        return contextlib.nullcontext()  # each write is immediate here

    def set_aside(self, key: SessionKey, reason: str) -> None:
        row = self._sessions.get(key)
        if row is not None:
            self.quarantined.append((key, row[0], reason))

    def save(
        self,
        key: SessionKey,
        session: Session,
        rev: int,
        finished: Finished | None = None,
        *,
        timers: Sequence[Timer] = (),
        events: Sequence[Event] = (),
        at: datetime | None = None,
    ) -> int:
        with self._lock:
            current = self._sessions.get(key, ("", 0))[1]
            if current != rev:
                raise Conflict(str(key))
            # build everything first, then write: all or nothing, as in SQLite
            row = (session.model_dump_json(), rev + 1)
            stored = (
                None
                if finished is None
                else StoredAssessment(
                    len(self._assessments) + 1,
                    key,
                    _made_on(finished),
                    finished.assessment.rules_version,
                    dict(finished.answers),
                    finished.assessment.contract(),
                    _now(),
                    dict(finished.readings),
                )
            )
            self._sessions[key] = row
            if stored is not None:
                self._assessments.append(stored)
            for timer in timers:
                if timer.action == "cancel":
                    self.timers.pop((key, timer.kind), None)
                else:
                    self.timers[(key, timer.kind)] = timer
            self.events += [
                (key, event if event.at or at is None else replace(event, at=at)) for event in events
            ]
            return rev + 1

    def last_assessment(self, channel: str, user_id: str) -> StoredAssessment | None:
        mine = [a for a in self._assessments if a.key.channel == channel and a.key.user_id == user_id]
        return mine[-1] if mine else None

    def assessments(self) -> Iterator[StoredAssessment]:
        return iter(list(self._assessments))

    def first_time(self, scope: str, key: str) -> bool:
        with self._lock:
            if (scope, key) in self._seen:
                return False
            self._seen.add((scope, key))
            return True

    def forget_user(self, channel: str, user_id: str) -> int:
        with self._lock:
            gone = [k for k in self._sessions if k.channel == channel and k.user_id == user_id]
            for k in gone:
                del self._sessions[k]
            before = len(self._assessments) + len(self._leads)
            self._assessments = [
                a for a in self._assessments if not (a.key.channel == channel and a.key.user_id == user_id)
            ]
            self._leads = [
                x for x in self._leads if not (x.key.channel == channel and x.key.user_id == user_id)
            ]
            kept = len(self.quarantined)
            self.quarantined = [
                q for q in self.quarantined if (q[0].channel, q[0].user_id) != (channel, user_id)
            ]
            self._seen = {s for s in self._seen if not _names(s, channel, user_id)}
            mine = {k for k, _ in self.timers if k.channel == channel and k.user_id == user_id}
            self.timers = {k: v for k, v in self.timers.items() if k[0] not in mine}
            self.events = [
                (k, e) for k, e in self.events if not (k.channel == channel and k.user_id == user_id)
            ]
            return (
                len(gone) + before - len(self._assessments) - len(self._leads) + kept - len(self.quarantined)
            )

    def add_lead(
        self,
        key: SessionKey,
        kind: str,
        company: str,
        contact: str,
        phone: str,
        *,
        at: datetime | None = None,
    ) -> Lead:
        with self._lock:
            last = self.last_assessment(key.channel, key.user_id)
            lead = Lead(
                len(self._leads) + 1,
                key,
                kind,
                company,
                contact,
                phone,
                last.result.get("score") if last else None,
                last.result.get("tier") if last else None,
                last.id if last else None,
                _now(at),
            )
            self._leads.append(lead)
            return lead

    def leads(self, open_only: bool = True) -> list[Lead]:
        return [x for x in self._leads if not (open_only and x.handled_at)]

    def mark_handled(self, lead_id: int, by: str, *, at: datetime | None = None) -> bool:
        with self._lock:
            for i, x in enumerate(self._leads):
                if x.id == lead_id and x.handled_at is None:
                    self._leads[i] = replace(x, handled_at=_now(at), handled_by=by)
                    return True
            return False


class SqliteStore:
    """The store on the assistant's SQLite file (see :mod:`bot.db` for the policy)."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.reminders = ReminderBook(db)

    @property
    def path(self) -> str:
        return self.db.path

    def close(self) -> None:
        self.db.close()

    def load(self, key: SessionKey) -> Loaded:
        row = self.db.row(
            "SELECT data, rev FROM sessions WHERE channel=? AND chat_id=? AND user_id=?",
            [key.channel, key.chat_id, key.user_id],
        )
        if row is None:
            return Loaded(Session(), 0)
        session, corrupt = _decode(row[0], key)
        return Loaded(session, row[1], corrupt)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[object]:
        with self.db.tx() as conn:
            yield conn

    def set_aside(self, key: SessionKey, reason: str) -> None:
        with self.db.tx() as conn:
            kept = conn.execute(
                "INSERT INTO sessions_quarantine (channel, chat_id, user_id, data, rev, reason, kept_at) "
                "SELECT channel, chat_id, user_id, data, rev, ?, ? FROM sessions "
                "WHERE channel=? AND chat_id=? AND user_id=?",
                [reason, _now(), key.channel, key.chat_id, key.user_id],
            ).rowcount
        if kept:
            log.warning("session %s kept aside in sessions_quarantine: %s", key, reason)

    def put_raw(self, key: SessionKey, raw: str) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO sessions (channel, chat_id, user_id, data, rev, updated_at) "
                "VALUES (?,?,?,?,1,?) ON CONFLICT(channel, chat_id, user_id) "
                "DO UPDATE SET data=excluded.data, rev=rev+1",
                [key.channel, key.chat_id, key.user_id, raw, _now()],
            )

    def save(
        self,
        key: SessionKey,
        session: Session,
        rev: int,
        finished: Finished | None = None,
        *,
        timers: Sequence[Timer] = (),
        events: Sequence[Event] = (),
        at: datetime | None = None,
    ) -> int:
        data = session.model_dump_json()
        moment = at or datetime.now(UTC)
        now = moment.astimezone(UTC).isoformat(timespec="seconds")
        with self.db.tx() as conn:
            if rev == 0:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO sessions (channel, chat_id, user_id, data, rev, updated_at) "
                    "VALUES (?,?,?,?,1,?)",
                    [key.channel, key.chat_id, key.user_id, data, now],
                )
            else:
                cur = conn.execute(
                    "UPDATE sessions SET data=?, rev=rev+1, updated_at=? "
                    "WHERE channel=? AND chat_id=? AND user_id=? AND rev=?",
                    [data, now, key.channel, key.chat_id, key.user_id, rev],
                )
            if cur.rowcount != 1:
                raise Conflict(str(key))
            if finished is not None:
                conn.execute(
                    "INSERT INTO assessments (channel, chat_id, user_id, made_on, rules_version, answers, "
                    "result, created_at, readings) VALUES (?,?,?,?,?,?,?,?,?)",
                    [
                        key.channel,
                        key.chat_id,
                        key.user_id,
                        _made_on(finished).isoformat(),
                        finished.assessment.rules_version,
                        json.dumps(finished.answers, ensure_ascii=False),
                        json.dumps(finished.assessment.contract(), ensure_ascii=False),
                        now,
                        json.dumps(finished.readings) if finished.readings else None,
                    ],
                )
            if timers:
                ReminderBook.write(conn, key.channel, key.chat_id, key.user_id, timers, moment.timestamp())
            if events:
                questionnaire_events.record(conn, key.channel, key.chat_id, key.user_id, events, moment)
        return rev + 1

    def _assessment(self, row: tuple[Any, ...]) -> StoredAssessment:
        return StoredAssessment(
            id=row[0],
            key=SessionKey(row[1], row[2], row[3]),
            made_on=date.fromisoformat(row[4]),
            rules_version=row[5],
            answers=json.loads(row[6]),
            result=json.loads(row[7]),
            created_at=row[8],
            readings=json.loads(row[9]) if row[9] else {},
        )

    _COLUMNS = "id, channel, chat_id, user_id, made_on, rules_version, answers, result, created_at, readings"

    def last_assessment(self, channel: str, user_id: str) -> StoredAssessment | None:
        row = self.db.row(
            f"SELECT {self._COLUMNS} FROM assessments WHERE channel=? AND user_id=? ORDER BY id DESC LIMIT 1",
            [channel, user_id],
        )
        return self._assessment(row) if row else None

    def assessments(self) -> Iterator[StoredAssessment]:
        after = 0
        while True:  # a page at a time: the lock is never held while the caller works
            page = self.db.rows(
                f"SELECT {self._COLUMNS} FROM assessments WHERE id>? ORDER BY id LIMIT 500", [after]
            )
            for row in page:
                yield self._assessment(row)
            if len(page) < 500:
                return
            after = page[-1][0]

    def first_time(self, scope: str, key: str) -> bool:
        with self.db.tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO seen (scope, key, at) VALUES (?,?,?)", [scope, key, _now()]
            )
            return cur.rowcount == 1

    def forget_user(self, channel: str, user_id: str) -> int:
        with self.db.tx() as conn:
            gone = conn.execute(
                "DELETE FROM sessions WHERE channel=? AND user_id=?", [channel, user_id]
            ).rowcount
            for table in ("assessments", "leads", "sessions_quarantine"):
                gone += conn.execute(
                    f"DELETE FROM {table} WHERE channel=? AND user_id=?", [channel, user_id]
                ).rowcount
            # replay keys of events name their sender (wecom:event:<user>:<time>:…)
            gone += conn.execute(
                "DELETE FROM seen WHERE scope=? AND key LIKE ? ESCAPE '\\'",
                [channel, f"{channel}:event:{_like(user_id)}:%"],
            ).rowcount
            conn.execute(
                "UPDATE leads SET handled_by=? WHERE handled_by=?", [FORGOTTEN, f"{channel}:{user_id}"]
            )
            ReminderBook.forget(conn, channel, user_id)
            questionnaire_events.forget(conn, channel, user_id)
            return gone

    _LEAD_COLUMNS = (
        "id, channel, chat_id, user_id, kind, company, contact, phone, score, tier, assessment_id, "
        "created_at, handled_at, handled_by"
    )

    def add_lead(
        self,
        key: SessionKey,
        kind: str,
        company: str,
        contact: str,
        phone: str,
        *,
        at: datetime | None = None,
    ) -> Lead:
        last = self.last_assessment(key.channel, key.user_id)
        score = last.result.get("score") if last else None
        tier = last.result.get("tier") if last else None
        now = _now(at)
        with self.db.tx() as conn:
            cur = conn.execute(
                "INSERT INTO leads (channel, chat_id, user_id, kind, company, contact, phone, score, tier, "
                "assessment_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    key.channel,
                    key.chat_id,
                    key.user_id,
                    kind,
                    company,
                    contact,
                    phone,
                    score,
                    tier,
                    last.id if last else None,
                    now,
                ],
            )
            lead_id = cur.lastrowid
        assert lead_id is not None
        return Lead(lead_id, key, kind, company, contact, phone, score, tier, last.id if last else None, now)

    def leads(self, open_only: bool = True) -> list[Lead]:
        where = "WHERE handled_at IS NULL" if open_only else ""
        rows = self.db.rows(f"SELECT {self._LEAD_COLUMNS} FROM leads {where} ORDER BY id")
        return [
            Lead(
                r[0],
                SessionKey(r[1], r[2], r[3]),
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                r[12],
                r[13],
            )
            for r in rows
        ]

    def mark_handled(self, lead_id: int, by: str, *, at: datetime | None = None) -> bool:
        with self.db.tx() as conn:
            cur = conn.execute(
                "UPDATE leads SET handled_at=?, handled_by=? WHERE id=? AND handled_at IS NULL",
                [_now(at), by, lead_id],
            )
            return cur.rowcount == 1
