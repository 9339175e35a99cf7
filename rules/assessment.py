"""The result of an assessment, with the structured explanation the dialogs render.

:meth:`Assessment.contract` gives exactly the JSON object of docs/interfaces.md#assessment; the other
attributes explain it (bands, shortfalls, the next tier's gaps, improvements, subsidy
hints with their validity) without any wording: the dialogs choose the words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from rules.model import Amount, Label, Source

Unit = Literal["yuan", "pct", "years", "score", "certification", "points"]


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    number: int
    group: str
    points: int
    max: int
    answered: bool
    band: str | None = None  # the option letter of the band or choice that scored
    band_label: Label | None = None


@dataclass(frozen=True, slots=True)
class Gap:
    """One unmet requirement, in the input's own units.

    `have` is None when the answer is missing. For a certification, `have`/`need` are
    level ids and `short` is None. For a ratio, `short_amount` is the extra yuan of the
    numerator that would close it, where revenue is known.
    """

    metric: str  # a profile field, or "rd_ratio_pct", "profit_margin_pct", "score"
    unit: Unit
    need: Decimal | str
    have: Decimal | str | None
    short: Decimal | None = None
    short_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ConditionResult:
    id: str
    met: bool
    gaps: tuple[Gap, ...] = ()
    # condition `revenue` may also be met by equity financing: its own gap, if unmet
    alternative: Gap | None = None


@dataclass(frozen=True, slots=True)
class TierGap:
    tier: str
    gaps: tuple[Gap, ...]
    qualitative: tuple[Label, ...]


@dataclass(frozen=True, slots=True)
class Improvement:
    """A change that would add `gain` points: reach `target` on `metric`."""

    indicator: int
    gain: int
    metric: str
    unit: Unit | Literal["choice", "item"]
    target: Decimal | str | None  # a threshold, an option value, or None for "one more item"
    target_label: Label | None = None
    short: Decimal | None = None  # how far the answer is from the target, in `unit`
    short_amount: Decimal | None = None  # for a ratio: the extra yuan of its numerator


@dataclass(frozen=True, slots=True)
class SubsidyHint:
    id: str
    title: Label
    who: Label
    amount: Amount
    source: Source
    valid_from: date | None
    valid_to: date | None
    status: Literal["current", "expired", "not_yet_valid"]
    potential: bool  # unlocked by provincial recognition, not held today


@dataclass(frozen=True, slots=True)
class Assessment:
    score: int | None
    groups: dict[str, int] | None
    indicators: dict[str, int] | None
    eligible: bool | None
    failed_conditions: list[str]
    direct_pass: list[str]
    tier: str | None
    subsidies: list[str]
    potential_subsidies: list[str]
    unanswered: list[str]
    rules_version: str
    # explanation
    org_type: str = "enterprise"
    indicator_results: tuple[IndicatorResult, ...] = ()
    conditions: tuple[ConditionResult, ...] = ()
    next_tier: TierGap | None = None
    improvements: tuple[Improvement, ...] = ()
    subsidy_hints: tuple[SubsidyHint, ...] = ()
    district: str | None = None
    today: date | None = field(default=None)

    def contract(self) -> dict[str, Any]:
        """The assessment as docs/interfaces.md#assessment defines it (JSON-ready)."""
        return {
            "score": self.score,
            "groups": self.groups,
            "indicators": self.indicators,
            "eligible": self.eligible,
            "failed_conditions": list(self.failed_conditions),
            "direct_pass": list(self.direct_pass),
            "tier": self.tier,
            "subsidies": list(self.subsidies),
            "potential_subsidies": list(self.potential_subsidies),
            "unanswered": list(self.unanswered),
            "rules_version": self.rules_version,
        }

    def explanation(self) -> dict[str, Any]:
        """The structured explanation (JSON-ready): bands, gaps, improvements, hints."""
        return {
            "indicators": [_plain(r) for r in self.indicator_results],
            "conditions": [_plain(c) for c in self.conditions],
            "next_tier": _plain(self.next_tier),
            "improvements": [_plain(i) for i in self.improvements],
            "subsidy_hints": [_plain(h) for h in self.subsidy_hints],
            "district": self.district,
            "today": self.today.isoformat() if self.today else None,
        }


def _plain(value: Any) -> Any:
    """A JSON-ready copy of a result object (Decimals as numbers, labels as dicts)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump())
    slots = getattr(type(value), "__slots__", ())
    return {name: _plain(getattr(value, name)) for name in slots}
