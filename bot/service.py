"""The assistant as channels see it: load the session, run the dialog, save, reply.

One conversation's messages are handled one at a time (a lock per session key). A turn is
one transaction: the session, a finished assessment, an enquiry, the reminders the turn
schedules or cancels, its questionnaire events, what it did to the person's ticket and,
when the channel passes a ``reply`` recorder (:class:`bot.mailroom.Recorder`), the
replies, the staff notices and the "done" of the inbox row being handled are committed
together or not at all; the replies are sent after the commit. A write that races another
process is retried on the fresh session, so no answer is lost. Staff-only commands
(/leads, /handled) answer in a private chat only; they and /forget act on the store here,
outside the dialog, and the broadcast desk (when there is one) takes /broadcast,
/broadcasts, /subscribe, /unsubscribe and the messages of a staff member composing a
broadcast. The staff desk (bot/tickets, when there is one) takes what staff write to
tickets, and keeps a person's ticket: the dialog is told of it; its posts to the staff
chat go out after the commit. /forget acts once confirmed (the dialog asks first).

What a person types may pick from the menu shown last (a number, where the channel lists
choices numbered; yes or no in a confirmation): the menu is kept in the session, stored
with the turn that showed it, so that it picks the same after a restart
(:mod:`dialogs.picking`); a menu from the desks or a reminder is kept the same way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.reminders.timing import ReminderPolicy
from bot.settings import TIMEZONE, Clock, now_in_guangzhou, today_of
from bot.store import Conflict, Lead, Loaded, SessionKey, SqliteStore, Store
from dialogs.commands import Command, parse_command
from dialogs.engine import DialogEngine, Turn
from dialogs.i18n import LANGS, Catalogs, choose_lang
from dialogs.intents import ReminderKind
from dialogs.messages import Inbound, Menu, Notify, Outbound, Question, Text
from dialogs.picking import could_pick, note, pick, record_number
from dialogs.session import Session

if TYPE_CHECKING:
    from bot.broadcast.desk import BroadcastDesk
    from bot.knowledge import Knowledge
    from bot.mailroom import Mailroom
    from bot.tickets import TicketDesk


class ConsoleLinks(Protocol):
    """What the assistant asks of the web console (bot/web) for /console."""

    def may_enter(self, staff_id: str) -> bool: ...

    def link_for(self, staff_id: str, via: str) -> str:
        """A one-time login link. Raises PermissionError for anyone not staff."""
        ...

    @property
    def link_minutes(self) -> int: ...


log = logging.getLogger("zjtx.service")
MAX_ATTEMPTS = 5
STAFF_LANG = "zh"
STORE_COMMANDS = frozenset({"/leads", "/handled", "/forget"})  # answered from the store, not the dialog
FORGET_NOW = "confirm"  # "/forget confirm": what the dialog's confirmation (a yes/no menu) sends
CONSOLE_COMMAND = "/console"  # a one-time login link to the web console, for staff in a private chat

Notifier = Callable[[Notify], Awaitable[None]]
Forgetter = Callable[[str, str], int]  # (channel, user id) -> rows deleted


def well_formed(inbound: Inbound) -> Inbound:
    """``inbound`` with any lone surrogate (a JSON update may carry one; no database or
    platform takes it) replaced by U+FFFD, the replacement character."""

    def clean(text: str) -> str:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")

    if inbound.text.isascii() and (inbound.choice is None or inbound.choice.isascii()):
        return inbound
    return dataclasses.replace(
        inbound,
        text=clean(inbound.text),
        choice=None if inbound.choice is None else clean(inbound.choice),
    )


class Reply(Protocol):
    """Where a turn's replies go (:class:`bot.mailroom.Recorder`)."""

    def record(
        self, replies: Sequence[Outbound], notices: Sequence[Notify] = (), *, erase: bool = False
    ) -> None:
        """Queue the replies and notices, inside the turn's transaction."""
        ...


