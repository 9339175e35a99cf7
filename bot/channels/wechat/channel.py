"""The WeChat Official Account (公众号) channel: callbacks on /wechat/callback in, passive
replies and customer-service messages out, the Assistant between.

A callback is verified, stored in the durable inbox (:mod:`bot.mailroom`; a retry finds its
row and is answered as the first time was) and the person's customer-service window
recorded (:mod:`bot.channels.wechat.store`) before the dialog runs; it is not answered
when it cannot be stored (503: WeChat sends it again). The turn is committed by the
Assistant with the row's "done"; a row a crash left pending is handled at the next start
(its replies as customer-service messages). If the turn is ready within
``passive_deadline`` (2 s, well under WeChat's 5), its first message is the passive reply
in the HTTP answer, which costs no customer-service message; the rest of the turn, and
all of a turn that was late, goes out as customer-service messages once the answer is
written, each one claimed from the window first (never sent outside it: dropped and
counted). One person's messages go out in order: while earlier ones are still being
sent, a new turn is sent after them, not as a passive reply.

Rendering: texts of a turn are joined into as few messages as fit under 2,048 bytes
(WeChat refuses longer ones with 45002). A question or menu with choices lists them
numbered (the digit typed is the answer, :mod:`dialogs.picking`); a later one in the same
turn, sent as a customer-service message, is a click-to-reply menu (``msgmenu``) when it
fits (one answer, at most 10 short choices), whose click is read like the typed number,
and refused when it belongs to a question no longer asked. Pictures are uploaded as
temporary media and sent as images; documents as a signed, expiring link
(:mod:`bot.links`), since customer-service messages cannot carry files.

Messages to a follower that no turn of theirs asked for and that must not be lost (a staff
answer from the desk, a ticket's closing) wait in the reply outbox (:mod:`bot.replies`) and
go out from there as customer-service messages, each claimed from the window (one outside
it is refused for good, counted as dropped); a turn's own replies never use the outbox (the
passive reply cannot wait), nor do reminders (the scheduler's own bookkeeping).

Events: ``subscribe`` greets with the main menu; ``unsubscribe`` is remembered and nothing
more is sent; ``CLICK`` of the custom menu (``zjtx wechat menu``) runs its command;
pictures, voice and video get a short "please type".
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.channels.tencent import replay
from bot.channels.tencent.replay import ReplayGuard
from bot.channels.tencent.text import TEXT_LIMIT_BYTES, split_text, utf8_size
from bot.db import Db
from bot.inbox import CURRENT, InboxRow
from bot.links import DocumentLinks
from bot.mailroom import Mailroom, Recorder
from bot.replies import Again, Reply, Sent, Undeliverable, Verdict
from bot.service import Assistant
from bot.settings import TIMEZONE, Settings
from bot.store import SessionKey
from dialogs.i18n import Catalogs
from dialogs.messages import Document, Image, Inbound, Menu, Outbound, Question, Result, Text
from dialogs.picking import option_numbers

from .api import MENU_ITEM_LIMIT, OUT_OF_QUOTA, OUT_OF_WINDOW, UNSUBSCRIBED, WeChatApi
from .callback import CALLBACK_PATH, Answer, WeChatCallback
from .config import WeChatConfig
from .errors import WeChatError, WeChatTransportError
from .inbound import WeChatInbound, parse_inbound
from .reply import image_reply, text_reply
from .store import Shut, WeChatStore

__all__ = [
    "CHANNEL",
    "CUSTOM_MENU",
    "StoreReplayGuard",
    "WeChatChannel",
    "channel_from_settings",
    "custom_menu",
]

CHANNEL = "wechat"
PASSIVE_DEADLINE_SECONDS = 2.0
MENU_HEAD_LIMIT_BYTES = 1024
MENU_LABEL_LIMIT_BYTES = 64
MENU_TAG = "0000"  # the tag of a menu's items (a question's is 1000–9999, from its id)
# The account's custom menu: its three buttons run these commands (labels from the catalogs).
CUSTOM_MENU = ("/assess", "/faq", "/contacts")

log = logging.getLogger("zjtx.wechat")


class StoreReplayGuard(replay.StoreReplayGuard):
    """The durable replay guard (the ``seen`` table) under the scope ``wechat``."""

    def __init__(self, seen: replay.Seen, scope: str = CHANNEL) -> None:
        super().__init__(seen, scope)


# --- what one turn becomes ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Text:
    content: str


@dataclass(frozen=True, slots=True)
class _Menu:
    """A click-to-reply menu; ``numbered`` is the same as numbered text (for a passive reply,
    or when WeChat refuses the menu)."""

    head: str
    items: tuple[tuple[str, str], ...]
    tail: str
    numbered: str


@dataclass(slots=True)
class _Image:
    """A picture to upload (``render`` makes its bytes) and send; ``alt`` is sent instead when
    it cannot be."""

    render: Callable[[], bytes]
    filename: str
    alt: str
    media_id: str | None = field(default=None)


_Send = _Text | _Menu | _Image


class WeChatChannel:
    """Glues the Official Account callback and API to the Assistant.

    ``store`` keeps the followers' windows and the access token; ``replay_guard`` the
    handled callbacks (use :class:`StoreReplayGuard`); ``api`` defaults to a client of
    ``config.api_base_url`` keeping its token in ``store`` (closed on stop); ``links``
    publishes documents (None: a document is its caption only). ``clock`` is Unix time.
    Raises CryptoError(bad_key) when the AES key is unusable.
    """

    name = CHANNEL
    # a staff notice goes out only while that follower's 48-hour window is open, so a
    # hand-off here never promises a staff reply (bot.app.staff_reachable)
    notices_need_window = True

    def __init__(
        self,
        config: WeChatConfig,
        assistant: Assistant,
        *,
        store: WeChatStore,
        replay_guard: ReplayGuard | None = None,
        api: WeChatApi | None = None,
        links: DocumentLinks | None = None,
        clock: Callable[[], float] = time.time,
        passive_deadline: float = PASSIVE_DEADLINE_SECONDS,
        drain_grace_seconds: float = 15.0,
    ) -> None:
        self._config = config
        self._assistant = assistant
        self._store = store
        self._api = api or WeChatApi.from_config(config, tokens=store)
        self._links = links
        self._clock = clock
        self._deadline = passive_deadline
        self._grace = drain_grace_seconds
        # with the Assistant's inbox, a callback is stored there before it is answered, and a
        # replay is one stored before; ``replay_guard`` (the ``seen`` table) only without it
        self._mail: Mailroom | None = assistant.mail
        self._rows: dict[str, InboxRow] = {}  # stored callbacks, until their turn takes them
        self._callback = WeChatCallback(
            config,
            self.on_message,
            replay_guard=replay_guard if self._mail is None else None,
            accept=self._store_callback if self._mail is not None else None,
            clock=clock,
        )
        self._posts: set[asyncio.Task[Any]] = set()
        self._sending: dict[str, asyncio.Task[int]] = {}  # the last send task of each person
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self._stopped: asyncio.Future[None] | None = None

    # --- Channel protocol ---------------------------------------------------------------------

    def install(self, app: web.Application) -> None:
        """Add GET/POST /wechat/callback to ``app``; its shutdown stops the channel too."""
        app.add_routes(
            [
                web.get(CALLBACK_PATH, self._callback.handle_get, allow_head=False),
                web.post(CALLBACK_PATH, self._handle_post),
            ]
        )
        app.on_shutdown.append(self._stop_on_shutdown)

    async def start(self) -> None:
        """Take the callbacks a crash left pending in the inbox (their replies go as
        customer-service messages); WeChat pushes new ones to the shared server."""
        if self._mail is not None:
            self._mail.attach(CHANNEL, handle=self._handle_row, sender=self)
        safe = "aes" if self._config.aes_key else "plaintext"
        log.info("wechat.channel_ready app_id=%s mode=%s path=%s", self._config.app_id, safe, CALLBACK_PATH)

    async def stop(self) -> None:
        """Refuse new callbacks (503, so WeChat retries them later), finish the turns and sends
        in flight (cancelling those still running after the grace period), close the API
        client. Safe to call more than once."""
        if self._stopped is None:
            self._stopped = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopped)

    async def send_notice(self, chat_id: str, text: str) -> None:
        """Send a staff notice to follower ``chat_id`` (ZJTX_STAFF_CHAT=wechat:<openid>), as
        customer-service messages: only while that follower's window is open (else dropped,
        counted and logged)."""
        await self.push(chat_id, [Text(text)])

    async def push(self, openid: str, replies: Sequence[Outbound]) -> int:
        """Send ``replies`` to ``openid`` unprompted (a reminder, a notice) as customer-service
        messages, each within the person's window or not at all. Returns how many went out;
        the others are dropped and counted (``wechat_followers.dropped``)."""
        key = SessionKey(CHANNEL, openid, openid)
        return await self._enqueue(key, "push", self._plan(key, replies))

    async def drain(self) -> None:
        """Return once every callback accepted so far has been answered and its sends made."""
        while True:
            if self._mail is not None:
                await self._mail.drain(CHANNEL)  # rows a crash left, handled at start
            if not (self._posts or self._tasks):
                return
            await asyncio.wait({*self._posts, *self._tasks})

    @property
    def in_flight(self) -> int:
        """Callbacks being answered and turns whose messages are not all sent yet."""
        return len(self._posts) + len(self._tasks)

    @property
    def dropped(self) -> int:
        """Customer-service messages not sent because a window was shut (every follower)."""
        return self._store.dropped_total()

    # --- inbound ------------------------------------------------------------------------------

    async def on_message(self, inbound: WeChatInbound) -> Answer:
        """Handle one verified, first-time callback: record the window, run the dialog step,
        and answer with its first message if it is ready in time."""
        openid = inbound.from_user
        now = self._clock()
        row = self._rows.pop(inbound.replay_key(), None)
        event = (inbound.event or "").lower() if inbound.kind == "event" else ""
        if event == "unsubscribe":
            self._store.record_event(openid, now, subscribed=False)
            log.info("wechat.unsubscribed openid=%s", openid)
            if row is not None and self._mail is not None:
                self._mail.inbox.close_if_pending(row.id)
            return Answer()
        if inbound.kind == "event":
            self._store.record_event(openid, now, subscribed=True if event == "subscribe" else None)
        else:
            self._store.record_message(openid, now)
        key = SessionKey(CHANNEL, openid, openid)
        token = CURRENT.set(row)  # the turn's task copies it
        try:
            turn = self._track(asyncio.ensure_future(self._prepared(key, inbound)))
        finally:
            CURRENT.reset(token)
        earlier = self._sending.get(openid)
        if earlier is None or earlier.done():
            done, _ = await asyncio.wait({turn}, timeout=self._deadline)
            if turn in done:
                plan = turn.result()
                if not plan:
                    return Answer()
                reply = self._passive(inbound, plan[0])
                if reply is not None:
                    rest = plan[1:]
                    return Answer(reply, (lambda: self._send_later(key, inbound, rest)) if rest else None)
            else:
                log.info("wechat.passive_missed msg_id=%s deadline=%.1fs", inbound.msg_id, self._deadline)
        return Answer(None, lambda: self._send_later(key, inbound, turn))

    def _send_later(
        self, key: SessionKey, inbound: WeChatInbound, sends: Sequence[_Send] | Awaitable[list[_Send]]
    ) -> None:
        self._enqueue(key, inbound.msg_id or inbound.event or "", sends)

    async def _prepared(self, key: SessionKey, inbound: WeChatInbound) -> list[_Send]:
        """The turn's messages, the first one ready to go (a picture uploaded). Never raises:
        a failure is logged and the turn has no messages."""
        try:
            replies = await self._replies(key, inbound)
            self._close_row()
            plan = self._plan(key, replies) if replies else []
            if plan and isinstance(plan[0], _Image):
                plan[0] = await self._uploaded(key, plan[0])
            return plan
        except Exception:
            log.exception("wechat.turn_failed openid=%s msg_id=%s", key.user_id, inbound.msg_id)
            return []

    async def _replies(self, key: SessionKey, inbound: WeChatInbound) -> list[Outbound] | None:
        if inbound.kind == "text":
            content = inbound.content or ""
            if inbound.menu_id:
                return await self._menu_clicked(key, inbound.menu_id, content)
            # options are listed numbered: a digit picks from the open menu kept in the session
            return await self._assistant.handle(
                key, Inbound(text=content, numbered=True), reply=self._to(key)
            )
        if inbound.kind == "event":
            return await self._event(key, inbound)
        log.info("wechat.not_text kind=%s type=%s", inbound.kind, inbound.raw_type)
        return [Text(self._t(self._lang(key), "wechat.please_type"))]

    async def _event(self, key: SessionKey, inbound: WeChatInbound) -> list[Outbound] | None:
        event = (inbound.event or "").lower()
        event_key = (inbound.event_key or "").strip()
        if event == "subscribe":
            return await self._assistant.handle(key, Inbound(text="/start"), reply=self._to(key))
        if event == "click" and event_key.startswith("/"):
            return await self._assistant.handle(key, Inbound(choice=event_key), reply=self._to(key))
        log.debug("wechat.event_ignored event=%s", event)
        return None

    async def _menu_clicked(self, key: SessionKey, menu_id: str, content: str) -> list[Outbound]:
        """A click in a customer-service menu: the number it stands for, typed — unless it
        belongs to a question no longer asked (refused, the current one asked again)."""
        tag, number = menu_id[:4], menu_id[4:]
        if not (menu_id.isdecimal() and number):
            return await self._assistant.handle(key, Inbound(text=content), reply=self._to(key))
        if tag == MENU_TAG:
            return await self._assistant.handle(key, Inbound(text=number, numbered=True), reply=self._to(key))
        pending = self._assistant.pending(key)
        if pending is None or _tag(pending) != tag:
            log.info("wechat.stale_choice tag=%s pending=%s", tag, pending)
            lang = self._lang(key)
            again = self._assistant.resume(key) or [self._assistant.menu(lang)]
            return [Text(self._t(lang, "wechat.stale_choice")), *again]
        return await self._assistant.handle(key, Inbound(text=number), reply=self._to(key))

    # --- the inbox ----------------------------------------------------------------------------

    async def _store_callback(self, inbound: WeChatInbound, plaintext: bytes) -> bool:
        """Commit a verified callback to the inbox before it is answered; False for one stored
        before (a replay). Raises sqlite3.Error when it cannot be stored."""
        assert self._mail is not None
        if self._stopping:
            raise RuntimeError("the WeChat channel is stopping")
        openid = inbound.from_user
        row = self._mail.store(
            CHANNEL,
            inbound.replay_key(),
            conversation=openid,
            user_id=openid,
            payload=plaintext.decode("utf-8", errors="replace"),
        )
        if row is None:
            return False
        self._rows[inbound.replay_key()] = row
        return True

    def _to(self, key: SessionKey) -> Recorder | None:
        """Marks the stored callback done with the turn (and queues its staff notices); the
        replies are this channel's to send (a passive reply cannot wait in an outbox)."""
        if self._mail is None:
            return None
        return self._mail.to(
            CHANNEL, key.user_id, user_id=key.user_id, lang=lambda: self._lang(key), outbox=False
        )

    def _close_row(self) -> None:
        """A callback whose handling needed no turn (an event ignored, "please type") is done too."""
        row = CURRENT.get()
        if row is not None and self._mail is not None:
            if row.id in self._mail.inbox.finished:
                self._mail.inbox.finished.discard(row.id)
            else:
                self._mail.inbox.close_if_pending(row.id)

    async def _handle_row(self, row: InboxRow) -> None:
        """A callback a crash left pending: its turn now, its replies as customer-service
        messages (within the person's window)."""
        inbound = parse_inbound(row.payload.encode("utf-8"))
        key = SessionKey(CHANNEL, inbound.from_user, inbound.from_user)
        replies = await self._replies(key, inbound)
        plan = self._plan(key, replies) if replies else []
        if plan:
            await self._enqueue(key, inbound.msg_id or inbound.event or "", plan)

    # --- outbound -----------------------------------------------------------------------------

    def _passive(self, inbound: WeChatInbound, first: _Send) -> bytes | None:
        at = int(self._clock())
        if isinstance(first, _Text):
            return text_reply(inbound.from_user, inbound.to_user, at, first.content)
        if isinstance(first, _Menu):
            return text_reply(inbound.from_user, inbound.to_user, at, first.numbered)
        if first.media_id is not None:
            return image_reply(inbound.from_user, inbound.to_user, at, first.media_id)
        return text_reply(inbound.from_user, inbound.to_user, at, first.alt)

    def _enqueue(
        self, key: SessionKey, what: str, sends: Sequence[_Send] | Awaitable[list[_Send]]
    ) -> asyncio.Task[int]:
        """Send ``sends`` (or the turn's, once it is ready) after this person's earlier ones;
        the task's result is how many went out."""
        previous = self._sending.get(key.user_id)

        async def run() -> int:
            if previous is not None and not previous.done():
                await asyncio.wait([previous])
            plan = await sends if isinstance(sends, Awaitable) else list(sends)
            return await self._deliver(key, what, plan)

        task: asyncio.Task[int] = self._track(asyncio.ensure_future(run()))
        self._sending[key.user_id] = task

        def finished(done: asyncio.Task[int]) -> None:
            if self._sending.get(key.user_id) is done:
                del self._sending[key.user_id]

        task.add_done_callback(finished)
        return task

    async def _deliver(self, key: SessionKey, what: str, plan: Sequence[_Send]) -> int:
        """Send ``plan`` as customer-service messages, each claimed from the window first; stop
        at the first one WeChat refuses. Returns how many were sent."""
        openid = key.user_id
        sent = 0
        for done, step in enumerate(plan):
            shut = self._store.claim_send(openid, self._clock())
            if shut is not None:
                log.warning(
                    "wechat.reply_dropped openid=%s what=%s reason=%s dropped=%d/%d",
                    openid,
                    what,
                    shut.value,
                    len(plan) - done,
                    len(plan),
                )
                for _ in plan[done + 1 :]:  # the rest would find it shut too: counted alike
                    self._store.claim_send(openid, self._clock())
                return sent
            try:
                await self._send_one(key, step)
                sent += 1
            except WeChatError as exc:
                self._refused(openid, exc)
                log.error(
                    "wechat.reply_undelivered openid=%s what=%s errcode=%d errmsg=%s undelivered=%d/%d "
                    "(the turn itself is saved)",
                    openid,
                    what,
                    exc.errcode,
                    exc.errmsg,
                    len(plan) - done,
                    len(plan),
                )
                return sent
            except Exception:
                log.exception("wechat.send_failed openid=%s what=%s", openid, what)
                return sent
        return sent

    async def _send_one(self, key: SessionKey, step: _Send) -> None:
        openid = key.user_id
        if isinstance(step, _Text):
            await self._api.send_text(openid, step.content)
        elif isinstance(step, _Menu):
            try:
                await self._api.send_menu(openid, step.head, step.items, step.tail)
            except WeChatError as exc:
                if exc.errcode in (OUT_OF_WINDOW, OUT_OF_QUOTA, UNSUBSCRIBED):
                    raise
                log.warning(
                    "wechat.menu_failed errcode=%d errmsg=%s (sent as numbered text)", exc.errcode, exc.errmsg
                )
                await self._api.send_text(openid, step.numbered)
        else:
            image = await self._uploaded(key, step)
            if image.media_id is not None:
                await self._api.send_image(openid, image.media_id)
            else:
                await self._api.send_text(openid, image.alt)

    async def _uploaded(self, key: SessionKey, image: _Image) -> _Image:
        """``image`` with its media_id, or without when it could not be drawn or uploaded."""
        if image.media_id is not None:
            return image
        try:
            # drawn in a thread: the card takes tens of milliseconds, other conversations go on
            data = await asyncio.to_thread(image.render)
            image.media_id = await self._api.upload_image(data, image.filename)
        except Exception as exc:  # the alt text goes instead; the picture is not worth the turn
            log.warning("wechat.image_failed openid=%s error=%s (its text is sent)", key.user_id, exc)
        return image

    # --- the reply outbox's sender (what the desk sends a follower) ------------------------------

    def parts(self, reply: Reply) -> list[_Send]:
        """The customer-service messages of a stored row (see :meth:`_plan`)."""
        return self._plan(SessionKey(CHANNEL, reply.chat_id, reply.chat_id), list(reply.messages))

    async def send(self, reply: Reply, part: Any) -> Verdict:
        """Send one part, claimed from the follower's window first (shut: refused for good,
        counted as dropped); no answer from WeChat or a busy one: sent again."""
        openid = reply.chat_id
        shut = self._store.claim_send(openid, self._clock())
        if shut is not None:
            log.warning(
                "wechat.reply_dropped openid=%s what=outbox row=%d reason=%s", openid, reply.id, shut.value
            )
            return Undeliverable(f"window {shut.value}")
        try:
            await self._send_one(SessionKey(CHANNEL, openid, openid), part)
        except WeChatError as exc:
            self._refused(openid, exc)
            if isinstance(exc, WeChatTransportError) or exc.errcode == -1:
                return Again(f"{exc.errcode} {exc.errmsg}")
            log.error("wechat.reply_undelivered openid=%s row=%d errcode=%d", openid, reply.id, exc.errcode)
            return Undeliverable(f"{exc.errcode} {exc.errmsg}")
        return Sent()

    def _refused(self, openid: str, exc: WeChatError) -> None:
        why = {OUT_OF_WINDOW: Shut.WINDOW, OUT_OF_QUOTA: Shut.QUOTA, UNSUBSCRIBED: Shut.UNSUBSCRIBED}.get(
            exc.errcode
        )
        if why is not None:
            self._store.close_window(openid, why, self._clock())

    # --- rendering ----------------------------------------------------------------------------

    def _plan(self, key: SessionKey, replies: Sequence[Outbound]) -> list[_Send]:
        """The WeChat messages of one turn: texts joined under 2,048 bytes, one list of choices
        per message, a click-to-reply menu for a list that cannot be in the first message."""
        lang = self._lang(key) if replies else "zh"
        plan: list[_Send] = []
        pending: list[str] = []

        def flush() -> None:
            if pending:
                plan.extend(_Text(part) for part in split_text("\n\n".join(pending), TEXT_LIMIT_BYTES))
                pending.clear()

        for message in replies:
            if isinstance(message, Image):
                flush()
                plan.extend(self.image(_renderer(message), message.filename, message.alt))
            elif isinstance(message, Document):
                pending.append(self._document(key, lang, message))
            elif isinstance(message, Result):
                pending.extend(message.parts)
            elif isinstance(message, Text) or not message.choices:
                pending.append(message.text)
            else:
                shown_in = message.lang or lang  # a reply in the message's language keeps it here too
                numbered = self._with_options(shown_in, message)
                menu = self._menu(shown_in, message, numbered) if plan else None
                if menu is not None:
                    flush()
                    plan.append(menu)
                else:
                    pending.append(numbered)
                    flush()  # one list of numbered options per message
        flush()
        return plan

    def _document(self, key: SessionKey, lang: str, message: Document) -> str:
        """A document as its caption and link; the caption alone if it cannot be written."""
        try:
            data = _renderer(message)()
        except Exception:
            log.exception("wechat.document_failed openid=%s filename=%s", key.user_id, message.filename)
            return message.caption
        return self.document_text(key, lang, message.caption, message.filename, message.mime, data)

    def image(self, render: Callable[[], bytes], filename: str, alt: str) -> list[_Send]:
        """A picture: uploaded when it is sent (``render`` draws it), ``alt`` if that fails."""
        return [_Image(render, filename, alt)]

    def document_text(
        self, key: SessionKey, lang: str, caption: str, filename: str, mime: str, data: bytes
    ) -> str:
        """A document as text: its caption and a signed link that opens it until it expires
        (the caption alone without ZJTX_PUBLIC_URL)."""
        if self._links is None:
            return caption
        link = self._links.publish(CHANNEL, key.user_id, filename, mime, data)
        until = datetime.fromtimestamp(link.expires_at, TIMEZONE).strftime("%Y-%m-%d %H:%M")
        return self._t(lang, "wechat.document_link", caption=caption, url=link.url, until=until)

    def _with_options(self, lang: str, message: Question | Menu) -> str:
        if isinstance(message, Menu):
            lines = [
                self._t(lang, "wechat.menu_option", n=n, label=c.label, command=c.value)
                for n, c in enumerate(message.choices, start=1)
            ]
        elif message.choices_in_text:
            lines = []
        else:
            lines = [
                self._t(lang, "wechat.option", n=n, label=c.label)
                for n, c in zip(option_numbers(message), message.choices, strict=True)
            ]
        return "\n".join([message.text, *lines])

    def _menu(self, lang: str, message: Question | Menu, numbered: str) -> _Menu | None:
        if isinstance(message, Question) and (message.multi or message.choices_in_text):
            return None  # one click can name only one answer; the summary numbers its own lines
        if (
            not 1 <= len(message.choices) <= MENU_ITEM_LIMIT
            or utf8_size(message.text) > MENU_HEAD_LIMIT_BYTES
        ):
            return None
        tag = _tag(message.id) if isinstance(message, Question) else MENU_TAG
        numbers = option_numbers(message)
        items = tuple(
            (f"{tag}{n}", self._t(lang, "wechat.option", n=n, label=c.label))
            for n, c in zip(numbers, message.choices, strict=True)
        )
        if any(utf8_size(content) > MENU_LABEL_LIMIT_BYTES for _, content in items):
            return None
        return _Menu(message.text, items, self._t(lang, "wechat.menu_tail"), numbered)

    # --- helpers ------------------------------------------------------------------------------

    def _lang(self, key: SessionKey) -> str:
        return self._assistant.lang(key)

    def _t(self, lang: str, message_key: str, **values: object) -> str:
        return self._assistant.t(lang, message_key, **values)

    def _track(self, task: asyncio.Future[Any]) -> asyncio.Task[Any]:
        assert isinstance(task, asyncio.Task)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _handle_post(self, request: web.Request) -> web.StreamResponse:
        if self._stopping:
            # Not answered and not marked seen: WeChat retries it, to the next process.
            log.info("wechat.callback_refused reason=shutting_down")
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
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._grace
        try:
            if self._mail is not None:  # the rows a crash left, being handled, finish
                await self._mail.detach(CHANNEL, grace_seconds=self._grace)
            if self._posts or self._tasks:
                log.info("wechat.draining in_flight=%d", self.in_flight)
            while self._posts or self._tasks:  # an answer just written may start more sends
                pending = {*self._posts, *self._tasks}
                left = deadline - loop.time()
                if left <= 0:
                    log.warning("wechat.drain_timeout cancelled=%d", len(pending))
                    for task in pending:
                        task.cancel()
                    await asyncio.gather(*pending, return_exceptions=True)
                    break
                await asyncio.wait(pending, timeout=left)
        finally:
            await self._api.aclose()

    async def _stop_on_shutdown(self, _app: web.Application) -> None:
        await self.stop()


