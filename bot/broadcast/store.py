"""The broadcast tables as one store: subscriptions, the audit trail and outbox, drafts."""

from __future__ import annotations

from collections.abc import Sequence

from bot.db import Db
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

    def close(self) -> None:
        self.db.close()
