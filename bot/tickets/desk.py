"""The staff desk: a hand-off becomes a ticket that staff answer from their own chat.

The person's side runs inside the assistant's turn: :meth:`TicketDesk.open_in` tells the
dialog engine of an open ticket (what the person types then goes to it), and
:meth:`TicketDesk.after_turn` stores what the turn did (a hand-off opens a ticket, a
message is added, "回到助手" closes it). Its notices are posted to the staff chat after the
turn is committed (:meth:`TicketDesk.post`).

The staff side: in the Telegram staff group (ZJTX_STAFF_CHAT=telegram:-100…) each ticket
has a notice with buttons 认领 / 关闭 / 存为常见问题 (in its own forum topic when the group
is a forum); a staff member's reply to the notice, to a message of the ticket, or in the
topic goes to the person. From WeCom (ZJTX_STAFF_CHAT=wecom:<userid>) or any private chat
staff write ``#12 答复`` or ``/reply 12 …``, ``/tickets``, ``/claim 12``, ``/close 12``,
``/save 12``, ``/faq_remove ID``. The web console's desk page calls the same methods.

Only staff (ZJTX_STAFF) act on a ticket: anyone else is ignored and logged. A staff
answer goes through the :class:`~bot.delivery.Router` to the ticket's own person, in their
channel; it never touches their session (a questionnaire in progress stays where it was).
Where that channel sends through the reply outbox (under ``zjtx serve``: Telegram, WeCom,
WeChat), the answer is stored and queued in the transaction that handles the staff
member's own update (or the console's request), and sent after it, again after a crash;
once it is delivered (or refused for good) the ticket is marked answered and staff are told
"✓ sent" (or why not) in the chat they wrote from, in the transaction that records the
delivery (:meth:`TicketDesk.settled`). A ticket's closing reaches the person the same way.
The sweep (:meth:`TicketDesk.sweep`, run every minute by ``zjtx serve``) raises a ticket
nobody claimed within ZJTX_TICKET_REMIND working hours once more in the staff chat,
and closes an answered ticket the person has not written to for ZJTX_TICKET_IDLE_DAYS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.delivery import Router, StaffBoard
from bot.knowledge import Knowledge, KnowledgeError, StaffRecord, by_language
from bot.settings import TIMEZONE
from bot.store import SessionKey, Store
from dialogs.commands import command_of
from dialogs.engine import Turn
from dialogs.i18n import Catalogs
from dialogs.messages import Choice, Inbound, Notify, Outbound, Text
from dialogs.office_hours import OfficeHours

from .store import Opening, Ticket, TicketStore

if TYPE_CHECKING:
    from bot.replies import Reply

__all__ = ["DESK_COMMANDS", "Outcome", "TicketDesk"]

log = logging.getLogger("zjtx.desk")
STAFF_LANG = "zh"
DESK_COMMANDS = frozenset({"/tickets", "/reply", "/claim", "/close", "/save", "/faq_remove"})
TEXT_LIMIT = 3000  # a staff answer (the platforms split longer messages; a person reads on a phone)
LISTED = 20
RECENT_SHOWN = 6
_HASH = re.compile(r"^#(\d{1,9})[\s:：，,]+(.+)$", re.DOTALL)
_ID = re.compile(r"^#?(\d{1,9})$")


def is_ticket_answer(text: str) -> bool:
    """Whether `text` is a staff answer written as "#12 text" (in any chat, as a reply or not)."""
    return _HASH.match(text.strip()) is not None


STATES = {
    "open": "desk.state.open",
    "claimed": "desk.state.claimed",
    "answered": "desk.state.answered",
    "closed": "desk.state.closed",
}
CLOSED_BY = {
    "staff": "desk.closed.staff",
    "idle": "desk.closed.idle",
    "person": "desk.closed.person",
}
UNDELIVERED = {
    "no_channel": "desk.staff.undelivered.no_channel",
    "refused": "desk.staff.undelivered.refused",
    "later": "desk.staff.undelivered.later",
    "uncertain": "desk.staff.undelivered.uncertain",
}
CHANNEL_NAMES = {
    "telegram": "web.channel.telegram",
    "wecom": "web.channel.wecom",
    "wechat": "web.channel.wechat",
    "console": "web.channel.console",
}


class Records(Protocol):
    """Where a staff member's update records what is said back (bot.mailroom.Recorder):
    called inside the transaction, it also marks the update handled."""

    def record(self, replies: Sequence[Outbound]) -> None: ...


@dataclass
class StaffTurn:
    """A staff member's update being handled: who wrote where, in what language, and where
    the answer goes. What the desk says back is recorded (once) in the transaction that
    does what the update asked for."""

    key: SessionKey
    lang: str
    reply: Records | None = None
    button: bool = False
    said: list[Outbound] | None = None  # recorded already

    def record(self, replies: Sequence[Outbound]) -> None:
        if self.said is None:
            if self.reply is not None:
                self.reply.record(replies)
            self.said = list(replies)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a staff action did: ``ok``, the catalog ``key`` that says so to staff, the ticket."""

    ok: bool
    key: str
    ticket: Ticket | None = None
    detail: str = ""


