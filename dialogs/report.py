"""What the score card picture and the PDF report say, in the person's language.

:func:`score_card` and :func:`report_doc` return the content (:class:`ScoreCard`,
:class:`ReportDoc`) of an :class:`Image` or a :class:`Document`; the bot layer lays it out
and draws it. Every word comes from the catalogs, every figure from the rules data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from dialogs import render
from dialogs.messages import Bar, Check, Document, Image, ReportDoc, ScoreCard, Section, Table
from dialogs.parsing import format_decimal
from dialogs.results import (
    View,
    _condition_sources,
    _short_gap,
    band_text,
    contacts_line,
    improvement_text,
    sources_lines,
    subsidy_line,
    validity_notices,
)
from rules import Assessment
from rules.model import DirectRoute, Tier

CARD_CONDITIONS = {
    "innovative_sme": "card.condition.innovative_sme",
    "niche_years": "card.condition.niche_years",
    "rd_expense": "card.condition.rd_expense",
    "revenue": "card.condition.revenue",
    "score_or_direct": "card.condition.score_or_direct",
}


def _score_max(view: View) -> int:
    return sum(g.max for g in view.rules.indicators.group)


def _verdict(a: Assessment, view: View) -> str:
    if a.score is None:
        return view.t("card.verdict.institution")
    if a.eligible:
        return view.t("card.verdict.direct") if a.direct_pass else view.t("card.verdict.eligible")
    return view.t("card.verdict.not_eligible")


def _condition_label(cond_id: str, view: View) -> str:
    c = view.rules.conditions

    def money(v: Decimal) -> str:
        return render.money(v, view.lang, view.cat)

    values: dict[str, Any] = {
        "years": format_decimal(c.niche_years.min_years),
        "amount": money(c.rd_expense.min_amount),
        "pct": render.percent(c.rd_expense.min_ratio_pct),
        "revenue": money(c.revenue.min_revenue),
        "equity": money(c.revenue.alt_min_equity_financing),
        "score": c.score_or_direct.min_score,
    }
    return view.t(CARD_CONDITIONS[cond_id], **values)


def headline(a: Assessment, view: View) -> str:
    """One line for a caption: the score, the verdict and the tier."""
    tier = view.tier_label(a.tier) if a.tier else view.t("card.no_tier")
    if a.score is None:
        return view.t("card.alt.institution", tier=tier)
    return view.t("card.alt", score=a.score, max=_score_max(view), verdict=_verdict(a, view), tier=tier)


def score_card(a: Assessment, made_on: date, view: View) -> ScoreCard:
    """The content of the score card picture of `a`."""
    c = view.rules.conditions
    groups = (
        tuple(Bar(g.label.get(view.lang), a.groups[g.id], g.max) for g in view.rules.indicators.group)
        if a.groups is not None
        else ()
    )
    conditions = tuple(
        Check(
            _condition_label(cond.id, view),
            cond.met,
            ""
            if cond.met or cond.id == "innovative_sme" or not cond.gaps
            else _short_gap(cond.gaps[0], view),
        )
        for cond in a.conditions
    )
    if a.next_tier is None:
        next_tier = view.t("details.tier.top")
    else:
        next_tier = view.t("card.next_tier", tier=view.tier_label(a.next_tier.tier))
    return ScoreCard(
        lang=view.lang,
        title=view.t("card.title"),
        subtitle=view.t("card.subtitle"),
        score=a.score,
        score_max=_score_max(view),
        pass_mark=c.score_or_direct.min_score,
        pass_caption=view.t("card.pass_mark", pass_mark=c.score_or_direct.min_score),
        verdict=_verdict(a, view),
        verdict_ok=a.eligible,
        groups_title=view.t("card.groups"),
        groups=groups,
        conditions_title=view.t("card.conditions"),
        conditions=conditions,
        tier_title=view.t("card.tier"),
        tier=view.tier_label(a.tier) if a.tier else view.t("card.no_tier"),
        next_tier=next_tier,
        footer=(
            view.t("card.footer.date", date=made_on.isoformat(), version=a.rules_version),
            view.rules.contacts.association.name.get(view.lang),
            view.t("card.footer.note"),
        ),
    )


def score_image(a: Assessment, made_on: date, view: View) -> Image:
    return Image(score_card(a, made_on, view), headline(a, view), f"zjtx-score-{made_on.isoformat()}.png")


# ---------------------------------------------------------------- the PDF report


def report_doc(
    a: Assessment,
    answers: Sequence[tuple[str, str]],
    raw_answers: Mapping[str, Any],
    made_on: date,
    view: View,
) -> ReportDoc:
    """The content of the PDF report. `answers` are (question, answer as shown) in the
    order asked; `raw_answers` are the stored values (for the bands of multi-part indicators)."""
    rules = view.rules
    sections: list[Section] = []

    if a.score is not None and a.groups is not None:
        by_number = {r.number: r for r in a.indicator_results}
        table_rows: list[tuple[str, ...]] = []
        marks: list[str] = []
        for group in rules.indicators.group:
            table_rows.append(("", group.label.get(view.lang), "", f"{a.groups[group.id]}/{group.max}"))
            marks.append("group")
            for ind in rules.indicators.indicator:
                if ind.group != group.id:
                    continue
                r = by_number[ind.number]
                table_rows.append(
                    (
                        str(ind.number),
                        ind.label.get(view.lang),
                        band_text(ind, r, raw_answers, view),
                        f"{r.points}/{r.max}",
                    )
                )
                marks.append("")
        header = (
            view.t("report.col.number"),
            view.t("report.col.indicator"),
            view.t("report.col.band"),
            view.t("report.col.points"),
        )
        sections.append(
            Section(
                view.t(
                    "report.score",
                    score=a.score,
                    max=_score_max(view),
                    pass_mark=rules.conditions.score_or_direct.min_score,
                ),
                (Table(header, tuple(table_rows), (2, 9, 9, 2), tuple(marks)),),
                " ".join(sources_lines([g.source for g in rules.indicators.group], view)),
            )
        )

        c = rules.conditions
        cond_rows: list[tuple[str, ...]] = []
        cond_marks: list[str] = []
        for cond in a.conditions:
            label = getattr(c, cond.id).label.get(view.lang)
            if cond.met:
                gaps = ""
            elif cond.id == "innovative_sme":
                gaps = view.t("condition.innovative_sme.first_step")
            else:
                parts = [render.gap_line(g, rules, view.lang, view.cat) for g in cond.gaps]
                if cond.alternative is not None:
                    parts.append(
                        view.t("gap.or") + render.gap_line(cond.alternative, rules, view.lang, view.cat)
                    )
                gaps = "\n".join(parts)
            cond_rows.append((label, view.t("report.met") if cond.met else view.t("report.not_met"), gaps))
            cond_marks.append("ok" if cond.met else "fail")
        verdict = [view.t("result.eligible") if a.eligible else view.t("result.not_eligible.short")]
        if a.direct_pass:
            routes: dict[str, DirectRoute] = {r.id: r for r in c.direct_route}
            verdict.append(
                view.t(
                    "result.direct_pass",
                    routes=view.sep().join(routes[d].label.get(view.lang) for d in a.direct_pass),
                )
            )
        sections.append(
            Section(
                view.t("report.conditions"),
                (
                    Table(
                        (
                            view.t("report.col.condition"),
                            view.t("report.col.result"),
                            view.t("report.col.shortfall"),
                        ),
                        tuple(cond_rows),
                        (8, 2, 8),
                        tuple(cond_marks),
                    ),
                    "\n".join(verdict),
                ),
                " ".join(sources_lines(_condition_sources(view), view)),
            )
        )

        if a.improvements:
            lines = [
                view.t(
                    "report.improvement",
                    n=i,
                    indicator=view.indicator(imp.indicator).label.get(view.lang),
                    what=improvement_text(imp, view),
                    gain=imp.gain,
                )
                for i, imp in enumerate(a.improvements, start=1)
            ]
            sections.append(
                Section(
                    view.t("report.plan"),
                    ("\n".join(lines),),
                    " ".join(
                        sources_lines([view.indicator(i.indicator).source for i in a.improvements], view)
                    ),
                )
            )

    tiers: dict[str, Tier] = {t.id: t for t in rules.tiers.tier}
    tier_lines = [view.t("result.tier", tier=view.tier_label(a.tier)) if a.tier else view.no_tier()]
    if a.next_tier is not None:
        tier_lines.append(view.t("result.next_tier", tier=view.tier_label(a.next_tier.tier)))
        tier_lines += ["• " + render.gap_line(g, rules, view.lang, view.cat) for g in a.next_tier.gaps]
        if a.next_tier.qualitative:
            tier_lines.append(
                view.t(
                    "result.verified",
                    items=view.sep().join(q.get(view.lang) for q in a.next_tier.qualitative),
                )
            )
    shown = [t for t in (a.tier, a.next_tier.tier if a.next_tier else None) if t]
    sections.append(
        Section(
            view.t("report.tier"),
            ("\n".join(tier_lines),),
            " ".join(sources_lines([tiers[t].source for t in shown] or [rules.tiers.tier[0].source], view)),
        )
    )

    hints = list(a.subsidy_hints)
    if hints:
        sub_rows = tuple(
            (
                h.title.get(view.lang) + (view.t("report.potential") if h.potential else ""),
                render.amount_text(h.amount, view.lang, view.cat),
                h.who.get(view.lang),
                _validity(h.valid_from, h.valid_to, view),
            )
            for h in hints
        )
        warnings = validity_notices(hints, view)
        sources = sources_lines([h.source for h in hints], view)
        sub_blocks: list[str | Table] = [
            subsidy_line(hints, view),
            Table(
                (
                    view.t("report.col.item"),
                    view.t("report.col.amount"),
                    view.t("report.col.who"),
                    view.t("report.col.valid"),
                ),
                sub_rows,
                (5, 4, 7, 3),
                tuple("fail" if h.status == "expired" else "" for h in hints),
            ),
        ]
        if warnings:
            sub_blocks.append("\n".join(warnings))
        sections.append(Section(view.t("report.subsidies"), tuple(sub_blocks), " ".join(sources)))
    else:
        sections.append(Section(view.t("report.subsidies"), (view.t("result.no_subsidies"),)))

    contacts = render.contacts_text(rules, view.lang, view.cat, a.district)
    contact_sources = [rules.contacts.association.source]
    if a.district and rules.contacts.districts.find(a.district) is not None:
        contact_sources.append(rules.contacts.districts.source)
    sections.append(
        Section(view.t("report.contacts"), (contacts,), " ".join(sources_lines(contact_sources, view)))
    )

    rows = tuple((name, value) for name, value in answers)
    blocks: list[str | Table] = [
        Table((view.t("report.col.question"), view.t("report.col.answer")), rows, (2, 3))
    ]
    if a.unanswered:
        names = view.sep().join(view.t(f"metric.{f}") for f in a.unanswered)
        blocks.append(view.t("result.unanswered.detail", fields=names))
    sections.append(Section(view.t("report.answers"), tuple(blocks)))  # an annex: the result first

    return ReportDoc(
        lang=view.lang,
        title=view.t("report.title"),
        subtitle=rules.contacts.association.name.get(view.lang),
        meta=(view.t("card.footer.date", date=made_on.isoformat(), version=a.rules_version),),
        headline=headline(a, view),
        sections=tuple(sections),
        footer=view.t("card.footer.note") + " · " + contacts_line(view),
    )


def _validity(start: date | None, end: date | None, view: View) -> str:
    if start and end:
        return view.t("report.valid.range", start=start.isoformat(), end=end.isoformat())
    if end:
        return view.t("subsidy.valid_until", end=end.isoformat())
    return view.t("report.valid.open")


def report_document(
    a: Assessment,
    answers: Sequence[tuple[str, str]],
    raw_answers: Mapping[str, Any],
    made_on: date,
    view: View,
) -> Document:
    return Document(
        report_doc(a, answers, raw_answers, made_on, view),
        view.t("report.caption", date=made_on.isoformat()),
        f"zjtx-report-{made_on.isoformat()}.pdf",
    )
