"""The result as a person reads it on a phone: a short answer, the details on request,
"what if", and the progress since last time.

The short answer keeps to :data:`LINE_BUDGET` lines on a screen :data:`SCREEN_COLUMNS`
wide (a wide CJK character takes two columns, see :func:`screen_lines`); each detail part
names its source in the seed documents. Every sentence comes from the catalogs, every
figure from the rules data. Pure functions, no I/O.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from dialogs import render
from dialogs.i18n import Catalogs
from dialogs.parsing import format_decimal
from rules import Assessment, Rules
from rules.assessment import ConditionResult, Gap, Improvement, IndicatorResult, SubsidyHint
from rules.compare import Change
from rules.model import ChoicePart, DirectRoute, Indicator, MultiPart, Source, StepPart, Tier

SCREEN_COLUMNS = 60
LINE_BUDGET = 15

# The parts behind the buttons after a result: /details <part>.
DETAIL_PARTS = ("indicators", "conditions", "tier", "subsidies", "contacts")

# Short names for the one-line views (the catalogs' metric.* names are for questions).
SHORT_NAMES = {
    "revenue": "short.name.revenue",
    "profit": "short.name.profit",
    "rd_expense": "short.name.rd_expense",
    "rd_expense_to_revenue_pct": "short.name.rd_ratio",
    "registered_capital": "short.name.registered_capital",
    "niche_years": "short.name.niche_years",
    "equity_financing_2y": "short.name.equity_financing_2y",
    "score": "short.name.score",
}
# Conditions by a short name ("新满足条件：研发费用").
CONDITION_NAMES = {
    "innovative_sme": "cond.name.innovative_sme",
    "niche_years": "cond.name.niche_years",
    "rd_expense": "cond.name.rd_expense",
    "revenue": "cond.name.revenue",
    "score_or_direct": "cond.name.score_or_direct",
}
DETAIL_LABELS = {
    "indicators": "details.button.indicators",
    "conditions": "details.button.conditions",
    "tier": "details.button.tier",
    "subsidies": "details.button.subsidies",
    "contacts": "details.button.contacts",
}


# ---------------------------------------------------------------- screen width


def columns(text: str) -> int:
    """How many terminal columns `text` takes: wide and full-width characters count 2."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200d\ufe0f":
            continue
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return width


def screen_lines(text: str, width: int = SCREEN_COLUMNS) -> int:
    """How many lines `text` fills on a screen `width` columns wide (blank lines count)."""
    return sum(max(1, math.ceil(columns(line) / width)) for line in text.split("\n"))


def clip(text: str, width: int, mark: str = "…") -> str:
    """`text` cut to at most `width` columns, ending in `mark` when cut."""
    if columns(text) <= width:
        return text
    out, used = [], columns(mark)
    for ch in text:
        w = columns(ch)
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip("，,、；; ") + mark


def pack(items: Sequence[str], sep: str, width: int = SCREEN_COLUMNS) -> list[str]:
    """Short items joined by `sep` on shared lines of at most `width` columns; an item too
    long to share a line stands on its own (and wraps: nothing is cut)."""
    lines: list[str] = []
    for item in items:
        if lines and columns(lines[-1]) + columns(sep) + columns(item) <= width:
            lines[-1] += sep + item
        else:
            lines.append(item)
    return lines


# ---------------------------------------------------------------- shared pieces


@dataclass(frozen=True)
class View:
    """What every renderer here needs: the rules, the catalogs and the language."""

    rules: Rules
    cat: Catalogs
    lang: str

    def t(self, key: str, **values: Any) -> str:
        return self.cat.text(self.lang, key, **values)

    def sep(self) -> str:
        return self.t("list.sep")

    def tier_label(self, tier_id: str | None) -> str:
        for tier in self.rules.tiers.tier:
            if tier.id == tier_id:
                return tier.label.get(self.lang)
        return self.t("value.none")

    def no_tier(self) -> str:
        """ "暂未达到本会会员单位条件": the lowest tier named from the rules data."""
        return self.t("result.no_tier", tier=self.rules.tiers.tier[0].label.get(self.lang))

    def short_name(self, metric: str) -> str:
        key = SHORT_NAMES.get(metric)
        return self.t(key) if key else self.t(f"metric.{metric}")

    def condition_name(self, cond_id: str) -> str:
        key = CONDITION_NAMES.get(cond_id)
        return self.t(key) if key else cond_id

    def indicator(self, number: int) -> Indicator:
        return self.rules.indicators.indicator[number - 1]

    def value(self, gap_unit: str, value: Decimal | str | None) -> str:
        if value is None:
            return self.t("value.unanswered")
        if gap_unit == "certification":
            return render.certification(str(value), self.rules, self.lang, self.cat)
        assert isinstance(value, Decimal)
        if gap_unit == "yuan":
            return render.money(value, self.lang, self.cat)
        if gap_unit == "pct":
            return render.percent(value)
        if gap_unit == "years":
            return render.years(value, self.lang, self.cat)
        return format_decimal(value)


