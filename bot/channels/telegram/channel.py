"""The Telegram channel: python-telegram-bot as the adapter, the Assistant behind it.

Updates come by long polling, or (TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET set) as
POSTs to /telegram/webhook on the shared server, whose secret header is checked in
constant time. Either way each update is first stored in the durable inbox
(:mod:`bot.mailroom`), keyed by its update_id: a webhook POST is answered 200 only once
its row is committed (503 if it cannot be stored, so Telegram sends it again), and long
polling's offset, which acknowledges, moves on only past updates already stored (the
Application's update queue is the inbox). A redelivered update finds its row and is not
handled again.

The inbox's dispatcher hands the rows back, one conversation's at a time and in order,
to the Application's four small handlers: text, other messages (stickers, photos,
voice…), edited messages, button presses. Each turns the update into an
:class:`~dialogs.messages.Inbound` and asks the Assistant, which commits the turn, its
replies and the row's "done" in one transaction; the reply outbox then sends the replies
(see :mod:`bot.channels.telegram.render`), again after a crash. Button answers (the
spinner), "typing…" and the edits recording a chosen button are made at once: they are
made again if the update is handled again. The Application's own ConversationHandler and
persistence are not used: the dialog engine and the SQLite store replace them.

Groups: the bot speaks only when addressed, and moves the questionnaire to a private chat
(:mod:`bot.channels.telegram.groups`). Outgoing calls go through PTB's AIORateLimiter,
which waits out a RetryAfter (one that still escapes is waited out here), over PTB's
HTTP transport interface implemented on aiohttp (:mod:`bot.channels.telegram.transport`).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
import sqlite3
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, Final

from aiohttp import web
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram.groups import (
    addressed,
    command_is_ours,
    is_private_command,
    private_link,
    replies_to_bot,
)
from bot.channels.telegram.media import FileIds, MediaTooLarge, send_media
from bot.channels.telegram.render import (
    TEXT_LIMIT,
    Planned,
    Pressed,
    command_data,
    escape,
    parse_callback,
    plan_messages,
    question_keyboard,
    question_tag,
    selection_in,
    utf16_len,
)
from bot.channels.telegram.transport import (
    DEFAULT_API_BASE_URL,
    AiohttpRequest,
    file_base_url,
    retry_after_seconds,
)
from bot.delivery import Posted
from bot.inbox import AlreadyHandled, InboxRow
from bot.mailroom import Mailroom, Recorder
from bot.media import unsent_text
from bot.reminders.pushing import Dropped, Later, Pushed, Uncertain
from bot.reminders.pushing import Sent as PushSent
from bot.replies import REPLY, Again, Reply, Sent, Undeliverable, Verdict
from bot.service import Assistant
from bot.settings import Settings
from bot.store import SessionKey
from bot.tickets.desk import is_ticket_answer
from dialogs.commands import parse_command
from dialogs.language import message_lang
from dialogs.messages import Choice, Inbound, Menu, Outbound, Question, Text

CHANNEL: Final = "telegram"
WEBHOOK_PATH: Final = "/telegram/webhook"
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES: Final = ("message", "edited_message", "callback_query")
# The command menu (setMyCommands), in this order, with the catalog key of each description.
BOT_COMMANDS: Final = (
    ("assess", "tgcmd.assess"),
    ("menu", "tgcmd.menu"),
    ("back", "tgcmd.back"),
    ("skip", "tgcmd.skip"),
    ("restart", "tgcmd.restart"),
    ("cancel", "tgcmd.cancel"),
    ("result", "tgcmd.result"),
    ("details", "tgcmd.details"),
    ("report", "tgcmd.report"),
    ("whatif", "tgcmd.whatif"),
    ("tiers", "tgcmd.tiers"),
    ("subsidies", "tgcmd.subsidies"),
    ("contacts", "tgcmd.contacts"),
    ("faq", "tgcmd.faq"),
    ("join", "tgcmd.join"),
    ("callme", "tgcmd.callme"),
    ("remind_yearly", "tgcmd.remind_yearly"),
    ("stop_reminders", "tgcmd.stop_reminders"),
    ("forget", "tgcmd.forget"),
    ("lang", "tgcmd.lang"),
    ("help", "tgcmd.help"),
)
COMMAND_LANGUAGES: Final = ((None, "zh"), ("zh", "zh"), ("en", "en"))  # (language_code, catalog)
NONE_ANSWER: Final = "none"  # what "none of these" sends to the engine for a several-answer question
MULTI_SEPARATOR: Final = ", "
RATE_LIMIT_RETRIES: Final = 8  # by the AIORateLimiter, per call
_SECRET: Final = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)

log = logging.getLogger("zjtx.telegram")

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Context = ContextTypes.DEFAULT_TYPE


# ---------------------------------------------------------------------------- the inbox

PLANNED: Final = "telegram.planned"  # an outbox item this channel made itself (a link button)
# the errors PTB's error handler saw while the dispatcher's task handled one stored update
_FAILURES: ContextVar[list[BaseException] | None] = ContextVar("zjtx_telegram_failures", default=None)


class InboxQueue(asyncio.Queue[object]):
    """The Application's update queue, as the inbox: ``put`` stores the update (committed)
    and returns; long polling confirms an update to Telegram (the next getUpdates offset)
    only after its ``put`` has returned. No update is queued in memory (the dispatcher of
    :mod:`bot.inbox` hands them to the Application); only the Application's stop signal is."""

    def __init__(self, accept: Callable[[Update], None], stopping: Callable[[], bool]) -> None:
        super().__init__()
        self._accept = accept
        self._stopping = stopping

    async def put(self, item: object) -> None:
        if not isinstance(item, Update):  # the Application's own stop signal
            await super().put(item)
            return
        wait = 0.5
        while True:
            try:
                self._accept(item)
                return
            except sqlite3.Error as exc:  # not stored: not confirmed either, until it is
                log.error("telegram.inbox_unavailable update_id=%s: %s", item.update_id, exc)
                if self._stopping():
                    raise
                await asyncio.sleep(wait)
                wait = min(wait * 2, 30.0)


