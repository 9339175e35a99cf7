"""What changed between two assessments: points per indicator, conditions, tier.

Works on the objects of docs/interfaces.md#assessment (:meth:`Assessment.contract`), so
an assessment stored months ago under older rules compares with today's as the person
was told it then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Change:
    """`after` against `before`. `indicators` are (indicator number, change in points), the
    largest change first; conditions are ids in the order the contract lists them."""

    score_before: int | None
    score_after: int | None
    indicators: tuple[tuple[int, int], ...]
    newly_met: tuple[str, ...]
    newly_failed: tuple[str, ...]
    eligible_before: bool | None
    eligible_after: bool | None
    tier_before: str | None
    tier_after: str | None

    @property
    def score_delta(self) -> int | None:
        if self.score_before is None or self.score_after is None:
            return None
        return self.score_after - self.score_before

    @property
    def tier_changed(self) -> bool:
        return self.tier_before != self.tier_after

    @property
    def nothing(self) -> bool:
        """True when nothing a person reads changed."""
        return (
            not self.score_delta
            and not self.indicators
            and not self.newly_met
            and not self.newly_failed
            and not self.tier_changed
        )


def compare(before: Mapping[str, Any], after: Mapping[str, Any]) -> Change:
    """How assessment `after` differs from `before` (both docs/interfaces.md#assessment objects)."""
    old: Mapping[str, Any] = before.get("indicators") or {}
    new: Mapping[str, Any] = after.get("indicators") or {}
    deltas = [
        (int(number), int(new.get(number, 0)) - int(old.get(number, 0)))
        for number in dict.fromkeys([*old, *new])
        if int(new.get(number, 0)) != int(old.get(number, 0))
    ]
    deltas.sort(key=lambda d: (-abs(d[1]), d[0]))
    failed_before = list(before.get("failed_conditions") or [])
    failed_after = list(after.get("failed_conditions") or [])
    return Change(
        score_before=before.get("score"),
        score_after=after.get("score"),
        indicators=tuple(deltas),
        newly_met=tuple(c for c in failed_before if c not in failed_after),
        newly_failed=tuple(c for c in failed_after if c not in failed_before),
        eligible_before=before.get("eligible"),
        eligible_after=after.get("eligible"),
        tier_before=before.get("tier"),
        tier_after=after.get("tier"),
    )
