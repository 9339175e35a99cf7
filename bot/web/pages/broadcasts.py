"""群发 Broadcasts: compose with the live preview, pick topics, send now or schedule; the list,
each broadcast's report with every target's state, cancel, resend the uncertain rows."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.broadcast.content import ROBOT, TELEGRAM
from bot.broadcast.desk import check_text
from bot.broadcast.outbox import ROW_STATES, UNCERTAIN, Broadcast
from bot.broadcast.report import STATES, duration, problem_text
from bot.images import ImageError, check_image, size_text
from bot.settings import TIMEZONE
from bot.store import SessionKey
from dialogs.broadcast_compose import MIN_LEAD, parse_send_time

from ..core import BASE, console_of, lang_of, page, staff_of
from ..forms import Form
from ..preview import preview

log = logging.getLogger("zjtx.console")

PAGE_SIZE = 30
TARGETS_PAGE = 100
TEXT_LIMIT = 20_000  # characters typed; the platforms' own limits are checked on the rendering
ALL = "*"
DRAFT_CHANNEL = "web"  # compose drafts of the console, beside the chat desk's own


@dataclass(frozen=True, slots=True)
class Target:
    id: int
    channel: str
    kind: str
    target: str
    state: str
    parts_done: int
    parts_total: int
    attempts: int
    last_at: float | None
    error: str | None


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/broadcasts", broadcasts)
    router.add_get("/broadcasts/new", compose)
    router.add_post("/broadcasts/new", submit)
    router.add_post("/broadcasts/preview", live_preview)
    router.add_get("/broadcasts/{id:\\d+}", report)
    router.add_get("/broadcasts/{id:\\d+}/summary", summary_fragment)
    router.add_post("/broadcasts/{id:\\d+}/cancel", cancel)
    router.add_get("/broadcasts/{id:\\d+}/resend", resend_confirm)
    router.add_post("/broadcasts/{id:\\d+}/resend", resend)


def _draft_key(request: web.Request) -> SessionKey:
    who = staff_of(request).id
    return SessionKey(DRAFT_CHANNEL, who, who)


# --- the list -------------------------------------------------------------------------------------


async def broadcasts(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = Form(request.query)
    before = form.number("before")
    rows = console.db.rows(
        "SELECT id FROM broadcasts WHERE id<? ORDER BY id DESC LIMIT ?",
        [before if before is not None else 2**62, PAGE_SIZE + 1],
    )
    ids = [r[0] for r in rows[:PAGE_SIZE]]
    store = console.broadcasts
    found = {b.id: b for b in (store.broadcast(i) for i in ids) if b is not None}
    counts: dict[int, dict[str, int]] = {i: dict.fromkeys(ROW_STATES, 0) for i in ids}
    if ids:
        marks = ",".join("?" for _ in ids)
        for bid, state, n in console.db.rows(
            f"SELECT broadcast_id, state, count(*) FROM broadcast_outbox WHERE broadcast_id IN ({marks}) "
            "GROUP BY broadcast_id, state",
            ids,
        ):
            counts[bid][state] = n
    return await page(
        request,
        "broadcasts.html",
        {
            "items": [(found[i], counts[i], sum(counts[i].values())) for i in ids if i in found],
            "more": ids[-1] if len(rows) > PAGE_SIZE else None,
            "states": STATES,
        },
        current="broadcasts",
    )


# --- composing ------------------------------------------------------------------------------------


@dataclass
class Composed:
    """What the compose form holds, checked."""

    source: str
    topics: list[str] | None  # None: none picked yet; []: every topic
    when: str  # now | at
    at_text: str
    image: bytes | None
    errors: dict[str, tuple[str, dict[str, Any]]]
    send_at: float | None = None


async def _read(request: web.Request, *, final: bool) -> Composed:
    console = console_of(request)
    store = console.broadcasts
    data = await request.post()
    form = Form(data)
    source = form.text("source", max_chars=TEXT_LIMIT, required=final)
    raw_source = data.get("source")
    if isinstance(raw_source, str) and len(raw_source) <= TEXT_LIMIT:
        source = raw_source.replace("\r\n", "\n")
    picked = form.many("topic")
    known = store.known_topics()
    topics: list[str] | None
    if ALL in picked:
        topics = []
    elif picked:
        unknown = [t for t in picked if t not in known]
        if unknown:
            form.errors["topic"] = ("web.form.unknown_choice", {})
        topics = [t for t in known if t in picked]
    else:
        topics = None
        if final:
            form.errors["topic"] = ("web.broadcast.pick_topics", {})
    when = form.choice("when", ("now", "at"), "now")
    at_text = form.text("at", max_chars=40)
    key = _draft_key(request)
    image: bytes | None = None
    upload = data.get("image")
    if isinstance(upload, web.FileField) and upload.filename:
        try:
            image = check_image(upload.file.read(store.image_limit_bytes + 1), store.image_limit_bytes)
        except ImageError as exc:
            form.errors["image"] = (exc.key, dict(exc.values))
        else:
            store.save_draft(key, json.dumps({"source": source}, ensure_ascii=False), image, time.time())
    elif data.get("keep_image") == "1":
        held = store.draft(key)
        image = held[1] if held else None
    if final and "source" not in form.errors:
        _, problem = check_text(source)
        if problem is not None:
            form.errors["source"] = (problem.key, dict(problem.values))
    composed = Composed(source, topics, when, at_text, image, form.errors)
    if final and when == "at":
        now = datetime.fromtimestamp(time.time(), TIMEZONE)
        moment = parse_send_time(at_text.replace("T", " "), now) if at_text else None
        if moment is None:
            form.errors["at"] = ("broadcast.compose.bad_time", {})
        elif moment < now + MIN_LEAD:
            form.errors["at"] = ("broadcast.compose.past", {"at": moment.strftime("%Y-%m-%d %H:%M")})
        else:
            composed.send_at = moment.timestamp()
    return composed


def _context(request: web.Request, composed: Composed | None) -> dict[str, Any]:
    console = console_of(request)
    lang = lang_of(request)
    store = console.broadcasts
    source = composed.source if composed else ""
    image = composed.image if composed else None
    shown = preview(source, image, store) if source.strip() or image else None
    topics = composed.topics if composed else None
    audience = store.audience(topics or []) if topics is not None else None
    errors = {
        name: problem_text(console.catalogs, lang, key, values)
        for name, (key, values) in (composed.errors if composed else {}).items()
    }
    return {
        "composed": composed,
        "known_topics": store.known_topics(),
        "topics": topics,
        "preview": shown,
        "problem": problem_text(console.catalogs, lang, *shown.problem) if shown and shown.problem else None,
        "audience": audience,
        "telegram": TELEGRAM,
        "robot": ROBOT,
        "image_limit": size_text(store.image_limit_bytes),
        "errors": errors,
        "all": ALL,
    }


async def compose(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    console.broadcasts.drop_draft(_draft_key(request))  # a fresh page starts without an old image
    return await page(request, "compose.html", _context(request, None), current="broadcasts")


async def live_preview(request: web.Request) -> web.StreamResponse:
    """The preview alone (the page's script asks as staff type); an image sent with it is
    checked and kept for the send."""
    composed = await _read(request, final=False)
    return await page(request, "_preview.html", _context(request, composed))


async def submit(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    data = await request.post()
    final = data.get("action") in ("send", "schedule")
    composed = await _read(request, final=final)
    if not final or composed.errors:
        status = 400 if composed.errors and final else 200
        return await page(
            request, "compose.html", _context(request, composed), current="broadcasts", status=status
        )
    rendered, problem = check_text(composed.source)
    assert problem is None and composed.topics is not None
    now = time.time()
    send_at = composed.send_at if composed.when == "at" and composed.send_at is not None else now
    who = staff_of(request).id
    created = console.broadcasts.create(
        by=f"console:{who}",
        source=composed.source,
        rendered=rendered,
        topics=composed.topics,
        send_at=send_at,
        now=now,
        image=composed.image,
    )
    console.broadcasts.drop_draft(_draft_key(request))
    console.audit.record(
        who,
        "broadcast.scheduled" if composed.when == "at" else "broadcast.queued",
        f"broadcast:{created.id}",
        {"topics": composed.topics, "send_at": send_at, "image": composed.image is not None},
    )
    log.info("broadcast.queued id=%d by=console:%s", created.id, who)
    if console.nudge is not None:
        console.nudge()
    raise web.HTTPSeeOther(f"{BASE}/broadcasts/{created.id}")


# --- one broadcast --------------------------------------------------------------------------------


def _broadcast(request: web.Request) -> Broadcast:
    found = console_of(request).broadcasts.broadcast(int(request.match_info["id"]))
    if found is None:
        raise web.HTTPNotFound()
    return found


def _summary(request: web.Request, broadcast: Broadcast) -> dict[str, Any]:
    console = console_of(request)
    lang = lang_of(request)
    found = console.broadcasts.report(broadcast.id, time.time())
    assert found is not None
    return {
        "b": found.broadcast,
        "report": found,
        "states": STATES,
        "took": duration(console.catalogs, lang, found.took) if found.took is not None else None,
        "live": found.broadcast.state in ("scheduled", "delivering"),
        "uncertain": found.counts[UNCERTAIN],
    }


async def report(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    broadcast = _broadcast(request)
    form = Form(request.query)
    after = form.number("after") or 0
    state = form.choice("state", ROW_STATES)
    where = "broadcast_id=? AND id>?"
    params: list[Any] = [broadcast.id, after]
    if state:
        where += " AND state=?"
        params.append(state)
    rows = console.db.rows(
        "SELECT id, channel, kind, coalesce(target, ''), state, parts_done, parts_total, attempts, last_at, "
        f"error FROM broadcast_outbox WHERE {where} ORDER BY id LIMIT ?",
        [*params, TARGETS_PAGE + 1],
    )
    targets = [Target(*r) for r in rows[:TARGETS_PAGE]]
    return await page(
        request,
        "report.html",
        {
            **_summary(request, broadcast),
            "targets": targets,
            "next": targets[-1].id if len(rows) > TARGETS_PAGE else None,
            "state": state,
            "row_states": ROW_STATES,
        },
        current="broadcasts",
    )


async def summary_fragment(request: web.Request) -> web.StreamResponse:
    """The report's counts alone, for the page's script to refresh while it is delivering."""
    return await page(request, "_summary.html", _summary(request, _broadcast(request)))


async def cancel(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    broadcast = _broadcast(request)
    who = staff_of(request).id
    if console.broadcasts.cancel(broadcast.id, f"console:{who}"):
        console.audit.record(who, "broadcast.cancelled", f"broadcast:{broadcast.id}")
    raise web.HTTPSeeOther(f"{BASE}/broadcasts/{broadcast.id}")


async def resend_confirm(request: web.Request) -> web.StreamResponse:
    return await page(request, "resend.html", _summary(request, _broadcast(request)), current="broadcasts")


async def resend(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    broadcast = _broadcast(request)
    data = await request.post()
    if data.get("confirm") != "yes":
        raise web.HTTPSeeOther(f"{BASE}/broadcasts/{broadcast.id}/resend")
    count = console.broadcasts.resend_uncertain(broadcast.id)
    who = staff_of(request).id
    console.audit.record(who, "broadcast.resent", f"broadcast:{broadcast.id}", {"rows": count})
    if count and console.nudge is not None:
        console.nudge()
    raise web.HTTPSeeOther(f"{BASE}/broadcasts/{broadcast.id}")