def sources_lines(sources: Iterable[Source], view: View) -> list[str]:
    """One source line per seed document, its clauses merged: "三、培育措施（一）…" and
    "三、培育措施（五）…" → "三、培育措施（一）（五）"; "二、（一）4" and "二、（四）13" →
    "二、（一）4、（四）13"."""
    by_file: dict[str, dict[str, list[str]]] = {}
    for source in sources:
        head, _, rest = source.clause.partition("（")
        tail = ""
        if rest:
            inner, _, after = rest.partition("）")
            tail = "（" + inner + "）" + re.match(r"[0-9]*", after).group(0)  # type: ignore[union-attr]
        tails = by_file.setdefault(source.file, {}).setdefault(head, [])
        if tail not in tails:
            tails.append(tail)
    lines = []
    for file, heads in by_file.items():
        clauses = [h + _joined_tails(sorted(tails, key=_clause_order), view) for h, tails in heads.items()]
        lines.append(render.source_text(file, view.sep().join(clauses), view.rules, view.lang, view.cat))
    return lines


_NUMERALS = "一二三四五六七八九十"


def _joined_tails(tails: list[str], view: View) -> str:
    """ "（一）（五）", "（一）4、（四）13", and a run of three or more sections in a row as
    "（一）至（七）"."""
    if any(t[-1:].isdigit() for t in tails):
        return view.sep().join(tails)
    ranks = [_NUMERALS.find(t[1:-1]) if len(t) == 3 else -1 for t in tails]
    if len(tails) >= 3 and min(ranks) >= 0 and ranks == list(range(ranks[0], ranks[0] + len(ranks))):
        return view.t("source.clause_range", first=tails[0], last=tails[-1])
    return "".join(tails)


def _clause_order(tail: str) -> tuple[int, int]:
    """（一）… before （二）…; （一）4 before （一）13."""
    inner = tail[1:].partition("）")[0]
    rank = _NUMERALS.find(inner) if len(inner) == 1 else len(_NUMERALS)
    digits = re.sub(r"\D", "", tail.partition("）")[2])
    return (rank if rank >= 0 else len(_NUMERALS), int(digits) if digits else 0)


def _short_gap(gap: Gap, view: View) -> str:
    """A shortfall in one phrase: "研发费用 90 万元，差 10 万元（需 ≥ 100 万元）"."""
    name = view.short_name(gap.metric)
    need = view.value(gap.unit, gap.need)
    if gap.unit == "certification":
        return view.t("short.gap.certification", need=need)
    if gap.have is None:
        return view.t("short.gap.unanswered", name=name, need=need)
    have = view.value(gap.unit, gap.have)
    if gap.unit == "pct":
        text = view.t("short.gap.ratio", name=name, have=have, need=need)
        if gap.short_amount is not None and gap.short_amount > 0:
            text += view.t(
                "short.gap.ratio_amount", amount=render.money(gap.short_amount, view.lang, view.cat)
            )
        return text
    short = view.value(gap.unit, gap.short) if gap.short is not None else ""
    return view.t("short.gap", name=name, have=have, short=short, need=need)


def _failed_lines(cond: ConditionResult, view: View) -> list[str]:
    if cond.id == "innovative_sme":
        return [view.t("short.cond.innovative_sme")]
    lines = ["✗ " + _short_gap(g, view) for g in cond.gaps]
    if cond.alternative is not None and lines:
        lines[-1] += view.t("short.gap.or", alternative=_short_gap(cond.alternative, view))
    if cond.id == "score_or_direct" and lines:
        lines[-1] += view.t("short.gap.or_direct")
    return lines or ["✗ " + view.condition_name(cond.id)]


