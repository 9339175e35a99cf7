"""The console's first page: what waits for staff today."""

from __future__ import annotations

from aiohttp import web

from ..core import console_of, page


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("", home)
    router.add_get("/", home)


async def home(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    db = console.db
    today = console.today()
    week_start = today.toordinal() - today.weekday()
    from datetime import date

    monday = date.fromordinal(week_start).isoformat()
    open_leads = db.row("SELECT count(*) FROM leads WHERE handled_at IS NULL")
    this_week = db.row(
        "SELECT coalesce(sum(n), 0) FROM assessment_counts WHERE dimension='finished' AND day>=?", [monday]
    )
    states: dict[str, int] = dict(
        db.rows(
            "SELECT state, count(*) FROM broadcasts WHERE state IN ('scheduled', 'delivering') GROUP BY state"
        )
    )
    return await page(
        request,
        "home.html",
        {
            "open_leads": open_leads[0] if open_leads else 0,
            "this_week": this_week[0] if this_week else 0,
            "scheduled": states.get("scheduled", 0),
            "delivering": states.get("delivering", 0),
            "desk": console.tickets is not None,
            "waiting": console.tickets.store.counts() if console.tickets is not None else None,
        },
        current="home",
    )