def _conversation(update: object) -> tuple[int, int] | None:
    """The (chat, user) one update belongs to, the key its session is kept under."""
    if not isinstance(update, Update):
        return None
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    return chat.id, user.id


# ---------------------------------------------------------------------------- small memories


class _Bounded(OrderedDict[Any, Any]):
    """A dict that forgets its oldest entries beyond `size`."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> None:
        self.pop(key, None)
        self[key] = value
        while len(self) > self.size:
            self.popitem(last=False)


# ---------------------------------------------------------------------------- the channel


class TelegramChannel:
    """One bot on Telegram, glued to the Assistant.

    `webhook_url` and `webhook_secret` together select webhook mode (both or neither;
    ValueError otherwise, or for a secret Telegram would refuse: 1–256 of A–Z a–z 0–9 _ -).
    `rate_limiter` defaults to an AIORateLimiter with Telegram's limits that retries a 429
    up to RATE_LIMIT_RETRIES times. Calls go over aiohttp (:mod:`bot.channels.telegram.transport`).
    `text_limit` is the longest message sent (Telegram's 4096 unless a test wants to see
    results split)."""

    name = CHANNEL

    def __init__(
        self,
        assistant: Assistant,
        *,
        token: str,
        api_base_url: str = DEFAULT_API_BASE_URL,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        rate_limiter: BaseRateLimiter[Any] | None = None,
        text_limit: int = TEXT_LIMIT,
        poll_timeout: float = 10.0,
        max_concurrent_updates: int = 512,
    ) -> None:
        if bool(webhook_url) != bool(webhook_secret):
            raise ValueError("a Telegram webhook needs both TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET")
        if webhook_secret is not None and not _SECRET.match(webhook_secret):
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)"
            )
        self._assistant = assistant
        self._webhook_url = webhook_url or None
        self._secret = (webhook_secret or "").encode("utf-8")
        self._text_limit = min(text_limit, TEXT_LIMIT)
        self._poll_timeout = poll_timeout
        self._requests = (AiohttpRequest(max_concurrent_updates), AiohttpRequest(1))
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(api_base_url)
            .base_file_url(file_base_url(api_base_url))
            .request(self._requests[0])
            .get_updates_request(self._requests[1])
            .rate_limiter(rate_limiter or AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
            .update_queue(InboxQueue(self._store_update, lambda: self._stopping))
        )
        if self._webhook_url:
            builder = builder.updater(None)
        self._app: AnyApplication = builder.build()
        self._app.add_handler(CallbackQueryHandler(self._on_button))
        self._app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, self._on_edited))
        self._app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, self._on_text))
        self._app.add_handler(
            MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, self._on_other)
        )
        self._app.add_error_handler(self._on_error)
        self._values: _Bounded = _Bounded(4096)  # v:<token> → a long menu value
        self._selections: _Bounded = _Bounded(10_000)  # (chat, message) → toggled choices
        self._file_ids = FileIds()  # score cards and reports sent: Telegram's file_id of each
        self._forums: dict[str, bool] = {}  # staff chat → whether it is a forum (asked once)
        self._posts: set[asyncio.Task[Any]] = set()  # webhook requests past the secret check
        self._stopping = False
        self._stopped: asyncio.Future[None] | None = None
        self._mail: Mailroom | None = None

    # --- Channel protocol ---------------------------------------------------------------------

    @property
    def application(self) -> AnyApplication:
        """The python-telegram-bot Application (its `bot` makes the Bot API calls)."""
        return self._app

    @property
    def webhook_mode(self) -> bool:
        return self._webhook_url is not None

    def install(self, app: web.Application) -> None:
        """In webhook mode, add POST /telegram/webhook to the shared server."""
        if self.webhook_mode:
            app.router.add_post(WEBHOOK_PATH, self._on_webhook)

    async def start(self) -> None:
        """Connect (getMe), set the command menu, then register the webhook or start polling.

        Raises TelegramError when the Bot API refuses the token or the webhook."""
        mail = self._assistant.mail
        if mail is None:
            raise RuntimeError(
                "the Telegram channel keeps its updates in SQLite: give the Assistant a SQLite store"
            )
        await self._app.initialize()
        await self._set_commands()
        if self._webhook_url:
            await self._app.bot.set_webhook(
                self._webhook_url,
                secret_token=self._secret.decode("utf-8"),
                allowed_updates=list(ALLOWED_UPDATES),
            )
        await self._app.start()
        mail.attach(CHANNEL, handle=self._handle_row, sender=self)
        self._mail = mail
        if self._app.updater is not None:
            await self._app.updater.start_polling(
                timeout=timedelta(seconds=self._poll_timeout), allowed_updates=list(ALLOWED_UPDATES)
            )
        log.info(
            "telegram.ready bot=@%s mode=%s",
            self._app.bot.username,
            "webhook" if self.webhook_mode else "polling",
        )

    async def stop(self) -> None:
        """Stop receiving (a webhook POST is answered 503, so Telegram retries it later), finish
        every update already received, and close the client. Safe to call more than once."""
        if self._stopped is None:
            self._stopped = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopped)

    async def drain(self) -> None:
        """Return once every update received so far has been handled and its replies sent."""
        while self._posts:
            await asyncio.wait(set(self._posts))
        if self._mail is not None:
            await self._mail.drain(CHANNEL)

    async def push(self, user_id: str, replies: Sequence[Outbound]) -> Pushed:
        """Send a reminder to a person's private chat (whose id is theirs), unprompted, at
        once (the reminder scheduler keeps its own bookkeeping: never through the outbox).

        Sent when every message went; Dropped when Telegram refused (the person blocked the
        bot, never started it); Later after a flood refusal before anything went; Uncertain
        when a request may have reached Telegram without an answer (a timeout, a dropped
        connection)."""
        if not re.fullmatch(r"\d{1,20}", user_id):
            return Dropped("not a private chat")
        key = _key(int(user_id), int(user_id))
        return await self._send_now(
            Reply(0, CHANNEL, user_id, user_id, REPLY, self._lang(key, None), tuple(replies))
        )

    async def _send_now(self, reply: Reply) -> Pushed:
        """Send ``reply`` part by part as the outbox would, but now and once: the verdict as
        :mod:`bot.reminders.pushing` words it."""
        parts = self.parts(reply)
        for done, part in enumerate(parts):
            verdict = await self.send(reply, part)
            if isinstance(verdict, Again):
                if done == 0 and verdict.wait > 0:  # a flood refusal: nothing went
                    return Later(verdict.wait, f"telegram {verdict.reason}")
                log.warning("telegram.push_unanswered chat=%s error=%s", reply.chat_id, verdict.reason)
                return Uncertain(f"after {done} of {len(parts)} messages: {verdict.reason}")
            if isinstance(verdict, Undeliverable):  # blocked, deactivated, never started the bot
                log.info("telegram.push_refused chat=%s error=%s", reply.chat_id, verdict.reason)
                return Dropped(f"telegram refused: {verdict.reason}") if done == 0 else PushSent()
        return PushSent()

    async def send_notice(self, chat_id: str, text: str) -> None:
        """Post a staff notice to a chat (ZJTX_STAFF_CHAT=telegram:<chat id>). Raises TelegramError."""
        target: int | str = int(chat_id) if re.fullmatch(r"-?\d+", chat_id) else chat_id
        for planned in plan_messages([Text(text)], self._catalog("zh"), self._data_for, self._text_limit):
            if planned.media is None:
                await self._app.bot.send_message(target, planned.html, parse_mode=ParseMode.HTML)

    # --- delivering unprompted, and the staff desk (bot/delivery.py) ----------------------------

    async def deliver_in_chat(self, key: SessionKey, messages: Sequence[Outbound]) -> bool:
        """Send ``messages`` into the group chat of ``key`` as a turn's replies are sent (a
        staff answer to a ticket opened there; a private chat is reached with :meth:`push`).
        True when Telegram took every one."""
        lang = self._lang(key, None)
        verdict = await self._send_now(
            Reply(0, CHANNEL, key.chat_id, key.user_id, REPLY, lang, tuple(messages))
        )
        return isinstance(verdict, PushSent)

    async def post_staff(
        self,
        chat_id: str,
        text: str,
        *,
        buttons: Sequence[Choice] = (),
        reply_to: str | None = None,
        thread: str | None = None,
    ) -> Posted | None:
        """Post to the staff chat, with the buttons under the last message; None when
        Telegram refused (logged)."""
        target = _chat(chat_id)
        plan = plan_messages(
            [Menu(text, tuple(buttons))], self._catalog("zh"), self._data_for, self._text_limit
        )
        posted: Posted | None = None
        for n, planned in enumerate(plan):
            reply = (
                ReplyParameters(int(reply_to), allow_sending_without_reply=True)
                if reply_to is not None and n == 0 and _number(reply_to)
                else None
            )
            try:
                sent = await self._app.bot.send_message(
                    target,
                    planned.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=planned.markup,
                    link_preview_options=_NO_PREVIEW,
                    reply_parameters=reply,
                    message_thread_id=int(thread) if thread and _number(thread) else None,
                )
            except TelegramError as exc:
                log.error("telegram.staff_post_failed chat=%s error=%s", chat_id, exc)
                return posted
            if posted is None:
                posted = Posted(str(sent.message_id), thread)
        return posted

    async def edit_staff(
        self, chat_id: str, message_id: str, text: str, *, buttons: Sequence[Choice] = ()
    ) -> bool:
        """Change a notice in the staff chat to ``text`` (cut to one message) and ``buttons``."""
        plan = plan_messages(
            [Menu(text, tuple(buttons))], self._catalog("zh"), self._data_for, self._text_limit
        )
        if not plan or not _number(message_id):
            return False
        first = plan[0]
        markup = plan[-1].markup if len(plan) == 1 else None
        try:
            await self._app.bot.edit_message_text(
                first.html,
                chat_id=_chat(chat_id),
                message_id=int(message_id),
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=_NO_PREVIEW,
            )
        except TelegramError as exc:  # "not modified", too old, deleted: the thread still says it
            log.info("telegram.staff_edit_failed chat=%s message=%s error=%s", chat_id, message_id, exc)
            return False
        return True

    async def open_topic(self, chat_id: str, title: str) -> str | None:
        """A forum topic for a ticket when the staff group is a forum (createForumTopic),
        else None: the notice and its replies then thread by replies."""
        if not await self._is_forum(chat_id):
            return None
        try:
            topic = await self._app.bot.create_forum_topic(_chat(chat_id), title[:128])
        except TelegramError as exc:  # no right to manage topics: thread by replies instead
            log.warning("telegram.topic_failed chat=%s error=%s", chat_id, exc)
            return None
        return str(topic.message_thread_id)

    async def _is_forum(self, chat_id: str) -> bool:
        known = self._forums.get(chat_id)
        if known is None:
            try:
                chat = await self._app.bot.get_chat(_chat(chat_id))
            except TelegramError as exc:
                log.warning("telegram.get_chat_failed chat=%s error=%s", chat_id, exc)
                return False
            known = self._forums[chat_id] = bool(chat.is_forum)
        return known

    async def _stop(self) -> None:
        self._stopping = True
        updater = self._app.updater
        if updater is not None and updater.running:
            await updater.stop()
        while self._posts:
            await asyncio.wait(set(self._posts))
        if self._mail is not None:  # the updates being handled finish; the others wait in the inbox
            await self._mail.detach(CHANNEL)
            self._mail = None
        if self._app.running:
            await self._app.stop()
        await self._app.shutdown()
        for request in self._requests:  # closed already, unless getMe failed at start
            await request.shutdown()
        log.info("telegram.stopped")

    # --- inbound: the webhook -----------------------------------------------------------------

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, self._secret):
            log.warning("telegram.webhook_refused reason=secret remote=%s", request.remote)
            return web.Response(status=403)
        if self._stopping or not self._app.running:
            return web.Response(status=503)
        task = asyncio.current_task()
        if task is not None:
            self._posts.add(task)
        try:
            try:
                raw = await request.json()
                update = Update.de_json(raw, self._app.bot)
                if not isinstance(update, Update):
                    raise TypeError("not an update")
            except Exception as exc:  # not an update Telegram would send: say so, never crash
                log.warning("telegram.webhook_unreadable error=%s", type(exc).__name__)
                return web.Response(status=400)
            try:
                self._store_update(update, raw)
            except sqlite3.Error as exc:  # not stored, so not acknowledged: Telegram sends it again
                log.error("telegram.inbox_unavailable update_id=%s: %s", update.update_id, exc)
                return web.Response(status=503)
            return web.Response()
        finally:
            if task is not None:
                self._posts.discard(task)

    def _store_update(self, update: Update, raw: Any = None) -> None:
        """Commit an update (``raw``: as Telegram sent it) to the inbox; a redelivery is
        recognised and dropped there. Raises sqlite3.Error when it cannot be stored."""
        if self._mail is None:
            raise sqlite3.OperationalError("the Telegram channel is not started")
        conversation = _conversation(update)
        user = update.effective_user
        stored = self._mail.accept(
            CHANNEL,
            str(update.update_id),
            conversation=(f"{conversation[0]}:{conversation[1]}" if conversation else f"u{update.update_id}"),
            user_id=str(user.id) if user is not None else None,
            payload=json.dumps(update.to_dict() if raw is None else raw, ensure_ascii=False),
        )
        if not stored:
            log.info("telegram.duplicate_update update_id=%s", update.update_id)

    async def _handle_row(self, row: InboxRow) -> None:
        """Handle one stored update through the Application's handlers. Raises what a handler
        raised (the dispatcher tries again later), AlreadyHandled included."""
        update = Update.de_json(json.loads(row.payload), self._app.bot)
        failures: list[BaseException] = []
        token = _FAILURES.set(failures)
        try:
            await self._app.process_update(update)
        finally:
            _FAILURES.reset(token)
        if failures:
            raise failures[0]

    # --- inbound: handlers --------------------------------------------------------------------

    async def _on_text(self, update: Update, context: Context) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None or user.is_bot or message.sender_chat is not None:
            return  # channel posts, anonymous admins, other bots: not a person to answer
        private = message.chat.type == ChatType.PRIVATE
        text = message.text or ""
        if not private:
            spoken_to, text = addressed(message, text, self._app.bot)
            if not spoken_to and not (
                is_ticket_answer(text) and self._assistant.is_staff(_key(message.chat.id, user.id))
            ):
                return  # "#12 答复" from staff speaks to the desk, though it names no one
        elif not command_is_ours(text, self._app.bot):
            return
        key = _key(message.chat.id, user.id)
        reply_to = None if private else message.message_id
        command = parse_command(text)
        if not private and is_private_command(text):
            await self._go_private(message.chat.id, key, user.language_code, text, reply_to)
            return
        replied = message.reply_to_message
        if (
            command is not None
            and command.name == "/faq"
            and not command.args
            and replied is not None
            and replied.text
            and self._assistant.is_staff(key)
        ):
            # staff answer a member's question in a group by replying to it with /faq
            text = f"/faq {replied.text}"
            reply_to = replied.message_id
        inbound = Inbound(
            text=text,
            lang_hint=user.language_code,
            name=_display_name(user),
            reply_to=str(replied.message_id) if replied is not None else None,
            thread=str(message.message_thread_id)
            if message.is_topic_message and message.message_thread_id
            else None,
        )
        await self._respond(message.chat.id, key, inbound, reply_to)

    async def _on_other(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice, files…: the dialog reads text only; say so where spoken to."""
        message, user = update.message, update.effective_user
        if message is None or user is None or user.is_bot or message.sender_chat is not None:
            return
        private = message.chat.type == ChatType.PRIVATE
        if not private and not replies_to_bot(message, self._app.bot):
            return
        key = _key(message.chat.id, user.id)
        lang = self._lang(key, user.language_code)
        log.info("telegram.not_text chat=%s", message.chat.id)
        await self._send(
            message.chat.id,
            key,
            [Text(self._t(lang, "tg.please_type"))],
            user.language_code,
            None if private else message.message_id,
        )

    async def _on_edited(self, update: Update, context: Context) -> None:
        """An edit does not change an answer already taken: say so in a private chat."""
        message, user = update.edited_message, update.effective_user
        if message is None or user is None or user.is_bot or message.chat.type != ChatType.PRIVATE:
            return
        key = _key(message.chat.id, user.id)
        lang = self._lang(key, user.language_code)
        await self._send(message.chat.id, key, [Text(self._t(lang, "tg.edited"))], user.language_code, None)

    async def _on_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        answered = False

        async def answer(toast: str | None = None) -> None:
            nonlocal answered
            if answered:
                return
            answered = True
            try:
                await query.answer(text=toast)
            except TelegramError as exc:  # too old to answer: the spinner has long stopped
                log.info("telegram.answer_failed error=%s", exc)

        try:
            message = query.message if isinstance(query.message, Message) else None
            if message is None:
                return  # inaccessible or inline: nothing to resolve the button against
            user = query.from_user
            key = _key(message.chat.id, user.id)
            pressed = parse_callback(query.data or "")
            if pressed is None:
                log.info("telegram.forged_button chat=%s", message.chat.id)
                await self._refuse_button(answer, message, key, user.language_code, pressed)
            elif pressed.kind in ("c", "v"):
                await self._menu_button(
                    answer, message, key, user.language_code, pressed, _display_name(user)
                )
            else:
                await self._question_button(answer, message, key, user.language_code, pressed)
        finally:
            await answer()

    async def _on_error(self, update: object, context: Context) -> None:
        failures = _FAILURES.get()
        if failures is not None and context.error is not None:
            failures.append(context.error)  # the dispatcher logs it and tries again
            return
        log.error(
            "telegram.handler_failed update=%s", getattr(update, "update_id", None), exc_info=context.error
        )

    # --- buttons ------------------------------------------------------------------------------

    async def _menu_button(
        self,
        answer: _Answer,
        message: Message,
        key: SessionKey,
        hint: str | None,
        pressed: Pressed,
        name: str | None = None,
    ) -> None:
        value = pressed.value if pressed.kind == "c" else self._values.get(pressed.value)
        if value is None:
            await self._refuse_button(answer, message, key, hint, pressed)
            return
        await answer()
        reply_to = None if message.chat.type == ChatType.PRIVATE else message.message_id
        if reply_to is not None and is_private_command(value):
            await self._go_private(message.chat.id, key, hint, value, None)
            return
        inbound = Inbound(choice=value, lang_hint=hint, name=name)
        await self._respond(message.chat.id, key, inbound, None)

    async def _question_button(
        self, answer: _Answer, message: Message, key: SessionKey, hint: str | None, pressed: Pressed
    ) -> None:
        question = self._pending_question(key, message_lang(message.text or ""))
        if (
            question is None
            or question_tag(question) != pressed.tag
            or pressed.index >= len(question.choices)
        ):
            await self._refuse_button(answer, message, key, hint, pressed)
            return
        lang = question.lang or self._lang(key, hint)  # the language the question was shown in
        t = self._catalog(lang)
        where = (message.chat.id, message.message_id)
        if pressed.kind == "q" and not question.multi:
            choice = question.choices[pressed.index]
            await answer()
            await self._show_answer(message, choice.label, lang)
            value = choice.value
        elif pressed.kind == "t" and question.multi:
            toggled = self._selection(message, pressed.tag) ^ {pressed.index}
            self._selections.put(where, toggled)
            await answer()
            await self._edit_keyboard(message, question_keyboard(question, t, toggled))
            return
        elif pressed.kind == "d" and question.multi:
            chosen = self._selection(message, pressed.tag)
            if not chosen:
                await answer(t("tg.multi_empty"))
                return
            await answer()
            picked = [question.choices[i] for i in sorted(chosen)]
            await self._show_answer(message, t("list.sep").join(c.label for c in picked), lang)
            value = MULTI_SEPARATOR.join(c.value for c in picked)
        elif pressed.kind == "n" and question.multi:
            await answer()
            await self._show_answer(message, t("tg.multi_none"), lang)
            value = NONE_ANSWER
        else:
            await self._refuse_button(answer, message, key, hint, pressed)
            return
        self._selections.pop(where, None)
        await self._respond(message.chat.id, key, Inbound(choice=value, lang_hint=hint), None)

    async def _refuse_button(
        self, answer: _Answer, message: Message, key: SessionKey, hint: str | None, pressed: Pressed | None
    ) -> None:
        """An old or forged button: a short notice, its keyboard gone, the current question again."""
        lang = self._lang(key, hint)
        await answer(self._t(lang, "tg.stale_button"))
        if pressed is None or pressed.kind not in ("c", "v"):
            await self._edit_keyboard(message, None)
        pending = self._assistant.resume(key)
        replies: list[Outbound]
        if pending and message.chat.type == ChatType.PRIVATE:
            replies = [Text(self._t(lang, "tg.stale_current")), *pending]
        else:
            replies = [self._assistant.menu(lang, "choice.stale")]
        reply_to = None if message.chat.type == ChatType.PRIVATE else message.message_id
        await self._send(message.chat.id, key, replies, hint, reply_to)

    def _pending_question(self, key: SessionKey, shown_in: str | None = None) -> Question | None:
        """The question this conversation waits on, in the language it was shown in when
        that was not the conversation's (a reply in the message's language)."""
        for reply in self._assistant.resume(key, lang=shown_in):
            if isinstance(reply, Question):
                return reply
        return None

    def _selection(self, message: Message, tag: str) -> frozenset[int]:
        remembered = self._selections.get((message.chat.id, message.message_id))
        if remembered is not None:
            return frozenset(remembered)
        return selection_in(message.reply_markup, tag)

    def _data_for(self, value: str) -> str:
        data = command_data(value)
        if data is not None:
            return data
        token = secrets.token_urlsafe(12)
        self._values.put(token, value)
        return f"v:{token}"

    # --- outbound -----------------------------------------------------------------------------

    async def _respond(self, chat_id: int, key: SessionKey, inbound: Inbound, reply_to: int | None) -> None:
        """Show typing while the Assistant answers and commits the turn with its replies."""
        to = self._to(chat_id, key, inbound.lang_hint, reply_to)
        typing = asyncio.create_task(self._typing(chat_id))
        try:
            await self._assistant.handle(key, inbound, reply=to)
        except (sqlite3.Error, AlreadyHandled):
            raise  # nothing was committed: the dispatcher handles the update again later, or not
        except Exception:  # the turn did not happen: say so, keep the conversation alive
            log.exception("telegram.turn_failed key=%s", key)
            to.record([Text(self._t(self._lang(key, inbound.lang_hint), "tg.error"))])
        finally:
            await typing

    async def _typing(self, chat_id: int) -> None:
        try:
            await self._app.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:
            log.debug("telegram.typing_failed chat=%s error=%s", chat_id, exc)

    def _to(self, chat_id: int, key: SessionKey, hint: str | None, reply_to: int | None) -> Recorder:
        assert self._mail is not None, "the Telegram channel is not started"
        return self._mail.to(
            CHANNEL,
            str(chat_id),
            user_id=key.user_id,
            lang=lambda: self._lang(key, hint),
            extra={"reply_to": reply_to} if reply_to is not None else None,
        )

    async def _send(
        self,
        chat_id: int,
        key: SessionKey,
        replies: Sequence[Outbound],
        hint: str | None,
        reply_to: int | None,
    ) -> None:
        """Queue replies the channel makes itself (not a turn of the dialog) in the outbox."""
        self._to(chat_id, key, hint, reply_to).record(replies)

    # --- outbound: the reply outbox's sender ---------------------------------------------------

    def parts(self, reply: Reply) -> list[tuple[Planned, int | None]]:
        """The Telegram messages of a stored reply (the first one answers ``reply_to``)."""
        t = self._catalog(reply.lang)
        planned: list[Planned] = []
        run: list[Outbound] = []

        def flush() -> None:
            if run:
                planned.extend(plan_messages(run, t, self._data_for, self._text_limit, self._catalog))
                run.clear()

        for item in reply.messages:
            if isinstance(item, Mapping):
                flush()
                if item.get("_t") == PLANNED:
                    markup = item.get("markup")
                    keyboard = InlineKeyboardMarkup.de_json(markup, self._app.bot) if markup else None
                    planned.append(Planned(str(item["html"]), str(item["plain"]), keyboard))
                else:
                    log.warning("telegram.unknown_item reply=%d type=%s", reply.id, item.get("_t"))
            else:
                run.append(item)
        flush()
        reply_to = reply.extra.get("reply_to")
        return [(p, reply_to if i == 0 else None) for i, p in enumerate(planned)]

    async def send(self, reply: Reply, part: Any) -> Verdict:
        """Send one part: a picture or a document (:mod:`bot.channels.telegram.media`; when
        Telegram refuses the file, its alt text or caption instead), or a message (HTML, or as
        plain text if Telegram refuses the HTML)."""
        planned, reply_to = part
        chat: int | str = int(reply.chat_id) if re.fullmatch(r"-?\d+", reply.chat_id) else reply.chat_id
        answer = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to is not None else None
        if planned.media is not None:
            try:
                await send_media(
                    self._app.bot, chat, planned.media, file_ids=self._file_ids, reply_parameters=answer
                )
                return Sent()
            except RetryAfter as exc:
                return Again(f"429: {exc.message}", wait=max(retry_after_seconds(exc), 0.01))
            except Forbidden as exc:
                log.info("telegram.forbidden chat=%s error=%s", chat, exc)
                return Undeliverable(exc.message)
            except (TelegramError, MediaTooLarge) as exc:
                if isinstance(exc, TimedOut) or (isinstance(exc, NetworkError) and not _refusal(exc)):
                    return Again(exc.message)  # no answer: it may have left, send it again
                log.error(
                    "telegram.media_refused chat=%s file=%s error=%s (sending its text instead)",
                    chat,
                    planned.media.filename,
                    exc,
                )
                text = unsent_text(planned.media, self._catalog(reply.lang))
                planned = Planned(escape(text), text)
        text, mode = planned.html, ParseMode.HTML
        while True:
            try:
                await self._app.bot.send_message(
                    chat,
                    text,
                    parse_mode=mode,
                    reply_markup=planned.markup,
                    link_preview_options=_NO_PREVIEW,
                    reply_parameters=answer,
                )
                return Sent()
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                log.warning("telegram.retry_after chat=%s seconds=%.2f", chat, wait)
                return Again(f"429: {exc.message}", wait=max(wait, 0.01))
            except Forbidden as exc:  # blocked, kicked: nobody to tell
                log.info("telegram.forbidden chat=%s error=%s", chat, exc)
                return Undeliverable(exc.message)
            except BadRequest as exc:
                if mode is None:
                    log.error("telegram.refused chat=%s error=%s", chat, exc)
                    return Undeliverable(exc.message)
                log.error("telegram.refused_html chat=%s error=%s (sending as plain text)", chat, exc)
                text, mode = planned.plain, None  # type: ignore[assignment]
            except TelegramError as exc:  # a timeout or a dropped connection: it may have left
                log.warning("telegram.send_failed chat=%s error=%s", chat, exc)
                return Again(exc.message)

    async def _show_answer(self, message: Message, answer: str, lang: str) -> None:
        """Edit a question to show the answer chosen and drop its buttons: a clean record."""
        added = self._t(lang, "tg.chosen", answer=answer)
        if utf16_len(message.text or "") + 2 + utf16_len(added) <= self._text_limit:
            try:
                await message.edit_text(
                    f"{message.text_html}\n\n{escape(added)}",
                    parse_mode=ParseMode.HTML,
                    reply_markup=None,
                    link_preview_options=_NO_PREVIEW,
                )
                return
            except TelegramError as exc:
                log.info("telegram.edit_failed chat=%s error=%s", message.chat.id, exc)
        await self._edit_keyboard(message, None)

    async def _edit_keyboard(self, message: Message, markup: InlineKeyboardMarkup | None) -> None:
        if message.reply_markup is None and markup is None:
            return
        try:
            await message.edit_reply_markup(reply_markup=markup)
        except TelegramError as exc:  # "message is not modified", too old: the keyboard stays
            log.info("telegram.edit_failed chat=%s error=%s", message.chat.id, exc)

    async def _go_private(
        self, chat_id: int, key: SessionKey, hint: str | None, said: str, reply_to: int | None
    ) -> None:
        """In a group: the questionnaire and one's own results belong in a private chat."""
        lang = self._lang(key, hint)
        url = private_link(self._app.bot.username, said)
        text = self._t(lang, "tg.go_private")
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(self._t(lang, "tg.open_private"), url=url)]])
        item = {"_t": PLANNED, "html": escape(text), "plain": text, "markup": markup.to_dict()}
        self._to(chat_id, key, hint, reply_to).record([item])

    async def _set_commands(self) -> None:
        for language_code, lang in COMMAND_LANGUAGES:
            commands = [BotCommand(name, self._t(lang, description)) for name, description in BOT_COMMANDS]
            try:
                await self._app.bot.set_my_commands(commands, language_code=language_code)
            except TelegramError as exc:  # the bot works without its menu
                log.warning("telegram.commands_not_set language=%s error=%s", language_code, exc)

    # --- helpers ------------------------------------------------------------------------------

    def _lang(self, key: SessionKey, hint: str | None) -> str:
        return self._assistant.lang(key, hint)

    def _t(self, lang: str, message_key: str, **values: Any) -> str:
        return self._assistant.t(lang, message_key, **values)

    def _catalog(self, lang: str) -> Callable[..., str]:
        def t(message_key: str, **values: Any) -> str:
            return self._t(lang, message_key, **values)

        return t


