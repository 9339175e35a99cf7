"""The result on a phone: a short answer within the line budget, the details behind the
buttons each citing their source, /subsidies without repeats, what-if and progress."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.channels.console import to_text
from bot.service import Assistant
from bot.store import MemoryStore, SessionKey
from dialogs import results
from dialogs.engine import DialogEngine, LastResult
from dialogs.messages import Document, Image, Inbound, Menu, Result, Text
from dialogs.session import Session
from rules import assess, default_rules, parse_profile
from rules.compare import compare
from tests.rules.examples import EXAMPLE_A, EXAMPLE_B, EXAMPLE_C, SCORE_70, assess_answers

ENGINE = DialogEngine()
TODAY = date(2026, 11, 23)
EXAMPLES = {"A": EXAMPLE_A, "B": EXAMPLE_B, "C": EXAMPLE_C, "SCORE_70": SCORE_70}
KEY = SessionKey("console", "p", "p")


def view(lang: str = "zh") -> results.View:
    return ENGINE.view(lang)


def text_of(parts: tuple[str, ...]) -> str:
    return "\n\n".join(parts)


def stored(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as a finished assessment keeps them (numbers as exact strings)."""
    s = Session()
    for f, v in (
        parse_profile(answers, default_rules().contacts.districts).model_dump(exclude_none=True).items()
    ):
        s.set_answer(f, v)
    return dict(s.answers)


def last_for(answers: dict[str, Any], made_on: date = date(2026, 3, 2)) -> LastResult:
    a = assess_answers(answers, made_on)
    return LastResult(stored(answers), made_on, a.rules_version, a.contract())


# ---------------------------------------------------------------- width


def test_wide_characters_take_two_columns() -> None:
    assert results.columns("研发") == 4 and results.columns("ab") == 2 and results.columns("📊") == 2
    assert results.screen_lines("研" * 30) == 1 and results.screen_lines("研" * 31) == 2
    assert results.screen_lines("a\n\nb") == 3


def test_clip_keeps_a_line_within_its_columns() -> None:
    clipped = results.clip("研发费用" * 20, 20)
    assert results.columns(clipped) <= 20 and clipped.endswith("…")
    assert results.clip("short", 20) == "short"


# ---------------------------------------------------------------- the short result


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_the_worked_examples_fit_fifteen_lines_at_sixty_columns(name: str, lang: str) -> None:
    a = assess_answers(EXAMPLES[name], TODAY)
    parts = results.short_result(a, view(lang))
    assert results.screen_lines(text_of(parts)) <= results.LINE_BUDGET, text_of(parts)
    # with the reminder of /result and a progress line on top, still within the budget
    progress = results.progress_line(
        compare(assess_answers(EXAMPLE_C).contract(), a.contract()), TODAY, view(lang)
    )
    longer = results.short_result(
        a, view(lang), intro="这是您 2026-03-02 完成的自测结果：", progress=progress
    )
    assert results.screen_lines(text_of(longer)) <= results.LINE_BUDGET, text_of(longer)


def test_the_short_result_says_score_verdict_shortfall_tier_subsidies_and_contacts() -> None:
    a = assess_answers(EXAMPLE_B, TODAY)
    text = text_of(results.short_result(a, view()))
    first = text.splitlines()[0]
    assert f"{a.score}/100" in first and "70" in first and "暂不符合" in first
    assert "差 10 万元" in text  # R&D 90万 against the 100万 floor
    assert "📈" in text and text.count("• ") == 3
    assert "会员单位" in text and "升理事单位" in text
    assert "王雯 18011714912" in text and "梁瑞淇 13413669836" in text


def test_one_subsidy_line_with_one_expiry_notice_from_the_rules_data() -> None:
    a = assess_answers(EXAMPLE_A, TODAY)
    text = text_of(results.short_result(a, view()))
    lines = [line for line in text.splitlines() if line.startswith("💰")]
    n = len(a.subsidy_hints)
    rules = default_rules()
    start = min(s.valid_from.year for s in rules.subsidies.subsidy if s.valid_from)
    end = max(s.valid_to.year for s in rules.subsidies.subsidy if s.valid_to)
    assert lines == [f"💰 认定为省级专精特新后可关注 {n} 项（{start}—{end} 年政策已到期）"]
    assert "（已到期）" not in text and "⚠️" not in text


def test_a_very_incomplete_result_still_fits() -> None:
    a = assess_answers({"org_type": "enterprise", "certification": "none", "revenue": 1}, TODAY)
    parts = results.short_result(
        a, view(), intro="这是您 2026-03-02 完成的自测结果：", progress="比 " + "很" * 60
    )
    assert results.screen_lines(text_of(parts)) <= results.LINE_BUDGET
    assert "未满足" in text_of(parts) or "✗" in text_of(parts)


