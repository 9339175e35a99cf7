"""The composition root: every running part of the assistant, made here and only here.

:func:`build` opens the database, makes the stores, the dialog engine and the
:class:`~bot.service.Assistant`, the broadcast desk, the broadcast senders and worker, and
the channels the settings configure (Telegram, WeCom, the WeChat Official Account) and the
reminder scheduler that sends through them, each explicitly and in that order, and the
signed document links when ZJTX_PUBLIC_URL is set. One clock (ZJTX_NOW or the wall clock)
dates every turn and decides when reminders are due.
``zjtx serve``, ``zjtx chat``, ``zjtx broadcast …`` and the benchmarks all start from it;
nothing registers itself by being imported.

``zjtx serve`` is :meth:`App.serve`: one aiohttp server on ZJTX_LISTEN shared by every
channel (``/telegram/webhook``, ``/wecom/callback``, ``/wechat/callback``, ``/healthz``,
``/files/…`` for the document links, ``/console`` for the staff console), the broadcast
worker and the reminder scheduler beside them. Every channel keeps what it receives in the
durable inbox and sends its replies through the reply outbox, both in the
:class:`~bot.mailroom.Mailroom` made here; staff notices and broadcast reports go through
the outbox too. On SIGTERM the server stops taking requests, the scheduler records the
reminder in flight, every channel finishes what is in flight (the rest waits in the inbox
and the outbox for the next start), the worker records the parts it has sent, and the
database is closed.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Protocol, cast

from aiohttp import web

from bot.broadcast.desk import BroadcastDesk
from bot.broadcast.report import report_lines
from bot.broadcast.sending import Platform
from bot.broadcast.store import BroadcastStore
from bot.db import Db, connect
from bot.delivery import Router, StaffBoard
from bot.inbox import Inbox
from bot.knowledge import Knowledge
from bot.links import DocumentLinks, link_key
from bot.mailroom import Mailroom
from bot.reminders.pushing import Dropped, Pushed, Pusher, Sent
from bot.reminders.scheduler import ReminderScheduler
from bot.reminders.timing import ReminderPolicy
from bot.replies import ReplyOutbox
from bot.service import STAFF_LANG, Assistant
from bot.settings import Clock, Settings, SettingsError, clock_of, today_of
from bot.store import SqliteStore
from bot.tickets import TicketDesk, TicketStore
from dialogs.engine import DialogEngine
from dialogs.i18n import Catalogs
from dialogs.messages import Notify, Outbound

if TYPE_CHECKING:  # imported when used: `zjtx chat` never loads a platform's client
    from bot.broadcast.sending import Sender
    from bot.broadcast.worker import Worker
    from bot.channels.telegram.sender import TelegramSender
    from bot.web import StaffConsole

__all__ = [
    "App",
    "Channel",
    "SettingsError",
    "build",
    "http_app",
    "pushers",
    "reminder_policy",
    "serve",
    "staff_notifier",
    "staff_reachable",
]

log = logging.getLogger("zjtx.server")
HEALTH_PATH = "/healthz"
# the channels that keep their updates in the inbox and send through the reply outbox
OUTBOX_CHANNELS = frozenset({"telegram", "wecom"})
CONSOLE_PATH = "/console"
TOPIC_FLOOR = 0.15  # a weaker match says nothing of what a handed-off question is about


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


class Pushes(Protocol):
    async def push(self, user_id: str, replies: Sequence[Outbound]) -> Pushed:
        """Send a reminder to one person's private chat on this channel, unprompted."""
        ...


class CountedPushes(Protocol):
    async def push(self, user_id: str, replies: Sequence[Outbound]) -> int:
        """Send to one person unprompted, within the platform's window; return how many went."""
        ...


class Routes(Protocol):
    def install(self, app: web.Application) -> None:
        """Add these routes to the shared server."""
        ...


class NoticeSender(Protocol):
    async def send_notice(self, chat_id: str, text: str) -> None:
        """Post a plain text to one chat of this channel (the staff chat)."""
        ...


def staff_notifier(
    settings: Settings, channels: Sequence[Channel]
) -> Callable[[Notify], Awaitable[None]] | None:
    """Deliver staff notices to ZJTX_STAFF_CHAT (`telegram:-100…`, `wecom:zhangsan`,
    `wechat:<openid>`) through whichever of ``channels`` (read when a notice goes out) has that
    name, at once and not durably; None without one. (A channel on the reply outbox queues
    its turns' notices there instead.)"""
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


