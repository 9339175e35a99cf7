"""The words of an FAQ decision: what the person reads, whatever the channel.

:func:`compose` turns a :class:`~dialogs.faq_search.FaqResult` into a :class:`FaqReply`:
an entry's answer (written, or computed from the rules data by
:mod:`dialogs.rule_answers`) with its citation; the sources' silence with the
secretariat's contacts; suggestions; a hand-off; or what the assistant covers. A reply
promises that staff will answer only when `staff_reachable` says someone can. Pure: the
dialog engine and ``zjtx ask`` both use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from dialogs import render
from dialogs.faq_search import FaqResult, FaqSearch, Lang
from dialogs.office_hours import OfficeHours
from dialogs.rule_answers import RuleAnswer, rule_answer
from rules.model import Source

# Reasons of a message that holds no question: nothing, signs, or only numbers and stopwords.
_NO_QUESTION = frozenset({"empty", "no_text", "no_words"})


@dataclass(frozen=True)
class FaqReply:
    """What to tell the person.

    `decision`, `reason`, `lang` as in :class:`FaqResult`. `text`: the reply without its
    source line; `source`: the citation of an answer; `entry_id` and `rule` (the computed
    answer, if any) of an answer; `suggestions`: (entry id, question) to choose from;
    `contacts`: the secretariat's contacts are part of `text`; `notify_staff`: staff are
    reachable and were promised.
    """

    decision: str
    reason: str
    lang: Lang
    text: str
    source: Source | None = None
    entry_id: str | None = None
    rule: RuleAnswer | None = None
    suggestions: list[tuple[str, str]] = field(default_factory=list)
    contacts: bool = False
    notify_staff: bool = False

    @property
    def not_in_sources(self) -> bool:
        return self.reason == "not_in_sources"


def compose(
    result: FaqResult,
    question: str,
    search: FaqSearch,
    today: date,
    staff_reachable: bool = False,
    *,
    office: OfficeHours | None = None,
    now: datetime | None = None,
) -> FaqReply:
    """The reply to `question` for the search's `result`. A hand-off to reachable staff
    says that the question and the recent conversation go to them, that the person's next
    messages do too, and, with `office` hours and the time `now`, when to expect a reply."""
    rules, cat, lang = search.rules, search.cat, result.lang
    contacts = render.contacts_text(rules, lang, cat)

    def reply(text: str, **more: object) -> FaqReply:
        return FaqReply(result.decision, result.reason, lang, text, **more)  # type: ignore[arg-type]

    if result.decision == "answer" and result.entry_id is not None:
        entry = search.entry(result.entry_id)
        computed = None
        if entry.rule is not None:
            words = search.option_words
            computed = rule_answer(entry.rule, search.normalise(question), rules, lang, cat, today, words)
            text, source = computed.text, computed.source
        else:
            assert entry.answer is not None
            text, source = entry.answer.get(lang), entry.source
        if entry.not_in_sources:  # its text already says whom to ask: only their contacts here
            text += "\n" + cat.text(lang, "faq.not_in_sources.contacts") + "\n" + contacts
        return reply(text, source=source, entry_id=entry.id, rule=computed, contacts=entry.not_in_sources)
    if result.decision == "answer":  # the domain, but nothing in the sources
        return reply(cat.text(lang, "faq.not_in_sources") + "\n" + contacts, contacts=True)
    if result.decision == "suggest":
        options = [(i, search.entry(i).question.get(lang)) for i, _ in result.top]
        if result.not_in_sources:  # nothing sure: say so, give the contacts, offer the nearest
            text = cat.text(lang, "faq.not_in_sources.maybe") + "\n" + contacts
            return reply(text, suggestions=options, contacts=True)
        return reply(cat.text(lang, "faq.suggest"), suggestions=options)
    if result.decision == "handoff":
        if staff_reachable:
            key = "faq.handoff.asked" if result.reason == "asked_for_human" else "faq.handoff"
            lines = [cat.text(lang, key), cat.text(lang, "faq.handoff.shared")]
            if office is not None and now is not None:
                lines.append(handoff_timing(office, now, lang, search))
            lines.append(cat.text(lang, "faq.handoff.direct") + "\n" + contacts)
            return reply("\n".join(lines), contacts=True, notify_staff=True)
        key = "faq.handoff.unreachable" if result.reason == "asked_for_human" else "faq.not_in_sources"
        return reply(cat.text(lang, key) + "\n" + contacts, contacts=True)
    if result.reason == "advertiser":  # not the association's: say so, and give its own contacts
        return reply(cat.text(lang, "faq.advertiser") + "\n" + contacts, contacts=True)
    return reply(out_of_scope_text(result, search))


def handoff_timing(office: OfficeHours, now: datetime, lang: str, search: FaqSearch) -> str:
    """When staff will reply: soon within the office hours, else from when they open."""
    cat = search.cat
    if office.is_open(now):
        return cat.text(lang, "faq.handoff.open")
    opens = office.moment_text(office.next_open(now), lang, cat)
    return cat.text(lang, "faq.handoff.closed", hours=office.describe(lang, cat), opens=opens)


def entry_reply(entry_id: str, search: FaqSearch, lang: Lang | str, today: date) -> FaqReply:
    """The answer of one entry (a suggestion the person picked), with no value named."""
    found = FaqResult("answer", [(entry_id, 1.0)], 1.0, "picked", "en" if lang == "en" else "zh")
    return compose(found, "", search, today)


def out_of_scope_text(result: FaqResult, search: FaqSearch) -> str:
    """What the assistant covers, after a word on the place or name that kept it out."""
    cat, lang = search.cat, result.lang
    if result.reason in _NO_QUESTION:  # nothing to answer: say how to ask, and what about
        return cat.text(lang, "faq.no_words") + "\n" + cat.text(lang, "faq.covers")
    if result.reason == "about_me":
        return cat.text(lang, "faq.about_me") + "\n" + cat.text(lang, "faq.covers")
    lines = []
    name = result.named
    if name and not any("\u3400" <= ch <= "\u9fff" for ch in name):
        name = name.title()
    if result.reason == "other_place" and name:
        lines.append(cat.text(lang, "faq.out_of_scope.place", place=name))
    elif name:
        lines.append(cat.text(lang, "faq.out_of_scope.named", name=name))
    if result.who:
        lines.append(cat.text(lang, result.who))
    lines.append(cat.text(lang, "faq.out_of_scope"))
    lines.append(cat.text(lang, "faq.covers"))
    return "\n".join(lines)
