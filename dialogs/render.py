"""Words for figures and results: the structured assessment made readable on a phone.

Every sentence comes from the catalogs; labels, amounts and sources come from the rules
data. Each function returns plain text in short lines.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from dialogs.figures import condition_figures, direct_routes_text
from dialogs.i18n import Catalogs
from dialogs.parsing import Figure, format_decimal
from dialogs.session import Reading
from rules import Assessment, Rules
from rules.assessment import ConditionResult, Gap, Improvement, SubsidyHint
from rules.faq import STAFF_SOURCE
from rules.model import Amount, DirectRoute, Subsidy, Tier

YI = Decimal(100_000_000)
WAN = Decimal(10_000)


def money(value: Decimal, lang: str, cat: Catalogs) -> str:
    """An amount in yuan as a person would say it: 1.2 亿元, 300 万元, ¥1,200,000."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    if lang == "en":
        return sign + cat.text(lang, "unit.yuan", n=f"{v:,.2f}".removesuffix(".00"))
    if v >= YI and (v / YI) == (v / YI).quantize(Decimal("0.0001")):
        return sign + cat.text(lang, "unit.yi", n=format_decimal(v / YI))
    if v >= WAN and (v / WAN) == (v / WAN).quantize(Decimal("0.01")):
        return sign + cat.text(lang, "unit.wan", n=format_decimal(v / WAN))
    return sign + cat.text(lang, "unit.yuan", n=f"{v:,.2f}".removesuffix(".00"))


def percent(value: Decimal) -> str:
    return f"{format_decimal(value)}%"


def years(value: Decimal, lang: str, cat: Catalogs) -> str:
    return cat.text(lang, "unit.years", n=format_decimal(value))


def figure(kind: str, value: Decimal, lang: str, cat: Catalogs) -> str:
    """A figure of a question of `kind` (money, percent, years) as a person reads it:
    1200 万元, 45%, 7 年."""
    if kind == "percent":
        return percent(value)
    if kind == "years":
        return years(value, lang, cat)
    return money(value, lang, cat)


_SPAN = re.compile(r"(\D*?)([0-9][0-9,.]*)(\D*)")


def span(kind: str, low: Decimal, high: Decimal, lang: str, cat: Catalogs) -> str:
    """Both ends of a range with the unit once where they share it: 5000–6000 万元, 10–15%."""
    a, b = figure(kind, low, lang, cat), figure(kind, high, lang, cat)
    left, right = _SPAN.fullmatch(a), _SPAN.fullmatch(b)
    if low >= 0 and left and right and (left[1], left[3]) == (right[1], right[3]):
        return f"{left[1]}{left[2]}–{right[2]}{left[3]}"
    return cat.text(lang, "range.to", low=a, high=b)


def figure_given(given: Figure, kind: str, lang: str, cat: Catalogs) -> str:
    """What a range or a bound said, for the words around its conservative value:
    区间 5000–6000 万元, “1000 万元以上”, “不到 2000 万元”."""
    if given.kind == "range" and given.low is not None and given.high is not None:
        return cat.text(lang, "range.between", span=span(kind, given.low, given.high, lang, cat))
    if given.kind == "at_least" and given.low is not None:
        return cat.text(lang, "range.at_least", low=figure(kind, given.low, lang, cat))
    assert given.high is not None, given
    return cat.text(lang, "range.below", high=figure(kind, given.high, lang, cat))


def reading_text(kind: str, reading: Reading, value: Decimal, lang: str, cat: Catalogs) -> str:
    """An answer given as a range or a bound, read back: the figure as given and the value
    it counts as — 5000–6000 万元（按 5000 万元计）, 不到 2000 万元（按 2000 万元计）."""
    counted = figure(kind, value, lang, cat)
    low = None if reading.low is None else Decimal(reading.low)
    high = None if reading.high is None else Decimal(reading.high)
    if reading.kind == "range" and low is not None and high is not None:
        return cat.text(lang, "reading.range", span=span(kind, low, high, lang, cat), value=counted)
    if reading.kind == "at_least" and low is not None:
        return cat.text(lang, "reading.at_least", low=figure(kind, low, lang, cat), value=counted)
    if reading.kind == "below" and high is not None:
        return cat.text(lang, "reading.below", high=figure(kind, high, lang, cat), value=counted)
    return counted