def staff_reachable(settings: Settings, channels: Sequence[Channel]) -> bool:
    """True when ZJTX_STAFF_CHAT is set and one of ``channels`` can carry the staff desk
    there whenever a ticket opens (the channel it names is running, is a
    :class:`~bot.delivery.StaffBoard`, and can write not only inside a window the person
    opened, as the WeChat Official Account does): only then may a hand-off promise a reply."""
    if not settings.staff_chat:
        return False
    name = settings.staff_chat.partition(":")[0]
    return any(
        channel.name == name
        and isinstance(channel, StaffBoard)
        and not getattr(channel, "notices_need_window", False)
        for channel in channels
    )


def http_app(
    db: Db,
    channels: Sequence[Channel],
    also_running: Sequence[str] = (),
    routes: Sequence[Routes] = (),
    *,
    console: StaffConsole | None = None,
) -> web.Application:
    """The shared server: ``/healthz`` (a read-only probe of the database, with the sizes of
    the inbox and the reply outbox), every channel's
    routes, ``routes`` (the document links) and, when there is one, the staff console under
    ``/console``. ``also_running`` names background services /healthz lists after the
    channels."""
    body_limit = 1024 * 1024 if console is None else max(1024 * 1024, console.body_limit)
    app = web.Application(client_max_size=body_limit)
    names = [*(c.name for c in channels), *also_running]
    inbox, replies = Inbox(db), ReplyOutbox(db)

    async def healthz(request: web.Request) -> web.Response:
        try:
            db.ping()
            sizes = {"inbox": inbox.counts(), "replies": replies.counts()}
        except Exception as exc:  # any database failure means unhealthy, never a crash
            log.error("health check failed: %s", exc)
            return web.json_response({"status": "store unavailable"}, status=503)
        return web.json_response({"status": "ok", "channels": names, **sizes})

    app.router.add_get(HEALTH_PATH, healthz)
    for channel in channels:
        channel.install(app)
    for extra in routes:
        extra.install(app)
    if console is not None:
        app.add_subapp(CONSOLE_PATH, console.web())
    return app


NO_CHANNEL_HINT = (
    "no chat channel is configured, so no one can reach the assistant here: set TELEGRAM_BOT_TOKEN "
    "(Telegram), or WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET, WECOM_TOKEN and WECOM_AES_KEY (WeCom), "
    "or WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_TOKEN and WECHAT_AES_KEY (WeChat Official Account); "
    "the README's Configuration says how (zjtx chat talks to the assistant in a terminal)"
)


