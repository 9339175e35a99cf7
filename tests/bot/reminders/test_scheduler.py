"""Reminders with an injected clock, across restarts: a person who stops gets one reminder a
day later, never at night, never in a group, never after /stop_reminders, never twice for
the same pause; the yearly one on its day; a send cut short by a crash is not repeated.

Each "process" is a fresh connection to the same SQLite file, an Assistant and a
ReminderScheduler, as `zjtx serve` builds them; the channel is a recording pusher.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.db import connect
from bot.reminders.book import DROPPED, PENDING, SENT, UNCERTAIN
from bot.reminders.pushing import Dropped, Later, Pushed, Sent
from bot.reminders.scheduler import ReminderScheduler
from bot.reminders.timing import ReminderPolicy
from bot.service import Assistant
from bot.settings import TIMEZONE
from bot.store import SessionKey, SqliteStore
from dialogs.messages import Inbound, Menu, Outbound, Question
from tests.conversations import ENGINE, INSTITUTION_TYPED

ALICE = SessionKey("telegram", "100", "100")
ALICE_IN_A_GROUP = SessionKey("telegram", "-500", "100")
START = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)


class ManualClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Recorder:
    """A channel that keeps what it was asked to push and answers as told."""

    def __init__(self, verdict: Pushed | None = None) -> None:
        self.pushed: list[tuple[str, list[Outbound]]] = []
        self.verdict = verdict or Sent()

    async def push(self, user_id: str, replies: Sequence[Outbound]) -> Pushed:
        self.pushed.append((user_id, list(replies)))
        return self.verdict


class Process:
    """One run of the assistant on the database file: its store, assistant and scheduler."""

    def __init__(self, db: Path, clock: ManualClock, channel: Recorder | None = None) -> None:
        self.store = SqliteStore(connect(db))
        self.assistant = Assistant(self.store, ENGINE, clock=clock, reminders=ReminderPolicy())
        self.channel = channel or Recorder()
        self.scheduler = ReminderScheduler(
            self.store.reminders, self.assistant.reminder, {"telegram": self.channel.push}, clock=clock
        )
        self.scheduler.recover()

    def say(self, text: str, key: SessionKey = ALICE) -> list[Outbound]:
        return self.assistant.handle_now(key, Inbound(text=text))

    def press(self, value: str, key: SessionKey = ALICE) -> list[Outbound]:
        return self.assistant.handle_now(key, Inbound(choice=value))

    def send_due(self) -> int:
        before = len(self.channel.pushed)
        asyncio.run(self.scheduler.send_due())
        return len(self.channel.pushed) - before

    def states(self, key: SessionKey = ALICE) -> dict[str, str]:
        return {r.kind: r.state for r in self.store.reminders.of(key.channel, key.chat_id, key.user_id)}

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "zjtx.db"


def stop_at_the_third_question(p: Process) -> None:
    p.say("/assess")
    p.say(INSTITUTION_TYPED["org_type"])
    p.say(INSTITUTION_TYPED["registered_capital"])  # waiting at operates_park, 3/4


def test_a_person_who_stops_gets_one_reminder_a_day_later_across_restarts(
    db: Path, clock: ManualClock
) -> None:
    first = Process(db, clock)
    stop_at_the_third_question(first)
    first.close()

    clock.advance(hours=23, minutes=59)
    early = Process(db, clock)
    assert early.send_due() == 0
    early.close()

    clock.advance(minutes=2)
    due = Process(db, clock)
    assert due.send_due() == 1
    [(user, [menu])] = due.channel.pushed
    assert user == "100" and isinstance(menu, Menu)
    assert "第 3/4 题" in menu.text
    assert [c.value for c in menu.choices] == ["/assess", "/stop_reminders"]  # continue, or stop reminders
    assert due.send_due() == 0
    due.close()

    clock.advance(days=3)
    later = Process(db, clock)
    assert later.send_due() == 0  # sent once, whatever the restarts
    assert later.states() == {"paused": SENT}
    # the button continues at the pending question
    [question] = [r for r in later.press("/assess") if isinstance(r, Question)]
    assert question.id == "operates_park"
    later.close()


def test_the_delay_runs_from_the_last_message(db: Path, clock: ManualClock) -> None:
    p = Process(db, clock)
    stop_at_the_third_question(p)
    clock.advance(hours=8)
    p.say("/help")  # 18:00: still waiting at the same question, but the person was here
    clock.advance(hours=17)
    assert p.send_due() == 0  # 11:00, a day after the questionnaire stopped
    clock.advance(hours=7)
    assert p.send_due() == 1  # 18:00, a day after the last message


def test_no_reminder_at_night_it_waits_for_eight_in_the_morning(db: Path, clock: ManualClock) -> None:
    clock.now = datetime(2026, 11, 23, 21, 30, tzinfo=TIMEZONE)
    p = Process(db, clock)
    stop_at_the_third_question(p)
    clock.advance(hours=24, minutes=5)  # 21:35 the next day: due, but night
    assert p.send_due() == 0
    clock.now = datetime(2026, 11, 25, 7, 59, tzinfo=TIMEZONE)
    assert p.send_due() == 0
    clock.now = datetime(2026, 11, 25, 8, 0, tzinfo=TIMEZONE)
    assert p.send_due() == 1


def test_a_reminder_due_while_the_server_was_down_waits_out_the_night_when_it_starts(
    db: Path, clock: ManualClock
) -> None:
    p = Process(db, clock)
    stop_at_the_third_question(p)  # due at 10:00 the next day
    p.close()
    clock.now = datetime(2026, 11, 24, 23, 0, tzinfo=TIMEZONE)
    night = Process(db, clock)
    assert night.send_due() == 0
    clock.now = datetime(2026, 11, 25, 8, 1, tzinfo=TIMEZONE)
    assert night.send_due() == 1


def test_never_in_a_group(db: Path, clock: ManualClock) -> None:
    p = Process(db, clock)
    p.say("/assess", ALICE_IN_A_GROUP)
    p.say("1", ALICE_IN_A_GROUP)
    assert p.states(ALICE_IN_A_GROUP) == {}
    clock.advance(days=2)
    assert p.send_due() == 0


def test_not_after_stop_reminders(db: Path, clock: ManualClock) -> None:
    p = Process(db, clock)
    stop_at_the_third_question(p)
    p.say("/stop_reminders")
    assert p.states() == {}
    p.say("/skip")  # answering on schedules nothing either
    assert p.states() == {}
    clock.advance(days=2)
    assert p.send_due() == 0


def test_the_reminders_own_button_turns_them_off(db: Path, clock: ManualClock) -> None:
    p = Process(db, clock)
    stop_at_the_third_question(p)
    clock.advance(hours=25)
    assert p.send_due() == 1
    [(_, [menu])] = p.channel.pushed
    assert isinstance(menu, Menu)
    stop = next(c for c in menu.choices if c.value == "/stop_reminders")
    p.press(stop.value)
    assert p.store.load(ALICE).session.reminders_off
    p.say("/skip")  # a new pause
    clock.advance(days=2)
    assert p.send_due() == 0


def test_never_twice_for_the_same_pause_and_once_for_the_next(db: Path, clock: ManualClock) -> None:
    p = Process(db, clock)
    stop_at_the_third_question(p)
    clock.advance(hours=25)
    assert p.send_due() == 1
    p.press("/assess")  # "continue", and gone again at the same question
    clock.advance(days=3)
    assert p.send_due() == 0
    p.say(INSTITUTION_TYPED["operates_park"])  # one more answer: a new pause, at the district
    assert p.states() == {"paused": PENDING}
    clock.advance(hours=25)
    assert p.send_due() == 1


def test_a_finished_or_cancelled_questionnaire_is_not_reminded_of(db: Path, clock: ManualClock) -> None:
    p = Process(db, clock)
    stop_at_the_third_question(p)
    p.say("/cancel")
    assert p.states() == {}
    p.say("/assess")
    for qid in ("org_type", "registered_capital", "operates_park", "district"):
        p.say(INSTITUTION_TYPED[qid])
    p.say("确认")
    assert p.states() == {}
    clock.advance(days=2)
    assert p.send_due() == 0


def test_the_yearly_reminder_on_its_day(db: Path, clock: ManualClock) -> None:
    p = Process(db, clock)
    p.say("/assess")
    for qid in ("org_type", "registered_capital", "operates_park", "district"):
        p.say(INSTITUTION_TYPED[qid])
    p.say("确认")
    p.press("/remind_yearly")
    assert p.states() == {"reassess": PENDING}
    p.close()
    clock.now = datetime(2027, 11, 23, 9, 59, tzinfo=TIMEZONE)
    q = Process(db, clock)
    assert q.send_due() == 0
    clock.advance(minutes=1)
    assert q.send_due() == 1
    [(_, [menu])] = q.channel.pushed
    assert isinstance(menu, Menu) and [c.value for c in menu.choices] == ["/restart", "/stop_reminders"]
    assert q.send_due() == 0


def test_a_send_cut_short_by_a_crash_is_reported_uncertain_and_not_resent(
    db: Path, clock: ManualClock
) -> None:
    p = Process(db, clock)
    stop_at_the_third_question(p)
    clock.advance(hours=25)
    [due] = p.store.reminders.due(clock().timestamp(), ["telegram"])
    assert p.store.reminders.claim(due.id, "attempt-of-a-dead-process", clock().timestamp())
    p.close()  # killed between the claim and the platform's answer

    after = Process(db, clock)  # recovers on start
    assert after.states() == {"paused": UNCERTAIN}
    assert after.send_due() == 0
    assert after.store.reminders.counts()[UNCERTAIN] == 1


def test_a_channel_that_crashes_mid_send_makes_it_uncertain(db: Path, clock: ManualClock) -> None:
    class Crashing(Recorder):
        async def push(self, user_id: str, replies: Sequence[Outbound]) -> Pushed:
            raise ConnectionResetError("peer went away")

    p = Process(db, clock, Crashing())
    stop_at_the_third_question(p)
    clock.advance(hours=25)
    assert asyncio.run(p.scheduler.send_due()).uncertain == 1
    assert p.states() == {"paused": UNCERTAIN}


def test_a_reminder_the_platform_drops_is_counted_not_retried(db: Path, clock: ManualClock) -> None:
    p = Process(db, clock, Recorder(Dropped("outside_window")))
    stop_at_the_third_question(p)
    clock.advance(hours=25)
    done = asyncio.run(p.scheduler.send_due())
    assert done.dropped == 1 and p.states() == {"paused": DROPPED}
    assert p.store.reminders.counts()[DROPPED] == 1
    clock.advance(days=1)
    assert p.send_due() == 0


def test_a_flood_refusal_tries_again_after_the_wait(db: Path, clock: ManualClock) -> None:
    p = Process(db, clock, Recorder(Later(30, "429")))
    stop_at_the_third_question(p)
    clock.advance(hours=25)
    assert p.send_due() == 1 and p.states() == {"paused": PENDING}
    p.channel.verdict = Sent()
    clock.advance(seconds=29)
    assert p.send_due() == 0
    clock.advance(seconds=2)
    assert p.send_due() == 1 and p.states() == {"paused": SENT}


def test_forget_removes_the_reminders(db: Path, clock: ManualClock) -> None:
    p = Process(db, clock)
    stop_at_the_third_question(p)
    p.say("/forget")
    p.say("是")  # confirmed
    assert p.states() == {}
    clock.advance(days=2)
    assert p.send_due() == 0


def test_the_turn_and_its_reminder_are_one_transaction(db: Path, clock: ManualClock) -> None:
    from bot.reminders.timing import Timer
    from bot.store import Conflict
    from dialogs.session import Session

    store = SqliteStore(connect(db))
    timer = Timer("schedule", "paused", "1:org_type", "org_type", "zh", clock().timestamp())
    with pytest.raises(Conflict):
        store.save(ALICE, Session(mode="assess", pending="org_type"), 3, timers=[timer], at=clock())
    assert store.reminders.of("telegram", "100", "100") == []
    store.save(ALICE, Session(mode="assess", pending="org_type"), 0, timers=[timer], at=clock())
    assert [r.state for r in store.reminders.of("telegram", "100", "100")] == [PENDING]


async def test_the_loop_sends_what_is_due_when_it_starts_then_waits(db: Path, clock: ManualClock) -> None:
    p = Process(db, clock)
    stop_at_the_third_question(p)
    clock.advance(hours=30)  # the process starts with the reminder overdue
    stop = asyncio.Event()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds=seconds)
        if len(waits) == 3:
            stop.set()

    scheduler = ReminderScheduler(
        p.store.reminders, p.assistant.reminder, {"telegram": p.channel.push}, clock=clock, sleep=sleep
    )
    assert await scheduler.run(stop)
    assert len(p.channel.pushed) == 1
    assert waits == [60.0, 60.0, 60.0]  # nothing else due: it looks again every minute
