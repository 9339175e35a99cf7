"""Answers worked out from the rules data the scoring engine uses.

An FAQ entry with a ``rule`` (see :data:`rules.faq.RULE_PATTERN`) is answered here rather
than from a written text: an indicator's bands, and the points of a value the question
names ("研发人员占比 20% 能拿几分": the engine scores that value); a tier's requirements; the
recognition conditions; the direct-pass routes. Every figure comes from the :class:`Rules`
object and every sentence from the catalogs, so an answer and a score cannot disagree,
and a change of the data changes both. Pure: no I/O, no clock (`today` is given).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pydantic import ValidationError

from dialogs.i18n import Catalogs
from dialogs.parsing import AnswerError, Figure, format_decimal, read_money, read_percent, read_years
from dialogs.render import money
from rules import Rules, assess
from rules.figures import FigureRule
from rules.model import (
    BandHighPart,
    BandLowPart,
    ChoiceOption,
    ChoicePart,
    District,
    Indicator,
    MultiPart,
    Part,
    RatioHighPart,
    Source,
    StepPart,
    Tier,
)
from rules.profile import Profile

MILLION = Decimal(1_000_000)

# A figure as people write it in a question, with the words that bound it: 不到一千万,
# 1000万以上, 一千多万, 800-1200万, 五六百万, less than 10 million; the chat's parsers
# (dialogs.parsing.read_money, read_percent, read_years) read what these find.
_BEFORE = (
    r"(?:(?:不到|不足|不超过|不少于|不低于|低于|少于|小于|未满|最多|至多|超过|至少|高于|多于|大于|将近|接近"
    r"|大约|大概|约|less than|fewer than|under|below|up to|at most|more than|over|above|at least|about"
    r"|around)\s*)?"
)
_AFTER = r"(?:\s*(?:及以上|或以上|以上|及以下|或以下|以下|以内|之内|不到|左右|上下|出头|or more|or less|\+))?"
_NUM = r"(?:[0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十百千点]+)"
_DIGITS = r"[0-9]+(?:\.[0-9]+)?"
_SEP = r"\s*(?:-|~|～|到|至|—|–)\s*"
_PERCENT = re.compile(
    _BEFORE + rf"(?:百分之{_NUM}|{_DIGITS}(?:\s*%?{_SEP}{_DIGITS})?\s*(?:%|percent\b|个百分点))" + _AFTER
)
_MONEY = re.compile(
    _BEFORE
    + rf"(?:¥\s*)?(?:{_NUM}(?:{_SEP}{_NUM})?\s*(?:多|余)?\s*(?:万元|亿元|千万|万|亿|元)(?:多|余)?"
    + rf"|{_DIGITS}(?:{_SEP}{_DIGITS})?\s*(?:million|m)\b)"
    + _AFTER
)
_YEARS_NUM = r"(?:[0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十]+)"
_YEARS = re.compile(
    _BEFORE
    + rf"{_YEARS_NUM}(?:{_SEP}{_YEARS_NUM})?\s*(?:多|余)?\s*(?:年半|个年头|年|个月|years?\b|months?\b)"
    + r"(?:开始|以来|起)?"
    + _AFTER
)
_HAN_GAP = re.compile(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")
# "近两年新增股权融资": the period of another figure, not a number of years.
_PERIOD_BEFORE = ("近", "最近", "过去", "前")
# The smallest step below a strict upper bound (不到 1000 万: at most 1000 万 less this).
_STEP = {"yuan": Decimal("0.01"), "pct": Decimal("0.0001"), "years": Decimal("0.01")}


@dataclass(frozen=True)
class RuleAnswer:
    """A computed answer: its text, its citation, and the value read from the question
    with the points it scores (indicators only; None when the question names no value)."""

    text: str
    source: Source
    value: str | None = None
    points: int | None = None


# Words that name an option of an indicator, beyond the option's own aliases in the rules
# data: (indicator number, option value) → words, from the FAQ lexicon; under the option
# CUE, the words of the indicator itself, that bind a value to it when a question names
# several ("主营业务占比85%、负债率45%").
OptionWords = Mapping[tuple[int, str], Sequence[str]]
CUE = "*"


def rule_answer(
    rule: str,
    question: str,
    rules: Rules,
    lang: str,
    cat: Catalogs,
    today: date,
    option_words: OptionWords | None = None,
) -> RuleAnswer:
    """The answer to `question` by `rule`. Raises ValueError for a rule it does not know."""
    kind, _, arg = rule.partition(":")
    if kind == "indicator":
        ind = rules.indicators.indicator[int(arg) - 1]
        return _indicator(ind, question, rules, lang, cat, today, option_words or {})
    if kind == "tier":
        tier = next(t for t in rules.tiers.tier if t.id == arg)
        text = _tier_text(tier, rules, lang, cat)
        verdict = _tier_named(tier, question, rules, lang, cat, today)
        if verdict is not None:
            text = verdict + "\n" + text
        higher = [t.label.get(lang) for t in rules.tiers.tier if t.rank > tier.rank]
        if higher:  # a general question gets the entry tier; say that there is more above it
            text += "\n" + cat.text(
                lang, "faq.rule.tier.higher", tiers=cat.text(lang, "list.sep").join(higher)
            )
        return RuleAnswer(text, tier.source)
    if kind == "tier_for":
        return _tier_for(question, rules, lang, cat, today)
    if kind == "tiers":
        lines = [cat.text(lang, "faq.rule.tiers.head")]
        lines += ["• " + _tier_text(t, rules, lang, cat) for t in reversed(rules.tiers.tier)]
        return RuleAnswer("\n".join(lines), _joined([t.source for t in rules.tiers.tier]))
    if kind == "conditions":
        return _conditions(rules, lang, cat)
    if kind == "condition":
        answer = _condition(arg, rules, lang, cat)
        verdict = _condition_named(arg, question, rules, lang, cat, today)
        if verdict is None:
            return answer
        return RuleAnswer(verdict + "\n" + answer.text, answer.source)
    if kind == "direct_routes":
        return _routes(rules, lang, cat, with_score=True)
    if kind == "districts":
        return _districts(question, rules, lang, cat)
    raise ValueError(f"unknown rule {rule!r}")


def rule_text(rule: str, rules: Rules, lang: str, cat: Catalogs) -> str:
    """The answer of `rule` to a question that names no value (what the search indexes)."""
    return rule_answer(rule, "", rules, lang, cat, date(2000, 1, 1)).text


# ---------------------------------------------------------------- figures


def amount(value: Decimal, lang: str, cat: Catalogs) -> str:
    """An amount as people say it: 1000 万元 / ¥10 million."""
    if lang == "en" and value >= MILLION:
        return cat.text(lang, "faq.rule.million", n=format_decimal(value / MILLION))
    return money(value, lang, cat)


def _pct(value: Decimal) -> str:
    return f"{format_decimal(value)}%"


# ---------------------------------------------------------------- figures with bounds


def _ends(figure: Figure, rule: FigureRule | None, unit: str) -> tuple[Decimal, Decimal]:
    """The lowest and the highest value a figure allows: an open end is closed by the
    field's plausible range (from 0 below a figure of 0 or more, as the chat reads it), a
    strict upper bound (不到 1000 万) ends one step below it."""
    floor = rule.min if rule is not None else Decimal(0)
    ceiling = rule.max if rule is not None else Decimal(100)
    low, high = figure.low, figure.high
    if figure.kind == "below" and high is not None:
        high = high - _STEP[unit]
        low = Decimal(0) if high >= 0 or floor >= 0 else floor
    elif figure.kind == "at_least" and low is not None:
        high = max(low, ceiling)
    assert low is not None and high is not None, figure
    return min(low, high), max(low, high)


def figure_text(figure: Figure, unit: str, lang: str, cat: Catalogs) -> str:
    """A figure as the question gave it: 1000 万元, 不到 1000 万元, 1000 万元以上, 800 万元
    至 1200 万元."""

    def one(value: Decimal) -> str:
        if unit == "pct":
            return _pct(value)
        if unit == "years":
            return cat.text(lang, "unit.years", n=format_decimal(value))
        return amount(value, lang, cat)

    if figure.kind == "below" and figure.high is not None:
        return cat.text(lang, "faq.rule.figure.below", high=one(figure.high))
    if figure.kind == "at_least" and figure.low is not None:
        return cat.text(lang, "faq.rule.figure.at_least", low=one(figure.low))
    assert figure.low is not None and figure.high is not None, figure
    if figure.kind == "range":
        return cat.text(lang, "range.to", low=one(figure.low), high=one(figure.high))
    return one(figure.low)


def _corners(named: Mapping[str, Figure], rules: Rules) -> list[dict[str, object]]:
    """Every combination of the ends of the figures named (one value each when exact): a
    rule that holds at every corner holds for every value the question allows, one that
    fails at every corner fails for all (the rules are monotone in each figure)."""
    ends = {}
    for name, figure in named.items():
        rule = rules.figures.get(name)
        low, high = _ends(figure, rule, rule.unit if rule is not None else "yuan")
        ends[name] = sorted({low, high})
    return [dict(zip(ends, combo, strict=True)) for combo in itertools.product(*ends.values())]


# ---------------------------------------------------------------- indicators


def _indicator(
    ind: Indicator, question: str, rules: Rules, lang: str, cat: Catalogs, today: date, words: OptionWords
) -> RuleAnswer:
    lines = [cat.text(lang, "faq.rule.indicator", number=ind.number, label=ind.label.get(lang), max=ind.max)]
    scored = _score_named(ind, question, rules, today, lang, cat, words)
    named = scored.part if scored is not None else None
    # a value named in an indicator of separate items (9: the talent item) needs only its item;
    # where the better of two parts counts (11), both stay
    shown = [named] if named is not None and ind.combine != "max" else ind.part
    for part in shown:
        lines.append(_part_text(part, lang, cat))
    if ind.combine == "max" and len(ind.part) > 1:
        lines.append(cat.text(lang, "faq.rule.indicator.best_of"))
    if scored is None:
        return RuleAnswer("\n".join(lines), ind.source)
    if scored.low != scored.high:  # a bound or a range across bands: the points it may score
        text = cat.text(
            lang, "faq.rule.indicator.value.range", value=scored.shown, low=scored.low, high=scored.high
        )
    elif scored.band:
        text = cat.text(
            lang, "faq.rule.indicator.value.band", value=scored.shown, points=scored.low, band=scored.band
        )
    else:
        text = cat.text(lang, "faq.rule.indicator.value", value=scored.shown, points=scored.low)
    lines.insert(0, text if scored.figure is None else _tight(text, scored.figure))
    # the points of the value scored as the chat scores a bound: its cautious end
    return RuleAnswer("\n".join(lines), ind.source, scored.shown, scored.low)


def _part_text(part: object, lang: str, cat: Catalogs) -> str:
    sep = cat.text(lang, "faq.rule.sep")
    if isinstance(part, BandHighPart | BandLowPart | RatioHighPart):
        return sep.join(
            cat.text(lang, "faq.rule.band", label=b.label.get(lang), points=b.points) for b in part.bands
        )
    if isinstance(part, StepPart):
        return part.label.get(lang)
    if isinstance(part, ChoicePart):
        return sep.join(
            cat.text(lang, "faq.rule.band", label=o.label.get(lang), points=o.points) for o in part.options
        )
    assert isinstance(part, MultiPart)
    items = cat.text(lang, "list.sep").join(o.label.get(lang) for o in part.options)
    return cat.text(lang, "faq.rule.each", points=part.points_each, items=items)


@dataclass(frozen=True)
class _Scored:
    """A value named in a question for an indicator: as shown, the fewest and the most
    points it scores (equal for one value), its band when one, its part, and the figure
    read (an amount, a percentage, years; None for an option named)."""

    shown: str
    low: int
    high: int
    band: str | None
    part: Part
    figure: Figure | None


def _score_named(
    ind: Indicator, question: str, rules: Rules, today: date, lang: str, cat: Catalogs, words: OptionWords
) -> _Scored | None:
    """The value the question names for `ind`, scored as the engine scores it; None when it
    names none. A figure with a bound or a range scores at both of its ends."""
    text = question.lower()
    cues = [w.lower() for w in words.get((ind.number, CUE), ())]
    for part in ind.part:
        trials: list[dict[str, object]] = []
        shown = ""
        figure: Figure | None = None
        if isinstance(part, BandHighPart | BandLowPart | RatioHighPart) and part.unit == "pct":
            pct = _first(_PERCENT, text, lambda t: read_percent(t, low=None, high=None), cues)
            if pct is not None:
                shown, figure = figure_text(pct, "pct", lang, cat), pct
                if isinstance(part, RatioHighPart):
                    low, high = _ends(pct, None, "pct")
                    trials = [{part.numerator: v, part.denominator: Decimal(100)} for v in (low, high)]
                else:
                    trials = _corners({part.field: pct}, rules)
        elif isinstance(part, BandHighPart) and part.unit == "yuan":
            found = _first(_MONEY, text, read_money, cues)
            if found is not None:
                shown, trials = figure_text(found, "yuan", lang, cat), _corners({part.field: found}, rules)
                figure = found
        elif isinstance(part, StepPart):
            years = _first(_YEARS, text, lambda t: read_years(t, today=today), cues)
            if years is not None:
                shown, trials = figure_text(years, "years", lang, cat), _corners({part.field: years}, rules)
                figure = years
        elif isinstance(part, ChoicePart):
            option = _named_option(part.options, text, ind.number, words)
            if option is not None:
                shown, trials = option.label.get(lang), [{part.field: option.value}]
        elif isinstance(part, MultiPart):
            held = [o for o in part.options if _names(o, text, ind.number, words)]
            if held:
                shown = cat.text(lang, "list.sep").join(o.label.get(lang) for o in held)
                trials = [{part.field: [o.value for o in held]}]
        results = []
        for data in trials:
            try:
                profile = Profile.model_validate(data)
            except ValidationError:
                break
            results.append(assess(profile, rules, today).indicator_results[ind.number - 1])
        if not results or len(results) < len(trials):
            continue
        points = [r.points for r in results]
        bands = {r.band_label.get(lang) if r.band_label is not None else None for r in results}
        band = next(iter(bands)) if len(bands) == 1 else None
        return _Scored(shown, min(points), max(points), band if band != shown else None, part, figure)
    return None


def _first(
    pattern: re.Pattern[str], text: str, read: Callable[[str], Figure], cues: Sequence[str] = ()
) -> Figure | None:
    """The first figure of `pattern` in `text` that `read` reads. With `cues` (the words of
    an indicator) and several figures, only one with a cue shortly before it: in "主营业务
    占比85%、负债率45%" the debt ratio is 45%; none when no figure has one. A number of
    years that is the period of another figure ("近两年融资") is none."""
    values: list[tuple[Figure, bool]] = []
    for match in pattern.finditer(text):
        if pattern is _YEARS and text[: match.start()].endswith(_PERIOD_BEFORE):
            continue
        try:
            value = read(match.group(0))
        except AnswerError:
            continue
        before = text[max(0, match.start() - 12) : match.start()]
        # the nearest cue wins: the part after the last of the other values
        clause = re.split(r"[、,;，；]|和|及|与", before)[-1]
        values.append((value, any(cue in clause for cue in cues)))
    if len(values) > 1 and cues:
        return next((value for value, cued in values if cued), None)
    return values[0][0] if values else None


def _aliases(option: ChoiceOption, number: int, words: OptionWords) -> list[str]:
    return [a.lower() for a in (*option.aliases, *words.get((number, str(option.value)), ())) if len(a) >= 2]


def _names(option: ChoiceOption, text: str, number: int, words: OptionWords) -> bool:
    return any(alias in text for alias in _aliases(option, number, words))


def _named_option(
    options: list[ChoiceOption], text: str, number: int, words: OptionWords
) -> ChoiceOption | None:
    """The option whose alias the question names (the longest one, so 市级以下 beats 市级)."""
    best: tuple[int, ChoiceOption] | None = None
    for option in options:
        for alias in _aliases(option, number, words):
            if alias in text and (best is None or len(alias) > best[0]):
                best = (len(alias), option)
    return best[1] if best else None


# ---------------------------------------------------------------- tiers


def _tier_text(tier: Tier, rules: Rules, lang: str, cat: Catalogs) -> str:
    sep = cat.text(lang, "faq.rule.sep")
    req = tier.enterprise
    needs = [cat.text(lang, "faq.rule.tier.revenue", amount=amount(req.min_revenue, lang, cat))]
    if req.min_profit is not None:
        needs.append(cat.text(lang, "faq.rule.tier.profit", amount=amount(req.min_profit, lang, cat)))
    if req.min_certification is not None:
        level = rules.certifications.get(req.min_certification).label.get(lang)
        needs.append(cat.text(lang, "faq.rule.tier.certification", level=level))
    needs += [q.get(lang) for q in tier.qualitative.enterprise]
    capital = amount(tier.service_institution.min_registered_capital, lang, cat)
    institution = [cat.text(lang, "faq.rule.tier.capital", amount=capital)]
    institution += [q.get(lang) for q in tier.qualitative.service_institution]
    return "\n".join(
        [
            cat.text(lang, "faq.rule.tier.head", tier=tier.label.get(lang)),
            cat.text(lang, "faq.rule.tier.enterprise", needs=sep.join(needs)),
            cat.text(lang, "faq.rule.tier.institution", needs=sep.join(institution)),
        ]
    )


# ---------------------------------------------------------------- conditions and routes


def _condition_line(cid: str, rules: Rules, lang: str, cat: Catalogs) -> tuple[str, Source]:
    c = rules.conditions
    if cid == "innovative_sme":
        level = rules.certifications.get(c.innovative_sme.min_certification).label.get(lang)
        return cat.text(lang, "faq.rule.condition.innovative_sme", level=level), c.innovative_sme.source
    if cid == "niche_years":
        years = format_decimal(c.niche_years.min_years)
        return cat.text(lang, "faq.rule.condition.niche_years", years=years), c.niche_years.source
    if cid == "rd_expense":
        line = cat.text(
            lang,
            "faq.rule.condition.rd_expense",
            amount=amount(c.rd_expense.min_amount, lang, cat),
            ratio=_pct(c.rd_expense.min_ratio_pct),
        )
        return line, c.rd_expense.source
    if cid == "revenue":
        line = cat.text(
            lang,
            "faq.rule.condition.revenue",
            amount=amount(c.revenue.min_revenue, lang, cat),
            equity=amount(c.revenue.alt_min_equity_financing, lang, cat),
        )
        return line, c.revenue.source
    if cid == "score_or_direct":
        line = cat.text(lang, "faq.rule.condition.score_or_direct", score=c.score_or_direct.min_score)
        return line, c.score_or_direct.source
    raise ValueError(f"unknown condition {cid!r}")


CONDITION_IDS = ("niche_years", "rd_expense", "revenue", "score_or_direct", "innovative_sme")


def _conditions(rules: Rules, lang: str, cat: Catalogs) -> RuleAnswer:
    lines = [cat.text(lang, "faq.rule.conditions.head")]
    sources = []
    for n, cid in enumerate(CONDITION_IDS, start=1):
        line, source = _condition_line(cid, rules, lang, cat)
        lines.append(f"{n}. {line}")
        sources.append(source)
    return RuleAnswer("\n".join(lines), _joined(sources))


def _condition(cid: str, rules: Rules, lang: str, cat: Catalogs) -> RuleAnswer:
    line, source = _condition_line(cid, rules, lang, cat)
    if cid == "score_or_direct":
        routes = _routes(rules, lang, cat, with_score=False)
        return RuleAnswer(line + "\n" + routes.text, _joined([source, routes.source]))
    return RuleAnswer(cat.text(lang, "faq.rule.condition.one", line=line), source)


# Words before (or just after) an amount that say what it is an amount of.
_FIELD_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rd_expense", ("研发", "r&d", "research")),
    ("equity_financing_2y", ("融资", "股权", "投资", "financing", "raised", "funding", "equity")),
    ("revenue", ("营收", "营业收入", "收入", "营业额", "销售额", "revenue", "turnover", "sales")),
    ("profit", ("利润", "profit")),
)


_NAMED_KEY = {
    "rd_expense": "faq.rule.named.rd_expense",
    "revenue": "faq.rule.named.revenue",
    "equity_financing_2y": "faq.rule.named.equity_financing_2y",
    "profit": "faq.rule.named.profit",
}


def _tier_for(question: str, rules: Rules, lang: str, cat: Catalogs, today: date) -> RuleAnswer:
    """The highest tier whose figures the question's revenue and profit reach, then every
    tier's requirements; without figures, the tiers and the self-assessment. A bound or a
    range reaches a tier only at every end (as the chat scores it: the cautious end); the
    next tier up, reached at some ends only, is named as depending on the exact figures."""
    figures = {k: v for k, v in _named_figures(question, today).items() if k in ("revenue", "profit")}
    lines = []
    if figures:
        corners = _corners(figures, rules)
        surely = [t for t in rules.tiers.tier if not any(_short_of(t, c) for c in corners)]
        maybe = [t for t in rules.tiers.tier if not all(_short_of(t, c) for c in corners)]
        shown = _figures_text(figures, lang, cat)
        if surely:
            best = surely[-1].label.get(lang)
            lines.append(cat.text(lang, "faq.rule.tier_for.reached", figures=shown, tier=best))
        open_ = [t for t in maybe if t not in surely]
        if open_:  # the next tier up, reached at some ends of a bound or a range only
            tier = open_[0].label.get(lang)
            if surely:
                lines.append(cat.text(lang, "faq.rule.tier_for.next", tier=tier))
            else:
                lines.append(cat.text(lang, "faq.rule.named.tier_depends", figures=shown, tier=tier))
        if not maybe:
            lowest = rules.tiers.tier[0].label.get(lang)
            lines.append(cat.text(lang, "faq.rule.named.tier_unmet", figures=shown, tier=lowest))
    lines.append(cat.text(lang, "faq.rule.tiers.head"))
    lines += [_tier_brief(t, rules, lang, cat) for t in reversed(rules.tiers.tier)]
    lines.append(cat.text(lang, "faq.rule.tier_for.assess"))
    return RuleAnswer("\n".join(lines), _joined([t.source for t in rules.tiers.tier]))


def _tier_brief(tier: Tier, rules: Rules, lang: str, cat: Catalogs) -> str:
    """One line of a tier's figures for an enterprise: revenue, profit, recognition."""
    req = tier.enterprise
    needs = [cat.text(lang, "faq.rule.tier.revenue", amount=amount(req.min_revenue, lang, cat))]
    if req.min_profit is not None:
        needs.append(cat.text(lang, "faq.rule.tier.profit", amount=amount(req.min_profit, lang, cat)))
    if req.min_certification is not None:
        level = rules.certifications.get(req.min_certification).label.get(lang)
        needs.append(cat.text(lang, "faq.rule.tier.certification", level=level))
    sep = cat.text(lang, "faq.rule.sep")
    return cat.text(lang, "faq.rule.tier_for.line", tier=tier.label.get(lang), needs=sep.join(needs))