def test_a_service_institution_gets_its_tier_without_a_score() -> None:
    a = assess_answers({"org_type": "service_institution", "registered_capital": 20_000_000}, TODAY)
    text = text_of(results.short_result(a, view()))
    assert "服务机构不参与评分" in text and "理事单位" in text


# ---------------------------------------------------------------- details


@pytest.mark.parametrize(
    ("part", "clause"),
    [
        ("indicators", "二、评价指标"),
        ("conditions", "一、认定条件"),
        ("tier", "会员单位【资质】"),
        ("subsidies", "三、培育措施"),
        ("contacts", "【联系方式】"),
    ],
)
def test_each_part_names_its_source(part: str, clause: str) -> None:
    a = assess_answers({**EXAMPLE_A, "district": "天河区"}, TODAY)
    text = results.detail(part, a, EXAMPLE_A, view())
    assert "来源：" in text and clause in text


def test_the_indicator_details_show_all_thirteen_with_their_bands() -> None:
    a = assess_answers(EXAMPLE_A, TODAY)
    text = results.detail("indicators", a, EXAMPLE_A, view())
    for ind in default_rules().indicators.indicator:
        assert f"{ind.number}. {ind.label.zh}：" in text
    assert "80%以上，5/5" in text and "市级研发机构，4/10" in text and "满足 2 项，5/5" in text


def test_the_condition_details_give_every_shortfall() -> None:
    a = assess_answers(EXAMPLE_B, TODAY)
    text = results.detail("conditions", a, EXAMPLE_B, view())
    assert "✗ 上年度研发费用不低于" in text and "还差 10 万元" in text and "0.75%" in text
    assert "直通条件" in text  # the score is below the pass mark


def test_subsidy_details_list_each_item_once_with_one_notice_and_source() -> None:
    a = assess_answers(EXAMPLE_A, TODAY)
    text = results.detail("subsidies", a, EXAMPLE_A, view())
    for hint in a.subsidy_hints:
        assert text.count(hint.title.zh + "：") == 1
    assert text.count("已到期") == 1 and text.count("来源：") == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_subsidies_command_fits_a_phone_with_the_expiry_first_and_each_item_marked(lang: str) -> None:
    """/subsidies: a line per item, each expired one marked where it is listed, under a
    heading that carries the expiry (the first screen no longer shows amounts unmarked);
    whom each is for on request (/subsidies all)."""
    replies = ENGINE.handle(Session(lang=lang), Inbound("/subsidies"), TODAY).replies
    text = "\n\n".join(to_text(r) for r in replies)
    rules = default_rules()
    lines = text.splitlines()
    expired = ZH_OR_EN[lang]["expired"]
    assert "2022" in lines[0] and "2024" in lines[0] and expired in lines[0]
    for s in rules.subsidies.subsidy:
        assert s.short is not None
        (line,) = [line for line in lines if f" {s.short.get(lang)}" in line]
        assert line.startswith("⌛ ")  # expired where it is listed
        assert results.columns(line) <= results.SCREEN_COLUMNS
    assert text.count(expired) == 1 and text.count(ZH_OR_EN[lang]["source"]) == 1
    assert results.screen_lines(text) <= 20  # it was 38 (zh) and 51 (en)
    menu = replies[-1]
    assert isinstance(menu, Menu) and [c.value for c in menu.choices] == ["/subsidies all"]
    full = "\n".join(
        r.text for r in ENGINE.handle(Session(lang=lang), Inbound("/subsidies all"), TODAY).replies
    )
    for s in rules.subsidies.subsidy:
        assert s.who.get(lang) in full and f"⌛ {s.title.get(lang)}：" in full.replace(": ", "：")
    assert full.splitlines()[0] == lines[0]


ZH_OR_EN = {
    "zh": {"expired": "已到期", "source": "来源："},
    "en": {"expired": "expired", "source": "Source:"},
}


def test_the_digital_transformation_subsidy_is_up_to_a_share() -> None:
    """003 三（五）: 给予不超过30%的补贴 — at most 30 %, not 30 %."""
    for lang, words in (
        ("zh", "补贴不超过费用的 30%，最高 300 万元"),
        ("en", "up to 30% of the costs, at most ¥3,000,000"),
    ):
        full = "\n".join(results.all_subsidies(view(lang), TODAY, full=True))
        assert words in full
        brief = "\n".join(results.all_subsidies(view(lang), TODAY))
        assert ("不超过 30%，最高 300 万元" if lang == "zh" else "up to 30%, at most ¥3,000,000") in brief
    listing = "\n".join(results.all_subsidies(view(), TODAY, full=True))
    assert "上市费用补助：按费用的 50% 补助，最高 300 万元" in listing  # 按照50%的比例: a share, not "up to"


