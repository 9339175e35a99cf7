"""The broadcast tables as one store: subscriptions, the audit trail and outbox, drafts."""

from __future__ import annotations

from collections.abc import Sequence

from bot.db import Db
from bot.store import FORGOTTEN
from rules import default_rules

from .drafts import Drafts
from .outbox import Outbox
from .sending import Platform
from .subscriptions import Subscriptions

__all__ = ["BroadcastStore"]


class BroadcastStore(Subscriptions, Outbox, Drafts):
    """Every broadcast table on the shared :class:`~bot.db.Db`, for the desk, the worker and
    the command line; ``platforms`` are the platforms broadcasts go to (bot/app.py lists them),
    ``topics`` the topic ids offered (default: those of the bundled rules data)."""

    def __init__(self, db: Db, platforms: Sequence[Platform], topics: Sequence[str] | None = None) -> None:
        self.db = db
        self.platforms = {p.channel: p for p in platforms}
        self.channels = tuple(self.platforms)
        self.topics = tuple(default_rules().topics.ids if topics is None else topics)

    @property
    def path(self) -> str:
        return self.db.path

    @property
    def image_limit_bytes(self) -> int:
        """The largest image every platform takes (a broadcast goes to all of them)."""
        return min(p.image_limit_bytes for p in self.platforms.values())

    def forget_person(self, channel: str, user_id: str, who: str) -> int:
        """/forget for the broadcast tables: the person's drafts, the subscription of their
        private chat (and its outbox rows) go; where they appear as the staff member or admin
        who acted (``who``, e.g. ``telegram:123``), FORGOTTEN takes their place. Returns how
        many rows went (inside the caller's transaction, if any)."""
        with self.db.tx() as conn:
            gone = conn.execute(
                "DELETE FROM broadcast_drafts WHERE channel=? AND user_id=?", [channel, user_id]
            ).rowcount
            private = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM broadcast_subscriptions WHERE channel=? AND chat_id=? AND kind='private'",
                    [channel, user_id],
                ).fetchall()
            ]
            for sub in private:
                gone += conn.execute("DELETE FROM broadcast_outbox WHERE subscription_id=?", [sub]).rowcount
                gone += conn.execute("DELETE FROM broadcast_subscriptions WHERE id=?", [sub]).rowcount
            conn.execute("UPDATE broadcast_subscriptions SET added_by=? WHERE added_by=?", [FORGOTTEN, who])
            for column in ("created_by", "cancelled_by"):
                conn.execute(f"UPDATE broadcasts SET {column}=? WHERE {column}=?", [FORGOTTEN, who])
            return gone

    def close(self) -> None:
        self.db.close()