def _short_of(tier: Tier, figures: Mapping[str, object]) -> bool:
    """Whether named revenue or profit falls short of `tier` (as the engine compares: at least)."""
    req = tier.enterprise
    revenue, profit = figures.get("revenue"), figures.get("profit")
    return (isinstance(revenue, Decimal) and revenue < req.min_revenue) or (
        isinstance(profit, Decimal) and req.min_profit is not None and profit < req.min_profit
    )


def _tier_named(tier: Tier, question: str, rules: Rules, lang: str, cat: Catalogs, today: date) -> str | None:
    """Whether the revenue and profit a question names reach `tier`'s figures (compared as
    the engine compares them: at least the figure; a bound or a range at each of its
    ends), or None when it names neither."""
    figures = {k: v for k, v in _named_figures(question, today).items() if k in ("revenue", "profit")}
    if not figures:
        return None
    short = [_short_of(tier, c) for c in _corners(figures, rules)]
    key = (
        "faq.rule.named.tier_unmet"
        if all(short)
        else "faq.rule.named.tier_met"
        if not any(short)
        else "faq.rule.named.tier_depends"
    )
    return cat.text(lang, key, figures=_figures_text(figures, lang, cat), tier=tier.label.get(lang))


def _figures_text(figures: Mapping[str, Figure], lang: str, cat: Catalogs) -> str:
    """The figures a question names as it gave them: 营业收入不到 1000 万元、年利润 2000 万元."""
    shown = []
    for field, figure in figures.items():
        if field == "niche_years":
            years = figure_text(figure, "years", lang, cat)
            line = cat.text(lang, "faq.rule.named.niche_years", years=years)
        else:
            line = cat.text(lang, _NAMED_KEY[field], amount=figure_text(figure, "yuan", lang, cat))
        shown.append(_tight(line, figure))
    return cat.text(lang, "list.sep").join(shown)


