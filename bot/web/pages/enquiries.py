"""意向 Enquiries: filters (kind, handled, date), notes, mark handled, export CSV and XLSX."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any, get_args

from aiohttp import web

from dialogs.leads import LeadKind

from ..core import BASE, console_of, lang_of, page, staff_of
from ..exports import CSV_TYPE, XLSX_TYPE, csv_bytes, xlsx_bytes
from ..forms import Form, day_bounds

KINDS: tuple[str, ...] = get_args(LeadKind)
HANDLED = ("open", "handled", "all")
PAGE_SIZE = 50
NOTE_LIMIT = 2000
COLUMNS = (
    "id, created_at, kind, company, contact, phone, score, tier, channel, user_id, assessment_id, "
    "handled_at, handled_by, (SELECT count(*) FROM lead_notes n WHERE n.lead_id = leads.id)"
)


@dataclass(frozen=True, slots=True)
class EnquiryRow:
    id: int
    created_at: str
    kind: str
    company: str
    contact: str
    phone: str
    score: int | None
    tier: str | None
    channel: str
    user_id: str
    assessment_id: int | None
    handled_at: str | None
    handled_by: str | None
    notes: int


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    at: float
    by: str
    text: str


@dataclass(frozen=True, slots=True)
class Filters:
    kind: str
    handled: str
    first: date | None
    last: date | None

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = ["1=1"], []
        if self.kind:
            clauses.append("kind=?")
            params.append(self.kind)
        if self.handled == "open":
            clauses.append("handled_at IS NULL")
        elif self.handled == "handled":
            clauses.append("handled_at IS NOT NULL")
        start, end = day_bounds(self.first, self.last)
        if start:
            clauses.append("created_at>=?")
            params.append(start)
        if end:
            clauses.append("created_at<?")
            params.append(end)
        return " AND ".join(clauses), params

    def query(self) -> str:
        parts = {"kind": self.kind, "handled": self.handled}
        if self.first:
            parts["from"] = self.first.isoformat()
        if self.last:
            parts["to"] = self.last.isoformat()
        return "&".join(f"{k}={v}" for k, v in parts.items() if v)


def read_filters(form: Form) -> Filters:
    first, last = form.day("from"), form.day("to")
    form.order("from", "to", first, last)
    return Filters(form.choice("kind", KINDS), form.choice("handled", HANDLED, "open"), first, last)


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/enquiries", enquiries)
    router.add_get("/enquiries/export.csv", export_csv)
    router.add_get("/enquiries/export.xlsx", export_xlsx)
    router.add_get("/enquiries/{id:\\d+}", enquiry)
    router.add_post("/enquiries/{id:\\d+}/handled", mark_handled)
    router.add_post("/enquiries/{id:\\d+}/notes", add_note)


def _rows(
    request: web.Request, filters: Filters, *, before: int | None, limit: int | None
) -> list[EnquiryRow]:
    where, params = filters.where()
    if before is not None:
        where += " AND id<?"
        params.append(before)
    tail = " LIMIT ?" if limit is not None else ""
    rows = console_of(request).db.rows(
        f"SELECT {COLUMNS} FROM leads WHERE {where} ORDER BY id DESC{tail}",
        [*params, *([limit] if limit is not None else [])],
    )
    return [EnquiryRow(*r) for r in rows]


async def enquiries(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = Form(request.query)
    filters = read_filters(form)
    before = form.number("before")
    rows = _rows(request, filters, before=before, limit=PAGE_SIZE + 1)
    where, params = filters.where()
    total = console.db.row(f"SELECT count(*) FROM leads WHERE {where}", params)
    lang = lang_of(request)
    return await page(
        request,
        "enquiries.html",
        {
            "rows": rows[:PAGE_SIZE],
            "more": rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
            "total": total[0] if total else 0,
            "filters": filters,
            "kinds": KINDS,
            "handled_choices": HANDLED,
            "errors": form.messages(lambda key, **v: console.t(lang, key, **v)),
        },
        current="enquiries",
    )


def _lead(request: web.Request) -> EnquiryRow:
    lead_id = int(request.match_info["id"])
    rows = console_of(request).db.rows(f"SELECT {COLUMNS} FROM leads WHERE id=?", [lead_id])
    if not rows:
        raise web.HTTPNotFound()
    return EnquiryRow(*rows[0])


def _notes(request: web.Request, lead_id: int) -> list[Note]:
    rows = console_of(request).db.rows(
        "SELECT id, at, by, text FROM lead_notes WHERE lead_id=? ORDER BY id", [lead_id]
    )
    return [Note(*r) for r in rows]


async def enquiry(
    request: web.Request, *, errors: dict[str, str] | None = None, draft: str = ""
) -> web.StreamResponse:
    lead = _lead(request)
    return await page(
        request,
        "enquiry.html",
        {"lead": lead, "notes": _notes(request, lead.id), "errors": errors or {}, "draft": draft},
        current="enquiries",
        status=400 if errors else 200,
    )


async def mark_handled(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    lead = _lead(request)
    who = staff_of(request).id
    if console.store.mark_handled(lead.id, f"console:{who}", at=console.assistant.clock()):
        console.audit.record(who, "lead.handled", f"lead:{lead.id}")
    raise web.HTTPSeeOther(f"{BASE}/enquiries/{lead.id}")


async def add_note(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    lead = _lead(request)
    form = Form(await request.post())
    text = form.text("note", max_chars=NOTE_LIMIT, required=True)
    if form.errors:
        lang = lang_of(request)
        raw = form.data.get("note")
        return await enquiry(
            request,
            errors=form.messages(lambda key, **v: console.t(lang, key, **v)),
            draft=raw if isinstance(raw, str) else "",
        )
    who = staff_of(request).id
    with console.db.tx() as conn:
        conn.execute(
            "INSERT INTO lead_notes (lead_id, at, by, text) VALUES (?,?,?,?)",
            [lead.id, time.time(), who, text],
        )
    console.audit.record(who, "lead.note", f"lead:{lead.id}", {"chars": len(text)})
    raise web.HTTPSeeOther(f"{BASE}/enquiries/{lead.id}")


def _export(request: web.Request) -> tuple[list[str], list[list[Any]], Filters]:
    console = console_of(request)
    lang = lang_of(request)
    fmt = console.formats(lang)
    form = Form(request.query)
    filters = read_filters(form)
    if form.errors:
        raise web.HTTPBadRequest()
    header = [console.t(lang, EXPORT_COLUMNS[c]) for c in EXPORT_COLUMNS]
    rows = []
    for r in _rows(request, filters, before=None, limit=None):
        notes = " | ".join(n.text for n in _notes(request, r.id)) if r.notes else ""
        rows.append(
            [
                r.id, fmt.iso(r.created_at), fmt.kind(r.kind), r.company, r.contact, r.phone, r.score,
                fmt.tier(r.tier) if r.tier else "", fmt.channel(r.channel), r.user_id, r.assessment_id,
                fmt.iso(r.handled_at), r.handled_by or "", notes,
            ]
        )  # fmt: skip
    console.audit.record(
        staff_of(request).id, "lead.export", "", {"rows": len(rows), "filters": filters.query()}
    )
    return header, rows, filters


EXPORT_COLUMNS = {
    "id": "web.col.id",
    "created": "web.col.created",
    "kind": "web.col.kind",
    "company": "web.col.company",
    "contact": "web.col.contact",
    "phone": "web.col.phone",
    "score": "web.col.score",
    "tier": "web.col.tier",
    "channel": "web.col.channel",
    "user": "web.col.user",
    "assessment": "web.col.assessment",
    "handled_at": "web.col.handled_at",
    "handled_by": "web.col.handled_by",
    "notes": "web.col.notes",
}


def _filename(extension: str) -> str:
    return f"enquiries-{time.strftime('%Y%m%d')}.{extension}"


async def export_csv(request: web.Request) -> web.StreamResponse:
    header, rows, _ = _export(request)
    return web.Response(
        body=csv_bytes(header, rows),
        headers={
            "Content-Type": CSV_TYPE,
            "Content-Disposition": f'attachment; filename="{_filename("csv")}"',
        },
    )


async def export_xlsx(request: web.Request) -> web.StreamResponse:
    header, rows, _ = _export(request)
    title = console_of(request).t(lang_of(request), "web.nav.enquiries")
    return web.Response(
        body=xlsx_bytes(title, header, rows),
        headers={
            "Content-Type": XLSX_TYPE,
            "Content-Disposition": f'attachment; filename="{_filename("xlsx")}"',
        },
    )
