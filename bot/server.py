"""`zjtx serve`: one aiohttp server on ZJTX_LISTEN shared by every configured channel.

Paths: /telegram/webhook, /wecom/callback, /healthz. Each channel adds its own routes
and starts its own background work; on SIGTERM the server stops taking requests, every
channel finishes what is in flight, and the store is closed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Protocol, cast

from aiohttp import web

from bot.service import Assistant
from bot.settings import Settings, today_in_guangzhou
from bot.store import SqliteStore, Store
from dialogs.engine import DialogEngine
from dialogs.messages import Notify

log = logging.getLogger("zjtx.server")


class Channel(Protocol):
    name: str

    def install(self, app: web.Application) -> None:
        """Add this channel's routes to the shared server (before it starts)."""
        ...

    async def start(self) -> None:
        """Begin receiving (register a webhook, start polling…)."""
        ...

    async def stop(self) -> None:
        """Stop receiving and finish the updates in flight."""
        ...


class NoticeSender(Protocol):
    async def send_notice(self, chat_id: str, text: str) -> None:
        """Post a plain text to one chat of this channel (the staff chat)."""
        ...


def staff_notifier(settings: Settings, channels: list[Channel]) -> Callable[[Notify], Awaitable[None]] | None:
    """Deliver staff notices to ZJTX_STAFF_CHAT (`telegram:-100…`, `wecom:zhangsan`)."""
    if not settings.staff_chat:
        return None
    name, _, chat_id = settings.staff_chat.partition(":")

    async def notify(notice: Notify) -> None:
        for channel in channels:
            if channel.name == name and hasattr(channel, "send_notice"):
                await cast(NoticeSender, channel).send_notice(chat_id, notice.text)
                return
        log.warning(
            "staff chat %s: no running channel %r; notice kept in the log: %s", chat_id, name, notice.text
        )

    return notify


ChannelFactory = Callable[[Settings, Assistant, Store], "Channel | None"]
# Channel modules register a factory here; each returns None when it is not configured.
CHANNEL_FACTORIES: list[ChannelFactory] = []


def build_app(store: Store, channels: list[Channel]) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)

    async def healthz(request: web.Request) -> web.Response:
        try:
            store.first_time("health", "probe")
        except Exception as exc:  # any store failure means unhealthy, never a crash
            log.error("health check failed: %s", exc)
            return web.json_response({"status": "store unavailable"}, status=503)
        return web.json_response({"status": "ok", "channels": [c.name for c in channels]})

    app.router.add_get("/healthz", healthz)
    for channel in channels:
        channel.install(app)
    return app


def configured_channels(settings: Settings, assistant: Assistant, store: Store) -> list[Channel]:
    channels: list[Channel] = []
    for factory in CHANNEL_FACTORIES:
        channel = factory(settings, assistant, store)
        if channel is not None:
            channels.append(channel)
    return channels


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Run until SIGTERM/SIGINT (or `stop` is set). Returns the exit status."""
    _register_builtin_channels()
    store = SqliteStore(settings.db)
    channels: list[Channel] = []
    # a hand-off promises a reply only where a staff chat can receive it
    engine = DialogEngine(staff_reachable=bool(settings.staff_chat))
    assistant = Assistant(store, engine, today_in_guangzhou, staff=settings.staff_ids)
    channels.extend(configured_channels(settings, assistant, store))
    assistant.notify = staff_notifier(settings, channels)
    app = build_app(store, channels)
    runner = web.AppRunner(app)
    await runner.setup()
    host, port = settings.listen_host_port
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("listening on %s:%s with channels: %s", host, port, [c.name for c in channels] or "none")
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        for channel in channels:
            await channel.start()
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        for channel in channels:
            try:
                await channel.stop()
            except Exception:
                log.exception("channel %s did not stop cleanly", channel.name)
        await runner.cleanup()
        store.close()
    return 0


def _register_builtin_channels() -> None:
    """Import the channel modules so that they add their factories."""
    import importlib

    for module in ("bot.channels.telegram", "bot.channels.wecom.channel", "bot.broadcast.service"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
