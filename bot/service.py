"""The assistant as channels see it: load the session, run the dialog, save, reply.

One conversation's messages are handled one at a time (a lock per session key), and the
new session is committed before the replies are handed back to the channel. A write that
races another process is retried on the fresh session, so no answer is lost.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from datetime import date

from bot.store import Conflict, SessionKey, Store
from dialogs.engine import DialogEngine
from dialogs.messages import Inbound, Outbound, Text

log = logging.getLogger("zjtx.service")
MAX_ATTEMPTS = 5


class Assistant:
    def __init__(self, store: Store, engine: DialogEngine, today: Callable[[], date]) -> None:
        self.store = store
        self.engine = engine
        self.today = today
        self._locks: weakref.WeakValueDictionary[SessionKey, asyncio.Lock] = weakref.WeakValueDictionary()

    def _lock(self, key: SessionKey) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(self, key: SessionKey, inbound: Inbound) -> list[Outbound]:
        """The replies to one message, after its effects are committed."""
        async with self._lock(key):
            return self.handle_now(key, inbound)

    def handle_now(self, key: SessionKey, inbound: Inbound) -> list[Outbound]:
        """The same, for a caller that already serialises a conversation (the console)."""
        for _ in range(MAX_ATTEMPTS):
            loaded = self.store.load(key)
            last = self.store.last_assessment(key.channel, key.user_id)
            turn = self.engine.handle(
                loaded.session, inbound, self.today(), last.last_result() if last else None
            )
            try:
                self.store.save(key, turn.session, loaded.rev, turn.finished)
            except Conflict:
                log.info("session %s changed underneath; handling the message again", key)
                continue
            replies = list(turn.replies)
            if loaded.corrupt:
                replies.insert(0, Text(self.engine.t(turn.session, "session.corrupt")))
            return replies
        raise Conflict(f"{key}: gave up after {MAX_ATTEMPTS} concurrent writes")

    def resume(self, key: SessionKey) -> list[Outbound]:
        """The pending question of an unfinished questionnaire, asked again."""
        loaded = self.store.load(key)
        return self.engine.resume(loaded.session, self.today())
