"""Broadcast commands in a chat: /broadcast (compose, staff only), /broadcasts (the audit
trail and reports, staff only), /subscribe and /unsubscribe (a person's chat, or a Telegram
group by its admins or staff).

The Assistant hands these commands here before the dialog engine, and every message of a
staff member who is composing (the draft is kept in its own table, keyed by the
conversation). The preview is sent through the same code as the delivery, so it shows the
broadcast exactly as Telegram targets get it; the WeCom rendering is shown beside it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.images import ImageError, check_image, size_text
from bot.settings import TIMEZONE
from bot.store import SessionKey
from dialogs.broadcast_compose import (
    Ask,
    Cancelled,
    Draft,
    Fetch,
    Problem,
    Review,
    Schedule,
    Send,
    advance,
    image_fetched,
    parse_topics,
)
from dialogs.commands import parse_command
from dialogs.i18n import Catalogs
from dialogs.messages import Choice, Inbound, Menu, Outbound, Text
from dialogs.picking import record_number

from .content import ROBOT, TELEGRAM, Content
from .markup import TELEGRAM_TEXT_LIMIT, WECOM_MARKDOWN_LIMIT_BYTES, Rendered, render
from .report import (
    local_time,
    problem_text,
    report_lines,
    summary_line,
    topic_label,
    topic_names,
    topics_label,
)
from .store import BroadcastStore
from .subscriptions import UNSUBSCRIBED

__all__ = ["COMMANDS", "BroadcastDesk", "check_text", "fetch_image"]

log = logging.getLogger("zjtx.broadcast")
COMMANDS = frozenset({"/broadcast", "/broadcasts", "/subscribe", "/unsubscribe"})


class TelegramHelper(Protocol):
    """What the desk asks Telegram (the broadcast TelegramSender does all three)."""

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool: ...

    async def chat_name(self, chat_id: str) -> str | None: ...

    async def preview(self, chat_id: str, content: Content) -> bool: ...


def check_text(source: str) -> tuple[Rendered, Problem | None]:
    """The text rendered for every platform, and why it cannot be sent (None if it can)."""
    rendered = render(source)
    if not rendered.plain.strip():
        return rendered, Problem("broadcast.text.empty")
    if rendered.telegram_visible > TELEGRAM_TEXT_LIMIT:
        return rendered, Problem(
            "broadcast.text.too_long_telegram",
            {"limit": TELEGRAM_TEXT_LIMIT, "length": rendered.telegram_visible},
        )
    if rendered.wecom_bytes > WECOM_MARKDOWN_LIMIT_BYTES:
        return rendered, Problem(
            "broadcast.text.too_long_wecom",
            {"limit": WECOM_MARKDOWN_LIMIT_BYTES, "length": rendered.wecom_bytes},
        )
    return rendered, None


def fetch_image(url: str, limit_bytes: int, timeout: float = 10.0) -> bytes:
    """The PNG or JPEG of at most ``limit_bytes`` at ``url``. Raises ImageError saying why
    it cannot be used."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # http(s): checked by the caller
            data: bytes = response.read(limit_bytes + 1)
    except (OSError, ValueError) as exc:
        log.info("broadcast.image_unreachable url=%s: %s", url, exc)
        raise ImageError("broadcast.image.unreachable") from exc
    return check_image(data, limit_bytes)


def _said(inbound: Inbound) -> str:
    return (inbound.choice if inbound.choice is not None else inbound.text).strip()


def _command(said: str) -> tuple[str | None, str]:
    """("/subscribe", "政策 活动") for "/subscribe@bot 政策 活动"; (None, said) for text."""
    command = parse_command(said)
    return (None, said) if command is None else (command.name, command.args)


@dataclass
class _Turn:
    draft: Draft | None
    action: object
    image: bytes | None


