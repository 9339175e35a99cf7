"""Questions near the sources that the FAQ once answered wrongly: a bare number, a figure
with a bound or a range, the advertiser of seed 001, one district's authority, what the
sources leave open, the assistant itself, and answers that open with a yes to a question
that asked none. Each is asked as `zjtx ask --json` asks it, and in the chat."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.ask import build_reply
from bot.service import Assistant
from bot.store import MemoryStore, SessionKey
from dialogs.engine import DialogEngine
from dialogs.faq_reply import compose
from dialogs.faq_search import FaqSearch, default_search
from dialogs.messages import Inbound, Menu, Outbound, Text
from rules import default_rules
from rules.faq import ADVERTISER_MARKERS

TODAY = date(2026, 3, 10)


@pytest.fixture(scope="module")
def search() -> FaqSearch:
    return default_search()


def ask(text: str) -> dict[str, object]:
    """The reply of `zjtx ask --json`."""
    return build_reply(default_search().search(text), text)


def text_of(reply: dict[str, object]) -> str:
    return str(reply["text"])


# ---------------------------------------------------------------- a bare number asks nothing


@pytest.mark.parametrize("text", ["6", "18", "100", "2019", "６", " 42 ", "100个", "请问"])
def test_a_bare_number_is_never_answered(text: str) -> None:
    reply = ask(text)
    assert (reply["decision"], reply["reason"], reply["entry_id"]) == ("out_of_scope", "no_words", None)
    said = text_of(reply)
    assert "一句话" in said and "我能回答" in said  # how to ask, and what about
    assert "2019" not in said and "6 月" not in said  # no entry's facts


def test_a_bare_number_in_english_says_so_in_english() -> None:
    found = default_search().search("18", fallback_lang="en")
    reply = compose(found, "18", default_search(), TODAY)
    assert reply.lang == "en" and "in a sentence" in reply.text and "I answer questions" in reply.text


def test_a_figure_with_its_subject_is_still_a_question() -> None:
    assert ask("研发费用300万得几分")["entry_id"] == "ind_11_rd_expense"


async def chat(text: str) -> list[Outbound]:
    """One message to the assistant in a fresh conversation, no menu open."""
    bot = Assistant(MemoryStore(), DialogEngine(), lambda: TODAY)
    return await bot.handle(SessionKey("telegram", "5", "5"), Inbound(text=text))


@pytest.mark.parametrize("text", ["6", "18", "１"])
async def test_an_idle_digit_in_the_chat_shows_the_menu(text: str) -> None:
    replies = await chat(text)
    assert len(replies) == 1 and isinstance(replies[0], Menu)
    assert replies[0].text.startswith("这个数字没有对应的选项")
    assert "2019" not in replies[0].text


async def test_a_question_in_the_chat_is_still_answered() -> None:
    replies = await chat("入会流程")
    assert any(isinstance(r, Text) and "入会申请书" in r.text for r in replies)


# ---------------------------------------------------------------- figures with bounds and ranges


@pytest.mark.parametrize(
    ("text", "entry", "said"),
    [
        ("营收不到一千万还能申报专精特新吗", "cond_revenue", "营业收入不到 1000 万元）：营业收入不够"),
        ("营收五六千万能申请专精特新吗", "cond_revenue", "营业收入 5000 万元 至 6000 万元）：满足这一条"),
        ("营收八百到一千二百万能申请专精特新吗", "cond_revenue", "要看确切数额"),
        ("上年度研发费用80万可以申请吗", "cond_rd_expense", "研发费用 80 万元）：不满足这一条"),
    ],
)
def test_a_condition_reads_the_figure_as_the_chat_does(text: str, entry: str, said: str) -> None:
    reply = ask(text)
    assert (reply["decision"], reply["entry_id"]) == ("answer", entry)
    assert said in text_of(reply)


def test_a_bound_is_never_read_as_the_figure_it_bounds() -> None:
    said = text_of(ask("营收不到一千万还能申报专精特新吗"))
    assert "满足这一条" not in said and "（营业收入 1000 万元）" not in said


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("研发费用三四百万得几分", "按 300 万元 至 400 万元 计：可得 6 至 8 分"),
        ("资产负债率不到50%几分", "按不到 50% 计：得 5 分"),
        ("细分市场做了三到五年能得几分", "可得 1 至 2 分"),
    ],
)
def test_an_indicator_scores_a_bound_or_a_range_at_its_ends(text: str, said: str) -> None:
    assert said in text_of(ask(text))


def test_a_tier_reached_at_some_ends_only_depends() -> None:
    said = text_of(ask("营收一亿多利润两千多万能当什么会员"))
    assert "数额够得上会员单位" in said and "能否够得上理事单位，要看确切数额" in said


# ---------------------------------------------------------------- the advertiser of seed 001


@pytest.mark.parametrize(
    "text",
    ["400-086-8855是谁的", "4000868855", "400 086 8855 是你们的电话吗", "华夏泰科的电话", "華夏泰科怎么联系"],
)
def test_the_advertiser_is_never_given(text: str) -> None:
    reply = ask(text)
    assert (reply["decision"], reply["reason"]) == ("out_of_scope", "advertiser")
    said = text_of(reply)
    assert "不是本会的" in said and "gzzjtx@gzzjtx.com" in said  # the association's own contacts
    digits = re.sub(r"\D", "", said)
    assert all(marker not in said for marker in ADVERTISER_MARKERS) and "4000868855" not in digits


@pytest.mark.parametrize(("text", "name"), [("中原泰科的电话", "中原泰科"), ("神州泰岳的电话", "神州泰岳")])
def test_a_company_name_is_not_a_place(search: FaqSearch, text: str, name: str) -> None:
    """The tokenizer reads 中原 / 泰科 as a place and a name: together they are a company,
    kept out as one, never as another place's policy."""
    result = search.search(text)
    assert (result.decision, result.reason, result.named) == ("out_of_scope", "other_organisation", name)