@dataclass
class App:
    """The running assistant: what :func:`build` made, and how it starts and stops."""

    settings: Settings
    db: Db
    store: SqliteStore
    broadcasts: BroadcastStore
    assistant: Assistant
    mail: Mailroom
    channels: list[Channel] = field(default_factory=list)
    senders: list[Sender] = field(default_factory=list)
    worker: Worker | None = None
    console: StaffConsole | None = None
    links: DocumentLinks | None = None
    reminders: ReminderScheduler | None = None
    router: Router = field(default_factory=Router)
    tickets: TicketDesk | None = None
    knowledge: Knowledge | None = None
    _worker_stop: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _worker_task: asyncio.Task[bool] | None = field(default=None, repr=False)
    _reminders_stop: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _reminders_task: asyncio.Task[bool] | None = field(default=None, repr=False)
    _desk_stop: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _desk_task: asyncio.Task[None] | None = field(default=None, repr=False)

    def web(self) -> web.Application:
        """The aiohttp application of ``zjtx serve`` (routes of every channel, /healthz, the
        document links, the console)."""
        routes = [self.links] if self.links is not None else []
        return http_app(self.db, self.channels, self.also_running(), routes, console=self.console)

    def also_running(self) -> list[str]:
        """The services besides the chat channels (as /healthz lists them)."""
        return [
            *(["broadcast"] if self.worker is not None else []),
            *(["reminders"] if self.reminders is not None else []),
            *(["console"] if self.console else []),
        ]

    async def start(self) -> None:
        """Start every channel (in order), then the broadcast worker, the reminder scheduler
        (which sends at once the reminders due while the server was down) and the desk's
        sweep (ticket reminders and idle closing, at once and then every minute)."""
        for channel in self.channels:
            await channel.start()
        if self.worker is not None:
            self._worker_stop.clear()
            self._worker_task = asyncio.create_task(self.worker.run(self._worker_stop))
        if self.reminders is not None:
            self._reminders_stop.clear()
            self._reminders_task = asyncio.create_task(self.reminders.run(self._reminders_stop))
        if self.tickets is not None and self.channels:
            self._desk_stop.clear()
            self._desk_task = asyncio.create_task(self.tickets.run(self._desk_stop))

    async def stop(self) -> None:
        """Stop the reminder scheduler (the reminder in flight is recorded), every channel
        (each finishes what is in flight), then the worker (its parts in flight are
        recorded), then close the senders; the desk's sweep first. Safe to call more than once."""
        self._desk_stop.set()
        if self._desk_task is not None:
            await self._desk_task
            self._desk_task = None
        self._reminders_stop.set()
        if self._reminders_task is not None:
            await self._reminders_task
            self._reminders_task = None
        for channel in self.channels:
            try:
                await channel.stop()
            except Exception:
                log.exception("channel %s did not stop cleanly", channel.name)
        self._worker_stop.set()
        if self._worker_task is not None:
            await self._worker_task
            self._worker_task = None
        await self.close_senders()

    async def close_senders(self) -> None:
        for sender in self.senders:
            await sender.aclose()

    def close(self) -> None:
        """Close the database (last: after :meth:`stop`)."""
        self.db.close()

    async def serve(self, stop: asyncio.Event | None = None) -> int:
        """Run until SIGTERM/SIGINT (or ``stop`` is set). Returns the exit status."""
        runner = web.AppRunner(self.web())
        await runner.setup()
        # what is built now lives as long as the process: out of the collector's way, so a full
        # collection never scans it mid-request (bench/console.py: p99 spikes of 60 ms gone)
        gc.collect()
        gc.freeze()
        host, port = self.settings.listen_host_port
        await web.TCPSite(runner, host, port).start()
        names = [c.name for c in self.channels]
        also = self.also_running()
        log.info(
            "listening on %s:%s; chat channels: %s; also running: %s",
            host,
            port,
            ", ".join(names) or "none",
            ", ".join(also) or "nothing else",
        )
        if not names:
            log.warning(NO_CHANNEL_HINT)
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
            await stop.wait()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            await self.stop()
            await runner.cleanup()
        return 0