def improvement_text(imp: Improvement, view: View, answers: Mapping[str, Any] | None = None) -> str:
    """What an improvement asks for, without its gain: "省级研发机构", "达到 20%"."""
    if imp.unit == "choice" and imp.target_label is not None:
        return imp.target_label.get(view.lang)
    if imp.unit == "item":
        return view.t("improve.one_more_item")
    target = imp.target if isinstance(imp.target, Decimal) else None
    if target is None:
        return ""
    if imp.unit == "pct":
        what = view.t("improve.reach", value=render.percent(target))
        if imp.short_amount is not None and imp.short_amount > 0:
            what += view.t("improve.amount", amount=render.money(imp.short_amount, view.lang, view.cat))
        return what
    return view.t("improve.reach", value=view.value(str(imp.unit), target))


def _improvement_line(imp: Improvement, view: View) -> str:
    """ "• 研发机构：省级研发机构，+4 分": whole (a long option label wraps, never cut)."""
    name = view.short_name(imp.metric)
    return view.t("short.improve", name=name, what=improvement_text(imp, view), gain=imp.gain)


def _next_tier_line(a: Assessment, view: View) -> str | None:
    nxt = a.next_tier
    if nxt is None:
        return None
    tier = view.tier_label(nxt.tier)
    needs = []
    for g in nxt.gaps:
        if g.unit == "certification":
            needs.append(view.value("certification", g.need))
        elif g.have is None:
            needs.append(view.t("short.need.unanswered", name=view.short_name(g.metric)))
        else:
            short = view.value(g.unit, g.short) if g.short is not None else ""
            needs.append(view.t("short.need", name=view.short_name(g.metric), short=short))
    if not needs:
        return view.t("short.next_tier.verified", tier=tier)
    return view.t("short.next_tier", tier=tier, needs=view.sep().join(needs))


def _validity_years(hints: Sequence[SubsidyHint]) -> tuple[str, str]:
    starts = [h.valid_from.year for h in hints if h.valid_from]
    ends = [h.valid_to.year for h in hints if h.valid_to]
    return (str(min(starts)) if starts else "", str(max(ends)) if ends else "")


def subsidy_line(hints: Sequence[SubsidyHint], view: View) -> str:
    """All the subsidy hints in one line: how many, and one validity notice."""
    if not hints:
        return view.t("result.no_subsidies")
    held = [h for h in hints if not h.potential]
    potential = [h for h in hints if h.potential]
    level = render.certification(view.rules.conditions.recognition_level, view.rules, view.lang, view.cat)
    if held and potential:
        count = view.t("short.subsidies.both", n=len(held), m=len(potential), level=level)
    elif potential:
        count = view.t("short.subsidies.potential", n=len(potential), level=level)
    else:
        count = view.t("short.subsidies.held", n=len(held))
    expired = [h for h in hints if h.status == "expired"]
    if expired and len(expired) == len(hints):
        start, end = _validity_years(expired)
        return count + view.t("short.subsidies.all_expired", start=start, end=end)
    if expired:
        return count + view.t("short.subsidies.some_expired", k=len(expired))
    return count


def contacts_line(view: View) -> str:
    a = view.rules.contacts.association
    people = " · ".join(
        view.t("short.contact", person=d.person.get(view.lang), phone=d.phone) for d in a.department
    )
    return view.t("short.contacts", people=people)


# ---------------------------------------------------------------- the short result


@dataclass
class _Line:
    text: str
    drop: int = 0  # 0: always kept; otherwise dropped, highest first, to fit the budget


def _fit(parts: list[list[_Line]], budget: int) -> list[list[_Line]]:
    """Drop optional lines, the highest `drop` first and the last of equals first, until
    the parts (a blank line apart) fit in `budget` screen lines."""

    def size(ps: list[list[_Line]]) -> int:
        kept = [p for p in ps if p]
        return sum(screen_lines(line.text) for p in kept for line in p) + max(0, len(kept) - 1)

    parts = [list(p) for p in parts]
    while size(parts) > budget:
        candidates = [(line.drop, i, j) for i, p in enumerate(parts) for j, line in enumerate(p) if line.drop]
        if not candidates:
            break
        _, i, j = max(candidates)
        del parts[i][j]
        if parts[i] and all(line.drop < 0 for line in parts[i]):
            parts[i] = []  # a header left without its lines
    return [p for p in parts if p]


