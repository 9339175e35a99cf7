"""Answers worked out from the rules data the scoring engine uses.

An FAQ entry with a ``rule`` (see :data:`rules.faq.RULE_PATTERN`) is answered here rather
than from a written text: an indicator's bands, and the points of a value the question
names ("研发人员占比 20% 能拿几分": the engine scores that value); a tier's requirements; the
recognition conditions; the direct-pass routes. Every figure comes from the :class:`Rules`
object and every sentence from the catalogs, so an answer and a score cannot disagree,
and a change of the data changes both. Pure: no I/O, no clock (`today` is given).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pydantic import ValidationError

from dialogs.i18n import Catalogs
from dialogs.parsing import AnswerError, format_decimal, parse_money, parse_percent, parse_years
from dialogs.render import money
from rules import Rules, assess
from rules.model import (
    BandHighPart,
    BandLowPart,
    ChoiceOption,
    ChoicePart,
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

_PERCENT = re.compile(
    r"(?:百分之[零一二两三四五六七八九十点]+|[0-9]+(?:\.[0-9]+)?\s*(?:%|percent\b|个百分点))"
)
_MONEY = re.compile(
    r"(?:[0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十百千]+)\s*(?:万元|亿元|万|亿|千万|元)"
    r"|[0-9]+(?:\.[0-9]+)?\s*(?:million|m)\b"
)
_YEARS = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十]+)\s*(?:年半|年|years?\b)")


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
        verdict = _tier_named(tier, question, lang, cat)
        if verdict is not None:
            text = verdict + "\n" + text
        higher = [t.label.get(lang) for t in rules.tiers.tier if t.rank > tier.rank]
        if higher:  # a general question gets the entry tier; say that there is more above it
            text += "\n" + cat.text(
                lang, "faq.rule.tier.higher", tiers=cat.text(lang, "list.sep").join(higher)
            )
        return RuleAnswer(text, tier.source)
    if kind == "tier_for":
        return _tier_for(question, rules, lang, cat)
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


# ---------------------------------------------------------------- indicators


def _indicator(
    ind: Indicator, question: str, rules: Rules, lang: str, cat: Catalogs, today: date, words: OptionWords
) -> RuleAnswer:
    lines = [cat.text(lang, "faq.rule.indicator", number=ind.number, label=ind.label.get(lang), max=ind.max)]
    value, points, band, named = _score_named(ind, question, rules, today, lang, cat, words)
    # a value named in an indicator of separate items (9: the talent item) needs only its item;
    # where the better of two parts counts (11), both stay
    shown = [named] if named is not None and ind.combine != "max" else ind.part
    for part in shown:
        lines.append(_part_text(part, lang, cat))
    if ind.combine == "max" and len(ind.part) > 1:
        lines.append(cat.text(lang, "faq.rule.indicator.best_of"))
    if value is not None and points is not None:
        key = "faq.rule.indicator.value.band" if band else "faq.rule.indicator.value"
        lines.insert(0, cat.text(lang, key, value=value, points=points, band=band or ""))
    return RuleAnswer("\n".join(lines), ind.source, value, points)


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


def _score_named(
    ind: Indicator, question: str, rules: Rules, today: date, lang: str, cat: Catalogs, words: OptionWords
) -> tuple[str | None, int | None, str | None, Part | None]:
    """(the value named in the question as shown, its points, its band, its part) or Nones."""
    text = question.lower()
    cues = [w.lower() for w in words.get((ind.number, CUE), ())]
    for part in ind.part:
        data: dict[str, object] | None = None
        shown = ""
        if isinstance(part, BandHighPart | BandLowPart | RatioHighPart) and part.unit == "pct":
            pct = _first(_PERCENT, text, lambda t: parse_percent(t, low=None, high=None), cues)
            if pct is not None:
                shown = _pct(pct)
                if isinstance(part, RatioHighPart):
                    data = {part.numerator: pct, part.denominator: Decimal(100)}
                else:
                    data = {part.field: pct}
        elif isinstance(part, BandHighPart) and part.unit == "yuan":
            found = _first(_MONEY, text, _money_value, cues)
            if found is not None:
                shown, data = amount(found, lang, cat), {part.field: found}
        elif isinstance(part, StepPart):
            years = _first(_YEARS, text, lambda t: parse_years(t, today=today), cues)
            if years is not None:
                shown, data = cat.text(lang, "unit.years", n=format_decimal(years)), {part.field: years}
        elif isinstance(part, ChoicePart):
            option = _named_option(part.options, text, ind.number, words)
            if option is not None:
                shown, data = option.label.get(lang), {part.field: option.value}
        elif isinstance(part, MultiPart):
            held = [o for o in part.options if _names(o, text, ind.number, words)]
            if held:
                shown = cat.text(lang, "list.sep").join(o.label.get(lang) for o in held)
                data = {part.field: [o.value for o in held]}
        if data is None:
            continue
        try:
            profile = Profile.model_validate(data)
        except ValidationError:
            continue
        result = assess(profile, rules, today).indicator_results[ind.number - 1]
        band = result.band_label.get(lang) if result.band_label is not None else None
        return shown, result.points, band if band != shown else None, part
    return None, None, None, None


def _first(pattern: re.Pattern[str], text: str, read: object, cues: Sequence[str] = ()) -> Decimal | None:
    """The first value of `pattern` in `text` that `read` reads. With `cues` (the words of
    an indicator) and several values, only one with a cue shortly before it: in "主营业务
    占比85%、负债率45%" the debt ratio is 45%; none when no value has one."""
    assert callable(read)
    values: list[tuple[Decimal, bool]] = []
    for match in pattern.finditer(text):
        try:
            value = read(match.group(0))
        except AnswerError:
            continue
        if isinstance(value, Decimal):
            before = text[max(0, match.start() - 12) : match.start()]
            # the nearest cue wins: the part after the last of the other values
            clause = re.split(r"[、,;，；]|和|及|与", before)[-1]
            values.append((value, any(cue in clause for cue in cues)))
    if len(values) > 1 and cues:
        return next((value for value, cued in values if cued), None)
    return values[0][0] if values else None


