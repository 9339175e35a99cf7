"""The reminder scheduler: sends each due reminder once, through the channel the person used.

One loop in the server (bot/app.py) — one per database, by a lock file beside it, as the
broadcast worker — and one pass when ``zjtx chat`` starts, for its own person. On start it
marks the reminders an earlier process left ``sending`` as uncertain (never resent), then
sends what is due, then waits until the next one is due (at most ``poll_seconds``, so a
reminder scheduled meanwhile by another process is not late by more than that).

For each reminder: build its message from the person's session as it is now (none when
the questionnaire is over or reminders were turned off: the row is dropped), commit the
claim, ask the channel, commit its verdict. Nothing goes between 21:00 and 08:00 Beijing
time; a reminder due then waits for 08:00. The clock is injected (ZJTX_NOW for tests and
demonstrations), so a reminder due when the process starts is sent at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.broadcast.lease import Lease, try_lease
from bot.settings import Clock
from bot.store import SessionKey
from dialogs.intents import ReminderKind
from dialogs.messages import Outbound

from .book import DROPPED, FAILED, SENT, UNCERTAIN, Due, ReminderBook
from .pushing import Dropped, Later, Pushed, Pusher, Sent, Uncertain
from .timing import in_quiet_hours, outside_quiet_hours, private

__all__ = ["LEASE", "Pass", "ReminderScheduler"]

log = logging.getLogger("zjtx.reminders")
LEASE = "reminders"  # <database>.reminders.lock
MAX_ATTEMPTS = 5  # a reminder refused for a flood limit this many times is given up
Compose = Callable[[SessionKey, ReminderKind], list[Outbound]]
Shown = Callable[[SessionKey, list[Outbound]], None]
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class Pass:
    """What one pass over the due reminders did."""

    sent: int = 0
    dropped: int = 0  # not sent: the channel's window was shut, the bot blocked, nothing to remind of
    failed: int = 0
    uncertain: int = 0
    later: int = 0
    quiet: bool = False  # the pass fell in the quiet hours: nothing was sent


class ReminderScheduler:
    """Sends the due reminders of the channels in ``pushers`` (channel name → how to push).

    ``compose(key, kind)`` gives a reminder's messages from the person's session (an empty
    list: nothing to remind of any more); ``shown(key, messages)``, when given, is told of a
    reminder sent (the assistant keeps its menu open, so that "1" picks "continue" after a
    restart too). ``user`` limits the scheduler to one (user, chat)
    — the terminal's person. Without ``sleep`` the loop waits in real time; a test passes
    one that moves its manual clock."""

    def __init__(
        self,
        book: ReminderBook,
        compose: Compose,
        pushers: Mapping[str, Pusher],
        *,
        clock: Clock,
        user: tuple[str, str] | None = None,
        sleep: Sleep | None = None,
        poll_seconds: float = 60.0,
        shown: Shown | None = None,
    ) -> None:
        self.book = book
        self.compose = compose
        self.shown = shown
        self.pushers = dict(pushers)
        self.clock = clock
        self.user = user
        self._sleep = sleep
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._stop: asyncio.Event | None = None

    @property
    def channels(self) -> Sequence[str]:
        return sorted(self.pushers)

    def recover(self) -> int:
        """Mark this scheduler's reminders left 'sending' by a process that died as uncertain
        (they may have been delivered: they are not sent again); return how many."""
        found = self.book.recover_interrupted(self.channels, user=self.user)
        if found:
            log.warning("reminder.recovered uncertain=%d (interrupted mid-send, not resent)", found)
        return found

    def nudge(self) -> None:
        """Look at the due reminders now."""
        self._wake.set()

    async def send_due(self) -> Pass:
        """Send every reminder due now (none in the quiet hours); return what happened."""
        done = Pass()
        now = self.clock()
        if in_quiet_hours(now):
            done.quiet = True
            return done
        while True:
            batch = self.book.due(now.timestamp(), self.channels, user=self.user)
            if not batch:
                return done
            for due in batch:
                if self._stop is not None and self._stop.is_set():
                    return done  # shutting down: the rest waits for the next process
                outcome = await self._send(due)
                setattr(done, outcome, getattr(done, outcome) + 1)

    async def _send(self, due: Due) -> str:
        key = SessionKey(due.channel, due.chat_id, due.user_id)
        now = self.clock().timestamp()
        if not private(due.chat_id, due.user_id):
            self.book.skip(due.id, "group", now)
            return "dropped"
        kind: ReminderKind = "paused" if due.kind == "paused" else "reassess"
        messages = self.compose(key, kind)
        if not messages:
            self.book.skip(due.id, "nothing_to_remind", now)
            log.info("reminder.skipped key=%s kind=%s (nothing to remind of any more)", key, due.kind)
            return "dropped"
        attempt = uuid.uuid4().hex
        if not self.book.claim(due.id, attempt, now):
            return "later"  # rescheduled or taken meanwhile
        try:
            verdict: Pushed = await self.pushers[due.channel](due.user_id, messages)
        except Exception as exc:  # not a platform's answer: it may have gone, so never resend
            log.exception("reminder.push_crashed key=%s kind=%s", key, due.kind)
            verdict = Uncertain(f"{type(exc).__name__}: {exc}")
        outcome = self._record(due, attempt, verdict, key)
        if isinstance(verdict, Sent) and self.shown is not None:
            try:
                self.shown(key, messages)
            except Exception:  # the reminder went out; its menu not kept costs one round trip
                log.exception("reminder.menu_not_kept key=%s", key)
        return outcome

    def _record(self, due: Due, attempt: str, verdict: Pushed, key: SessionKey) -> str:
        now = self.clock().timestamp()
        if isinstance(verdict, Sent):
            state, outcome, reason = SENT, "sent", None
        elif isinstance(verdict, Dropped):
            state, outcome, reason = DROPPED, "dropped", verdict.reason
        elif isinstance(verdict, Later) and due.attempts + 1 < MAX_ATTEMPTS:
            self.book.later(due.id, attempt, now + max(verdict.wait, 1.0), verdict.reason)
            log.info("reminder.later key=%s wait=%.0fs %s", key, verdict.wait, verdict.reason)
            return "later"
        elif isinstance(verdict, Later):
            state, outcome, reason = (
                FAILED,
                "failed",
                f"gave up after {MAX_ATTEMPTS} attempts: {verdict.reason}",
            )
        else:
            state, outcome, reason = UNCERTAIN, "uncertain", verdict.reason
        if not self.book.settle(due.id, attempt, state, now, reason):
            log.info("reminder.replaced key=%s kind=%s (a new pause while it was sent)", key, due.kind)
        log.log(
            logging.INFO if outcome == "sent" else logging.WARNING,
            "reminder.%s key=%s kind=%s%s",
            outcome,
            key,
            due.kind,
            f" reason={reason}" if reason else "",
        )
        return outcome

    # --- the loop -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> bool:
        """Send reminders as they fall due until ``stop`` is set. Returns False, having sent
        nothing, when another process holds this database's reminder lease until then."""
        lease = await self._take_lease(stop)
        if lease is None:
            return False
        self._stop = stop
        watcher = asyncio.create_task(self._wake_on(stop))
        try:
            self.recover()
            while not stop.is_set():
                self._wake.clear()
                try:
                    await self.send_due()
                except Exception:  # a database hiccup: log it, try again at the next pass
                    log.exception("reminder.pass_failed")
                await self._wait()
        finally:
            watcher.cancel()
            lease.release()
        return True

    async def _take_lease(self, stop: asyncio.Event) -> Lease | None:
        warned = False
        while not stop.is_set():
            lease = try_lease(self.book.db, LEASE)
            if lease is not None:
                return lease
            if not warned:
                log.info("reminder.waiting_for_lease: another process sends this database's reminders")
                warned = True
            await self._pause(self._poll)
        return None

    async def _wake_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wake.set()

    def seconds_to_next(self) -> float:
        """How long to wait before the next pass: until the next reminder is due (or the end
        of the quiet hours), at most ``poll_seconds``."""
        now = self.clock()
        if in_quiet_hours(now):
            return max(0.0, min(self._poll, (outside_quiet_hours(now) - now).total_seconds()))
        upcoming = self.book.next_due(self.channels, user=self.user)
        if upcoming is None:
            return self._poll
        return max(0.0, min(self._poll, upcoming - now.timestamp()))

    async def _wait(self) -> None:
        await self._pause(self.seconds_to_next())

    async def _pause(self, seconds: float) -> None:
        if self._sleep is not None:
            await self._sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