def build(
    settings: Settings,
    *,
    today: Callable[[], date] | None = None,
    clock: Clock | None = None,
    engine: DialogEngine | None = None,
    channels: bool = True,
    worker: bool = True,
) -> App:
    """Make the assistant the settings describe.

    ``clock`` (default: ZJTX_NOW's or the wall clock, :func:`bot.settings.clock_of`) dates
    the turns and times the reminders; ``today`` (default: the clock's Beijing date) dates
    the rules. ``channels`` adds the chat channels the settings configure (Telegram with a
    bot token, WeCom with its five settings, the WeChat Official Account with its own) and
    the reminder scheduler that sends through them; ``worker`` adds the broadcast senders
    and worker (group robots always, Telegram with a bot token).
    ``zjtx chat`` wants neither. The staff console (bot/web) is made whenever
    ZJTX_CONSOLE_KEY is set (it needs ZJTX_PUBLIC_URL too); it mints /console links for the
    assistant and serves pages under /console. With the channels, ZJTX_PUBLIC_URL also
    serves signed document links under /files/. The staff desk (bot/tickets) and the
    knowledge base with staff entries are always made; the router delivers their messages
    through the channels made here. Raises ValueError (CryptoError, bot.web.ConsoleError,
    bot.settings.SettingsError) for settings a channel, the desk or the console cannot use
    (a channel's are SettingsError), bot.db.DatabaseError for a database that cannot be used."""
    engine = engine or DialogEngine()
    office = settings.office
    remind_hours = settings.ticket_remind_hours
    clock = clock or clock_of(settings)
    today = today or today_of(clock)
    db = connect(settings.db)
    store = SqliteStore(db)
    broadcasts = BroadcastStore(db, broadcast_platforms(), engine.rules.topics.ids)
    made: list[Channel] = []  # filled last; the staff notifier reads it when a notice goes out
    notify = staff_notifier(settings, made)
    mail = Mailroom(
        db,
        staff_chat=settings.staff_chat,
        prune_days=settings.prune_days,
        outbox_channels=OUTBOX_CHANNELS,
        elsewhere=notify,
    )

    senders: list[Sender] = []
    telegram: TelegramSender | None = None
    delivery: Worker | None = None
    if worker:
        from bot.broadcast.worker import Worker

        senders, telegram = _senders(settings)
        # with the chat channels, a finished broadcast's report goes to the staff chat
        report = _report_poster(engine.cat, broadcasts, mail) if channels else None
        delivery = Worker(broadcasts, senders, on_finished=report)
        log.info("broadcast.ready channels=%s", [s.platform.channel for s in senders])
    desk = BroadcastDesk(
        broadcasts, engine.cat, telegram=telegram, nudge=delivery.nudge if delivery is not None else None
    )
    assistant = Assistant(
        store,
        engine,
        today,
        staff=settings.staff_ids,
        notify=notify,
        broadcasts=desk,
        clock=clock,
        reminders=reminder_policy(settings),
        mail=mail,
    )
    router = Router(made, lambda: pushers(made), mail=mail)
    knowledge = Knowledge(
        db, engine.faq_base, engine.rules, engine.cat, apply=lambda search: assistant.engine.use_faq(search),
        clock=lambda: clock().timestamp(),
    )  # fmt: skip
    tickets = TicketDesk(
        TicketStore(db), store, engine.cat, router, staff=settings.staff_ids, staff_chat=settings.staff_chat,
        office=office, remind_hours=remind_hours, idle_days=settings.ticket_idle_days, knowledge=knowledge,
        topic_of=lambda text: topic_of(assistant.engine, text), clock=lambda: clock().timestamp(),
    )  # fmt: skip
    assistant.tickets, assistant.knowledge = tickets, knowledge
    mail.on_settled(tickets.settled)  # a staff answer delivered: the ticket answered, staff told
    assistant.on_forget(tickets.store.forget)
    console = None
    if settings.console_wanted:
        from bot.channels.wecom.sender import add_robot
        from bot.web import console_from_settings

        console = console_from_settings(
            settings,
            db=db,
            store=store,
            broadcasts=broadcasts,
            assistant=assistant,
            nudge=delivery.nudge if delivery is not None else None,
            add_robot=add_robot,
        )
        assistant.console_links = console
        if console is not None:
            console.tickets = tickets
    links = document_links(settings, db) if channels else None
    if links is not None:
        assistant.on_forget(links.forget)
    scheduler = None
    if channels:
        from bot.channels.tencent.crypto import CryptoError

        try:
            made.extend(_chat_channels(settings, assistant, db, links))
        except CryptoError as exc:
            db.close()
            raise SettingsError(f"an EncodingAESKey cannot be used ({exc})") from exc
        except ValueError as exc:
            db.close()
            raise SettingsError(str(exc)) from exc
        through = pushers(made)
        if through:
            scheduler = ReminderScheduler(
                store.reminders, assistant.reminder, through, clock=clock, shown=assistant.note_shown
            )
    # notices for a staff chat on a channel made here that sends through the outbox wait there
    mail.outbox_channels = frozenset(c.name for c in made) & OUTBOX_CHANNELS
    # a hand-off promises a staff reply only when a running channel can carry the desk
    assistant.engine = engine.reaching_staff(staff_reachable(settings, made), office)
    knowledge.sync()  # staff entries kept from an earlier run are answered from the start
    return App(
        settings, db, store, broadcasts, assistant, mail, made, senders, delivery, console, links, scheduler,
        router, tickets, knowledge,
    )  # fmt: skip


def topic_of(engine: DialogEngine, text: str) -> str | None:
    """The knowledge-base topic a handed-off question is nearest to (for the statistics)."""
    ranked = engine.faq.rank(text)
    if not ranked or ranked[0][1] < TOPIC_FLOOR:
        return None
    return engine.faq.entry(ranked[0][0]).topic


# How long after a person's last message a platform lets the assistant write unprompted.
REACH = {"wechat": timedelta(hours=48)}


def reminder_policy(settings: Settings) -> ReminderPolicy:
    """When a questionnaire's reminder is due (ZJTX_REMINDER_HOURS after the last message),
    and the platforms' windows for unprompted messages."""
    return ReminderPolicy(delay=timedelta(hours=settings.reminder_hours), reach=REACH)


