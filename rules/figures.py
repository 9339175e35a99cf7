"""Figure answers judged by the rules: which way is better, what is plausible, and the
conservative end of a range.

Which way is better for a field is read from the thresholds the rules data applies to it:
a band that rewards higher values (`band_high`, `step`) or a minimum (a condition's, a
tier's, a direct route's, a subsidy clause's) says higher is better; a `band_low` says
lower is better. Being a ratio's numerator or denominator counts only for a field with
no threshold of its own (revenue has floors, so it is "higher" although it divides the
margins). Which field a condition, tier or clause reads is the models' structure, as in
:mod:`rules.engine`; the directions and bounds come from the data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from rules.model import (
    BandHighPart,
    BandLowPart,
    Conditions,
    Indicators,
    Plausibility,
    RatioHighPart,
    StepPart,
    Subsidies,
    Tiers,
    Unit,
)
from rules.profile import MONEY_FIELDS, PERCENT_FIELDS

Direction = Literal["higher", "lower"]

# The unit each numeric profile field is answered in (rules/profile.py).
FIELD_UNITS: Mapping[str, Unit] = {
    **dict.fromkeys(MONEY_FIELDS, "yuan"),
    **dict.fromkeys(PERCENT_FIELDS, "pct"),
    "niche_years": "years",
}


@dataclass(frozen=True)
class FigureRule:
    """One figure question as the rules see it: its plausible range and which way is better."""

    field: str
    unit: Unit
    min: Decimal
    max: Decimal
    better: Direction
    bare_yuan_min: Decimal | None = None  # see rules/data/plausibility.toml

    def plausible(self, value: Decimal) -> bool:
        """Whether `value` may be taken without asking back (0 always may)."""
        return value.is_zero() or self.min <= value <= self.max

    def conservative(self, low: Decimal | None, high: Decimal | None) -> Decimal:
        """The end of [low, high] that can only score worse: the lower end where higher is
        better, the upper end where lower is better. An open end is closed by the plausible
        range: below a figure of 0 or more (净利润不到两千万) is from 0, as a person who
        means a loss says so; below a loss is from `min`; at least a figure is up to `max`."""
        if self.better == "higher":
            if low is not None:
                return low
            return Decimal(0) if high is None or high >= 0 or self.min >= 0 else self.min
        return high if high is not None else self.max


@dataclass(frozen=True)
class Figures:
    """The figure rule of every numeric profile field."""

    rules: Mapping[str, FigureRule]

    def get(self, field: str) -> FigureRule | None:
        return self.rules.get(field)

    def __getitem__(self, field: str) -> FigureRule:
        return self.rules[field]


def _thresholds(
    conditions: Conditions, indicators: Indicators, tiers: Tiers, subsidies: Subsidies
) -> Iterator[tuple[str, Direction, Decimal | None, bool]]:
    """(field, better direction, threshold value or None, whether the signal is the field's
    own threshold rather than a ratio it takes part in) for every rule on a figure."""
    for indicator in indicators.indicator:
        for part in indicator.part:
            if isinstance(part, BandHighPart):
                for band in part.bands:
                    yield part.field, "higher", band.min, True
            elif isinstance(part, BandLowPart):
                for band in part.bands:
                    yield part.field, "lower", band.max, True
            elif isinstance(part, StepPart):
                yield part.field, "higher", part.step, True
            elif isinstance(part, RatioHighPart):
                yield part.numerator, "higher", None, False
                yield part.denominator, "lower", None, False
    yield "niche_years", "higher", conditions.niche_years.min_years, True
    yield "rd_expense", "higher", conditions.rd_expense.min_amount, True
    yield "rd_expense", "higher", None, False  # the R&D share of revenue: numerator
    yield "revenue", "lower", None, False  # … and denominator
    yield "revenue", "higher", conditions.revenue.min_revenue, True
    yield "equity_financing_2y", "higher", conditions.revenue.alt_min_equity_financing, True
    for route in conditions.direct_route:
        if route.min_amount is not None:
            yield route.field, "higher", route.min_amount, True
    for tier in tiers.tier:
        yield "revenue", "higher", tier.enterprise.min_revenue, True
        if tier.enterprise.min_profit is not None:
            yield "profit", "higher", tier.enterprise.min_profit, True
        yield "registered_capital", "higher", tier.service_institution.min_registered_capital, True
    for subsidy in subsidies.subsidy:
        for clause in subsidy.when:
            if clause.min_annual_tax is not None:
                yield "annual_tax", "higher", clause.min_annual_tax, True


def build_figures(
    plausibility: Plausibility,
    conditions: Conditions,
    indicators: Indicators,
    tiers: Tiers,
    subsidies: Subsidies,
) -> Figures:
    """Join the plausible ranges with the direction the thresholds give each field.

    Raises ValueError listing every problem: a numeric field without a range, a range for
    an unknown field or in the wrong unit, a threshold outside its field's range, a field
    whose thresholds disagree on which way is better, or a field with no direction."""
    problems: list[str] = []
    own: dict[str, set[Direction]] = {}
    ratio: dict[str, set[Direction]] = {}
    ranges = {f.field: f for f in plausibility.figure}
    for field, better, value, is_own in _thresholds(conditions, indicators, tiers, subsidies):
        (own if is_own else ratio).setdefault(field, set()).add(better)
        found = ranges.get(field)
        if value is not None and found is not None and not found.contains(value):
            problems.append(f"{field}: the rules' threshold {value} lies outside its plausible range")
    for field in ranges:
        if field not in FIELD_UNITS:
            problems.append(f"{field}: not a numeric profile field")
    out: dict[str, FigureRule] = {}
    for field, unit in FIELD_UNITS.items():
        found = ranges.get(field)
        if found is None:
            problems.append(f"{field}: no plausible range")
            continue
        if found.unit != unit:
            problems.append(f"{field}: unit {found.unit!r}, expected {unit!r}")
        signals = own.get(field) or ratio.get(field) or set()
        if len(signals) != 1:
            word = "disagree on" if signals else "do not say"
            problems.append(f"{field}: the rules {word} which way is better")
            continue
        (better,) = signals
        out[field] = FigureRule(field, found.unit, found.min, found.max, better, found.bare_yuan_min)
    if problems:
        raise ValueError("\n".join(problems))
    return Figures(out)