def test_the_park_award_is_a_one_off_award_per_project_of_no_stated_amount() -> None:
    text = "\n".join(results.all_subsidies(view(), TODAY, full=True))
    line = next(line for line in text.splitlines() if "园区培育奖励" in line)
    assert "给予单个项目一次性奖励" in line and "未写明金额" in line and "非现金" not in line
    english = "\n".join(results.all_subsidies(view("en"), TODAY, full=True))
    assert "one-off award per project (the source states no amount)" in english
    brief = "\n".join(results.all_subsidies(view(), TODAY))
    assert "园区培育奖励：单个项目一次性奖励，原文未写明金额" in brief


def test_the_summary_before_the_result_fits_a_phone() -> None:
    s = Session(mode="assess", pending="confirm")
    for f, v in stored({**EXAMPLE_A, "district": "天河区", "listing_plan": False}).items():
        s.set_answer(f, v)
    summary = ENGINE.resume(s, TODAY)[0].text
    assert "…" not in summary  # a long answer wraps: nothing cut
    assert results.screen_lines(summary) <= 20
    assert "5. 上年度营业收入：1.2 亿元" in summary


# ---------------------------------------------------------------- the result turn


def finished_turn(answers: dict[str, Any], last: LastResult | None = None) -> list[Any]:
    s = Session(mode="assess", pending="confirm")
    for f, v in stored(answers).items():
        s.set_answer(f, v)
    return ENGINE.handle(s, Inbound("yes"), TODAY, last).replies


def test_the_card_comes_before_the_result_then_the_buttons() -> None:
    replies = finished_turn(EXAMPLE_A)
    assert [type(r) for r in replies] == [Image, Result, Text, Menu]  # Text: the yearly reminder offer
    image, _, _, menu = replies
    assert image.alt.startswith("自测得分 72/100") and image.filename.endswith(".png")
    values = [c.value for c in menu.choices]
    assert values[:6] == [
        "/details indicators",
        "/details conditions",
        "/details tier",
        "/details subsidies",
        "/details contacts",
        "/report",
    ]
    assert values[-3:] == ["/join", "/callme", "/remind_yearly"]  # the yearly opt-in last
    whatifs = [c for c in menu.choices if c.value.startswith("/whatif ")]
    assert len(whatifs) == 3 and "/whatif rd_institution=provincial" in [c.value for c in whatifs]
    assert any(c.label == "如果研发机构为省级研发机构…" for c in whatifs)


def test_progress_since_the_earlier_assessment() -> None:
    earlier = {**EXAMPLE_B, "rd_staff_pct": 8}
    replies = finished_turn(EXAMPLE_A, last_for(earlier))
    result = next(r for r in replies if isinstance(r, Result))
    line = result.parts[0].splitlines()[1]
    assert line.startswith("比 2026-03-02 的评估 +12 分：上年度研发费用投入 +10，上年度研发人员占比 +2")
    assert "新满足条件：研发费用、评价得分" in line


# ---------------------------------------------------------------- what if


def whatif(text: str, last: LastResult, lang: str = "zh") -> list[Any]:
    return ENGINE.handle(Session(lang=lang), Inbound(text), TODAY, last).replies


def test_whatif_changes_several_answers_and_says_what_changes() -> None:
    replies = whatif("/whatif 研发费用 400万 研发人员占比 20%", last_for(EXAMPLE_B))
    text = replies[0].text
    assert "上年度研发费用 → 400 万元" in text and "研发人员占比 → 20%" in text
    assert "62 → 72 分（+10）" in text and "新满足条件：研发费用、评价得分" in text
    assert "✅ 符合认定条件" in text
    assert "⌛ 省级专精特新认定奖励" in text  # the subsidies recognition would unlock, marked expired
    keep = replies[1]
    assert (
        isinstance(keep, Menu)
        and keep.choices[0].value == "/whatif keep rd_expense=4000000元 rd_staff_pct=20%"
    )


