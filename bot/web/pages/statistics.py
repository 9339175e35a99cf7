"""评估统计 Statistics of the finished assessments, from SQL aggregates only.

The counts come from ``assessment_counts`` (a row per day, channel and fact, kept by
triggers on ``assessments``), so a page adds up at most a few thousand rows whatever the
number of assessments. Started questionnaires, the completion rate and where people stop
need the questionnaire's event log: they are shown when the table :data:`EVENTS_TABLE`
exists (see :func:`dropoff`), and the page says they are not recorded otherwise. The
reminders handled in the range (sent, not sent, uncertain) come from ``reminders``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from bot.db import Db
from bot.settings import TIMEZONE

from ..charts import bars_across, bars_up
from ..core import console_of, lang_of, page
from ..forms import Form
from .assessments import CHANNELS

DEFAULT_WEEKS = 26
# The questionnaire's event log (one row per question asked, answered or skipped, and per
# finish or abandonment, of one attempt): kind, question, attempt, channel, user_id, day.
EVENTS_TABLE = "questionnaire_events"


@dataclass(frozen=True, slots=True)
class Range:
    first: date
    last: date
    channel: str

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = ["day>=?", "day<=?"], [self.first.isoformat(), self.last.isoformat()]
        if self.channel:
            clauses.append("channel=?")
            params.append(self.channel)
        return " AND ".join(clauses), params


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/statistics", statistics)


def counts(db: Db, dimension: str, span: Range) -> dict[str, int]:
    where, params = span.where()
    return {
        value: n
        for value, n in db.rows(
            f"SELECT value, sum(n) FROM assessment_counts WHERE dimension=? AND {where} GROUP BY value",
            [dimension, *params],
        )
        if n
    }


def weekly(db: Db, span: Range) -> list[tuple[date, int]]:
    """Finished assessments per week (Monday to Sunday), every week of the range, zeros included."""
    where, params = span.where()
    found = {
        date.fromisoformat(week): n
        for week, n in db.rows(
            "SELECT date(day, '-6 days', 'weekday 1'), sum(n) FROM assessment_counts "
            f"WHERE dimension='finished' AND {where} GROUP BY 1",
            params,
        )
    }
    monday = span.first - timedelta(days=span.first.weekday())
    weeks = []
    while monday <= span.last:
        weeks.append((monday, found.get(monday, 0)))
        monday += timedelta(days=7)
    return weeks


@dataclass(frozen=True, slots=True)
class Dropoff:
    started: int
    finished: int
    stopped_at: list[tuple[str, int]]  # (question, attempts whose last question it was), most first


def dropoff(db: Db, span: Range) -> Dropoff | None:
    """Where people stop, from the questionnaire's event log; None while there is none."""
    if db.row("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [EVENTS_TABLE]) is None:
        return None
    where, params = span.where()
    started = db.row(
        f"SELECT count(DISTINCT attempt) FROM {EVENTS_TABLE} WHERE kind='asked' AND {where}", params
    )
    finished = db.row(
        f"SELECT count(DISTINCT attempt) FROM {EVENTS_TABLE} WHERE kind='finished' AND {where}", params
    )
    stopped = db.rows(
        f"SELECT question, count(*) FROM (SELECT attempt, question, max(rowid) FROM {EVENTS_TABLE} "
        f"WHERE kind='asked' AND {where} AND attempt NOT IN "
        f"(SELECT attempt FROM {EVENTS_TABLE} WHERE kind='finished') GROUP BY attempt) "
        "GROUP BY question ORDER BY 2 DESC",
        params,
    )
    return Dropoff(started[0] if started else 0, finished[0] if finished else 0, [(q, n) for q, n in stopped])


@dataclass(frozen=True, slots=True)
class Reminders:
    sent: int
    not_sent: int  # dropped (a window shut, the bot blocked, nothing to remind of) or failed
    uncertain: int  # interrupted mid-send: perhaps delivered, never resent


def reminders(db: Db, span: Range) -> Reminders:
    """The reminders whose send was settled in the range (by the Beijing day of its answer)."""
    start = datetime.combine(span.first, time(), TIMEZONE).timestamp()
    end = datetime.combine(span.last + timedelta(days=1), time(), TIMEZONE).timestamp()
    clauses: list[str] = ["last_at>=?", "last_at<?"]
    params: list[Any] = [start, end]
    if span.channel:
        clauses.append("channel=?")
        params.append(span.channel)
    found: dict[str, int] = dict(
        db.rows(f"SELECT state, count(*) FROM reminders WHERE {' AND '.join(clauses)} GROUP BY state", params)
    )
    return Reminders(
        found.get("sent", 0), found.get("dropped", 0) + found.get("failed", 0), found.get("uncertain", 0)
    )


async def statistics(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    lang = lang_of(request)
    fmt = console.formats(lang)
    form = Form(request.query)
    today = console.today()
    first = form.day("from")
    last = form.day("to")
    form.order("from", "to", first, last)
    channel = form.choice("channel", CHANNELS)
    if "to" in form.errors:
        last = None
    last = last or today
    first = first or (last - timedelta(weeks=DEFAULT_WEEKS - 1, days=last.weekday()))
    span = Range(first, last, channel)
    db = console.db
    t = fmt.t

    finished = sum(counts(db, "finished", span).values())
    eligible = counts(db, "eligible", span)
    judged = eligible.get("1", 0) + eligible.get("0", 0)
    bands = counts(db, "score", span)
    band_items = []
    for band in range(10):  # 0–9, 10–19, …, 90–100 (a full score joins the last band)
        n = bands.get(str(band), 0) + (bands.get("10", 0) if band == 9 else 0)
        band_items.append((f"{band * 10}–{band * 10 + 9 if band < 9 else 100}", n))
    tiers = counts(db, "tier", span)
    tier_items = [(fmt.tier(tr.id), tiers.get(tr.id, 0)) for tr in console.rules.tiers.tier]
    tier_items.append((fmt.tier(None), tiers.get("", 0)))
    districts = counts(db, "district", span)
    names = {d.id: d.label.get(lang) for d in console.rules.contacts.districts.district}
    district_items = sorted(
        ((names.get(d, d) if d else t("web.stats.no_district"), n) for d, n in districts.items()),
        key=lambda item: -item[1],
    )
    weeks = [(w.strftime("%m-%d"), n) for w, n in weekly(db, span)]
    drop = dropoff(db, span)
    drop_items = (
        [(t(f"metric.{q}") if console.catalogs.has(f"metric.{q}") else q, n) for q, n in drop.stopped_at]
        if drop
        else []
    )
    return await page(
        request,
        "statistics.html",
        {
            "span": span,
            "channels": CHANNELS,
            "finished": finished,
            "judged": judged,
            "eligible": eligible.get("1", 0),
            "share": round(100 * eligible.get("1", 0) / judged) if judged else None,
            "weeks": weeks,
            "bands": band_items,
            "tiers": tier_items,
            "districts": district_items,
            "drop": drop,
            "drop_items": drop_items,
            "reminders": reminders(db, span),
            "charts": {
                "weeks": bars_up(t("web.stats.per_week"), weeks, empty=t("web.stats.nothing")),
                "bands": bars_up(t("web.stats.scores"), band_items, empty=t("web.stats.nothing")),
                "tiers": bars_across(t("web.stats.tiers"), tier_items, empty=t("web.stats.nothing")),
                "districts": bars_across(
                    t("web.stats.districts"), district_items, empty=t("web.stats.nothing")
                ),
                "drop": bars_across(t("web.stats.dropoff"), drop_items, empty=t("web.stats.nothing"))
                if drop_items
                else None,
            },
            "errors": form.messages(t),
        },
        current="statistics",
    )
