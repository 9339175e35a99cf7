"""知识库 Knowledge: every FAQ entry with its source and validity, and a box that shows what
the assistant would answer to a question: the same engine, a first-time asker's session,
with the search's decision and the runner-up entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web

from dialogs.language import message_lang
from dialogs.messages import Inbound, Menu, Outbound, Question
from dialogs.session import Session

from ..core import console_of, lang_of, page
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
    origin: str  # "seed" (the source documents); staff answers join with the desk


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    choices: tuple[str, ...]


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/knowledge", knowledge)


def _entries(request: web.Request, lang: str, topic: str, words: str) -> list[EntryView]:
    console = console_of(request)
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
        title = meta.source_title(e.source.file)
        shown.append(
            EntryView(
                e.id, e.topic, question, answer, title.get(lang) if title else e.source.file, e.source.clause,
                e.valid_from, e.valid_to, e.as_of, e.valid_to is not None and e.valid_to < today, "seed",
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
    tried = would_answer(request, question, lang) if question and "q" not in form.errors else None
    return await page(
        request,
        "knowledge.html",
        {
            "question": question,
            "tried": tried,
            "entries": _entries(request, lang, topic, words),
            "topics": topics,
            "topic": topic,
            "words": words,
            "errors": form.messages(lambda key, **v: console.t(lang, key, **v)),
        },
        current="knowledge",
    )