def _tight(line: str, figure: Figure) -> str:
    """ "营业收入 不到 1000 万元" as "营业收入不到 1000 万元": a bound in words joins the word
    before it (the space of a template is for a figure in digits)."""
    return _HAN_GAP.sub("", line, count=1) if figure.kind == "below" else line


def _named_figures(question: str, today: date) -> dict[str, Figure]:
    """The amounts a question names (a bound or a range as given: 不到一千万, 五六千万), by
    what they are of: the field whose word comes last before the amount (within a few
    characters), else right after it ("200万的研发投入")."""
    text = question.lower()
    found: dict[str, Figure] = {}
    for match in _MONEY.finditer(text):
        try:
            value = read_money(match.group(0))
        except AnswerError:
            continue
        before, after = text[max(0, match.start() - 20) : match.start()], text[match.end() : match.end() + 6]
        best: tuple[int, str] | None = None
        for field, words in _FIELD_WORDS:
            for word in words:
                at = before.rfind(word)
                if at >= 0 and (best is None or at > best[0]):
                    best = (at, field)
        if best is None:
            best = next(((0, f) for f, words in _FIELD_WORDS if any(w in after for w in words)), None)
        if best is not None and best[1] not in found:
            found[best[1]] = value
    return found


def _condition_named(
    cid: str, question: str, rules: Rules, lang: str, cat: Catalogs, today: date
) -> str | None:
    """Whether the figures the question names meet condition `cid`, as the engine checks it
    ("营收3000万研发投入200万够不够" → met; a bound or a range at each of its ends, so that
    "营收不到一千万" is short and "五六千万" meets it), or None when it names none that tell."""
    text = question.lower()
    named: dict[str, Figure] = {}
    if cid == "niche_years":
        years = _first(_YEARS, text, lambda t: read_years(t, today=today))
        if years is not None:
            named["niche_years"] = years
    elif cid in ("rd_expense", "revenue"):
        figures = _named_figures(question, today)
        needed = ("rd_expense", "revenue") if cid == "rd_expense" else ("revenue", "equity_financing_2y")
        named = {k: v for k, v in figures.items() if k in needed}
    # the condition's own figure must be named: revenue alone says nothing of the R&D condition
    if (
        not named
        or (cid == "revenue" and "revenue" not in named)
        or (cid == "rd_expense" and "rd_expense" not in named)
    ):
        return None
    amount_only = cid == "rd_expense" and "revenue" not in named
    outcomes = []
    for data in _corners(named, rules):
        try:
            profile = Profile.model_validate(data)
        except ValidationError:
            return None
        result = next(c for c in assess(profile, rules, today).conditions if c.id == cid)
        if amount_only:
            outcomes.append(not any(g.metric == "rd_expense" for g in result.gaps))
        else:
            outcomes.append(result.met)
    shown = _figures_text(named, lang, cat)
    if not all(outcomes) and any(outcomes):
        return cat.text(lang, "faq.rule.named.depends", figures=shown)
    met = all(outcomes)
    if amount_only:
        key = "faq.rule.named.rd_amount_met" if met else "faq.rule.named.unmet"
        return cat.text(lang, key, figures=shown)
    if cid == "revenue" and not met and "equity_financing_2y" not in named:
        return cat.text(lang, "faq.rule.named.revenue_short", figures=shown)  # financing may still do
    return cat.text(lang, "faq.rule.named.met" if met else "faq.rule.named.unmet", figures=shown)