def _money_value(text: str) -> Decimal:
    english = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*(?:million|m)", text)
    if english:
        return Decimal(english.group(1)) * MILLION
    return parse_money(text)


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


def _tier_for(question: str, rules: Rules, lang: str, cat: Catalogs) -> RuleAnswer:
    """The highest tier whose figures the question's revenue and profit reach, then every
    tier's requirements; without figures, the tiers and the self-assessment."""
    figures = {k: v for k, v in _named_figures(question).items() if k in ("revenue", "profit")}
    lines = []
    if figures:
        reached = [t for t in rules.tiers.tier if not _short_of(t, figures)]
        shown = cat.text(lang, "list.sep").join(
            cat.text(lang, _NAMED_KEY[k], amount=amount(v, lang, cat)) for k, v in figures.items()
        )
        if reached:
            best = reached[-1].label.get(lang)
            lines.append(cat.text(lang, "faq.rule.tier_for.reached", figures=shown, tier=best))
        else:
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


def _short_of(tier: Tier, figures: Mapping[str, Decimal]) -> bool:
    """Whether named revenue or profit falls short of `tier` (as the engine compares: at least)."""
    req = tier.enterprise
    return ("revenue" in figures and figures["revenue"] < req.min_revenue) or (
        "profit" in figures and req.min_profit is not None and figures["profit"] < req.min_profit
    )


def _tier_named(tier: Tier, question: str, lang: str, cat: Catalogs) -> str | None:
    """Whether the revenue and profit a question names reach `tier`'s figures (compared as
    the engine compares them: at least the figure), or None when it names neither."""
    figures = {k: v for k, v in _named_figures(question).items() if k in ("revenue", "profit")}
    if not figures:
        return None
    short = _short_of(tier, figures)
    shown = cat.text(lang, "list.sep").join(
        cat.text(lang, _NAMED_KEY[k], amount=amount(v, lang, cat)) for k, v in figures.items()
    )
    key = "faq.rule.named.tier_unmet" if short else "faq.rule.named.tier_met"
    return cat.text(lang, key, figures=shown, tier=tier.label.get(lang))


def _named_figures(question: str) -> dict[str, Decimal]:
    """The amounts a question names, by what they are of: the field whose word comes last
    before the amount (within a few characters), else right after it ("200万的研发投入")."""
    text = question.lower()
    found: dict[str, Decimal] = {}
    for match in _MONEY.finditer(text):
        try:
            value = _money_value(match.group(0))
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
    ("营收3000万研发投入200万够不够" → met), or None when it names none that tell."""
    text = question.lower()
    data: dict[str, object] = {}
    if cid == "niche_years":
        years = _first(_YEARS, text, lambda t: parse_years(t, today=today))
        if years is not None:
            data["niche_years"] = years
    elif cid in ("rd_expense", "revenue"):
        figures = _named_figures(question)
        needed = ("rd_expense", "revenue") if cid == "rd_expense" else ("revenue", "equity_financing_2y")
        data = {k: v for k, v in figures.items() if k in needed}
    # the condition's own figure must be named: revenue alone says nothing of the R&D condition
    if (
        not data
        or (cid == "revenue" and "revenue" not in data)
        or (cid == "rd_expense" and "rd_expense" not in data)
    ):
        return None
    try:
        profile = Profile.model_validate(data)
    except ValidationError:
        return None
    result = next(c for c in assess(profile, rules, today).conditions if c.id == cid)
    shown = []
    for field, value in data.items():
        if field == "niche_years":
            assert isinstance(value, Decimal)
            shown.append(cat.text(lang, "faq.rule.named.niche_years", years=format_decimal(value)))
        else:
            assert isinstance(value, Decimal)
            shown.append(cat.text(lang, _NAMED_KEY[field], amount=amount(value, lang, cat)))
    figures_text = cat.text(lang, "list.sep").join(shown)
    if cid == "rd_expense" and "revenue" not in data:
        amount_met = not any(g.metric == "rd_expense" for g in result.gaps)
        key = "faq.rule.named.rd_amount_met" if amount_met else "faq.rule.named.unmet"
        return cat.text(lang, key, figures=figures_text)
    if cid == "revenue" and not result.met and "equity_financing_2y" not in data:
        return cat.text(lang, "faq.rule.named.revenue_short", figures=figures_text)  # financing may still do
    return cat.text(
        lang, "faq.rule.named.met" if result.met else "faq.rule.named.unmet", figures=figures_text
    )


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
