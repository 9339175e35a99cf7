"""The scoring engine: a pure function of (profile, rules, today).

Nothing here reads a file or a clock. Money and percentages are Decimals; ratios of
amounts are computed as exact fractions, so a value on a band edge lands in the band the
rules say (boundaries go to the better band, docs/rules.md "Units and conventions").

What can be worked out from the rules alone (rank lookups, exact thresholds, the result
of landing in each band) is worked out once per :class:`Rules` object and kept, so that
a batch of a hundred thousand profiles does not redo it for every row.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal, Protocol

from rules.assessment import (
    Assessment,
    ConditionResult,
    Gap,
    Improvement,
    IndicatorResult,
    SubsidyHint,
    TierGap,
    Unit,
)
from rules.loader import Rules
from rules.model import (
    Band,
    BandHighPart,
    BandLowPart,
    ChoicePart,
    Clause,
    Indicator,
    Label,
    MultiPart,
    Part,
    RatioHighPart,
    StepPart,
    Subsidy,
    Tier,
)
from rules.profile import MONEY_FIELDS, PERCENT_FIELDS, Profile, ProfileError, check_size

HintStatus = Literal["current", "expired", "not_yet_valid"]


def assess(profile: Profile, rules: Rules, today: date) -> Assessment:
    """Score `profile` under `rules` as of `today` (the injected date).

    Returns an :class:`Assessment` whose :meth:`~Assessment.contract` is the assessment of
    docs/interfaces.md. Raises ProfileError for a figure no answer can be (a profile made
    without :func:`~rules.profile.parse_profile`): exact arithmetic on it would not end.
    """
    _check_figures(profile)
    plan = _plan(rules)
    if profile.is_institution:
        return _assess_institution(profile, rules, plan, today)

    results, scored = _score(profile, plan)
    groups: dict[str, int] = dict.fromkeys(plan.group_ids, 0)
    for r in results:
        groups[r.group] += r.points
    score = sum(groups.values())

    # every route the answers show, whatever the score: a fact that still matters if the
    # score is revised (the dialog asks these questions only when a route is needed)
    direct = _direct_pass(profile, rules)
    conditions = _conditions(profile, rules, plan, score, direct)
    failed = [c.id for c in conditions if not c.met]
    eligible = not failed

    tier = _tier_for(profile, rules, plan)
    current = _subsidies_for(profile, rules, plan, profile.certification)
    potential: list[Subsidy] = []
    target = rules.conditions.recognition_level
    if eligible and plan.rank_of(profile.certification) < plan.rank_of(target):
        held = {s.id for s in current}
        potential = [s for s in _subsidies_for(profile, rules, plan, target) if s.id not in held]

    return Assessment(
        score=score,
        groups=groups,
        indicators={ind.key: r.points for ind, r in zip(plan.indicators, results, strict=True)},
        eligible=eligible,
        failed_conditions=failed,
        direct_pass=direct,
        tier=tier.id if tier else None,
        subsidies=[s.id for s in current],
        potential_subsidies=[s.id for s in potential],
        unanswered=[f for f in plan.indicator_fields if getattr(profile, f) is None],
        rules_version=rules.version,
        org_type="enterprise",
        indicator_results=tuple(results),
        conditions=tuple(conditions),
        next_tier=_next_tier_gap(profile, rules, plan, tier),
        improvements=tuple(_improvements(profile, plan, results, scored)),
        subsidy_hints=tuple(
            [plan.hint(s, today, potential=False) for s in current]
            + [plan.hint(s, today, potential=True) for s in potential]
        ),
        district=profile.district,
        today=today,
    )


def _assess_institution(profile: Profile, rules: Rules, plan: _Plan, today: date) -> Assessment:
    tier = _tier_for(profile, rules, plan)
    current = _subsidies_for(profile, rules, plan, profile.certification)
    return Assessment(
        score=None,
        groups=None,
        indicators=None,
        eligible=None,
        failed_conditions=[],
        direct_pass=[],
        tier=tier.id if tier else None,
        subsidies=[s.id for s in current],
        potential_subsidies=[],
        unanswered=[],
        rules_version=rules.version,
        org_type="service_institution",
        next_tier=_next_tier_gap(profile, rules, plan, tier),
        subsidy_hints=tuple(plan.hint(s, today, potential=False) for s in current),
        district=profile.district,
        today=today,
    )


# ---------------------------------------------------------------- what the rules fix once


class _Plan:
    """What the engine derives once from one :class:`Rules`: lookups, scorers, hints."""

    def __init__(self, rules: Rules) -> None:
        levels = rules.certifications.level
        self._ranks = {lv.id: lv.rank for lv in levels}
        self._lowest_rank = levels[0].rank
        self.group_ids = tuple(g.id for g in rules.indicators.group)
        self.indicators = tuple(_IndicatorPlan(ind) for ind in rules.indicators.indicator)
        # the profile fields that feed the 13 indicators, in indicator order, once each
        self.indicator_fields = tuple(dict.fromkeys(f for ind in self.indicators for f in ind.fields))
        self._hints: dict[tuple[str, HintStatus, bool], SubsidyHint] = {}
        self.subsidies = tuple(
            (s, tuple(_ClausePlan(c, self) for c in s.when)) for s in rules.subsidies.subsidy
        )

    def rank_of(self, level_id: str | None) -> int:
        """The rank of a certification level; an unanswered level ranks as the lowest."""
        if level_id is None:
            return self._lowest_rank
        return self._ranks.get(level_id, self._lowest_rank)

    def hint(self, subsidy: Subsidy, today: date, potential: bool) -> SubsidyHint:
        """The hint for `subsidy` as of `today` (hints are immutable, so they are shared)."""
        status = _status(subsidy, today)
        key = (subsidy.id, status, potential)
        found = self._hints.get(key)
        if found is None:
            found = self._hints[key] = SubsidyHint(
                id=subsidy.id,
                title=subsidy.title,
                who=subsidy.who,
                amount=subsidy.amount,
                source=subsidy.source,
                valid_from=subsidy.valid_from,
                valid_to=subsidy.valid_to,
                status=status,
                potential=potential,
            )
        return found


# One plan per Rules object, for as long as that object lives (Rules compare by identity).
_PLANS: weakref.WeakKeyDictionary[Rules, _Plan] = weakref.WeakKeyDictionary()


def _plan(rules: Rules) -> _Plan:
    """The plan of `rules`, made on first use (a Rules object is immutable)."""
    plan = _PLANS.get(rules)
    if plan is None:
        plan = _PLANS[rules] = _Plan(rules)
    return plan


# ---------------------------------------------------------------- indicators


@dataclass(frozen=True, slots=True)
class _PartScore:
    points: int
    band: Band | None = None
    option: str | None = None
    option_label: Label | None = None
    index: int = -1  # the band's or option's position in its part


_NOTHING: Final = _PartScore(0)

# The change that would reach the next band of a part, without its gain:
# (metric, unit, target, target_label, short, short_amount).
_Step = tuple[
    str, Unit | Literal["choice", "item"], Decimal | str | None, Label | None, Decimal | None, Decimal | None
]


class _PartPlan(Protocol):
    def score(self, profile: Profile) -> _PartScore: ...

    def next_points(self, profile: Profile, now: _PartScore) -> int | None:
        """The points of the nearest better band or option, or None if there is none."""
        ...

    def change(self, profile: Profile, now: _PartScore) -> _Step:
        """What reaching that band or option takes (only where `next_points` is not None)."""
        ...


def _banded(bands: list[Band]) -> tuple[_PartScore, ...]:
    return tuple(_PartScore(b.points, band=b, index=i) for i, b in enumerate(bands))


class _BandPlan:
    """Bands on one field. Higher is better (band_high: a band includes its lower bound) or
    lower is better (band_low: a band includes its upper bound)."""

    def __init__(self, part: BandHighPart | BandLowPart) -> None:
        self.part = part
        self.field = part.field
        self.higher = isinstance(part, BandHighPart)
        bounds = [b.min if self.higher else b.max for b in part.bands]
        self.bounds = tuple(bounds)
        self.bands = tuple(zip(bounds, _banded(part.bands), strict=True))

    def score(self, profile: Profile) -> _PartScore:
        value = getattr(profile, self.field)
        if value is None:
            return _NOTHING
        higher = self.higher
        for bound, scored in self.bands:
            if bound is None or (value >= bound if higher else value <= bound):
                return scored
        return _NOTHING

    def next_points(self, profile: Profile, now: _PartScore) -> int | None:
        if now.index <= 0 or getattr(profile, self.field) is None:
            return None
        return self.part.bands[now.index - 1].points

    def change(self, profile: Profile, now: _PartScore) -> _Step:
        target = self.part.bands[now.index - 1]
        bound = self.bounds[now.index - 1]
        assert bound is not None
        value = getattr(profile, self.field)
        return (
            self.field,
            self.part.unit,
            bound,
            target.label,
            (bound - value if self.higher else value - bound),
            None,
        )


class _RatioHighPlan:
    """numerator / denominator in percent against exact thresholds; higher is better."""

    def __init__(self, part: RatioHighPart) -> None:
        self.part = part
        self.numerator = part.numerator
        self.denominator = part.denominator
        self.metric = f"{part.numerator}_to_{part.denominator}_pct"
        self.unbounded_on_zero = part.on_zero_denominator == "unbounded"
        # each band's lower bound as an integer fraction (numerator, denominator > 0)
        bounds = (None if b.min is None else b.min.as_integer_ratio() for b in part.bands)
        self.bands = tuple(zip(bounds, _banded(part.bands), strict=True))

    def score(self, profile: Profile) -> _PartScore:
        num, den = getattr(profile, self.numerator), getattr(profile, self.denominator)
        if num is None or den is None:
            return _NOTHING
        if den != 0:
            top, bottom = _ratio_terms(num, den)
        elif num == 0:
            top, bottom = 0, 1
        elif num > 0 and self.unbounded_on_zero:
            return self.bands[0][1]  # an unbounded ratio meets every band
        else:
            return _NOTHING
        for bound, scored in self.bands:
            # top/bottom ≥ bound, cross-multiplied: exact, and cheaper than building fractions
            if bound is None or top * bound[1] >= bound[0] * bottom:
                return scored
        return _NOTHING

    def next_points(self, profile: Profile, now: _PartScore) -> int | None:
        if now.index <= 0:
            return None
        num, den = getattr(profile, self.numerator), getattr(profile, self.denominator)
        if num is None or den is None or den == 0:
            return None
        return self.part.bands[now.index - 1].points

    def change(self, profile: Profile, now: _PartScore) -> _Step:
        num, den = getattr(profile, self.numerator), getattr(profile, self.denominator)
        target = self.part.bands[now.index - 1]
        assert target.min is not None
        need_top, need_bottom = target.min.as_integer_ratio()
        top, bottom = _ratio_terms(num, den)
        short_pct = _pct(need_top * bottom - top * need_bottom, need_bottom * bottom)
        den_top, den_bottom = den.as_integer_ratio()
        amount = _ceil_fen(need_top * den_top, need_bottom * den_bottom * 100) - num
        return self.metric, "pct", target.min, target.label, short_pct, amount


class _StepPlan:
    """points_per_step for each full `step` of the value."""

    def __init__(self, part: StepPart) -> None:
        self.part = part
        self.field = part.field

    def score(self, profile: Profile) -> _PartScore:
        value = getattr(profile, self.field)
        if value is None:
            return _NOTHING
        return _PartScore(int(value // self.part.step) * self.part.points_per_step)

    def next_points(self, profile: Profile, now: _PartScore) -> int | None:
        if getattr(profile, self.field) is None:
            return None
        return now.points + self.part.points_per_step

    def change(self, profile: Profile, now: _PartScore) -> _Step:
        value = getattr(profile, self.field)
        need = (value // self.part.step + 1) * self.part.step
        return self.field, self.part.unit, need, None, need - value, None


class _ChoicePlan:
    """One answer among options, each worth its points."""

    def __init__(self, part: ChoicePart) -> None:
        self.part = part
        self.field = part.field
        self.options: dict[tuple[type, object], _PartScore] = {}
        for i, opt in enumerate(part.options):
            # bool and int compare equal in Python; the type keeps them apart
            key = (type(opt.value), opt.value)
            self.options.setdefault(key, _PartScore(opt.points, None, str(opt.value), opt.label, i))
        # from the points held now, the points of the least better option
        held = {0, *(o.points for o in part.options)}
        self.better: dict[int, int | None] = {
            now: min((o.points for o in part.options if o.points > now), default=None) for now in held
        }

    def score(self, profile: Profile) -> _PartScore:
        value = getattr(profile, self.field)
        if value is None:
            return _NOTHING
        return self.options.get((type(value), value), _NOTHING)

    def next_points(self, profile: Profile, now: _PartScore) -> int | None:
        if getattr(profile, self.field) is None:
            return None
        return self.better[now.points]

    def change(self, profile: Profile, now: _PartScore) -> _Step:
        # the least better option, the first listed among equals
        target = min((o for o in self.part.options if o.points > now.points), key=lambda o: o.points)
        return self.field, "choice", str(target.value), target.label, None, None


class _MultiPlan:
    """points_each for every option held (the indicator's max caps the sum)."""

    def __init__(self, part: MultiPart) -> None:
        self.part = part
        self.field = part.field

    def score(self, profile: Profile) -> _PartScore:
        held = getattr(profile, self.field)
        if not held:
            return _NOTHING
        return _PartScore(len(held) * self.part.points_each)

    def next_points(self, profile: Profile, now: _PartScore) -> int | None:
        held = getattr(profile, self.field)
        if held is None or len(held) >= len(self.part.options):
            return None
        return now.points + self.part.points_each

    def change(self, profile: Profile, now: _PartScore) -> _Step:
        return self.field, "item", None, None, None, None


def _part_plan(part: Part) -> _PartPlan:
    if isinstance(part, BandHighPart | BandLowPart):
        return _BandPlan(part)
    if isinstance(part, RatioHighPart):
        return _RatioHighPlan(part)
    if isinstance(part, StepPart):
        return _StepPlan(part)
    if isinstance(part, ChoicePart):
        return _ChoicePlan(part)
    return _MultiPlan(part)


class _IndicatorPlan:
    """One indicator: its parts' plans, and its results, made once for each outcome."""

    def __init__(self, indicator: Indicator) -> None:
        self.indicator = indicator
        self.number = indicator.number
        self.key = str(indicator.number)
        self.group = indicator.group
        self.max = indicator.max
        self.takes_best = indicator.combine == "max"
        self.fields = tuple(indicator.fields)
        self.parts = tuple(_part_plan(p) for p in indicator.part)
        # most indicators have one part and read one field: score those without the loops
        self.single = self.parts[0] if len(self.parts) == 1 else None
        self.field = self.fields[0] if len(self.fields) == 1 else None
        self._results: dict[tuple[int, bool, str | None, Label | None], IndicatorResult] = {}

    def combine(self, points: list[int]) -> int:
        return min(max(points) if self.takes_best else sum(points), self.max)

    def result(self, points: int, answered: bool, shown: _PartScore | None) -> IndicatorResult:
        """The result with these points, shown band or option (results are immutable, so shared)."""
        band = shown.band if shown else None
        option = band.option if band else (shown.option if shown else None)
        label = band.label if band else (shown.option_label if shown else None)
        key = (points, answered, option, label)
        found = self._results.get(key)
        if found is None:
            found = self._results[key] = IndicatorResult(
                number=self.number,
                group=self.group,
                points=points,
                max=self.max,
                answered=answered,
                band=option,
                band_label=label,
            )
        return found


_FIGURES = (*MONEY_FIELDS, *PERCENT_FIELDS, "niche_years")


def _check_figures(profile: Profile) -> None:
    problems = []
    for name in _FIGURES:
        value = getattr(profile, name)
        if isinstance(value, Decimal):
            try:
                check_size(value)
            except ValueError as exc:
                problems.append((name, str(exc)))
    if problems:
        raise ProfileError(problems)


def _ratio_terms(numerator: Decimal, denominator: Decimal) -> tuple[int, int]:
    """numerator/denominator in percent as an exact fraction of integers (top, bottom).

    bottom > 0; the denominator must not be 0. Exact, unlike percentages rounded to some
    decimals, and comparing two such fractions by cross-multiplying needs no division.
    """
    n_num, n_den = numerator.as_integer_ratio()
    d_num, d_den = denominator.as_integer_ratio()
    top, bottom = n_num * d_den * 100, n_den * d_num
    return (top, bottom) if bottom > 0 else (-top, -bottom)


def _score(profile: Profile, plan: _Plan) -> tuple[list[IndicatorResult], list[list[_PartScore]]]:
    """Each indicator's result, and the score of each of its parts (in `plan.indicators` order)."""
    results: list[IndicatorResult] = []
    scored: list[list[_PartScore]] = []
    for ind in plan.indicators:
        shown: _PartScore | None
        if ind.single is not None:
            shown = ind.single.score(profile)
            parts = [shown]
            points = min(shown.points, ind.max)
        else:
            parts = [p.score(profile) for p in ind.parts]
            points = ind.combine([p.points for p in parts])
            # the part that decided a best-of indicator; a sum has no single band
            shown = max(parts, key=lambda p: p.points) if ind.takes_best else None
        if ind.field is not None:
            answered = getattr(profile, ind.field) is not None
        else:
            answered = any(getattr(profile, f) is not None for f in ind.fields)
        results.append(ind.result(points, answered, shown))
        scored.append(parts)
    return results, scored


def score(profile: Profile, rules: Rules) -> int:
    """The total score out of 100 of an enterprise profile."""
    results, _ = _score(profile, _plan(rules))
    return sum(r.points for r in results)


# ---------------------------------------------------------------- conditions


def _direct_pass(profile: Profile, rules: Rules) -> list[str]:
    passed: list[str] = []
    for route in rules.conditions.direct_route:
        value = getattr(profile, route.field)
        if value is None:
            continue
        if route.passing_values is not None:
            ok = any(v == value and type(v) is type(value) for v in route.passing_values)
        else:
            assert route.min_amount is not None
            ok = value >= route.min_amount
        if ok:
            passed.append(route.id)
    return passed


def _pct(top: int, bottom: int) -> Decimal:
    """top/bottom (bottom > 0) for display: with two decimals (never used for a comparison)."""
    exact = Decimal(top) / Decimal(bottom)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()


def _conditions(
    profile: Profile, rules: Rules, plan: _Plan, score: int, direct: list[str]
) -> list[ConditionResult]:
    c = rules.conditions
    out: list[ConditionResult] = []

    need_level = c.innovative_sme.min_certification
    ok = plan.rank_of(profile.certification) >= plan.rank_of(need_level)
    out.append(
        ConditionResult(
            "innovative_sme",
            ok,
            () if ok else (Gap("certification", "certification", need_level, profile.certification),),
        )
    )

    years = profile.niche_years
    need_years = c.niche_years.min_years
    ok = years is not None and years >= need_years
    gaps: tuple[Gap, ...] = ()
    if not ok:
        gaps = (Gap("niche_years", "years", need_years, years, need_years - (years or 0)),)
    out.append(ConditionResult("niche_years", ok, gaps))

    rd, revenue = profile.rd_expense, profile.revenue
    need_rd = c.rd_expense.min_amount
    need_ratio = c.rd_expense.min_ratio_pct
    amount_ok = rd is not None and rd >= need_rd
    if rd is None or revenue is None:
        ratio_ok = False
    elif revenue == 0:  # R&D over no revenue is unbounded; none over none is 0
        ratio_ok = rd > 0 or (rd == 0 and need_ratio <= 0)
    else:
        top, bottom = _ratio_terms(rd, revenue)
        need_top, need_bottom = need_ratio.as_integer_ratio()
        ratio_ok = top * need_bottom >= need_top * bottom
    rd_gaps: list[Gap] = []
    if not amount_ok:
        rd_gaps.append(Gap("rd_expense", "yuan", need_rd, rd, need_rd - (rd or 0)))
    if not ratio_ok:
        have: Decimal | None = None
        if rd is not None and revenue is not None:
            have = _pct(*_ratio_terms(rd, revenue)) if revenue != 0 else Decimal(0)
        short_amount = None
        if revenue is not None:
            need_top, need_bottom = need_ratio.as_integer_ratio()
            rev_top, rev_bottom = revenue.as_integer_ratio()
            short_amount = _ceil_fen(need_top * rev_top, need_bottom * rev_bottom * 100) - (rd or 0)
        rd_gaps.append(
            Gap(
                "rd_expense_to_revenue_pct",
                "pct",
                need_ratio,
                have,
                None if have is None else need_ratio - have,
                short_amount,
            )
        )
    out.append(ConditionResult("rd_expense", amount_ok and ratio_ok, tuple(rd_gaps)))

    need_rev = c.revenue.min_revenue
    need_eq = c.revenue.alt_min_equity_financing
    equity = profile.equity_financing_2y
    rev_ok = revenue is not None and revenue >= need_rev
    eq_ok = equity is not None and equity >= need_eq
    ok = rev_ok or eq_ok
    out.append(
        ConditionResult(
            "revenue",
            ok,
            () if ok else (Gap("revenue", "yuan", need_rev, revenue, need_rev - (revenue or 0)),),
            None if ok else Gap("equity_financing_2y", "yuan", need_eq, equity, need_eq - (equity or 0)),
        )
    )

    need_score = c.score_or_direct.min_score
    ok = score >= need_score or bool(direct)
    out.append(
        ConditionResult(
            "score_or_direct",
            ok,
            ()
            if ok
            else (
                Gap(
                    "score",
                    "score",
                    Decimal(need_score),
                    Decimal(score),
                    Decimal(need_score - score),
                ),
            ),
        )
    )
    return out


def _ceil_fen(top: int, bottom: int) -> Decimal:
    """top/bottom yuan (bottom > 0) rounded up to the fen (0.01), so that reaching it is enough."""
    fen = -((-top * 100) // bottom)
    return (Decimal(fen) / 100).normalize()


# ---------------------------------------------------------------- tiers


def _tier_gaps(profile: Profile, plan: _Plan, tier: Tier) -> list[Gap]:
    """The measurable requirements of `tier` that `profile` does not meet."""
    gaps: list[Gap] = []
    if profile.is_institution:
        need = tier.service_institution.min_registered_capital
        have = profile.registered_capital
        if have is None or have < need:
            gaps.append(Gap("registered_capital", "yuan", need, have, need - (have or 0)))
        return gaps
    req = tier.enterprise
    for field, need_amount in (("revenue", req.min_revenue), ("profit", req.min_profit)):
        if need_amount is None:
            continue
        value = getattr(profile, field)
        if value is None or value < need_amount:
            short = need_amount - (value if value is not None and value > 0 else 0)
            gaps.append(Gap(field, "yuan", need_amount, value, short))
    if req.min_certification is not None and plan.rank_of(profile.certification) < plan.rank_of(
        req.min_certification
    ):
        gaps.append(Gap("certification", "certification", req.min_certification, profile.certification))
    return gaps


def _tier_met(profile: Profile, plan: _Plan, tier: Tier) -> bool:
    """Whether `_tier_gaps` would be empty, without building the gaps."""
    if profile.is_institution:
        have = profile.registered_capital
        return have is not None and have >= tier.service_institution.min_registered_capital
    req = tier.enterprise
    revenue, profit = profile.revenue, profile.profit
    if revenue is None or revenue < req.min_revenue:
        return False
    if req.min_profit is not None and (profit is None or profit < req.min_profit):
        return False
    return req.min_certification is None or plan.rank_of(profile.certification) >= plan.rank_of(
        req.min_certification
    )


def _tier_for(profile: Profile, rules: Rules, plan: _Plan) -> Tier | None:
    for tier in reversed(rules.tiers.tier):
        if _tier_met(profile, plan, tier):
            return tier
    return None


def tier_for(profile: Profile, rules: Rules) -> Tier | None:
    """The highest tier whose measurable requirements hold, or None."""
    return _tier_for(profile, rules, _plan(rules))


def _next_tier_gap(profile: Profile, rules: Rules, plan: _Plan, current: Tier | None) -> TierGap | None:
    rank = current.rank if current else 0
    above = [t for t in rules.tiers.tier if t.rank == rank + 1]
    if not above:
        return None
    tier = above[0]
    checks = tier.qualitative.service_institution if profile.is_institution else tier.qualitative.enterprise
    return TierGap(tier.id, tuple(_tier_gaps(profile, plan, tier)), tuple(checks))


def next_tier_gap(profile: Profile, rules: Rules, current: Tier | None) -> TierGap | None:
    """What the tier above `current` still needs; None at the top."""
    return _next_tier_gap(profile, rules, _plan(rules), current)


# ---------------------------------------------------------------- subsidies


class _ClausePlan:
    """One clause of a subsidy's `when`, with its certification level as a rank."""

    def __init__(self, clause: Clause, plan: _Plan) -> None:
        self.org_type = clause.org_type
        self.min_rank = None if clause.min_certification is None else plan.rank_of(clause.min_certification)
        self.certifications = None if clause.certifications is None else frozenset(clause.certifications)
        self.flags = tuple(clause.flags)
        self.min_annual_tax = clause.min_annual_tax

    def holds(self, profile: Profile, org_type: str, certification: str | None, rank: int) -> bool:
        if self.org_type != org_type:
            return False
        if self.min_rank is not None and rank < self.min_rank:
            return False
        if self.certifications is not None and certification not in self.certifications:
            return False
        for flag in self.flags:
            if getattr(profile, flag) is not True:
                return False
        if self.min_annual_tax is not None:
            tax = profile.annual_tax
            if tax is None or tax < self.min_annual_tax:
                return False
        return True


def _subsidies_for(profile: Profile, rules: Rules, plan: _Plan, certification: str | None) -> list[Subsidy]:
    org_type = profile.org_type or "enterprise"
    rank = plan.rank_of(certification)
    found: list[Subsidy] = []
    for subsidy, clauses in plan.subsidies:
        for clause in clauses:
            if clause.holds(profile, org_type, certification, rank):
                found.append(subsidy)
                break
    return found


def subsidies_for(profile: Profile, rules: Rules, certification: str | None = None) -> list[Subsidy]:
    """The subsidy items whose conditions hold, with `certification` if given."""
    level = certification if certification is not None else profile.certification
    return _subsidies_for(profile, rules, _plan(rules), level)


def _status(subsidy: Subsidy, today: date) -> HintStatus:
    if subsidy.valid_to is not None and today > subsidy.valid_to:
        return "expired"
    if subsidy.valid_from is not None and today < subsidy.valid_from:
        return "not_yet_valid"
    return "current"


# ---------------------------------------------------------------- improvements


def _improvements(
    profile: Profile, plan: _Plan, results: list[IndicatorResult], scored: list[list[_PartScore]]
) -> list[Improvement]:
    """The three single changes that would add the most points (one per indicator).

    Within an indicator the largest gain wins, then the cheapest change in yuan, then the
    first part; across indicators the largest gain, then the lower number. What a change
    takes is worked out only for the changes that are kept.
    """
    best: list[tuple[int, int, _PartPlan, _PartScore, _Step | None]] = []  # gain, number, part, now, change
    for ind, result, parts in zip(plan.indicators, results, scored, strict=True):
        current = result.points
        if current >= ind.max:
            continue
        if ind.single is not None:
            new_points = ind.single.next_points(profile, parts[0])
            if new_points is not None and min(new_points, ind.max) > current:
                best.append((min(new_points, ind.max) - current, ind.number, ind.single, parts[0], None))
            continue
        gains: list[tuple[int, int]] = []  # (gain, part index)
        for i, part in enumerate(ind.parts):
            new_points = part.next_points(profile, parts[i])
            if new_points is None:
                continue
            trial = [p.points for p in parts]
            trial[i] = new_points
            gain = ind.combine(trial) - current
            if gain > 0:
                gains.append((gain, i))
        if not gains:
            continue
        top = max(g for g, _ in gains)
        tied = [i for g, i in gains if g == top]
        if len(tied) == 1:
            best.append((top, ind.number, ind.parts[tied[0]], parts[tied[0]], None))
        else:
            costed = [(_cost(c), i, c) for i in tied for c in [ind.parts[i].change(profile, parts[i])]]
            _, i, change = min(costed, key=lambda c: (c[0], c[1]))
            best.append((top, ind.number, ind.parts[i], parts[i], change))
    best.sort(key=lambda c: (-c[0], c[1]))
    return [
        _improvement(number, gain, change if change is not None else part.change(profile, now))
        for gain, number, part, now, change in best[:3]
    ]


def _cost(change: _Step) -> Decimal:
    """What a change costs in yuan, to choose among equal gains (0 if not money)."""
    _, unit, _, _, short, short_amount = change
    if short_amount is not None:
        return short_amount
    return short if unit == "yuan" and short else Decimal(0)


def _improvement(number: int, gain: int, change: _Step) -> Improvement:
    metric, unit, target, target_label, short, short_amount = change
    return Improvement(
        indicator=number,
        gain=gain,
        metric=metric,
        unit=unit,
        target=target,
        target_label=target_label,
        short=short,
        short_amount=short_amount,
    )
