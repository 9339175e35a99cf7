"""What a turn asks the caller to do besides replying: reminders to schedule or cancel,
and events for the staff statistics. Pure data; the caller stores them with the session.

Neither carries an answer: a reminder names the question to continue at, an event the
question asked, answered or skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

__all__ = ["Event", "EventKind", "Reminder", "ReminderAction", "ReminderKind"]

ReminderKind = Literal["paused", "reassess"]
ReminderAction = Literal["schedule", "cancel"]
EventKind = Literal["asked", "answered", "skipped", "finished", "abandoned"]


@dataclass(frozen=True, slots=True)
class Reminder:
    """Schedule or cancel this person's reminder of one kind (one of each kind at most).

    ``paused``: a questionnaire is waiting at `question`. Every turn that leaves one
    waiting schedules it again, so the delay runs from the last message and a reminder
    already sent is not sent again for the same pause; a turn that ends the wait (the
    result, /cancel) cancels it. When it is due, and whether it may be sent (quiet hours,
    private chats only), is the caller's to decide. ``reassess``: the person asked at a
    result to be reminded on `due` to take the assessment again. `lang` is the language to
    remind in. /stop_reminders cancels both (and the session's ``reminders_off`` keeps
    further ``paused`` ones from being scheduled).
    """

    action: ReminderAction
    kind: ReminderKind
    question: str | None = None  # paused: the pending question id (a field, "confirm", …)
    due: date | None = None  # reassess: the day to remind on
    lang: str = "zh"


@dataclass(frozen=True, slots=True)
class Event:
    """One step of an assessment, for the staff statistics (never the answer itself).

    ``asked`` (a question put, or ``confirm`` for the summary), ``answered``, ``skipped``
    (each with the question id), ``finished`` (question None) and ``abandoned`` (/cancel or
    /restart, with the question it stopped at). `attempt` numbers this person's
    questionnaires (``Session.attempt``); `at` is the clock given to
    :meth:`~dialogs.engine.DialogEngine.handle`, None when it was given none."""

    kind: EventKind
    attempt: int
    question: str | None
    at: datetime | None = None
