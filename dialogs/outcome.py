"""What a conversation leaves for the caller to keep: plain data, no engine.

The store imports these (it keeps finished assessments and hands the last one back), so
they live apart from the dialog engine and its FAQ search.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rules import Assessment

__all__ = ["Finished", "LastResult"]


@dataclass
class Finished:
    """An assessment completed in this turn, for the caller to keep. `readings`: the answers
    given as a range or a bound, as given (field → ``Reading`` fields), beside the answers
    scored at their cautious end."""

    assessment: Assessment
    answers: dict[str, Any]
    readings: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class LastResult:
    """A stored assessment, for /result, /details, /report, /whatif and the progress since:
    its answers, the date it was made, and the result as it was given then
    (docs/interfaces.md#assessment)."""

    answers: dict[str, Any]
    made_on: date
    rules_version: str
    result: dict[str, Any] | None = None
    readings: dict[str, dict[str, Any]] = field(default_factory=dict)  # as in Finished
