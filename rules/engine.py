"""The scoring engine: a pure function of (profile, rules, today).

Nothing here reads a file or a clock. Money and percentages are Decimals; ratios of
amounts are computed as exact fractions, so a value on a band edge lands in the band the
rules say (boundaries go to the better band, rules.md §1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final, Literal

from rules.assessment import (
    Assessment,
    ConditionResult,
    Gap,
    Improvement,
    IndicatorResult,
    SubsidyHint,
    TierGap,
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
from rules.profile import Profile


class _Unbounded:
    """A ratio over a zero denominator with a positive numerator: meets every band."""


UNBOUNDED: Final = _Unbounded()
Ratio = Fraction | _Unbounded | None
HUNDRED = Fraction(100)


def assess(profile: Profile, rules: Rules, today: date) -> Assessment:
    """Score `profile` under `rules` as of `today` (the injected date).

    Returns an :class:`Assessment` whose :meth:`~Assessment.contract` is contract §2.
    """
    if profile.is_institution:
        return _assess_institution(profile, rules, today)

    results, scored = _score(profile, rules)
    groups: dict[str, int] = {g.id: 0 for g in rules.indicators.group}
    for r in results:
        groups[r.group] += r.points
    score = sum(groups.values())

    direct = _direct_pass(profile, rules) if score < rules.conditions.score_or_direct.min_score else []
    conditions = _conditions(profile, rules, score, direct)
    failed = [c.id for c in conditions if not c.met]
    eligible = not failed

    tier = tier_for(profile, rules)
    current = subsidies_for(profile, rules)
    potential: list[Subsidy] = []
    target = rules.conditions.recognition_level
    cert_rank = rules.certifications.rank(profile.certification)
    if eligible and cert_rank < rules.certifications.rank(target):
        held = {s.id for s in current}
        potential = [s for s in subsidies_for(profile, rules, certification=target) if s.id not in held]

    unanswered = [f for ind in rules.indicators.indicator for f in ind.fields if not profile.answered(f)]
    return Assessment(
        score=score,
        groups=groups,
        indicators={str(r.number): r.points for r in results},
        eligible=eligible,
        failed_conditions=failed,
        direct_pass=direct,
        tier=tier.id if tier else None,
        subsidies=[s.id for s in current],
        potential_subsidies=[s.id for s in potential],
        unanswered=list(dict.fromkeys(unanswered)),
        rules_version=rules.version,
        org_type="enterprise",
        indicator_results=tuple(results),
        conditions=tuple(conditions),
        next_tier=next_tier_gap(profile, rules, tier),
        improvements=tuple(_improvements(profile, rules, scored)),
        subsidy_hints=tuple(
            [_hint(s, today, potential=False) for s in current]
            + [_hint(s, today, potential=True) for s in potential]
        ),
        district=profile.district,
        today=today,
    )


def _assess_institution(profile: Profile, rules: Rules, today: date) -> Assessment:
    tier = tier_for(profile, rules)
    current = subsidies_for(profile, rules)
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
        next_tier=next_tier_gap(profile, rules, tier),
        subsidy_hints=tuple(_hint(s, today, potential=False) for s in current),
        district=profile.district,
        today=today,
    )


# ---------------------------------------------------------------- indicators


@dataclass(frozen=True, slots=True)
class _PartScore:
    points: int
    band: Band | None = None
    option: str | None = None
    option_label: Label | None = None


def _ratio(numerator: Decimal | None, denominator: Decimal | None, on_zero: str) -> Ratio:
    """numerator/denominator in percent, exactly; None when it cannot be known."""
    if numerator is None or denominator is None:
        return None
    if denominator == 0:
        if numerator == 0:
            return Fraction(0)
        return UNBOUNDED if on_zero == "unbounded" and numerator > 0 else None
    return Fraction(numerator) * HUNDRED / Fraction(denominator)


def _band_high(bands: list[Band], value: Fraction | Decimal | _Unbounded) -> Band:
    for band in bands:
        if band.min is None or isinstance(value, _Unbounded) or value >= band.min:
            return band
    return bands[-1]


def _part_score(part: Part, profile: Profile) -> _PartScore:
    if isinstance(part, BandHighPart | BandLowPart):
        value = getattr(profile, part.field)
        if value is None:
            return _PartScore(0)
        if isinstance(part, BandHighPart):
            band = _band_high(part.bands, value)
        else:
            band = next(b for b in part.bands if b.max is None or value <= b.max)
        return _PartScore(band.points, band)
    if isinstance(part, RatioHighPart):
        ratio = _ratio(
            getattr(profile, part.numerator),
            getattr(profile, part.denominator),
            part.on_zero_denominator,
        )
        if ratio is None:
            return _PartScore(0)
        band = _band_high(part.bands, ratio)
        return _PartScore(band.points, band)
    if isinstance(part, StepPart):
        value = getattr(profile, part.field)
        if value is None:
            return _PartScore(0)
        return _PartScore(int(value // part.step) * part.points_per_step)
    if isinstance(part, ChoicePart):
        value = getattr(profile, part.field)
        for opt in part.options:
            if value is not None and opt.value == value and type(opt.value) is type(value):
                return _PartScore(opt.points, option=str(opt.value), option_label=opt.label)
        return _PartScore(0)
    held = getattr(profile, part.field)
    if not held:
        return _PartScore(0)
    return _PartScore(len(held) * part.points_each)


def _combine(indicator: Indicator, points: list[int]) -> int:
    total = max(points) if indicator.combine == "max" else sum(points)
    return min(total, indicator.max)


def _score(
    profile: Profile, rules: Rules
) -> tuple[list[IndicatorResult], list[tuple[Indicator, list[_PartScore]]]]:
    results: list[IndicatorResult] = []
    scored: list[tuple[Indicator, list[_PartScore]]] = []
    for ind in rules.indicators.indicator:
        parts = [_part_score(p, profile) for p in ind.part]
        points = _combine(ind, [p.points for p in parts])
        answered = any(profile.answered(f) for f in ind.fields)
        best = max(parts, key=lambda p: p.points) if len(parts) > 1 else parts[0]
        shown = best if (len(parts) == 1 or ind.combine == "max") else None
        band = shown.band if shown else None
        results.append(
            IndicatorResult(
                number=ind.number,
                group=ind.group,
                points=points,
                max=ind.max,
                answered=answered,
                band=band.option if band else (shown.option if shown else None),
                band_label=band.label if band else (shown.option_label if shown else None),
            )
        )
        scored.append((ind, parts))
    return results, scored


def score(profile: Profile, rules: Rules) -> int:
    """The total score out of 100 of an enterprise profile."""
    results, _ = _score(profile, rules)
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


def _pct(ratio: Ratio) -> Decimal | None:
    """A ratio for display: percent with two decimals (never used for a comparison)."""
    if ratio is None or isinstance(ratio, _Unbounded):
        return None
    exact = Decimal(ratio.numerator) / Decimal(ratio.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()


def _conditions(profile: Profile, rules: Rules, score: int, direct: list[str]) -> list[ConditionResult]:
    c = rules.conditions
    certs = rules.certifications
    out: list[ConditionResult] = []

    need_level = c.innovative_sme.min_certification
    ok = certs.rank(profile.certification) >= certs.rank(need_level)
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
    ratio = _ratio(rd, revenue, "unbounded")
    amount_ok = rd is not None and rd >= need_rd
    ratio_ok = ratio is not None and (isinstance(ratio, _Unbounded) or ratio >= need_ratio)
    rd_gaps: list[Gap] = []
    if not amount_ok:
        rd_gaps.append(Gap("rd_expense", "yuan", need_rd, rd, need_rd - (rd or 0)))
    if not ratio_ok:
        have = _pct(ratio)
        short_amount = None
        if revenue is not None:
            short_amount = _ceil_yuan(Fraction(need_ratio) * Fraction(revenue) / HUNDRED) - (rd or 0)
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


def _ceil_yuan(value: Fraction) -> Decimal:
    """Round a yuan amount up to the fen (0.01), so that reaching it is enough."""
    fen = -((-value * 100) // 1)
    return (Decimal(int(fen)) / 100).normalize()


# ---------------------------------------------------------------- tiers


def _tier_gaps(profile: Profile, rules: Rules, tier: Tier) -> list[Gap]:
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
    if req.min_certification is not None:
        certs = rules.certifications
        if certs.rank(profile.certification) < certs.rank(req.min_certification):
            gaps.append(Gap("certification", "certification", req.min_certification, profile.certification))
    return gaps


def tier_for(profile: Profile, rules: Rules) -> Tier | None:
    """The highest tier whose measurable requirements hold, or None."""
    for tier in reversed(rules.tiers.tier):
        if not _tier_gaps(profile, rules, tier):
            return tier
    return None


def next_tier_gap(profile: Profile, rules: Rules, current: Tier | None) -> TierGap | None:
    """What the tier above `current` still needs; None at the top."""
    rank = current.rank if current else 0
    above = [t for t in rules.tiers.tier if t.rank == rank + 1]
    if not above:
        return None
    tier = above[0]
    checks = tier.qualitative.service_institution if profile.is_institution else tier.qualitative.enterprise
    return TierGap(tier.id, tuple(_tier_gaps(profile, rules, tier)), tuple(checks))


# ---------------------------------------------------------------- subsidies


def _clause_holds(clause: Clause, profile: Profile, rules: Rules, certification: str | None) -> bool:
    if clause.org_type != (profile.org_type or "enterprise"):
        return False
    certs = rules.certifications
    if clause.min_certification is not None and certs.rank(certification) < certs.rank(
        clause.min_certification
    ):
        return False
    if clause.certifications is not None and certification not in clause.certifications:
        return False
    if any(getattr(profile, flag) is not True for flag in clause.flags):
        return False
    if clause.min_annual_tax is not None:
        tax = profile.annual_tax
        if tax is None or tax < clause.min_annual_tax:
            return False
    return True


def subsidies_for(profile: Profile, rules: Rules, certification: str | None = None) -> list[Subsidy]:
    """The subsidy items whose conditions hold, with `certification` if given."""
    level = certification if certification is not None else profile.certification
    return [
        s for s in rules.subsidies.subsidy if any(_clause_holds(c, profile, rules, level) for c in s.when)
    ]


def _hint(subsidy: Subsidy, today: date, potential: bool) -> SubsidyHint:
    status: Literal["current", "expired", "not_yet_valid"]
    if subsidy.valid_to is not None and today > subsidy.valid_to:
        status = "expired"
    elif subsidy.valid_from is not None and today < subsidy.valid_from:
        status = "not_yet_valid"
    else:
        status = "current"
    return SubsidyHint(
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


# ---------------------------------------------------------------- improvements


def _improvements(
    profile: Profile, rules: Rules, scored: list[tuple[Indicator, list[_PartScore]]]
) -> list[Improvement]:
    """The three single changes that would add the most points (one per indicator)."""
    best: list[tuple[int, Decimal, Improvement]] = []
    for ind, parts in scored:
        current = _combine(ind, [p.points for p in parts])
        if current >= ind.max:
            continue
        candidates: list[tuple[int, Decimal, Improvement]] = []
        for i, part in enumerate(ind.part):
            step = _next_step(part, parts[i], profile, ind)
            if step is None:
                continue
            new_points, improvement = step
            trial = [p.points for p in parts]
            trial[i] = new_points
            gain = _combine(ind, trial) - current
            if gain <= 0:
                continue
            cost = (
                improvement.short_amount
                if improvement.short_amount is not None
                else (improvement.short if improvement.unit == "yuan" and improvement.short else Decimal(0))
            )
            candidates.append((gain, cost, _with_gain(improvement, gain)))
        if candidates:
            candidates.sort(key=lambda c: (-c[0], c[1]))
            best.append(candidates[0])
    best.sort(key=lambda c: (-c[0], c[2].indicator))
    return [c[2] for c in best[:3]]


def _with_gain(improvement: Improvement, gain: int) -> Improvement:
    return Improvement(
        indicator=improvement.indicator,
        gain=gain,
        metric=improvement.metric,
        unit=improvement.unit,
        target=improvement.target,
        target_label=improvement.target_label,
        short=improvement.short,
        short_amount=improvement.short_amount,
    )


def _next_step(
    part: Part, now: _PartScore, profile: Profile, ind: Indicator
) -> tuple[int, Improvement] | None:
    """The nearest better band or option of one part: (its points, the change)."""
    n = ind.number
    if isinstance(part, BandHighPart | BandLowPart):
        value = getattr(profile, part.field)
        if value is None or now.band is None:
            return None
        idx = part.bands.index(now.band)
        if idx == 0:
            return None
        target = part.bands[idx - 1]
        need = target.min if isinstance(part, BandHighPart) else target.max
        assert need is not None
        short = (need - value) if isinstance(part, BandHighPart) else (value - need)
        return target.points, Improvement(n, 0, part.field, part.unit, need, target.label, short)
    if isinstance(part, RatioHighPart):
        num, den = getattr(profile, part.numerator), getattr(profile, part.denominator)
        if num is None or den is None or den == 0 or now.band is None:
            return None
        idx = part.bands.index(now.band)
        if idx == 0:
            return None
        target = part.bands[idx - 1]
        assert target.min is not None
        ratio = Fraction(num) * HUNDRED / Fraction(den)
        short_pct = _pct(Fraction(target.min) - ratio)
        amount = _ceil_yuan(Fraction(target.min) * Fraction(den) / HUNDRED) - num
        metric = f"{part.numerator}_to_{part.denominator}_pct"
        return target.points, Improvement(n, 0, metric, "pct", target.min, target.label, short_pct, amount)
    if isinstance(part, StepPart):
        value = getattr(profile, part.field)
        if value is None:
            return None
        need = (value // part.step + 1) * part.step
        return now.points + part.points_per_step, Improvement(
            n, 0, part.field, part.unit, need, None, need - value
        )
    if isinstance(part, ChoicePart):
        if getattr(profile, part.field) is None:
            return None
        better = [o for o in part.options if o.points > now.points]
        if not better:
            return None
        target_opt = min(better, key=lambda o: o.points)
        return target_opt.points, Improvement(
            n, 0, part.field, "choice", str(target_opt.value), target_opt.label
        )
    assert isinstance(part, MultiPart)
    held = getattr(profile, part.field)
    if held is None or len(held) >= len(part.options):
        return None
    return now.points + part.points_each, Improvement(n, 0, part.field, "item", None)
