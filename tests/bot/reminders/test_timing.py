"""When a reminder may go: quiet hours in Beijing time, which conversations get which kinds."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.reminders.timing import ReminderPolicy, in_quiet_hours, outside_quiet_hours, private
from bot.settings import TIMEZONE
from dialogs.intents import Reminder
from dialogs.session import Session


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TIMEZONE)


@pytest.mark.parametrize(
    ("moment", "moved_to"),
    [
        (at(8, 0), at(8, 0)),
        (at(20, 59), at(20, 59)),
        (at(21, 0), at(8, 0, day=24)),
        (at(23, 30), at(8, 0, day=24)),
        (at(0, 5), at(8, 0)),
        (at(7, 59), at(8, 0)),
    ],
)
def test_a_time_between_21_and_8_beijing_time_moves_to_8(moment: datetime, moved_to: datetime) -> None:
    assert outside_quiet_hours(moment) == moved_to
    assert in_quiet_hours(moment) == (moment != moved_to)


def test_quiet_hours_are_beijing_time_whatever_the_offset_given() -> None:
    assert in_quiet_hours(datetime.fromisoformat("2026-11-23T13:30:00+00:00"))  # 21:30 in Beijing
    assert not in_quiet_hours(datetime.fromisoformat("2026-11-23T01:00:00+00:00"))  # 09:00 in Beijing


def test_a_group_gets_no_reminder_and_a_platform_with_a_window_no_yearly_one() -> None:
    policy = ReminderPolicy(reach={"wechat": timedelta(hours=48)})
    assert policy.kinds("telegram", "100", "100") == {"paused", "reassess"}
    assert policy.kinds("telegram", "-500", "100") == frozenset()
    assert policy.kinds("wechat", "o1", "o1") == {"paused"}  # a day, plus a night at most, fits 48 hours
    assert ReminderPolicy(delay=timedelta(hours=40), reach=policy.reach).kinds("wechat", "o1", "o1") == set()
    assert private("u", "u") and not private("-1", "u")


def test_a_pause_is_due_a_delay_after_the_turn_out_of_the_night_and_named_by_attempt_and_question() -> None:
    policy = ReminderPolicy(delay=timedelta(hours=24))
    session = Session(attempt=3)
    [timer] = policy.timers([Reminder("schedule", "paused", question="revenue")], session, at(21, 30))
    assert timer.pause == "3:revenue" and timer.question == "revenue"
    assert timer.due_at == at(8, 0, day=25).timestamp()  # 21:30 the next day is night: 08:00 after it
    [timer] = policy.timers([Reminder("schedule", "paused", question="revenue")], session, at(10, 0))
    assert timer.due_at == at(10, 0, day=24).timestamp()


def test_a_yearly_reminder_goes_on_its_day_at_ten_and_a_kind_not_allowed_is_cancelled() -> None:
    policy = ReminderPolicy()
    asked = [Reminder("schedule", "reassess", due=date(2027, 11, 23))]
    [timer] = policy.timers(asked, Session(), at(10))
    assert (timer.action, timer.pause) == ("schedule", "2027-11-23")
    assert timer.due_at == datetime(2027, 11, 23, 10, 0, tzinfo=TIMEZONE).timestamp()
    [cancelled] = policy.timers(asked, Session(), at(10), kinds=frozenset({"paused"}))
    assert (cancelled.action, cancelled.kind) == ("cancel", "reassess")
