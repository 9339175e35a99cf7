"""The dialog engine: (session, inbound message, today) → (outbound messages, new session).

Channel-agnostic and pure: no platform, HTTP or database code. The caller stores the new
session (and a finished assessment) before it sends the replies.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from dialogs import render, report, results
from dialogs.commands import parse_command
from dialogs.faq_reply import compose, entry_reply
from dialogs.faq_search import FaqSearch, default_search
from dialogs.figures import question_figures
from dialogs.flow import (
    CONFIRM,
    CONFIRM_PREFIX,
    PLAUSIBILITY,
    STEP_BY_FIELD,
    STEPS,
    VERIFY_PREFIX,
    Context,
    Step,
    all_means,
    context,
    exceeding,
    next_step,
    options_for,
    parser_options,
    profile_of,
    progress,
    prune,
    relevant,
    summary_fields,
)
from dialogs.i18n import LANGS, Catalogs, choose_lang, load_catalogs, normalize_lang
from dialogs.intents import Event, EventKind, Reminder, ReminderKind
from dialogs.language import about, asks, asks_meaning, is_question, message_lang
from dialogs.leads import STEPS as LEAD_STEPS
from dialogs.leads import LeadKind, LeadRequest, clean_field, normalize_phone
from dialogs.messages import Choice, Document, Image, Inbound, Menu, Notify, Outbound, Question, Result, Text
from dialogs.office_hours import OfficeHours
from dialogs.outcome import Finished as Finished  # re-exported: the store and callers keep it
from dialogs.outcome import LastResult as LastResult
from dialogs.parsing import (
    SINCE_YEAR,
    AnswerError,
    Figure,
    format_decimal,
    is_skip,
    likelier_reading,
    menu_number,
    normalize,
    parse_choice,
    parse_choices,
    read_money,
    read_percent,
    read_years,
    simplified,
    strict_yes_no,
    yes_no_options,
)
from dialogs.picking import note
from dialogs.rule_answers import rule_answer
from dialogs.session import DECIMAL_FIELDS, Doubt, Reading, Session
from rules import Assessment, Rules, assess, default_rules
from rules.compare import compare
from rules.faq import FaqBase, default_faq
from rules.model import Source

# What a person with an open ticket types to come back to the assistant (or /bot).
RELEASE_WORDS = frozenset(
    {"回到助手", "返回助手", "回到机器人", "back to the assistant", "back to assistant"}
)
SUBMIT_WORDS = frozenset({"yes", "y", "ok", "确认", "提交", "确认提交", "是", "对", "好", "好的", "没问题"})
WHATIF_LABEL_COLUMNS = 36  # a what-if button's label at most; a longer one is said shorter
MENU_COMMANDS = ("/assess", "/tiers", "/subsidies", "/faq", "/contacts")
# What ends an enquiry at any of its steps, besides /cancel (compared without spaces or marks).
QUIT_WORDS: Final = frozenset(
    {
        "算了",
        "不要了",
        "不用了",
        "取消",
        "不填了",
        "不想填了",
        "先不了",
        "退出",
        "nevermind",
        "cancel",
        "quit",
    }
)
_NON_WORD: Final = re.compile(r"[\W_]+")
CONFIRM_WORD: Final = "confirm"  # "/restart confirm", "/forget confirm": the yes of a confirmation
# What /help lists, in order: everyone's commands, then staff's (handled outside the
# dialog by the assistant and the broadcast desk, listed here so that help is complete).
HELP_LINES: Final = {
    "/assess": "help.assess",
    "/back": "help.back",
    "/skip": "help.skip",
    "/restart": "help.restart",
    "/cancel": "help.cancel",
    "/result": "help.result",
    "/details": "help.details",
    "/report": "help.report",
    "/whatif": "help.whatif",
    "/tiers": "help.tiers",
    "/subsidies": "help.subsidies",
    "/contacts": "help.contacts",
    "/faq": "help.faq",
    "/join": "help.join",
    "/callme": "help.callme",
    "/remind_yearly": "help.remind_yearly",
    "/stop_reminders": "help.stop_reminders",
    "/subscribe": "help.subscribe",
    "/unsubscribe": "help.unsubscribe",
    "/lang": "help.lang",
    "/bot": "help.bot",
    "/forget": "help.forget",
    "/menu": "help.menu",
    "/help": "help.help",
}
# What /help shows: the main commands, two or three a line, to fit a phone (at most 15 lines
# of 60 columns); "/help all" lists every command above, one a line.
HELP_BRIEF: Final = (
    "help.brief.assess",
    "help.brief.back",
    "help.brief.details",
    "help.brief.whatif",
    "help.brief.subsidies",
    "help.brief.faq",
    "help.brief.lang",
)
HELP_ALL_WORDS: Final = frozenset({"all", "full", "more", "全部", "所有", "更多"})
STAFF_HELP_LINES: Final = {
    "/leads": "help.leads",
    "/handled": "help.handled",
    "/broadcast": "help.broadcast",
    "/broadcasts": "help.broadcasts",
    "/console": "help.console",
    "/tickets": "help.tickets",
    "/reply": "help.reply",
    "/claim": "help.claim",
    "/close": "help.close",
    "/save": "help.save",
    "/faq_remove": "help.faq_remove",
}
DESK_HELP: Final = ("/tickets", "/reply", "/claim", "/close", "/save", "/faq_remove")  # the staff desk's


@dataclass
class Turn:
    """What one message did: the replies, the new session, and what the caller must keep.

    `reminders` and `events` are intents (see :mod:`dialogs.intents`) for the caller to
    store with the session; `now` is the clock :meth:`DialogEngine.handle` was given.
    `ticket`: the id of the person's open ticket with staff, as given; while there is one,
    what the person types outside a questionnaire is `to_ticket` (for the caller to add to
    it) instead of a question for the FAQ, and `release_ticket` says the person asked to
    come back to the assistant (the caller closes the ticket)."""

    replies: list[Outbound]
    session: Session
    finished: Finished | None = None
    lead: LeadRequest | None = None
    notices: list[Notify] = field(default_factory=list)
    last: LastResult | None = field(default=None, repr=False)  # the stored result this turn was given
    reminders: list[Reminder] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    now: datetime | None = None
    remindable: frozenset[str] = field(default=frozenset({"paused", "reassess"}), repr=False)
    ticket: int | None = None
    to_ticket: str | None = None
    release_ticket: bool = False


@dataclass(frozen=True)
class _Parsed:
    """One answer read: the value to keep, its echo, or a doubt to ask back first."""

    value: Any
    echo: str
    doubt: Doubt | None = None
    reading: Reading | None = None  # a range or a bound, as given


class WhatIfError(ValueError):
    """A /whatif change that cannot be read; the message is for the person."""


class DialogEngine:
    """Holds the rules and catalogs; :meth:`handle` is the only entry point.

    `staff_reachable`: a staff chat is configured, so a hand-off can promise a reply and
    emits a :class:`Notify`, and an enquiry (/join, /callme) that staff will be in touch;
    without one (the terminal, ``zjtx ask``) the engine says the enquiry is recorded, gives
    the secretariat's contacts and promises nothing. `office_hours`: when staff answer; a
    hand-off outside them (by the clock given to :meth:`handle`) says when to expect a reply.
    """

    def __init__(
        self,
        rules: Rules | None = None,
        catalogs: Catalogs | None = None,
        faq: FaqSearch | None = None,
        staff_reachable: bool = False,
        office_hours: OfficeHours | None = None,
    ) -> None:
        self.rules = rules or default_rules()
        self.cat = catalogs or load_catalogs()
        self._faq = faq
        self.staff_reachable = staff_reachable
        self.office_hours = office_hours
        self._figures: dict[tuple[str, str], dict[str, str]] = {}  # (field, lang) → its why's figures
        self._explained: dict[tuple[str, str, bool], str] = {}  # (field, lang, current) → its meaning

    def reaching_staff(self, reachable: bool, office_hours: OfficeHours | None = None) -> DialogEngine:
        """This engine, or a copy of it (sharing its rules, catalogs and FAQ index) whose
        hand-offs promise a staff reply exactly when `reachable`, within `office_hours`
        (when given)."""
        hours = office_hours or self.office_hours
        if reachable == self.staff_reachable and hours is self.office_hours:
            return self
        other = copy.copy(self)
        other.staff_reachable = reachable
        other.office_hours = hours
        return other

    @property
    def faq_base(self) -> FaqBase:
        """The knowledge base the FAQ search is (or will be) built on, without building it."""
        return self._faq.base if self._faq is not None else default_faq()

    def use_faq(self, search: FaqSearch) -> None:
        """Answer from `search` from now on (the knowledge base with staff answers added)."""
        self._faq = search

    @property
    def faq(self) -> FaqSearch:
        """The FAQ search, built on first use (the questionnaire does not need it)."""
        if self._faq is None:
            self._faq = default_search()
        return self._faq

    # ------------------------------------------------------------ entry points

    def handle(
        self,
        session: Session,
        inbound: Inbound,
        today: date,
        last: LastResult | None = None,
        *,
        now: datetime | None = None,
        ticket: int | None = None,
    ) -> Turn:
        """Answer one inbound message. Never raises on what a person sends.

        A message plainly written in the other language (English typed in a Chinese
        session, or the reverse) is answered in its language, with /lang offered; the
        session's language stays. `now`, when given, dates the turn's statistics events
        and tells a hand-off whether the office is open. `ticket`: the person's open
        ticket in this chat, if any (see :class:`Turn`)."""
        s = session.model_copy(deep=True)
        s.lang = choose_lang(s.lang, s.lang_chosen, inbound.lang_hint)
        turn = Turn([], s, last=last, now=now, remindable=inbound.remindable, ticket=ticket)
        before = _waiting_at(s), s.attempt
        stored_lang = s.lang
        typed = inbound.text if inbound.choice is None else ""
        if inbound.is_command:  # only a question after /faq says what language it is in
            command = parse_command(typed)
            typed = command.args if command is not None and command.name == "/faq" else ""
        written_in = message_lang(typed) if typed else None
        if written_in is not None and written_in != s.lang:
            s.lang = written_in  # for this turn's replies only
        self._dispatch(turn, inbound, today, last)
        if s.lang != stored_lang and written_in == s.lang:
            s.lang = stored_lang
            # the channels' own option lines and buttons follow the reply, not the session
            turn.replies = [_in_lang(r, written_in) for r in turn.replies]
            offer = Text(self.cat.text(written_in, "lang.offer", command=f"/lang {written_in}"))
            # after what was said, before the question that awaits an answer
            at = len(turn.replies) - 1 if turn.replies and isinstance(turn.replies[-1], Question) else None
            turn.replies.insert(len(turn.replies) if at is None else at, offer)
        s.menu = note(turn.replies, s.menu)  # stored with the turn: "1" picks the same after a restart
        self._bookkeeping(turn, *before)
        self._remember(turn, inbound)
        return turn

    def _remember(self, turn: Turn, inbound: Inbound) -> None:
        """Keep the message and the first words of the answer, for a later hand-off."""
        s = turn.session
        said = inbound.text if inbound.choice is None else inbound.choice
        s.remember("person", said)
        answer = next((r.text for r in turn.replies if r.text.strip()), "")
        if answer:
            s.remember("assistant", answer)

    def _dispatch(self, turn: Turn, inbound: Inbound, today: date, last: LastResult | None) -> None:
        s = turn.session
        if inbound.choice is not None and inbound.choice.startswith("/"):
            self._command(turn, inbound.choice, today, last, inbound.staff)
        elif inbound.choice is not None and s.mode == "lead" and s.pending:
            self._lead_answer(turn, inbound.choice, today)
        elif inbound.choice is not None:
            self._answer(turn, inbound.choice, today, chosen=True)
        elif inbound.is_command:
            self._command(turn, inbound.text.strip(), today, last, inbound.staff)
        elif s.mode == "lead" and s.pending:
            self._lead_answer(turn, inbound.text, today)
        elif s.mode == "assess" and s.pending:
            self._answer(turn, inbound.text, today, chosen=False)
        else:
            self._idle_text(turn, inbound.text, today)

    def usable(self, session: Session) -> bool:
        """False for a stored session this version of the dialog cannot continue
        (a question that no longer exists, an amount that is not a number…)."""
        pending = session.pending
        known = (
            pending is None
            or pending == CONFIRM
            or pending in STEP_BY_FIELD
            or (
                pending.startswith(CONFIRM_PREFIX)
                and any(a == pending[len(CONFIRM_PREFIX) :] for a, _ in PLAUSIBILITY)
            )
            or (
                pending.startswith(VERIFY_PREFIX)
                and session.doubt is not None
                and session.doubt.field == pending[len(VERIFY_PREFIX) :]
                and session.doubt.field in STEP_BY_FIELD
                and _decimal(session.doubt.value) is not None
                and (session.doubt.alternative is None or _decimal(session.doubt.alternative) is not None)
            )
            or (pending in LEAD_STEPS and session.mode == "lead")
        )
        if not known or (session.mode == "lead" and "kind" not in session.lead):
            return False
        if (
            session.mode == "lead"
            and pending == "lead_phone"
            and not {"company", "contact"} <= set(session.lead)
        ):
            return False
        if pending in LEAD_STEPS and session.mode != "lead":
            return False
        try:
            profile_of(session, self.rules)
        except (ArithmeticError, ValueError, TypeError):
            return False
        return session.lang in LANGS

    def resume(self, session: Session, today: date) -> list[Outbound]:
        """What to show when a person comes back: the pending question, asked again."""
        if session.mode == "assess" and session.pending:
            return [self._ask(session.model_copy(deep=True), session.pending, today)]
        if session.mode == "lead" and session.pending:
            return [self._lead_question(session)]
        return []

    # ------------------------------------------------------------ helpers

    def t(self, s: Session, key: str, **values: Any) -> str:
        return self.cat.text(s.lang, key, **values)

    def menu(self, s: Session, text_key: str = "menu.text") -> Menu:
        return Menu(
            self.t(s, text_key),
            tuple(Choice(cmd, self.t(s, f"menu.{cmd.strip('/')}")) for cmd in MENU_COMMANDS),
        )

    # ------------------------------------------------------------ commands

    def commands(self) -> tuple[str, ...]:
        """The commands the dialog itself answers (the assistant and the broadcast desk
        answer a few more; /help lists them all)."""
        return tuple(self._handlers(Turn([], Session()), "", date.min, None, staff=False))

    def _command(
        self, turn: Turn, text: str, today: date, last: LastResult | None, staff: bool = False
    ) -> None:
        s = turn.session
        command = parse_command(text)
        name, arg = (command.name, command.args) if command is not None else ("", "")
        handler = self._handlers(turn, arg, today, last, staff=staff).get(name)
        if handler is None:
            turn.replies.append(Text(self.t(s, "command.unknown", command=name[:40])))
            self._reask_if_pending(turn, today)
            return
        handler()

    def _handlers(
        self, turn: Turn, arg: str, today: date, last: LastResult | None, *, staff: bool
    ) -> dict[str, Callable[[], None]]:
        s = turn.session
        return {
            "/start": lambda: self._start(turn, arg, today),
            "/menu": lambda: turn.replies.append(self.menu(s)),
            "/assess": lambda: self._assess(turn, today, fresh=False),
            "/restart": lambda: self._restart(turn, arg, today),
            "/back": lambda: self._back(turn, today),
            "/skip": lambda: self._answer(turn, "/skip", today, chosen=False),
            "/cancel": lambda: self._cancel(turn, today),
            "/help": lambda: self._help(turn, arg, today, staff),
            "/lang": lambda: self._lang(turn, arg, today),
            "/result": lambda: self._result(turn, last),
            "/details": lambda: self._details(turn, arg, last, today),
            "/report": lambda: self._report(turn, last, today),
            "/whatif": lambda: self._whatif(turn, arg, last, today),
            "/tiers": lambda: turn.replies.append(Text(render.tiers_text(self.rules, s.lang, self.cat))),
            "/subsidies": lambda: self._subsidies(turn, arg, today),
            "/contacts": lambda: self._contacts(turn, arg),
            "/faq": lambda: self._faq_command(turn, arg, today),
            "/join": lambda: self._start_lead(turn, "join", today),
            "/callme": lambda: self._start_lead(turn, "callme", today),
            "/stop_reminders": lambda: self._stop_reminders(turn, today),
            "/remind_yearly": lambda: self._remind_yearly(turn, today, last),
            "/bot": lambda: self._back_to_bot(turn, today),
            "/forget": lambda: self._forget(turn, arg, today),
        }

    def _subsidies(self, turn: Turn, arg: str, today: date) -> None:
        """/subsidies: a line per item; /subsidies all: whom each is for, as the source says."""
        s = turn.session
        full = arg.strip().lower() in ("all", "全部", "详情", "details")
        turn.replies.extend(Text(p) for p in results.all_subsidies(self.view(s.lang), today, full))
        if not full:
            more = Choice("/subsidies all", self.t(s, "subsidies.more.button"))
            turn.replies.append(Menu(self.t(s, "subsidies.more"), (more,)))

    def _start(self, turn: Turn, payload: str, today: date) -> None:
        s = turn.session
        turn.replies.append(self.menu(s, "start.greeting"))
        if payload == "assess":
            self._assess(turn, today, fresh=False)
        else:
            self._reask_if_pending(turn, today)

    def _assess(self, turn: Turn, today: date, fresh: bool) -> None:
        s = turn.session
        if not fresh and s.mode == "assess" and s.pending:
            turn.replies.append(Text(self.t(s, "assess.resume")))
            turn.replies.append(self._ask(s, s.pending, today))
            return
        self._abandon(turn)
        s.reset_assessment()
        s.mode = "assess"
        s.attempt += 1
        count = len(relevant(context(s, self.rules, today)))  # what "第 1/N 题" will say
        turn.replies.append(Text(self.t(s, "assess.intro") + "\n" + self.t(s, "assess.count", count=count)))
        self._advance(turn, today)

    def _restart(self, turn: Turn, arg: str, today: date) -> None:
        """/restart: a questionnaire with answers is given up only once confirmed (a yes/no
        menu: "/restart confirm" or "/restart keep"); without one it starts at once."""
        s = turn.session
        word = normalize(arg).lower()
        given = len(s.answers) + len(s.skipped)
        if word == "keep":
            turn.replies.append(Text(self.t(s, "restart.kept")))
            self._reask_if_pending(turn, today)
            return
        if word != CONFIRM_WORD and _waiting_at(s) is not None and given:
            yes = Choice("/restart confirm", self.t(s, "restart.yes"))
            no = Choice("/restart keep", self.t(s, "restart.no"))
            turn.replies.append(Menu(self.t(s, "restart.confirm", count=given), (yes, no), yes_no=True))
            return
        self._assess(turn, today, fresh=True)

    def _forget(self, turn: Turn, arg: str, today: date) -> None:
        """/forget: what it deletes, as a yes/no menu ("/forget confirm", which the assistant
        carries out on the store, or "/forget keep")."""
        s = turn.session
        if normalize(arg).lower() == "keep":
            turn.replies.append(Text(self.t(s, "forget.kept")))
            self._reask_if_pending(turn, today)
            return
        yes = Choice("/forget confirm", self.t(s, "forget.yes"))
        no = Choice("/forget keep", self.t(s, "forget.no"))
        turn.replies.append(Menu(self.t(s, "forget.confirm"), (yes, no), yes_no=True))

    def _abandon(self, turn: Turn) -> None:
        """Record that a questionnaire in progress is given up (/cancel, /restart)."""
        waiting = _waiting_at(turn.session)
        if waiting is not None:
            self._event(turn, "abandoned", waiting)

    def _cancel(self, turn: Turn, today: date) -> None:
        s = turn.session
        if s.mode == "lead":
            self._end_lead(turn, today, "lead.cancelled")
            return
        was_assessing = s.mode == "assess"
        self._abandon(turn)
        s.reset_assessment()
        key = "assess.cancelled" if was_assessing else "cancel.nothing"
        turn.replies.append(self.menu(s, key))

    # ------------------------------------------------------------ enquiries

    def _start_lead(self, turn: Turn, kind: LeadKind, today: date) -> None:
        s = turn.session
        back = s.pending if s.mode == "assess" and s.pending else ""
        s.lead = {"kind": kind, "return_to": back}
        s.mode = "lead"
        s.pending = LEAD_STEPS[0]
        turn.replies.append(self._lead_question(s))

    def _lead_question(self, s: Session) -> Question:
        step = s.pending or LEAD_STEPS[0]
        text = self.t(s, f"{step}.text", kind=self.t(s, f"lead.kind.{s.lead.get('kind', 'callme')}"))
        choices: tuple[Choice, ...] = ()
        if step == "lead_consent":
            choices = (Choice("yes", self.t(s, "lead.agree")), Choice("no", self.t(s, "lead.decline")))
        return Question(step, text, choices)

    def _lead_answer(self, turn: Turn, raw: str, today: date) -> None:
        s = turn.session
        step = s.pending
        said = strict_yes_no(raw)  # 好的, 可以, 行, ok; 不要, 算了
        if step != "lead_consent" and _NON_WORD.sub("", simplified(raw).casefold()) in QUIT_WORDS:
            self._end_lead(turn, today, "lead.cancelled")  # "算了" is no one's name: the enquiry ends
            return
        if step == "lead_consent":
            typed = simplified(normalize(raw)).lower()
            labels = {
                self.cat.text(lang, k).lower(): k == "lead.agree"
                for lang in LANGS
                for k in ("lead.agree", "lead.decline")
            }
            verdict = labels.get(typed, said)
            if verdict is None and not is_question(raw) and not asks(raw):
                verdict = _yes_no(raw)  # 我同意 — but "这是什么意思？" agrees to nothing
            if verdict is None:
                turn.replies.append(Text(self.t(s, "lead.consent.unclear")))
                turn.replies.append(self._lead_question(s))
                return
            if not verdict:
                self._end_lead(turn, today, "lead.declined")
                return
            s.pending = "lead_company"
        elif step in ("lead_company", "lead_name"):
            value = clean_field(raw)
            if value is None:
                turn.replies.append(Text(self.t(s, f"{step}.invalid")))
                turn.replies.append(self._lead_question(s))
                return
            s.lead["company" if step == "lead_company" else "contact"] = value
            s.pending = "lead_name" if step == "lead_company" else "lead_phone"
        elif step == "lead_phone":
            phone = normalize_phone(raw)
            if phone is None:
                turn.replies.append(Text(self.t(s, "lead_phone.invalid")))
                turn.replies.append(self._lead_question(s))
                return
            kind: LeadKind = "join" if s.lead.get("kind") == "join" else "callme"
            turn.lead = LeadRequest(kind, s.lead["company"], s.lead["contact"], phone)
            if self.staff_reachable:  # the staff chat is told at once
                self._end_lead(turn, today, "lead.thanks")
            else:  # kept for /leads, the console and the export: no one is told now
                self._end_lead(turn, today, "lead.recorded", with_contacts=True)
            return
        turn.replies.append(self._lead_question(s))

    def _end_lead(self, turn: Turn, today: date, key: str, *, with_contacts: bool = False) -> None:
        s = turn.session
        back = s.lead.get("return_to", "")
        s.lead = {}
        text = self.t(s, key)
        if with_contacts:
            text += "\n" + render.contacts_text(self.rules, s.lang, self.cat)
        turn.replies.append(Text(text))
        if back:
            s.mode, s.pending = "assess", back
            turn.replies.append(self._ask(s, back, today))
        else:
            s.mode, s.pending = "idle", None

    def _help(self, turn: Turn, arg: str, today: date, staff: bool) -> None:
        """The main commands, short enough for a phone; "/help all": every command, one a
        line with what it does. Staff see theirs in both."""
        s = turn.session
        if normalize(arg).lower() in HELP_ALL_WORDS:
            example = {"help.whatif": {"example": self._whatif_example(s, "rd_expense")}}
            lines = [
                self.t(s, "help.text"),
                *(self.t(s, key, **example.get(key, {})) for key in HELP_LINES.values()),
            ]
            if staff:
                lines += ["", self.t(s, "help.staff"), *(self.t(s, key) for key in STAFF_HELP_LINES.values())]
        else:
            lines = [self.t(s, "help.brief.title"), *(self.t(s, key) for key in HELP_BRIEF)]
            if staff:
                others = [c for c in STAFF_HELP_LINES if c not in DESK_HELP]
                lines.append(self.t(s, "help.brief.staff", commands=" ".join(others)))
                lines.append(self.t(s, "help.brief.desk", commands=" ".join(DESK_HELP[:5])))
            lines.append(self.t(s, "help.brief.more"))
        lines.append(self.t(s, "help.footer"))
        turn.replies.append(Text("\n".join(lines)))
        self._reask_if_pending(turn, today)

    # ------------------------------------------------------------ reminders and statistics

    def _stop_reminders(self, turn: Turn, today: date) -> None:
        s = turn.session
        s.reminders_off = True
        kinds: tuple[ReminderKind, ...] = ("paused", "reassess")
        turn.reminders += [Reminder("cancel", kind, lang=s.lang) for kind in kinds]
        turn.replies.append(Text(self.t(s, "remind.stopped")))
        self._reask_if_pending(turn, today)

    def _remind_yearly(self, turn: Turn, today: date, last: LastResult | None) -> None:
        s = turn.session
        due = _a_year_after(last.made_on if last is not None else today)
        if due <= today:  # the last result is more than a year old: a year from now
            due = _a_year_after(today)
        if "reassess" not in turn.remindable:  # a group, or a platform that cannot write that late
            turn.replies.append(Text(self.t(s, "remind.yearly_unavailable", date=due.isoformat())))
            self._reask_if_pending(turn, today)
            return
        s.reminders_off = False  # an explicit opt-in
        turn.reminders.append(Reminder("schedule", "reassess", due=due, lang=s.lang))
        turn.replies.append(Text(self.t(s, "remind.yearly_set", date=due.isoformat())))
        self._reask_if_pending(turn, today)

    def reminder(self, session: Session, kind: ReminderKind, today: date) -> list[Outbound]:
        """The message of a due reminder: continue at the pending question (``paused``) or
        take the assessment again (``reassess``), each with a button to stop reminders."""
        s = session.model_copy(deep=True)
        stop = Choice("/stop_reminders", self.t(s, "remind.stop"))
        if kind == "paused":
            waiting = _waiting_at(s)
            if waiting is None:
                return []
            if waiting in STEP_BY_FIELD:
                n, total = progress(context(s, self.rules, today), waiting)
                text = self.t(s, "remind.paused", n=n, total=total)
            else:
                text = self.t(s, "remind.paused_summary")
            return [Menu(text, (Choice("/assess", self.t(s, "remind.continue")), stop))]
        again = Choice("/restart", self.t(s, "remind.start_again"))
        return [Menu(self.t(s, "remind.reassess"), (again, stop))]

    def _event(self, turn: Turn, kind: EventKind, question: str | None) -> None:
        turn.events.append(Event(kind, turn.session.attempt, question, turn.now))

    def _bookkeeping(self, turn: Turn, waited_at: str | None, attempt: int) -> None:
        """The reminder and "asked" event a turn implies: a questionnaire left waiting is to
        be reminded of (unless reminders are off); one no longer waiting is not."""
        s = turn.session
        waiting = _waiting_at(s)
        if waiting is not None and (waiting != waited_at or s.attempt != attempt):
            self._event(turn, "asked", waiting)
        if waiting is not None and not s.reminders_off and "paused" in turn.remindable:
            turn.reminders.append(Reminder("schedule", "paused", question=waiting, lang=s.lang))
        elif waiting is None and waited_at is not None:
            turn.reminders.append(Reminder("cancel", "paused", lang=s.lang))

    def _lang(self, turn: Turn, arg: str, today: date) -> None:
        s = turn.session
        wanted = normalize_lang(arg) if arg else ("en" if s.lang == "zh" else "zh")
        if wanted is None:
            turn.replies.append(Text(self.t(s, "lang.unknown", langs=", ".join(LANGS))))
            return
        s.lang = wanted
        s.lang_chosen = True
        turn.replies.append(Text(self.t(s, "lang.set")))
        self._reask_if_pending(turn, today)

    def _contacts(self, turn: Turn, arg: str) -> None:
        s = turn.session
        district = arg or s.answers.get("district")
        if arg and self.rules.contacts.districts.find(arg) is None:
            turn.replies.append(Text(self.t(s, "contacts.unknown_district", district=arg[:40])))
            district = None
        text = render.contacts_text(self.rules, s.lang, self.cat, district)
        turn.replies.append(Text(text))
        if not district:
            turn.replies.append(Text(self.t(s, "contacts.tip")))

    def _result(self, turn: Turn, last: LastResult | None) -> None:
        s = turn.session
        if last is None:
            turn.replies.append(self.menu(s, "result.none"))
            return
        assessment = assess(self._profile(last.answers), self.rules, last.made_on)
        note = self.t(s, "result.again", date=last.made_on.isoformat())
        self._show_result(turn, assessment, last.answers, last.made_on, intro=note)

    def view(self, lang: str) -> results.View:
        return results.View(self.rules, self.cat, lang)

    def _profile(self, answers: dict[str, Any]) -> Any:
        return profile_of(Session(answers=dict(answers)), self.rules)

    def _show_result(
        self,
        turn: Turn,
        a: Assessment,
        answers: dict[str, Any],
        made_on: date,
        intro: str | None = None,
        progress: str | None = None,
    ) -> None:
        """The score card, the short result and the buttons for the rest."""
        s = turn.session
        view = self.view(s.lang)
        turn.replies.append(report.score_image(a, made_on, view))
        parts = results.short_result(a, view, intro=intro, progress=progress)
        turn.replies.append(Result(a.contract(), parts))
        remind = "reassess" in turn.remindable
        if remind:
            turn.replies.append(Text(self.t(s, "remind.yearly_offer")))  # the opt-in to reassess in a year
        turn.replies.append(self.after_result(s, a, answers, remind=remind))

    def _details(self, turn: Turn, arg: str, last: LastResult | None, today: date) -> None:
        s = turn.session
        if last is None:
            turn.replies.append(self.menu(s, "result.none"))
            return
        part = _detail_part(arg, self.cat)
        if part is None:
            choices = tuple(
                Choice(f"/details {p}", self.t(s, results.DETAIL_LABELS[p])) for p in results.DETAIL_PARTS
            )
            turn.replies.append(Menu(self.t(s, "details.which"), choices))
            return
        a = assess(self._profile(last.answers), self.rules, last.made_on)
        answers = Session(answers=dict(last.answers)).profile_data()
        turn.replies.append(Text(results.detail(part, a, answers, self.view(s.lang))))
        self._reask_if_pending(turn, today)

    def _report(self, turn: Turn, last: LastResult | None, today: date) -> None:
        s = turn.session
        if last is None:
            turn.replies.append(self.menu(s, "result.none"))
            return
        a = assess(self._profile(last.answers), self.rules, last.made_on)
        turn.replies.append(self.report_document(s.lang, a, last.answers, last.made_on, last.readings))
        self._reask_if_pending(turn, today)

    def report_document(
        self,
        lang: str,
        a: Assessment,
        answers: dict[str, Any],
        made_on: date,
        readings: dict[str, dict[str, Any]] | None = None,
    ) -> Document:
        """The PDF report of `a` (made from `answers` on `made_on`; `readings`: the answers
        given as a range or a bound, shown as given beside their reading), as a Document."""
        stored = Session(lang=lang, answers=_as_stored(answers), readings=_readings(readings or {}))
        fields = [f for f in dict.fromkeys(step.field for step in STEPS) if f in stored.answers]
        shown = [(self.t(stored, f"metric.{f}"), self._shown(stored, f)) for f in fields]
        return report.report_document(a, shown, stored.profile_data(), made_on, self.view(lang))

    def score_image(self, lang: str, a: Assessment, made_on: date) -> Image:
        """The score card of `a` as an Image to send."""
        return report.score_image(a, made_on, self.view(lang))

    # ------------------------------------------------------------ what if

    def _whatif(self, turn: Turn, arg: str, last: LastResult | None, today: date) -> None:
        """/whatif 研发费用 300万 [研发人员占比 20%]: the result with those answers changed,
        without storing anything; "/whatif keep …" keeps them as a new assessment."""
        s = turn.session
        if last is None:
            turn.replies.append(self.menu(s, "result.none"))
            return
        head, _, rest = arg.partition(" ")
        keep = head.lower() in ("keep", "保留")
        text = rest.strip() if keep else arg
        base = assess(self._profile(last.answers), self.rules, today)
        if not text:
            choices = self._whatif_choices(s, base, last.answers)
            usage = self.t(
                s,
                "whatif.usage",
                example=self._whatif_example(s, "rd_expense"),
                example_more=self._whatif_example(s, "rd_expense", "rd_staff_pct"),
            )
            turn.replies.append(Menu(usage, choices) if choices else Text(usage))
            return
        try:
            changes = self._whatif_changes(text, s, today)
        except WhatIfError as err:
            turn.replies.append(Text(str(err)))
            return
        trial = Session(lang=s.lang, answers=dict(last.answers), readings=_readings(last.readings))
        for f, value in changes:
            trial.set_answer(f, value)
        after = assess(profile_of(trial, self.rules), self.rules, today)
        before_contract = (
            last.result or assess(self._profile(last.answers), self.rules, last.made_on).contract()
        )
        if keep and trial.answers == _as_stored(last.answers):
            self._result(turn, last)  # kept already (a button pressed twice): nothing new to store
            return
        if keep:
            progress = results.progress_line(
                compare(before_contract, after.contract()), last.made_on, self.view(s.lang)
            )
            self._show_result(turn, after, trial.answers, today, progress=progress)
            readings = {f: r.model_dump() for f, r in trial.readings.items()}
            turn.finished = Finished(after, dict(trial.answers), readings)
            return
        shown = [(self.t(s, f"metric.{f}"), self._shown(trial, f)) for f, _ in changes]
        change = compare(base.contract(), after.contract())
        turn.replies.append(Text(results.whatif_text(shown, base, after, change, self.view(s.lang))))
        keep_value = "/whatif keep " + " ".join(f"{f}={_canonical(f, v)}" for f, v in changes)
        turn.replies.append(
            Menu(
                self.t(s, "whatif.keep_prompt"),
                (Choice(keep_value, self.t(s, "whatif.keep")), Choice("/result", self.t(s, "whatif.back"))),
            )
        )
        self._reask_if_pending(turn, today)

    def _whatif_changes(self, text: str, s: Session, today: date) -> list[tuple[str, Any]]:
        """(field, value) for each change named in `text`. Raises WhatIfError."""
        tokens: list[str] = []
        for token in re.split(r"[\s;；]+", normalize(text)):
            name, sep, value = (
                re.split(r"([=:：])", token, maxsplit=1) if re.search(r"[=:：]", token) else (token, "", "")
            )
            tokens += [name, value] if sep else [token]
        items: list[tuple[str, list[str]]] = []
        for token in (t for t in tokens if t):
            if not items or items[-1][1]:
                named = self._field_named(token)
                if named is None and not items:
                    named, value = self._field_prefix(token)
                    if named is not None:
                        items.append((named, [value]))
                        continue
                if named is not None:
                    items.append((named, []))
                    continue
                if not items:
                    raise WhatIfError(
                        self.t(
                            s,
                            "whatif.unknown",
                            name=token[:40],
                            example=self._whatif_example(s, "rd_expense"),
                        )
                    )
            items[-1][1].append(token)
        out: list[tuple[str, Any]] = []
        for f, words in items:
            step = STEP_BY_FIELD[f]
            if not words:
                raise WhatIfError(
                    self.t(
                        s,
                        "whatif.no_value",
                        name=self.t(s, f"metric.{f}"),
                        example=self.t(s, f"q.{f}.example"),
                    )
                )
            try:
                parsed = self._parse(step, " ".join(words), today, s)
            except AnswerError as err:
                raise WhatIfError(
                    self.t(s, "whatif.bad_value", name=self.t(s, f"metric.{f}"))
                    + "\n"
                    + self._error_text(s, step, err)
                ) from None
            if parsed.doubt is not None and parsed.doubt.start_year is None:
                raise WhatIfError(self._whatif_doubt(s, parsed.doubt))  # implausible: not tried until checked
            out = [(g, v) for g, v in out if g != f] + [(f, parsed.value)]
        return out

    def _whatif_doubt(self, s: Session, doubt: Doubt) -> str:
        """Why an implausible what-if figure is not tried: the figure, and its likelier reading."""
        name = self.t(s, f"metric.{doubt.field}")
        typed = self._figure_text(doubt.field, Decimal(doubt.value), s)
        if doubt.alternative is None:
            return self.t(s, "whatif.implausible", name=name, value=typed)
        other = self._figure_text(doubt.field, Decimal(doubt.alternative), s)
        return self.t(s, "whatif.implausible_alternative", name=name, value=typed, alternative=other)

    def _whatif_example(self, s: Session, *fields: str) -> str:
        """ "/whatif 上年度研发费用 600万" from the questions' own examples (field ids in English)."""
        named = [
            f"{self.t(s, f'metric.{f}') if s.lang == 'zh' else f} {self.t(s, f'q.{f}.example')}"
            for f in fields
        ]
        return "/whatif " + " ".join(named)

    def _whatif_names(self) -> dict[str, list[str]]:
        """The names a person may type for each field a what-if may change."""
        names: dict[str, list[str]] = {}
        for f in STEP_BY_FIELD:
            if f == "org_type":
                continue
            names[f] = [f.lower(), *(self.cat.text(lang, f"metric.{f}").lower() for lang in LANGS)]
        for ind in self.rules.indicators.indicator:
            if len(ind.fields) == 1 and ind.fields[0] in names:
                names[ind.fields[0]] += [ind.label.zh.lower(), ind.label.en.lower()]
        return names

    def _field_named(self, token: str) -> str | None:
        """The field `token` names: exactly, else the shortest name containing it."""
        key = normalize(token).lower()
        if len(key) < 2:
            return None
        names = self._whatif_names()
        for f, ns in names.items():
            if key in ns:
                return f
        found = sorted((len(n), f) for f, ns in names.items() for n in ns if key in n)
        if found and (len(found) == 1 or found[0][0] < found[1][0] or found[0][1] == found[1][1]):
            return found[0][1]
        return None

    def _field_prefix(self, token: str) -> tuple[str | None, str]:
        """ "研发费用300万" → (rd_expense, "300万"): the longest start of `token` that names a field."""
        for cut in range(len(token) - 1, 1, -1):
            named = self._field_named(token[:cut])
            if named is not None:
                return named, token[cut:]
        return None, ""

    def _whatif_choices(self, s: Session, a: Assessment, answers: dict[str, Any]) -> tuple[Choice, ...]:
        """A what-if button for each suggested improvement."""
        data = Session(answers=dict(answers)).profile_data()
        out: list[Choice] = []
        for imp in a.improvements:
            change = _improvement_change(imp, data, self.rules)
            if change is None:
                continue
            f, value = change
            trial = Session(lang=s.lang, answers=dict(answers))
            trial.set_answer(f, value)
            name = self.t(s, f"metric.{f}")
            if imp.unit == "item":
                label = self.t(s, "whatif.button.item", name=name)
            elif imp.unit == "choice":
                label = self.t(s, "whatif.button.choice", name=name, value=self._shown(trial, f))
            else:
                label = self.t(s, "whatif.button.reach", name=name, value=self._shown(trial, f))
            if results.columns(label) > WHATIF_LABEL_COLUMNS:  # too long for a button: said shorter, not cut
                short_name = self.view(s.lang).short_name(imp.metric)
                label = self.t(s, "whatif.button.short", name=short_name, gain=imp.gain)
            out.append(Choice(f"/whatif {f}={_canonical(f, value)}", label))
        return tuple(out)

    def _reask_if_pending(self, turn: Turn, today: date) -> None:
        turn.replies.extend(self.resume(turn.session, today))

    def _idle_text(self, turn: Turn, text: str, today: date) -> None:
        s = turn.session
        if turn.ticket is not None and normalize(text).lower().strip("。.!！") in RELEASE_WORDS:
            self._back_to_bot(turn, today)
            return
        if not normalize(text):
            turn.replies.append(self.menu(s))
            return
        if turn.ticket is not None:
            # for the staff member taking care of it: the hand-off said so, nothing to answer
            turn.to_ticket = text
            return
        if menu_number(normalize(text)) is not None:
            # a number the channel could not pick from a menu (none open, or out of range) asks nothing
            turn.replies.append(self.menu(s, "menu.number_unmatched"))
            return
        if strict_yes_no(text) is not None:
            # "确认", "好的", "no" with nothing open to confirm: not a question for the FAQ
            turn.replies.append(self.menu(s, "menu.yes_no_unmatched"))
            return
        self._ask_faq(turn, text, today)

    def _back_to_bot(self, turn: Turn, today: date) -> None:
        """ "回到助手" or /bot: the open ticket ends and the assistant answers again."""
        s = turn.session
        if turn.ticket is None:
            turn.replies.append(self.menu(s, "desk.bot.already"))
            return
        turn.release_ticket = True
        turn.replies.append(self.menu(s, "desk.released"))
        self._reask_if_pending(turn, today)

    # ------------------------------------------------------------ questions and answers

    def _faq_command(self, turn: Turn, arg: str, today: date) -> None:
        s = turn.session
        if not arg:
            turn.replies.append(Text(self.t(s, "faq.prompt")))
            self._reask_if_pending(turn, today)
            return
        if arg in self.faq.base.ids:  # a suggestion button: "/faq <entry id>"
            s.misses = 0
            reply = entry_reply(arg, self.faq, s.lang, today)
            turn.replies.append(Text(self._with_source(reply.text, reply.source, s.lang)))
        else:
            self._ask_faq(turn, arg, today)
        self._reask_if_pending(turn, today)

    def _answer_aside(self, turn: Turn, raw: str, field_id: str, today: date) -> bool:
        """Answer from the FAQ a question typed while a questionnaire question waits ("研发费用
        怎么算？", "what does this mean?" — "this" being the question's subject), when it is
        plainly a question and an entry answers it; True when it did. Nothing is handed off
        or suggested here: the person is in the middle of something else."""
        if not is_question(raw):
            return False
        metric = f"metric.{field_id}"
        pointed = about(raw, self.cat.text("zh", metric), self.cat.text("en", metric))
        asked = pointed or raw
        # in the turn's language: the message's when it plainly has one, else the session's
        found = self.faq.search(asked, lang=turn.session.lang, staff_reachable=False)
        if found.decision != "answer" or found.entry_id is None or found.not_in_sources:
            return False
        if self.faq.entry(found.entry_id).not_in_sources:
            return False
        reply = compose(found, asked, self.faq, today, staff_reachable=False)
        turn.replies.append(Text(self._with_source(reply.text, reply.source, reply.lang)))
        return True

    def _with_source(self, text: str, source: Source | None, lang: str) -> str:
        if source is None:
            return text
        return text + "\n\n" + render.source_text(source.file, source.clause, self.rules, lang, self.cat)

    def _ask_faq(self, turn: Turn, question: str, today: date) -> None:
        """Answer from the FAQ when sure; offer the likeliest three when not; say what the
        assistant covers when out of scope; a person only when asked for or reachable.
        The reply is in the question's language (the session's when it has no words)."""
        s = turn.session
        found = self.faq.search(question, fallback_lang=s.lang, staff_reachable=self.staff_reachable)
        if found.decision == "suggest" and s.misses >= 1:  # the second miss in a row
            found = dataclass_replace(found, decision="handoff" if self.staff_reachable else "answer", top=[])
            found = dataclass_replace(found, reason="not_in_sources")
        reply = compose(
            found, question, self.faq, today, self.staff_reachable, office=self.office_hours, now=turn.now
        )
        lang = reply.lang
        if reply.decision == "suggest":
            s.misses += 1
            choices = tuple(Choice(f"/faq {entry_id}", q) for entry_id, q in reply.suggestions)
            turn.replies.append(Menu(reply.text, choices))
            return
        s.misses = 0
        turn.replies.append(Text(self._with_source(reply.text, reply.source, lang)))
        if reply.notify_staff:
            turn.notices.append(Notify("handoff", question[:1000], {"reason": found.reason, "lang": lang}))

    # ------------------------------------------------------------ the questionnaire

    def _advance(self, turn: Turn, today: date) -> None:
        """Drop the answers that no longer apply, then ask the next unsettled question in
        flow order, or show the summary when all are settled (so an edit from the summary
        asks what became relevant and comes back to the summary)."""
        s = turn.session
        dropped, ctx = prune(s, self.rules, today)
        if dropped:
            names = self.t(s, "list.sep").join(self.t(s, f"metric.{f}") for f in dropped)
            turn.replies.append(Text(self.t(s, "echo.dropped", fields=names)))
        step = next_step(ctx)
        s.editing = False
        s.pending = step.field if step else CONFIRM
        turn.replies.append(self._ask(s, s.pending, today, ctx))

    def _back(self, turn: Turn, today: date) -> None:
        s = turn.session
        if s.mode != "assess" or not s.pending:
            turn.replies.append(self.menu(s, "back.nothing"))
            return
        current = _waiting_at(s) if s.pending != CONFIRM else None
        earlier = [f for f in s.history if f != current]
        if s.pending.startswith(VERIFY_PREFIX) and current is not None:
            s.pending, s.doubt = current, None  # a figure asked back is dropped, not taken
        if not earlier:
            turn.replies.append(Text(self.t(s, "back.first")))
            turn.replies.append(self._ask(s, s.pending, today))
            return
        s.pending = earlier[-1]
        s.editing = True
        turn.replies.append(self._ask(s, s.pending, today))

    def _ask(self, s: Session, qid: str, today: date, ctx: Context | None = None) -> Question:
        ctx = ctx or context(s, self.rules, today)
        if qid == CONFIRM:
            return self._summary(s, ctx)
        if qid.startswith(VERIFY_PREFIX):
            return self._doubt_question(s, qid)
        if qid.startswith(CONFIRM_PREFIX):
            field_id = qid.removeprefix(CONFIRM_PREFIX)
            other = next(b for a, b in PLAUSIBILITY if a == field_id)
            text = self.t(
                s,
                f"check.{field_id}",
                value=self._shown(s, field_id),
                other=self._shown(s, other),
            )
            return Question(
                qid,
                text,
                (Choice("yes", self.t(s, "check.keep")), Choice("no", self.t(s, "check.change"))),
            )
        step = STEP_BY_FIELD[qid]
        number, total = progress(ctx, qid)
        lines = [
            self.t(s, "q.progress", n=number, total=total),
            self.t(s, f"q.{qid}.text"),
            self.t(s, f"q.{qid}.why", **self._why_figures(qid, s.lang)),
            self.t(s, "q.example", example=self.t(s, f"q.{qid}.example")),
        ]
        if s.settled(qid):
            lines.append(self.t(s, "q.current", value=self._shown(s, qid)))
        choices: tuple[Choice, ...] = ()
        if step.kind in ("choice", "multi", "yesno"):
            choices = tuple(
                Choice(_value_text(v), label) for v, label, _ in options_for(qid, self.rules, s.lang)
            )
            if step.kind == "multi":
                lines.append(self.t(s, "q.multi_hint"))
        lines.append(self.t(s, "q.skip_hint"))
        return Question(qid, "\n".join(lines), choices, step.kind == "multi", (number, total))

    def _why_figures(self, field: str, lang: str) -> dict[str, str]:
        """The figures a question's "why" line states, from the rules (fixed for this engine)."""
        found = self._figures.get((field, lang))
        if found is None:
            found = self._figures[(field, lang)] = question_figures(field, self.rules, lang, self.cat)
        return found

    def _doubt_question(self, s: Session, qid: str) -> Question:
        """ "您填的是 1200 亿元吗？如果是 1200 万元，请回复 1", with a button for each reading."""
        field_id = qid.removeprefix(VERIFY_PREFIX)
        doubt = s.doubt
        assert doubt is not None and doubt.field == field_id
        typed = self._figure_text(field_id, Decimal(doubt.value), s)
        if doubt.start_year is not None:  # which month of the start year: 1 keeps the cautious reading
            need = self._figure_text(field_id, self.rules.conditions.niche_years.min_years, s)
            text = self.t(s, "verify.start_month", year=doubt.start_year, need=need, value=typed)
            return Question(qid, text, (Choice("1", self.t(s, "verify.start_month.keep", value=typed)),))
        if doubt.alternative is None:
            text = self.t(s, "verify.unusual", typed=typed)
            keep = Choice("1", self.t(s, "verify.keep", value=typed))
            choices = (keep, Choice("2", self.t(s, "check.change")))
        else:
            other = self._figure_text(field_id, Decimal(doubt.alternative), s)
            text = self.t(s, "verify.alternative", typed=typed, alternative=other)
            choices = (Choice("1", other), Choice("2", self.t(s, "verify.keep", value=typed)))
        return Question(qid, text, choices)

    def _summary(self, s: Session, ctx: Context) -> Question:
        lines = [self.t(s, "summary.title")]
        choices = [Choice("yes", self.t(s, "summary.submit"))]
        items = []
        for i, f in enumerate(summary_fields(ctx), start=1):
            items.append(
                self.t(s, "summary.line", n=i, name=self.t(s, f"metric.{f}"), value=self._shown(s, f))
            )
            choices.append(Choice(f, self.t(s, "summary.change", name=self.t(s, f"metric.{f}"))))
        lines += results.pack(items, self.t(s, "summary.sep"))  # a phone screen, not a form
        lines.append(self.t(s, "summary.hint"))
        return Question(CONFIRM, "\n".join(lines), tuple(choices), choices_in_text=True)

    def _figure_text(self, f: str, value: Decimal, s: Session) -> str:
        """A figure of field `f` as the person reads it: 1200 万元, 45%, 7 年."""
        step = STEP_BY_FIELD.get(f)
        return render.figure(step.kind if step else "money", value, s.lang, self.cat)

    def _shown(self, s: Session, f: str) -> str:
        """An answer as the person would read it back."""
        if f in s.skipped or f not in s.answers:
            return self.t(s, "value.skipped")
        value = s.profile_data()[f]
        step = STEP_BY_FIELD.get(f)
        kind = step.kind if step else "money"
        if kind in ("money", "percent", "years"):
            reading = s.readings.get(f)
            if reading is not None and isinstance(value, Decimal):  # the range as given, and its reading
                return render.reading_text(kind, reading, value, s.lang, self.cat)
            return self._figure_text(f, value, s)
        labels = {v: label for v, label, _ in options_for(f, self.rules, s.lang)}
        if kind == "multi":
            if not value:
                return self.t(s, "value.none_of_these")
            return self.t(s, "list.sep").join(labels.get(v, str(v)) for v in value)
        return labels.get(value, str(value))

    def _answer(self, turn: Turn, raw: str, today: date, chosen: bool) -> None:
        s = turn.session
        if s.mode != "assess" or not s.pending:
            if chosen:
                turn.replies.append(self.menu(s, "choice.stale"))
            else:
                self._idle_text(turn, raw, today)
            return
        if s.pending == CONFIRM:
            self._confirm(turn, raw, today)
            return
        if not is_skip(raw) and self._aside(turn, raw, today):  # "不清楚是什么意思" is a skip
            return
        if s.pending.startswith(VERIFY_PREFIX):
            dated = self._start_month(s, raw)
            if dated is not None:  # "3月" when asked which month of 2024: read as "2024年3月"
                raw, s.doubt, s.pending = dated, None, s.pending.removeprefix(VERIFY_PREFIX)
            elif self._verify(turn, raw, today):
                return
        if s.pending.startswith(CONFIRM_PREFIX):
            field_id = s.pending.removeprefix(CONFIRM_PREFIX)
            verdict = _yes_no(raw)
            if verdict is True:
                self._advance(turn, today)
                return
            if verdict is False:
                s.forget(field_id)
                s.pending = field_id
                turn.replies.append(self._ask(s, field_id, today))
                return
            s.pending = field_id  # anything else is read as a new answer to the field
        field_id = s.pending
        step = STEP_BY_FIELD[field_id]
        if is_skip(raw) or raw.strip().lower() == "/skip":
            s.skip(field_id)
            scored = field_id in self._scored_fields
            turn.replies.append(Text(self.t(s, "echo.skipped" if scored else "echo.skipped_unscored")))
            self._event(turn, "skipped", field_id)
            self._advance(turn, today)
            return
        try:
            parsed = self._parse(step, raw, today, s)
        except AnswerError as err:
            # "二级？" and the like: a question mark alone may still be a question the FAQ answers
            if not (is_question(raw) and self._answer_aside(turn, raw, field_id, today)):
                turn.replies.append(Text(self._error_text(s, step, err)))
            turn.replies.append(self._ask(s, field_id, today))
            return
        if parsed.doubt is not None:  # implausible: asked back, not taken
            s.doubt = parsed.doubt.model_copy(update={"reading": parsed.reading})
            s.pending = VERIFY_PREFIX + field_id
            turn.replies.append(self._ask(s, s.pending, today))
            return
        self._take(turn, step, parsed.value, parsed.echo, today, parsed.reading)

    def _aside(self, turn: Turn, raw: str, today: date) -> bool:
        """A question typed while a questionnaire question waits, never read as its answer:
        "这是什么意思？" / "为什么要问这个" / "what does this mean?" gets an explanation of the
        question (from the rules data); another question an answer from the FAQ when it has
        one, else the explanation of the question it names ("研发费用怎么算？": this one or
        another of the questionnaire), else a word on where to ask it. The question is asked
        again. False when `raw` is no question."""
        s = turn.session
        field_id = _waiting_at(s)
        if field_id is None or field_id not in STEP_BY_FIELD:
            return False
        said = simplified(normalize(raw))
        if asks_meaning(said):
            turn.replies.append(Text(self._explanation(s, field_id)))
        elif not asks(said):
            return False
        elif self._answer_aside(turn, said, field_id, today):
            pass
        else:
            named = self._question_named(said, field_id)
            if named is None:
                turn.replies.append(Text(self.t(s, "aside.unanswered")))
            else:
                turn.replies.append(Text(self._explanation(s, named, current=named == field_id)))
        assert s.pending is not None
        turn.replies.append(self._ask(s, s.pending, today))
        return True

    def _explanation(self, s: Session, field_id: str, *, current: bool = True) -> str:
        """What a question means and why it is asked: the recognition conditions, indicators
        and direct-pass routes that read its answer (their rules, with figures, from the
        rules data), else its "why" line; how to answer it; its source. `current`: it is the
        question waiting (else one the person named)."""
        key = (field_id, s.lang, current)
        if key not in self._explained:
            lang = s.lang
            head = "explain.head" if current else "explain.other"
            lines = [self.t(s, head, name=self.t(s, f"metric.{field_id}"))]
            read_by = [f"condition:{c}" for c, fields in _CONDITION_FIELDS.items() if field_id in fields]
            indicators = self.rules.indicators.indicator
            read_by += [f"indicator:{i.number}" for i in indicators if field_id in i.fields]
            lines += [rule_answer(r, "", self.rules, lang, self.cat, date.min).text for r in read_by[:3]]
            routes = [r for r in self.rules.conditions.direct_route if r.field == field_id]
            lines += [self.t(s, "explain.direct", route=r.label.get(lang)) for r in routes]
            if len(lines) == 1:
                lines.append(self.t(s, f"q.{field_id}.why", **self._why_figures(field_id, lang)))
            kind = STEP_BY_FIELD[field_id].kind
            expected = self.t(s, f"expect.{kind}")
            example = self.t(s, f"q.{field_id}.example")
            lines.append(self.t(s, "explain.how", expected=expected, example=example))
            source = self.rules.fields.get(field_id).source
            lines.append(render.source_text(source.file, source.clause, self.rules, lang, self.cat))
            self._explained[key] = "\n".join(lines)
        return self._explained[key]

    def _question_named(self, said: str, field_id: str) -> str | None:
        """The questionnaire question `said` names by its subject (a name or a spreadsheet
        alias of its field): the one waiting if it does, else the one with the longest name
        in it; None when it names none."""
        text = said.casefold()
        best: tuple[int, str] | None = None
        for f in dict.fromkeys((field_id, *STEP_BY_FIELD)):
            info = self.rules.fields.get(f)
            names = [self.cat.text(lang, f"metric.{f}") for lang in LANGS]
            names += [info.label.zh, info.label.en, *info.aliases]
            found = max((len(n) for n in names if len(n) >= 2 and n.casefold() in text), default=0)
            if found and f == field_id:
                return f
            if found and (best is None or found > best[0]):
                best = (found, f)
        return None if best is None else best[1]

    def _start_month(self, s: Session, raw: str) -> str | None:
        """ "3月" (or "March") typed when asked which month of `start_year` a start was:
        that month of that year ("2024年3月"); None for anything else."""
        doubt = s.doubt
        if doubt is None or doubt.start_year is None:
            return None
        typed = simplified(normalize(raw)).casefold()
        found = _MONTH_ZH.fullmatch(typed)
        if found is not None:
            month = found["month"]
            number = int(month) if month.isdecimal() else _CN_MONTHS.get(month)
        else:
            english = _MONTH_EN.fullmatch(typed)
            number = None if english is None else _EN_MONTHS.index(english["month"][:3]) + 1
        if number is None or not 1 <= number <= 12:
            return None
        return f"{doubt.start_year}年{number}月"

    def _take(
        self, turn: Turn, step: Step, value: Any, echo: str, today: date, reading: Reading | None = None
    ) -> None:
        """Keep an answer (with the range or bound it was read from), echo it, and go on
        (checking it against the revenue first)."""
        s = turn.session
        field_id = step.field
        s.set_answer(field_id, value, reading)
        s.doubt = None
        s.pending = field_id
        turn.replies.append(Text(echo))
        self._event(turn, "answered", field_id)
        for a, b in PLAUSIBILITY:
            if field_id in (a, b) and self._implausible(s, a, b):
                s.pending = CONFIRM_PREFIX + a
                turn.replies.append(self._ask(s, s.pending, today))
                return
        self._advance(turn, today)

    def _verify(self, turn: Turn, raw: str, today: date) -> bool:
        """Settle a figure asked back: 1 or 2 picks a reading (yes keeps the one typed, no
        asks the question again). False when `raw` is a new answer to the question."""
        s = turn.session
        field_id = s.pending.removeprefix(VERIFY_PREFIX) if s.pending else ""
        doubt, s.doubt, s.pending = s.doubt, None, field_id
        step = STEP_BY_FIELD[field_id]
        if doubt is None or doubt.field != field_id:
            return False
        pick = menu_number(normalize(raw))
        if pick is None and doubt.start_year is not None and is_skip(raw):
            pick = 1  # 记不清: the cautious reading, as the only button says
        verdict = _yes_no(raw) if pick is None else None
        alternative = None if doubt.alternative is None else Decimal(doubt.alternative)
        reading: Reading | None = None
        if alternative is not None and pick == 1:
            value = alternative
        elif pick == (1 if alternative is None else 2) or verdict is True:
            value = Decimal(doubt.value)
            reading = doubt.reading  # the figure as typed: its range too
        elif pick == 2 or verdict is False:
            turn.replies.append(self._ask(s, field_id, today))
            return True
        else:
            return False
        echo = self.t(s, "echo.value", value=self._figure_text(field_id, value, s))
        self._take(turn, step, value, echo, today, reading)
        return True

    def _confirm(self, turn: Turn, raw: str, today: date) -> None:
        s = turn.session
        text = normalize(raw).lower()
        number = menu_number(_NUMBERING.sub("", text))  # 3, 3., (3), ⑶ (NFKC: "(3)")
        # a number is a summary line to change, never "yes"
        if number is None and (text in SUBMIT_WORDS or _yes_no(raw)):
            self._finish(turn, today)
            return
        ctx = context(s, self.rules, today)
        lines = summary_fields(ctx)
        target = None
        if text in lines:
            target = text
        elif number is not None and 1 <= number <= len(lines):
            target = lines[number - 1]
        else:
            for f in lines:
                if text and text in (self.t(s, f"metric.{f}").lower(), f):
                    target = f
        if target is None:
            turn.replies.append(Text(self.t(s, "summary.unclear")))
            turn.replies.append(self._summary(s, ctx))
            return
        s.pending = target
        s.editing = True
        turn.replies.append(self._ask(s, target, today, ctx))

    def _finish(self, turn: Turn, today: date) -> None:
        s = turn.session
        profile = profile_of(s, self.rules)
        assessment = assess(profile, self.rules, today)
        progress = None
        last = turn.last
        if last is not None:
            before = last.result or assess(self._profile(last.answers), self.rules, last.made_on).contract()
            progress = results.progress_line(
                compare(before, assessment.contract()), last.made_on, self.view(s.lang)
            )
        self._show_result(turn, assessment, dict(s.answers), today, progress=progress)
        readings = {f: r.model_dump() for f, r in s.readings.items() if f in s.answers}
        turn.finished = Finished(assessment, dict(s.answers), readings)
        self._event(turn, "finished", None)
        s.reset_assessment()

    def after_result(
        self,
        s: Session,
        a: Assessment | None = None,
        answers: dict[str, Any] | None = None,
        *,
        remind: bool = False,
    ) -> Menu:
        """What a person can do next: open a part of the result, get the PDF, try a change,
        apply to join, ask to be contacted, and (`remind`) be reminded to reassess in a year."""
        choices: list[Choice] = []
        if a is not None:
            parts = results.DETAIL_PARTS if a.score is not None else ("tier", "subsidies", "contacts")
            choices += [Choice(f"/details {p}", self.t(s, results.DETAIL_LABELS[p])) for p in parts]
            choices.append(Choice("/report", self.t(s, "report.button")))
            choices += self._whatif_choices(s, a, answers or {})
        choices += [Choice("/join", self.t(s, "menu.join")), Choice("/callme", self.t(s, "menu.callme"))]
        if remind:
            choices.append(Choice("/remind_yearly", self.t(s, "remind.yearly_button")))
        return Menu(self.t(s, "result.more" if a is not None else "result.next_steps"), tuple(choices))

    def _implausible(self, s: Session, a: str, b: str) -> bool:
        return (a, b) in exceeding(s.profile_data())

    @property
    def _scored_fields(self) -> frozenset[str]:
        """The fields some indicator reads: skipping one of them scores 0."""
        return frozenset(f for ind in self.rules.indicators.indicator for f in ind.fields)

    def _parse(self, step: Step, raw: str, today: date, s: Session) -> _Parsed:
        """One answer read, with its echo; a figure out of the plausible range comes back
        as a doubt to ask first. Raises AnswerError."""
        if step.kind in ("money", "percent", "years"):
            return self._parse_figure(step, raw, today, s)
        options = parser_options(step.field, self.rules)
        value: Any
        if step.kind == "multi":
            value = parse_choices(raw, options)
        else:
            value = parse_choice(raw, options, all_means=all_means(step.field, self.rules))
        if step.kind == "multi" and not value:
            shown = self.t(s, "value.none_of_these")
        else:
            labels = {v: label for v, label, _ in options_for(step.field, self.rules, s.lang)}
            items = value if isinstance(value, list) else [value]
            shown = self.t(s, "list.sep").join(labels.get(v, str(v)) for v in items)
        return _Parsed(value, self.t(s, "echo.choice", value=shown))

    def _parse_figure(self, step: Step, raw: str, today: date, s: Session) -> _Parsed:
        figure: Figure
        if step.kind == "money":
            figure = read_money(raw, allow_negative=step.allow_negative)
        elif step.kind == "percent":
            figure = read_percent(raw, low=step.percent_low, high=step.percent_high)
        else:
            figure = read_years(raw, today=today)
        rule = self.rules.figures[step.field]
        value = figure.low if figure.kind == "exact" else rule.conservative(figure.low, figure.high)
        assert value is not None
        shown = self._figure_text(step.field, value, s)
        reading: Reading | None = None
        if figure.kind == "exact":
            key = "echo.bare_wan" if figure.reading == "bare_wan" else "echo.value"
            echo = self.t(s, key, value=shown)
        else:
            low, high = figure.low, figure.high
            if figure.reading == SINCE_YEAR and low is not None and high is not None:
                year = today.year - int(high)
                span = render.span(step.kind, low, high, s.lang, self.cat)
                echo = self.t(s, "echo.since_year", value=shown, year=year, span=span)
            else:
                given = render.figure_given(figure, step.kind, s.lang, self.cat)
                echo = self.t(s, "echo.range", value=shown, reading=given)
            reading = Reading(
                kind=figure.kind,
                low=None if low is None else str(low),
                high=None if high is None else str(high),
            )
        edge = self._edge_of(step.field, figure)
        if edge is not None and figure.high is not None:  # the month decides a condition: ask it
            year = today.year - int(figure.high)
            return _Parsed(value, echo, Doubt(field=step.field, value=str(value), start_year=year), reading)
        if rule.plausible(value):
            return _Parsed(value, echo, reading=reading)
        alternative = likelier_reading(value, figure.reading, rule.unit)
        if alternative is not None and not rule.plausible(alternative):
            alternative = None
        doubt = Doubt(
            field=step.field,
            value=str(value),
            alternative=None if alternative is None else str(alternative),
        )
        return _Parsed(value, echo, doubt, reading)

    def _edge_of(self, field_id: str, figure: Figure) -> Decimal | None:
        """The condition's threshold a start year's range of years straddles (2024年开始 on
        2026-03-10 is 1–2 years: whether it is "2 years or more" depends on the month), or
        None. Only a start year asks back: a range a person estimates is taken cautiously."""
        if field_id != "niche_years" or figure.reading != SINCE_YEAR or figure.kind != "range":
            return None
        need = self.rules.conditions.niche_years.min_years
        low, high = figure.low, figure.high
        return need if low is not None and high is not None and low < need <= high else None

    def _error_text(self, s: Session, step: Step, err: AnswerError) -> str:
        details = {k: (format_decimal(v) if isinstance(v, Decimal) else v) for k, v in err.details.items()}
        code = err.code if self.cat.has(f"err.{err.code}") else "invalid"
        if code == "percent.range" and details.get("high") is None:
            code = "percent.range_low"
        message = self.t(s, f"err.{code}", **{k: details.get(k, "") for k in ("low", "high")})
        expected = self.t(s, f"expect.{step.kind}")
        example = self.t(s, f"q.{step.field}.example")
        return self.t(s, "err.frame", message=message, expected=expected, example=example)


