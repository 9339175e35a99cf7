"""The FAQ data: the loader refuses bad entries (naming them), and the bundled entries keep
to the seeds: cited, dated where they must be, never the advertiser."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from dialogs.i18n import load_catalogs
from dialogs.rule_answers import rule_text
from rules import RulesError, default_rules
from rules.faq import FaqBase, load_faq
from rules.loader import DATA_DIR
from rules.model import Label

SEEDS = {
    "000_fa6e538118d30721.txt",
    "001_1cc477078b1fcf91.txt",
    "002_7a0238f6e9582398.txt",
    "003_cb9b15ec6ed65fd7.txt",
    "004_d278c02e86b8a761.txt",
}


@pytest.fixture(scope="module")
def faq() -> FaqBase:
    return load_faq()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the bundled rules data, to spoil."""
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def refusal(folder: Path) -> str:
    with pytest.raises(RulesError) as caught:
        load_faq(folder)
    return str(caught.value)


# ---------------------------------------------------------------- the loader refuses bad data


def test_duplicate_id(data: Path) -> None:
    edit(data, "faq.toml", 'id = "director_rights"', 'id = "vp_rights"')
    message = refusal(data)
    assert "faq.toml" in message and "duplicate entry 'vp_rights'" in message


FEE_USE = (
    ", en = \"Mainly for the council's day-to-day office costs, "
    'staff salaries and the costs of activities." }'
)


def test_blank_translation_names_the_entry(data: Path) -> None:
    edit(data, "faq.toml", FEE_USE, ', en = "  " }')
    message = refusal(data)
    assert "faq.toml" in message and "entry[alliance_fee_use]" in message and "answer.en is blank" in message


def test_missing_translation_names_the_entry(data: Path) -> None:
    edit(data, "faq.toml", FEE_USE, " }")
    message = refusal(data)
    assert "entry[alliance_fee_use].answer.en" in message


ALLIANCE_CENTRE_ASKS = (
    'asks = ["中促中心是什么", "中小企业合作发展促进中心", "中促中心上市办", "中促中心", "中促中心是干嘛的", '
    '"中小企业合作发展促进中心是什么"]'
)


def test_too_few_asks(data: Path) -> None:
    edit(
        data,
        "faq.toml",
        ALLIANCE_CENTRE_ASKS,
        'asks = ["中促中心是什么", "中小企业合作发展促进中心"]',
    )
    message = refusal(data)
    assert "entry[alliance_centre].asks" in message


def test_too_many_asks(data: Path) -> None:
    edit(
        data,
        "faq.toml",
        ALLIANCE_CENTRE_ASKS,
        "asks = [" + ", ".join(f'"{n}"' for n in range(13)) + "]",
    )
    assert "entry[alliance_centre].asks" in refusal(data)


def test_unknown_seed(data: Path) -> None:
    edit(
        data,
        "faq.toml",
        'source = { file = "004_d278c02e86b8a761.txt", clause = "第十八条" }',
        'source = { file = "005_made_up.txt", clause = "第十八条" }',
    )
    message = refusal(data)
    assert "entry[alliance_fee_use]" in message and "005_made_up.txt" in message


def test_unknown_key(data: Path) -> None:
    edit(data, "faq.toml", 'id = "alliance_fee_use"\n', 'id = "alliance_fee_use"\nanwser = "x"\n')
    assert "entry[alliance_fee_use].anwser" in refusal(data)


def test_unknown_topic(data: Path) -> None:
    edit(
        data,
        "faq.toml",
        'id = "alliance_fee_use"\ntopic = "listing_alliance"',
        'id = "alliance_fee_use"\ntopic = "weather"',
    )
    assert "entry[alliance_fee_use].topic" in refusal(data)


def test_valid_to_before_valid_from(data: Path) -> None:
    path = data / "faq.toml"
    head, tail = path.read_text(encoding="utf-8").split('id = "subsidy_provincial"\n')
    path.write_text(
        head
        + 'id = "subsidy_provincial"\n'
        + tail.replace("valid_to = 2024-12-31", "valid_to = 2021-12-31", 1)
    )
    message = refusal(data)
    assert "entry[subsidy_provincial]" in message and "valid_to is before valid_from" in message


def test_impossible_date(data: Path) -> None:
    path = data / "faq.toml"
    head, tail = path.read_text(encoding="utf-8").split('id = "station_exit"\n')
    path.write_text(
        head + 'id = "station_exit"\n' + tail.replace("as_of = 2019-05-24", "as_of = 2019-02-30", 1)
    )
    message = refusal(data)
    assert "faq.toml" in message and "2019-02-30" in message


