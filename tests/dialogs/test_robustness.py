"""Whatever a person types at whatever question, the engine answers and loses nothing.

Every question the flow can ask is reached by answering the ones before it the way people
type (three walks: a service institution, a small municipal-level enterprise below the
pass mark, a "little giant" with figures that trigger both plausibility checks). At each,
any text: the engine never raises; an answer that reads is stored (a range at its
conservative end), a figure outside its plausible range is asked back before it is stored,
a skip word skips, and anything else keeps the same question pending, stores nothing and
explains with an example, in the language the text is written in (else the session's).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dialogs.engine import DialogEngine, Turn
from dialogs.flow import (
    CONFIRM,
    CONFIRM_PREFIX,
    PLAUSIBILITY,
    STEP_BY_FIELD,
    VERIFY_PREFIX,
    all_means,
    parser_options,
)
from dialogs.i18n import LANGS
from dialogs.language import asks, asks_meaning, is_question, message_lang
from dialogs.leads import clean_field, normalize_phone
from dialogs.messages import Inbound, Question, Text
from dialogs.parsing import (
    AnswerError,
    Figure,
    is_skip,
    normalize,
    parse_choice,
    parse_choices,
    read_money,
    read_percent,
    read_years,
    simplified,
    yes_no_options,
)
from dialogs.session import Session

TODAY = date(2026, 11, 23)
ENGINE = DialogEngine()

TYPED = {
    "org_type": "企业",
    "certification": "创新型",
    "district": "天河",
    "niche_years": "7",
    "revenue": "1.2亿",
    "equity_financing_2y": "0",
    "rd_expense": "600万",
    "profit": "960万",
    "main_business_share_pct": "92%",
    "main_revenue_growth_pct": "12%",
    "product_field": "B",
    "digital_level": "二级",
    "quality": "2,3",
    "debt_ratio_pct": "45",
    "distinctive": "A",
    "talent": "市级",
    "ip": "C",
    "rd_staff_pct": "15%",
    "rd_institution": "市级",
    "sci_award": "都没有",
    "rd_expense_avg_2y": "100万",
    "maker_top500": "否",
    "listing_plan": "否",
    "has_bank_loans": "没有",
    "provincial_tech_upgrade_funded": "否",
    "relocating_to_guangzhou": "否",
    "annual_tax": "50万",
    "registered_capital": "2000万",
    "operates_park": "是",
}
WALKS: dict[str, dict[str, str]] = {
    "service institution": {"org_type": "服务机构"},
    "small municipal enterprise": {
        "certification": "市级",
        "revenue": "500万",
        "rd_expense": "10万",
        "profit": "5万",
        "main_business_share_pct": "50%",
        "main_revenue_growth_pct": "0",
        "digital_level": "一级",
        "quality": "无",
        "distinctive": "无",
        "talent": "无",
        "ip": "E",
        "rd_staff_pct": "1%",
        "rd_institution": "无",
    },
    "little giant with odd figures": {
        "certification": "小巨人",
        "revenue": "1000万",
        "rd_expense": "2000万",
        "profit": "3000万",
    },
}
CHECKS = {CONFIRM_PREFIX + a for a, _ in PLAUSIBILITY}
EVERY_QUESTION = sorted({*STEP_BY_FIELD, CONFIRM, *CHECKS})

SAMPLES = (
    "很多",
    "abc",
    "",
    "   ",
    "😀😀",
    ("我们公司成立于2015年，主营业务收入约1.2亿元，研发投入占比较高。" * 200)[:5000],
    "/unknowncmd",
    "<script>alert(1)</script>",
)
# characters that answers are made of, so that some generated texts do read as answers
ANSWERISH = st.text(
    alphabet="0123456789.,-%万亿元千百十一二三四五六七八九零两年是否无有ABCDEF跳过 ", max_size=12
)
ANY_TEXT = st.one_of(st.text(), ANSWERISH, st.sampled_from(SAMPLES))


@cache
def reachable() -> dict[str, Session]:
    """For each question id the walks reach, the session as it is when that question is asked."""
    asked: dict[str, Session] = {}
    for overrides in WALKS.values():
        answers = {**TYPED, **overrides}
        turn = ENGINE.handle(Session(), Inbound(text="/assess"), TODAY)
        for _ in range(60):
            question = turn.replies[-1]
            assert isinstance(question, Question), turn.replies
            asked.setdefault(question.id, turn.session)
            if question.id == CONFIRM:
                break
            text = "是" if question.id in CHECKS else answers[question.id]
            turn = ENGINE.handle(turn.session, Inbound(text=text), TODAY)
            if question.id not in CHECKS:
                assert question.id in turn.session.answers, (question.id, text, turn.replies)
        else:
            raise AssertionError("the walk never reached the summary")
    return asked


def test_the_walks_reach_every_question() -> None:
    assert sorted(reachable()) == EVERY_QUESTION


def at(qid: str, lang: str) -> Session:
    session = reachable()[qid].model_copy(deep=True)
    session.lang = lang
    return session


def read(field: str, text: str) -> tuple[bool, Any]:
    """(True, the value as the session keeps it) if `text` reads as an answer to `field`;
    the value is None for a figure outside its plausible range (it is asked back)."""
    step = STEP_BY_FIELD[field]
    try:
        value: Any
        figure: Figure | None = None
        if step.kind == "money":
            figure = read_money(text, allow_negative=step.allow_negative)
        elif step.kind == "percent":
            figure = read_percent(text, low=step.percent_low, high=step.percent_high)
        elif step.kind == "years":
            figure = read_years(text, today=TODAY)
        elif step.kind == "multi":
            value = parse_choices(text, parser_options(field, ENGINE.rules))
        else:
            best = all_means(field, ENGINE.rules)
            value = parse_choice(text, parser_options(field, ENGINE.rules), all_means=best)
    except AnswerError:
        return False, None
    if figure is not None:
        rule = ENGINE.rules.figures[field]
        value = figure.low if figure.kind == "exact" else rule.conservative(figure.low, figure.high)
        if not rule.plausible(value):
            return True, None
    probe = Session()
    probe.set_answer(field, value)
    return True, probe.answers[field]


def yes_or_no(text: str) -> bool | None:
    try:
        return bool(parse_choice(text, list(yes_no_options())))
    except AnswerError:
        return None


def asked_about(text: str) -> bool:
    """A question with a question word (or about the question itself): explained or answered."""
    said = simplified(normalize(text))
    return asks(said) or asks_meaning(said)


def is_command(text: str) -> bool:
    return Inbound(text=text).is_command


def assert_well_formed(turn: Turn) -> None:
    assert turn.replies, "every message gets a reply"
    assert all(isinstance(getattr(r, "text", ""), str) for r in turn.replies)
    # what the store writes reads back the same
    assert Session.model_validate_json(turn.session.model_dump_json()) == turn.session


def assert_explained_and_reasked(turn: Turn, field: str, lang: str, text: str = "") -> None:
    first, last = turn.replies[0], turn.replies[-1]
    assert isinstance(first, Text), turn.replies
    shown_example = ENGINE.cat.text(lang, f"q.{field}.example")
    # the catalog's words before the example ("，例如：" / ", e.g. "), then the example itself
    lead_in = ENGINE.cat.text(lang, "err.frame").split("{example}")[0].rsplit("}", 1)[-1]
    if is_question(text) and lead_in + shown_example not in first.text:
        # a question typed instead of an answer: answered from the FAQ, with its source
        source = ENGINE.cat.text(lang, "source.line").split("{")[0]
        assert source in first.text, first.text
    else:
        assert lead_in.strip() and lead_in + shown_example in first.text
    assert isinstance(last, Question) and last.id == field
    assert ENGINE.cat.text(lang, "q.example", example=shown_example) in last.text


def check_field_answer(before: Session, turn: Turn, field: str, text: str, lang: str) -> None:
    after = turn.session
    if is_skip(text):
        assert field in after.skipped and field not in after.answers
        return
    ok, value = read(field, text)
    if ok and value is None:  # asked back: nothing stored yet
        assert after.pending == VERIFY_PREFIX + field and after.doubt is not None
        assert after.answers == before.answers and isinstance(turn.replies[-1], Question)
        return
    if ok:
        assert after.answers[field] == value
        return
    assert after.mode == "assess" and after.pending == field
    assert after.answers == before.answers and after.skipped == before.skipped
    assert_explained_and_reasked(turn, field, lang, text)


@pytest.mark.parametrize("qid", EVERY_QUESTION)
@settings(max_examples=30, deadline=None)
@given(text=ANY_TEXT, lang=st.sampled_from(LANGS))
@example(text="很多", lang="zh")
@example(text="abc", lang="en")
@example(text="", lang="zh")
@example(text="   ", lang="en")
@example(text="😀😀", lang="zh")
@example(text=SAMPLES[5], lang="zh")
@example(text="/unknowncmd", lang="en")
@example(text="<script>alert(1)</script>", lang="zh")
def test_any_text_at_any_question_is_answered_and_nothing_is_lost(qid: str, text: str, lang: str) -> None:
    before = at(qid, lang)
    turn = ENGINE.handle(before, Inbound(text=text), TODAY)
    assert_well_formed(turn)
    if is_command(text):
        return  # /back, /cancel, /lang … change things on purpose; not raising is the point
    lang = message_lang(text) or lang  # a text plainly in the other language is answered in it
    after = turn.session
    if qid == CONFIRM:
        if turn.finished is not None:
            assert after.pending is None and turn.finished.answers == before.answers
        else:
            assert after.answers == before.answers
            assert after.pending == CONFIRM or (after.editing and after.pending in before.history)
        return
    if asked_about(text) and not is_skip(text):  # a question typed at a question: never an answer
        assert after.answers == before.answers and after.skipped == before.skipped
        assert after.pending == qid and isinstance(turn.replies[0], Text)
        assert isinstance(turn.replies[-1], Question) and turn.replies[-1].id == qid
        return
    if qid in CHECKS:
        field = qid.removeprefix(CONFIRM_PREFIX)
        verdict = yes_or_no(text)
        if verdict is True:
            assert after.answers[field] == before.answers[field] and after.pending != qid
        elif verdict is False:
            assert field not in after.answers and after.pending == field
        else:  # anything else is read as a new answer to the field
            check_field_answer(before, turn, field, text, lang)
        return
    check_field_answer(before, turn, qid, text, lang)


@pytest.mark.parametrize("text", SAMPLES[:6] + SAMPLES[7:], ids=range(7))
def test_nonsense_at_the_summary_keeps_the_summary(text: str) -> None:
    before = at(CONFIRM, "zh")
    turn = ENGINE.handle(before, Inbound(text=text), TODAY)
    assert turn.finished is None
    assert turn.session.pending == CONFIRM and turn.session.answers == before.answers
    assert turn.replies[0] == Text(ENGINE.cat.text("zh", "summary.unclear"))


# ---------------------------------------------------------------- the enquiry steps


@cache
def lead_steps() -> dict[str, Session]:
    asked: dict[str, Session] = {}
    turn = ENGINE.handle(Session(), Inbound(text="/callme"), TODAY)
    for text in ("是", "广州某某科技有限公司", "张三", None):
        question = turn.replies[-1]
        assert isinstance(question, Question)
        asked[question.id] = turn.session
        if text is not None:
            turn = ENGINE.handle(turn.session, Inbound(text=text), TODAY)
    return asked


def accepted(step: str, text: str) -> bool:
    if step == "lead_consent":
        return normalize(text).lower() == "yes" or yes_or_no(text) is not None
    if step == "lead_phone":
        return normalize_phone(text) is not None
    return clean_field(text) is not None


@pytest.mark.parametrize("step", ["lead_consent", "lead_company", "lead_name", "lead_phone"])
@settings(max_examples=30, deadline=None)
@given(text=ANY_TEXT)
@example(text="")
@example(text=SAMPLES[5])
@example(text="😀😀")
def test_any_text_at_an_enquiry_step_is_answered(step: str, text: str) -> None:
    before = lead_steps()[step].model_copy(deep=True)
    turn = ENGINE.handle(before, Inbound(text=text), TODAY)
    assert_well_formed(turn)
    if not is_command(text) and not accepted(step, text):
        assert turn.session.mode == "lead" and turn.session.pending == step
        assert turn.session.lead == before.lead and turn.lead is None


@pytest.mark.parametrize("lang", LANGS)
def test_typing_the_consent_buttons_label_gives_consent(lang: str) -> None:
    asked = ENGINE.handle(Session(lang=lang, lang_chosen=True), Inbound(text="/callme"), TODAY)
    question = asked.replies[-1]
    assert isinstance(question, Question) and question.id == "lead_consent"
    agree = next(c.label for c in question.choices if c.value == "yes")
    turn = ENGINE.handle(asked.session, Inbound(text=agree), TODAY)
    assert turn.session.pending == "lead_company"


# ---------------------------------------------------------------- a figure asked back


@cache
def asked_back() -> dict[str, Session]:
    """Sessions asking a figure back: one with another reading, one without."""
    out: dict[str, Session] = {}
    for field, text in (("revenue", "12,000,000"), ("debt_ratio_pct", "150%")):
        session = at(field, "zh") if field in reachable() else reachable()["revenue"].model_copy(deep=True)
        turn = ENGINE.handle(session, Inbound(text=text), TODAY)
        assert turn.session.pending == VERIFY_PREFIX + field, turn.replies
        out[field] = turn.session
    return out


@pytest.mark.parametrize("field", ["revenue", "debt_ratio_pct"])
@settings(max_examples=40, deadline=None)
@given(text=ANY_TEXT, lang=st.sampled_from(LANGS))
@example(text="1", lang="zh")
@example(text="2", lang="en")
@example(text="/back", lang="zh")
@example(text="/skip", lang="zh")
@example(text="²", lang="zh")
def test_any_text_at_an_ask_back_is_answered_and_nothing_is_lost(field: str, text: str, lang: str) -> None:
    before = asked_back()[field].model_copy(deep=True)
    before.lang = lang
    turn = ENGINE.handle(before, Inbound(text=text), TODAY)
    assert_well_formed(turn)
    assert ENGINE.usable(turn.session)
    after = turn.session
    if after.pending == before.pending:  # still asking (this figure, or a new one as odd)
        assert after.answers == before.answers and after.doubt is not None
    elif field in after.answers:  # taken: the typed reading, the other one, or a new answer
        assert after.doubt is None