def pushers(channels: Sequence[Channel]) -> dict[str, Pusher]:
    """How the reminder scheduler sends through each running channel that can write to a
    person unprompted (the WeChat channel's push counts what went; nothing went: dropped)."""
    found: dict[str, Pusher] = {}
    for channel in channels:
        if not hasattr(channel, "push"):
            continue
        if channel.name in COUNTED_PUSH:
            found[channel.name] = _counted(cast(CountedPushes, channel))
        else:
            found[channel.name] = cast(Pushes, channel).push
    return found


# Channels whose push says how many messages went (bot/channels/wechat: it drops and counts
# what falls outside the person's 48-hour window).
COUNTED_PUSH = frozenset({"wechat"})


def _counted(channel: CountedPushes) -> Pusher:
    async def push(user_id: str, replies: Sequence[Outbound]) -> Pushed:
        went = await channel.push(user_id, replies)
        return Sent() if went else Dropped("outside_window_or_refused")

    return push


def document_links(settings: Settings, db: Db) -> DocumentLinks | None:
    """The signed links of documents (the PDF report for WeChat) under ZJTX_PUBLIC_URL, keyed
    by ZJTX_LINK_SECRET (or a key derived from WECHAT_APP_SECRET); None without either."""
    if not settings.public_url:
        return None
    key = link_key(settings.link_secret, settings.wechat_app_secret)
    if key is None:
        # ZJTX_PUBLIC_URL may be there for the console alone; only WeChat needs the links
        if settings.wechat_app_id:
            log.warning("links.disabled reason=no ZJTX_LINK_SECRET (documents are sent as their caption)")
        return None
    return DocumentLinks(db, key=key, public_url=settings.public_url)


def broadcast_platforms() -> tuple[Platform, ...]:
    """Every platform a broadcast goes to, whether or not this process can send to it: the
    outbox writes a row for each of their subscribers (a worker with a sender delivers it)."""
    from bot.channels.telegram.sender import TELEGRAM_BROADCAST
    from bot.channels.wecom.sender import ROBOT_BROADCAST

    return (TELEGRAM_BROADCAST, ROBOT_BROADCAST)


def _senders(settings: Settings) -> tuple[list[Sender], TelegramSender | None]:
    """The broadcast senders the settings allow: group robots always, Telegram with a bot
    token (that sender also checks group admins and sends previews for the desk)."""
    from bot.channels.telegram.sender import TelegramSender
    from bot.channels.wecom.sender import RobotWebhookSender

    telegram = (
        TelegramSender.from_token(settings.telegram_bot_token, settings.telegram_api_base_url)
        if settings.telegram_bot_token
        else None
    )
    senders: list[Sender] = [RobotWebhookSender()]
    if telegram is not None:
        senders.insert(0, telegram)
    return senders, telegram


def _chat_channels(
    settings: Settings, assistant: Assistant, db: Db, links: DocumentLinks | None
) -> list[Channel]:
    """The chat channels the settings configure, in a fixed order: Telegram, WeCom, WeChat."""
    from bot.channels.telegram import channel_from_settings as telegram_channel
    from bot.channels.wechat.channel import channel_from_settings as wechat_channel
    from bot.channels.wecom.channel import channel_from_settings as wecom_channel

    found: list[Channel | None] = [
        telegram_channel(settings, assistant),
        wecom_channel(settings, assistant),
        wechat_channel(settings, assistant, db, links),
    ]
    return [channel for channel in found if channel is not None]


def _report_poster(
    cat: Catalogs, broadcasts: BroadcastStore, mail: Mailroom
) -> Callable[[int], Awaitable[None]]:
    """Queue a finished broadcast's report for the staff chat in the reply outbox (the worker
    logs a failure)."""

    async def post_report(broadcast_id: int) -> None:
        report = broadcasts.report(broadcast_id, time.time())
        if report is None:
            return
        lines = [cat.text(STAFF_LANG, "broadcast.notify.done", id=broadcast_id)]
        lines += report_lines(cat, STAFF_LANG, report, broadcasts.failures(broadcast_id, limit=10))
        mail.notice(Notify("broadcast", "\n".join(lines), {"broadcast_id": broadcast_id}))

    return post_report


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """`zjtx serve`: build the assistant from ``settings`` and run it until stopped."""
    app = build(settings)
    try:
        return await app.serve(stop)
    finally:
        app.close()