def _routes(rules: Rules, lang: str, cat: Catalogs, with_score: bool) -> RuleAnswer:
    c = rules.conditions
    key = "faq.rule.routes.head" if with_score else "faq.rule.routes.list"
    lines = [cat.text(lang, key, score=c.score_or_direct.min_score)]
    for n, route in enumerate(c.direct_route, start=1):
        if route.min_amount is not None:
            line = cat.text(lang, f"faq.rule.route.{route.id}", amount=amount(route.min_amount, lang, cat))
        else:
            line = route.label.get(lang)
        lines.append(f"{n}. {line}")
    lines.append(cat.text(lang, "faq.rule.routes.rest"))
    sources = [c.score_or_direct.source] if with_score else []
    return RuleAnswer("\n".join(lines), _joined(sources + [r.source for r in c.direct_route]))


# ---------------------------------------------------------------- district authorities


def _districts(question: str, rules: Rules, lang: str, cat: Catalogs) -> RuleAnswer:
    """The SME authority of the district a question names ("黄埔区找谁", "Who can I call in
    Huangpu district?"): its name, phones and address; with none named, every district's
    name and phones. From the contacts data, dated as it is (2019)."""
    districts = rules.contacts.districts
    named = _named_district(question, districts.district)
    year = districts.as_of.year
    if named is not None:
        lines = [
            cat.text(lang, "contacts.district", district=named.label.get(lang), year=year),
            cat.text(
                lang,
                "contacts.district.line",
                authority=named.authority.get(lang),
                phones=" / ".join(named.phones),
            ),
            cat.text(lang, "contacts.address", address=named.address.get(lang)),
        ]
    else:
        lines = [cat.text(lang, "faq.rule.districts.head", year=year)]
        lines += [
            cat.text(
                lang, "contacts.district.line", authority=d.authority.get(lang), phones=" / ".join(d.phones)
            )
            for d in districts.district
        ]
    return RuleAnswer("\n".join(lines), districts.source)


