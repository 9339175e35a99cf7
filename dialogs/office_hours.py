"""When the secretariat is at its desk: the weekly office hours, read from a setting.

``ZJTX_OFFICE_HOURS`` is the association's own setting (the sources give none), e.g.
``Mon-Fri 09:00-18:00 Asia/Shanghai`` (the default), ``Mon-Fri 09:00-12:00,13:30-18:00;
Sat 09:00-12:00``. A hand-off says when to expect a reply from it, and a ticket's reminder
counts working hours by it. Pure: the caller gives the moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialogs.i18n import Catalogs

__all__ = ["DAYS", "DEFAULT_OFFICE_HOURS", "OfficeHours", "clock_text"]

DEFAULT_OFFICE_HOURS = "Mon-Fri 09:00-18:00 Asia/Shanghai"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
_EXAMPLE = f"e.g. {DEFAULT_OFFICE_HOURS!r} or 'Mon-Fri 09:00-12:00,13:30-18:00; Sat 09:00-12:00'"

# The weekdays' names in the catalogs, Monday (0) first.
WEEKDAYS = {
    0: "weekday.mon",
    1: "weekday.tue",
    2: "weekday.wed",
    3: "weekday.thu",
    4: "weekday.fri",
    5: "weekday.sat",
    6: "weekday.sun",
}

Window = tuple[time, time]  # from, to (to may be 24:00, kept as time.max)


@dataclass(frozen=True)
class OfficeHours:
    """Opening windows per weekday (Monday first) in one time zone."""

    windows: tuple[tuple[Window, ...], ...]
    zone: tzinfo
    text: str = DEFAULT_OFFICE_HOURS

    @classmethod
    def parse(cls, text: str | None) -> OfficeHours:
        """Read a setting like ``Mon-Fri 09:00-18:00 Asia/Shanghai``. Raises ValueError
        saying what is wrong and what is expected."""
        source = (text or DEFAULT_OFFICE_HOURS).strip()
        words = source.split()
        zone: tzinfo = ZoneInfo("Asia/Shanghai")
        if words and ("/" in words[-1] or words[-1].upper() == "UTC"):
            try:
                zone = ZoneInfo(words[-1])
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"office hours: unknown time zone {words[-1]!r}; {_EXAMPLE}") from None
            words = words[:-1]
        days: list[list[Window]] = [[] for _ in DAYS]
        for part in " ".join(words).split(";"):
            part = part.strip()
            if not part:
                continue
            head, _, spans = part.partition(" ")
            if not spans.strip():
                raise ValueError(f"office hours: {part!r} has no hours; {_EXAMPLE}")
            for day in _days(head):
                for span in spans.replace(" ", "").split(","):
                    days[day].append(_window(span))
        if not any(days):
            raise ValueError(f"office hours: no opening hours in {source!r}; {_EXAMPLE}")
        for windows in days:
            windows.sort()
            for (_, end), (start, _) in pairwise(windows):
                if start < end:
                    raise ValueError(f"office hours: overlapping hours in {source!r}")
        return cls(tuple(tuple(w) for w in days), zone, source)

    # ------------------------------------------------------------ questions

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def is_open(self, at: datetime) -> bool:
        moment = self.local(at)
        day = moment.date()
        return any(
            self._at(day, start) <= moment < self._at(day, end) for start, end in self.windows[day.weekday()]
        )

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when the office is open then, else when it next opens."""
        moment = self.local(at)
        for offset in range(0, 15):
            day = moment.date() + timedelta(days=offset)
            for start, end in self.windows[day.weekday()]:
                opens, closes = self._at(day, start), self._at(day, end)
                if closes <= moment:
                    continue
                return max(opens, moment)
        raise AssertionError("a week always has an opening")  # parse refuses an empty week

    def add_working(self, at: datetime, hours: float) -> datetime:
        """The moment ``hours`` working hours after ``at`` (time outside the windows does
        not count): 4 hours after Friday 16:00 is Monday 11:00 with the default hours."""
        remaining = timedelta(hours=hours)
        moment = self.local(at)
        day = moment.date()
        while True:
            for start, end in self.windows[day.weekday()]:
                opens, closes = self._at(day, start), self._at(day, end)
                if closes <= moment:
                    continue
                begin = max(opens, moment)
                if begin + remaining <= closes:
                    return begin + remaining
                remaining -= closes - begin
                moment = closes
            day += timedelta(days=1)

    def working_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from ``start`` to ``end`` (zero when ``end`` is not later)."""
        total = timedelta()
        moment, last = self.local(start), self.local(end)
        day = moment.date()
        while day <= last.date():
            for begin, finish in self.windows[day.weekday()]:
                opens, closes = max(self._at(day, begin), moment), min(self._at(day, finish), last)
                if closes > opens:
                    total += closes - opens
            day += timedelta(days=1)
        return total

    def _at(self, day: date, when: time) -> datetime:
        if when == time.max:
            return datetime.combine(day + timedelta(days=1), time(), self.zone)
        return datetime.combine(day, when, self.zone)

    # ------------------------------------------------------------ describing

    def days_open(self) -> list[tuple[list[int], tuple[Window, ...]]]:
        """Runs of weekdays with the same windows: ([0, 1, 2, 3, 4], ((09:00, 18:00),)), …"""
        runs: list[tuple[list[int], tuple[Window, ...]]] = []
        for day, windows in enumerate(self.windows):
            if not windows:
                continue
            if runs and runs[-1][1] == windows and runs[-1][0][-1] == day - 1:
                runs[-1][0].append(day)
            else:
                runs.append(([day], windows))
        return runs

    def describe(self, lang: str, cat: Catalogs) -> str:
        """ "周一至周五 09:00–18:00", "Mon–Fri 09:00–18:00"."""
        parts = []
        for days, windows in self.days_open():
            first, last = cat.text(lang, WEEKDAYS[days[0]]), cat.text(lang, WEEKDAYS[days[-1]])
            named = first if len(days) == 1 else cat.text(lang, "office.day_range", first=first, last=last)
            spans = cat.text(lang, "list.sep").join(f"{clock_text(a)}–{clock_text(b)}" for a, b in windows)
            parts.append(f"{named} {spans}")
        return cat.text(lang, "list.sep").join(parts)

    def moment_text(self, at: datetime, lang: str, cat: Catalogs) -> str:
        """ "11月24日（周一）09:00", "Mon 24/11 09:00", in the office's time zone."""
        moment = self.local(at)
        return cat.text(
            lang,
            "office.moment",
            month=moment.month,
            day=moment.day,
            weekday=cat.text(lang, WEEKDAYS[moment.weekday()]),
            time=moment.strftime("%H:%M"),
        )