class Assistant:
    """`today` dates the rules (the policies in force) and `clock` the turns (reminders,
    statistics events); given one, the other follows it: a clock's Beijing date, or the
    given day at the wall clock's time of day. `reminders` says when a questionnaire's
    reminder falls due and which channels let the assistant write unprompted for how long."""

    def __init__(
        self,
        store: Store,
        engine: DialogEngine,
        today: Callable[[], date] | None = None,
        staff: frozenset[str] = frozenset(),
        notify: Notifier | None = None,
        broadcasts: BroadcastDesk | None = None,
        *,
        clock: Clock | None = None,
        reminders: ReminderPolicy | None = None,
        mail: Mailroom | None = None,
    ) -> None:
        self.store = store
        self._mail = mail
        self.broadcasts = broadcasts
        self.engine = engine
        if clock is None:
            clock = now_in_guangzhou if today is None else _on_day(today)
        self.clock = clock
        self.today = today or today_of(clock)
        self.reminders = reminders or ReminderPolicy()
        self.staff = staff
        self.notify = notify
        self.console_links: ConsoleLinks | None = None  # set by bot/app.py when the console runs
        self.tickets: TicketDesk | None = None  # set by bot/app.py: the staff desk
        self.knowledge: Knowledge | None = None  # set by bot/app.py: the FAQ with staff entries
        self._locks: weakref.WeakValueDictionary[SessionKey, asyncio.Lock] = weakref.WeakValueDictionary()
        self._forgetters: list[Forgetter] = []

    def on_forget(self, forget: Forgetter) -> None:
        """Also run ``forget(channel, user_id)`` on /forget: what a channel or another store
        keeps about a person (the WeChat follower's window, a published report, tickets)."""
        self._forgetters.append(forget)

    @property
    def mail(self) -> Mailroom | None:
        """The inbox and reply outbox channels use (by default one on the store's database,
        when it is SQLite; None for a store in memory)."""
        if self._mail is None and isinstance(self.store, SqliteStore):
            from bot.mailroom import Mailroom

            self._mail = Mailroom(self.store.db)
        return self._mail

    def is_staff(self, key: SessionKey) -> bool:
        return f"{key.channel}:{key.user_id}" in self.staff

    # --- what channels may ask (they never reach into the store or the engine) --------------

    def lang(self, key: SessionKey, hint: str | None = None) -> str:
        """The language to speak to this person now (see :func:`dialogs.i18n.choose_lang`)."""
        session = self.store.load(key).session
        return choose_lang(session.lang, session.lang_chosen, hint)

    @property
    def catalogs(self) -> Catalogs:
        return self.engine.cat

    def t(self, lang: str, message_key: str, **values: Any) -> str:
        """A catalog message in ``lang``."""
        return self.engine.cat.text(lang, message_key, **values)

    def menu(self, lang: str, text_key: str = "menu.text") -> Menu:
        """The main menu under the message ``text_key``."""
        return self.engine.menu(Session(lang=lang), text_key)

    def pending(self, key: SessionKey) -> str | None:
        """The id of the question this person's conversation waits on, if any."""
        return self.store.load(key).session.pending

    def first_time(self, scope: str, key: str) -> bool:
        """True the first time (scope, key) is seen, False ever after (durable de-duplication
        of platform updates)."""
        return self.store.first_time(scope, key)

    def _lock(self, key: SessionKey) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(
        self, key: SessionKey, inbound: Inbound, *, reply: Reply | None = None
    ) -> list[Outbound]:
        """The replies to one message, after its effects are committed. With ``reply`` the
        replies and staff notices are recorded in the turn's transaction (and sent by the
        outbox); without, notices go to the staff notifier here. A ticket's news is posted
        to the staff chat after the commit either way."""
        inbound = well_formed(inbound)
        async with self._lock(key):
            inbound, looked = self._picked(key, inbound)
            if self.tickets is not None and self.tickets.claims(key, inbound, self.is_staff(key)):
                # what it says back is recorded with what it did (a staff answer queued for the
                # person), the update's "done" in the same transaction
                replies = await self.tickets.handle_staff(key, inbound, staff=self.is_staff(key), reply=reply)
                return self._noted(key, replies)
            if self.broadcasts is not None and self.broadcasts.claims(key, inbound, self.is_staff(key)):
                lang = self.store.load(key).session.lang
                step = await self.broadcasts.prepare(key, inbound, staff=self.is_staff(key), lang=lang)
                with self.store.transaction():
                    replies = step()
                    if reply is not None:
                        reply.record(replies)
                    self._noted(key, replies)
                return replies
            replies, notices = self.process(key, inbound, reply=reply, loaded=looked)
        for notice in notices:
            if reply is None or _posted_by_desk(notice):
                await self.send_notice(notice)
        return replies

    async def send_notice(self, notice: Notify) -> None:
        if notice.kind.startswith("ticket.") and self.tickets is not None:
            try:
                await self.tickets.post(notice)
            except Exception:  # the ticket is stored; the sweep raises an unposted one again
                log.exception("could not post a %s to the staff chat", notice.kind)
            return
        if self.notify is None:
            log.info("staff notice (no staff chat configured): %s", notice.text)
            return
        try:
            await self.notify(notice)
        except Exception:  # the person's answer is stored; a failed notice is logged, not raised
            log.exception("could not deliver a %s notice to the staff chat", notice.kind)

    def handle_now(self, key: SessionKey, inbound: Inbound) -> list[Outbound]:
        """The replies, for a caller that already serialises a conversation (the console)."""
        replies, notices = self.process(key, inbound)
        for notice in notices:
            log.info("staff notice: %s", notice.text)
        return replies

    def process(
        self, key: SessionKey, inbound: Inbound, *, reply: Reply | None = None, loaded: Loaded | None = None
    ) -> tuple[list[Outbound], list[Notify]]:
        """One turn, committed as one transaction (with ``reply``'s records). `loaded`: the
        session just loaded to see what the message picks (it was picked already), used for
        the turn's first attempt instead of loading again (a stale one meets a Conflict)."""
        inbound = well_formed(inbound)
        if loaded is None:
            inbound, loaded = self._picked(key, inbound)
        said = inbound.choice if inbound.choice is not None and inbound.choice.startswith("/") else None
        command = parse_command(said or inbound.text) if said or inbound.is_command else None
        if command is not None and command.name in STORE_COMMANDS and _from_the_store(command):
            with self.store.transaction():
                return self._noted(key, self._store_command(key, command, reply)), []
        if command is not None and command.name == CONSOLE_COMMAND:
            with self.store.transaction():
                replies = [self._console_link(key)]
                if reply is not None:
                    reply.record(replies)
                return self._noted(key, replies), []
        if self.broadcasts is not None and self.broadcasts.claims(key, inbound, self.is_staff(key)):
            with self.store.transaction():
                lang = self.store.load(key).session.lang
                replies = self.broadcasts.handle_now(key, inbound, staff=self.is_staff(key), lang=lang)
                if reply is not None:
                    reply.record(replies)
                return self._noted(key, replies), []
        kinds = self.reminders.kinds(key.channel, key.chat_id, key.user_id)
        inbound = replace(inbound.as_staff(self.is_staff(key)), remindable=kinds)
        if self.knowledge is not None:
            self.knowledge.sync()  # staff entries changed by another process are answered too
        for attempt in range(MAX_ATTEMPTS):
            try:
                with self.store.transaction():
                    return self._turn(key, inbound, kinds, reply, loaded if attempt == 0 else None)
            except Conflict:
                log.info("session %s changed underneath; handling the message again", key)
        raise Conflict(f"{key}: gave up after {MAX_ATTEMPTS} concurrent writes")

    def _turn(
        self,
        key: SessionKey,
        inbound: Inbound,
        kinds: frozenset[ReminderKind],
        reply: Reply | None,
        loaded: Loaded | None = None,
    ) -> tuple[list[Outbound], list[Notify]]:
        """One turn inside the caller's transaction: the session, an enquiry, a finished
        assessment, reminders, events, the ticket, and (``reply``) the replies, the notices
        the outbox carries and the inbox row's done."""
        loaded = self._usable(key, loaded) if loaded is not None else self._load(key)
        if loaded.corrupt:
            self.store.set_aside(key, "unreadable by this version")
        last = self.store.last_assessment(key.channel, key.user_id)
        now = self.clock()
        ticket = self.tickets.open_in(key) if self.tickets is not None else None
        turn = self.engine.handle(
            loaded.session,
            inbound,
            self.today(),
            last.last_result() if last else None,
            now=now,
            ticket=ticket.id if ticket is not None else None,
        )
        notices = [self._staff_view(key, n) for n in turn.notices]
        if turn.lead is not None:
            lead = self.store.add_lead(
                key, turn.lead.kind, turn.lead.company, turn.lead.contact, turn.lead.phone, at=now
            )
            notices.append(self._lead_notice(lead))
        timers = self.reminders.timers(turn.reminders, turn.session, now, kinds)
        self.store.save(
            key, turn.session, loaded.rev, turn.finished, timers=timers, events=turn.events, at=now
        )
        if self.tickets is not None:  # the hand-off becomes a ticket, posted after the commit
            notices = [n for n in notices if n.kind != "handoff"]
            notices += self.tickets.after_turn(key, inbound, turn, ticket)
        replies = self._with_notes(loaded.corrupt, turn)
        if reply is not None:
            reply.record(replies, [n for n in notices if not _posted_by_desk(n)])
        return replies, notices

    # --- the open menu ------------------------------------------------------------------------

    def _picked(self, key: SessionKey, inbound: Inbound) -> tuple[Inbound, Loaded | None]:
        """The message as the command it picks from the open menu, if it picks one, and the
        session loaded to see it (None when the message could pick nothing)."""
        if inbound.choice is not None or inbound.is_command:
            return inbound, None
        if not could_pick(inbound.text, numbered=inbound.numbered):
            return inbound, None  # most messages: the stored menu is not even looked at
        loaded = self.store.load(key)
        command = (
            None if loaded.corrupt else pick(loaded.session.menu, inbound.text, numbered=inbound.numbered)
        )
        return (inbound, loaded) if command is None else (replace(inbound, choice=command, text=""), loaded)

    def _noted(self, key: SessionKey, replies: list[Outbound]) -> list[Outbound]:
        """Keep the menu among `replies` (made outside the dialog: the desks, /forget, /console)
        as the session's open menu; returns `replies`."""
        self.note_shown(key, replies)
        return replies

    def note_shown(self, key: SessionKey, replies: list[Outbound]) -> None:
        """Keep the menu among `replies`, shown to this person outside a dialog turn (a desk's,
        a reminder's), as the open menu of their session (in the transaction in progress, if
        any). A session with nothing to change is not written (nor one /forget has just removed)."""
        for _ in range(MAX_ATTEMPTS):
            loaded = self.store.load(key)
            if loaded.corrupt:
                return
            menu = note(replies, loaded.session.menu)
            if menu == loaded.session.menu:
                return
            session = loaded.session.model_copy(update={"menu": menu})
            try:
                self.store.save(key, session, loaded.rev, at=self.clock())
                return
            except Conflict:
                continue
        log.warning("session %s: could not keep the menu shown", key)

    def _with_notes(self, corrupt: bool, turn: Turn) -> list[Outbound]:
        replies = list(turn.replies)
        if corrupt:
            replies.insert(0, Text(self.engine.t(turn.session, "session.corrupt")))
        return replies

    def _staff_view(self, key: SessionKey, notice: Notify) -> Notify:
        """A hand-off as the staff chat reads it: who asked, where, and the question."""
        if notice.kind != "handoff":
            return notice
        text = self.engine.t(
            Session(lang=STAFF_LANG),
            "notify.handoff",
            channel=key.channel,
            user=key.user_id,
            question=notice.text,
        )
        return Notify(notice.kind, text, {**notice.data, "chat_id": key.chat_id, "user_id": key.user_id})

    def _lead_notice(self, lead: Lead) -> Notify:
        s = Session(lang=STAFF_LANG)
        dash = self.engine.t(s, "value.none")
        text = self.engine.t(
            s,
            "notify.lead",
            id=lead.id,
            kind=self.engine.t(s, f"menu.{lead.kind}"),
            company=lead.company,
            contact=lead.contact,
            phone=lead.phone,
            channel=lead.key.channel,
            score=dash if lead.score is None else lead.score,
            tier=self._tier_label(lead.tier, s) or dash,
        )
        return Notify("lead", text, {"lead_id": lead.id})

    def _tier_label(self, tier: str | None, s: Session) -> str | None:
        for t in self.engine.rules.tiers.tier:
            if t.id == tier:
                return t.label.get(s.lang)
        return None

    def _store_command(self, key: SessionKey, command: Command, reply: Reply | None) -> list[Outbound]:
        session = self.store.load(key).session
        if command.name == "/forget":
            count = self.forget(key)
            replies: list[Outbound] = [Text(self.engine.t(session, "forget.done", count=count))]
            if reply is not None:
                reply.record(replies, erase=True)
            return replies
        replies = self._staff_command(key, command, session)
        if reply is not None:
            reply.record(replies)
        return replies

    def forget(self, key: SessionKey) -> int:
        """Delete every row that names the person of ``key``, in every table (sessions, results,
        enquiries, subscriptions of their private chat, drafts, replay keys, the inbox and
        the outbox; staff's names in audit columns are replaced). Returns how many went."""
        count = self.store.forget_user(key.channel, key.user_id)
        count += sum(forget(key.channel, key.user_id) for forget in self._forgetters)
        if self.broadcasts is not None:
            count += self.broadcasts.forget(key)
        mail = self.mail
        if mail is not None:
            count += mail.forget(key.channel, key.user_id)
        return count

    def _staff_command(self, key: SessionKey, command: Command, session: Session) -> list[Outbound]:
        t = self.engine.t
        if not self.is_staff(key):
            log.warning("refused %s from non-staff %s", command.name, key)
            return [Text(t(session, "staff.only"))]
        if key.chat_id != key.user_id:  # enquiries name people and phones: never in a group
            return [Text(t(session, "broadcast.private_only"))]
        if command.name == "/leads":
            leads = self.store.leads(open_only=True)
            if not leads:
                return [Text(t(session, "leads.none"))]
            dash = t(session, "value.none")
            lines = [t(session, "leads.title", count=len(leads))]
            for lead in leads:
                lines.append(
                    t(
                        session,
                        "leads.line",
                        id=lead.id,
                        kind=t(session, f"menu.{lead.kind}"),
                        company=lead.company,
                        contact=lead.contact,
                        phone=lead.phone,
                        score=dash if lead.score is None else lead.score,
                        tier=self._tier_label(lead.tier, session) or dash,
                        created=lead.created_at[:16].replace("T", " "),
                    )
                )
            lines.append(t(session, "leads.hint"))
            return [Text("\n".join(lines))]
        number = record_number(command.args)
        if number is None:
            return [Text(t(session, "leads.usage"))]
        if self.store.mark_handled(number, f"{key.channel}:{key.user_id}", at=self.clock()):
            return [Text(t(session, "leads.handled", id=number))]
        return [Text(t(session, "leads.not_found", id=number))]

    def _console_link(self, key: SessionKey) -> Outbound:
        """/console: a login link for staff in a private chat; a refusal for anyone else."""
        lang = self.store.load(key).session.lang
        who = f"{key.channel}:{key.user_id}"
        links = self.console_links
        if not (self.is_staff(key) or (links is not None and links.may_enter(who))):
            log.warning("refused /console from non-staff %s", key)
            return Text(self.t(lang, "staff.only"))
        if key.chat_id != key.user_id:  # a group: a login link is for one person's eyes
            return Text(self.t(lang, "web.link.private_only"))
        if links is None:
            return Text(self.t(lang, "web.link.off"))
        try:
            link = links.link_for(who, via=key.channel)
        except PermissionError:  # staff for the chat, not for the console (ZJTX_STAFF changed)
            return Text(self.t(lang, "staff.only"))
        log.info("console link sent to %s", who)  # never the link itself
        return Text(self.t(lang, "web.link.sent", link=link, minutes=links.link_minutes))

    def resume(self, key: SessionKey, lang: str | None = None) -> list[Outbound]:
        """The pending question of an unfinished questionnaire, asked again (in ``lang`` when
        it is given and is not the conversation's: how a reply in the message's language
        showed it; the question then says so, see :attr:`Question.lang`)."""
        session = self._load(key).session
        if lang is None or lang == session.lang or lang not in LANGS:
            shown = self.engine.resume(session, self.today())
        else:
            shown = self.engine.resume(session.model_copy(update={"lang": lang}), self.today())
            shown = [replace(m, lang=lang) if isinstance(m, Question | Menu) else m for m in shown]
        self.note_shown(key, shown)  # the question asked again is what a number answers now
        return shown

    def reminder(self, key: SessionKey, kind: ReminderKind) -> list[Outbound]:
        """The messages of a reminder due for this conversation, from its session as it is
        now: none when there is nothing to remind of any more (the questionnaire is over,
        the person turned reminders off or was forgotten)."""
        loaded = self._load(key)
        if loaded.corrupt or loaded.rev == 0 or loaded.session.reminders_off:
            return []
        return self.engine.reminder(loaded.session, kind, self.today())

    def _load(self, key: SessionKey) -> Loaded:
        """The stored session, or a fresh one (marked corrupt) if the dialog can't use it."""
        return self._usable(key, self.store.load(key))

    def _usable(self, key: SessionKey, loaded: Loaded) -> Loaded:
        if loaded.corrupt or self.engine.usable(loaded.session):
            return loaded
        log.warning("session %s cannot be continued by this version; starting afresh", key)
        lang = loaded.session.lang if loaded.session.lang in LANGS else "zh"
        return Loaded(Session(lang=lang), loaded.rev, True)


def _from_the_store(command: Command) -> bool:
    """/leads and /handled always; /forget once confirmed (the dialog asks first)."""
    return command.name != "/forget" or command.args.strip().lower() == FORGET_NOW


def _posted_by_desk(notice: Notify) -> bool:
    """A ticket's news: the desk posts it to the staff chat itself (with its buttons, in its
    topic), after the turn is committed; the reply outbox carries the other notices."""
    return notice.kind.startswith("ticket.")


def _on_day(today: Callable[[], date]) -> Clock:
    """A clock on the day ``today`` gives, at the wall clock's time of day (a test's fixed day)."""

    def now() -> datetime:
        return datetime.combine(today(), datetime.now(TIMEZONE).timetz())

    return now
