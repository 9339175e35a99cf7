"""Staff-made knowledge-base entries: checked like every entry, searched with the seed ones,
noticed across processes, exported in the data files' format."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from bot.db import connect
from bot.knowledge import Knowledge, KnowledgeError, StaffRecord, by_language
from dialogs.faq_search import FaqSearch
from dialogs.i18n import load_catalogs
from rules import default_rules
from rules.faq import STAFF_SOURCE, FaqEntries, StaffEntry, default_faq

QUESTION = "会员证书丢了怎么补办"
ANSWER = "会员证书遗失的，请发邮件到秘书处申请补办。"


def record(**values: object) -> StaffRecord:
    made: dict[str, object] = {
        "id": "staff_1", "topic": "membership", "question_zh": QUESTION, "answer_zh": ANSWER,
        "made_by": "telegram:7", "made_by_name": "陈老师", "made_on": date(2026, 11, 24), "ticket_id": 1,
    }  # fmt: skip
    made.update(values)
    return StaffRecord(**made)  # type: ignore[arg-type]


@pytest.fixture
def knowledge() -> Knowledge:
    applied: list[FaqSearch] = []
    made = Knowledge(
        connect(":memory:"), default_faq(), default_rules(), load_catalogs(), apply=applied.append
    )
    made.applied = applied  # type: ignore[attr-defined]
    return made


async def test_a_saved_entry_is_searched_with_the_seed_entries(knowledge: Knowledge) -> None:
    knowledge.save(record(), by="telegram:7")
    await knowledge.refresh()
    search = knowledge.applied[-1]  # type: ignore[attr-defined]
    found = search.search(QUESTION)
    assert found.decision == "answer" and found.entry_id == "staff_1"
    entry = search.entry("staff_1")
    assert (
        isinstance(entry, StaffEntry)
        and entry.source.file == STAFF_SOURCE
        and entry.source.clause == "2026-11-24"
    )
    assert entry.answer is not None and "以中文作答" not in entry.answer.zh
    assert entry.answer.en.startswith("(The secretariat answered this in Chinese.)")


def test_an_entry_in_english_only_says_so_in_chinese() -> None:
    assert by_language("How to replace a lost certificate?", "Email the secretariat.") == (
        None, None, "How to replace a lost certificate?", "Email the secretariat.",
    )  # fmt: skip
    assert by_language(QUESTION, ANSWER) == (QUESTION, ANSWER, None, None)


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"question_zh": "", "answer_zh": ""}, "faq.staff.error.empty"),
        ({"question_zh": "会员有几个等级"}, "faq.staff.error.duplicate"),  # a seed entry's phrasing
        ({"id": "membership_tiers"}, "faq.staff.error.id_taken"),
        ({"topic": "weather"}, "faq.staff.error.topic"),
        ({"answer_zh": "请拨打 400-086-8855 咨询"}, "faq.staff.error.invalid"),  # seed 001's advertiser
        ({"answer_zh": "长" * 3001}, "faq.staff.error.too_long"),
    ],
)
def test_an_entry_is_checked_like_every_entry(
    knowledge: Knowledge, values: dict[str, object], key: str
) -> None:
    with pytest.raises(KnowledgeError) as refused:
        knowledge.save(record(**values), by="telegram:7")
    assert refused.value.key == key
    assert knowledge.records() == []


def test_two_staff_entries_cannot_share_a_phrasing(knowledge: Knowledge) -> None:
    knowledge.save(record(), by="telegram:7")
    with pytest.raises(KnowledgeError) as refused:
        knowledge.save(record(id="staff_2", answer_zh="另一个答复"), by="telegram:7")
    assert refused.value.values["id"] == "staff_1"
    knowledge.save(record(answer_zh="更新后的答复"), by="telegram:8")  # the same entry changed
    [kept] = knowledge.records()
    assert (
        kept.answer_zh == "更新后的答复" and kept.made_by == "telegram:7" and kept.changed_by == "telegram:8"
    )


def test_a_change_by_another_process_is_noticed_by_sync(knowledge: Knowledge) -> None:
    assert knowledge.sync() is False  # nothing saved yet: the bundled search stays
    other = Knowledge(knowledge.db, default_faq(), default_rules(), load_catalogs())
    other.save(record(), by="cli")
    assert knowledge.sync() is True and knowledge.sync() is False
    assert knowledge.search is not None and knowledge.search.search(QUESTION).entry_id == "staff_1"
    assert other.remove("staff_1")
    assert knowledge.sync() is True and knowledge.search.search(QUESTION).entry_id != "staff_1"


def test_the_export_reads_back_as_entries_of_the_data_files(knowledge: Knowledge) -> None:
    knowledge.save(record(asks=("证书丢了", 'a "quoted" ask')), by="telegram:7")
    data = tomllib.loads(knowledge.export_toml())
    [entry] = data["entry"]
    assert entry["id"] == "staff_1" and entry["answer"]["zh"] == ANSWER and 'a "quoted" ask' in entry["asks"]
    FaqEntries.model_validate({"entry": [{**entry, "asks": [*entry["asks"], "再一个问法"]}]})