_Answer = Callable[..., Awaitable[None]]


def _refusal(exc: NetworkError) -> bool:
    """Whether Telegram answered (400, 413, …), rather than the request failing on its way
    (a NetworkError with the transport's exception as its cause)."""
    return isinstance(exc, BadRequest) or exc.__cause__ is None


def _key(chat_id: int, user_id: int) -> SessionKey:
    return SessionKey(CHANNEL, str(chat_id), str(user_id))


def _number(text: str) -> bool:
    """A message or topic id: ASCII digits only (``"²".isdigit()``, but int() refuses it)."""
    return text.isascii() and text.isdigit() and len(text) <= 20


def _chat(chat_id: str) -> int | str:
    return int(chat_id) if re.fullmatch(r"-?\d+", chat_id) else chat_id


def _display_name(user: User | None) -> str | None:
    """How staff see a person: "王小明 (@wxm)"."""
    if user is None:
        return None
    name = " ".join(p for p in (user.first_name, user.last_name) if p).strip()
    if user.username:
        name = f"{name} (@{user.username})" if name else f"@{user.username}"
    return name or None


def channel_from_settings(settings: Settings, assistant: Assistant) -> TelegramChannel | None:
    """The Telegram channel when TELEGRAM_BOT_TOKEN is set (webhook mode when
    TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET both are), else None.

    Raises ValueError for a webhook secret Telegram would refuse."""
    if not settings.telegram_bot_token:
        return None
    url, secret = settings.telegram_webhook_url or None, settings.telegram_webhook_secret or None
    if bool(url) != bool(secret):
        log.warning(
            "telegram.webhook_incomplete: set both TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET; "
            "using long polling"
        )
        url = secret = None
    return TelegramChannel(
        assistant,
        token=settings.telegram_bot_token,
        api_base_url=settings.telegram_api_base_url,
        webhook_url=url,
        webhook_secret=secret,
    )