class TicketDesk:
    """Tickets between people and the secretariat (see the module docstring)."""

    def __init__(
        self,
        store: TicketStore,
        sessions: Store,
        catalogs: Catalogs,
        router: Router,
        *,
        staff: frozenset[str] = frozenset(),
        staff_chat: str | None = None,
        office: OfficeHours | None = None,
        remind_hours: float = 4.0,
        idle_days: float = 7.0,
        clock: Callable[[], float] = time.time,
        knowledge: Knowledge | None = None,
        topic_of: Callable[[str], str | None] | None = None,
    ) -> None:
        self.store = store
        self.sessions = sessions
        self.cat = catalogs
        self.router = router
        self.staff = staff
        self.staff_chat = staff_chat or None
        self.office = office or OfficeHours.parse(None)
        self.remind_hours = remind_hours
        self.idle_days = idle_days
        self.clock = clock
        self.knowledge = knowledge
        self.topic_of = topic_of or (lambda _text: None)

    # ------------------------------------------------------------ helpers

    def t(self, lang: str, key: str, **values: object) -> str:
        return self.cat.text(lang, key, **values)

    @property
    def _staff_channel(self) -> tuple[str, str] | None:
        if not self.staff_chat:
            return None
        channel, _, chat = self.staff_chat.partition(":")
        return channel, chat

    def in_staff_chat(self, key: SessionKey) -> bool:
        where = self._staff_channel
        return where is not None and (key.channel, key.chat_id) == where

    def _board(self, staff_chat: str | None) -> tuple[StaffBoard, str] | None:
        if not staff_chat:
            return None
        channel, _, chat = staff_chat.partition(":")
        board = self.router.board(channel)
        return (board, chat) if board is not None else None

    def _now_dt(self, now: float) -> datetime:
        return datetime.fromtimestamp(now, UTC)

    def _clock_text(self, at: float | None) -> str:
        return "" if at is None else datetime.fromtimestamp(at, TIMEZONE).strftime("%m-%d %H:%M")

    def channel_label(self, lang: str, channel: str) -> str:
        key = CHANNEL_NAMES.get(channel)
        return self.t(lang, key) if key is not None else channel

    # ------------------------------------------------------------ the person's side

    def open_in(self, key: SessionKey) -> Ticket | None:
        """The person's open ticket in this chat, which what they type goes to."""
        return self.store.open_in(key)

    def after_turn(
        self, key: SessionKey, inbound: Inbound, turn: Turn, ticket: Ticket | None
    ) -> list[Notify]:
        """Store what a person's (committed) turn did to their ticket; return the notices
        to post in the staff chat (:meth:`post`)."""
        now = self.clock()
        out: list[Notify] = []
        if turn.to_ticket is not None and ticket is not None:
            self.store.person_wrote(ticket.id, turn.to_ticket, now, inbound.name, key.channel)
            out.append(Notify("ticket.message", turn.to_ticket, {"ticket_id": ticket.id}))
        if turn.release_ticket and ticket is not None:
            _, closed = self.store.close(ticket.id, "person", "person", now)
            if closed:
                out.append(Notify("ticket.released", "", {"ticket_id": ticket.id}))
        for notice in turn.notices:
            if notice.kind != "handoff":
                continue
            recent = [said.model_dump() for said in turn.session.recent][:-2]  # before this exchange
            subject = notice.text
            if notice.data.get("reason") == "asked_for_human":  # "转人工": what was asked before
                earlier = [
                    r["text"] for r in recent if r["who"] == "person" and not r["text"].startswith("/")
                ]
                subject = earlier[-1] if earlier else subject
            opened, created = self.store.open(
                Opening(
                    key=key,
                    question=notice.text,
                    lang=str(notice.data.get("lang") or turn.session.lang),
                    now=now,
                    name=inbound.name,
                    reason=str(notice.data.get("reason") or ""),
                    topic=self.topic_of(subject),
                    recent=recent,
                    last=self.sessions.last_assessment(key.channel, key.user_id),
                    in_hours=self.office.is_open(self._now_dt(now)),
                    remind_at=self.office.add_working(self._now_dt(now), self.remind_hours).timestamp(),
                    staff_chat=self.staff_chat,
                )
            )
            kind = "ticket.opened" if created else "ticket.message"
            out.append(Notify(kind, notice.text, {"ticket_id": opened.id}))
            log.info("desk.%s ticket=%s key=%s", "opened" if created else "added", opened.id, key)
        return out

    async def post(self, notice: Notify) -> None:
        """Post a ticket's news to the staff chat: the new ticket's notice (in its own topic
        in a forum), a message of the person, the person's leaving."""
        ticket = self.store.get(int(notice.data.get("ticket_id", 0)))
        if ticket is None:
            return
        if notice.kind == "ticket.opened" or ticket.notice_id is None:
            await self._announce(ticket)
            if notice.kind == "ticket.opened":
                return
        if notice.kind == "ticket.message":
            text = self.t(
                STAFF_LANG, "desk.staff.person_wrote", id=ticket.id, name=ticket.who, text=notice.text
            )
            await self._post_in_thread(ticket, text)
        elif notice.kind == "ticket.released":
            await self._post_in_thread(ticket, self.t(STAFF_LANG, "desk.staff.released", id=ticket.id))
            await self._refresh_notice(ticket)

    async def _announce(self, ticket: Ticket) -> None:
        found = self._board(ticket.staff_chat or self.staff_chat)
        if found is None:
            log.warning("desk.no_staff_board ticket=%s staff_chat=%s", ticket.id, ticket.staff_chat)
            return
        board, chat = found
        staff_chat = ticket.staff_chat or self.staff_chat or ""
        title = self.t(STAFF_LANG, "desk.topic", id=ticket.id, question=_clip(ticket.question, 60))
        thread = await board.open_topic(chat, title)
        posted = await board.post_staff(
            chat, self.notice_text(ticket), buttons=self.buttons(ticket), thread=thread
        )
        if posted is None:
            log.error("desk.notice_unposted ticket=%s (the sweep raises it again)", ticket.id)
            return
        self.store.set_notice(ticket.id, staff_chat, posted.message_id, posted.thread or thread)

    async def _post_in_thread(self, ticket: Ticket, text: str, buttons: Sequence[Choice] = ()) -> None:
        """Post in the ticket's place in the staff chat: its topic, or as a reply to its notice."""
        found = self._board(ticket.staff_chat)
        if found is None:
            log.info("desk.staff_post_skipped ticket=%s: %s", ticket.id, text)
            return
        board, chat = found
        reply_to = None if ticket.thread else ticket.notice_id
        posted = await board.post_staff(chat, text, buttons=buttons, reply_to=reply_to, thread=ticket.thread)
        if posted is not None and ticket.staff_chat:
            self.store.add_post(ticket.staff_chat, posted.message_id, ticket.id)

    async def _refresh_notice(self, ticket: Ticket) -> None:
        """Show the ticket's state (who claimed and answered it) on its notice."""
        found = self._board(ticket.staff_chat)
        if found is None or ticket.notice_id is None:
            return
        board, chat = found
        await board.edit_staff(chat, ticket.notice_id, self.notice_text(ticket), buttons=self.buttons(ticket))

    def notice_text(self, ticket: Ticket, lang: str = STAFF_LANG) -> str:
        """The ticket as the staff chat reads it: who, where, the question, the last
        result, the recent conversation, its state and how to answer."""
        t = self.t
        lines = [
            t(lang, "desk.notice.head", id=ticket.id, state=t(lang, STATES[ticket.state])),
            t(lang, "desk.notice.who", name=ticket.who, channel=self.channel_label(lang, ticket.key.channel),
              user=ticket.key.user_id),
            t(lang, "desk.notice.question", question=_clip(ticket.question, 1000)),
        ]  # fmt: skip
        if ticket.score is not None or ticket.tier:
            tier = self._tier_label(ticket.tier, lang) or t(lang, "value.none")
            score = t(lang, "value.none") if ticket.score is None else ticket.score
            lines.append(t(lang, "desk.notice.result", score=score, tier=tier))
        else:
            lines.append(t(lang, "desk.notice.no_result"))
        if ticket.recent:
            lines.append(t(lang, "desk.notice.recent"))
            for said in ticket.recent[-RECENT_SHOWN:]:
                key = (
                    "desk.notice.said_person" if said.get("who") == "person" else "desk.notice.said_assistant"
                )
                lines.append(t(lang, key, text=_clip(str(said.get("text", "")), 80)))
        if ticket.claimed_by:
            lines.append(t(lang, "desk.notice.claimed", name=ticket.claimed_name or ticket.claimed_by,
                           at=self._clock_text(ticket.claimed_at)))  # fmt: skip
        if ticket.answered_at:
            answered = ticket.answered_name or ticket.answered_by or ""
            lines.append(
                t(lang, "desk.notice.answered", name=answered, at=self._clock_text(ticket.answered_at))
            )
        if ticket.state == "closed":
            reason = t(lang, CLOSED_BY.get(ticket.close_reason or "", "desk.closed.staff"))
            lines.append(t(lang, "desk.notice.closed", reason=reason, at=self._clock_text(ticket.closed_at)))
        else:
            how = (
                "desk.notice.how_wecom"
                if (ticket.staff_chat or "").startswith("wecom:")
                else "desk.notice.how"
            )
            lines.append(t(lang, how, id=ticket.id))
        return "\n".join(lines)

    def buttons(self, ticket: Ticket, lang: str = STAFF_LANG) -> tuple[Choice, ...]:
        """认领 / 关闭 / 存为常见问题, as the ticket's state allows."""
        save = Choice(f"/save {ticket.id}", self.t(lang, "desk.button.save"))
        if ticket.state == "closed":
            return (save,) if ticket.first_reply_at else ()
        shown = []
        if ticket.claimed_by is None:
            shown.append(Choice(f"/claim {ticket.id}", self.t(lang, "desk.button.claim")))
        shown.append(Choice(f"/close {ticket.id}", self.t(lang, "desk.button.close")))
        if ticket.first_reply_at:
            shown.append(save)
        return tuple(shown)

    def _tier_label(self, tier: str | None, lang: str) -> str | None:
        from rules import default_rules

        for item in default_rules().tiers.tier:
            if item.id == tier:
                return item.label.get(lang)
        return None

    # ------------------------------------------------------------ the staff side

    def ticket_of(self, key: SessionKey, inbound: Inbound) -> int | None:
        """The ticket a message in the staff chat is about: a reply to one of its posts, or
        a message in its forum topic."""
        if not self.in_staff_chat(key) or inbound.choice is not None or inbound.is_command:
            return None
        staff_chat = self.staff_chat or ""
        if inbound.reply_to:
            found = self.store.by_post(staff_chat, inbound.reply_to)
            if found is not None:
                return found
        if inbound.thread:
            return self.store.by_thread(staff_chat, inbound.thread)
        return None

    def claims(self, key: SessionKey, inbound: Inbound, staff: bool) -> bool:
        """Whether a message is for the desk: its commands, ``#12 …`` from staff, and what
        is written to a ticket in the staff chat (by anyone: others are ignored there)."""
        command = command_of(inbound)
        if command is not None and command.name in DESK_COMMANDS:
            return True
        if staff and inbound.choice is None and _HASH.match(inbound.text.strip()):
            return True
        return self.ticket_of(key, inbound) is not None

    async def handle_staff(
        self, key: SessionKey, inbound: Inbound, *, staff: bool, reply: Records | None = None
    ) -> list[Outbound]:
        """Answer a message :meth:`claims`: act on a ticket for staff, refuse anyone else.
        ``reply`` records what is said back (and marks the update handled) in the transaction
        that does what was asked: a staff answer to a person is queued with it."""
        turn = StaffTurn(key, self.sessions.load(key).session.lang, reply, inbound.choice is not None)
        replies = await self._staff(key, inbound, staff, turn)
        if turn.said is None:
            with self.store.db.tx():
                turn.record(replies)
        return turn.said if turn.said is not None else replies

    async def _staff(self, key: SessionKey, inbound: Inbound, staff: bool, turn: StaffTurn) -> list[Outbound]:
        who = f"{key.channel}:{key.user_id}"
        lang = turn.lang
        if not staff:
            log.warning("desk.refused_non_staff who=%s chat=%s", who, key.chat_id)
            quiet = self.in_staff_chat(key) or inbound.choice is not None
            return [] if quiet else [Text(self.t(lang, "staff.only"))]
        if not self.in_staff_chat(key) and key.chat_id != key.user_id:
            # a ticket names a person and what they asked: only the staff chat and a private one
            log.warning("desk.refused_in_group who=%s chat=%s", who, key.chat_id)
            return [Text(self.t(lang, "broadcast.private_only"))]
        name = inbound.name
        button = inbound.choice is not None
        command = command_of(inbound)
        if command is None:
            ticket_id = self.ticket_of(key, inbound)
            text = inbound.text
            if ticket_id is None:
                match = _HASH.match(inbound.text.strip())
                if match is None:
                    return []
                ticket_id, text = int(match.group(1)), match.group(2)
            outcome = await self.reply(ticket_id, text, by=who, name=name, via=key.channel, turn=turn)
            return [Text(self._said(lang, outcome))]
        args = command.args
        if command.name == "/tickets":
            return [Text(self.listing_text(lang))]
        if command.name == "/faq_remove":
            return [Text(await self.remove_entry(args.strip(), by=who, lang=lang))]
        number, _, rest = args.partition(" ")
        found = _ID.match(number.strip())
        if found is None:
            return [Text(self.t(lang, "desk.staff.usage"))]
        ticket_id = int(found.group(1))
        if command.name == "/reply":
            outcome = await self.reply(ticket_id, rest, by=who, name=name, via=key.channel, turn=turn)
        elif command.name == "/claim":
            outcome = await self.claim(ticket_id, by=who, name=name)
        elif command.name == "/close":
            outcome = await self.close(ticket_id, by=who, name=name, turn=turn)
        else:
            outcome = await self.save(ticket_id, by=who, name=name)
            if button and outcome.ticket is not None:  # a button: say it where the ticket is
                await self._post_in_thread(outcome.ticket, self._said(STAFF_LANG, outcome))
                return []
        if button and outcome.ok:
            return []  # the notice now shows it
        return [Text(self._said(lang, outcome))]

    def _said(self, lang: str, outcome: Outcome) -> str:
        ticket = outcome.ticket
        values = {
            "id": ticket.id if ticket else "",
            "name": ticket.who if ticket else "",
            "channel": self.channel_label(lang, ticket.key.channel) if ticket else "",
            "claimed": (ticket.claimed_name or ticket.claimed_by or "") if ticket else "",
            "detail": outcome.detail,
        }
        return self.t(lang, outcome.key, **values)

    def listing_text(self, lang: str) -> str:
        tickets = self.store.listing(limit=LISTED)
        if not tickets:
            return self.t(lang, "desk.staff.none_open")
        lines = [
            self.t(
                lang,
                "desk.staff.list_title",
                count=sum(self.store.counts()[s] for s in STATES if s != "closed"),
            )
        ]
        for ticket in tickets:
            lines.append(
                self.t(
                    lang,
                    "desk.staff.list_line",
                    id=ticket.id,
                    state=self.t(lang, STATES[ticket.state]),
                    name=ticket.who,
                    channel=self.channel_label(lang, ticket.key.channel),
                    question=_clip(ticket.question, 40),
                )
            )
        lines.append(self.t(lang, "desk.staff.list_hint"))
        return "\n".join(lines)

    # ------------------------------------------------------------ staff actions (chat and console)

    async def reply(
        self, ticket_id: int, text: str, *, by: str, name: str | None, via: str, turn: StaffTurn | None = None
    ) -> Outcome:
        """Send a staff answer to the ticket's person, in their channel and language, marked
        as from the secretariat; store it; show it on the notice.

        Through the reply outbox (the person's channel sends through it here): stored and
        queued in one transaction with ``turn``'s update marked handled, and ``desk.staff.queued``
        at once; :meth:`settled` records the delivery and tells staff. Otherwise sent now."""
        ticket = self.store.get(ticket_id)
        text = text.strip()
        if ticket is None:
            return Outcome(False, "desk.staff.no_ticket", detail=str(ticket_id))
        if not ticket.active:
            return Outcome(False, "desk.staff.closed_already", ticket)
        if not text:
            return Outcome(False, "desk.staff.empty", ticket)
        if len(text) > TEXT_LIMIT:
            return Outcome(False, "desk.staff.too_long", ticket, detail=str(TEXT_LIMIT))
        messages = self.to_person(ticket, text)
        if self.router.durable(ticket.key.channel):
            lang = self.sessions.load(ticket.key).session.lang
            with self.store.db.tx():
                sent = self.store.sending(ticket.id, by, name, text, self.clock(), via=via)
                about: dict[str, Any] = {"ticket_message": sent}
                if turn is not None:  # where "✓ sent" goes once it is
                    about["confirm"] = {
                        "channel": turn.key.channel, "chat_id": turn.key.chat_id, "user_id": turn.key.user_id,
                        "lang": turn.lang, "extra": dict(getattr(turn.reply, "extra", None) or {}),
                    }  # fmt: skip
                    turn.record([])
                self.router.queue(ticket.key, messages, lang=lang, about=about)
            log.info("desk.queued ticket=%s by=%s via=%s", ticket.id, by, via)
            return Outcome(True, "desk.staff.queued", self.store.get(ticket.id) or ticket)
        # stored before it is sent: whatever happens next the answer is on record, and never sent twice
        sent = self.store.sending(ticket.id, by, name, text, self.clock(), via=via)
        delivered = await self.router.deliver(ticket.key, messages)
        now = self.clock()
        close_at = now + self.idle_days * 86400
        if delivered.reason == "uncertain":  # it may have gone: kept as uncertain, never sent again
            updated = self.store.get(ticket.id)
        else:
            updated = self.store.answered(
                ticket.id, sent, by, name, now, delivered=delivered.ok, close_at=close_at
            )
        if not delivered.ok:
            log.error("desk.reply_undelivered ticket=%s reason=%s", ticket.id, delivered.reason)
            key = UNDELIVERED.get(delivered.reason, UNDELIVERED["refused"])
            return Outcome(False, key, updated or ticket)
        log.info("desk.replied ticket=%s by=%s via=%s", ticket.id, by, via)
        if updated is not None:
            await self._refresh_notice(updated)
        return Outcome(True, "desk.staff.sent", updated)

    def settled(self, row: Reply, delivered: bool, reason: str) -> Callable[[], Awaitable[None]] | None:
        """The reply outbox settled a staff answer :meth:`reply` queued (inside the transaction
        that records it): the ticket is answered when it reached the person, and staff are
        told either way in the chat they wrote from. Returns the notice's refresh, for after
        the commit."""
        message_id = row.extra.get("ticket_message")
        found = self.store.message(message_id) if isinstance(message_id, int) else None
        if found is None:
            return None  # not a staff answer (a closing, a confirmation), or forgotten since
        now = self.clock()
        updated = self.store.answered(
            found.ticket_id, found.id, found.author, found.author_name, now,
            delivered=delivered, close_at=now + self.idle_days * 86400,
        )  # fmt: skip
        if delivered:
            log.info("desk.replied ticket=%s by=%s via=%s", found.ticket_id, found.author, found.via)
            outcome = Outcome(True, "desk.staff.sent", updated)
        else:
            log.error("desk.reply_undelivered ticket=%s reason=%s", found.ticket_id, reason)
            outcome = Outcome(False, UNDELIVERED["refused"], updated)
        confirm = row.extra.get("confirm")
        if isinstance(confirm, Mapping) and self.router.durable(str(confirm.get("channel"))):
            lang = str(confirm.get("lang") or STAFF_LANG)
            staff = SessionKey(
                str(confirm["channel"]), str(confirm["chat_id"]), str(confirm.get("user_id") or "")
            )
            extra = confirm.get("extra")  # the channel's own: a reply to the staff's message (its topic)
            self.router.queue(
                staff,
                [Text(self._said(lang, outcome))],
                lang=lang,
                about=extra if isinstance(extra, Mapping) else None,
                notice_about=row.user_id,  # it names the person: forgotten with them
            )
        if updated is None:
            return None
        return lambda: self._refresh_notice(updated)

    def to_person(self, ticket: Ticket, text: str) -> list[Outbound]:
        """A staff answer as the person reads it, in the language they speak now."""
        session = self.sessions.load(ticket.key).session
        lang = session.lang
        busy = session.mode in ("assess", "lead") and session.pending is not None
        hint = self.t(lang, "desk.person.continue" if busy else "desk.person.how_to_reply")
        return [Text(self.t(lang, "desk.person.reply", id=ticket.id, text=text) + "\n\n" + hint)]

    async def claim(self, ticket_id: int, *, by: str, name: str | None) -> Outcome:
        ticket, claimed = self.store.claim(ticket_id, by, name, self.clock())
        if ticket is None:
            return Outcome(False, "desk.staff.no_ticket", detail=str(ticket_id))
        if not claimed:
            key = "desk.staff.closed_already" if not ticket.active else "desk.staff.claimed_already"
            return Outcome(False, key, ticket)
        log.info("desk.claimed ticket=%s by=%s", ticket.id, by)
        await self._refresh_notice(ticket)
        return Outcome(True, "desk.staff.claimed", ticket)

    async def close(
        self,
        ticket_id: int,
        *,
        by: str,
        name: str | None,
        reason: str = "staff",
        turn: StaffTurn | None = None,
    ) -> Outcome:
        """Close a ticket and tell the person, in their language (through the reply outbox, in
        the same transaction, where their channel sends through it; ``turn``'s answer too)."""
        with self.store.db.tx():
            ticket, closed = self.store.close(ticket_id, by, reason, self.clock())
            told = closed and ticket is not None and self._queue_closed(ticket)
            if ticket is None:
                outcome = Outcome(False, "desk.staff.no_ticket", detail=str(ticket_id))
            elif not closed:
                outcome = Outcome(False, "desk.staff.closed_already", ticket)
            else:
                outcome = Outcome(True, "desk.staff.closed", ticket)
            if told and turn is not None:
                turn.record([] if turn.button else [Text(self._said(turn.lang, outcome))])
        if ticket is None or not closed:
            return outcome
        log.info("desk.closed ticket=%s by=%s reason=%s", ticket.id, by, reason)
        if not told:
            await self._tell_closed(ticket)
        await self._refresh_notice(ticket)
        return outcome

    def _closing(self, ticket: Ticket) -> tuple[list[Outbound], str]:
        lang = self.sessions.load(ticket.key).session.lang
        key = "desk.person.closed_idle" if ticket.close_reason == "idle" else "desk.person.closed"
        return [Text(self.t(lang, key, id=ticket.id))], lang

    def _queue_closed(self, ticket: Ticket) -> bool:
        """Queue the closing for the person in the transaction in progress, when their channel
        sends through the reply outbox here; False when it does not (then :meth:`_tell_closed`)."""
        if not self.router.durable(ticket.key.channel):
            return False
        messages, lang = self._closing(ticket)
        self.router.queue(ticket.key, messages, lang=lang)
        return True

    async def _tell_closed(self, ticket: Ticket) -> None:
        messages, _ = self._closing(ticket)
        delivered = await self.router.deliver(ticket.key, messages)
        if not delivered.ok:
            log.warning("desk.close_untold ticket=%s reason=%s", ticket.id, delivered.reason)

    async def save(self, ticket_id: int, *, by: str, name: str | None) -> Outcome:
        """存为常见问题: the ticket's question and its last staff answer as a knowledge-base
        entry (staff_<ticket id>), answering the next person who asks."""
        ticket = self.store.get(ticket_id)
        if ticket is None:
            return Outcome(False, "desk.staff.no_ticket", detail=str(ticket_id))
        if self.knowledge is None:
            return Outcome(False, "desk.staff.no_knowledge", ticket)
        answers = [m for m in self.store.messages(ticket.id) if m.direction == "out" and m.delivered]
        if not answers:
            return Outcome(False, "desk.staff.save_unanswered", ticket)
        record = self.record_for(ticket, answers[-1].text, by=by, name=name)
        try:
            self.knowledge.save(record, by=by)
        except KnowledgeError as exc:
            return Outcome(
                False, "desk.staff.save_refused", ticket, detail=self.t(STAFF_LANG, exc.key, **exc.values)
            )
        await self.knowledge.refresh()
        self.store.add_message(ticket.id, "note", by, f"saved:{record.id}", self.clock(), author_name=name)
        return Outcome(True, "desk.staff.saved", ticket, detail=record.id)

    def subject(self, ticket: Ticket) -> str:
        """What the ticket asks: its question, or (after a bare "转人工") what the person
        wrote first after it, else what they asked before it."""
        if ticket.reason != "asked_for_human":
            return ticket.question
        later = [m.text for m in self.store.messages(ticket.id, limit=20) if m.direction == "in"][1:]
        if later:
            return later[0]
        earlier = [
            r["text"] for r in ticket.recent if r.get("who") == "person" and not r["text"].startswith("/")
        ]
        return earlier[-1] if earlier else ticket.question

    def record_for(self, ticket: Ticket, answer: str, *, by: str, name: str | None) -> StaffRecord:
        today = datetime.fromtimestamp(self.clock(), TIMEZONE).date()
        question_zh, answer_zh, question_en, answer_en = by_language(
            _clip(self.subject(ticket), 500), answer.strip()
        )
        return StaffRecord(
            id=f"staff_{ticket.id}",
            topic=ticket.topic or "association",
            question_zh=question_zh,
            answer_zh=answer_zh,
            question_en=question_en,
            answer_en=answer_en,
            made_by=by,
            made_by_name=name,
            made_on=today,
            ticket_id=ticket.id,
        )

    async def remove_entry(self, entry_id: str, *, by: str, lang: str) -> str:
        if self.knowledge is None or not entry_id:
            return self.t(lang, "desk.staff.remove_usage")
        if not self.knowledge.remove(entry_id):
            return self.t(lang, "desk.staff.remove_unknown", id=entry_id[:60])
        await self.knowledge.refresh()
        log.info("desk.entry_removed id=%s by=%s", entry_id, by)
        return self.t(lang, "desk.staff.removed", id=entry_id)

    # ------------------------------------------------------------ timers

    async def sweep(self, now: float | None = None) -> tuple[int, int]:
        """Raise once more each ticket nobody claimed in time, close each answered ticket
        idle too long (telling its person). Returns (reminded, closed)."""
        now = self.clock() if now is None else now
        reminded = 0
        for ticket in self.store.due_reminders(now):
            if not self.store.reminded(ticket.id, now):
                continue  # another sweep took it
            if ticket.notice_id is None:
                await self._announce(ticket)
                ticket = self.store.get(ticket.id) or ticket
            text = self.t(STAFF_LANG, "desk.staff.reminder", id=ticket.id, hours=_hours(self.remind_hours))
            await self._post_in_thread(ticket, text, self.buttons(ticket))
            reminded += 1
        closed = 0
        for ticket in self.store.due_closing(now):
            with self.store.db.tx():  # closed and its person told (queued) together
                done, changed = self.store.close(ticket.id, "assistant", "idle", now)
                told = changed and done is not None and self._queue_closed(done)
            if not changed or done is None:
                continue
            log.info("desk.closed ticket=%s reason=idle", done.id)
            if not told:
                await self._tell_closed(done)
            await self._refresh_notice(done)
            closed += 1
        return reminded, closed

    async def run(self, stop: asyncio.Event, every: float = 60.0) -> None:
        """Sweep now and every ``every`` seconds until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.sweep()
            except Exception:  # the next sweep tries again; the server goes on
                log.exception("desk.sweep_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _hours(hours: float) -> str:
    return f"{hours:g}"
