"""What the WeChat channel keeps in SQLite: each follower's customer-service window and the
access token.

The window (客服消息): WeChat lets an account send a person customer-service messages only
for a while after that person did something — 48 hours and 5 messages after a message they
sent, 1 minute and 3 messages after a menu click or a subscription — and not at all once
they unsubscribed (errcodes 45015, 45047). :meth:`WeChatStore.claim_send` takes one such
message from the window in a transaction *before* it is sent, so no process ever sends
outside it; a message that finds the window shut is dropped and counted (``dropped``).
Passive replies (the HTTP answer to a callback) are not customer-service messages and
need no claim.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from bot.db import Db

__all__ = [
    "EVENT_QUOTA",
    "EVENT_WINDOW_SECONDS",
    "MESSAGE_QUOTA",
    "MESSAGE_WINDOW_SECONDS",
    "Follower",
    "Shut",
    "StoredToken",
    "WeChatStore",
]

log = logging.getLogger("zjtx.wechat")

MESSAGE_WINDOW_SECONDS = 48 * 3600.0
MESSAGE_QUOTA = 5
EVENT_WINDOW_SECONDS = 60.0
EVENT_QUOTA = 3
# A claim this close to the end of a window is refused: the request still has to travel.
SAFETY_SECONDS = 30.0


class Shut(StrEnum):
    """Why a customer-service message may not be sent now."""

    UNKNOWN = "unknown"  # never heard from (or forgotten)
    UNSUBSCRIBED = "unsubscribed"
    WINDOW = "window"  # the 48 hours (or the minute after an event) are over
    QUOTA = "quota"  # the messages the last message (or event) allows are used up


@dataclass(frozen=True, slots=True)
class Follower:
    openid: str
    subscribed: bool
    last_message_at: float | None
    message_sends: int
    last_event_at: float | None
    event_sends: int
    dropped: int


@dataclass(frozen=True, slots=True)
class StoredToken:
    access_token: str
    expires_at: float  # Unix seconds


class WeChatStore:
    """The WeChat tables of the assistant's database (``wechat_followers``, ``wechat_tokens``)."""

    def __init__(self, db: Db) -> None:
        self.db = db

    # --- the window -------------------------------------------------------------------------

    def record_message(self, openid: str, at: float) -> None:
        """The person sent a message: a fresh 48-hour window with its 5 messages."""
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO wechat_followers "
                "(openid, subscribed, last_message_at, message_sends, changed_at) VALUES (?, 1, ?, 0, ?) "
                "ON CONFLICT(openid) DO UPDATE SET subscribed=1, "
                "last_message_at=max(coalesce(last_message_at, 0), excluded.last_message_at), "
                "message_sends=0, changed_at=excluded.changed_at",
                [openid, at, at],
            )

    def record_event(self, openid: str, at: float, *, subscribed: bool | None = None) -> None:
        """The person clicked the menu or (un)subscribed: a minute with 3 messages, unless
        ``subscribed`` is False (then nothing may be sent until they come back)."""
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO wechat_followers (openid, subscribed, last_event_at, event_sends, changed_at) "
                "VALUES (?, ?, ?, 0, ?) ON CONFLICT(openid) DO UPDATE SET "
                "subscribed=coalesce(?, subscribed), last_event_at=excluded.last_event_at, event_sends=0, "
                "changed_at=excluded.changed_at",
                [
                    openid,
                    0 if subscribed is False else 1,
                    at,
                    at,
                    None if subscribed is None else int(subscribed),
                ],
            )

    def claim_send(self, openid: str, now: float) -> Shut | None:
        """Take one customer-service message from ``openid``'s window; None when taken (send
        it now), else why not (and the message counted as dropped)."""
        with self.db.tx() as conn:
            row = conn.execute(
                "SELECT subscribed, last_message_at, message_sends, last_event_at, event_sends "
                "FROM wechat_followers WHERE openid=?",
                [openid],
            ).fetchone()
            shut = _shut(row, now)
            if shut is None:
                column = "message_sends" if _message_window(row, now) else "event_sends"
                conn.execute(f"UPDATE wechat_followers SET {column}={column}+1 WHERE openid=?", [openid])
            elif row is not None:
                conn.execute("UPDATE wechat_followers SET dropped=dropped+1 WHERE openid=?", [openid])
        if shut is not None:
            log.info("wechat.send_dropped openid=%s reason=%s", openid, shut.value)
        return shut

    def close_window(self, openid: str, why: Shut, now: float) -> None:
        """WeChat refused a message for ``why`` (45015, 45047, 43004): nothing more until the
        person writes again (or, for ``unsubscribed``, subscribes again)."""
        with self.db.tx() as conn:
            if why is Shut.UNSUBSCRIBED:
                conn.execute(
                    "UPDATE wechat_followers SET subscribed=0, changed_at=? WHERE openid=?", [now, openid]
                )
            else:
                conn.execute(
                    "UPDATE wechat_followers SET message_sends=?, event_sends=?, changed_at=? WHERE openid=?",
                    [MESSAGE_QUOTA, EVENT_QUOTA, now, openid],
                )

    def follower(self, openid: str) -> Follower | None:
        row = self.db.row(
            "SELECT openid, subscribed, last_message_at, message_sends, last_event_at, event_sends, dropped "
            "FROM wechat_followers WHERE openid=?",
            [openid],
        )
        if row is None:
            return None
        return Follower(row[0], bool(row[1]), row[2], row[3], row[4], row[5], row[6])

    def dropped_total(self) -> int:
        """Customer-service messages not sent because the window was shut, over every follower."""
        row = self.db.row("SELECT coalesce(sum(dropped), 0) FROM wechat_followers")
        return int(row[0]) if row else 0

    def forget(self, channel: str, user_id: str) -> int:
        """/forget: delete what the channel keeps about ``user_id`` (the token stays)."""
        if channel != "wechat":
            return 0
        with self.db.tx() as conn:
            return conn.execute("DELETE FROM wechat_followers WHERE openid=?", [user_id]).rowcount

    # --- the access token ---------------------------------------------------------------------

    def load_token(self, app_id: str) -> StoredToken | None:
        row = self.db.row("SELECT access_token, expires_at FROM wechat_tokens WHERE app_id=?", [app_id])
        return StoredToken(row[0], row[1]) if row else None

    def save_token(self, app_id: str, token: StoredToken, now: float) -> None:
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO wechat_tokens (app_id, access_token, expires_at, fetched_at) VALUES (?,?,?,?) "
                "ON CONFLICT(app_id) DO UPDATE SET access_token=excluded.access_token, "
                "expires_at=excluded.expires_at, fetched_at=excluded.fetched_at",
                [app_id, token.access_token, token.expires_at, now],
            )

    def discard_token(self, app_id: str, access_token: str) -> None:
        """Forget ``access_token`` if it is still the stored one (WeChat refused it)."""
        with self.db.tx() as conn:
            conn.execute(
                "DELETE FROM wechat_tokens WHERE app_id=? AND access_token=?", [app_id, access_token]
            )