def test_dated_answer_must_say_its_year(data: Path) -> None:
    edit(
        data,
        "faq.toml",
        "那是 2019 年的征集：天河区受理截止 2019 年 6 月 18 日下午 5:00，",
        "天河区受理截止 6 月 18 日下午 5:00，",
    )
    message = refusal(data)
    assert "entry[station_deadline_2019]" in message and "year of as_of" in message


def test_a_not_in_sources_answer_must_say_whom_to_ask(data: Path) -> None:
    # the reply follows it with the secretariat's contacts, under a heading that does not ask
    edit(data, "faq.toml", "但没有写需要多长时间。请向秘书处了解。", "但没有写需要多长时间。")
    message = refusal(data)
    assert "entry[join_duration]" in message and "answer.zh" in message and "whom to ask" in message


def test_advertiser_is_refused(data: Path) -> None:
    # seed 000 glues the advertiser's 400 line onto the end of 梁瑞淇's mobile number
    edit(
        data,
        "faq.toml",
        '企业服务部：梁瑞淇 13413669836"""\nen = """Guangzhou',
        '企业服务部：梁瑞淇 13413669836400-086-8855"""\nen = """Guangzhou',
    )
    message = refusal(data)
    assert "entry[contact_association]" in message and "advertiser" in message


def test_lexicon_variant_in_two_groups(data: Path) -> None:
    edit(data, "faq_lexicon.toml", 'zh = ["退出", ', 'zh = ["交钱", "退出", ')
    message = refusal(data)
    assert "faq_lexicon.toml" in message and "duplicate synonym variant '交钱'" in message


def test_lexicon_thresholds_in_order(data: Path) -> None:
    path = data / "faq_lexicon.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^answer_at = .*$", "answer_at = 0.01", text), encoding="utf-8")
    assert "answer_at is below handoff_below" in refusal(data)


# ---------------------------------------------------------------- the bundled entries


def written(faq: FaqBase, entry_id: str) -> Label:
    answer = faq.get(entry_id).answer
    assert answer is not None, f"{entry_id} has no written answer"
    return answer


def test_the_bundled_faq_loads(faq: FaqBase) -> None:
    assert len(faq.entries) >= 80
    assert faq.get("membership_fee").topic == "membership"


def test_every_entry_cites_a_seed(faq: FaqBase) -> None:
    for entry in faq.entries:
        assert entry.source.file in SEEDS, entry.id
        assert entry.source.clause.strip(), entry.id


def test_no_entry_gives_the_advertiser(faq: FaqBase) -> None:
    for entry in faq.entries:
        for text in entry.texts():
            assert "400-086-8855" not in text, entry.id
            assert "华夏泰科" not in text, entry.id
            assert not re.search(r"\b400[- ]?\d{3}[- ]?\d{4}\b", text), entry.id


def test_expired_measures_say_so(faq: FaqBase) -> None:
    dated = [e for e in faq.entries if e.valid_to is not None]
    assert len(dated) >= 12
    for entry in dated:
        assert entry.source.file == "003_cb9b15ec6ed65fd7.txt", entry.id
        assert (str(entry.valid_from), str(entry.valid_to)) == ("2022-04-13", "2024-12-31"), entry.id
        assert entry.answer is not None
        assert "已到期" in entry.answer.zh and "市工业和信息化局" in entry.answer.zh, entry.id
        assert "expired" in entry.answer.en, entry.id


def test_service_station_answers_are_2019_data(faq: FaqBase) -> None:
    """A written answer from seed 002 carries its date; a computed one (the district
    authorities) reads the contacts data, whose date it says."""
    rules = default_rules()
    for entry in faq.entries:
        if entry.source.file != "002_7a0238f6e9582398.txt":
            continue
        if entry.rule is not None:
            assert rules.contacts.districts.as_of.year == 2019
            texts = [rule_text(entry.rule, rules, lang, load_catalogs()) for lang in ("zh", "en")]
            assert all("2019" in text for text in texts), entry.id
            continue
        assert entry.as_of is not None and entry.as_of.year == 2019, entry.id
        assert entry.answer is not None
        assert "2019" in entry.answer.zh and "2019" in entry.answer.en, entry.id


def test_contacts_match_the_contacts_file(faq: FaqBase) -> None:
    association = default_rules().contacts.association
    answer = written(faq, "contact_association")
    for department in association.department:
        assert f"{department.person.zh} {department.phone}" in answer.zh
        assert f"{department.person.en} {department.phone}" in answer.en
    assert association.email in answer.zh and association.address.zh in answer.zh