def short_result(
    a: Assessment,
    view: View,
    intro: str | None = None,
    progress: str | None = None,
    budget: int = LINE_BUDGET,
) -> tuple[str, ...]:
    """The result in at most `budget` screen lines: score and verdict, what is missing, the
    three changes worth most, the tier and the next one, one subsidy line, one contacts
    line. `intro` ("这是您 … 的结果") and `progress` ("比 … 的评估 +6 分") go on top."""
    head: list[_Line] = [_Line(intro)] if intro else []
    if a.score is not None:
        if a.eligible:
            verdict = view.t("short.direct_pass") if a.direct_pass else view.t("short.eligible")
        else:
            verdict = view.t("short.not_eligible")
        head.append(
            _Line(
                view.t(
                    "short.score",
                    score=a.score,
                    max=sum(g.max for g in view.rules.indicators.group),
                    pass_mark=view.rules.conditions.score_or_direct.min_score,
                    verdict=verdict,
                )
            )
        )
        failed = [c for c in a.conditions if not c.met]
        lines = [line for c in failed for line in _failed_lines(c, view)]
        head += [_Line(line, drop=2) for line in lines]
        if a.unanswered:
            head.append(_Line(view.t("short.unanswered", n=len(a.unanswered)), drop=3))
    else:
        head.append(_Line(view.t("short.institution")))
    if progress:
        head.append(_Line(progress, drop=1))

    better: list[_Line] = []
    if a.improvements:
        better.append(_Line(view.t("short.improvements"), drop=-1))
        better += [_Line(_improvement_line(imp, view), drop=4 + i) for i, imp in enumerate(a.improvements)]

    tier = view.t("result.tier", tier=view.tier_label(a.tier)) if a.tier else view.no_tier()
    rest = [_Line(tier)]
    nxt = _next_tier_line(a, view)
    if nxt:
        rest.append(_Line(nxt, drop=3))
    rest += [_Line(subsidy_line(a.subsidy_hints, view)), _Line(contacts_line(view))]

    fitted = _fit([head, better, rest], budget)
    if sum(screen_lines(line.text) for p in fitted for line in p) + len(fitted) - 1 > budget:
        # still too long: the failed conditions become one line (the details are a button away)
        count = len([c for c in a.conditions if not c.met])
        head = [line for line in head if line.drop != 2]
        head.insert(len(head) - (1 if progress else 0), _Line(view.t("short.failed_count", n=count)))
        fitted = _fit([head, better, rest], budget)
    return tuple("\n".join(line.text for line in p) for p in fitted)


def progress_line(change: Change, made_on: date, view: View) -> str:
    """What changed since an earlier assessment, in at most two screen lines."""
    when = made_on.isoformat()
    if change.nothing:
        return view.t("short.progress.same", date=when)
    pieces = [
        view.t("short.progress.indicator", name=view.indicator(n).label.get(view.lang), delta=_signed(d))
        for n, d in change.indicators
    ]
    shown = len(pieces)
    while True:  # the indicators that changed most first; fewer of them, never a figure cut
        text = _progress_text(change, when, pieces, shown, view)
        if shown <= 1 or screen_lines(text) <= 2:
            return text
        shown -= 1


def _progress_text(change: Change, when: str, pieces: list[str], shown: int, view: View) -> str:
    changes = view.t("list.comma").join(pieces[:shown])
    if shown < len(pieces):
        changes += view.t("short.progress.more", n=len(pieces) - shown)
    text = view.t("short.progress", date=when, delta=_signed(change.score_delta or 0), changes=changes)
    if change.newly_met:
        text += view.t(
            "short.progress.met", conditions=view.sep().join(view.condition_name(c) for c in change.newly_met)
        )
    if change.newly_failed:
        text += view.t(
            "short.progress.failed",
            conditions=view.sep().join(view.condition_name(c) for c in change.newly_failed),
        )
    if change.tier_changed:
        text += view.t(
            "short.progress.tier",
            before=view.tier_label(change.tier_before),
            after=view.tier_label(change.tier_after),
        )
    return text


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else (f"{n}" if n < 0 else "±0")


# ---------------------------------------------------------------- details on request