# ---------------------------------------------------------------- one district's authority


@pytest.mark.parametrize(
    ("text", "district", "phone"),
    [
        ("黄埔区找谁", "黄埔区", "82118410"),
        ("Who can I call in Huangpu district?", "Huangpu", "82118410"),
        ("番禺区主管部门的电话", "番禺区", "34608880"),
        ("海珠区科工商信局电话", "海珠区", "84446431"),
    ],
)
def test_a_district_named_gets_its_own_authority(text: str, district: str, phone: str) -> None:
    reply = ask(text)
    assert (reply["decision"], reply["entry_id"]) == ("answer", "district_contacts")
    said = text_of(reply)
    assert district in said and phone in said and "2019" in said
    others = [d for d in default_rules().contacts.districts.district if phone not in d.phones]
    assert not any(p in said for d in others for p in d.phones)  # not all eleven


def test_no_district_named_lists_every_district() -> None:
    said = text_of(ask("各区中小企业主管部门电话"))
    assert all(d.phones[0] in said for d in default_rules().contacts.districts.district)


# ---------------------------------------------------------------- what the sources leave open


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("香港公司能入会吗", None),
        ("个体户能入会吗", "member_applicant_unstated"),
        ("重点小巨人奖励", "subsidy_key_little_giant_unstated"),
    ],
)
def test_a_question_the_sources_leave_open_says_so_with_the_contacts(text: str, entry: str | None) -> None:
    reply = ask(text)
    assert (reply["decision"], reply["reason"], reply["entry_id"]) == ("answer", "not_in_sources", entry)
    assert "gzzjtx@gzzjtx.com" in text_of(reply) and not reply["suggestions"]


def test_another_place_still_keeps_its_own_policy_out() -> None:
    reply = ask("深圳的小巨人奖励多少")
    assert (reply["decision"], reply["reason"]) == ("out_of_scope", "other_place")


def test_a_firm_from_elsewhere_goes_to_staff_when_they_are_reachable(search: FaqSearch) -> None:
    result = search.search("香港公司能入会吗", staff_reachable=True)
    assert (result.decision, result.reason) == ("handoff", "not_in_sources")


# ---------------------------------------------------------------- the assistant itself


@pytest.mark.parametrize(
    "text", ["你是谁", "你是谁呀？", "請問你是誰", "你能做什么", "Who are you?", "what can you do"]
)
def test_who_are_you_introduces_the_assistant(text: str) -> None:
    reply = ask(text)
    assert (reply["decision"], reply["reason"]) == ("out_of_scope", "about_me")
    said = text_of(reply)
    assert ("问答助手" in said and "我能回答" in said) or ("assistant" in said and "I answer" in said)


async def test_who_are_you_in_the_chat() -> None:
    replies = await chat("你是谁")
    assert any(isinstance(r, Text) and "问答助手" in r.text for r in replies)


# ---------------------------------------------------------------- no yes to a question that asked none


YES_NO = re.compile(r"^(?:可以|能|不能|是的|是|不是|不会|不行|没有|yes|no)[。，,.!！:：]", re.IGNORECASE)


def test_no_written_answer_opens_with_yes_or_no(search: FaqSearch) -> None:
    """An entry answers many phrasings, not all of them yes/no questions ("服务机构注册资本
    多少能做理事"): its answer states the fact, never a bare 可以 / Yes first."""
    opening = [
        f"{e.id}.{lang}"
        for e in search.base.entries
        if e.answer is not None
        for lang in ("zh", "en")
        if YES_NO.match(e.answer.get(lang))
    ]
    assert opening == []


def test_registered_capital_for_a_director_is_answered_without_a_yes() -> None:
    reply = ask("服务机构注册资本多少能做理事")
    assert reply["entry_id"] == "service_institution_join"
    assert not text_of(reply).startswith("可以") and "1000 万元" in text_of(reply)


# ---------------------------------------------------------------- the association by its name; how to apply


@pytest.mark.parametrize("text", ["你们协会地址在哪里，电话多少", "贵协会电话", "你们协会的邮箱是多少"])
def test_the_association_called_a_xiehui_is_this_association(text: str) -> None:
    reply = ask(text)
    assert reply["entry_id"] == "contact_association" and reply["decision"] == "answer"


@pytest.mark.parametrize(
    "text",
    [
        "数字化转型补贴怎么申请",
        "上市费用补助怎么申请",
        "How do I apply for the digital transformation subsidy?",
    ],
)
def test_how_to_apply_for_a_subsidy_is_not_answered_with_its_amount(text: str) -> None:
    reply = ask(text)
    assert reply["entry_id"] == "subsidy_how_to_claim" and reply["decision"] in {"answer", "suggest"}
    assert "300" not in text_of(reply).split("\n")[0]


def test_the_amount_of_a_subsidy_is_still_its_amount() -> None:
    assert ask("数字化转型补贴多少")["entry_id"] == "subsidy_digital"