def test_the_listing_alliance_fee_is_as_the_charter_says(faq: FaqBase) -> None:
    answer = written(faq, "alliance_fee")
    assert "2 万元/年" in answer.zh and "个人会员免费" in answer.zh
    assert "¥20,000 a year" in answer.en and "free" in answer.en


def test_no_figure_is_invented_for_the_association_fee(faq: FaqBase) -> None:
    answer = written(faq, "membership_fee").zh
    assert "没有写明会费金额" in answer and "秘书处" in answer


def test_the_required_topics_are_covered(faq: FaqBase) -> None:
    ids = set(faq.ids)
    for tier in ("vp", "director", "member"):
        for part in ("qualification", "procedure", "rights", "duties", "withdrawal"):
            assert f"{tier}_{part}" in ids
    assert len([i for i in ids if i.startswith("ind_")]) == 13
    assert {"direct_sci_award", "direct_rd_avg", "direct_equity", "direct_maker_top500"} <= ids
    assert {"cond_niche_years", "cond_rd_expense", "cond_revenue", "cond_score"} <= ids
    subsidies = [
        "little_giant",
        "relocated_little_giant",
        "provincial",
        "listing",
        "loan_interest",
        "tech_upgrade",
        "digital",
        "efficiency_pilot",
        "land",
        "housing",
        "traffic",
        "park",
    ]
    assert {f"subsidy_{s}" for s in subsidies} <= ids
    alliance = [
        "about",
        "purpose",
        "organisation",
        "services",
        "member_types",
        "fee",
        "join",
        "leave",
        "contact",
    ]
    assert {f"alliance_{a}" for a in alliance} <= ids


# ---------------------------------------------------------------- merged entries, phrasings, facets


def test_a_phrasing_of_two_entries_is_refused(data: Path) -> None:
    edit(data, "faq.toml", '"联盟会费用途", ', '"联盟会费多少", ')
    message = refusal(data)
    assert "entry[alliance_fee_use]" in message and "also a phrasing of entry[alliance_fee]" in message


def test_a_merged_id_is_taken(data: Path) -> None:
    edit(data, "faq.toml", 'id = "director_rights"', 'id = "vp_duties"')
    assert "duplicate entry 'vp_duties'" in refusal(data)


def test_about_names_a_facet_word(data: Path) -> None:
    edit(
        data,
        "faq.toml",
        'about = ["上市服务联盟", "会费"]\nsource = { file = "004_d278c02e86b8a761.txt", clause = "第十八条"',
        'about = ["天气"]\nsource = { file = "004_d278c02e86b8a761.txt", clause = "第十八条"',
    )
    message = refusal(data)
    assert "entry[alliance_fee_use].about" in message and "'天气'" in message


def test_a_facet_default_is_one_of_its_words(data: Path) -> None:
    edit(data, "faq_lexicon.toml", 'default = ["会员单位"]', 'default = ["会员"]')
    assert "'会员' is not one of its words" in refusal(data)


def test_a_merged_id_names_the_entry_that_answers_for_it(faq: FaqBase) -> None:
    for old, new in (
        ("vp_duties", "member_duties"),
        ("director_procedure", "join_how"),
        ("auto_withdrawal", "member_withdrawal"),
    ):
        assert faq.resolve(old) == new and faq.get(old).id == new and old in faq.ids
    assert faq.resolve("join_how") == "join_how"
    with pytest.raises(KeyError):
        faq.resolve("no_such_entry")


def test_merged_answers_keep_what_each_tier_had(faq: FaqBase) -> None:
    join = written(faq, "join_how").zh
    assert "副会长单位由会长单位授予牌匾" in join and "常务理事会或秘书处授予牌匾" in join
    assert "秘书处授予证书" in join and "实际走访" in join and "线上调研" in join
    duties = written(faq, "member_duties").zh
    assert "按本会规定按时交纳会费" in duties and "副会长单位另有一条" in duties and "超过一年" in duties
    leaving = written(faq, "member_withdrawal").zh
    assert "超过一年不履行义务" in leaving and "书面申请" in leaving and "常务理事职务" in leaving


def test_every_entry_has_several_phrasings(faq: FaqBase) -> None:
    for entry in faq.entries:
        assert len(entry.asks) >= 3, entry.id
    assert sum(len(e.asks) + len(e.asks_en) for e in faq.entries) >= 10 * len(faq.entries)