def band_text(ind: Indicator, result: IndicatorResult, answers: Mapping[str, Any], view: View) -> str:
    """The band or answer an indicator's points came from, as a person reads it."""
    if not result.answered:
        return view.t("value.unanswered")
    if result.band_label is not None and len(ind.part) == 1:
        return result.band_label.get(view.lang)
    pieces: list[str] = []
    several = len(ind.part) > 1  # 9: the distinctive items, and the talent item beside them
    for part in ind.part:
        if isinstance(part, MultiPart):
            held = answers.get(part.field) or []
            pieces.append(view.t("details.items", n=len(held)))
        elif isinstance(part, ChoicePart):
            value = answers.get(part.field)
            for option in part.options:
                if value is not None and option.value == value and type(option.value) is type(value):
                    none = several and not option.points  # "以上都没有" reads oddly beside the items
                    label = view.t("value.none") if none else option.label.get(view.lang)
                    named = view.t("details.part", name=view.t(f"metric.{part.field}"), value=label)
                    pieces.append(named if several else label)
        elif isinstance(part, StepPart):
            value = answers.get(part.field)
            if value is not None:
                pieces.append(render.years(Decimal(str(value)), view.lang, view.cat))
        elif result.band_label is not None:
            pieces.append(result.band_label.get(view.lang))
            break
    if several:
        return view.t("details.part_sep").join(pieces) if pieces else view.t("value.none")
    return view.sep().join(pieces) if pieces else view.t("value.none")


def indicators_detail(a: Assessment, answers: Mapping[str, Any], view: View) -> str:
    """指标明细: the 13 indicators in their groups, each with its band and points."""
    if a.score is None or a.groups is None:
        return view.t("details.not_scored")
    lines = [
        view.t("details.indicators.title", score=a.score, max=sum(g.max for g in view.rules.indicators.group))
    ]
    by_number = {r.number: r for r in a.indicator_results}
    for group in view.rules.indicators.group:
        lines.append(
            view.t("details.group", name=group.label.get(view.lang), points=a.groups[group.id], max=group.max)
        )
        for ind in view.rules.indicators.indicator:
            if ind.group != group.id:
                continue
            r = by_number[ind.number]
            lines.append(
                view.t(
                    "details.indicator",
                    n=ind.number,
                    name=ind.label.get(view.lang),
                    band=band_text(ind, r, answers, view),
                    points=r.points,
                    max=r.max,
                )
            )
    if a.unanswered:
        names = view.sep().join(view.t(f"metric.{f}") for f in a.unanswered)
        lines.append(view.t("result.unanswered.detail", fields=names))
    lines += sources_lines([g.source for g in view.rules.indicators.group], view)
    return "\n".join(lines)


def _condition_sources(view: View) -> list[Source]:
    c = view.rules.conditions
    return [
        getattr(c, n).source
        for n in ("niche_years", "rd_expense", "revenue", "score_or_direct", "innovative_sme")
    ]


def conditions_detail(a: Assessment, view: View) -> str:
    """条件: each recognition condition met or not, with what is missing."""
    if a.score is None:
        return view.t("details.not_scored")
    c = view.rules.conditions
    lines = [view.t("details.conditions.title")]
    for cond in a.conditions:
        label = getattr(c, cond.id).label.get(view.lang)
        lines.append(("✓ " if cond.met else "✗ ") + label)
        if not cond.met:
            if cond.id == "innovative_sme":
                lines.append("  " + view.t("condition.innovative_sme.first_step"))
            lines += ["  " + render.gap_line(g, view.rules, view.lang, view.cat) for g in cond.gaps]
            if cond.alternative is not None:
                lines.append(
                    "  "
                    + view.t("gap.or")
                    + render.gap_line(cond.alternative, view.rules, view.lang, view.cat)
                )
    if a.direct_pass:
        routes: dict[str, DirectRoute] = {r.id: r for r in c.direct_route}
        lines.append(
            view.t(
                "result.direct_pass",
                routes=view.sep().join(routes[d].label.get(view.lang) for d in a.direct_pass),
            )
        )
    elif a.score < c.score_or_direct.min_score:
        lines.append(view.t("details.direct_routes", min_score=c.score_or_direct.min_score))
        lines += ["• " + r.label.get(view.lang) for r in c.direct_route]
    lines.append(view.t("result.eligible") if a.eligible else view.t("result.not_eligible.short"))
    lines += sources_lines(_condition_sources(view), view)
    return "\n".join(lines)


