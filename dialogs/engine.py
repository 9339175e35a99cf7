"""The dialog engine: (session, inbound message, today) → (outbound messages, new session).

Channel-agnostic and pure: no platform, HTTP or database code. The caller stores the new
session (and a finished assessment) before it sends the replies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from datetime import date
from decimal import Decimal
from typing import Any

from dialogs import render
from dialogs.faq_reply import compose, entry_reply
from dialogs.faq_search import FaqSearch, default_search
from dialogs.flow import (
    CONFIRM,
    CONFIRM_PREFIX,
    PLAUSIBILITY,
    STEP_BY_FIELD,
    Step,
    context,
    next_step,
    options_for,
    parser_options,
    profile_of,
    progress,
)
from dialogs.i18n import LANGS, Catalogs, load_catalogs, normalize_lang
from dialogs.leads import STEPS as LEAD_STEPS
from dialogs.leads import LeadKind, LeadRequest, clean_field, normalize_phone
from dialogs.messages import Choice, Inbound, Menu, Notify, Outbound, Question, Result, Text
from dialogs.parsing import (
    AnswerError,
    format_decimal,
    is_skip,
    normalize,
    parse_choice,
    parse_choices,
    parse_money_reading,
    parse_percent,
    parse_years,
    yes_no_options,
)
from dialogs.session import Session
from rules import Assessment, Rules, assess, default_rules
from rules.model import Source

SUBMIT_WORDS = frozenset({"yes", "y", "ok", "确认", "提交", "确认提交", "是", "对", "好", "好的", "没问题"})
MENU_COMMANDS = ("/assess", "/tiers", "/subsidies", "/faq", "/contacts")


@dataclass
class Finished:
    """An assessment completed in this turn, for the caller to keep."""

    assessment: Assessment
    answers: dict[str, Any]


@dataclass
class Turn:
    replies: list[Outbound]
    session: Session
    finished: Finished | None = None
    lead: LeadRequest | None = None
    notices: list[Notify] = field(default_factory=list)


@dataclass(frozen=True)
class LastResult:
    """A stored assessment, for /result: its answers and the date it was made."""

    answers: dict[str, Any]
    made_on: date
    rules_version: str


class DialogEngine:
    """Holds the rules and catalogs; :meth:`handle` is the only entry point.

    `staff_reachable`: a staff chat is configured, so a hand-off can promise a reply and
    emits a :class:`Notify`; without one (the terminal, ``zjtx ask``) the engine gives the
    secretariat's contacts and promises nothing.
    """

    def __init__(
        self,
        rules: Rules | None = None,
        catalogs: Catalogs | None = None,
        faq: FaqSearch | None = None,
        staff_reachable: bool = False,
    ) -> None:
        self.rules = rules or default_rules()
        self.cat = catalogs or load_catalogs()
        self._faq = faq
        self.staff_reachable = staff_reachable

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
    ) -> Turn:
        """Answer one inbound message. Never raises on what a person sends."""
        s = session.model_copy(deep=True)
        if not s.lang_chosen:
            hinted = normalize_lang(inbound.lang_hint)
            if hinted:
                s.lang = hinted
        turn = Turn([], s)
        if inbound.choice is not None and inbound.choice.startswith("/"):
            self._command(turn, inbound.choice, today, last)
        elif inbound.choice is not None and s.mode == "lead" and s.pending:
            self._lead_answer(turn, inbound.choice, today)
        elif inbound.choice is not None:
            self._answer(turn, inbound.choice, today, chosen=True)
        elif inbound.is_command:
            self._command(turn, inbound.text.strip(), today, last)
        elif s.mode == "lead" and s.pending:
            self._lead_answer(turn, inbound.text, today)
        elif s.mode == "assess" and s.pending:
            self._answer(turn, inbound.text, today, chosen=False)
        else:
            self._idle_text(turn, inbound.text, today)
        return turn

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

    def _command(self, turn: Turn, text: str, today: date, last: LastResult | None) -> None:
        s = turn.session
        name, _, arg = text.partition(" ")
        name = name.split("@", 1)[0].lower()
        arg = arg.strip()
        handlers: dict[str, Callable[[], None]] = {
            "/start": lambda: self._start(turn, arg, today),
            "/menu": lambda: turn.replies.append(self.menu(s)),
            "/assess": lambda: self._assess(turn, today, fresh=False),
            "/restart": lambda: self._assess(turn, today, fresh=True),
            "/back": lambda: self._back(turn, today),
            "/skip": lambda: self._answer(turn, "/skip", today, chosen=False),
            "/cancel": lambda: self._cancel(turn, today),
            "/help": lambda: self._help(turn, today),
            "/lang": lambda: self._lang(turn, arg, today),
            "/result": lambda: self._result(turn, last),
            "/tiers": lambda: turn.replies.append(Text(render.tiers_text(self.rules, s.lang, self.cat))),
            "/subsidies": lambda: turn.replies.extend(
                Text(p) for p in render.subsidies_text(self.rules, s.lang, self.cat, today)
            ),
            "/contacts": lambda: self._contacts(turn, arg),
            "/faq": lambda: self._faq_command(turn, arg, today),
            "/join": lambda: self._start_lead(turn, "join", today),
            "/callme": lambda: self._start_lead(turn, "callme", today),
        }
        handler = handlers.get(name)
        if handler is None:
            turn.replies.append(Text(self.t(s, "command.unknown", command=name[:40])))
            self._reask_if_pending(turn, today)
            return
        handler()

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
        s.reset_assessment()
        s.mode = "assess"
        turn.replies.append(Text(self.t(s, "assess.intro")))
        self._advance(turn, today)

    def _cancel(self, turn: Turn, today: date) -> None:
        s = turn.session
        if s.mode == "lead":
            self._end_lead(turn, today, "lead.cancelled")
            return
        was_assessing = s.mode == "assess"
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
        if step == "lead_consent":
            typed = normalize(raw).lower()
            labels = {
                self.cat.text(lang, k).lower(): k == "lead.agree"
                for lang in LANGS
                for k in ("lead.agree", "lead.decline")
            }
            verdict = labels[typed] if typed in labels else (True if typed == "yes" else _yes_no(raw))
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
            self._end_lead(turn, today, "lead.thanks")
            return
        turn.replies.append(self._lead_question(s))

    def _end_lead(self, turn: Turn, today: date, key: str) -> None:
        s = turn.session
        back = s.lead.get("return_to", "")
        s.lead = {}
        turn.replies.append(Text(self.t(s, key)))
        if back:
            s.mode, s.pending = "assess", back
            turn.replies.append(self._ask(s, back, today))
        else:
            s.mode, s.pending = "idle", None

    def _help(self, turn: Turn, today: date) -> None:
        turn.replies.append(Text(self.t(turn.session, "help.text")))
        self._reask_if_pending(turn, today)

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
        profile = profile_of(Session(answers=last.answers), self.rules)
        assessment = assess(profile, self.rules, last.made_on)
        note = self.t(s, "result.again", date=last.made_on.isoformat())
        parts = (note, *render.result_parts(assessment, self.rules, s.lang, self.cat))
        turn.replies.append(Result(assessment.contract(), parts))
        turn.replies.append(self.after_result(s))

    def _reask_if_pending(self, turn: Turn, today: date) -> None:
        turn.replies.extend(self.resume(turn.session, today))

    def _idle_text(self, turn: Turn, text: str, today: date) -> None:
        s = turn.session
        if not normalize(text):
            turn.replies.append(self.menu(s))
            return
        self._ask_faq(turn, text, today)

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
        reply = compose(found, question, self.faq, today, self.staff_reachable)
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
        """Ask the next unsettled question, or show the summary when all are settled."""
        s = turn.session
        step = next_step(context(s, self.rules, today))
        s.editing = False
        s.pending = step.field if step else CONFIRM
        turn.replies.append(self._ask(s, s.pending, today))

    def _back(self, turn: Turn, today: date) -> None:
        s = turn.session
        if s.mode != "assess" or not s.pending:
            turn.replies.append(self.menu(s, "back.nothing"))
            return
        current = s.pending.removeprefix(CONFIRM_PREFIX) if s.pending != CONFIRM else None
        earlier = [f for f in s.history if f != current]
        if not earlier:
            turn.replies.append(Text(self.t(s, "back.first")))
            turn.replies.append(self._ask(s, s.pending, today))
            return
        s.pending = earlier[-1]
        s.editing = True
        turn.replies.append(self._ask(s, s.pending, today))

    def _ask(self, s: Session, qid: str, today: date) -> Question:
        if qid == CONFIRM:
            return self._summary(s)
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
        number, total = progress(context(s, self.rules, today), qid)
        lines = [
            self.t(s, "q.progress", n=number, total=total),
            self.t(s, f"q.{qid}.text"),
            self.t(s, f"q.{qid}.why"),
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

    def _summary(self, s: Session) -> Question:
        lines = [self.t(s, "summary.title")]
        choices = [Choice("yes", self.t(s, "summary.submit"))]
        for i, f in enumerate(s.history, start=1):
            lines.append(
                self.t(s, "summary.line", n=i, name=self.t(s, f"metric.{f}"), value=self._shown(s, f))
            )
            choices.append(Choice(f, self.t(s, "summary.change", name=self.t(s, f"metric.{f}"))))
        lines.append(self.t(s, "summary.hint"))
        return Question(CONFIRM, "\n".join(lines), tuple(choices))

    def _shown(self, s: Session, f: str) -> str:
        """An answer as the person would read it back."""
        if f in s.skipped or f not in s.answers:
            return self.t(s, "value.skipped")
        value = s.profile_data()[f]
        step = STEP_BY_FIELD.get(f)
        kind = step.kind if step else "money"
        if kind == "money":
            return render.money(value, s.lang, self.cat)
        if kind == "percent":
            return render.percent(value)
        if kind == "years":
            return render.years(value, s.lang, self.cat)
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
            turn.replies.append(Text(self.t(s, "echo.skipped")))
            self._advance(turn, today)
            return
        try:
            value, reading = self._parse(step, raw, today, s)
        except AnswerError as err:
            turn.replies.append(Text(self._error_text(s, step, err)))
            turn.replies.append(self._ask(s, field_id, today))
            return
        s.set_answer(field_id, value)
        turn.replies.append(Text(self._echo(s, step, reading)))
        for a, b in PLAUSIBILITY:
            if field_id in (a, b) and self._implausible(s, a, b):
                s.pending = CONFIRM_PREFIX + a
                turn.replies.append(self._ask(s, s.pending, today))
                return
        self._advance(turn, today)

    def _confirm(self, turn: Turn, raw: str, today: date) -> None:
        s = turn.session
        text = normalize(raw).lower()
        # a number is a summary line to change, never "yes"
        if not text.isdigit() and (text in SUBMIT_WORDS or _yes_no(raw)):
            self._finish(turn, today)
            return
        target = None
        if text in s.history:
            target = text
        elif text.isdigit() and 1 <= int(text) <= len(s.history):
            target = s.history[int(text) - 1]
        else:
            for f in s.history:
                if text and text in (self.t(s, f"metric.{f}").lower(), f):
                    target = f
        if target is None:
            turn.replies.append(Text(self.t(s, "summary.unclear")))
            turn.replies.append(self._summary(s))
            return
        s.pending = target
        s.editing = True
        turn.replies.append(self._ask(s, target, today))

    def _finish(self, turn: Turn, today: date) -> None:
        s = turn.session
        profile = profile_of(s, self.rules)
        assessment = assess(profile, self.rules, today)
        parts = render.result_parts(assessment, self.rules, s.lang, self.cat)
        turn.replies.append(Result(assessment.contract(), parts))
        turn.replies.append(self.after_result(s))
        turn.finished = Finished(assessment, dict(s.answers))
        s.reset_assessment()

    def after_result(self, s: Session) -> Menu:
        """What a person can do next: apply to join, or ask to be contacted."""
        return Menu(
            self.t(s, "result.next_steps"),
            (Choice("/join", self.t(s, "menu.join")), Choice("/callme", self.t(s, "menu.callme"))),
        )

    def _implausible(self, s: Session, a: str, b: str) -> bool:
        data = s.profile_data()
        va, vb = data.get(a), data.get(b)
        return isinstance(va, Decimal) and isinstance(vb, Decimal) and va > vb

    def _parse(self, step: Step, raw: str, today: date, s: Session) -> tuple[Any, str]:
        """(value, how to echo it) for one answer. Raises AnswerError."""
        if step.kind == "money":
            value, reading = parse_money_reading(raw, allow_negative=step.allow_negative)
            return value, reading
        if step.kind == "percent":
            return parse_percent(raw, low=step.percent_low, high=step.percent_high), "percent"
        if step.kind == "years":
            return parse_years(raw, today=today), "years"
        options = parser_options(step.field, self.rules)
        if step.kind == "multi":
            return parse_choices(raw, options), "choice"
        return parse_choice(raw, options), "choice"

    def _echo(self, s: Session, step: Step, reading: str) -> str:
        shown = self._shown(s, step.field)
        if reading == "bare_wan":
            return self.t(s, "echo.bare_wan", value=shown)
        if step.kind in ("choice", "multi", "yesno"):
            return self.t(s, "echo.choice", value=shown)
        return self.t(s, "echo.value", value=shown)

    def _error_text(self, s: Session, step: Step, err: AnswerError) -> str:
        details = {k: (format_decimal(v) if isinstance(v, Decimal) else v) for k, v in err.details.items()}
        code = err.code if self.cat.has(f"err.{err.code}") else "invalid"
        if code == "percent.range" and details.get("high") is None:
            code = "percent.range_low"
        message = self.t(s, f"err.{code}", **{k: details.get(k, "") for k in ("low", "high")})
        expected = self.t(s, f"expect.{step.kind}")
        example = self.t(s, f"q.{step.field}.example")
        return self.t(s, "err.frame", message=message, expected=expected, example=example)


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
