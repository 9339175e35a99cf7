"""``zjtx ask "…" [--lang zh|en] [--json]``: answer a question from the FAQ.

The reply carries one of four decisions (see :mod:`dialogs.faq_reply`): ``answer`` (an
entry's answer, or a figure computed from the rules data, with its source; with reason
``not_in_sources`` when the sources do not say and the secretariat's contacts are given),
``suggest`` (the likeliest questions), ``handoff`` (a person was asked for) or
``out_of_scope`` (what the assistant covers). The command has no staff chat, so it never
promises a reply from staff. The answer is in the question's language unless `lang` says.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, TextIO

from dialogs.faq_reply import FaqReply, compose
from dialogs.faq_search import FaqResult, FaqSearch, Lang, default_search
from dialogs.i18n import load_catalogs
from rules import default_rules


def run_ask(question: str, lang: str | None, as_json: bool, out: TextIO, today: date | None = None) -> int:
    """Answer `question` on `out`, as text or (with `as_json`) as one JSON object. Returns 0.

    `lang` ("zh" or "en") forces the reply's language; otherwise it is the asker's. `today`
    dates what the answer computes (the day in Guangzhou from the command line).
    """
    result = default_search().search(question, lang)
    reply = build_reply(result, question, today)
    if as_json:
        out.write(json.dumps(reply, ensure_ascii=False) + "\n")
    else:
        out.write(render_plain(reply, result.lang) + "\n")
    return 0


def build_reply(
    result: FaqResult, question: str = "", today: date | None = None, search: FaqSearch | None = None
) -> dict[str, Any]:
    """The JSON reply: decision, reason, answer, source, entry_id, suggestions, handoff,
    staff_notified (always false here: no staff chat), not_in_sources, contacts, lang.
    `search`: the index that made `result` (the bundled one unless a benchmark says)."""
    search = search or default_search()
    faq = compose(result, question, search, today or date.today(), staff_reachable=False)
    first = search.entry(result.top[0][0]) if faq.decision == "suggest" else None
    source = faq.source or (first.source if first else None)
    reply: dict[str, Any] = {
        "decision": faq.decision,
        "reason": faq.reason,
        # the best match of a suggestion stays in `answer` for programs; `suggestions` say it is uncertain
        "answer": search.answer_text(first, faq.lang) if first else faq.text,
        "source": _source(source.file, source.clause, faq.lang) if source else None,
        "entry_id": faq.entry_id or (first.id if first else None),
        "rule": _rule(faq),
        "suggestions": [{"id": i, "question": q} for i, q in faq.suggestions],
        "handoff": faq.decision == "handoff",
        "staff_notified": faq.notify_staff,
        "not_in_sources": faq.not_in_sources,
        "confidence": result.confidence,
        "lang": faq.lang,
        "named": result.named,
        "contacts": _contacts(faq.lang) if faq.contacts else None,
        "text": faq.text,
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
    lines = [str(reply["text"])]
    source = reply["source"]
    if source and reply["decision"] == "answer":
        lines.append(cat.text(lang, "source.line", title=source["title"], clause=source["clause"]))
    return "\n".join(lines)


def _rule(faq: FaqReply) -> dict[str, Any] | None:
    if faq.rule is None:
        return None
    return {"value": faq.rule.value, "points": faq.rule.points}


def _contacts(lang: Lang) -> dict[str, Any]:
    association = default_rules().contacts.association
    return {
        "name": association.name.get(lang),
        "address": association.address.get(lang),
        "email": association.email,
        "departments": [
            {"name": d.name.get(lang), "person": d.person.get(lang), "phone": d.phone}
            for d in association.department
        ],
        "source": _source(association.source.file, association.source.clause, lang),
    }


def _source(file: str, clause: str, lang: Lang) -> dict[str, str]:
    title = default_rules().meta.source_title(file)
    return {"file": file, "clause": clause, "title": title.get(lang) if title else file}