def tier_detail(a: Assessment, view: View) -> str:
    """会员等级: the tier this result reaches and what the next one needs."""
    tiers: dict[str, Tier] = {t.id: t for t in view.rules.tiers.tier}
    lines = [view.t("result.tier", tier=view.tier_label(a.tier)) if a.tier else view.no_tier()]
    if a.next_tier is not None:
        nxt = a.next_tier
        lines.append(view.t("result.next_tier", tier=view.tier_label(nxt.tier)))
        lines += ["• " + render.gap_line(g, view.rules, view.lang, view.cat) for g in nxt.gaps]
        if nxt.qualitative:
            lines.append(
                view.t("result.verified", items=view.sep().join(q.get(view.lang) for q in nxt.qualitative))
            )
    else:
        lines.append(view.t("details.tier.top"))
    shown = [t for t in (a.tier, a.next_tier.tier if a.next_tier else None) if t]
    lines += sources_lines([tiers[t].source for t in shown] or [view.rules.tiers.tier[0].source], view)
    return "\n".join(lines)


def _mark(hint: SubsidyHint, view: View) -> str:
    """⌛ before an expired item, • before the others: expired where it is listed."""
    return view.t("subsidy.mark.expired" if hint.status == "expired" else "subsidy.mark.current")


def subsidy_items(hints: Sequence[SubsidyHint], view: View) -> list[str]:
    """Each item once, marked when expired: its title and amount, and whom it is for."""
    lines: list[str] = []
    for h in hints:
        lines.append(
            view.t(
                "subsidy.item",
                mark=_mark(h, view),
                title=h.title.get(view.lang),
                amount=render.amount_text(h.amount, view.lang, view.cat),
            )
        )
        lines.append("  " + view.t("subsidy.who", who=h.who.get(view.lang)))
    return lines


def subsidy_briefs(hints: Sequence[SubsidyHint], view: View) -> list[str]:
    """Each item on one line of a phone screen, marked when expired: its short title (the
    rules data's) and its amount in brief."""
    shorts = {s.id: s.short or s.title for s in view.rules.subsidies.subsidy}
    return [
        view.t(
            "subsidy.brief",
            mark=_mark(h, view),
            title=shorts.get(h.id, h.title).get(view.lang),
            amount=render.amount_brief(h.amount, view.lang, view.cat),
        )
        for h in hints
    ]


def validity_notices(hints: Sequence[SubsidyHint], view: View) -> list[str]:
    """One notice per distinct validity (for the plan of 003, one for the whole plan)."""
    notes: list[str] = []
    for h in hints:
        note = render.validity_text(h.valid_from, h.valid_to, h.status, view.lang, view.cat)
        if note and note not in notes:
            notes.append(note)
    return notes


def validity_notes(hints: Sequence[SubsidyHint], view: View) -> list[str]:
    """The validity notices, then one source line per document."""
    return validity_notices(hints, view) + sources_lines([h.source for h in hints], view)


def subsidies_heading(hints: Sequence[SubsidyHint], view: View) -> list[str]:
    """The first lines of a list of items: the expiry is read before any amount. Every item
    expired alike (the plan of 003): "💰 市级培育措施（2022—2024 年）⌛ 均已到期，请…"; else
    the heading, what ⌛ means if any item is expired, and each validity notice."""
    expired = [h for h in hints if h.status == "expired"]
    notices = validity_notices(hints, view)
    if expired and len(expired) == len(hints) and len(notices) == 1:
        start, end = _validity_years(expired)
        return [view.t("subsidies.heading.expired", start=start, end=end)]
    heading = view.t("subsidies.heading") + (view.t("subsidies.legend") if expired else "")
    return [heading, *notices]


def subsidies_detail(a: Assessment, view: View) -> str:
    """补贴: the items this result points to (held, then unlocked by recognition), the
    expiry first."""
    held = [h for h in a.subsidy_hints if not h.potential]
    potential = [h for h in a.subsidy_hints if h.potential]
    if not held and not potential:
        return view.t("result.no_subsidies")
    lines = subsidies_heading([*held, *potential], view)
    if held:
        lines.append(view.t("result.subsidies"))
        lines += subsidy_items(held, view)
    if potential:
        lines.append(view.t("result.potential_subsidies"))
        lines += subsidy_items(potential, view)
    lines += sources_lines([h.source for h in [*held, *potential]], view)
    return "\n".join(lines)