def certification(level: str | None, rules: Rules, lang: str, cat: Catalogs) -> str:
    if level is None:
        return cat.text(lang, "value.unanswered")
    return rules.certifications.get(level).label.get(lang)


def amount_text(amount: Amount, lang: str, cat: Catalogs) -> str:
    if amount.kind == "fixed" and amount.amount is not None:
        return cat.text(lang, "subsidy.amount.fixed", amount=money(amount.amount, lang, cat))
    if amount.kind == "cap" and amount.cap is not None:
        return cat.text(lang, "subsidy.amount.cap", cap=money(amount.cap, lang, cat))
    if (
        amount.kind in ("share_cap", "share_up_to_cap")
        and amount.cap is not None
        and amount.share_pct is not None
    ):
        return cat.text(
            lang,
            "subsidy.amount.share_up_to_cap"
            if amount.kind == "share_up_to_cap"
            else "subsidy.amount.share_cap",
            share=percent(amount.share_pct),
            cap=money(amount.cap, lang, cat),
        )
    if amount.kind == "unstated_award":
        return cat.text(lang, "subsidy.amount.unstated_award")
    return cat.text(lang, "subsidy.amount.in_kind")


def amount_brief(amount: Amount, lang: str, cat: Catalogs) -> str:
    """What an item gives, in a few words for a one-line list ("不超过 30%，最高 300 万元")."""
    values: dict[str, str] = {}
    if amount.amount is not None:
        values["amount"] = money(amount.amount, lang, cat)
    if amount.cap is not None:
        values["cap"] = money(amount.cap, lang, cat)
    if amount.share_pct is not None:
        values["share"] = percent(amount.share_pct)
    return cat.text(lang, _BRIEF[amount.kind], **values)


_BRIEF = {
    "fixed": "subsidy.brief.fixed",
    "cap": "subsidy.brief.cap",
    "share_cap": "subsidy.brief.share_cap",
    "share_up_to_cap": "subsidy.brief.share_up_to_cap",
    "in_kind": "subsidy.brief.in_kind",
    "unstated_award": "subsidy.brief.unstated_award",
}


def source_text(file: str, clause: str, rules: Rules, lang: str, cat: Catalogs) -> str:
    if file == STAFF_SOURCE:  # an answer the secretariat gave, on the day of `clause`
        return cat.text(lang, "source.staff", date=clause)
    title = rules.meta.source_title(file)
    name = title.get(lang) if title else file
    return cat.text(lang, "source.line", title=name, clause=clause)


def validity_text(
    valid_from: date | None, valid_to: date | None, status: str, lang: str, cat: Catalogs
) -> str:
    if status == "expired":
        return cat.text(
            lang,
            "subsidy.expired",
            start=valid_from.year if valid_from else "",
            end=valid_to.year if valid_to else "",
        )
    if status == "not_yet_valid" and valid_from:
        return cat.text(lang, "subsidy.not_yet_valid", start=valid_from.isoformat())
    if valid_to:
        return cat.text(lang, "subsidy.valid_until", end=valid_to.isoformat())
    return ""


def _gap_value(gap: Gap, value: Decimal | str | None, rules: Rules, lang: str, cat: Catalogs) -> str:
    if value is None:
        return cat.text(lang, "value.unanswered")
    if gap.unit == "certification":
        return certification(str(value), rules, lang, cat)
    assert isinstance(value, Decimal)
    if gap.unit == "yuan":
        return money(value, lang, cat)
    if gap.unit == "pct":
        return percent(value)
    if gap.unit == "years":
        return years(value, lang, cat)
    return format_decimal(value)


