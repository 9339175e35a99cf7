"""The WeCom channel: callbacks on /wecom/callback in, app messages out, the Assistant between.

A callback is verified, de-duplicated in SQLite (``first_time("wecom", …)``, so a retry is
handled once even across a restart), acknowledged with an empty 200 at once and handled in
the background, one user's messages in order. Typed text and button clicks go to the
dialog engine; the replies are committed before they are sent through the app API.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiohttp import web

from bot.channels.tencent import replay
from bot.channels.tencent.replay import ReplayGuard
from bot.delivery import Posted
from bot.media import unsent_text
from bot.reminders.pushing import Dropped, Later, Pushed, Sent, Uncertain
from bot.service import Assistant
from bot.settings import Settings
from bot.store import SessionKey
from dialogs.messages import Choice, Document, Image, Inbound, Menu, Outbound, Question, Result, Text
from dialogs.picking import option_numbers

from .api import ChoiceButton, WeComApi
from .callback import CALLBACK_PATH, WeComCallback
from .config import WeComConfig
from .errors import WeComError, WeComTransportError
from .inbound import WeComInbound
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

    ``replay_guard`` remembers handled callbacks (use :class:`StoreReplayGuard`); ``api``
    defaults to a client of ``config.api_base_url``, and the channel closes it on stop.
    ``clock`` (Unix seconds) judges callback timestamps. Raises WeComCryptoError(bad_key)
    when the AES key is unusable.
    """

    name = CHANNEL

    def __init__(
        self,
        config: WeComConfig,
        assistant: Assistant,
        *,
        replay_guard: ReplayGuard,
        api: WeComApi | None = None,
        clock: Callable[[], float] = time.time,
        drain_grace_seconds: float = 15.0,
    ) -> None:
        self._config = config
        self._assistant = assistant
        self._api = api or WeComApi.from_config(config)
        self._callback = WeComCallback(config, self.on_message, replay_guard=replay_guard, clock=clock)
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
        """Nothing to start: WeCom pushes callbacks to the shared server."""
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
        """Send a reminder to a WeCom user as app messages, unprompted.

        Sent when its text went (a refused button card only loses its buttons); Later for a
        flood refusal; Dropped when WeCom refused it otherwise (the user left, is outside the
        app's visible range); Uncertain when WeCom could not be reached after the client's
        retries (the message may have gone)."""
        key = SessionKey(CHANNEL, user_id, user_id)
        sent = 0
        for step in self._plan(key, replies):
            try:
                if isinstance(step, _MediaSend):
                    await self._send_media(key, step.message)
                    sent += 1
                elif isinstance(step, _TextSend):
                    await self._api.send_text(user_id, step.content)
                    sent += 1
                else:
                    await self._api.send_choices(
                        user_id, title=step.title, task_id=step.task_id, buttons=step.buttons
                    )
            except WeComTransportError as exc:
                return Uncertain(f"wecom: {exc.errmsg}")
            except WeComError as exc:
                if isinstance(step, _CardSend) or sent:
                    log.warning("wecom.push_part_failed user=%s errcode=%d", user_id, exc.errcode)
                    continue
                if exc.errcode in FLOOD_ERRCODES:
                    return Later(60.0, f"wecom errcode {exc.errcode}")
                return Dropped(f"wecom errcode {exc.errcode}: {exc.errmsg}")
        return Sent()

    async def drain(self) -> None:
        """Return once every callback accepted so far has been handled and its replies sent."""
        while self._posts:
            await asyncio.wait(set(self._posts))
        await self._callback.drain()

    @property
    def in_flight(self) -> int:
        """Callbacks accepted whose replies are not yet sent."""
        return self._callback.in_flight

    # --- inbound ------------------------------------------------------------------------------

    async def on_message(self, inbound: WeComInbound) -> None:
        """Handle one verified, first-time callback: run the dialog step, send the replies."""
        key = SessionKey(CHANNEL, inbound.from_user, inbound.from_user)
        replies = await self._replies(key, inbound)
        if replies is None:
            return
        await self._send(key, inbound, replies)

    async def _replies(self, key: SessionKey, inbound: WeComInbound) -> list[Outbound] | None:
        if inbound.kind == "text":
            return await self._assistant.handle(key, self._typed(key.user_id, inbound.content or ""))
        if inbound.kind == "event":
            return await self._event(key, inbound)
        # images, voice, files, video, locations, links: the dialog reads text only
        log.info("wecom.not_text kind=%s type=%s", inbound.kind, inbound.raw_type)
        return [Text(self._t(self._lang(key), "wecom.please_type"))]

    def _typed(self, user: str, content: str) -> Inbound:
        return Inbound(text=content, numbered=True)  # options are listed numbered here

    async def _event(self, key: SessionKey, inbound: WeComInbound) -> list[Outbound] | None:
        event = (inbound.event or "").lower()
        event_key = (inbound.event_key or "").strip()
        if event in GREETING_EVENTS:
            return await self._assistant.handle(key, Inbound(text="/start"))
        if event == "template_card_event" and event_key:
            return await self._clicked(key, event_key, inbound.extras.get("TaskId", ""))
        if event == "click" and event_key.startswith("/"):
            # the app's own menu (set up in the WeCom admin console) may carry commands
            return await self._assistant.handle(key, Inbound(choice=event_key))
        log.debug("wecom.event_ignored event=%s", event)
        return None

    async def _clicked(self, key: SessionKey, value: str, task_id: str) -> list[Outbound]:
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
                return [stale, *self._assistant.resume(key)]
        return await self._assistant.handle(key, Inbound(choice=value))

    # --- outbound -----------------------------------------------------------------------------

    async def _send(self, key: SessionKey, inbound: WeComInbound, replies: Sequence[Outbound]) -> None:
        """Send the replies in order; stop at the first text WeCom refuses (after the client's
        retries) and log it with its errcode; a refused card only loses its buttons."""
        plan = self._plan(key, replies)
        for done, step in enumerate(plan):
            try:
                if isinstance(step, _MediaSend):
                    await self._send_media(key, step.message)
                elif isinstance(step, _TextSend):
                    await self._api.send_text(key.user_id, step.content)
                else:
                    await self._api.send_choices(
                        key.user_id, title=step.title, task_id=step.task_id, buttons=step.buttons
                    )
            except WeComError as exc:
                if isinstance(step, _CardSend):
                    log.warning(
                        "wecom.card_failed user=%s errcode=%d errmsg=%s (the numbered text was sent)",
                        key.user_id,
                        exc.errcode,
                        exc.errmsg,
                    )
                    continue
                log.error(
                    "wecom.reply_undelivered user=%s msg_id=%s errcode=%d errmsg=%s undelivered=%d/%d "
                    "(the turn itself is saved)",
                    key.user_id,
                    inbound.msg_id or inbound.event or "",
                    exc.errcode,
                    exc.errmsg,
                    len(plan) - done,
                    len(plan),
                )
                return

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

    async def _send_media(self, key: SessionKey, message: Image | Document) -> None:
        """The picture or the file (:mod:`bot.channels.wecom.media`); when WeCom refuses it,
        its alt text or caption as text instead. Raises WeComError when that fails too."""
        try:
            await send_media(self._api, key.user_id, message, media_ids=self._media_ids)
            return
        except (WeComError, ValueError) as exc:
            log.error(
                "wecom.media_refused user=%s file=%s error=%s (sending its text instead)",
                key.user_id,
                message.filename,
                exc,
            )
        lang = self._lang(key)
        await self._api.send_text(key.user_id, unsent_text(message, lambda k, **v: self._t(lang, k, **v)))

    def _plan(self, key: SessionKey, replies: Sequence[Outbound]) -> list[_Send]:
        """The WeCom messages for one turn: texts joined, a card after the last list of choices;
        a picture, a file and a result each a message of their own; a menu too long for a card
        ends with how to pick from it."""
        with_choices = [i for i, m in enumerate(replies) if isinstance(m, Question | Menu) and m.choices]
        last_list = with_choices[-1] if with_choices else None
        lang = self._lang(key) if with_choices else ""
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
        pending = self._callback.in_flight
        if pending:
            log.info("wecom.draining deliveries=%d", pending)
        try:
            await self._callback.drain(grace_seconds=self._grace)
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
    return WeComChannel(config, assistant, replay_guard=StoreReplayGuard(assistant))
