"""审计 Audit log (admins): every action taken in the console, newest first."""

from __future__ import annotations

import json

from aiohttp import web

from ..core import admin_only, console_of, page
from ..forms import Form

PAGE_SIZE = 100


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/audit", audit)


@admin_only
async def audit(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    before = Form(request.query).number("before")
    entries = console.audit.entries(before=before, limit=PAGE_SIZE + 1)
    shown = entries[:PAGE_SIZE]
    return await page(
        request,
        "audit.html",
        {
            "entries": [(e, json.dumps(e.detail, ensure_ascii=False) if e.detail else "") for e in shown],
            "more": shown[-1].id if len(entries) > PAGE_SIZE else None,
        },
        current="audit",
    )
