"""One contract for every session store: the same tests run in memory and in SQLite.

The SQLite-only tests at the end cover what only a file can show: WAL, migrations applied
once, data across reopening, and two writers racing on one conversation.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from bot.db import connect, migrations
from bot.service import Assistant
from bot.store import Conflict, Loaded, MemoryStore, SessionKey, SqliteStore
from dialogs.engine import DialogEngine, Finished
from dialogs.flow import profile_of
from dialogs.messages import Inbound, Question
from dialogs.session import SESSION_VERSION, Session
from rules import assess, default_rules

AnyStore = MemoryStore | SqliteStore

RULES = default_rules()
TODAY = date(2026, 11, 23)
ALICE = SessionKey("telegram", "100", "100")
ALICE_IN_A_GROUP = SessionKey("telegram", "-500", "100")
BOB = SessionKey("telegram", "200", "200")
ALICE_ELSEWHERE = SessionKey("wecom", "100", "100")  # the same id on another channel is someone else

# Worked example A as the dialog keeps it: Decimals as strings, lists, booleans, an int.
ANSWERS: dict[str, Any] = {
    "org_type": "enterprise",
    "certification": "innovative",
    "district": "天河区",
    "niche_years": "7",
    "revenue": "120000000",
    "rd_expense": "6000000.55",
    "profit": "-9600000",
    "main_business_share_pct": "92.5",
    "main_revenue_growth_pct": "12",
    "product_field": "B",
    "digital_level": 2,
    "quality": ["quality_certification", "own_brand"],
    "debt_ratio_pct": "45",
    "distinctive": [],
    "talent": "municipal",
    "ip": "C",
    "rd_staff_pct": "15",
    "rd_institution": "municipal",
    "listing_plan": False,
    "has_bank_loans": True,
}


def a_session(**changes: Any) -> Session:
    base: dict[str, Any] = {
        "lang": "en",
        "lang_chosen": True,
        "mode": "assess",
        "answers": dict(ANSWERS),
        "skipped": ["annual_tax"],
        "history": [*ANSWERS, "annual_tax"],
        "pending": "provincial_tech_upgrade_funded",
    }
    return Session(**{**base, **changes})


def finished(revenue: str = "120000000", today: date = TODAY) -> Finished:
    """A real assessment of example A (with another revenue, to tell results apart)."""
    answers = {**ANSWERS, "revenue": revenue}
    assessment = assess(profile_of(Session(answers=answers), RULES), RULES, today)
    return Finished(assessment, answers)


@pytest.fixture(params=["memory", "sqlite-memory", "sqlite-file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnyStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    sqlite = SqliteStore(connect(":memory:" if request.param == "sqlite-memory" else tmp_path / "zjtx.db"))
    yield sqlite
    sqlite.close()


# ---------------------------------------------------------------- sessions


def test_an_unknown_key_loads_a_fresh_session_at_revision_0(store: AnyStore) -> None:
    assert store.load(ALICE) == Loaded(Session(), 0, corrupt=False)


def test_a_saved_session_loads_back_exactly(store: AnyStore) -> None:
    session = a_session()
    assert store.save(ALICE, session, 0) == 1
    loaded = store.load(ALICE)
    assert loaded == Loaded(session, 1)
    assert loaded.session.answers["rd_expense"] == "6000000.55"  # not a float, not 6000000.5500
    assert loaded.session.answers["quality"] == ["quality_certification", "own_brand"]
    assert loaded.session.answers["has_bank_loans"] is True
    assert loaded.session.answers["digital_level"] == 2


def test_each_save_moves_the_revision_on_by_one(store: AnyStore) -> None:
    rev = store.save(ALICE, a_session(), 0)
    rev = store.save(ALICE, a_session(pending="annual_tax"), rev)
    assert rev == 2
    assert store.load(ALICE) == Loaded(a_session(pending="annual_tax"), 2)


def test_keys_are_independent(store: AnyStore) -> None:
    store.save(ALICE, a_session(lang="zh"), 0)
    store.save(ALICE_IN_A_GROUP, a_session(lang="en"), 0)
    assert store.load(ALICE).session.lang == "zh"
    assert store.load(ALICE_IN_A_GROUP).session.lang == "en"
    assert store.load(BOB) == Loaded(Session(), 0)


@pytest.mark.parametrize("stale", [0, 2, 7])
def test_a_save_with_a_stale_revision_raises_conflict_and_changes_nothing(
    store: AnyStore, stale: int
) -> None:
    store.save(ALICE, a_session(), 0)
    with pytest.raises(Conflict):
        store.save(ALICE, Session(lang="zh"), stale, finished())
    assert store.load(ALICE) == Loaded(a_session(), 1)
    assert store.last_assessment(ALICE.channel, ALICE.user_id) is None


def test_a_save_at_a_revision_that_never_existed_raises_conflict(store: AnyStore) -> None:
    with pytest.raises(Conflict):
        store.save(ALICE, a_session(), 3)
    assert store.load(ALICE) == Loaded(Session(), 0)


# ---------------------------------------------------------------- assessments


def test_a_finished_assessment_is_saved_with_the_session(store: AnyStore) -> None:
    done = finished()
    store.save(ALICE, Session(lang="en"), 0, done)
    assert store.load(ALICE) == Loaded(Session(lang="en"), 1)
    last = store.last_assessment(ALICE.channel, ALICE.user_id)
    assert last is not None
    assert last.key == ALICE
    assert last.made_on == TODAY
    assert last.rules_version == done.assessment.rules_version
    assert last.answers == ANSWERS
    assert last.result == done.assessment.contract()
    assert last.last_result().answers == ANSWERS


def test_last_assessment_is_the_newest_of_that_person_on_that_channel(store: AnyStore) -> None:
    rev = store.save(ALICE, Session(), 0, finished("50000000"))
    store.save(BOB, Session(), 0, finished("70000000"))
    store.save(ALICE_IN_A_GROUP, Session(), 0, finished("60000000"))  # same person, another chat
    store.save(ALICE, Session(), rev, finished("90000000"))
    store.save(ALICE_ELSEWHERE, Session(), 0, finished("10000000"))
    last = store.last_assessment("telegram", "100")
    assert last is not None and last.answers["revenue"] == "90000000"
    bob = store.last_assessment("telegram", "200")
    assert bob is not None and bob.answers["revenue"] == "70000000"
    assert store.last_assessment("telegram", "300") is None


def test_assessments_iterates_every_one_in_order(store: AnyStore) -> None:
    assert list(store.assessments()) == []
    revenues = ["10000000", "20000000", "30000000"]
    for i, revenue in enumerate(revenues):
        store.save(SessionKey("console", str(i), str(i)), Session(), 0, finished(revenue))
    stored = list(store.assessments())
    assert [a.answers["revenue"] for a in stored] == revenues
    assert len({a.id for a in stored}) == 3
    assert [a.id for a in stored] == sorted(a.id for a in stored)


def test_a_save_that_fails_half_way_leaves_neither_session_nor_assessment(store: AnyStore) -> None:
    broken = dataclasses.replace(
        finished(), assessment=dataclasses.replace(finished().assessment, today=None)
    )
    with pytest.raises(Exception):  # noqa: B017 - whatever the store raises, it must write nothing
        store.save(ALICE, a_session(), 0, broken)
    assert store.load(ALICE) == Loaded(Session(), 0)
    assert list(store.assessments()) == []


# ---------------------------------------------------------------- dedupe and erasure


def test_first_time_is_true_once_then_false(store: AnyStore) -> None:
    assert store.first_time("telegram-update", "1") is True
    assert store.first_time("telegram-update", "1") is False
    assert store.first_time("telegram-update", "1") is False
    assert store.first_time("telegram-update", "2") is True
    assert store.first_time("wecom-msg", "1") is True  # scopes are separate


def test_forget_user_removes_that_person_only(store: AnyStore) -> None:
    rev = store.save(ALICE, a_session(), 0, finished("50000000"))
    store.save(ALICE, Session(), rev, finished("60000000"))
    store.save(ALICE_IN_A_GROUP, a_session(), 0)
    store.save(BOB, a_session(lang="zh"), 0, finished("70000000"))
    store.save(ALICE_ELSEWHERE, a_session(lang="zh"), 0, finished("80000000"))

    assert store.forget_user("telegram", "100") == 4  # two sessions, two assessments

    assert store.load(ALICE) == Loaded(Session(), 0)
    assert store.load(ALICE_IN_A_GROUP) == Loaded(Session(), 0)
    assert store.last_assessment("telegram", "100") is None
    assert store.load(BOB) == Loaded(a_session(lang="zh"), 1)
    assert store.load(ALICE_ELSEWHERE) == Loaded(a_session(lang="zh"), 1)
    assert sorted(a.answers["revenue"] for a in store.assessments()) == ["70000000", "80000000"]
    assert store.forget_user("telegram", "100") == 0


# ---------------------------------------------------------------- enquiries (leads)


def test_an_enquiry_is_kept_with_the_persons_last_result(store: AnyStore) -> None:
    assert store.add_lead(ALICE, "callme", "甲公司", "赵六", "13800138000").score is None  # no result yet
    store.save(ALICE, a_session(), 0, finished())
    last = store.last_assessment(ALICE.channel, ALICE.user_id)
    assert last is not None
    lead = store.add_lead(ALICE, "join", "甲公司", "赵六", "020-38622962")
    assert (lead.kind, lead.company, lead.contact, lead.phone) == ("join", "甲公司", "赵六", "020-38622962")
    assert (lead.score, lead.tier, lead.assessment_id) == (last.result["score"], last.result["tier"], last.id)
    assert lead.key == ALICE and lead.handled_at is None


def test_open_enquiries_are_listed_oldest_first_until_handled(store: AnyStore) -> None:
    first = store.add_lead(ALICE, "join", "甲", "赵", "13800138000")
    second = store.add_lead(BOB, "callme", "乙", "钱", "13900139000")
    assert [x.id for x in store.leads()] == [first.id, second.id]
    assert store.mark_handled(first.id, "telegram:7") is True
    assert store.mark_handled(first.id, "telegram:7") is False  # once only
    assert store.mark_handled(9999, "telegram:7") is False
    assert [x.id for x in store.leads()] == [second.id]
    handled = next(x for x in store.leads(open_only=False) if x.id == first.id)
    assert handled.handled_by == "telegram:7" and handled.handled_at is not None


def test_forget_user_removes_their_enquiries_too(store: AnyStore) -> None:
    store.save(ALICE, a_session(), 0, finished())
    store.add_lead(ALICE, "join", "甲", "赵", "13800138000")
    store.add_lead(BOB, "callme", "乙", "钱", "13900139000")
    assert store.forget_user("telegram", "100") == 3  # the session, the assessment, the enquiry
    assert [x.key for x in store.leads(open_only=False)] == [BOB]


# ---------------------------------------------------------------- unreadable rows

CORRUPT_ROWS = {
    "not JSON": "{not json",
    "truncated": a_session().model_dump_json()[:40],
    "empty": "",
    "a list": "[1, 2, 3]",
    "null": "null",
    "a foreign shape": '{"state": "AskRevenue", "data": {"revenue": 1}}',
    "a wrong type": '{"version": 1, "answers": "revenue=1"}',
    "another version": a_session(version=SESSION_VERSION + 1).model_dump_json(),
}


@pytest.mark.parametrize("raw", CORRUPT_ROWS.values(), ids=CORRUPT_ROWS.keys())
def test_an_unreadable_row_loads_as_a_fresh_session_marked_corrupt(store: AnyStore, raw: str) -> None:
    store.save(BOB, a_session(lang="zh"), 0)
    store.put_raw(ALICE, raw)
    loaded = store.load(ALICE)
    assert loaded.corrupt is True
    assert loaded.session.model_dump(exclude={"lang"}) == Session().model_dump(exclude={"lang"})
    assert store.load(BOB) == Loaded(a_session(lang="zh"), 1)


def test_a_corrupt_row_is_replaced_by_the_next_save(store: AnyStore) -> None:
    store.put_raw(ALICE, "{not json")
    loaded = store.load(ALICE)
    rev = store.save(ALICE, a_session(), loaded.rev)
    assert store.load(ALICE) == Loaded(a_session(), rev)


# ---------------------------------------------------------------- SQLite only


def test_the_file_is_in_wal_mode(tmp_path: Path) -> None:
    store = SqliteStore(connect(tmp_path / "zjtx.db"))
    assert store.db.row("PRAGMA journal_mode") == ("wal",)
    store.close()


def applied(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT name, applied_at FROM _sqlite_migrations WHERE migration_set = 'zjtx' ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    return [(str(name), str(at)) for name, at in rows]


def test_migrations_are_recorded_and_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "zjtx.db"
    SqliteStore(connect(path)).close()
    first = applied(path)
    every = [m.name for m in migrations().pending(Database(memory=True))]
    assert every and [name for name, _ in first] == every
    again = SqliteStore(connect(path))
    assert migrations().pending(again.db.database) == []
    again.close()
    assert applied(path) == first  # nothing re-run, nothing re-recorded


def test_everything_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "zjtx.db"
    store = SqliteStore(connect(path))
    rev = store.save(ALICE, a_session(), 0, finished())
    store.first_time("telegram-update", "1")
    store.close()
    reopened = SqliteStore(connect(path))
    assert reopened.load(ALICE) == Loaded(a_session(), rev)
    last = reopened.last_assessment(ALICE.channel, ALICE.user_id)
    assert last is not None and last.result == finished().assessment.contract()
    assert reopened.first_time("telegram-update", "1") is False
    reopened.close()


def test_a_commit_is_visible_at_once_to_another_process(tmp_path: Path) -> None:
    path = tmp_path / "zjtx.db"
    writer, reader = SqliteStore(connect(path)), SqliteStore(connect(path))
    writer.save(ALICE, a_session(), 0)
    assert reader.load(ALICE) == Loaded(a_session(), 1)
    writer.close()
    reader.close()


def test_two_processes_saving_from_the_same_revision_one_gets_conflict(tmp_path: Path) -> None:
    path = tmp_path / "zjtx.db"
    one, two = SqliteStore(connect(path)), SqliteStore(connect(path))
    one.save(ALICE, a_session(), 0)
    first, second = one.load(ALICE), two.load(ALICE)
    one.save(ALICE, a_session(pending="annual_tax"), first.rev)
    with pytest.raises(Conflict):
        two.save(ALICE, a_session(pending="listing_plan"), second.rev)
    assert one.load(ALICE) == Loaded(a_session(pending="annual_tax"), 2)
    one.close()
    two.close()


class RendezvousStore(SqliteStore):
    """A process's store whose first load waits until the other process has loaded too,
    so both handle their message from the same revision; counts the conflicts it sees."""

    def __init__(self, path: Path, barrier: threading.Barrier) -> None:
        super().__init__(connect(path))
        self.barrier = barrier
        self.armed = False
        self.conflicts = 0

    def load(self, key: SessionKey) -> Loaded:
        loaded = super().load(key)
        if self.armed:
            self.armed = False
            self.barrier.wait(timeout=30)
        return loaded

    def save(
        self, key: SessionKey, session: Session, rev: int, finished: Finished | None = None, **turn: Any
    ) -> int:
        try:
            return super().save(key, session, rev, finished, **turn)
        except Conflict:
            self.conflicts += 1
            raise


def test_two_processes_answering_at_once_both_answers_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "zjtx.db"
    barrier = threading.Barrier(2)
    one, two = RendezvousStore(path, barrier), RendezvousStore(path, barrier)
    engine = DialogEngine()
    bot_one = Assistant(one, engine, lambda: TODAY)
    bot_two = Assistant(two, engine, lambda: TODAY)
    replies: list[Any] = []
    for text in ("/assess", "1", "4", "天河区", "7", "1.2亿", "600万", "960万"):
        replies = bot_one.handle_now(ALICE, Inbound(text=text))
    assert isinstance(replies[-1], Question) and replies[-1].id == "main_business_share_pct"
    start = one.load(ALICE).rev

    # two percentages in a row: either may land on either question, but neither may be lost
    one.armed = two.armed = True
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [
            pool.submit(bot_one.handle_now, ALICE, Inbound(text="92%")),
            pool.submit(bot_two.handle_now, ALICE, Inbound(text="12%")),
        ]
        for job in jobs:
            job.result(timeout=60)

    assert one.conflicts + two.conflicts == 1  # the race really happened, and was retried
    loaded = one.load(ALICE)
    assert loaded.rev == start + 2
    answers = loaded.session.answers
    assert {answers["main_business_share_pct"], answers["main_revenue_growth_pct"]} == {"92", "12"}
    assert loaded.session.pending == "product_field"
    one.close()
    two.close()


# ---------------------------------------------------------------- what the assistant makes of such rows


def test_the_assistant_says_so_once_and_starts_afresh_after_a_corrupt_row(store: AnyStore) -> None:
    store.put_raw(ALICE, "{not json")
    bot = Assistant(store, DialogEngine(), lambda: TODAY)
    replies = bot.handle_now(ALICE, Inbound(text="/assess"))
    notice = bot.engine.t(Session(), "session.corrupt")
    assert getattr(replies[0], "text", None) == notice
    assert isinstance(replies[-1], Question) and replies[-1].id == "org_type"
    again = bot.handle_now(ALICE, Inbound(text="1"))
    assert notice not in [getattr(r, "text", None) for r in again]
    assert store.load(ALICE).session.answers == {"org_type": "enterprise"}


UNUSABLE = {
    # a deploy that renames or drops a question leaves sessions pending on it
    "pending on a question no longer asked": Session(mode="assess", pending="turnover"),
    "an amount that is not a number": Session(
        mode="assess",
        pending="profit",
        answers={"org_type": "enterprise", "revenue": "1.2亿"},
        history=["org_type", "revenue"],
    ),
}


@pytest.mark.parametrize("session", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_a_row_the_dialog_cannot_use_does_not_lock_the_person_out(store: AnyStore, session: Session) -> None:
    store.put_raw(ALICE, session.model_dump_json())
    bot = Assistant(store, DialogEngine(), lambda: TODAY)
    bot.resume(ALICE)
    replies = bot.handle_now(ALICE, Inbound(text="/assess"))
    assert isinstance(replies[-1], Question)
