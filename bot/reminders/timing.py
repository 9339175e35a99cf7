"""When a reminder may go: after the pause, never at night, only where the platform allows.

The dialog asks for reminders (:class:`dialogs.intents.Reminder`); :class:`ReminderPolicy`
turns them into :class:`Timer` rows with a time, for the store to write in the turn's
transaction. Quiet hours are Beijing time: a reminder falling due between 21:00 and 08:00
is moved to 08:00.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final

from bot.settings import TIMEZONE
from dialogs.intents import Reminder, ReminderAction, ReminderKind
from dialogs.session import Session

__all__ = [
    "KINDS",
    "QUIET_FROM",
    "QUIET_UNTIL",
    "REASSESS_AT",
    "ReminderPolicy",
    "Timer",
    "in_quiet_hours",
    "outside_quiet_hours",
    "private",
]

QUIET_FROM: Final = time(21, 0)
QUIET_UNTIL: Final = time(8, 0)
REASSESS_AT: Final = time(10, 0)  # a yearly reminder goes on its day at this Beijing time
KINDS: Final[frozenset[ReminderKind]] = frozenset({"paused", "reassess"})
# A reassessment reminder is a year away: a platform that only lets the assistant write
# within some hours of the person's last message can never deliver it.
_A_YEAR: Final = timedelta(days=366)


def in_quiet_hours(moment: datetime) -> bool:
    """Whether ``moment`` is between 21:00 and 08:00 Beijing time."""
    local = moment.astimezone(TIMEZONE).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def outside_quiet_hours(moment: datetime) -> datetime:
    """``moment``, or the next 08:00 Beijing time when it falls between 21:00 and 08:00."""
    local = moment.astimezone(TIMEZONE)
    if local.time() >= QUIET_FROM:
        return datetime.combine(local.date() + timedelta(days=1), QUIET_UNTIL, TIMEZONE)
    if local.time() < QUIET_UNTIL:
        return datetime.combine(local.date(), QUIET_UNTIL, TIMEZONE)
    return moment


def private(chat_id: str, user_id: str) -> bool:
    """A conversation with the person alone (Telegram private chat, a WeCom or WeChat user,
    the terminal): the only kind a reminder goes to."""
    return chat_id == user_id


@dataclass(frozen=True, slots=True)
class Timer:
    """A reminder with its time, as the store writes it.

    `pause` names what the reminder is for — ``<attempt>:<question>`` for a paused
    questionnaire, the day for a reassessment — so that a reminder already sent (or in
    flight) for the same pause is not scheduled again. `due_at` is Unix seconds."""

    action: ReminderAction
    kind: ReminderKind
    pause: str = ""
    question: str | None = None
    lang: str = "zh"
    due_at: float = 0.0


@dataclass(frozen=True)
class ReminderPolicy:
    """How long a questionnaire waits before its reminder (ZJTX_REMINDER_HOURS), and for how
    long after a person's last message each channel lets the assistant write unprompted
    (`reach`: the 公众号 allows 48 hours; a channel not listed has no such limit)."""

    delay: timedelta = timedelta(hours=24)
    reach: Mapping[str, timedelta] = field(default_factory=dict)

    def kinds(self, channel: str, chat_id: str, user_id: str) -> frozenset[ReminderKind]:
        """The reminders this conversation can be sent: none in a group; on a channel with a
        reach, only those due within it."""
        if not private(chat_id, user_id):
            return frozenset()
        reach = self.reach.get(channel)
        if reach is None:
            return KINDS
        # the pause's reminder may be moved by the quiet hours, at most to the next morning
        night = timedelta(hours=11)
        waits: tuple[tuple[ReminderKind, timedelta], ...] = (
            ("paused", self.delay + night),
            ("reassess", _A_YEAR),
        )
        return frozenset(kind for kind, wait in waits if wait <= reach)

    def timers(
        self,
        reminders: Sequence[Reminder],
        session: Session,
        now: datetime,
        kinds: frozenset[ReminderKind] = KINDS,
    ) -> list[Timer]:
        """The rows to write for one turn's reminder intents (a kind this conversation cannot
        be sent is cancelled instead of scheduled)."""
        out: list[Timer] = []
        for reminder in reminders:
            if reminder.action == "cancel" or reminder.kind not in kinds:
                out.append(Timer("cancel", reminder.kind, lang=reminder.lang))
            elif reminder.kind == "paused":
                due = outside_quiet_hours(now + self.delay)
                pause = f"{session.attempt}:{reminder.question or ''}"
                out.append(
                    Timer("schedule", "paused", pause, reminder.question, reminder.lang, due.timestamp())
                )
            else:
                day = reminder.due or now.astimezone(TIMEZONE).date()
                out.append(Timer("schedule", "reassess", day.isoformat(), None, reminder.lang, _at(day)))
        return out


def _at(day: date) -> float:
    return datetime.combine(day, REASSESS_AT, TIMEZONE).timestamp()