class BroadcastDesk:
    """Staff's broadcast desk and everyone's subscriptions, on the broadcast tables.

    ``telegram`` checks group admins, names chats and sends previews; ``nudge`` tells a
    worker in this process that a broadcast was queued."""

    def __init__(
        self,
        store: BroadcastStore,
        catalogs: Catalogs,
        *,
        telegram: TelegramHelper | None = None,
        wall: Callable[[], float] = time.time,
        fetch: Callable[[str], bytes] | None = None,
        nudge: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.cat = catalogs
        self.telegram = telegram
        self.wall = wall
        self.fetch = fetch or (lambda url: fetch_image(url, store.image_limit_bytes))
        self.nudge = nudge

    # --- routing --------------------------------------------------------------------------------

    def claims(self, key: SessionKey, inbound: Inbound, staff: bool) -> bool:
        """Whether this message is for the desk: its commands, or a composing staff member's text."""
        command, _ = _command(_said(inbound))
        if command in COMMANDS:
            return True
        if not staff or (command is not None and command != "/cancel"):
            return False
        return self.store.draft(key) is not None

    async def handle(self, key: SessionKey, inbound: Inbound, *, staff: bool, lang: str) -> list[Outbound]:
        """The replies to a claimed message (checks group admins and sends previews)."""
        step = await self.prepare(key, inbound, staff=staff, lang=lang)
        return step()

    async def prepare(
        self, key: SessionKey, inbound: Inbound, *, staff: bool, lang: str
    ) -> Callable[[], list[Outbound]]:
        """Ask the platforms first (group admin, chat name, the image, the preview), then
        return the step that writes and answers: the caller runs it inside the turn's
        transaction, so nothing is awaited while the database is locked."""
        said = _said(inbound)
        command, args = _command(said)
        if command in ("/subscribe", "/unsubscribe"):
            admin = None
            if self._is_group(key) and not staff and self.telegram is not None:
                admin = await self.telegram.is_chat_admin(key.chat_id, key.user_id)
            name = None
            if command == "/subscribe" and key.channel == TELEGRAM and self.telegram is not None:
                name = await self.telegram.chat_name(key.chat_id)
            return lambda: self._subscription(
                key, command, args, staff=staff, admin=admin, name=name, lang=lang
            )
        refused = self._gate(key, command, staff, lang)
        if refused is not None:
            return lambda: refused
        if command == "/broadcasts":
            return lambda: self._broadcasts(args, lang, staff_id=self._who(key))
        turn = self._begin(key, said)
        if isinstance(turn.action, Fetch):
            turn = self._fetched(turn, *(await asyncio.to_thread(self._try_fetch, turn.action.url)))
        preview = self._preview_content(key, turn)
        previewed = False
        if preview is not None and self.telegram is not None and key.channel == TELEGRAM:
            previewed = await self.telegram.preview(key.chat_id, preview)
        return lambda: self._conclude(key, turn, lang, previewed)

    def forget(self, key: SessionKey) -> int:
        """/forget: the person's drafts and their private chat's subscription go, and their
        name leaves the audit columns. Returns how many rows went."""
        return self.store.forget_person(key.channel, key.user_id, self._who(key))

    def handle_now(self, key: SessionKey, inbound: Inbound, *, staff: bool, lang: str) -> list[Outbound]:
        """The same without platform calls (the terminal): the preview comes as text."""
        said = _said(inbound)
        command, args = _command(said)
        if command in ("/subscribe", "/unsubscribe"):
            return self._subscription(key, command, args, staff=staff, admin=None, name=None, lang=lang)
        answered = self._staff_desk(key, command, args, staff, lang)
        if answered is not None:
            return answered
        turn = self._begin(key, said)
        if isinstance(turn.action, Fetch):
            turn = self._fetched(turn, *self._try_fetch(turn.action.url))
        return self._conclude(key, turn, lang, previewed=False)

    def chat_gone(self, channel: str, chat_id: str, reason: str) -> bool:
        """The bot was removed from a chat (or blocked): retire its subscription with ``reason``."""
        return self.store.retire_chat(channel, chat_id, reason, self.wall())

    # --- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _who(key: SessionKey) -> str:
        return f"{key.channel}:{key.user_id}"

    @staticmethod
    def _is_group(key: SessionKey) -> bool:
        return key.channel == TELEGRAM and key.chat_id != key.user_id

    def _t(self, lang: str, message: str, **values: object) -> str:
        return self.cat.text(lang, message, **values)

    def _staff_desk(
        self, key: SessionKey, command: str | None, args: str, staff: bool, lang: str
    ) -> list[Outbound] | None:
        """The answer when there is one before composing: a refusal, or the audit trail."""
        refused = self._gate(key, command, staff, lang)
        if refused is not None:
            return refused
        if command == "/broadcasts":
            return self._broadcasts(args, lang, staff_id=self._who(key))
        return None

    def _gate(self, key: SessionKey, command: str | None, staff: bool, lang: str) -> list[Outbound] | None:
        """Refuse composing and the audit trail to anyone but staff, and anywhere but a private chat."""
        if not staff:
            log.warning("broadcast.refused_non_staff %s command=%s", key, command)
            return [Text(self._t(lang, "staff.only"))]
        if self._is_group(key):  # drafts, previews and the audit trail are not for a group's eyes
            return [Text(self._t(lang, "broadcast.private_only"))]
        return None

    # --- subscriptions ----------------------------------------------------------------------------

    def _subscription(
        self,
        key: SessionKey,
        command: str,
        args: str,
        *,
        staff: bool,
        admin: bool | None,
        name: str | None,
        lang: str,
    ) -> list[Outbound]:
        if key.channel != TELEGRAM:
            return [Text(self._t(lang, "subscribe.not_here"))]
        group = self._is_group(key)
        if group and not staff and admin is not True:
            log.info("broadcast.subscribe_refused chat=%s user=%s", key.chat_id, key.user_id)
            return [Text(self._t(lang, "subscribe.admins_only"))]
        now = self.wall()
        known = self.store.known_topics()
        existing = self.store.subscription(TELEGRAM, key.chat_id)
        subscribed = existing is not None and existing.active
        topics: list[str] | None = None
        if args:
            topics, unknown = parse_topics(args, known, topic_names(self.cat, known))
            if unknown or topics is None:
                values = {"unknown": tuple(unknown) or (args,), "known": tuple(known)}
                return [Text(problem_text(self.cat, lang, "broadcast.compose.bad_topics", values))]
        if command == "/unsubscribe":
            if existing is None or not subscribed:
                return [Text(self._t(lang, "unsubscribe.not_subscribed"))]
            if topics:
                remaining = [t for t in (existing.topics or known) if t not in topics]
                if remaining:
                    self.store.set_topics(existing.id, remaining, now)
                    removed, kept = (
                        topics_label(self.cat, lang, topics),
                        topics_label(self.cat, lang, remaining),
                    )
                    return [Text(self._t(lang, "unsubscribe.topics_done", removed=removed, topics=kept))]
            self.store.retire(existing.id, UNSUBSCRIBED, now)
            log.info("broadcast.unsubscribed chat=%s by=%s", key.chat_id, self._who(key))
            return [Text(self._t(lang, "unsubscribe.done"))]
        if topics is None and subscribed:
            assert existing is not None
            return [self._topic_menu(lang, "subscribe.already", existing.topics, known)]
        chosen = topics if topics is not None else []
        kind = "group" if group else "private"
        label = name or (existing.name if existing else None) or f"{kind} {key.chat_id}"
        self.store.subscribe(
            TELEGRAM, key.chat_id, kind=kind, name=label, topics=chosen, by=self._who(key), now=now
        )
        log.info("broadcast.subscribed chat=%s topics=%s by=%s", key.chat_id, chosen, self._who(key))
        if chosen:
            return [Text(self._t(lang, "subscribe.done_topics", topics=topics_label(self.cat, lang, chosen)))]
        return [self._topic_menu(lang, "subscribe.done_all", (), known)]

    def _topic_menu(self, lang: str, message: str, topics: tuple[str, ...], known: list[str]) -> Menu:
        choices = tuple(
            Choice(
                f"/subscribe {t}", self._t(lang, "subscribe.only_one", topic=topic_label(self.cat, lang, t))
            )
            for t in known
        )
        return Menu(self._t(lang, message, topics=topics_label(self.cat, lang, topics)), choices)

    # --- the audit trail ----------------------------------------------------------------------------

    def _broadcasts(self, args: str, lang: str, *, staff_id: str) -> list[Outbound]:
        words = args.split()
        now = self.wall()
        if not words:
            recent = self.store.broadcasts(limit=10)
            if not recent:
                return [Text(self._t(lang, "broadcast.list.none"))]
            lines = [self._t(lang, "broadcast.list.title")]
            for b in recent:
                report = self.store.report(b.id, now)
                assert report is not None
                lines.append(summary_line(self.cat, lang, report))
            return [Text("\n".join(lines))]
        number = record_number(words[-1])
        if words[0].lower() == "cancel" and len(words) == 2 and number is not None:
            if self.store.cancel(number, staff_id):
                log.info("broadcast.cancelled id=%d by=%s", number, staff_id)
                return [Text(self._t(lang, "broadcast.cancel.done", id=number))]
            return [Text(self._t(lang, "broadcast.cancel.not_found", id=number))]
        if len(words) == 1 and number is not None:
            report = self.store.report(number, now)
            if report is None:
                return [Text(self._t(lang, "broadcast.report.not_found", id=number))]
            failures = self.store.failures(number, limit=10)
            return [Text("\n".join(report_lines(self.cat, lang, report, failures)))]
        return [Text(self._t(lang, "broadcast.usage"))]

    # --- composing ------------------------------------------------------------------------------------

    def _begin(self, key: SessionKey, said: str) -> _Turn:
        command, args = _command(said)
        stored = self.store.draft(key)
        if command == "/broadcast" and not args:  # always a fresh start
            return _Turn(Draft(), Ask("text"), None)
        if stored is None:
            if command == "/broadcast":  # a button of a finished draft
                return _Turn(None, Problem("broadcast.compose.expired"), None)
            return _Turn(Draft(), Ask("text"), None)
        draft = Draft.model_validate_json(stored[0])
        now = datetime.fromtimestamp(self.wall(), TIMEZONE)
        known = self.store.known_topics()
        new, action = advance(
            draft,
            said,
            known_topics=known,
            topic_names=topic_names(self.cat, known),
            now=now,
            check_text=lambda source: check_text(source)[1],
        )
        # the image goes with the draft once fetched; a new text or image step starts without one
        starting_over = new is not None and new.step in ("text", "image")
        return _Turn(new, action, None if starting_over else stored[1])

    def _try_fetch(self, url: str) -> tuple[bytes | None, Problem | None]:
        try:
            return self.fetch(url), None
        except ImageError as exc:
            return None, Problem(exc.key, exc.values)

    def _fetched(self, turn: _Turn, image: bytes | None, problem: Problem | None) -> _Turn:
        assert turn.draft is not None
        draft, action = image_fetched(turn.draft, problem)
        return _Turn(draft, action, image)

    def _preview_content(self, key: SessionKey, turn: _Turn) -> Content | None:
        if not isinstance(turn.action, Review) or turn.draft is None:
            return None
        rendered = render(turn.draft.source)
        return Content(
            0,
            rendered.telegram_html,
            rendered.telegram_visible,
            rendered.wecom_markdown,
            rendered.plain,
            turn.image,
        )

    def _conclude(self, key: SessionKey, turn: _Turn, lang: str, previewed: bool) -> list[Outbound]:
        """Keep the draft (or drop it), act, and say what comes next."""
        now = self.wall()
        draft, action = turn.draft, turn.action
        stored = self.store.draft(key)
        if isinstance(action, Send | Schedule):
            assert stored is not None
            final = Draft.model_validate_json(stored[0])
            return self._queue(key, final, stored[1], action, lang, now)
        if draft is None:
            self.store.drop_draft(key)
            if isinstance(action, Cancelled):
                return [Text(self._t(lang, "broadcast.compose.cancelled"))]
            assert isinstance(action, Problem)
            return [Text(problem_text(self.cat, lang, action.key, action.values))]
        self.store.save_draft(key, draft.model_dump_json(), turn.image, now)
        if isinstance(action, Problem):
            return [
                Text(problem_text(self.cat, lang, action.key, action.values)),
                *self._ask(draft, lang, turn.image),
            ]
        return self._ask(draft, lang, turn.image, previewed=previewed)

    def _ask(
        self, draft: Draft, lang: str, image: bytes | None, *, previewed: bool = False
    ) -> list[Outbound]:
        t = self._t
        cancel = Choice("/broadcast cancel", t(lang, "broadcast.compose.cancel"))
        if draft.step == "text":
            return [Text(t(lang, "broadcast.compose.ask_text"))]
        if draft.step == "image":
            no_image = Choice("/broadcast noimage", t(lang, "broadcast.compose.no_image"))
            limit = size_text(self.store.image_limit_bytes)
            return [Menu(t(lang, "broadcast.compose.ask_image", limit=limit), (no_image, cancel))]
        if draft.step == "topics":
            known = self.store.known_topics()
            choices = [
                Choice(f"/broadcast topic {topic}", topic_label(self.cat, lang, topic)) for topic in known
            ]
            choices.append(Choice("/broadcast topic 全部", t(lang, "broadcast.topics.all")))
            return [Menu(t(lang, "broadcast.compose.ask_topics"), (*choices, cancel))]
        if draft.step == "when":
            return [Menu(t(lang, "broadcast.compose.ask_when"), (cancel,))]
        rendered = render(draft.source)
        audience = self.store.audience(draft.topics)
        replies: list[Outbound] = []
        if previewed:
            replies.append(Text(t(lang, "broadcast.compose.preview_above")))
        else:
            replies.append(Text(t(lang, "broadcast.compose.preview_text", plain=rendered.plain)))
        replies.append(Text(t(lang, "broadcast.compose.preview_wecom", wecom=rendered.wecom_markdown)))
        replies.append(
            Menu(
                t(
                    lang,
                    "broadcast.compose.review",
                    telegram=audience[TELEGRAM],
                    robots=audience[ROBOT],
                    topics=topics_label(self.cat, lang, draft.topics),
                    image=t(lang, "broadcast.compose.with_image") if image else "",
                ),
                (
                    Choice("/broadcast send", t(lang, "broadcast.compose.send")),
                    Choice("/broadcast schedule", t(lang, "broadcast.compose.schedule")),
                    Choice("/broadcast edit", t(lang, "broadcast.compose.edit")),
                    cancel,
                ),
            )
        )
        return replies

    def _queue(
        self,
        key: SessionKey,
        draft: Draft,
        image: bytes | None,
        action: Send | Schedule,
        lang: str,
        now: float,
    ) -> list[Outbound]:
        rendered, problem = check_text(draft.source)
        if problem is not None:  # cannot happen for a draft that passed review; refuse anyway
            return [Text(problem_text(self.cat, lang, problem.key, problem.values))]
        send_at = now if isinstance(action, Send) else action.at.timestamp()
        broadcast = self.store.create(
            by=self._who(key),
            source=draft.source,
            rendered=rendered,
            topics=draft.topics,
            send_at=send_at,
            now=now,
            image=image,
        )
        self.store.drop_draft(key)
        log.info(
            "broadcast.queued id=%d by=%s at=%s", broadcast.id, broadcast.created_by, local_time(send_at)
        )
        if self.nudge is not None:
            self.nudge()
        audience = self.store.audience(draft.topics)
        if isinstance(action, Schedule):
            return [
                Text(self._t(lang, "broadcast.compose.scheduled", id=broadcast.id, at=local_time(send_at)))
            ]
        return [
            Text(
                self._t(
                    lang,
                    "broadcast.compose.queued",
                    id=broadcast.id,
                    telegram=audience[TELEGRAM],
                    robots=audience[ROBOT],
                )
            )
        ]