def contacts_detail(district: str | None, view: View) -> str:
    """联系方式: the association, and the district's SME authority when known."""
    text = render.contacts_text(view.rules, view.lang, view.cat, district)
    contacts = view.rules.contacts
    sources = [contacts.association.source]
    if district and contacts.districts.find(district) is not None:
        sources.append(contacts.districts.source)
    return text + "\n" + "\n".join(sources_lines(sources, view))


def detail(part: str, a: Assessment, answers: Mapping[str, Any], view: View) -> str:
    """One part behind the result's buttons (see :data:`DETAIL_PARTS`)."""
    if part == "indicators":
        return indicators_detail(a, answers, view)
    if part == "conditions":
        return conditions_detail(a, view)
    if part == "tier":
        return tier_detail(a, view)
    if part == "subsidies":
        return subsidies_detail(a, view)
    return contacts_detail(a.district, view)


def all_subsidies(view: View, today: date, full: bool = False) -> list[str]:
    """/subsidies: every item of the plan once, a line each, under a heading that carries
    the expiry, each expired item marked; one source line per document. `full` (/subsidies
    all) adds whom each item is for, in the source's words."""
    hints = [
        SubsidyHint(
            id=s.id,
            title=s.title,
            who=s.who,
            amount=s.amount,
            source=s.source,
            valid_from=s.valid_from,
            valid_to=s.valid_to,
            status=_status(render.subsidy_status(s, today)),
            potential=False,
        )
        for s in view.rules.subsidies.subsidy
    ]
    items = subsidy_items(hints, view) if full else subsidy_briefs(hints, view)
    sources = sources_lines([h.source for h in hints], view)
    return ["\n".join([*subsidies_heading(hints, view), *items, *sources])]


def _status(status: str) -> Literal["current", "expired", "not_yet_valid"]:
    if status == "expired":
        return "expired"
    return "not_yet_valid" if status == "not_yet_valid" else "current"


# ---------------------------------------------------------------- what if


def whatif_text(
    changed: Sequence[tuple[str, str]],
    before: Assessment,
    after: Assessment,
    change: Change,
    view: View,
) -> str:
    """A what-if's outcome: the changes tried, the new score, the conditions and tier that
    change, and the subsidies that would apply. `changed` is (name, value as shown)."""
    tried = view.t("list.comma").join(view.t("whatif.change", name=n, value=v) for n, v in changed)
    lines = [view.t("whatif.title", changes=tried)]
    if after.score is not None and before.score is not None:
        pieces = [
            view.t("short.progress.indicator", name=view.indicator(n).label.get(view.lang), delta=_signed(d))
            for n, d in change.indicators
        ]
        lines.append(
            view.t(
                "whatif.score",
                before=before.score,
                after=after.score,
                delta=_signed(after.score - before.score),
                changes=view.t("list.comma").join(pieces) or view.t("whatif.no_points"),
            )
        )
        if change.newly_met or change.newly_failed:
            if change.newly_met:
                lines.append(
                    view.t(
                        "whatif.met",
                        conditions=view.sep().join(view.condition_name(c) for c in change.newly_met),
                    )
                )
            if change.newly_failed:
                lines.append(
                    view.t(
                        "whatif.failed",
                        conditions=view.sep().join(view.condition_name(c) for c in change.newly_failed),
                    )
                )
        else:
            lines.append(view.t("whatif.conditions_same"))
        verdict = view.t("short.eligible") if after.eligible else view.t("short.not_eligible")
        lines.append(view.t("whatif.verdict", verdict=verdict))
    if change.tier_changed:
        lines.append(
            view.t(
                "whatif.tier",
                before=view.tier_label(change.tier_before),
                after=view.tier_label(change.tier_after),
            )
        )
    elif after.tier is None:  # "unchanged: none" would read as if there were no tiers
        lines.append(view.no_tier())
    else:
        lines.append(view.t("whatif.tier_same", tier=view.tier_label(after.tier)))
    lines.append(subsidy_line(after.subsidy_hints, view))
    before_ids = {h.id for h in before.subsidy_hints}
    new = [h for h in after.subsidy_hints if h.id not in before_ids]
    if new:
        lines.append(view.t("whatif.new_subsidies"))
        lines += subsidy_briefs(new, view)  # marked ⌛ where expired, as /subsidies marks them
    lines.append(view.t("whatif.not_saved"))
    return "\n".join(lines)
