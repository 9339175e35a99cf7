"""知识库 Knowledge: every FAQ entry with its source and validity, and a box that shows what
the assistant would answer to a question: the same engine, a first-time asker's session,
with the search's decision and the runner-up entries. Entries staff made from their
answers (存为常见问题) are shown with their source and who made them; admins edit and
remove them (checked as in the chat, answering at once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web

from bot.knowledge import ANSWER_LIMIT, TOPICS, KnowledgeError, StaffRecord
from bot.knowledge import QUESTION_LIMIT as ENTRY_QUESTION_LIMIT
from dialogs.language import message_lang
from dialogs.messages import Inbound, Menu, Outbound, Question
from dialogs.session import Session
from rules.faq import STAFF_SOURCE

from ..core import BASE, admin_only, console_of, lang_of, page, staff_of
from ..forms import Form

QUESTION_LIMIT = 500
DECISIONS = {
    "answer": "web.knowledge.decision.answer",
    "suggest": "web.knowledge.decision.suggest",
    "handoff": "web.knowledge.decision.handoff",
    "out_of_scope": "web.knowledge.decision.out_of_scope",
}


@dataclass(frozen=True, slots=True)
class EntryView:
    id: str
    topic: str
    question: str
    answer: str
    source: str
    clause: str
    valid_from: date | None
    valid_to: date | None
    as_of: date | None
    expired: bool
    origin: str  # "seed" (the source documents) or "staff" (an answer staff saved)
    made_by: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    choices: tuple[str, ...]


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/knowledge", knowledge)
    router.add_get("/knowledge/staff/{id}", staff_entry)
    router.add_post("/knowledge/staff/{id}", edit_staff_entry)
    router.add_post("/knowledge/staff/{id}/remove", remove_staff_entry)


def _entries(request: web.Request, lang: str, topic: str, words: str) -> list[EntryView]:
    console = console_of(request)
    knowledge = console.assistant.knowledge
    if knowledge is not None:
        knowledge.sync()
    made = {r.id: r.made_by_name or r.made_by for r in knowledge.records()} if knowledge is not None else {}
    faq = console.assistant.engine.faq
    meta = console.rules.meta
    today = console.today()
    shown = []
    for e in faq.base.entries:
        if topic and e.topic != topic:
            continue
        question, answer = e.question.get(lang), faq.answer_text(e, lang)  # a rule's, computed
        if words and words.casefold() not in f"{e.id} {question} {answer} {' '.join(e.asks)}".casefold():
            continue
        staff = e.source.file == STAFF_SOURCE
        title = meta.source_title(e.source.file)
        source = (
            console.t(lang, "web.knowledge.staff_source")
            if staff
            else title.get(lang)
            if title
            else e.source.file
        )
        shown.append(
            EntryView(
                e.id, e.topic, question, answer, source, e.source.clause, e.valid_from, e.valid_to, e.as_of,
                e.valid_to is not None and e.valid_to < today, "staff" if staff else "seed",
                made.get(e.id, ""),
            )
        )  # fmt: skip
    return shown


def would_answer(request: web.Request, question: str, lang: str) -> dict[str, Any]:
    """The decision, the ranked entries and the replies a new person asking ``question`` gets."""
    console = console_of(request)
    engine = console.assistant.engine
    found = engine.faq.search(question, fallback_lang=lang, staff_reachable=engine.staff_reachable)
    # a first-time asker who writes in the question's language (the page's when it has none)
    asker = Session(lang=message_lang(question) or lang)
    turn = engine.handle(asker, Inbound(text=f"/faq {question}"), console.today())
    replies = [_reply(r) for r in turn.replies]
    top = [
        (entry_id, score, engine.faq.entry(entry_id).question.get(found.lang))
        for entry_id, score in found.top
    ]
    return {
        "decision": DECISIONS.get(found.decision),
        "decision_id": found.decision,
        "reason": found.reason,
        "confidence": found.confidence,
        "lang": found.lang,
        "top": top,
        "replies": replies,
        "handoff": any(n.kind == "handoff" for n in turn.notices),
    }


def _reply(reply: Outbound) -> Reply:
    choices: tuple[str, ...] = ()
    if isinstance(reply, Menu | Question):
        choices = tuple(c.label for c in reply.choices)
    return Reply(reply.text, choices)


async def knowledge(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    lang = lang_of(request)
    form = Form(request.query)
    question = form.text("q", max_chars=QUESTION_LIMIT)
    topics = sorted({e.topic for e in console.assistant.engine.faq.base.entries})
    topic = form.choice("topic", tuple(topics))
    words = form.text("words", max_chars=100)
    origin = form.choice("origin", ("seed", "staff"))
    tried = would_answer(request, question, lang) if question and "q" not in form.errors else None
    return await page(
        request,
        "knowledge.html",
        {
            "question": question,
            "tried": tried,
            "entries": [e for e in _entries(request, lang, topic, words) if not origin or e.origin == origin],
            "origin": origin,
            "topics": topics,
            "topic": topic,
            "words": words,
            "errors": form.messages(lambda key, **v: console.t(lang, key, **v)),
        },
        current="knowledge",
    )


# ---------------------------------------------------------------- staff entries (admins)


def _record(request: web.Request) -> StaffRecord:
    knowledge = console_of(request).assistant.knowledge
    found = knowledge.get(request.match_info["id"]) if knowledge is not None else None
    if found is None:
        raise web.HTTPNotFound()
    return found


@admin_only
async def staff_entry(
    request: web.Request,
    *,
    record: StaffRecord | None = None,
    errors: dict[str, str] | None = None,
) -> web.StreamResponse:
    """One staff entry in a form: both languages, the phrasings, the topic."""
    kept = _record(request)
    return await page(
        request,
        "staff_entry.html",
        {
            "entry": record or kept,
            "kept": kept,
            "topics": TOPICS,
            "errors": errors or {},
            "question_limit": ENTRY_QUESTION_LIMIT,
            "answer_limit": ANSWER_LIMIT,
        },
        current="knowledge",
        status=400 if errors else 200,
    )


@admin_only
async def edit_staff_entry(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    knowledge = console.assistant.knowledge
    kept = _record(request)
    assert knowledge is not None
    lang = lang_of(request)
    form = Form(await request.post())
    values = {
        "question_zh": form.text("question_zh", max_chars=ENTRY_QUESTION_LIMIT),
        "answer_zh": form.text("answer_zh", max_chars=ANSWER_LIMIT),
        "question_en": form.text("question_en", max_chars=ENTRY_QUESTION_LIMIT),
        "answer_en": form.text("answer_en", max_chars=ANSWER_LIMIT),
    }
    topic = form.choice("topic", TOPICS, kept.topic)
    raw_asks = form.text("asks", max_chars=4000)
    asks = tuple(dict.fromkeys(line.strip() for line in raw_asks.splitlines() if line.strip()))
    record = StaffRecord(
        id=kept.id, topic=topic, question_zh=values["question_zh"] or None,
        answer_zh=values["answer_zh"] or None, question_en=values["question_en"] or None,
        answer_en=values["answer_en"] or None, asks=asks,
        made_by=kept.made_by, made_by_name=kept.made_by_name, made_on=kept.made_on, ticket_id=kept.ticket_id,
    )  # fmt: skip
    errors = form.messages(lambda key, **v: console.t(lang, key, **v))
    if not errors:
        who = staff_of(request).id
        try:
            knowledge.save(record, by=who)
        except KnowledgeError as exc:
            errors = {"entry": console.t(lang, exc.key, **exc.values)}
        else:
            await knowledge.refresh()
            console.audit.record(who, "faq.edit", f"faq:{kept.id}")
            raise web.HTTPSeeOther(f"{BASE}/knowledge?origin=staff#entry-{kept.id}")
    return await staff_entry(request, record=record, errors=errors)


@admin_only
async def remove_staff_entry(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    knowledge = console.assistant.knowledge
    kept = _record(request)
    assert knowledge is not None
    if knowledge.remove(kept.id):
        await knowledge.refresh()
        console.audit.record(staff_of(request).id, "faq.remove", f"faq:{kept.id}")
    raise web.HTTPSeeOther(f"{BASE}/knowledge?origin=staff")