def gap_line(gap: Gap, rules: Rules, lang: str, cat: Catalogs) -> str:
    """One unmet requirement: '研发费用：还差 10 万元（需 ≥ 100 万元）'."""
    name = cat.text(lang, f"metric.{gap.metric}")
    need = _gap_value(gap, gap.need, rules, lang, cat)
    if gap.unit == "certification":
        return cat.text(lang, "gap.certification", need=need)
    if gap.have is None:
        return cat.text(lang, "gap.unanswered", name=name, need=need)
    have = _gap_value(gap, gap.have, rules, lang, cat)
    if gap.unit == "pct":
        extra = ""
        if gap.short_amount is not None and gap.short_amount > 0:
            extra = cat.text(lang, "gap.ratio_amount", amount=money(gap.short_amount, lang, cat))
        return cat.text(lang, "gap.ratio", name=name, have=have, need=need) + extra
    short = _gap_value(gap, gap.short, rules, lang, cat) if gap.short is not None else ""
    return cat.text(lang, "gap.short", name=name, short=short, need=need, have=have)


def condition_lines(cond: ConditionResult, rules: Rules, lang: str, cat: Catalogs) -> list[str]:
    lines = [cat.text(lang, f"condition.{cond.id}", **condition_figures(rules, lang, cat))]
    if cond.id == "innovative_sme":
        lines.append("  " + cat.text(lang, "condition.innovative_sme.first_step"))
        return lines
    lines += ["  " + gap_line(g, rules, lang, cat) for g in cond.gaps]
    if cond.alternative is not None:
        lines.append("  " + cat.text(lang, "gap.or") + gap_line(cond.alternative, rules, lang, cat))
    if cond.id == "score_or_direct":
        routes = direct_routes_text(rules, lang, cat)
        lines.append("  " + cat.text(lang, "condition.score_or_direct.routes", routes=routes))
    return lines


def improvement_line(imp: Improvement, rules: Rules, lang: str, cat: Catalogs) -> str:
    ind = rules.indicators.indicator[imp.indicator - 1]
    name = ind.label.get(lang)
    if imp.unit == "choice" and imp.target_label is not None:
        what = imp.target_label.get(lang)
    elif imp.unit == "item":
        what = cat.text(lang, "improve.one_more_item")
    elif imp.unit == "pct" and imp.target is not None:
        assert isinstance(imp.target, Decimal)
        what = cat.text(lang, "improve.reach", value=percent(imp.target))
        if imp.short_amount is not None and imp.short_amount > 0:
            what += cat.text(lang, "improve.amount", amount=money(imp.short_amount, lang, cat))
    elif imp.unit == "yuan" and isinstance(imp.target, Decimal):
        what = cat.text(lang, "improve.reach", value=money(imp.target, lang, cat))
    elif imp.unit == "years" and isinstance(imp.target, Decimal):
        what = cat.text(lang, "improve.reach", value=years(imp.target, lang, cat))
    else:
        assert isinstance(imp.target, Decimal)
        what = cat.text(lang, "improve.reach", value=percent(imp.target))
    return cat.text(lang, "improve.line", indicator=name, what=what, gain=imp.gain)


def subsidy_lines(
    hint: SubsidyHint | Subsidy, status: str, rules: Rules, lang: str, cat: Catalogs
) -> list[str]:
    lines = [
        cat.text(
            lang, "subsidy.title", title=hint.title.get(lang), amount=amount_text(hint.amount, lang, cat)
        ),
        "  " + cat.text(lang, "subsidy.who", who=hint.who.get(lang)),
    ]
    validity = validity_text(hint.valid_from, hint.valid_to, status, lang, cat)
    if validity:
        lines.append("  " + validity)
    lines.append("  " + source_text(hint.source.file, hint.source.clause, rules, lang, cat))
    return lines


def subsidy_status(subsidy: Subsidy, today: date) -> str:
    if subsidy.valid_to is not None and today > subsidy.valid_to:
        return "expired"
    if subsidy.valid_from is not None and today < subsidy.valid_from:
        return "not_yet_valid"
    return "current"