def _as_stored(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as a session keeps them (amounts and percentages as exact strings)."""
    return {
        k: str(v) if k in DECIMAL_FIELDS and isinstance(v, int | Decimal) and not isinstance(v, bool) else v
        for k, v in answers.items()
    }


def _readings(stored: dict[str, dict[str, Any]]) -> dict[str, Reading]:
    """Stored readings back as Reading (one that cannot be read is left out)."""
    out: dict[str, Reading] = {}
    for f, data in stored.items():
        try:
            out[f] = Reading.model_validate(data)
        except ValueError:
            continue
    return out


def _detail_part(arg: str, cat: Catalogs) -> str | None:
    """The part `arg` names: its id (indicators…) or its button label in any language."""
    key = normalize(arg).lower()
    if key in results.DETAIL_PARTS:
        return key
    for part, label_key in results.DETAIL_LABELS.items():
        if key and any(key == cat.text(lang, label_key).lower() for lang in LANGS):
            return part
    return None


def _canonical(f: str, value: Any) -> str:
    """An answer to field `f` as a what-if reads it back exactly: 3000000元, 20%, 7年,
    provincial, a,b, yes."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        kind = STEP_BY_FIELD[f].kind
        unit = {"money": "元", "percent": "%", "years": "年"}.get(kind, "")
        return format_decimal(value) + unit
    if isinstance(value, list):
        return ",".join(str(v) for v in value) if value else "none"
    return str(value)


def _improvement_change(imp: Any, data: dict[str, Any], rules: Rules) -> tuple[str, Any] | None:
    """The answer an improvement asks for: (field, new value), or None if it cannot be said."""
    if imp.unit == "choice":
        step = STEP_BY_FIELD.get(imp.metric)
        if step is None:
            return None
        for value, _, _ in options_for(imp.metric, rules, "zh"):
            if str(value) == str(imp.target):
                return imp.metric, value
        return None
    if imp.unit == "item":
        held = list(data.get(imp.metric) or [])
        for value, _, _ in options_for(imp.metric, rules, "zh"):
            if value not in held:
                return imp.metric, [*held, value]
        return None
    if imp.metric not in STEP_BY_FIELD:  # a ratio: raise its numerator
        numerator = str(imp.metric).split("_to_")[0]
        have = data.get(numerator)
        if numerator not in STEP_BY_FIELD or not isinstance(have, Decimal) or imp.short_amount is None:
            return None
        return numerator, have + imp.short_amount
    if isinstance(imp.target, Decimal):
        return imp.metric, imp.target
    return None


_NUMBERING: Final = re.compile(r"[()（）.、。\s]")
# The answers each recognition condition reads (rules/engine.py), for explaining a question.
_CONDITION_FIELDS: Final = {
    "innovative_sme": ("certification",),
    "niche_years": ("niche_years",),
    "rd_expense": ("rd_expense",),
    "revenue": ("revenue", "equity_financing_2y"),
}
# A month typed alone, when asked which month of a start year: 3月, 三月份, 3月开始的, March.
_MONTH_ZH: Final = re.compile(
    r"(?:在|是|从)?(?P<month>[0-9]{1,2}|十[一二]?|[一二三四五六七八九]|正|腊)月份?(?:开始|起|的|左右|吧|开始的)*"
)
_CN_MONTHS: Final = {
    **{ch: n for n, ch in enumerate("一二三四五六七八九", start=1)},
    "十": 10, "十一": 11, "十二": 12, "正": 1, "腊": 12,
}  # fmt: skip
_EN_MONTHS: Final = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_EN: Final = re.compile(
    r"(?:in |since |from |around |about )?"
    r"(?P<month>(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)\.?"
)


def _waiting_at(s: Session) -> str | None:
    """The questionnaire question a person is stopped at (a field, or "confirm" for the
    summary), also while an enquiry interrupts it; None when no questionnaire waits."""
    if s.mode == "assess" and s.pending:
        pending = s.pending
    elif s.mode == "lead" and s.lead.get("return_to"):
        pending = s.lead["return_to"]
    else:
        return None
    if pending != CONFIRM:
        pending = pending.removeprefix(VERIFY_PREFIX).removeprefix(CONFIRM_PREFIX)
    return pending


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except ArithmeticError:
        return None
    return value if value.is_finite() else None


def _a_year_after(day: date) -> date:
    """The same day a year later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _in_lang(message: Outbound, lang: str) -> Outbound:
    """A question or menu marked as written in `lang` (its channel's buttons follow it)."""
    if isinstance(message, Question | Menu):
        return dataclass_replace(message, lang=lang)
    return message


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _yes_no(raw: str) -> bool | None:
    yes, no = yes_no_options()
    try:
        return bool(parse_choice(raw, [yes, no]))
    except AnswerError:
        return None
