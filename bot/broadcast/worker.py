"""The broadcast worker: drains the outbox within the platforms' limits, one part at a time.

One worker per database (an exclusive lock on a file beside it, dropped by the kernel when
the process dies). On taking over it marks the rows an earlier worker left 'sending' as
uncertain, seeds its pacing with what was sent in the last minute, and carries on.

For each part: wait (without holding anything) until the lane and the target have room,
commit the claim, send, commit the answer. Retries happen only after answers proving the
part was not delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace

from bot.backoff import Backoff
from bot.pacing import SlidingWindow

from .content import Content
from .lease import Lease
from .outbox import FAILED, UNCERTAIN, Claim, Job, Skipped
from .sending import Delivered, Moved, Permanent, Refused, Sender, Transient, Uncertain, Verdict
from .store import BroadcastStore

__all__ = ["DEFAULT_RETRY", "Worker"]

log = logging.getLogger("zjtx.broadcast")
Sleep = Callable[[float], Awaitable[None]]
OVERALL = "*"


# Parts not delivered for a transient reason are tried 8 times in all, 2 s, 4 s, … apart (at most 5 min).
DEFAULT_RETRY = Backoff(attempts=8, base=2.0, cap=300.0)


class _Lane:
    """One platform: its sender, how many parts may be in flight, and its windows."""

    def __init__(
        self,
        sender: Sender,
        in_flight: int,
        overall: SlidingWindow | None,
        per_kind: dict[str, SlidingWindow],
    ) -> None:
        self.sender = sender
        self.limit = in_flight
        self.overall = overall
        self.per_kind = per_kind
        self.queue: list[tuple[float, int, Job]] = []
        self.in_flight = 0
        self.busy: set[int] = set()  # subscriptions with a part in flight
        self.waiting: dict[int, list[Job]] = {}  # their next jobs, released when it lands
        self.paused_until = 0.0

    def window(self, kind: str) -> SlidingWindow:
        return self.per_kind[kind]

    @property
    def horizon(self) -> float:
        """The longest of this lane's windows: how far back a restart must count sends."""
        windows = [w.rate.window for w in self.per_kind.values()]
        return max([*windows, self.overall.rate.window] if self.overall is not None else windows)

    @property
    def queued(self) -> int:
        return len(self.queue) + sum(len(jobs) for jobs in self.waiting.values())


