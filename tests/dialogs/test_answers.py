"""The engine taking answers as people give them: ranges at their conservative end, figures
asked back, natural phrases, skips, the language of each message, /help, and the reminder
and statistics intents a turn carries."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.broadcast.desk import COMMANDS as DESK_COMMANDS
from dialogs.engine import HELP_LINES, STAFF_HELP_LINES, DialogEngine, LastResult, Turn
from dialogs.flow import CONFIRM, STEP_BY_FIELD, VERIFY_PREFIX, profile_of
from dialogs.intents import Event, Reminder
from dialogs.messages import Image, Inbound, Menu, Question, Result, Text
from dialogs.session import Session
from rules import assess, default_rules

TODAY = date(2026, 11, 23)
ENGINE = DialogEngine()
RULES = default_rules()

# Worked example A of docs/rules.md#worked-examples as the session keeps it.
EXAMPLE_A: dict[str, Any] = {
    "org_type": "enterprise",
    "certification": "innovative",
    "district": "天河区",
    "niche_years": Decimal(7),
    "revenue": Decimal(120_000_000),
    "rd_expense": Decimal(6_000_000),
    "profit": Decimal(9_600_000),
    "main_business_share_pct": Decimal(92),
    "main_revenue_growth_pct": Decimal(12),
    "product_field": "B",
    "digital_level": 2,
    "quality": ["quality_certification", "own_brand"],
    "debt_ratio_pct": Decimal(45),
    "distinctive": ["A"],
    "talent": "municipal",
    "ip": "C",
    "rd_staff_pct": Decimal(15),
    "rd_institution": "municipal",
}


def at(field: str, answers: dict[str, Any] | None = None, lang: str = "zh") -> Session:
    """A session asking `field`, with `answers` given before it."""
    s = Session(lang=lang, lang_chosen=True, mode="assess", pending=field)
    for name, value in (answers or {}).items():
        s.set_answer(name, value)
    return s


def send(session: Session, text: str, **kw: Any) -> Turn:
    return ENGINE.handle(session, Inbound(text=text, **kw), TODAY)


def texts(turn: Turn) -> list[str]:
    return [getattr(reply, "text", "") for reply in turn.replies]


def kept(turn: Turn, field: str) -> Any:
    return turn.session.profile_data().get(field)


# ---------------------------------------------------------------- ranges: the conservative end


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("revenue", "五六千万", 50_000_000),
        ("revenue", "一两亿", 100_000_000),
        ("revenue", "七八百万", 7_000_000),
        ("revenue", "五六百万", 5_000_000),
        ("revenue", "5000-6000万", 50_000_000),
        ("revenue", "一千多万", 10_000_000),  # at least: the bound
        ("revenue", "不到两千万", 0),  # below: nothing above 0 is known
        ("rd_expense", "三四百万", 3_000_000),
        ("profit", "亏损100-200万", -2_000_000),
        ("profit", "不到两千万", 0),  # a profit below 20M: from 0, a loss would be said
        ("profit", "亏损超过100万", -2_000_000_000),  # a loss of more than 1M: the plausible worst
        ("niche_years", "三到五年", 3),
        ("niche_years", "两三年", 2),
        ("niche_years", "十多年", 10),
        ("main_business_share_pct", "七八十%", 70),
        ("main_revenue_growth_pct", "10%到15%", 10),
        ("rd_staff_pct", "10-15%", 10),
        ("debt_ratio_pct", "10%到15%", 15),  # lower is better: the upper end
        ("debt_ratio_pct", "五六十%", 60),
        ("debt_ratio_pct", "不到50%", 50),
        ("debt_ratio_pct", "70%以上", 100),  # at least 70: the plausible top
    ],
)
def test_a_range_is_scored_at_its_conservative_end(field: str, text: str, value: int) -> None:
    turn = send(at(field), text)
    assert kept(turn, field) == value


def test_the_range_is_echoed_with_how_it_was_read() -> None:
    turn = send(at("revenue"), "五六千万")
    assert texts(turn)[0] == "好的，按 5000 万元计（区间 5000–6000 万元取保守值），可直接输入准确数字修改。"
    turn = send(at("debt_ratio_pct"), "10%到15%")
    assert texts(turn)[0] == "好的，按 15%计（区间 10–15%取保守值），可直接输入准确数字修改。"
    turn = send(at("revenue"), "不到两千万")
    assert "“不到 2000 万元”" in texts(turn)[0] and "0 元" in texts(turn)[0]
    turn = send(at("revenue", lang="en"), "5000-6000万")
    assert "range ¥50,000,000–60,000,000" in texts(turn)[0]


def test_an_exact_figure_typed_after_a_range_replaces_it() -> None:
    turn = send(at("revenue"), "五六千万")
    turn = ENGINE.handle(turn.session, Inbound(text="/back"), TODAY)
    turn = send(turn.session, "5800万")
    assert kept(turn, "revenue") == 58_000_000


def score_tier(answers: dict[str, Any]) -> tuple[int, int]:
    s = Session()
    for name, value in answers.items():
        s.set_answer(name, value)
    a = assess(profile_of(s, RULES), RULES, TODAY)
    ranks: dict[str, int] = {t.id: t.rank for t in RULES.tiers.tier}
    return a.score or 0, ranks.get(a.tier or "", 0)


CN = "一二三四五六七八"
RANGE_FIELDS = ("revenue", "rd_expense", "profit", "niche_years", "debt_ratio_pct", "rd_staff_pct")


@st.composite
def range_answers(draw: st.DrawFn) -> tuple[str, str, Decimal, Decimal]:
    """(field, text, low end, high end) for a range as people type it."""
    field = draw(st.sampled_from([*RANGE_FIELDS, "main_business_share_pct", "main_revenue_growth_pct"]))
    kind = STEP_BY_FIELD[field].kind
    if kind == "money":
        if draw(st.booleans()):
            d = draw(st.integers(0, len(CN) - 2))
            unit, scale = draw(st.sampled_from([("十万", 10**5), ("百万", 10**6), ("千万", 10**7)]))
            return field, f"{CN[d]}{CN[d + 1]}{unit}", Decimal((d + 1) * scale), Decimal((d + 2) * scale)
        a, b = sorted(draw(st.lists(st.integers(0, 100_000), min_size=2, max_size=2)))
        return field, f"{a}-{b}万", Decimal(a * 10_000), Decimal(b * 10_000)
    if kind == "percent":
        a, b = sorted(draw(st.lists(st.integers(5, 100), min_size=2, max_size=2)))
        return field, f"{a}%到{b}%", Decimal(a), Decimal(b)
    a, b = sorted(draw(st.lists(st.integers(0, 60), min_size=2, max_size=2)))
    return field, f"{a}到{b}年", Decimal(a), Decimal(b)


@settings(max_examples=150, deadline=None)
@given(range_answers(), st.sampled_from(["EXAMPLE_A", "sparse"]))
def test_a_range_answer_never_scores_better_than_both_of_its_ends(
    answer: tuple[str, str, Decimal, Decimal], base_name: str
) -> None:
    field, text, low, high = answer
    base = (
        dict(EXAMPLE_A)
        if base_name == "EXAMPLE_A"
        else {"org_type": "enterprise", "certification": "provincial"}
    )
    base.pop(field, None)
    turn = send(at(field, base), text)
    value = kept(turn, field)
    assert value in (low, high)  # an end of the range, never a reading off by ten
    assert value == RULES.figures[field].conservative(low, high)
    reading, at_low, at_high = (score_tier({**base, field: v}) for v in (value, low, high))
    assert reading[0] <= max(at_low[0], at_high[0]) and reading[1] <= max(at_low[1], at_high[1])
    assert reading[1] <= min(at_low[1], at_high[1])  # never a tier one end would not reach
    if field != "revenue":  # revenue also divides the margins, so a lower one can score more
        assert reading[0] <= min(at_low[0], at_high[0])


# ---------------------------------------------------------------- implausible figures


def test_a_bare_number_read_as_wan_that_is_implausible_is_asked_back() -> None:
    turn = send(at("revenue"), "12,000,000")
    q = turn.replies[-1]
    assert isinstance(q, Question) and q.id == VERIFY_PREFIX + "revenue"
    assert q.text == "您填的是 1200 亿元吗？如果是 1200 万元，请回复 1。"
    assert [(c.value, c.label) for c in q.choices] == [("1", "1200 万元"), ("2", "没错，就是 1200 亿元")]
    assert "revenue" not in turn.session.answers  # asked back, not taken
    one = send(turn.session, "1")
    assert kept(one, "revenue") == 12_000_000 and texts(one)[0] == "好的，按 1200 万元计。"
    two = send(turn.session, "2")
    assert kept(two, "revenue") == 120_000_000_000
    yes = send(turn.session, "是的")
    assert kept(yes, "revenue") == 120_000_000_000
    pressed = ENGINE.handle(turn.session, Inbound(choice="1"), TODAY)
    assert kept(pressed, "revenue") == 12_000_000


def test_a_fraction_for_a_percentage_is_asked_back() -> None:
    turn = send(at("main_business_share_pct"), "0.92")
    q = turn.replies[-1]
    assert isinstance(q, Question) and q.text == "您填的是 0.92%吗？如果是 92%，请回复 1。"
    assert kept(send(turn.session, "1"), "main_business_share_pct") == 92
    assert kept(send(turn.session, "2"), "main_business_share_pct") == Decimal("0.92")


def test_an_implausible_figure_without_another_reading_can_be_kept_or_changed() -> None:
    turn = send(at("debt_ratio_pct"), "150%")
    q = turn.replies[-1]
    assert isinstance(q, Question) and q.id == "verify_debt_ratio_pct"
    assert [c.value for c in q.choices] == ["1", "2"] and "150%" in q.choices[0].label
    assert kept(send(turn.session, "1"), "debt_ratio_pct") == 150
    again = send(turn.session, "2")
    assert again.session.pending == "debt_ratio_pct" and "debt_ratio_pct" not in again.session.answers
    no = send(turn.session, "不是")
    assert no.session.pending == "debt_ratio_pct"


def test_a_new_figure_at_the_ask_back_is_a_new_answer() -> None:
    turn = send(at("revenue"), "12,000,000")
    turn = send(turn.session, "1.2亿")
    assert kept(turn, "revenue") == 120_000_000 and turn.session.doubt is None


def test_back_from_an_ask_back_drops_the_figure() -> None:
    first = send(at("revenue"), "12,000,000")  # nothing before it
    turn = send(first.session, "/back")
    assert turn.session.pending == "revenue" and turn.session.doubt is None
    assert isinstance(turn.replies[-1], Question) and turn.replies[-1].id == "revenue"
    later = send(send(at("niche_years"), "7").session, "12,000,000")
    turn = send(later.session, "/back")
    assert turn.session.pending == "niche_years" and turn.session.doubt is None


def test_the_ask_back_survives_a_restart() -> None:
    turn = send(at("revenue"), "12,000,000")
    stored = Session.model_validate_json(turn.session.model_dump_json())
    assert ENGINE.usable(stored)
    again = ENGINE.resume(stored, TODAY)
    assert isinstance(again[-1], Question) and again[-1].id == "verify_revenue"
    assert kept(send(stored, "1"), "revenue") == 12_000_000


def test_a_session_with_a_broken_ask_back_is_not_continued() -> None:
    turn = send(at("revenue"), "12,000,000")
    broken = turn.session.model_copy(deep=True)
    assert broken.doubt is not None
    broken.doubt.value = "lots"
    assert not ENGINE.usable(broken)
    broken.doubt = None
    assert not ENGINE.usable(broken)


def test_plausible_figures_are_taken_at_once() -> None:
    for field, text in (("revenue", "1.2亿"), ("main_business_share_pct", "92%"), ("debt_ratio_pct", "0")):
        assert kept(send(at(field), text), field) is not None


# ---------------------------------------------------------------- natural answers


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("quality", "有ISO9001，还有自主品牌", ["quality_certification", "own_brand"]),
        ("quality", "我们有ISO9001认证和自主品牌", ["quality_certification", "own_brand"]),
        ("quality", "只有自主品牌", ["own_brand"]),
        ("quality", "都有", ["provincial_quality_award", "quality_certification", "own_brand", "standards"]),
        ("quality", "除了质量奖都有", ["quality_certification", "own_brand", "standards"]),
        ("quality", "有ISO9001，没有自主品牌", ["quality_certification"]),
        ("quality", "we have ISO 9001 and also our own brand", ["quality_certification", "own_brand"]),
        ("quality", "only own brand", ["own_brand"]),
        ("distinctive", "只有A", ["A"]),
        ("talent", "都有", "national"),  # the highest level held
        ("rd_institution", "只有市级的", "municipal"),
        ("ip", "没有", "E"),
        ("equity_financing_2y", "没有融资", 0),
        ("equity_financing_2y", "no financing", 0),
        ("niche_years", "2019年开始做的", 6),  # 6–7 full years on 23 November 2026: the cautious end
        ("niche_years", "去年才开始", 0),
        ("niche_years", "since last year", 0),
        ("has_bank_loans", "没有贷款", False),
    ],
)
def test_natural_answers(field: str, text: str, value: Any) -> None:
    turn = send(
        at(field, {"org_type": "enterprise", "certification": "municipal", "revenue": Decimal(0)}), text
    )
    assert kept(turn, field) == value, texts(turn)


def test_skipping_a_scored_question_says_it_scores_zero_and_an_unscored_one_does_not() -> None:
    assert texts(send(at("debt_ratio_pct"), "跳过"))[0] == ENGINE.cat.text("zh", "echo.skipped")
    for field in ("sci_award", "maker_top500", "rd_expense_avg_2y", "district", "listing_plan"):
        reply = texts(send(at(field), "跳过"))[0]
        assert reply == ENGINE.cat.text("zh", "echo.skipped_unscored"), field
    english = texts(send(at("sci_award", lang="en"), "skip"))[0]
    assert "0" not in english and "not scored" in english


# ---------------------------------------------------------------- the language of each message


def test_an_english_question_in_a_chinese_session_is_answered_in_english() -> None:
    s = Session(lang="zh", lang_chosen=True)
    turn = send(s, "How do I join the association?")
    assert turn.session.lang == "zh"  # not switched silently
    first = texts(turn)[0]
    assert "Source" in first or "Which of these" in first or "secretariat" in first, first
    assert any("/lang en" in line for line in texts(turn))


def test_a_question_after_faq_is_answered_in_its_language() -> None:
    turn = send(Session(lang="zh", lang_chosen=True), "/faq How much is the membership fee?")
    assert turn.session.lang == "zh" and any("/lang en" in line for line in texts(turn))
    assert not any("/lang" in line for line in texts(send(Session(lang="zh"), "/faq 会费多少")))


def test_a_chinese_message_in_an_english_session_is_answered_in_chinese() -> None:
    s = Session(lang="en", lang_chosen=True)
    turn = send(s, "怎么申请入会？")
    assert turn.session.lang == "en"
    assert any("/lang zh" in line and "中文" in line for line in texts(turn))


def test_an_english_answer_at_a_chinese_question_is_echoed_in_english() -> None:
    turn = send(at("quality", lang="zh"), "we have ISO 9001 and also our own brand")
    assert turn.session.lang == "zh" and kept(turn, "quality") == ["quality_certification", "own_brand"]
    assert texts(turn)[0].startswith("Chosen") or texts(turn)[0].startswith("Selected")
    assert isinstance(turn.replies[-1], Question) and turn.replies[-1].text.startswith("Question ")
    assert "/lang en" in texts(turn)[-2]  # offered before the question that awaits an answer
    later = send(turn.session, "B")
    assert later.replies[-1].text.startswith("第 ")  # the next one is in the session's language


@pytest.mark.parametrize("text", ["5 million", "300万", "五六千万", "yes", "A", "2,3", "n/a"])
def test_figures_and_short_words_keep_the_session_language(text: str) -> None:
    turn = send(at("revenue", lang="zh"), text)
    assert not any("/lang" in line for line in texts(turn))


# ---------------------------------------------------------------- /help


def help_text(staff: bool, lang: str = "zh", command: str = "/help all") -> str:
    turn = ENGINE.handle(Session(lang=lang), Inbound(text=command, staff=staff), TODAY)
    return texts(turn)[0]


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("staff", [False, True])
def test_help_fits_a_phone_with_the_rest_on_request(lang: str, staff: bool) -> None:
    shown = help_text(staff=staff, lang=lang, command="/help").splitlines()
    assert len(shown) <= 15 and max(map(columns, shown)) <= 60, shown
    for command in ("/assess", "/back", "/skip", "/result", "/details", "/report", "/faq", "/lang"):
        assert any(line.startswith(command) or f" {command} " in line for line in shown), command
    assert any("/help all" in line for line in shown)
    assert any("/leads" in line for line in shown) == staff  # staff commands still listed for staff


def test_help_all_lists_every_command_a_person_can_use() -> None:
    shown = help_text(staff=False)
    for command in ("/join", "/callme", "/forget", "/faq", "/stop_reminders", "/remind_yearly", "/lang"):
        assert command in shown
    assert "/leads" not in shown and "/broadcast" not in shown
    assert help_text(staff=False, command="/help 全部") == shown


def test_help_lists_the_result_commands_with_an_example_from_the_catalogs() -> None:
    for lang in ("zh", "en"):
        shown = help_text(staff=False, lang=lang)
        for command in ("/details", "/report", "/whatif"):
            assert f"\n{command} " in shown, (lang, command)
        assert "{" not in shown and ENGINE.cat.text(lang, "q.rd_expense.example") in shown


def test_staff_see_theirs_too() -> None:
    shown = help_text(staff=True, lang="en")
    for command in (*HELP_LINES, *STAFF_HELP_LINES):
        assert command in shown


def test_every_command_anyone_can_send_is_in_the_help() -> None:
    listed = {*HELP_LINES, *STAFF_HELP_LINES}
    engine_commands = {c for c in ENGINE.commands() if c != "/start"}  # /start is the platform's
    assert engine_commands <= listed
    assert {"/leads", "/handled", "/forget"} <= listed  # the assistant's own
    assert set(DESK_COMMANDS) <= listed
    for command in listed:
        unknown = ENGINE.cat.text("zh", "command.unknown", command=command)
        if command in engine_commands:
            assert texts(ENGINE.handle(Session(), Inbound(text=command), TODAY))[0] != unknown


def test_the_assistant_marks_staff_for_the_engine() -> None:
    from bot.service import Assistant
    from bot.store import MemoryStore, SessionKey

    key = SessionKey("console", "s1", "s1")
    staff = Assistant(MemoryStore(), ENGINE, lambda: TODAY, staff=frozenset({"console:s1"}))
    person = Assistant(MemoryStore(), ENGINE, lambda: TODAY)
    assert "/leads" in texts(Turn(staff.handle_now(key, Inbound(text="/help")), Session()))[0]
    assert "/leads" not in texts(Turn(person.handle_now(key, Inbound(text="/help")), Session()))[0]


# ---------------------------------------------------------------- tier names


def test_one_english_name_per_tier() -> None:
    en = {t.id: t.label.en for t in RULES.tiers.tier}
    assert en == {"member": "Member", "director": "Council member", "vice_president": "Vice-president member"}
    tiers = texts(ENGINE.handle(Session(lang="en"), Inbound(text="/tiers"), TODAY))[0]
    for name in en.values():
        assert f"【{name}】" in tiers or f"[{name}]" in tiers or name in tiers
    assert "Director" not in tiers


# ---------------------------------------------------------------- intents: reminders and statistics

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=8)))
INSTITUTION = {
    "org_type": "服务机构",
    "registered_capital": "2000万",
    "operates_park": "是",
    "district": "番禺",
}


def walk(answers: dict[str, str]) -> list[Turn]:
    turns = [ENGINE.handle(Session(), Inbound(text="/assess"), TODAY, now=NOW)]
    while turns[-1].finished is None:
        q = turns[-1].replies[-1]
        assert isinstance(q, Question)
        text = "yes" if q.id == CONFIRM else answers[q.id]
        turns.append(ENGINE.handle(turns[-1].session, Inbound(text=text), TODAY, now=NOW))
    return turns


def test_statistics_events_name_questions_and_times_never_answers() -> None:
    turns = walk(INSTITUTION)
    events = [e for t in turns for e in t.events]
    assert [(e.kind, e.question) for e in events] == [
        ("asked", "org_type"),
        ("answered", "org_type"),
        ("asked", "registered_capital"),
        ("answered", "registered_capital"),
        ("asked", "operates_park"),
        ("answered", "operates_park"),
        ("asked", "district"),
        ("answered", "district"),
        ("asked", "confirm"),
        ("finished", None),
    ]
    assert {e.attempt for e in events} == {1} and {e.at for e in events} == {NOW}
    assert set(Event.__dataclass_fields__) == {"kind", "attempt", "question", "at"}  # no answer field


def test_skips_and_abandoning_are_recorded() -> None:
    turn = ENGINE.handle(Session(), Inbound(text="/assess"), TODAY)
    turn = send(turn.session, "跳过")
    assert [(e.kind, e.question) for e in turn.events] == [
        ("skipped", "org_type"),
        ("asked", "certification"),
    ]
    cancelled = send(turn.session, "/cancel")
    assert [(e.kind, e.question) for e in cancelled.events] == [("abandoned", "certification")]
    asked = send(turn.session, "/restart")  # an answer given: confirmed first, nothing abandoned yet
    assert isinstance(asked.replies[-1], Menu) and asked.events == []
    restarted = send(asked.session, "/restart confirm")
    kinds = [(e.kind, e.question, e.attempt) for e in restarted.events]
    assert kinds == [("abandoned", "certification", 1), ("asked", "org_type", 2)]


def test_a_paused_questionnaire_is_to_be_reminded_of_and_a_finished_one_is_not() -> None:
    turns = walk(INSTITUTION)
    for turn in turns[:-1]:
        waiting = turn.session.pending
        assert turn.reminders == [Reminder("schedule", "paused", question=waiting, lang="zh")]
    assert turns[-1].reminders == [Reminder("cancel", "paused", lang="zh")]


def test_stop_reminders_cancels_both_and_schedules_no_more() -> None:
    turn = ENGINE.handle(Session(), Inbound(text="/assess"), TODAY)
    stopped = send(turn.session, "/stop_reminders")
    assert Reminder("cancel", "paused", lang="zh") in stopped.reminders
    assert Reminder("cancel", "reassess", lang="zh") in stopped.reminders
    assert stopped.session.reminders_off
    assert isinstance(stopped.replies[-1], Question)  # and the question is asked again
    later = send(stopped.session, "1")
    assert not [r for r in later.reminders if r.action == "schedule"]


def test_the_result_offers_a_reminder_in_a_year() -> None:
    turns = walk(INSTITUTION)
    image, result, offer, menu = turns[-1].replies  # the score card first (the result's picture)
    assert isinstance(image, Image) and isinstance(result, Result) and isinstance(menu, Menu)
    assert isinstance(offer, Text) and "/remind_yearly" in offer.text
    last = LastResult({}, date(2026, 11, 23), RULES.version)
    opted = ENGINE.handle(turns[-1].session, Inbound(choice="/remind_yearly"), TODAY, last)
    assert opted.reminders == [Reminder("schedule", "reassess", due=date(2027, 11, 23), lang="zh")]
    assert "2027-11-23" in texts(opted)[0]


def test_the_reminder_messages() -> None:
    turn = walk(INSTITUTION)[2]  # stopped at the second question
    (paused,) = ENGINE.reminder(turn.session, "paused", TODAY)
    assert isinstance(paused, Menu) and [c.value for c in paused.choices] == ["/assess", "/stop_reminders"]
    assert "第 3/4 题" in paused.text  # org_type and capital answered, at operates_park
    (again,) = ENGINE.reminder(Session(), "reassess", TODAY)
    assert isinstance(again, Menu) and [c.value for c in again.choices] == ["/restart", "/stop_reminders"]
    assert ENGINE.reminder(Session(), "paused", TODAY) == []


# ---------------------------------------------------------------- the summary takes only safe numbers


@pytest.mark.parametrize("text", ["፩", "𐩀", "9" * 5000, "١", "99999", "(99)"])
def test_digits_int_refuses_do_not_crash_the_summary(text: str) -> None:
    s = at(CONFIRM, EXAMPLE_A)
    turn = send(s, text)
    assert turn.session.pending == CONFIRM and turn.finished is None
    assert isinstance(turn.replies[-1], Question) and turn.replies[-1].id == CONFIRM
    assert texts(turn)[0] == ENGINE.cat.text("zh", "summary.unclear")


@pytest.mark.parametrize(("text", "line"), [("²", "certification"), ("⑴", "org_type"), ("(3)", "district")])
def test_a_number_written_otherwise_is_still_a_line_to_change(text: str, line: str) -> None:
    turn = send(at(CONFIRM, EXAMPLE_A), text)  # NFKC: ² is 2, ⑴ is (1)
    assert turn.session.pending == line and turn.finished is None
