"""Fixes found when the dialog work was merged: a range stays visible after its question (the
summary and the PDF show it as given with its cautious reading), a question typed in the
middle of a question is answered from the FAQ, and a reply in the message's language keeps
the channels' own words in that language too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.channels.telegram.render import plan_messages
from bot.db import connect
from bot.service import Assistant
from bot.store import MemoryStore, SessionKey, SqliteStore
from dialogs.engine import DialogEngine
from dialogs.flow import CONFIRM
from dialogs.i18n import load_catalogs
from dialogs.messages import Document, Inbound, Question, Text
from dialogs.session import Session
from tests.conversations import EXAMPLE_A_TYPED, TODAY, Chat
from tests.dialogs.test_summary_edits import summary_fields, summary_lines, to_summary

ENGINE = DialogEngine()
CAT = load_catalogs()
RANGES = {**EXAMPLE_A_TYPED, "revenue": "五六千万", "debt_ratio_pct": "40%到50%", "niche_years": "三到五年"}


def line_of(summary: dict[str, Any], field: str) -> str:
    n = summary_fields(summary).index(field)
    return summary_lines(summary)[n][2]


# ---------------------------------------------------------------- a range stays visible


def test_the_summary_shows_a_range_as_given_with_its_cautious_reading() -> None:
    chat = Chat(MemoryStore())
    summary, _ = to_summary(chat, RANGES)
    assert line_of(summary, "revenue") == "5000–6000 万元（按 5000 万元计）"
    assert line_of(summary, "debt_ratio_pct") == "40–50%（按 50%计）"  # the upper end: less is better
    assert line_of(summary, "niche_years") == "3–5 年（按 3 年计）"
    assert line_of(summary, "rd_expense") == "600 万元"  # an exact figure as before


def test_a_bound_shows_which_bound_and_an_exact_answer_replaces_the_range() -> None:
    chat = Chat(MemoryStore())
    summary, _ = to_summary(chat, {**RANGES, "revenue": "一千多万"})
    assert line_of(summary, "revenue") == "1000 万元以上（按 1000 万元计）"
    chat.send(str(summary_fields(summary).index("revenue") + 1))
    again = [r for r in chat.send("5800万") if r["type"] == "question"][-1]
    assert again["id"] == CONFIRM and line_of(again, "revenue") == "5800 万元"


def test_the_pdf_report_shows_the_range_too_after_a_restart(tmp_path: Path) -> None:
    key = SessionKey("console", "u1", "u1")
    store = SqliteStore(connect(tmp_path / "zjtx.db"))
    chat = Chat(store)
    to_summary(chat, RANGES)
    chat.send("确认")
    store.close()
    reopened = SqliteStore(connect(tmp_path / "zjtx.db"))
    [stored] = list(reopened.assessments())
    assert stored.answers["revenue"] == "50000000"  # scored at the cautious end
    assert stored.readings["revenue"] == {"kind": "range", "low": "50000000", "high": "60000000"}
    replies = Assistant(reopened, ENGINE, lambda: TODAY).handle_now(key, Inbound(text="/report"))
    [document] = [r for r in replies if isinstance(r, Document)]
    texts = document.report.texts()
    assert "5000–6000 万元（按 5000 万元计）" in texts
    assert "40–50%（按 50%计）" in texts


# ---------------------------------------------------------------- a question in the middle of one


def at(field: str, lang: str = "zh") -> Session:
    return Session(lang=lang, mode="assess", pending=field, attempt=1, history=[])


def test_a_question_typed_at_a_question_is_answered_from_the_faq_and_the_question_asked_again() -> None:
    turn = ENGINE.handle(at("main_business_share_pct"), Inbound(text="主营业务收入占比怎么算？"), TODAY)
    answer, question = turn.replies
    assert isinstance(answer, Text) and "80%" in answer.text and "来源：" in answer.text
    assert not answer.text.startswith("⚠️")  # not refused as a wrong answer
    assert isinstance(question, Question) and question.id == "main_business_share_pct"
    assert turn.session.answers == {} and turn.session.pending == "main_business_share_pct"


def test_this_is_the_question_being_asked() -> None:
    turn = ENGINE.handle(at("debt_ratio_pct"), Inbound(text="这个是什么意思？"), TODAY)
    answer, question = turn.replies
    assert isinstance(answer, Text) and CAT.text("zh", "metric.debt_ratio_pct") in answer.text
    assert isinstance(question, Question) and question.id == "debt_ratio_pct"
    english = ENGINE.handle(at("debt_ratio_pct"), Inbound(text="what does this mean?"), TODAY)
    assert "debt-to-asset ratio" in english.replies[0].text  # answered in the question's language
    assert isinstance(english.replies[-1], Question) and english.replies[-1].id == "debt_ratio_pct"


def test_a_question_the_faq_cannot_answer_about_the_question_explains_it() -> None:
    turn = ENGINE.handle(at("rd_expense"), Inbound(text="研发费用包括哪些？"), TODAY)
    explanation, question = turn.replies
    assert isinstance(explanation, Text) and not explanation.text.startswith("⚠️")
    assert explanation.text.startswith(
        CAT.text("zh", "explain.head", name=CAT.text("zh", "metric.rd_expense"))
    )
    assert CAT.text("zh", "q.rd_expense.example") in explanation.text
    assert isinstance(question, Question) and question.id == "rd_expense"


def test_nonsense_that_is_not_a_question_is_not_looked_up() -> None:
    turn = ENGINE.handle(at("main_business_share_pct"), Inbound(text="主营业务收入占比"), TODAY)
    assert turn.replies[0].text.startswith("⚠️")


# ---------------------------------------------------------------- the reply's language, to the buttons


def test_a_reply_in_the_messages_language_marks_its_questions_so_channels_follow() -> None:
    s = Session(lang="zh", mode="assess", pending="quality", attempt=1)
    turn = ENGINE.handle(s, Inbound(text="none of these please"), TODAY)
    [question] = [r for r in turn.replies if isinstance(r, Question)]
    assert question.lang == "en" and turn.session.lang == "zh"
    chinese = ENGINE.handle(s, Inbound(text="都没有"), TODAY)
    assert all(r.lang is None for r in chinese.replies if isinstance(r, Question))


def test_telegram_buttons_of_an_english_question_in_a_chinese_conversation_are_english() -> None:
    en, zh = CAT.messages["en"], CAT.messages["zh"]
    multi = Question("quality", "Which of these?", ENGINE.menu(Session()).choices[:2], multi=True, lang="en")

    def in_lang(lang: str) -> Any:
        return lambda key, **values: CAT.text(lang, key, **values)

    [planned] = plan_messages([multi], in_lang("zh"), lambda v: v, t_in=in_lang)
    assert planned.markup is not None
    shown = [b.text for row in planned.markup.inline_keyboard for b in row]
    assert en["tg.multi_done"] in shown and zh["tg.multi_done"] not in shown