@pytest.mark.parametrize(
    "typed",
    [
        "/whatif rd_expense=3000000元",
        "/whatif 研发费用300万",
        "/whatif 上年度研发费用：300万",
        "/whatif 研发费用 300 万",
    ],
)
def test_whatif_reads_names_and_values_as_people_type_them(typed: str) -> None:
    assert "上年度研发费用 → 300 万元" in whatif(typed, last_for(EXAMPLE_B))[0].text


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("/whatif 股价 300万", "没认出要改的项目“股价”"),
        ("/whatif 研发费用", "要改成多少"),
        ("/whatif 研发费用 很多", "新值没看懂"),
    ],
)
def test_a_whatif_that_cannot_be_read_says_how_to_write_it(typed: str, says: str) -> None:
    [reply] = whatif(typed, last_for(EXAMPLE_B))
    assert isinstance(reply, Text) and says in reply.text
    assert "例如" in reply.text or "如：" in reply.text


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("/whatif 研发费用 12,000,000", "1200 亿元不太寻常，是不是 1200 万元？"),  # a bare number is 万元
        ("/whatif 研发人员占比 0.2", "0.2%不太寻常，是不是 20%？"),
    ],
)
def test_an_implausible_whatif_figure_is_asked_about_not_tried(typed: str, says: str) -> None:
    [reply] = whatif(typed, last_for(EXAMPLE_B))
    assert isinstance(reply, Text) and says in reply.text and "→" not in reply.text


def test_an_implausible_whatif_figure_is_never_kept() -> None:
    store = MemoryStore()
    assistant = Assistant(store, ENGINE, lambda: TODAY)
    s = Session(mode="assess", pending="confirm")
    for f, v in stored(EXAMPLE_B).items():
        s.set_answer(f, v)
    store.save(KEY, s, 0)
    assistant.handle_now(KEY, Inbound("yes"))
    assistant.handle_now(KEY, Inbound(choice="/whatif keep rd_expense=120000000000元"))
    assert len(list(store.assessments())) == 1


def test_a_whatif_without_a_tier_says_so_in_words() -> None:
    low = {**EXAMPLE_B, "revenue": 20_000_000}
    text = whatif("/whatif 研发人员占比 20%", last_for(low))[0].text
    assert "暂未达到本会会员单位条件" in text and "会员等级不变：无" not in text


def test_no_result_text_leaves_a_placeholder_unfilled() -> None:
    low = {"org_type": "enterprise", "certification": "none", "revenue": 1}
    a = assess_answers(low, TODAY)
    for lang in ("zh", "en"):
        texts = [
            *results.short_result(a, view(lang)),
            *(results.detail(part, a, stored(low), view(lang)) for part in results.DETAIL_PARTS),
        ]
        assert not [t for t in texts if "{" in t], lang


def test_whatif_without_a_result_points_to_the_questionnaire() -> None:
    [reply] = ENGINE.handle(Session(), Inbound("/whatif 研发费用 300万"), TODAY).replies
    assert isinstance(reply, Menu) and "/assess" in reply.text


def test_whatif_alone_offers_the_three_suggestions() -> None:
    [reply] = whatif("/whatif", last_for(EXAMPLE_A))
    assert isinstance(reply, Menu) and len(reply.choices) == 3


def test_each_suggestion_button_is_a_whatif_that_gains_its_points() -> None:
    last = last_for(EXAMPLE_A)
    a = assess_answers(EXAMPLE_A, TODAY)
    menu = ENGINE.after_result(Session(), a, last.answers)
    for choice, imp in zip(
        [c for c in menu.choices if c.value.startswith("/whatif")], a.improvements, strict=True
    ):
        text = whatif(choice.value, last)[0].text
        assert f"（+{imp.gain}）" in text, (choice.value, text)


def test_whatif_never_changes_the_stored_assessment_unless_kept() -> None:
    store = MemoryStore()
    assistant = Assistant(store, ENGINE, lambda: TODAY)
    s = Session(mode="assess", pending="confirm")
    for f, v in stored(EXAMPLE_B).items():
        s.set_answer(f, v)
    store.save(KEY, s, 0)
    assistant.handle_now(KEY, Inbound("yes"))
    before = store.last_assessment("console", "p")
    assert before is not None
    shown = [r for r in assistant.handle_now(KEY, Inbound("/result")) if isinstance(r, Result)]

    replies = assistant.handle_now(KEY, Inbound("/whatif 研发费用 300万 研发人员占比 20%"))
    assert len(list(store.assessments())) == 1 and store.last_assessment("console", "p") == before
    again = [r for r in assistant.handle_now(KEY, Inbound("/result")) if isinstance(r, Result)]
    assert again == shown

    keep = next(r for r in replies if isinstance(r, Menu)).choices[0].value
    kept = assistant.handle_now(KEY, Inbound(choice=keep))
    after = store.last_assessment("console", "p")
    assert after is not None and after.id != before.id and after.result["score"] == 70
    assert after.answers["rd_expense"] == "3000000" and after.answers["profit"] == before.answers["profit"]
    result = next(r for r in kept if isinstance(r, Result))
    assert "比 2026-11-23 的评估 +8 分" in result.parts[0]
    assistant.handle_now(KEY, Inbound(choice=keep))  # the same button again stores nothing new
    assert len(list(store.assessments())) == 2


