"""Who gets broadcasts: one subscription per chat (a Telegram chat, a WeCom robot group).

A subscription has topics (none: every topic) and is active until the chat unsubscribes,
staff remove it, or the platform says the chat is gone (the reason is kept).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.db import Db

__all__ = ["REMOVED", "UNSUBSCRIBED", "Subscription", "Subscriptions"]

UNSUBSCRIBED = "broadcast.reason.unsubscribed"
REMOVED = "broadcast.reason.removed"

# A subscription matches a broadcast's topics when either has none, or they share one.
MATCHES = (
    "s.active=1 AND (? = '[]' OR s.topics = '[]' OR EXISTS (SELECT 1 FROM json_each(s.topics) t "
    "WHERE t.value IN (SELECT value FROM json_each(?))))"
)


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    channel: str
    chat_id: str
    kind: str  # private | group | robot
    name: str
    topics: tuple[str, ...]  # empty: every topic
    webhook_url: str | None
    active: bool
    inactive_reason: str | None
    changed_at: float | None
    added_by: str | None
    created_at: float

    @property
    def address(self) -> str:
        """Where messages go: the webhook URL of a robot, else the chat id."""
        return self.webhook_url or self.chat_id


def topics_of(raw: str | None) -> tuple[str, ...]:
    return tuple(json.loads(raw or "[]"))


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class Subscriptions:
    """The subscriptions table, on the shared :class:`~bot.db.Db`; ``channels`` are the
    platforms' channels an audience is counted for, ``topics`` the topic ids of the rules
    data (rules/data/topics.toml), offered first."""

    _SUB_COLUMNS = (
        "id, channel, chat_id, kind, name, topics, webhook_url, active, inactive_reason, changed_at, "
        "added_by, created_at"
    )

    def __init__(self, db: Db, channels: Sequence[str], topics: Sequence[str]) -> None:
        self.db = db
        self.channels = tuple(channels)
        self.topics = tuple(topics)

    def _subscription(self, row: tuple[Any, ...]) -> Subscription:
        return Subscription(
            row[0], row[1], row[2], row[3], row[4], topics_of(row[5]), row[6], bool(row[7]), row[8], row[9],
            row[10], row[11],
        )  # fmt: skip

    def subscription(self, channel: str, chat_id: str) -> Subscription | None:
        rows = self.db.rows(
            f"SELECT {self._SUB_COLUMNS} FROM broadcast_subscriptions WHERE channel=? AND chat_id=?",
            [channel, chat_id],
        )
        return self._subscription(rows[0]) if rows else None

    def subscription_by_id(self, sub_id: int) -> Subscription | None:
        rows = self.db.rows(f"SELECT {self._SUB_COLUMNS} FROM broadcast_subscriptions WHERE id=?", [sub_id])
        return self._subscription(rows[0]) if rows else None

    def subscriptions(self, *, channel: str | None = None, active_only: bool = True) -> list[Subscription]:
        where, params = ["1=1"], []
        if channel is not None:
            where.append("channel=?")
            params.append(channel)
        if active_only:
            where.append("active=1")
        condition = " AND ".join(where)
        rows = self.db.rows(
            f"SELECT {self._SUB_COLUMNS} FROM broadcast_subscriptions WHERE {condition} ORDER BY id", params
        )
        return [self._subscription(r) for r in rows]

    def subscribe(
        self,
        channel: str,
        chat_id: str,
        *,
        kind: str,
        name: str,
        topics: Iterable[str],
        by: str,
        now: float,
        webhook_url: str | None = None,
    ) -> Subscription:
        """Add or reactivate the subscription of one chat with these topics; return it."""
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO broadcast_subscriptions (channel, chat_id, kind, name, topics, webhook_url, "
                "active, inactive_reason, changed_at, added_by, created_at) "
                "VALUES (?,?,?,?,?,?,1,NULL,?,?,?) "
                "ON CONFLICT(channel, chat_id) DO UPDATE SET kind=excluded.kind, name=excluded.name, "
                "topics=excluded.topics, webhook_url=excluded.webhook_url, active=1, inactive_reason=NULL, "
                "changed_at=excluded.changed_at, added_by=excluded.added_by",
                [channel, chat_id, kind, name, dumps(list(topics)), webhook_url, now, by, now],
            )
        found = self.subscription(channel, chat_id)
        assert found is not None
        return found

    def set_topics(self, sub_id: int, topics: Iterable[str], now: float) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE broadcast_subscriptions SET topics=?, changed_at=? WHERE id=?",
                [dumps(list(topics)), now, sub_id],
            )

    def retire(self, sub_id: int, reason: str, now: float) -> bool:
        """Mark a subscription inactive with ``reason``; False if it already was."""
        with self.db.tx() as conn:
            cur = conn.execute(
                "UPDATE broadcast_subscriptions SET active=0, inactive_reason=?, changed_at=? "
                "WHERE id=? AND active=1",
                [reason, now, sub_id],
            )
            return cur.rowcount == 1

    def retire_chat(self, channel: str, chat_id: str, reason: str, now: float) -> bool:
        found = self.subscription(channel, chat_id)
        return found is not None and self.retire(found.id, reason, now)

    def move_chat(self, sub_id: int, new_chat_id: str, now: float) -> bool:
        """Follow a Telegram group that became a supergroup; False if the new id is taken."""
        try:
            with self.db.tx() as conn:
                conn.execute(
                    "UPDATE broadcast_subscriptions SET chat_id=?, changed_at=? WHERE id=?",
                    [new_chat_id, now, sub_id],
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def known_topics(self) -> list[str]:
        """The topics of the rules data, then any other topic a subscription uses."""
        used: set[str] = set()
        for (raw,) in self.db.rows("SELECT topics FROM broadcast_subscriptions WHERE active=1"):
            used.update(topics_of(raw))
        return [*self.topics, *sorted(used - set(self.topics))]

    def audience(self, topics: Sequence[str]) -> dict[str, int]:
        """How many active subscriptions of each channel a broadcast on ``topics`` reaches."""
        wanted = dumps(list(topics))
        counts = dict.fromkeys(self.channels, 0)
        for channel, count in self.db.rows(
            f"SELECT s.channel, count(*) FROM broadcast_subscriptions s WHERE {MATCHES} GROUP BY s.channel",
            [wanted, wanted],
        ):
            counts[channel] = count
        return counts
