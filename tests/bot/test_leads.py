"""Enquiries: consent, validated phone, stored with the last result, staff-only listing."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.db import connect
from bot.service import Assistant
from bot.store import MemoryStore, SessionKey, SqliteStore
from dialogs.engine import DialogEngine
from dialogs.leads import normalize_phone
from dialogs.messages import Inbound, Notify, Question, Text

ENGINE = DialogEngine()
REACHING_STAFF = ENGINE.reaching_staff(True)  # a staff chat is configured and running
PERSON = SessionKey("telegram", "42", "42")
STAFF = SessionKey("telegram", "7", "7")


def texts(replies: Sequence[object]) -> str:
    return "\n".join(getattr(r, "text", "") for r in replies)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("020-38622962", "020-38622962"),
        ("(020)38622962", "020-38622962"),
        ("0755 12345678", "0755-12345678"),
        ("38622962", "020-38622962"),
    ],
)
def test_mainland_mobiles_and_landlines_are_accepted(typed: str, canonical: str) -> None:
    assert normalize_phone(typed) == canonical


@pytest.mark.parametrize("typed", ["12345", "23800138000", "abc", "", "1380013800", "138001380001", "😀"])
def test_other_numbers_are_refused(typed: str) -> None:
    assert normalize_phone(typed) is None


async def test_an_enquiry_with_consent_reaches_the_staff_chat_and_only_staff_can_list_it() -> None:
    notices: list[Notify] = []

    async def notify(n: Notify) -> None:
        notices.append(n)

    store = MemoryStore()
    bot = Assistant(
        store, REACHING_STAFF, lambda: date(2026, 11, 23), staff=frozenset({"telegram:7"}), notify=notify
    )
    first = await bot.handle(PERSON, Inbound(text="/callme"))
    assert isinstance(first[-1], Question) and first[-1].id == "lead_consent"
    assert "/forget" in first[-1].text  # one sentence on what is stored and why
    await bot.handle(PERSON, Inbound(choice="yes"))
    await bot.handle(PERSON, Inbound(text="广州某某科技有限公司"))
    await bot.handle(PERSON, Inbound(text="李四"))
    wrong = await bot.handle(PERSON, Inbound(text="12345"))
    assert isinstance(wrong[-1], Question) and wrong[-1].id == "lead_phone"  # re-asked
    done = await bot.handle(PERSON, Inbound(text="138 0013 8000"))
    assert "秘书处" in texts(done)
    assert [(x.company, x.contact, x.phone) for x in store.leads()] == [
        ("广州某某科技有限公司", "李四", "13800138000")
    ]
    assert len(notices) == 1 and "13800138000" in notices[0].text

    refused = await bot.handle(PERSON, Inbound(text="/leads"))
    assert "13800138000" not in texts(refused) and "工作人员" in texts(refused)
    listed = await bot.handle(STAFF, Inbound(text="/leads"))
    assert "广州某某科技有限公司" in texts(listed)
    assert "已处理" in texts(await bot.handle(STAFF, Inbound(text="/handled 1")))
    assert store.leads() == []


async def test_an_enquiry_is_dated_and_handled_by_the_assistants_clock(tmp_path: Path) -> None:
    """ZJTX_NOW (the assistant's clock) dates the enquiry and its handling, not the wall clock."""
    from datetime import datetime, timedelta, timezone

    beijing = timezone(timedelta(hours=8))
    moment = [datetime(2031, 5, 6, 10, 30, tzinfo=beijing)]
    store = SqliteStore(connect(str(tmp_path / "a.db")))
    bot = Assistant(store, REACHING_STAFF, staff=frozenset({"telegram:7"}), clock=lambda: moment[0])
    await bot.handle(PERSON, Inbound(text="/callme"))
    for typed in ("yes", "广州某某科技有限公司", "李四", "13800138000"):
        await bot.handle(PERSON, Inbound(text=typed))
    [lead] = store.leads()
    assert lead.created_at == "2031-05-06T02:30:00+00:00"
    moment[0] += timedelta(days=2)
    await bot.handle(STAFF, Inbound(text=f"/handled {lead.id}"))
    [handled] = store.leads(open_only=False)
    assert handled.handled_at == "2031-05-08T02:30:00+00:00"


async def _enquire(bot: Assistant, command: str, lang: str) -> str:
    """Go through /join or /callme with consent; return the confirmation."""
    await bot.handle(PERSON, Inbound(text=command, lang_hint=lang))
    for typed in ("yes", "广州某某科技有限公司", "李四"):
        await bot.handle(PERSON, Inbound(text=typed, lang_hint=lang))
    return texts(await bot.handle(PERSON, Inbound(text="13800138000", lang_hint=lang)))


SOON = {"zh": "尽快与您联系", "en": "contact you soon"}
PROMISES = {"zh": ("与您联系", "联系您"), "en": ("will contact", "contact you")}  # staff getting in touch


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("command", ["/join", "/callme"])
async def test_with_staff_reachable_the_confirmation_says_they_will_be_in_touch(
    command: str, lang: str
) -> None:
    store = MemoryStore()
    done = await _enquire(Assistant(store, REACHING_STAFF, lambda: date(2026, 11, 23)), command, lang)
    assert done == ENGINE.cat.text(lang, "lead.thanks") and SOON[lang] in done
    assert len(store.leads()) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("command", ["/join", "/callme"])
async def test_with_no_staff_reachable_the_enquiry_is_recorded_and_the_contacts_given(
    command: str, lang: str
) -> None:
    store = MemoryStore()
    done = await _enquire(Assistant(store, ENGINE, lambda: date(2026, 11, 23)), command, lang)
    assert not any(promise in done for promise in PROMISES[lang])
    assert done.startswith(ENGINE.cat.text(lang, "lead.recorded"))
    association = ENGINE.rules.contacts.association
    assert association.email in done
    assert all(dept.phone in done for dept in association.department)  # so they can call as well
    assert len(store.leads()) == 1  # recorded for the secretariat, as it says


async def test_declining_consent_stores_nothing() -> None:
    store = MemoryStore()
    bot = Assistant(store, ENGINE, lambda: date(2026, 11, 23))
    await bot.handle(PERSON, Inbound(text="/join"))
    replies = await bot.handle(PERSON, Inbound(text="不同意"))
    assert isinstance(replies[-1], Text) and store.leads(open_only=False) == []


async def test_an_enquiry_during_the_questionnaire_returns_to_the_question() -> None:
    bot = Assistant(MemoryStore(), ENGINE, lambda: date(2026, 11, 23))
    await bot.handle(PERSON, Inbound(text="/assess"))
    await bot.handle(PERSON, Inbound(text="1"))
    await bot.handle(PERSON, Inbound(text="/callme"))
    replies = await bot.handle(PERSON, Inbound(text="/cancel"))
    assert isinstance(replies[-1], Question) and replies[-1].id == "certification"
    await bot.handle(PERSON, Inbound(text="/join"))
    back = await bot.handle(PERSON, Inbound(text="no"))
    assert isinstance(back[-1], Question) and back[-1].id == "certification"


async def test_forget_deletes_sessions_assessments_and_enquiries(tmp_path: Path) -> None:
    store = SqliteStore(connect(tmp_path / "f.db"))
    bot = Assistant(store, ENGINE, lambda: date(2026, 11, 23))
    await bot.handle(PERSON, Inbound(text="/callme"))
    for text in ("yes", "某公司", "王五", "13800138000"):
        await bot.handle(PERSON, Inbound(text=text))
    other = SessionKey("telegram", "43", "43")
    await bot.handle(other, Inbound(text="/assess"))
    await bot.handle(PERSON, Inbound(text="/forget"))
    replies = await bot.handle(PERSON, Inbound(text="好的"))  # the confirmation
    assert "已删除" in texts(replies)
    assert store.leads(open_only=False) == []
    assert store.load(PERSON).rev == 0 and store.load(other).rev > 0


def test_leads_export_writes_a_spreadsheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "leads.db"
    store = SqliteStore(connect(db))
    store.add_lead(PERSON, "join", "甲公司", "赵六", "020-38622962")
    store.close()
    out = tmp_path / "leads.csv"
    assert main(["leads", "export", "--csv", "--db", str(db), "-o", str(out)]) == 0
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["company"] == "甲公司" and rows[0]["phone"] == "020-38622962"
    assert "1 enquiries" in capsys.readouterr().err


@pytest.mark.parametrize(
    "company",
    [
        '=HYPERLINK("http://example.invalid","甲公司")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_leads_export_neutralises_a_company_name_that_a_spreadsheet_would_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], company: str
) -> None:
    from bot.cell_safety import unquote

    db = tmp_path / "leads.db"
    store = SqliteStore(connect(db))
    store.add_lead(PERSON, "join", company, "=赵六", "020-38622962")
    store.close()
    out = tmp_path / "leads.csv"
    assert main(["leads", "export", "--csv", "--db", str(db), "-o", str(out)]) == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    # an apostrophe in front: Excel, LibreOffice and Google Sheets show the cell as text
    assert row["company"] == "'" + company and unquote(row["company"]) == company
    assert row["contact"] == "'=赵六"
    assert (row["phone"], row["kind"], row["id"]) == ("020-38622962", "join", "1")  # others as they were


def test_assessments_export_writes_answers_and_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from bot.channels.console import Console

    db = tmp_path / "a.db"
    store = SqliteStore(connect(db))
    console = Console(Assistant(store, ENGINE, lambda: date(2026, 11, 23)), "p", io.StringIO(), True)
    for line in ["/assess", "服务机构", "600万", "否", "天河区", "确认"]:
        console.send(line)
    out = tmp_path / "assessments.jsonl"
    assert main(["assessments", "export", "--db", str(db), "-o", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert records[0]["assessment"]["tier"] == "member"
    assert records[0]["answers"]["registered_capital"] == "6000000"


@pytest.mark.parametrize("typed", ["²", "⑴", "፩", "𐩀", "9" * 20, "9" * 5000, "#" + "1" * 4400])
async def test_handled_with_digits_int_would_refuse_gets_the_usage(typed: str) -> None:
    bot = Assistant(MemoryStore(), ENGINE, lambda: date(2026, 11, 23), staff=frozenset({"telegram:7"}))
    replies = await bot.handle(STAFF, Inbound(text=f"/handled {typed}"))
    assert texts(replies) == ENGINE.cat.text("zh", "leads.usage")


async def test_staff_listings_are_refused_in_a_group_and_name_no_one_there() -> None:
    store = MemoryStore()
    bot = Assistant(store, ENGINE, lambda: date(2026, 11, 23), staff=frozenset({"telegram:7"}))
    store.add_lead(PERSON, "join", "广州某某科技有限公司", "李四", "13800138000")
    in_group = SessionKey("telegram", "-1001234567890", "7")
    for command in ("/leads", "/handled 1"):
        replies = texts(await bot.handle(in_group, Inbound(text=command)))
        assert "13800138000" not in replies and "私聊" in replies
    assert len(store.leads()) == 1  # not handled from the group either
    assert "13800138000" in texts(await bot.handle(STAFF, Inbound(text="/leads")))
