"""The policy figures a message states, read from the rules data and written for a reader.

A catalog message that states a threshold, an amount, a percentage or a points value is a
template (``{min_rd_expense}``, ``{top_points}``…); its values come from here, so the figure
a person reads in a question or a result is the one the engine applies. Which placeholder
means what is listed in docs/rules.md ("Figures in messages"); tests/test_catalog_figures.py
fails on a figure written out in a catalog.
"""

from __future__ import annotations

from decimal import Decimal

from dialogs.i18n import Catalogs
from dialogs.parsing import format_decimal
from rules import Rules
from rules.model import (
    BandHighPart,
    BandLowPart,
    Indicator,
    MultiPart,
    Part,
    RatioHighPart,
    StepPart,
)

__all__ = ["amount", "condition_figures", "direct_routes_text", "question_figures"]

MILLION = Decimal(1_000_000)


def amount(value: Decimal, lang: str, cat: Catalogs) -> str:
    """A threshold in yuan as prose states it: 1000 万元; in English ¥10 million."""
    from dialogs.render import money  # imported here: render reads its figures from this module

    if lang == "en" and value >= MILLION and (value / MILLION) == (value / MILLION).quantize(Decimal("0.01")):
        return cat.text(lang, "unit.million", n=format_decimal(value / MILLION))
    return money(value, lang, cat)


def condition_figures(rules: Rules, lang: str, cat: Catalogs) -> dict[str, str]:
    """The figures of the recognition conditions and of the one tax threshold of a subsidy:
    the placeholders of ``condition.*`` and of the ``q.*.why`` lines that cite them."""
    c = rules.conditions
    routes = {r.id: r.min_amount for r in c.direct_route if r.min_amount is not None}
    taxes = [
        clause.min_annual_tax for s in rules.subsidies.subsidy for clause in s.when if clause.min_annual_tax
    ]
    figures = {
        "min_years": format_decimal(c.niche_years.min_years),
        "min_rd_expense": amount(c.rd_expense.min_amount, lang, cat),
        "min_rd_ratio": _percent(c.rd_expense.min_ratio_pct),
        "min_revenue": amount(c.revenue.min_revenue, lang, cat),
        "min_equity": amount(c.revenue.alt_min_equity_financing, lang, cat),
        "min_score": str(c.score_or_direct.min_score),
        "total_points": str(sum(g.max for g in rules.indicators.group)),
        **{f"direct_{route}": amount(value, lang, cat) for route, value in routes.items()},
    }
    if taxes:
        figures["min_annual_tax"] = amount(min(taxes), lang, cat)
    return figures


def question_figures(field: str, rules: Rules, lang: str, cat: Catalogs) -> dict[str, str]:
    """The placeholders of ``q.<field>.why``: the conditions' figures, and those of the
    indicator that scores ``field`` (``indicator`` its number, ``max`` its points; ``top``
    and ``top_points`` its best band; ``each`` per item held; ``step`` and ``per_step``;
    ``points_<value>`` for each option)."""
    figures = condition_figures(rules, lang, cat)
    found = _indicator_part(field, rules)
    if found is None:
        return figures
    indicator, part = found
    figures["indicator"] = str(indicator.number)
    figures["max"] = str(indicator.max)
    if isinstance(part, BandHighPart | BandLowPart | RatioHighPart):
        best = part.bands[0]
        bound = best.min if isinstance(part, BandHighPart | RatioHighPart) else best.max
        if bound is not None:
            figures["top"] = _in_unit(bound, part.unit, lang, cat)
        figures["top_points"] = str(best.points)
    elif isinstance(part, StepPart):
        figures["step"] = format_decimal(part.step)
        figures["per_step"] = str(part.points_per_step)
    elif isinstance(part, MultiPart):
        figures["each"] = str(part.points_each)
    else:
        figures.update({f"points_{option.value}": str(option.points) for option in part.options})
    return figures


def direct_routes_text(rules: Rules, lang: str, cat: Catalogs) -> str:
    """The direct-pass routes in a line, each in its short form ``direct_route.<id>``."""
    routes = [
        cat.text(lang, f"direct_route.{route.id}", **_route_figures(route.min_amount, lang, cat))
        for route in rules.conditions.direct_route
    ]
    return cat.text(lang, "list.sep").join(routes)


def _percent(value: Decimal) -> str:
    from dialogs.render import percent

    return percent(value)


def _route_figures(value: Decimal | None, lang: str, cat: Catalogs) -> dict[str, str]:
    return {} if value is None else {"min_amount": amount(value, lang, cat)}


def _in_unit(value: Decimal, unit: str, lang: str, cat: Catalogs) -> str:
    if unit == "pct":
        return _percent(value)
    if unit == "yuan":
        return amount(value, lang, cat)
    return format_decimal(value)


def _indicator_part(field: str, rules: Rules) -> tuple[Indicator, Part] | None:
    """The indicator (and its part) that scores ``field``: a part asking for it, else a
    ratio reading it on top."""
    for indicator in rules.indicators.indicator:
        for part in indicator.part:
            if not isinstance(part, RatioHighPart) and part.field == field:
                return indicator, part
    for indicator in rules.indicators.indicator:
        for part in indicator.part:
            if isinstance(part, RatioHighPart) and part.numerator == field:
                return indicator, part
    return None