def test_report_of_the_last_result_and_details_without_one() -> None:
    replies = ENGINE.handle(Session(), Inbound("/report"), TODAY, last_for(EXAMPLE_A)).replies
    [document] = replies
    assert isinstance(document, Document) and document.filename == "zjtx-report-2026-03-02.pdf"
    [menu] = ENGINE.handle(Session(), Inbound("/details indicators"), TODAY).replies
    assert isinstance(menu, Menu)


@pytest.mark.parametrize("arg", ["", "nonsense"])
def test_details_without_a_part_offers_the_parts(arg: str) -> None:
    [menu] = ENGINE.handle(Session(), Inbound(f"/details {arg}"), TODAY, last_for(EXAMPLE_A)).replies
    assert isinstance(menu, Menu) and [c.value for c in menu.choices] == [
        f"/details {p}" for p in results.DETAIL_PARTS
    ]


def test_details_by_their_chinese_name() -> None:
    [reply] = ENGINE.handle(Session(), Inbound("/details 指标明细"), TODAY, last_for(EXAMPLE_A)).replies
    assert isinstance(reply, Text) and reply.text.startswith("📊 指标明细：72/100 分")


def test_the_english_result_is_english() -> None:
    a = assess(parse_profile(EXAMPLE_A, default_rules().contacts.districts), default_rules(), TODAY)
    text = text_of(results.short_result(a, view("en")))
    assert text.startswith("📊 Score 72/100 (pass mark 70) ✅ eligible")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text.replace("专精特新", ""))


def test_progress_compares_with_the_result_as_it_was_given() -> None:
    store = MemoryStore()
    assistant = Assistant(store, ENGINE, lambda: TODAY)
    s = Session(mode="assess", pending="confirm")
    for f, v in stored(EXAMPLE_B).items():
        s.set_answer(f, v)
    store.save(KEY, s, 0)
    assistant.handle_now(KEY, Inbound("yes"))
    last = store.last_assessment("console", "p")
    assert last is not None and last.last_result().result == last.result


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_the_result_at_a_terminal_counting_wrapped_rows(name: str, lang: str) -> None:
    """What `zjtx chat` prints once the summary is confirmed, measured in rows of a
    60-column screen (a line wider than the screen counts as the rows it wraps to): the
    result within the budget with every figure whole, then a short menu."""
    s = Session(mode="assess", pending="confirm", lang=lang)
    for f, v in stored(EXAMPLES[name]).items():
        s.set_answer(f, v)
    replies = ENGINE.handle(s, Inbound("yes"), TODAY).replies
    result = next(r for r in replies if isinstance(r, Result))
    text = "\n\n".join(result.parts)
    assert results.screen_lines(text) <= results.LINE_BUDGET, text
    assert "…" not in text  # wrapped or reworded, never cut
    after = [to_text(r) for r in replies[replies.index(result) + 1 :]]
    menu_rows = results.screen_lines("\n".join(after))
    assert all(results.columns(line) <= results.SCREEN_COLUMNS for t in after for line in t.split("\n"))
    assert menu_rows <= 8, after  # the offer of a reminder, the prompt and 12 choices packed


def test_no_figure_of_the_result_is_cut() -> None:
    """The figures QA saw cut ("profit +¥…", "“锻长…，+2 分") are whole."""
    a = assess_answers(EXAMPLE_A, TODAY)
    english = text_of(results.short_result(a, view("en")))
    assert "revenue +¥30,000,000, profit +¥10,400,000" in english
    chinese = text_of(results.short_result(a, view()))
    assert "“补短板”“锻长板”“填空白”取得实际成效，+2 分" in chinese


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_tiers_fit_a_phone_with_one_source_line(lang: str) -> None:
    [reply] = ENGINE.handle(Session(lang=lang), Inbound("/tiers"), TODAY).replies
    text = to_text(reply)
    assert sum(line.lstrip().startswith(("来源", "Source")) for line in text.split("\n")) == 1, text
    assert results.screen_lines(text) <= 22, text
