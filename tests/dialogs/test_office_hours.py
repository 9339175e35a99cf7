"""Office hours: the setting read, open or not, when it next opens, working hours counted."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dialogs.i18n import load_catalogs
from dialogs.office_hours import OfficeHours

GZ = ZoneInfo("Asia/Shanghai")
DEFAULT = OfficeHours.parse(None)
CAT = load_catalogs()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the week of Monday 23 November 2026 (day 0) in Guangzhou."""
    return datetime(2026, 11, 23, hour, minute, tzinfo=GZ) + timedelta(days=day)


def test_the_default_is_weekdays_nine_to_six_in_guangzhou() -> None:
    assert DEFAULT.is_open(at(1, 10)) and DEFAULT.is_open(at(4, 17, 59))
    assert (
        not DEFAULT.is_open(at(1, 18))
        and not DEFAULT.is_open(at(5, 10))
        and not DEFAULT.is_open(at(0, 8, 59))
    )
    assert DEFAULT.describe("zh", CAT) == "周一至周五 09:00–18:00"
    assert DEFAULT.describe("en", CAT) == "Mon–Fri 09:00–18:00"


def test_next_open_is_now_when_open_else_the_next_morning_or_monday() -> None:
    assert DEFAULT.next_open(at(1, 10)) == at(1, 10)
    assert DEFAULT.next_open(at(1, 19)) == at(2, 9)
    assert DEFAULT.next_open(at(4, 18)) == at(7, 9)  # Friday evening: Monday
    assert DEFAULT.moment_text(at(7, 9), "zh", CAT) == "11月30日（周一）09:00"
    assert DEFAULT.moment_text(at(7, 9), "en", CAT) == "Mon 30/11 09:00"


def test_working_hours_are_counted_inside_the_windows_only() -> None:
    assert DEFAULT.add_working(at(1, 10), 4) == at(1, 14)
    assert DEFAULT.add_working(at(4, 16), 4) == at(7, 11)  # Friday 16:00 + 4 h: Monday 11:00
    assert DEFAULT.add_working(at(5, 12), 1) == at(7, 10)  # asked on Saturday
    assert DEFAULT.working_between(at(4, 16), at(7, 11)) == timedelta(hours=4)
    assert DEFAULT.working_between(at(1, 19), at(1, 20)) == timedelta()


def test_several_spans_days_and_another_zone() -> None:
    hours = OfficeHours.parse("Mon-Fri 09:00-12:00,13:30-18:00; Sat 09:00-12:00 UTC")
    lunch = datetime(2026, 11, 24, 12, 30, tzinfo=ZoneInfo("UTC"))
    assert not hours.is_open(lunch)
    assert hours.next_open(lunch) == datetime(2026, 11, 24, 13, 30, tzinfo=ZoneInfo("UTC"))
    assert hours.is_open(datetime(2026, 11, 28, 10, tzinfo=ZoneInfo("UTC")))
    assert hours.describe("zh", CAT) == "周一至周五 09:00–12:00、13:30–18:00、周六 09:00–12:00"
    assert OfficeHours.parse("Mon,Wed 08:00-24:00").is_open(at(2, 23, 59))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Mon-Fri 9-18", "not a span like 09:00-18:00"),
        ("Weekdays 09:00-18:00", "not a day or a range of days"),
        ("Fri-Mon 09:00-18:00", "runs backwards"),
        ("Mon-Fri 18:00-09:00", "ends before it starts"),
        ("Mon 09:00-12:00,11:00-13:00", "overlapping"),
        ("Mon-Fri", "has no hours"),
        ("Mon-Fri 09:00-18:00 Mars/Olympus", "unknown time zone"),
        (";", "no opening hours"),
    ],
)
def test_a_setting_that_cannot_be_read_says_why(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        OfficeHours.parse(text)
