"""QA round 1, the conversation: a number picked from a menu does what the menu said after a
restart too (the open menu is in the session); years since a calendar year are read
cautiously and asked back on the edge of the condition; traditional characters read as
simplified ones; a question typed in the middle of the questionnaire is explained or
answered, never taken as an answer; /restart and /forget are confirmed; /join's consent
takes natural yes and no; the digital level listed in the order its numbers pick."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.db import connect
from bot.service import Assistant
from bot.store import MemoryStore, SessionKey, SqliteStore, Store
from dialogs.engine import DialogEngine, Turn
from dialogs.flow import STEP_BY_FIELD, VERIFY_PREFIX, options_for
from dialogs.i18n import load_catalogs
from dialogs.messages import Inbound, Menu, Question, Text
from dialogs.picking import option_numbers
from dialogs.session import Session
from rules import default_rules
from tests.conversations import EXAMPLE_A_TYPED, TODAY, Chat
from tests.dialogs.test_answers import EXAMPLE_A

ENGINE = DialogEngine()
CAT = load_catalogs()
RULES = default_rules()
MARCH = date(2026, 3, 10)  # ZJTX_NOW=2026-03-10 in the QA report
KEY = SessionKey("console", "u1", "u1")


def zh(key: str, **values: Any) -> str:
    return CAT.text("zh", key, **values)


def at(field: str, lang: str = "zh", **answers: Any) -> Session:
    s = Session(lang=lang, lang_chosen=True, mode="assess", pending=field, attempt=1)
    for name, value in answers.items():
        s.set_answer(name, value)
    return s


def say(session: Session, text: str, today: date = MARCH) -> Turn:
    return ENGINE.handle(session, Inbound(text=text), today)


def questions(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["type"] == "question"]


def said(lines: list[dict[str, Any]]) -> str:
    return "\n".join(line.get("text", "") for line in lines)


def sqlite(path: Path) -> SqliteStore:
    return SqliteStore(connect(path))


def to_result(chat: Chat) -> dict[str, Any]:
    return chat.answer_all(EXAMPLE_A_TYPED)


# ---------------------------------------------------------------- M1: the open menu is durable


def test_a_number_after_the_result_does_the_same_after_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "zjtx.db"
    before = Chat(sqlite(db))
    to_result(before)
    menu = before.send("/result")[-1]
    assert [c["value"] for c in menu["choices"]][:2] == ["/details indicators", "/details conditions"]
    first = said(before.send("1"))  # the first line of the menu: the indicator details
    assert first.startswith(zh("details.indicators.title", score=72, max=100))
    before.send("/result")
    sixth = said(before.send("6"))
    before.console.assistant.store.close()  # type: ignore[attr-defined]

    after = Chat(sqlite(db))  # a new assistant on the same database: as after a restart
    assert said(after.send("1")) == first
    after.send("/result")
    assert said(after.send("6")) == sixth  # not an FAQ answer about "6"


def test_a_question_after_the_menu_makes_numbers_answer_it_again(tmp_path: Path) -> None:
    db = tmp_path / "zjtx.db"
    chat = Chat(sqlite(db))
    chat.send("/start")  # the main menu
    chat.send("/assess")  # then the first question: a number answers it
    chat.console.assistant.store.close()  # type: ignore[attr-defined]
    again = Chat(sqlite(db))
    [question] = questions(again.opening)  # the pending question, asked again
    assert question["id"] == "org_type"
    replies = again.send("2")
    assert questions(replies)[-1]["id"] != "org_type"
    stored = again.console.assistant.store.load(KEY).session
    assert stored.answers["org_type"] == "service_institution" and stored.menu is None


def test_a_text_reply_keeps_the_menu_open_and_a_number_out_of_range_picks_nothing() -> None:
    chat = Chat(MemoryStore())
    chat.send("/start")
    tiers = said(chat.send("/tiers"))  # a text: the main menu stays what numbers pick
    assert said(chat.send("2")) == tiers  # the menu's second line is /tiers
    assert chat.console.assistant.store.load(KEY).session.menu is not None
    chat.send("/start")
    assert zh("tiers.title") not in said(chat.send("99"))


def test_a_reminders_menu_picks_after_a_restart_too(tmp_path: Path) -> None:
    db = tmp_path / "zjtx.db"
    store = sqlite(db)
    assistant = Assistant(store, ENGINE, lambda: TODAY)
    assistant.handle_now(KEY, Inbound(text="/assess", numbered=True))
    reminder = assistant.reminder(KEY, "paused")
    assistant.note_shown(KEY, reminder)  # what the scheduler does once it is sent
    store.close()
    later = Assistant(sqlite(db), ENGINE, lambda: TODAY)
    replies = later.handle_now(KEY, Inbound(text="2", numbered=True))  # 2. 不再提醒
    assert replies[0].text == zh("remind.stopped")
    assert later.store.load(KEY).session.reminders_off


def test_a_number_picks_only_where_choices_are_listed_numbered() -> None:
    store = MemoryStore()
    assistant = Assistant(store, ENGINE, lambda: TODAY)
    assistant.handle_now(KEY, Inbound(text="/start"))  # Telegram: buttons, no numbers
    replies = assistant.handle_now(KEY, Inbound(text="2"))
    assert not any(r.text.startswith(zh("tiers.title")) for r in replies)


# ---------------------------------------------------------------- M7: years, cautiously


@pytest.mark.parametrize(
    ("typed", "years"),
    [("2019年开始做的", "6"), ("从2019年起", "6"), ("去年才开始", "0"), ("2018年開始", "7")],
)
def test_a_start_year_counts_the_full_years_a_start_in_it_is_sure_of(typed: str, years: str) -> None:
    turn = say(at("niche_years", certification="innovative"), typed)
    assert turn.session.answers["niche_years"] == years
    echo = turn.replies[0].text
    assert echo.startswith(f"好的，按 {years} 年计") and "取保守值" in echo


@pytest.mark.parametrize("typed", ["2024年开始", "前年", "2024", "since 2024"])
def test_a_start_year_on_the_edge_of_two_years_asks_the_month(typed: str) -> None:
    turn = say(at("niche_years"), typed)
    [question] = turn.replies
    assert isinstance(question, Question) and question.id == VERIFY_PREFIX + "niche_years"
    assert "2024 年几月开始的" in question.text and "按 1 年计" in question.text
    assert "niche_years" not in turn.session.answers  # not taken until the month is known
    # a month alone is read in that year, cautiously: from 30 June 2024, 1 year 8 months
    june = say(turn.session, "6月")
    assert june.session.answers["niche_years"] == "1.66"
    feb = say(turn.session, "二月份")  # from 29 February 2024: two full years on 10 March 2026
    assert feb.session.answers["niche_years"] == "2"
    assert say(turn.session, "2024年1月").session.answers["niche_years"] == "2.08"  # from 31 January
    for keep in ("1", "记不清", "不记得了"):  # the cautious end, and its range in the summary
        kept = say(turn.session, keep).session
        assert kept.answers["niche_years"] == "1" and kept.readings["niche_years"].high == "2"
    assert isinstance(say(turn.session, "1").replies[-1], Question)


def test_two_years_are_not_met_by_a_calendar_year_difference() -> None:
    chat = Chat(MemoryStore())  # on 23 November 2026: a start in 2024 is 1–2 full years
    result = chat.answer_all({**EXAMPLE_A_TYPED, "niche_years": "2024年开始", "verify_niche_years": "1"})
    assert "niche_years" in result["assessment"]["failed_conditions"]
    stored = chat.console.assistant.store.last_assessment("console", "u1")
    assert stored is not None
    assert stored.answers["niche_years"] == "1"
    assert stored.readings["niche_years"] == {"kind": "range", "low": "1", "high": "2"}
    six = Chat(MemoryStore(), user="u2").answer_all({**EXAMPLE_A_TYPED, "niche_years": "2019年开始做的"})
    assert "niche_years" not in six["assessment"]["failed_conditions"]


# ---------------------------------------------------------------- M8: traditional characters


def test_traditional_characters_are_read_as_simplified_ones() -> None:
    assert say(at("certification"), "創新型中小企業").session.answers["certification"] == "innovative"
    revenue = say(at("revenue"), "營業收入五千萬")
    assert revenue.session.answers["revenue"] == "50000000"
    assert say(at("district"), "天河區").session.answers["district"] == "天河区"
    assert say(at("listing_plan", **EXAMPLE_A), "沒有").session.answers["listing_plan"] is False
    assert say(at("quality"), "有自主品牌，還有ISO9001").session.answers["quality"] == [
        "quality_certification",
        "own_brand",
    ]
    skipped = say(at("rd_expense"), "跳過")
    assert "rd_expense" in skipped.session.skipped


# ---------------------------------------------------------------- M13: a question about the question


@pytest.mark.parametrize("asked", ["这是什么意思？", "什么意思", "为什么要问这个", "這是什麼意思？", "？"])
@pytest.mark.parametrize("field", ["niche_years", "listing_plan", "digital_level", "quality", "revenue"])
def test_what_does_this_mean_explains_the_question_and_asks_it_again(asked: str, field: str) -> None:
    before = at(field, **{k: v for k, v in EXAMPLE_A.items() if k != field})
    turn = say(before, asked)
    explanation, question = turn.replies
    assert isinstance(explanation, Text) and isinstance(question, Question) and question.id == field
    assert explanation.text.startswith(zh("explain.head", name=zh(f"metric.{field}")))
    assert "来源：" in explanation.text and zh(f"q.{field}.example") in explanation.text
    assert not explanation.text.startswith("⚠️")  # not "that isn't one of the options"
    assert turn.session.answers == before.answers and turn.session.pending == field  # nothing taken


def test_the_explanation_gives_the_rules_that_read_the_answer() -> None:
    [text, _] = say(at("niche_years"), "这是什么意思？").replies
    assert "从事特定细分市场时间达到 2 年以上" in text.text  # condition (一), seed 001
    assert "每满 2 年得 1 分" in text.text  # indicator 3
    [text, _] = say(at("sci_award"), "为什么要问这个").replies
    assert "直通条件之一" in text.text
    [text, _] = say(at("has_bank_loans", **EXAMPLE_A), "什么意思").replies  # read by no condition: its why
    assert zh("q.has_bank_loans.why") in text.text


def test_an_english_question_about_the_question_is_explained_in_english() -> None:
    for asked in ("what does this mean?", "Why do you ask?", "I don't understand"):
        turn = say(at("debt_ratio_pct"), asked)
        explanation = next(r for r in turn.replies if r.text.startswith("ℹ️"))
        assert "Debt-to-asset ratio" in explanation.text
        assert isinstance(turn.replies[-1], Question) and turn.replies[-1].id == "debt_ratio_pct"


@pytest.mark.parametrize("asked", ["是什么意思", "有什么用", "这是什么意思？"])
def test_a_question_is_never_taken_for_a_yes(asked: str) -> None:
    for field in ("listing_plan", "has_bank_loans"):
        assert field not in say(at(field, **EXAMPLE_A), asked).session.answers


def test_a_real_faq_question_is_answered_and_the_questionnaire_resumes() -> None:
    turn = say(at("has_bank_loans", **EXAMPLE_A), "有贷款能贴息吗？")
    answer, question = turn.replies
    assert "贴息" in answer.text and "来源：" in answer.text
    assert isinstance(question, Question) and question.id == "has_bank_loans"
    assert "has_bank_loans" not in turn.session.answers
    resumed = say(turn.session, "有")
    assert resumed.session.answers["has_bank_loans"] is True


def test_a_question_naming_another_question_explains_that_one() -> None:
    [text, question] = say(at("niche_years"), "研发费用怎么算？").replies
    assert text.text.startswith(zh("explain.other", name=zh("metric.rd_expense")))
    assert "100 万元" in text.text and isinstance(question, Question) and question.id == "niche_years"


def test_a_question_nothing_answers_says_where_to_ask_it() -> None:
    [text, question] = say(at("niche_years"), "你们周末几点下班？").replies
    assert text.text == zh("aside.unanswered") and isinstance(question, Question)


def test_answers_with_question_words_in_them_are_still_answers() -> None:
    assert say(at("quality"), "什么都没有").session.answers["quality"] == []
    assert say(at("has_bank_loans", **EXAMPLE_A), "还没有呢").session.answers["has_bank_loans"] is False
    assert say(at("digital_level"), "二级吧？").session.answers["digital_level"] == 2


def test_the_readme_claim_holds_through_zjtx_chat() -> None:
    chat = Chat(MemoryStore(), lang="en")
    chat.send("/assess")
    replies = chat.send("what does this mean?")
    assert not said(replies).startswith("That isn't")
    assert said(replies).startswith(CAT.text("en", "explain.head", name=CAT.text("en", "metric.org_type")))
    assert questions(replies)[-1]["id"] == "org_type"


# ---------------------------------------------------------------- numbers, examples, percentages


def test_the_digital_level_is_listed_in_the_order_its_numbers_pick() -> None:
    [question] = ENGINE.resume(at("digital_level"), TODAY)
    assert isinstance(question, Question) and question.id == "digital_level"
    assert option_numbers(question) == ["1", "2", "3"]
    assert question.choices[0].label == "一级"
    assert say(at("digital_level"), "1").session.answers["digital_level"] == 1


def test_examples_of_numbered_options_are_numbers_not_letters() -> None:
    for field, step in STEP_BY_FIELD.items():
        if step.kind not in ("choice", "multi"):
            continue
        values = [str(v) for v, _, _ in options_for(field, RULES, "zh")]
        if all(v.isdecimal() for v in values):
            continue  # numbered by their values
        for lang in ("zh", "en"):
            example = CAT.text(lang, f"q.{field}.example")
            letters = [
                v for v in values if len(v) == 1 and re.search(rf"(?<![A-Za-z]){v}(?![A-Za-z])", example)
            ]
            assert letters == [], (field, lang, example)
    distinctive = say(at("distinctive"), "1,3").session.answers["distinctive"]
    assert distinctive == ["A", "C"]
    assert say(at("ip"), "3").session.answers["ip"] == "C"


@pytest.mark.parametrize(
    ("field", "typed", "pct"),
    [
        ("main_business_share_pct", "四成五", "45"),
        ("main_revenue_growth_pct", "一成二", "12"),
        ("rd_staff_pct", "三成", "30"),
        ("debt_ratio_pct", "两成半", "25"),
    ],
)
def test_tenths_read_as_percentages(field: str, typed: str, pct: str) -> None:
    turn = say(at(field), typed)
    assert turn.session.answers[field] == pct and turn.replies[0].text == zh("echo.value", value=f"{pct}%")


def test_the_details_keep_the_talent_item_apart_from_the_distinctive_count() -> None:
    chat = Chat(MemoryStore())
    chat.answer_all({**EXAMPLE_A_TYPED, "talent": "无"})
    details = said(chat.send("/details indicators"))
    [line] = [ln for ln in details.splitlines() if ln.lstrip().startswith("9.")]
    assert "满足 1 项；人才项目：无" in line and "以上都没有" not in line


# ---------------------------------------------------------------- /restart and /forget are confirmed


def test_restart_in_the_middle_asks_first_and_a_yes_starts_again(tmp_path: Path) -> None:
    db = tmp_path / "zjtx.db"
    chat = Chat(sqlite(db))
    chat.send("/assess")
    chat.send("1")
    chat.send("创新型")
    [menu] = chat.send("/restart")
    assert menu["text"] == zh("restart.confirm", count=2)
    assert [c["value"] for c in menu["choices"]] == ["/restart confirm", "/restart keep"]
    kept = chat.send("不")
    assert kept[0]["text"] == zh("restart.kept") and questions(kept)[-1]["id"] == "district"
    chat.send("/restart")
    chat.console.assistant.store.close()  # type: ignore[attr-defined]
    store = sqlite(db)  # the server restarts; the person's chat still shows the confirmation
    started = Assistant(store, ENGINE, lambda: TODAY).handle_now(KEY, Inbound(text="好的"))
    assert isinstance(started[-1], Question) and started[-1].id == "org_type"
    assert store.load(KEY).session.answers == {}


def test_restart_with_nothing_answered_starts_at_once() -> None:
    chat = Chat(MemoryStore())
    chat.send("/assess")
    assert questions(chat.send("/restart"))[-1]["id"] == "org_type"
    replies = ENGINE.handle(Session(), Inbound(text="/restart"), TODAY).replies
    assert isinstance(replies[-1], Question) and replies[-1].id == "org_type"


@pytest.mark.parametrize(("store_kind"), ["memory", "sqlite"])
def test_forget_asks_first_then_deletes_on_a_yes(tmp_path: Path, store_kind: str) -> None:
    def make() -> Store:
        return MemoryStore() if store_kind == "memory" else sqlite(tmp_path / "zjtx.db")

    store = make()
    assistant = Assistant(store, ENGINE, lambda: TODAY)
    assistant.handle_now(KEY, Inbound(text="/assess", numbered=True))
    assistant.handle_now(KEY, Inbound(text="1", numbered=True))
    [menu] = assistant.handle_now(KEY, Inbound(text="/forget"))
    assert isinstance(menu, Menu) and menu.yes_no and menu.text == zh("forget.confirm")
    kept = assistant.handle_now(KEY, Inbound(text="算了"))
    assert kept[0].text == zh("forget.kept") and isinstance(kept[-1], Question)
    assert store.load(KEY).session.answers["org_type"] == "enterprise"
    assistant.handle_now(KEY, Inbound(text="/forget"))
    if store_kind == "sqlite":  # the confirmation survives a restart
        store.close()  # type: ignore[attr-defined]
        store = make()
        assistant = Assistant(store, ENGINE, lambda: TODAY)
    [done] = assistant.handle_now(KEY, Inbound(text="好的"))
    assert done.text.startswith(zh("forget.done", count=1)[:6])
    assert store.load(KEY).rev == 0  # nothing left of the conversation


def test_a_yes_without_a_confirmation_open_deletes_nothing() -> None:
    store = MemoryStore()
    assistant = Assistant(store, ENGINE, lambda: TODAY)
    assistant.handle_now(KEY, Inbound(text="/start"))
    assistant.handle_now(KEY, Inbound(text="好的"))
    assert store.load(KEY).rev > 0


# ---------------------------------------------------------------- /join's consent


@pytest.mark.parametrize(("word", "agreed"), [("好的", True), ("可以", True), ("行", True), ("ok", True)])
def test_the_consent_takes_natural_yes(word: str, agreed: bool) -> None:
    turn = ENGINE.handle(Session(), Inbound(text="/join"), TODAY)
    assert "/cancel" in turn.replies[-1].text  # how to get out
    answered = ENGINE.handle(turn.session, Inbound(text=word), TODAY)
    assert answered.session.pending == "lead_company"
    assert "/cancel" in answered.replies[-1].text


@pytest.mark.parametrize("word", ["不要", "算了", "不同意", "no"])
def test_the_consent_takes_natural_no(word: str) -> None:
    turn = ENGINE.handle(Session(), Inbound(text="/join"), TODAY)
    declined = ENGINE.handle(turn.session, Inbound(text=word), TODAY)
    assert declined.replies[0].text == zh("lead.declined") and declined.session.mode == "idle"


def test_a_question_at_the_consent_agrees_to_nothing_and_says_how_to_get_out() -> None:
    turn = ENGINE.handle(Session(), Inbound(text="/join"), TODAY)
    unclear = ENGINE.handle(turn.session, Inbound(text="这是什么意思？"), TODAY)
    assert unclear.session.pending == "lead_consent" and "/cancel" in unclear.replies[0].text
    company = ENGINE.handle(
        ENGINE.handle(turn.session, Inbound(text="好"), TODAY).session, Inbound(text="算了"), TODAY
    )
    assert company.session.mode == "idle" and company.replies[0].text == zh("lead.cancelled")


def test_a_consent_step_left_by_a_restart_takes_a_yes_too(tmp_path: Path) -> None:
    db = tmp_path / "zjtx.db"
    chat = Chat(sqlite(db))
    chat.send("/join")
    chat.console.assistant.store.close()  # type: ignore[attr-defined]
    again = Chat(sqlite(db))
    assert questions(again.send("好的"))[-1]["id"] == "lead_company"


# ---------------------------------------------------------------- second QA round: odd answers at a question


def test_company_names_the_enterprise_option_in_either_language() -> None:
    for lang, word in (("en", "company"), ("zh", "公司"), ("en", "agency")):
        chat = Chat(MemoryStore(), lang=lang)
        chat.send("/assess")
        replies = chat.send(word)
        said = " ".join(str(r.get("text", "")) for r in replies)
        assert "isn't one of the options" not in said and "没有这个选项" not in said, said


def test_a_negative_number_is_no_option() -> None:
    chat = Chat(MemoryStore())
    chat.send("/assess")
    said = " ".join(str(r.get("text", "")) for r in chat.send("-1"))
    assert "没有这个选项" in said and "已选" not in said


@pytest.mark.parametrize("typed", ["😀😀😀", "？！", "……"])
def test_an_answer_of_signs_only_is_not_called_empty(typed: str) -> None:
    chat = Chat(MemoryStore())
    chat.send("/assess")
    said = " ".join(str(r.get("text", "")) for r in chat.send(typed))
    assert "回答是空的" not in said and "没有文字或数字" in said and "例" in said, said
