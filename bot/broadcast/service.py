"""Broadcasts inside `zjtx serve`: the desk on the Assistant and the worker beside the channels.

Registered with the server's channel registry, so `zjtx serve` runs the worker (when the
store is a SQLite file) with a Telegram sender when TELEGRAM_BOT_TOKEN is set and the
group-robot sender always. A finished broadcast's report goes to the staff chat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from aiohttp import web

from bot.server import CHANNEL_FACTORIES
from bot.service import STAFF_LANG, Assistant
from bot.settings import Settings
from bot.store import SqliteStore, Store
from dialogs.messages import Notify

from .desk import BroadcastDesk
from .outbox import BroadcastStore
from .report import report_lines
from .senders import Sender, senders_from_settings
from .worker import Worker

__all__ = ["BroadcastService", "service_from_settings"]

log = logging.getLogger("zjtx.broadcast")


class BroadcastService:
    """The worker as a background task of the shared server (the Channel protocol)."""

    name = "broadcast"

    def __init__(self, worker: Worker, senders: Sequence[Sender], store: BroadcastStore) -> None:
        self.worker = worker
        self._senders = list(senders)
        self._store = store
        self._stop = asyncio.Event()
        self._task: asyncio.Task[bool] | None = None

    def install(self, app: web.Application) -> None:
        """No routes: the worker only sends."""

    async def start(self) -> None:
        self._task = asyncio.create_task(self.worker.run(self._stop))

    async def stop(self) -> None:
        """Finish the parts in flight (recorded), then close the senders (the server closes the file)."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
        for sender in self._senders:
            await sender.aclose()


def service_from_settings(settings: Settings, assistant: Assistant, store: Store) -> BroadcastService | None:
    """The broadcast desk and worker for a SQLite store (None for an in-memory one)."""
    if not isinstance(store, SqliteStore) or store.path == ":memory:":
        return None
    broadcasts = BroadcastStore(store.db)
    senders, telegram = senders_from_settings(settings)
    cat = assistant.engine.cat

    async def post_report(broadcast_id: int) -> None:
        report = broadcasts.report(broadcast_id, time.time())
        if report is None:
            return
        lines = [cat.text(STAFF_LANG, "broadcast.notify.done", id=broadcast_id)]
        lines += report_lines(cat, STAFF_LANG, report, broadcasts.failures(broadcast_id, limit=10))
        await assistant.send_notice(Notify("broadcast", "\n".join(lines), {"broadcast_id": broadcast_id}))

    worker = Worker(broadcasts, senders, on_finished=post_report)
    assistant.broadcasts = BroadcastDesk(broadcasts, cat, telegram=telegram, nudge=worker.nudge)
    log.info("broadcast.ready channels=%s", [s.channel for s in senders])
    return BroadcastService(worker, senders, broadcasts)


CHANNEL_FACTORIES.append(service_from_settings)
