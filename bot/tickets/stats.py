"""Figures for the secretariat: ``zjtx tickets stats [--since DATE]``.

Opened, answered (a first staff reply since then), closed, open now; the median and 90th
percentile of the time to the first staff reply, for tickets opened within office hours
and outside them; the knowledge-base topics handed off most. Every figure is computed in
SQL (counts over indexed times; a percentile is the row at its rank of the sorted waits).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.db import Db

__all__ = ["TicketStats", "Waits", "ticket_stats"]

TOP_TOPICS = 5


@dataclass(frozen=True, slots=True)
class Waits:
    """Seconds to the first staff reply of the answered tickets of one group."""

    answered: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class TicketStats:
    since: float | None
    opened: int
    answered: int
    closed: int
    open_now: int
    waits: Waits
    in_hours: Waits
    out_of_hours: Waits
    topics: list[tuple[str, int]] = field(default_factory=list)  # "" for no topic
    closed_by: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        made = asdict(self)
        made["topics"] = [{"topic": t or None, "tickets": n} for t, n in self.topics]
        return made


def _count(db: Db, where: str, params: list[Any]) -> int:
    row = db.row(f"SELECT count(*) FROM tickets WHERE {where}", params)
    return int(row[0]) if row else 0


def _waits(db: Db, since: float, in_hours: int | None) -> Waits:
    where = "opened_at >= ? AND first_reply_at IS NOT NULL"
    params: list[Any] = [since]
    if in_hours is not None:
        where += " AND in_hours = ?"
        params.append(in_hours)
    answered = _count(db, where, params)

    def at(share: float) -> float | None:
        if not answered:
            return None
        offset = min(answered - 1, max(0, math.ceil(share * answered) - 1))  # the nearest rank
        row = db.row(
            f"SELECT first_reply_at - opened_at FROM tickets WHERE {where} ORDER BY 1 LIMIT 1 OFFSET ?",
            [*params, offset],
        )
        return float(row[0]) if row else None

    return Waits(answered, at(0.5), at(0.9))


def ticket_stats(db: Db, since: float | None = None) -> TicketStats:
    """The desk's figures for tickets since ``since`` (Unix seconds; all without it)."""
    start = since if since is not None else float("-inf")
    topics = db.rows(
        "SELECT coalesce(topic, ''), count(*) FROM tickets WHERE opened_at >= ? "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
        [start, TOP_TOPICS],
    )
    closed_by = db.rows(
        "SELECT coalesce(close_reason, ''), count(*) FROM tickets WHERE closed_at >= ? GROUP BY 1", [start]
    )
    return TicketStats(
        since=since,
        opened=_count(db, "opened_at >= ?", [start]),
        answered=_count(db, "first_reply_at >= ?", [start]),
        closed=_count(db, "closed_at >= ?", [start]),
        open_now=_count(db, "state != 'closed'", []),
        waits=_waits(db, start, None),
        in_hours=_waits(db, start, 1),
        out_of_hours=_waits(db, start, 0),
        topics=[(str(t), int(n)) for t, n in topics],
        closed_by={str(r): int(n) for r, n in closed_by},
    )