def contacts_text(rules: Rules, lang: str, cat: Catalogs, district: str | None = None) -> str:
    a = rules.contacts.association
    lines = [
        cat.text(lang, "contacts.association", name=a.name.get(lang)),
        cat.text(lang, "contacts.address", address=a.address.get(lang)),
        cat.text(lang, "contacts.email", email=a.email),
    ]
    for dept in a.department:
        lines.append(
            cat.text(
                lang,
                "contacts.department",
                dept=dept.name.get(lang),
                person=dept.person.get(lang),
                phone=dept.phone,
            )
        )
    if district:
        d = rules.contacts.districts.find(district)
        if d is not None:
            lines += [
                "",
                cat.text(
                    lang,
                    "contacts.district",
                    district=d.label.get(lang),
                    year=rules.contacts.districts.as_of.year,
                ),
                cat.text(
                    lang,
                    "contacts.district.line",
                    authority=d.authority.get(lang),
                    phones=" / ".join(d.phones),
                ),
                cat.text(lang, "contacts.address", address=d.address.get(lang)),
            ]
    return "\n".join(lines)


def listing_alliance_text(rules: Rules, lang: str, cat: Catalogs) -> str:
    o = rules.contacts.listing_alliance
    return "\n".join(
        [
            cat.text(lang, "contacts.alliance", name=o.name.get(lang)),
            cat.text(lang, "contacts.address", address=o.address.get(lang)),
            cat.text(lang, "contacts.phone", phone=o.phone),
        ]
    )


def tiers_text(rules: Rules, lang: str, cat: Catalogs) -> str:
    lines = [cat.text(lang, "tiers.title")]
    by_file: dict[str, list[str]] = {}
    for tier in reversed(rules.tiers.tier):
        e, s = tier.enterprise, tier.service_institution
        needs = [cat.text(lang, "tiers.revenue", amount=money(e.min_revenue, lang, cat))]
        if e.min_profit is not None:
            needs.append(cat.text(lang, "tiers.profit", amount=money(e.min_profit, lang, cat)))
        if e.min_certification is not None:
            needs.append(
                cat.text(
                    lang, "tiers.certification", level=certification(e.min_certification, rules, lang, cat)
                )
            )
        if e.preferred_certification is not None:
            needs.append(
                cat.text(
                    lang, "tiers.preferred", level=certification(e.preferred_certification, rules, lang, cat)
                )
            )
        lines += [
            "",
            cat.text(lang, "tiers.name", name=tier.label.get(lang)),
            "  " + cat.text(lang, "tiers.enterprise", needs=cat.text(lang, "list.sep").join(needs)),
            "  " + cat.text(lang, "tiers.institution", amount=money(s.min_registered_capital, lang, cat)),
        ]
        clauses = by_file.setdefault(tier.source.file, [])
        if tier.source.clause not in clauses:
            clauses.append(tier.source.clause)
    lines += ["", cat.text(lang, "tiers.verified")]
    # one source line per seed document at the end, not one a tier: a phone shows the tiers
    sep = cat.text(lang, "list.sep")
    lines += [source_text(file, sep.join(clauses), rules, lang, cat) for file, clauses in by_file.items()]
    return "\n".join(lines)


def subsidies_text(rules: Rules, lang: str, cat: Catalogs, today: date) -> list[str]:
    parts = [cat.text(lang, "subsidies.title")]
    for s in rules.subsidies.subsidy:
        parts.append("\n".join(subsidy_lines(s, subsidy_status(s, today), rules, lang, cat)))
    return parts


def _short_hint(hint: SubsidyHint, lang: str, cat: Catalogs) -> str:
    mark = cat.text(lang, "subsidy.expired_mark") if hint.status == "expired" else ""
    return (
        cat.text(
            lang, "subsidy.title", title=hint.title.get(lang), amount=amount_text(hint.amount, lang, cat)
        )
        + mark
    )