Row = tuple[int, float | None, int, float | None, int]


def _message_window(row: Row, now: float) -> bool:
    _, message_at, message_sends, _, _ = row
    open_until = (message_at or 0.0) + MESSAGE_WINDOW_SECONDS - SAFETY_SECONDS
    return message_at is not None and now < open_until and message_sends < MESSAGE_QUOTA


def _event_window(row: Row, now: float) -> bool:
    _, _, _, event_at, event_sends = row
    open_until = (event_at or 0.0) + EVENT_WINDOW_SECONDS - min(SAFETY_SECONDS, 10.0)
    return event_at is not None and now < open_until and event_sends < EVENT_QUOTA


def _shut(row: Row | None, now: float) -> Shut | None:
    if row is None:
        return Shut.UNKNOWN
    if not row[0]:
        return Shut.UNSUBSCRIBED
    if _message_window(row, now) or _event_window(row, now):
        return None
    message_at, message_sends = row[1], row[2]
    if message_at is not None and now < message_at + MESSAGE_WINDOW_SECONDS - SAFETY_SECONDS:
        return Shut.QUOTA if message_sends >= MESSAGE_QUOTA else Shut.WINDOW
    event_at, event_sends = row[3], row[4]
    if event_at is not None and now < event_at + EVENT_WINDOW_SECONDS and event_sends >= EVENT_QUOTA:
        return Shut.QUOTA
    return Shut.WINDOW