def clock_text(when: time) -> str:
    return "24:00" if when == time.max else when.strftime("%H:%M")


def _days(text: str) -> list[int]:
    found: list[int] = []
    for piece in text.lower().split(","):
        first, dash, last = piece.partition("-")
        if first[:3] not in DAYS or (dash and last[:3] not in DAYS):
            raise ValueError(f"office hours: {text!r} is not a day or a range of days (Mon-Fri); {_EXAMPLE}")
        a = DAYS.index(first[:3])
        b = DAYS.index(last[:3]) if dash else a
        if b < a:
            raise ValueError(f"office hours: {piece!r} runs backwards; {_EXAMPLE}")
        found += range(a, b + 1)
    return found


def _window(span: str) -> Window:
    begin, dash, end = span.partition("-")
    times = []
    for value in (begin, end):
        match = _TIME.match(value)
        if not dash or match is None or (match.group(1) == "24" and match.group(2) != "00"):
            raise ValueError(f"office hours: {span!r} is not a span like 09:00-18:00; {_EXAMPLE}")
        hour, minute = int(match.group(1)), int(match.group(2))
        times.append(time.max if hour == 24 else time(hour, minute))
    if times[1] <= times[0]:
        raise ValueError(f"office hours: {span!r} ends before it starts; {_EXAMPLE}")
    return times[0], times[1]
