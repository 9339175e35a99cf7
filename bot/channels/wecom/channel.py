"""The WeCom channel: callbacks on /wecom/callback in, app messages out, the Assistant between.

A callback is verified, then stored in the durable inbox (:mod:`bot.mailroom`) under its
replay key, and only then acknowledged with the empty 200 (503 if it cannot be stored, so
WeCom sends it again); a retry finds its row and is not handled again, even across a
restart. The inbox's dispatcher hands the rows back, one user's in order. Typed text and
button clicks go to the dialog engine; the turn, its replies and the row's "done" are
committed together, and the reply outbox sends the replies through the app API (again
after a crash).

Rendering: texts of one turn are joined and sent as few text messages as fit under 2048
bytes. The score card goes before the result as an image message and the PDF report as a
file message, both uploaded as temporary media (:mod:`bot.channels.wecom.media`). A
question or menu with choices lists them numbered, one short line each ("2. 二级"; for a
menu "1. 自测评估（/assess）", or "1. 指标明细" when the command takes words after it)
and, when they fit (one answer, at most 6 short labels), a button card follows. Digits
typed after a menu pick its command through the open menu kept in the person's session
(:mod:`dialogs.picking`), after a restart too; after a question they go to the engine,
which reads them as option numbers.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.channels.tencent import replay
from bot.channels.tencent.replay import ReplayGuard
from bot.channels.tencent.text import TEXT_LIMIT_BYTES, split_text
from bot.delivery import Posted
from bot.inbox import InboxRow
from bot.mailroom import Mailroom, Recorder
from bot.media import unsent_text
from bot.reminders import pushing
from bot.reminders.pushing import Pushed
from bot.replies import REPLY, Again, Dropped, Reply, Sent, Undeliverable, Verdict
from bot.service import Assistant
from bot.settings import Settings
from bot.store import SessionKey
from dialogs.messages import Choice, Document, Image, Inbound, Menu, Outbound, Question, Result, Text
from dialogs.picking import option_numbers

from .api import ChoiceButton, WeComApi
from .callback import CALLBACK_PATH, WeComCallback
from .config import WeComConfig
from .errors import WeComError, WeComTransportError
from .inbound import WeComInbound, parse_inbound
from .media import MediaIds, send_media

__all__ = ["CHANNEL", "StoreReplayGuard", "WeComChannel", "channel_from_settings"]

CHANNEL = "wecom"
MAX_BUTTONS = 6
# Button text WeCom suggests keeping to about 10 characters; allow 12 Chinese ones (width 2 each).
MAX_BUTTON_WIDTH = 24
GREETING_EVENTS = frozenset({"enter_agent", "subscribe"})
# app-message errcodes meaning "too many, later": the message was not sent
FLOOD_ERRCODES = frozenset({45009, 45033, 45047})
_QUESTION_ID = re.compile(r"^[A-Za-z0-9_]{1,100}$")
_TRY_LATER = frozenset({-1, 45009})  # busy, rate limited: still so after the client's retries

log = logging.getLogger("zjtx.wecom")


class StoreReplayGuard(replay.StoreReplayGuard):
    """The durable replay guard (the ``seen`` table) under the scope ``wecom``."""

    def __init__(self, seen: replay.Seen, scope: str = CHANNEL) -> None:
        super().__init__(seen, scope)


@dataclass(frozen=True, slots=True)
class _TextSend:
    content: str


@dataclass(frozen=True, slots=True)
class _CardSend:
    title: str
    task_id: str
    buttons: tuple[ChoiceButton, ...]


@dataclass(frozen=True, slots=True)
class _MediaSend:
    message: Image | Document


_Send = _TextSend | _CardSend | _MediaSend


class WeComChannel:
    """Glues the WeCom callback and app API to the Assistant (one WeCom self-built app).

    Callbacks are kept in the Assistant's inbox (``replay_guard`` is no longer used and may
    be left out); ``api`` defaults to a client of ``config.api_base_url``, and the channel
    closes it on stop.
    ``clock`` (Unix seconds) judges callback timestamps. Raises WeComCryptoError(bad_key)
    when the AES key is unusable.
    """

    name = CHANNEL

    def __init__(
        self,
        config: WeComConfig,
        assistant: Assistant,
        *,
        replay_guard: ReplayGuard | None = None,
        api: WeComApi | None = None,
        clock: Callable[[], float] = time.time,
        drain_grace_seconds: float = 15.0,
    ) -> None:
        self._config = config
        self._assistant = assistant
        self._api = api or WeComApi.from_config(config)
        self._callback = WeComCallback(config, accept=self._store_callback, clock=clock)
        self._mail: Mailroom | None = None
        self._grace = drain_grace_seconds
        self._media_ids = MediaIds()  # score cards and reports uploaded: WeCom's media_id of each
        self._posts: set[asyncio.Task[object]] = set()
        self._stopping = False
        self._stopped: asyncio.Future[None] | None = None

    # --- Channel protocol ---------------------------------------------------------------------

    def install(self, app: web.Application) -> None:
        """Add GET/POST /wecom/callback to ``app``; its shutdown stops the channel too."""
        app.add_routes(
            [
                web.get(CALLBACK_PATH, self._callback.handle_get, allow_head=False),
                web.post(CALLBACK_PATH, self._handle_post),
            ]
        )
        app.on_shutdown.append(self._stop_on_shutdown)

    async def start(self) -> None:
        """Take the callbacks stored in the inbox (those left by an earlier process first);
        WeCom pushes new ones to the shared server."""
        mail = self._assistant.mail
        if mail is None:
            raise RuntimeError(
                "the WeCom channel keeps its callbacks in SQLite: give the Assistant a SQLite store"
            )
        mail.attach(CHANNEL, handle=self._handle_row, sender=self)
        self._mail = mail
        log.info("wecom.channel_ready agent_id=%s path=%s", self._config.agent_id, CALLBACK_PATH)

    async def stop(self) -> None:
        """Refuse new callbacks (503, so WeCom retries them later), finish every delivery in
        flight (cancelling those still running after the grace period), close the API client.
        Safe to call more than once."""
        if self._stopped is None:
            self._stopped = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopped)

    async def send_notice(self, chat_id: str, text: str) -> None:
        """Send a staff notice to WeCom user ``chat_id`` (ZJTX_STAFF_CHAT=wecom:<userid>).

        Raises WeComError when WeCom refuses it after the client's retries."""
        await self._api.send_text(chat_id, text)

    async def push(self, user_id: str, replies: Sequence[Outbound]) -> Pushed:
        """Send a reminder to a WeCom user as app messages, unprompted, at once (the reminder
        scheduler keeps its own bookkeeping: never through the outbox).

        Sent when its text went (a refused button card only loses its buttons); Later for a
        flood refusal; Dropped when WeCom refused it otherwise (the user left, is outside the
        app's visible range); Uncertain when WeCom could not be reached after the client's
        retries (the message may have gone)."""
        key = SessionKey(CHANNEL, user_id, user_id)
        reply = Reply(0, CHANNEL, user_id, user_id, REPLY, self._lang(key), tuple(replies))
        sent = 0
        for step in self.parts(reply):
            try:
                if isinstance(step, _MediaSend):
                    await self._send_media(user_id, reply.lang, step.message)
                    sent += 1
                elif isinstance(step, _TextSend):
                    await self._api.send_text(user_id, step.content)
                    sent += 1
                else:
                    await self._api.send_choices(
                        user_id, title=step.title, task_id=step.task_id, buttons=step.buttons
                    )
            except WeComTransportError as exc:
                return pushing.Uncertain(f"wecom: {exc.errmsg}")
            except WeComError as exc:
                if isinstance(step, _CardSend) or sent:
                    log.warning("wecom.push_part_failed user=%s errcode=%d", user_id, exc.errcode)
                    continue
                if exc.errcode in FLOOD_ERRCODES:
                    return pushing.Later(60.0, f"wecom errcode {exc.errcode}")
                return pushing.Dropped(f"wecom errcode {exc.errcode}: {exc.errmsg}")
        return pushing.Sent()

    async def drain(self) -> None:
        """Return once every callback accepted so far has been handled and its replies sent."""
        while self._posts:
            await asyncio.wait(set(self._posts))
        if self._mail is not None:
            await self._mail.drain(CHANNEL)

    @property
    def in_flight(self) -> int:
        """Callbacks accepted whose replies are not yet sent."""
        mail = self._mail
        return 0 if mail is None else mail.dispatcher.busy + mail.postman.waiting(CHANNEL)

    # --- inbound ------------------------------------------------------------------------------

    async def _store_callback(self, inbound: WeComInbound, plaintext: bytes) -> bool:
        """Commit a verified callback to the inbox before it is acknowledged; False for one
        stored before (a replay). Raises sqlite3.Error when it cannot be stored."""
        if self._mail is None:
            raise RuntimeError("the WeCom channel is not started")
        return self._mail.accept(
            CHANNEL,
            inbound.replay_key(),
            conversation=inbound.from_user,
            user_id=inbound.from_user,
            payload=plaintext.decode("utf-8", errors="replace"),
        )

    async def _handle_row(self, row: InboxRow) -> None:
        await self.on_message(parse_inbound(row.payload.encode("utf-8")))

    async def on_message(self, inbound: WeComInbound) -> None:
        """Handle one verified, first-time callback: run the dialog step and record its replies
        (committed with the turn; the outbox sends them)."""
        key = SessionKey(CHANNEL, inbound.from_user, inbound.from_user)
        await self._replies(key, inbound, self._to(key))

    def _to(self, key: SessionKey) -> Recorder:
        assert self._mail is not None, "the WeCom channel is not started"
        return self._mail.to(CHANNEL, key.user_id, user_id=key.user_id, lang=lambda: self._lang(key))

    async def _replies(self, key: SessionKey, inbound: WeComInbound, to: Recorder) -> list[Outbound] | None:
        if inbound.kind == "text":
            typed = self._typed(key.user_id, inbound.content or "")
            return await self._assistant.handle(key, typed, reply=to)
        if inbound.kind == "event":
            return await self._event(key, inbound, to)
        # images, voice, files, video, locations, links: the dialog reads text only
        log.info("wecom.not_text kind=%s type=%s", inbound.kind, inbound.raw_type)
        replies: list[Outbound] = [Text(self._t(self._lang(key), "wecom.please_type"))]
        to.record(replies)
        return replies

    def _typed(self, user: str, content: str) -> Inbound:
        return Inbound(text=content, numbered=True)  # options are listed numbered here

    async def _event(self, key: SessionKey, inbound: WeComInbound, to: Recorder) -> list[Outbound] | None:
        event = (inbound.event or "").lower()
        event_key = (inbound.event_key or "").strip()
        if event in GREETING_EVENTS:
            return await self._assistant.handle(key, Inbound(text="/start"), reply=to)
        if event == "template_card_event" and event_key:
            return await self._clicked(key, event_key, inbound.extras.get("TaskId", ""), to)
        if event == "click" and event_key.startswith("/"):
            # the app's own menu (set up in the WeCom admin console) may carry commands
            return await self._assistant.handle(key, Inbound(choice=event_key), reply=to)
        log.debug("wecom.event_ignored event=%s", event)
        return None

    async def _clicked(self, key: SessionKey, value: str, task_id: str, to: Recorder) -> list[Outbound]:
        """A button of a card: the answer to the question the card was sent with, or a command.

        A button of a question no longer asked would answer the current one with a value
        meant for another (a "yes" of an earlier check answering "bank loans?"): it is
        refused and the current question asked again."""
        asked = _question_of(task_id)
        if asked is not None:
            pending = self._assistant.pending(key)
            if pending and pending != asked:
                log.info("wecom.stale_button asked=%s pending=%s", asked, pending)
                stale = Text(self._t(self._lang(key), "wecom.stale_button"))
                replies = [stale, *self._assistant.resume(key)]
                to.record(replies)
                return replies
        return await self._assistant.handle(key, Inbound(choice=value), reply=to)

    # --- outbound -----------------------------------------------------------------------------

    # --- outbound: the reply outbox's sender ---------------------------------------------------

    def parts(self, reply: Reply) -> list[_Send]:
        """The WeCom messages of a stored reply, each text at most 2048 bytes (one call each,
        so the outbox counts exactly what was sent)."""
        plan = self._plan(reply.lang, [m for m in reply.messages if not isinstance(m, Mapping)])
        parts: list[_Send] = []
        for step in plan:
            if isinstance(step, _TextSend):
                parts += [_TextSend(piece) for piece in split_text(step.content, TEXT_LIMIT_BYTES)]
            else:
                parts.append(step)
        return parts

    async def send(self, reply: Reply, part: Any) -> Verdict:
        """Send one part. A refused card only loses its buttons (its numbered text was sent),
        a refused picture or file becomes its text; a refused text ends the reply."""
        try:
            if isinstance(part, _MediaSend):
                await self._send_media(reply.chat_id, reply.lang, part.message)
            elif isinstance(part, _TextSend):
                await self._api.send_text(reply.chat_id, part.content)
            else:
                await self._api.send_choices(
                    reply.chat_id, title=part.title, task_id=part.task_id, buttons=part.buttons
                )
            return Sent()
        except WeComError as exc:
            if isinstance(exc, WeComTransportError) or exc.errcode in _TRY_LATER:
                return Again(str(exc))  # no answer, or busy: it may have arrived; send it again
            if isinstance(part, _CardSend):
                log.warning(
                    "wecom.card_failed user=%s errcode=%d errmsg=%s (the numbered text was sent)",
                    reply.chat_id,
                    exc.errcode,
                    exc.errmsg,
                )
                return Dropped(f"{exc.errcode} {exc.errmsg}")
            log.error(
                "wecom.reply_undelivered user=%s errcode=%d errmsg=%s", reply.chat_id, exc.errcode, exc.errmsg
            )
            return Undeliverable(f"{exc.errcode} {exc.errmsg}")

    # --- the staff desk (bot/delivery.py); a person is answered through push() --------------

    async def post_staff(
        self,
        chat_id: str,
        text: str,
        *,
        buttons: Sequence[Choice] = (),
        reply_to: str | None = None,
        thread: str | None = None,
    ) -> Posted | None:
        """Send a staff user a desk message: a text, the buttons written out as commands to
        type (a WeCom app message cannot be replied to or edited)."""
        lines = [
            text,
            *(self._t("zh", "desk.command_line", label=c.label, command=c.value) for c in buttons),
        ]
        try:
            sent = await self._api.send_text(chat_id, "\n".join(lines))
        except WeComError as exc:
            log.error(
                "wecom.staff_post_failed user=%s errcode=%d errmsg=%s", chat_id, exc.errcode, exc.errmsg
            )
            return None
        first = sent[0].msgid if sent else None
        return Posted(first or "", None)

    async def edit_staff(
        self, chat_id: str, message_id: str, text: str, *, buttons: Sequence[Choice] = ()
    ) -> bool:
        """WeCom app messages cannot be edited."""
        return False

    async def open_topic(self, chat_id: str, title: str) -> str | None:
        """WeCom has no forum topics."""
        return None

    async def _send_media(self, user: str, lang: str, message: Image | Document) -> None:
        """The picture or the file (:mod:`bot.channels.wecom.media`); when WeCom refuses it,
        its alt text or caption as text instead. Raises WeComError when that fails too."""
        try:
            await send_media(self._api, user, message, media_ids=self._media_ids)
            return
        except (WeComError, ValueError) as exc:
            if isinstance(exc, WeComTransportError) or getattr(exc, "errcode", None) in _TRY_LATER:
                raise  # no answer, or busy: the outbox sends the part again
            log.error(
                "wecom.media_refused user=%s file=%s error=%s (sending its text instead)",
                user,
                message.filename,
                exc,
            )
        await self._api.send_text(user, unsent_text(message, lambda k, **v: self._t(lang, k, **v)))

    def _plan(self, lang: str, replies: Sequence[Outbound]) -> list[_Send]:
        """The WeCom messages for one turn: texts joined, a card after the last list of choices;
        a picture, a file and a result each a message of their own; a menu too long for a card
        ends with how to pick from it."""
        with_choices = [i for i, m in enumerate(replies) if isinstance(m, Question | Menu) and m.choices]
        last_list = with_choices[-1] if with_choices else None
        plan: list[_Send] = []
        pending: list[str] = []

        def flush() -> None:
            if pending:
                plan.append(_TextSend("\n\n".join(pending)))
                pending.clear()

        for index, message in enumerate(replies):
            if isinstance(message, Image | Document):
                flush()
                plan.append(_MediaSend(message))
            elif isinstance(message, Result):
                flush()  # what a person forwards to the boss: the result alone
                pending.extend(message.parts)
                flush()
            elif isinstance(message, Text) or not message.choices:
                pending.append(message.text)
            else:
                shown_in = message.lang or lang  # a reply in the message's language keeps it here too
                card = self._card(shown_in, message) if index == last_list else None
                listed = self._with_options(shown_in, message)
                if isinstance(message, Menu) and card is None:
                    listed += "\n" + self._t(shown_in, "wecom.pick_number")
                pending.append(listed)
                flush()  # one list of numbered options per message
                if card is not None:
                    plan.append(card)
        flush()
        return plan

    def _with_options(self, lang: str, message: Question | Menu) -> str:
        if isinstance(message, Menu):
            # one short line each on a phone: a command is shown when it is one word a person
            # might type again (/join); "/details indicators" and "/whatif …" go by number
            lines = [
                self._t(lang, "wecom.menu_option", n=n, label=c.label, command=c.value)
                if " " not in c.value
                else self._t(lang, "wecom.option", n=n, label=c.label)
                for n, c in enumerate(message.choices, start=1)
            ]
        elif message.choices_in_text:
            lines = []
        else:
            lines = [
                self._t(lang, "wecom.option", n=n, label=c.label)
                for n, c in zip(option_numbers(message), message.choices, strict=True)
            ]
        return "\n".join([message.text, *lines])

    def _card(self, lang: str, message: Question | Menu) -> _CardSend | None:
        if isinstance(message, Question) and message.multi:
            return None  # one click can name only one of several answers
        choices = message.choices
        if not 1 <= len(choices) <= MAX_BUTTONS:
            return None
        if any(_display_width(c.label) > MAX_BUTTON_WIDTH for c in choices):
            return None
        buttons = tuple(ChoiceButton(key=c.value, text=c.label) for c in choices)
        if len({b.key for b in buttons}) != len(buttons):
            return None
        return _CardSend(self._t(lang, "wecom.card_title"), _task_id(message), buttons)

    # --- helpers ------------------------------------------------------------------------------

    def _lang(self, key: SessionKey) -> str:
        return self._assistant.lang(key)

    def _t(self, lang: str, message_key: str, **values: object) -> str:
        return self._assistant.t(lang, message_key, **values)

    async def _handle_post(self, request: web.Request) -> web.StreamResponse:
        if self._stopping:
            # Not acknowledged and not marked seen: WeCom retries it, to the next process.
            log.info("wecom.callback_refused reason=shutting_down")
            return web.json_response({"error": "shutting_down"}, status=503)
        task = asyncio.current_task()
        if task is not None:
            self._posts.add(task)
        try:
            return await self._callback.handle_post(request)
        finally:
            if task is not None:
                self._posts.discard(task)

    async def _stop(self) -> None:
        self._stopping = True
        if self._posts:  # callbacks past the door may still start a delivery
            await asyncio.wait(set(self._posts), timeout=self._grace)
        pending = self.in_flight
        if pending:
            log.info("wecom.draining deliveries=%d", pending)
        try:
            if self._mail is not None:  # the rest waits in the inbox and the outbox
                await self._mail.detach(CHANNEL, grace_seconds=self._grace)
                self._mail = None
        finally:
            await self._api.aclose()

    async def _stop_on_shutdown(self, _app: web.Application) -> None:
        await self.stop()