def _renderer(message: Image | Document) -> Callable[[], bytes]:
    """Draws ``message`` (bot.media, imported when first used: Pillow and fpdf2 are large)."""

    def render() -> bytes:
        from bot.media import render as draw

        return draw(message)

    return render


def _tag(question_id: str) -> str:
    """Four digits (1000–9999) naming a question in its menu items' ids."""
    return str(zlib.crc32(question_id.encode("utf-8")) % 9000 + 1000)


def custom_menu(catalogs: Catalogs, lang: str = "zh") -> list[dict[str, str]]:
    """The account's custom menu (自定义菜单): 自测评估, 常见问题, 联系我们 (the catalogs'
    labels), each a CLICK button whose key is its command."""
    return [
        {"type": "click", "name": catalogs.text(lang, f"menu.{command.strip('/')}"), "key": command}
        for command in CUSTOM_MENU
    ]


def config_from_settings(settings: Settings) -> WeChatConfig | None:
    """The account's config when WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_TOKEN and either
    WECHAT_AES_KEY or WECHAT_PLAINTEXT=1 are set; None otherwise (with a warning naming the
    missing ones when only some are)."""
    values = {
        "WECHAT_APP_ID": settings.wechat_app_id,
        "WECHAT_APP_SECRET": settings.wechat_app_secret,
        "WECHAT_TOKEN": settings.wechat_token,
    }
    missing = [name for name, value in values.items() if not value]
    if not settings.wechat_aes_key and not settings.wechat_plaintext:
        missing.append("WECHAT_AES_KEY (or WECHAT_PLAINTEXT=1 for plaintext callbacks)")
    if missing:
        if len(missing) < len(values) + 1:
            log.warning("wechat.not_configured missing=%s", ", ".join(missing))
        return None
    assert settings.wechat_app_id and settings.wechat_app_secret and settings.wechat_token
    return WeChatConfig(
        app_id=settings.wechat_app_id,
        secret=settings.wechat_app_secret,
        token=settings.wechat_token,
        aes_key=settings.wechat_aes_key or None,
        plaintext=settings.wechat_plaintext,
        api_base_url=settings.wechat_api_base_url,
    )


def channel_from_settings(
    settings: Settings, assistant: Assistant, db: Db, links: DocumentLinks | None = None
) -> WeChatChannel | None:
    """The WeChat channel when the settings configure an account (:func:`config_from_settings`),
    its follower rows forgotten on /forget; None otherwise.

    Raises CryptoError(bad_key) when WECHAT_AES_KEY is not a 43-character EncodingAESKey."""
    config = config_from_settings(settings)
    if config is None:
        return None
    store = WeChatStore(db)
    assistant.on_forget(store.forget)
    return WeChatChannel(
        config, assistant, store=store, replay_guard=StoreReplayGuard(assistant), links=links
    )