def _hint_notes(hints: list[SubsidyHint], rules: Rules, lang: str, cat: Catalogs) -> list[str]:
    """Validity and source once per policy document, not once per item."""
    notes: list[str] = []
    seen: set[tuple[str, str]] = set()
    for h in hints:
        validity = validity_text(h.valid_from, h.valid_to, h.status, lang, cat)
        if validity and (h.source.file, validity) not in seen:
            seen.add((h.source.file, validity))
            notes.append(validity)
    for file in dict.fromkeys(h.source.file for h in hints):
        # "三、培育措施（一）企业认定奖励" + "三、培育措施（五）…" → "三、培育措施（一）（五）"
        heads: dict[str, list[str]] = {}
        for h in hints:
            if h.source.file == file:
                head, _, rest = h.source.clause.partition("（")
                tail = "（" + rest.split("）")[0] + "）" if rest else ""
                if tail not in heads.setdefault(head, []):
                    heads[head].append(tail)
        clauses = cat.text(lang, "list.sep").join(head + "".join(tails) for head, tails in heads.items())
        notes.append(source_text(file, clauses, rules, lang, cat))
    return notes


def result_parts(a: Assessment, rules: Rules, lang: str, cat: Catalogs) -> tuple[str, ...]:
    """The result in short parts: score, eligibility, improvements, tier, subsidies, contacts."""
    parts: list[str] = []
    if a.score is not None and a.groups is not None:
        groups = [
            cat.text(lang, "result.group", name=g.label.get(lang), points=a.groups[g.id], max=g.max)
            for g in rules.indicators.group
        ]
        total = sum(g.max for g in rules.indicators.group)
        head = [
            cat.text(lang, "result.score", score=a.score, total_points=total),
            cat.text(lang, "list.sep").join(groups),
        ]
        if a.unanswered:
            names = cat.text(lang, "list.sep").join(cat.text(lang, f"metric.{f}") for f in a.unanswered)
            head.append(cat.text(lang, "result.unanswered", fields=names))
        parts.append("\n".join(head))

        if a.eligible:
            lines = [cat.text(lang, "result.eligible")]
            if a.direct_pass:
                routes: dict[str, DirectRoute] = {r.id: r for r in rules.conditions.direct_route}
                by_score = a.score is not None and a.score >= rules.conditions.score_or_direct.min_score
                lines.append(
                    cat.text(
                        lang,
                        "result.direct_pass_also" if by_score else "result.direct_pass",
                        routes=cat.text(lang, "list.sep").join(
                            routes[d].label.get(lang) for d in a.direct_pass
                        ),
                    )
                )
        else:
            lines = [cat.text(lang, "result.not_eligible")]
            for cond in a.conditions:
                if not cond.met:
                    lines += condition_lines(cond, rules, lang, cat)
        parts.append("\n".join(lines))

        if a.improvements:
            lines = [cat.text(lang, "result.improvements")]
            lines += ["• " + improvement_line(i, rules, lang, cat) for i in a.improvements]
            parts.append("\n".join(lines))

    tiers: dict[str, Tier] = {t.id: t for t in rules.tiers.tier}
    lines = [
        cat.text(lang, "result.tier", tier=tiers[a.tier].label.get(lang))
        if a.tier
        else cat.text(lang, "result.no_tier", tier=rules.tiers.tier[0].label.get(lang))
    ]
    if a.next_tier is not None:
        nxt = a.next_tier
        lines.append(cat.text(lang, "result.next_tier", tier=tiers[nxt.tier].label.get(lang)))
        lines += ["• " + gap_line(g, rules, lang, cat) for g in nxt.gaps]
        if nxt.qualitative:
            lines.append(
                cat.text(
                    lang,
                    "result.verified",
                    items=cat.text(lang, "list.sep").join(q.get(lang) for q in nxt.qualitative),
                )
            )
    parts.append("\n".join(lines))

    held = [h for h in a.subsidy_hints if not h.potential]
    potential = [h for h in a.subsidy_hints if h.potential]
    if held or potential:
        lines = []
        if held:
            lines.append(cat.text(lang, "result.subsidies"))
            lines += [_short_hint(h, lang, cat) for h in held]
        if potential:
            lines.append(cat.text(lang, "result.potential_subsidies"))
            lines += [_short_hint(h, lang, cat) for h in potential]
        lines += _hint_notes([*held, *potential], rules, lang, cat)
        parts.append("\n".join(lines))
    else:
        parts.append(cat.text(lang, "result.no_subsidies"))

    parts.append(cat.text(lang, "result.contacts") + "\n" + contacts_text(rules, lang, cat, a.district))
    return tuple(parts)
