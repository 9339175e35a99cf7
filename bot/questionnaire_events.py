"""The questionnaire's event log for the staff statistics: when each question of an attempt
was asked, answered or skipped, when the attempt was finished or abandoned, on which
channel — never what was answered.

Rows are written by the store in the transaction that saves the turn (one turn, one
commit) and deleted by /forget with the rest of what is kept about a person. The console
(bot/web/pages/statistics.py) adds them up by day: where people stop, how many start and
finish.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from bot.settings import TIMEZONE
from dialogs.intents import Event

__all__ = ["TABLE", "attempt_id", "forget", "record"]

TABLE = "questionnaire_events"


def attempt_id(channel: str, chat_id: str, user_id: str, attempt: int) -> str:
    """One questionnaire of one conversation, unique across people (a person's attempts are
    numbered by their session)."""
    return f"{channel}:{chat_id}:{user_id}:{attempt}"


def record(
    conn: sqlite3.Connection,
    channel: str,
    chat_id: str,
    user_id: str,
    events: Iterable[Event],
    at: datetime,
) -> None:
    """Write one turn's events in the caller's transaction (an event without its own time
    takes the turn's ``at``)."""
    rows = []
    for event in events:
        moment = event.at or at
        rows.append(
            (
                moment.timestamp(),
                moment.astimezone(TIMEZONE).date().isoformat(),
                event.kind,
                event.question,
                attempt_id(channel, chat_id, user_id, event.attempt),
                channel,
                chat_id,
                user_id,
            )
        )
    if rows:
        conn.executemany(
            f"INSERT INTO {TABLE} (at, day, kind, question, attempt, channel, chat_id, user_id) "
            "VALUES (?,?,?,?,?,?,?,?)",
            rows,
        )


def forget(conn: sqlite3.Connection, channel: str, user_id: str) -> int:
    """Delete one person's events in the caller's transaction; return how many went."""
    return conn.execute(f"DELETE FROM {TABLE} WHERE channel=? AND user_id=?", [channel, user_id]).rowcount
