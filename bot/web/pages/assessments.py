"""评估 Assessments: the finished ones, filtered (date, district, eligible, tier, channel), and
each with its answers and its result."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from aiohttp import web

from dialogs import render
from dialogs.figures import condition_figures
from dialogs.flow import STEP_BY_FIELD, options_for
from dialogs.render import result_parts
from dialogs.session import profile_data
from rules import FIELDS, ProfileError, assess, parse_profile

from ..core import console_of, lang_of, page

log = logging.getLogger("zjtx.console")

PAGE_SIZE = 50
CHANNELS = ("telegram", "wecom", "wechat", "console")
ELIGIBLE = ("yes", "no")
NO_TIER = "none"


@dataclass(frozen=True, slots=True)
class AssessmentRow:
    id: int
    channel: str
    user_id: str
    made_on: str
    district: str | None
    tier: str | None
    eligible: int | None
    score: int | None


@dataclass(frozen=True, slots=True)
class Filters:
    first: date | None
    last: date | None
    district: str
    eligible: str
    tier: str
    channel: str

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = ["1=1"]
        params: list[Any] = []
        if self.first:
            clauses.append("made_on>=?")
            params.append(self.first.isoformat())
        if self.last:
            clauses.append("made_on<=?")
            params.append(self.last.isoformat())
        if self.district:
            clauses.append("district=?")
            params.append(self.district)
        if self.eligible:
            clauses.append("eligible=?")
            params.append(1 if self.eligible == "yes" else 0)
        if self.tier == NO_TIER:
            clauses.append("tier IS NULL")
        elif self.tier:
            clauses.append("tier=?")
            params.append(self.tier)
        if self.channel:
            clauses.append("channel=?")
            params.append(self.channel)
        return " AND ".join(clauses), params

    def query(self) -> str:
        parts = {
            "from": self.first.isoformat() if self.first else "",
            "to": self.last.isoformat() if self.last else "",
            "district": self.district,
            "eligible": self.eligible,
            "tier": self.tier,
            "channel": self.channel,
        }
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in parts.items() if v})


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/assessments", assessments)
    router.add_get("/assessments/{id:\\d+}", assessment)


def district_ids(request: web.Request) -> tuple[str, ...]:
    return tuple(d.id for d in console_of(request).rules.contacts.districts.district)


def tier_ids(request: web.Request) -> tuple[str, ...]:
    return tuple(t.id for t in console_of(request).rules.tiers.tier)


def read_filters(request: web.Request, form: Any) -> Filters:
    first, last = form.day("from"), form.day("to")
    form.order("from", "to", first, last)
    return Filters(
        first,
        last,
        form.choice("district", district_ids(request)),
        form.choice("eligible", ELIGIBLE),
        form.choice("tier", (*tier_ids(request), NO_TIER)),
        form.choice("channel", CHANNELS),
    )


async def assessments(request: web.Request) -> web.StreamResponse:
    from ..forms import Form

    console = console_of(request)
    lang = lang_of(request)
    form = Form(request.query)
    filters = read_filters(request, form)
    before = form.number("before")
    where, params = filters.where()
    total = console.db.row(f"SELECT count(*) FROM assessments WHERE {where}", params)
    if before is not None:
        where += " AND id<?"
        params.append(before)
    rows = [
        AssessmentRow(*r)
        for r in console.db.rows(
            "SELECT id, channel, user_id, made_on, district, tier, eligible, score FROM assessments "
            f"WHERE {where} ORDER BY id DESC LIMIT ?",
            [*params, PAGE_SIZE + 1],
        )
    ]
    districts = console.rules.contacts.districts.district
    return await page(
        request,
        "assessments.html",
        {
            "rows": rows[:PAGE_SIZE],
            "more": rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
            "total": total[0] if total else 0,
            "filters": filters,
            "districts": [(d.id, d.label.get(lang)) for d in districts],
            "district_names": {d.id: d.label.get(lang) for d in districts},
            "tiers": tier_ids(request),
            "no_tier": NO_TIER,
            "channels": CHANNELS,
            "errors": form.messages(lambda key, **v: console.t(lang, key, **v)),
        },
        current="assessments",
    )


async def assessment(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    lang = lang_of(request)
    found = console.db.row(
        "SELECT id, channel, user_id, made_on, rules_version, answers, result, created_at FROM assessments "
        "WHERE id=?",
        [int(request.match_info["id"])],
    )
    if found is None:
        raise web.HTTPNotFound()
    answers: dict[str, Any] = json.loads(found[5])
    result: dict[str, Any] = json.loads(found[6])
    rules = console.rules
    figures = condition_figures(rules, lang, console.catalogs)
    failed = [console.t(lang, f"condition.{c}", **figures) for c in result.get("failed_conditions", [])]
    shown = [
        (console.t(lang, f"metric.{f}"), _value(console, f, answers[f], lang)) for f in FIELDS if f in answers
    ]
    shown += [(name, _plain(value)) for name, value in answers.items() if name not in FIELDS]
    made_on = date.fromisoformat(found[3])
    try:
        # stored as the session keeps them (figures as exact strings): restored the same way
        profile = parse_profile(profile_data(answers), rules.contacts.districts)
        parts: tuple[str, ...] = result_parts(assess(profile, rules, made_on), rules, lang, console.catalogs)
    except (ProfileError, ArithmeticError, ValueError, KeyError):
        log.info("assessment %s: its answers no longer score under these rules", found[0])
        parts = ()
    return await page(
        request,
        "assessment.html",
        {
            "a": {
                "id": found[0],
                "channel": found[1],
                "user_id": found[2],
                "made_on": found[3],
                "rules_version": found[4],
                "created_at": found[7],
            },
            "answers": shown,
            "result": result,
            "failed": failed,
            "parts": parts,
            "current_rules": rules.meta.version,
        },
        current="assessments",
    )


def _value(console: Any, field: str, value: Any, lang: str) -> str:
    """An answer as the person read it back in the summary: amounts in 万元, labels of choices."""
    step = STEP_BY_FIELD.get(field)
    kind = step.kind if step else None
    try:
        if kind in ("money", "percent", "years") and isinstance(value, int | float | str):
            figure = Decimal(str(value))
            if kind == "percent":
                return str(render.percent(figure))
            if kind == "years":
                return str(render.years(figure, lang, console.catalogs))
            return str(render.money(figure, lang, console.catalogs))
        labels = {v: label for v, label, _ in options_for(field, console.rules, lang)}
    except (ArithmeticError, ValueError, KeyError):
        return _plain(value)
    if isinstance(value, list):
        separator: str = console.t(lang, "list.sep")
        return separator.join(str(labels.get(v, v)) for v in value)
    return str(labels.get(value, _plain(value)))


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)