class Worker:
    """Delivers due broadcasts from ``store`` through ``senders`` (one per channel), each lane
    paced as its sender's platform says (``max_in_flight`` caps every lane, for tests).

    ``clock`` (monotonic seconds) paces, ``wall`` (Unix seconds) is what the database keeps.
    Without ``sleep`` the worker waits in real time; with one (tests: a manual clock's) it
    advances time only when nothing is in flight, so a test runs minutes of limits at once.
    """

    def __init__(
        self,
        store: BroadcastStore,
        senders: Iterable[Sender],
        *,
        retry: Backoff = DEFAULT_RETRY,
        max_in_flight: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Sleep | None = None,
        poll_seconds: float = 2.0,
        on_finished: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.retry = retry
        self.clock = clock
        self.wall = wall
        self._sleep = sleep
        self._poll = poll_seconds
        self._on_finished = on_finished
        self.lanes: dict[str, _Lane] = {}
        for sender in senders:
            pacing = sender.platform.pacing
            self.lanes[sender.platform.channel] = _Lane(
                sender,
                pacing.in_flight if max_in_flight is None else min(pacing.in_flight, max_in_flight),
                None if pacing.overall is None else SlidingWindow(pacing.overall),
                {kind: SlidingWindow(rate) for kind, rate in pacing.per_kind.items()},
            )
        self._known: set[int] = set()
        self._after: dict[str, int] = {}
        self._last_rescan: dict[str, float] = {}
        self._seq = itertools.count()
        self._contents: dict[int, Content] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    # --- running --------------------------------------------------------------------------------

    def nudge(self) -> None:
        """Look at the outbox now (a broadcast was just queued in this process)."""
        self._wake.set()

    async def run(
        self, stop: asyncio.Event | None = None, *, until_done: bool = False, wait_for_lease: bool = True
    ) -> bool:
        """Deliver until ``stop`` is set, or with ``until_done`` until nothing due is left to
        deliver (rows of channels without a sender stay pending). In-flight parts are always
        finished and recorded before returning. Returns False, having done nothing, when
        another worker holds the lease and ``wait_for_lease`` is False (or ``stop`` was set)."""
        stop = stop or asyncio.Event()
        watcher = asyncio.create_task(self._wake_on(stop))
        try:
            lease = await self._take_lease(stop, wait_for_lease)
            if lease is None:
                return False
            try:
                interrupted = self.store.recover_interrupted()
                if interrupted:
                    log.warning(
                        "broadcast.recovered uncertain=%d (interrupted mid-send, not resent)", interrupted
                    )
                for broadcast_id in self.store.delivering():
                    await self._finish(broadcast_id)
                self._seed()
                for channel, waiting in self.store.pending_counts().items():
                    if channel not in self.lanes:
                        log.warning(
                            "broadcast.no_sender channel=%s rows=%d wait for a worker with one",
                            channel,
                            waiting,
                        )
                for lane in self.lanes.values():
                    await lane.sender.start()
                await self._loop(stop, until_done)
            finally:
                if self._tasks:
                    await asyncio.gather(*self._tasks, return_exceptions=True)
                lease.release()
        finally:
            watcher.cancel()
        return True

    async def _wake_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wake.set()

    async def _take_lease(self, stop: asyncio.Event, wait: bool) -> Lease | None:
        warned = False
        while not stop.is_set():
            lease = self.store.try_lease()
            if lease is not None or not wait:
                return lease
            if not warned:
                log.info("broadcast.waiting_for_lease: another worker delivers from this database")
                warned = True
            await self._pause(5.0)
        return None

    async def _pause(self, seconds: float) -> None:
        if self._sleep is not None:
            await self._sleep(seconds)
            return
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _loop(self, stop: asyncio.Event, until_done: bool) -> None:
        while not stop.is_set():
            self._wake.clear()
            for broadcast_id in self.store.start_due(self.wall()):
                log.info("broadcast.started id=%d", broadcast_id)
                await self._finish(broadcast_id)  # one with no targets is done at once
            self._refill()
            next_at = self._dispatch()
            if until_done and self._idle():
                return
            await self._wait(next_at)

    def _idle(self) -> bool:
        if self._tasks or any(lane.queued for lane in self.lanes.values()):
            return False
        due = self.store.next_due()
        return due is None or due > self.wall()

    async def _wait(self, next_at: float | None) -> None:
        now = self.clock()
        until = now + self._poll if next_at is None else min(next_at, now + self._poll)
        if self._sleep is not None:
            if self._tasks:
                await self._wake.wait()
            elif until > now:
                await self._sleep(until - now)
            return
        if until > now:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), until - now)
        else:
            await asyncio.sleep(0)

    # --- the queue ------------------------------------------------------------------------------

    def _seed(self) -> None:
        """Count what was sent lately (by this or an earlier worker) against the windows."""
        horizon = max((lane.horizon for lane in self.lanes.values()), default=0.0)
        wall, now = self.wall(), self.clock()
        for sub, channel, kind, at, parts in sorted(
            self.store.recent_sends(wall - horizon), key=lambda r: r[3]
        ):
            lane = self.lanes.get(channel)
            if lane is None or kind not in lane.per_kind:
                continue
            answered = now - (wall - at)
            for _ in range(parts):
                lane.window(kind).seen(sub, answered)
                if lane.overall is not None and answered > now - lane.overall.rate.window:
                    lane.overall.seen(OVERALL, answered)

    def _push(self, lane: _Lane, job: Job, ready: float) -> None:
        heapq.heappush(lane.queue, (ready, next(self._seq), job))

    def _refill(self) -> None:
        """Load pending rows lane by lane, so that one platform's backlog never starves another."""
        now, wall = self.clock(), self.wall()
        for channel, lane in self.lanes.items():
            if lane.queued >= 500:
                continue
            jobs = self.store.pending_jobs(channel, after_id=self._after.get(channel, 0), limit=2000)
            if not jobs and now - self._last_rescan.get(channel, float("-inf")) > 30.0:
                # rows put back in the queue from elsewhere (zjtx broadcast resend) have old ids
                self._last_rescan[channel] = now
                jobs = self.store.pending_jobs(channel, after_id=0, limit=2000)
            for job in jobs:
                self._after[channel] = max(self._after.get(channel, 0), job.row_id)
                if job.row_id not in self._known:
                    self._known.add(job.row_id)
                    self._push(lane, job, now + max(0.0, job.not_before - wall))

    def _dispatch(self) -> float | None:
        """Start every part that may go now; return when the next one may, if any waits."""
        wake: float | None = None
        for lane in self.lanes.values():
            at = self._dispatch_lane(lane)
            if at is not None and (wake is None or at < wake):
                wake = at
        return wake

    def _dispatch_lane(self, lane: _Lane) -> float | None:
        now = self.clock()
        while lane.in_flight < lane.limit and lane.queue:
            if lane.paused_until > now:
                return lane.paused_until
            if lane.overall is not None:
                free = lane.overall.free_at(OVERALL, now)
                if free > now:
                    return free
            ready, _, job = lane.queue[0]
            if ready > now:
                return ready
            heapq.heappop(lane.queue)
            target = job.subscription_id
            if target in lane.busy:
                lane.waiting.setdefault(target, []).append(job)
                continue
            window = lane.window(job.kind)
            free = window.free_at(target, now)
            if free > now:
                self._push(lane, job, free)
                continue
            attempt = uuid.uuid4().hex
            claim = self.store.claim(job.row_id, attempt, self.wall())
            if claim is None:
                self._known.discard(job.row_id)
                continue
            if isinstance(claim, Skipped):
                self._known.discard(job.row_id)
                self._spawn(self._finish(job.broadcast_id))
                continue
            window.sent(target, now)
            if lane.overall is not None:
                lane.overall.sent(OVERALL, now)
            lane.busy.add(target)
            lane.in_flight += 1
            self._spawn(self._deliver(lane, job, claim, attempt))
        return None

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._landed)

    def _landed(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()

    # --- one part -------------------------------------------------------------------------------

    def _content(self, broadcast_id: int) -> Content:
        content = self._contents.get(broadcast_id)
        if content is None:
            content = self.store.content(broadcast_id)
            self._contents[broadcast_id] = content
        return content

    async def _deliver(self, lane: _Lane, job: Job, claim: Claim, attempt: str) -> None:
        try:
            try:
                part = self.store.parts(job.channel, self._content(job.broadcast_id))[claim.part]
                verdict = await lane.sender.send(claim.address, part)
            except Exception as exc:  # not a platform answer: the part may have left, so never resend
                log.exception("broadcast.send_crashed row=%d", job.row_id)
                verdict = Uncertain(f"{type(exc).__name__}: {exc}")
            await self._record(lane, job, claim, attempt, verdict)
        finally:
            now = self.clock()
            lane.window(job.kind).answered(job.subscription_id, now)
            if lane.overall is not None:
                lane.overall.answered(OVERALL, now)
            lane.in_flight -= 1
            lane.busy.discard(job.subscription_id)
            for waiting in lane.waiting.pop(job.subscription_id, []):
                self._push(lane, waiting, now)
            self._wake.set()

    async def _record(self, lane: _Lane, job: Job, claim: Claim, attempt: str, verdict: Verdict) -> None:
        now, wall = self.clock(), self.wall()
        target = job.subscription_id
        if isinstance(verdict, Delivered):
            if verdict.file_id and self._content(job.broadcast_id).telegram_file_id is None:
                self.store.remember_file_id(job.broadcast_id, verdict.file_id)
                self._contents[job.broadcast_id] = replace(
                    self._content(job.broadcast_id), telegram_file_id=verdict.file_id
                )
            if self.store.part_sent(job.row_id, attempt, verdict.message_id, wall):
                self._known.discard(job.row_id)
                await self._finish(job.broadcast_id)
            else:
                self._push(lane, replace(job, parts_done=claim.part + 1), now)
            return
        if isinstance(verdict, Refused):
            self.store.retry_later(
                job.row_id, attempt, not_before=wall + verdict.wait, reason=verdict.reason, count=False
            )  # logged once recorded: a reader of the log knows the row is back to pending
            log.warning("broadcast.refused row=%d wait=%.1f %s", job.row_id, verdict.wait, verdict.reason)
            if verdict.lane:
                lane.paused_until = max(lane.paused_until, now + verdict.wait)
            else:
                lane.window(job.kind).block(target, now + verdict.wait)
            self._push(lane, job, now + verdict.wait)
            return
        if isinstance(verdict, Moved):
            if self.store.move_chat(target, verdict.chat_id, wall):
                self.store.retry_later(job.row_id, attempt, not_before=wall, reason="moved", count=False)
                self._push(lane, job, now)
                return
            verdict = Permanent(f"moved to {verdict.chat_id}, which is subscribed already", retire=True)
        if isinstance(verdict, Transient):
            attempts = job.attempts + 1
            if attempts < self.retry.attempts:
                delay = self.retry.delay(attempts)
                log.info(
                    "broadcast.retry row=%d attempt=%d in=%.0fs %s",
                    job.row_id,
                    attempts,
                    delay,
                    verdict.reason,
                )
                self.store.retry_later(
                    job.row_id, attempt, not_before=wall + delay, reason=verdict.reason, count=True
                )
                self._push(lane, replace(job, attempts=attempts), now + delay)
                return
            verdict = Permanent(f"gave up after {attempts} attempts: {verdict.reason}")
        if isinstance(verdict, Permanent):
            log.warning("broadcast.failed row=%d %s", job.row_id, verdict.reason)
            self.store.settle(job.row_id, attempt, FAILED, verdict.reason)
            if verdict.retire and self.store.retire(target, verdict.reason, wall):
                log.warning("broadcast.subscription_retired id=%d reason=%s", target, verdict.reason)
        else:
            log.warning("broadcast.uncertain row=%d %s", job.row_id, verdict.reason)
            self.store.settle(job.row_id, attempt, UNCERTAIN, verdict.reason)
        self._known.discard(job.row_id)
        await self._finish(job.broadcast_id)

    async def _finish(self, broadcast_id: int) -> None:
        if not self.store.finish_if_complete(broadcast_id, self.wall()):
            return
        self._contents.pop(broadcast_id, None)
        log.info("broadcast.done id=%d", broadcast_id)
        if self._on_finished is not None:
            try:
                await self._on_finished(broadcast_id)
            except Exception:  # a report that could not be posted is in the database anyway
                log.exception("broadcast.report_not_posted id=%d", broadcast_id)