def _task_id(message: Question | Menu) -> str:
    """A card's task id, unique per app as WeCom requires; a question's carries its id so
    that a late click on it can be recognised."""
    suffix = secrets.token_hex(6)
    if isinstance(message, Question) and _QUESTION_ID.match(message.id):
        return f"q-{message.id}-{suffix}"
    return f"m-{suffix}"


def _question_of(task_id: str) -> str | None:
    """The question id a card's task id names, or None for a menu card or a foreign id."""
    if not task_id.startswith("q-"):
        return None
    question, _, _suffix = task_id[2:].rpartition("-")
    return question if _QUESTION_ID.match(question) else None


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def channel_from_settings(settings: Settings, assistant: Assistant) -> WeComChannel | None:
    """The WeCom channel when WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET, WECOM_TOKEN and
    WECOM_AES_KEY are all set; None (with a warning naming the missing ones if only some are).

    Raises WeComCryptoError(bad_key) when WECOM_AES_KEY is not a 43-character EncodingAESKey.
    """
    values = {
        "WECOM_CORP_ID": settings.wecom_corp_id,
        "WECOM_AGENT_ID": settings.wecom_agent_id,
        "WECOM_SECRET": settings.wecom_secret,
        "WECOM_TOKEN": settings.wecom_token,
        "WECOM_AES_KEY": settings.wecom_aes_key,
    }
    missing = [name for name, value in values.items() if value is None or value == ""]
    if missing:
        if len(missing) < len(values):
            log.warning("wecom.not_configured missing=%s", ",".join(missing))
        return None
    assert settings.wecom_corp_id and settings.wecom_secret and settings.wecom_token
    assert settings.wecom_aes_key and settings.wecom_agent_id is not None
    config = WeComConfig(
        corp_id=settings.wecom_corp_id,
        agent_id=settings.wecom_agent_id,
        secret=settings.wecom_secret,
        token=settings.wecom_token,
        aes_key=settings.wecom_aes_key,
        api_base_url=settings.wecom_api_base_url,
    )
    return WeComChannel(config, assistant)