def _named_district(question: str, districts: Sequence[District]) -> District | None:
    """The one district a question names by its name or an alias (Chinese anywhere, English
    as a whole word); None for none or several."""
    text = question.lower()
    found = []
    for d in districts:
        names = {d.id, d.label.zh, d.label.en, *d.aliases}
        for name in (n.lower() for n in names if n):
            if name.isascii():
                hit = re.search(rf"(?<![a-z]){re.escape(name)}(?![a-z])", text) is not None
            else:
                hit = name in text
            if hit:
                found.append(d)
                break
    return found[0] if len(found) == 1 else None


def _joined(sources: list[Source]) -> Source:
    """One citation for several clauses of one seed: "一、认定条件（四）1；2；3"."""
    files = list(dict.fromkeys(s.file for s in sources))
    clauses = list(dict.fromkeys(s.clause for s in sources if s.file == files[0]))
    first = clauses[0]
    rest = []
    for clause in clauses[1:]:
        if clause.startswith(first):
            rest.append(clause[len(first) :])
            continue
        common = 0
        while common < min(len(first), len(clause)) and first[common] == clause[common]:
            common += 1
        cut = first.rfind("（", 0, common)  # keep the bracket that differs: （一）；（二）
        rest.append(clause[cut:] if cut > 0 else clause)
    return Source(file=files[0], clause="；".join([first, *rest]))
