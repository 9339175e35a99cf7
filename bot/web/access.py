"""Who gets into the staff console: one-time login links, console sessions, bad-link limits.

A link carries a random token; only its SHA-256 is stored (``console_links``), so a copy of
the database opens nothing. A link is valid for :data:`LINK_TTL` seconds and opens one
session, once. A session's id lives in the encrypted cookie; the database keeps its hash
(``console_sessions``), when it was last seen and whether 退出 ended it, so a session ends
for good on logout or after :data:`IDLE_TIMEOUT` idle, whatever copy of the cookie remains.

Who may enter is read from the settings on every request (ZJTX_STAFF, ZJTX_ADMIN): taking
someone off the list shuts them out at their next click.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.db import Db

__all__ = [
    "IDLE_TIMEOUT",
    "LINK_TTL",
    "Access",
    "BadLinkLimiter",
    "Redeemed",
    "Refused",
    "Staff",
]

LINK_TTL = 10 * 60  # seconds a login link stays valid
IDLE_TIMEOUT = 8 * 60 * 60  # seconds a session survives without a request
TOUCH_EVERY = 60  # seconds between two writes of a session's last-seen time

RefusalReason = Literal["unknown", "expired", "used", "not_staff"]


@dataclass(frozen=True, slots=True)
class Staff:
    """The person behind a console request: ``id`` as in ZJTX_STAFF (``telegram:123``)."""

    id: str
    admin: bool


@dataclass(frozen=True, slots=True)
class Redeemed:
    staff_id: str
    session_id: str  # goes into the encrypted cookie, never stored as such


@dataclass(frozen=True, slots=True)
class Refused:
    reason: RefusalReason


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Access:
    """Login links and sessions on the shared Db; ``staff`` and ``admins`` are the settings'
    allowlists (an admin may enter without being listed as staff)."""

    def __init__(
        self,
        db: Db,
        staff: frozenset[str],
        admins: frozenset[str],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.staff = staff
        self.admins = admins
        self.clock = clock

    def may_enter(self, staff_id: str) -> bool:
        return staff_id in self.staff or staff_id in self.admins

    def who(self, staff_id: str) -> Staff | None:
        """The person with their role, or None when they are no longer on either list."""
        if not self.may_enter(staff_id):
            return None
        return Staff(staff_id, staff_id in self.admins)

    # --- links ---------------------------------------------------------------------------------

    def mint(self, staff_id: str) -> str:
        """A fresh login token for ``staff_id``. Raises PermissionError for anyone not on the lists."""
        if not self.may_enter(staff_id):
            raise PermissionError(staff_id)
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.tx() as conn:
            conn.execute("DELETE FROM console_links WHERE expires_at < ?", [now - LINK_TTL])
            conn.execute(
                "INSERT INTO console_links (token_hash, staff_id, created_at, expires_at) VALUES (?,?,?,?)",
                [_hash(token), staff_id, now, now + LINK_TTL],
            )
        return token

    def redeem(self, token: str) -> Redeemed | Refused:
        """Use a link: a new session, or why not. The link is spent in the same transaction."""
        now = self.clock()
        with self.db.tx() as conn:
            row = conn.execute(
                "SELECT staff_id, expires_at, used_at FROM console_links WHERE token_hash=?", [_hash(token)]
            ).fetchone()
            if row is None:
                return Refused("unknown")
            staff_id, expires_at, used_at = row
            if used_at is not None:
                return Refused("used")
            if expires_at < now:
                return Refused("expired")
            if not self.may_enter(staff_id):
                return Refused("not_staff")
            conn.execute("UPDATE console_links SET used_at=? WHERE token_hash=?", [now, _hash(token)])
            session_id = secrets.token_urlsafe(32)
            conn.execute(
                "INSERT INTO console_sessions (id_hash, staff_id, created_at, seen_at) VALUES (?,?,?,?)",
                [_hash(session_id), staff_id, now, now],
            )
        return Redeemed(staff_id, session_id)

    # --- sessions ------------------------------------------------------------------------------

    def session(self, session_id: str) -> Staff | None:
        """The person of a live session (and mark it seen), or None when it is unknown, ended,
        idle too long or its person is no longer staff."""
        now = self.clock()
        row = self.db.row(
            "SELECT staff_id, seen_at, ended_at FROM console_sessions WHERE id_hash=?", [_hash(session_id)]
        )
        if row is None or row[2] is not None or row[1] < now - IDLE_TIMEOUT:
            return None
        staff = self.who(row[0])
        if staff is not None and now - row[1] >= TOUCH_EVERY:
            with self.db.tx() as conn:
                conn.execute(
                    "UPDATE console_sessions SET seen_at=? WHERE id_hash=?", [now, _hash(session_id)]
                )
        return staff

    def end(self, session_id: str) -> None:
        """退出: the session is over, whatever copy of its cookie remains."""
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE console_sessions SET ended_at=? WHERE id_hash=? AND ended_at IS NULL",
                [self.clock(), _hash(session_id)],
            )


class BadLinkLimiter:
    """At most ``limit`` refused links per client address in ``window`` seconds.

    Kept in memory (per process, bounded to ``addresses`` addresses, the oldest forgotten
    first): guessing a 256-bit token is hopeless anyway; this keeps a client that hammers
    the login page from filling the log. A restart forgets the counts."""

    def __init__(
        self,
        limit: int = 10,
        window: float = 600.0,
        *,
        addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.addresses = addresses
        self.clock = clock
        self._misses: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        misses = self._misses.setdefault(address, deque())
        self._misses.move_to_end(address)
        while misses and misses[0] <= now - self.window:
            misses.popleft()
        return misses

    def blocked(self, address: str) -> float:
        """Seconds until ``address`` may try again; 0 when it may now."""
        with self._lock:
            now = self.clock()
            misses = self._recent(address, now)
            if len(misses) < self.limit:
                return 0.0
            return max(1.0, misses[0] + self.window - now)

    def missed(self, address: str) -> None:
        with self._lock:
            self._recent(address, self.clock()).append(self.clock())
            while len(self._misses) > self.addresses:
                self._misses.popitem(last=False)
