"""``zjtx ask "…" [--lang zh|en] [--json]``: answer a question from the FAQ.

Three outcomes, from :class:`dialogs.faq_search.FaqResult`: an answer with its source, the
three likeliest questions to choose from, or a hand-off to the association's secretariat
with its contacts. The answer is in the asker's language unless `lang` says otherwise.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from dialogs import render
from dialogs.faq_search import FaqResult, Lang, default_search
from dialogs.i18n import load_catalogs
from rules import default_rules


def run_ask(question: str, lang: str | None, as_json: bool, out: TextIO) -> int:
    """Answer `question` on `out`, as text or (with `as_json`) as one JSON object. Returns 0.

    `lang` ("zh" or "en") forces the reply's language; otherwise it is the asker's.
    """
    result = default_search().search(question, lang)
    reply = build_reply(result)
    if as_json:
        out.write(json.dumps(reply, ensure_ascii=False) + "\n")
    else:
        out.write(render_plain(reply, result.lang) + "\n")
    return 0


def build_reply(result: FaqResult) -> dict[str, Any]:
    """The JSON reply: answer, source, confidence, suggestions, handoff, entry_id (and more)."""
    search = default_search()
    rules = default_rules()
    cat = load_catalogs()
    lang = result.lang
    reply: dict[str, Any] = {
        "answer": None,
        "source": None,
        "confidence": result.confidence,
        "suggestions": [],
        "handoff": False,
        "entry_id": None,
        "lang": lang,
        "reason": result.reason,
        "contacts": None,
    }
    if result.decision == "answer":
        entry = search.entry(result.top[0][0])
        reply["answer"] = entry.answer.get(lang)
        reply["source"] = _source(entry.source.file, entry.source.clause, lang)
        reply["entry_id"] = entry.id
    elif result.decision == "suggest":
        # the best match goes in `answer` for programs; `suggestions` say it is uncertain
        entry = search.entry(result.top[0][0])
        reply["answer"] = entry.answer.get(lang)
        reply["source"] = _source(entry.source.file, entry.source.clause, lang)
        reply["entry_id"] = entry.id
        reply["suggestions"] = [
            {"id": entry_id, "question": search.entry(entry_id).question.get(lang)}
            for entry_id, _ in result.top
        ]
    else:
        association = rules.contacts.association
        intro = cat.text(lang, "faq.handoff.asked" if result.reason == "asked_for_human" else "faq.handoff")
        reply["handoff"] = True
        reply["answer"] = intro + "\n" + render.contacts_text(rules, lang, cat)
        reply["source"] = _source(association.source.file, association.source.clause, lang)
        reply["contacts"] = {
            "name": association.name.get(lang),
            "address": association.address.get(lang),
            "email": association.email,
            "departments": [
                {"name": d.name.get(lang), "person": d.person.get(lang), "phone": d.phone}
                for d in association.department
            ],
        }
    return reply


def render_plain(reply: dict[str, Any], lang: Lang) -> str:
    """The reply as a person reads it: the answer and its source line, or the suggestions."""
    cat = load_catalogs()
    if reply["suggestions"]:
        lines = [cat.text(lang, "faq.suggest")]
        lines += [f"{n}. {s['question']}" for n, s in enumerate(reply["suggestions"], start=1)]
        lines.append(cat.text(lang, "faq.pick_one"))
        return "\n".join(lines)
    lines = [str(reply["answer"])]
    source = reply["source"]
    if source and not reply["handoff"]:
        lines.append(cat.text(lang, "source.line", title=source["title"], clause=source["clause"]))
    return "\n".join(lines)


def _source(file: str, clause: str, lang: Lang) -> dict[str, str]:
    title = default_rules().meta.source_title(file)
    return {"file": file, "clause": clause, "title": title.get(lang) if title else file}
