"""Broadcasts being composed in a chat, one per conversation, kept across restarts."""

from __future__ import annotations

from bot.db import Db
from bot.store import SessionKey

__all__ = ["Drafts"]


class Drafts:
    """The compose drafts table (the draft as JSON, its image once fetched)."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def draft(self, key: SessionKey) -> tuple[str, bytes | None] | None:
        rows = self.db.rows(
            "SELECT data, image FROM broadcast_drafts WHERE channel=? AND chat_id=? AND user_id=?",
            [key.channel, key.chat_id, key.user_id],
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def save_draft(self, key: SessionKey, data: str, image: bytes | None, now: float) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO broadcast_drafts (channel, chat_id, user_id, data, image, updated_at) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(channel, chat_id, user_id) "
                "DO UPDATE SET data=excluded.data, image=excluded.image, updated_at=excluded.updated_at",
                [key.channel, key.chat_id, key.user_id, data, image, now],
            )

    def drop_draft(self, key: SessionKey) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "DELETE FROM broadcast_drafts WHERE channel=? AND chat_id=? AND user_id=?",
                [key.channel, key.chat_id, key.user_id],
            )
