"""工单 Desk: the tickets staff answer, with their transcripts and the person's last result;
a reply box whose answer reaches the person in their channel exactly as a chat reply does
(the same :class:`~bot.tickets.TicketDesk` methods), claim, close, 存为常见问题. The list
refreshes itself (console.js polls ``/console/desk/list``) so new tickets appear without a
reload; every page works without the script."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.tickets import ACTIVE, STATES, Outcome, Ticket, TicketDesk, TicketMessage

from ..console import StaffConsole
from ..core import BASE, console_of, lang_of, page, staff_of
from ..forms import Form

FILTERS = ("active", *STATES)
REPLY_LIMIT = 3000
PAGE_SIZE = 50
# What an action's outcome says on the ticket's page (the chat's words: desk.staff.*)
SAID = frozenset(
    {
        "desk.staff.sent", "desk.staff.queued", "desk.staff.claimed", "desk.staff.closed", "desk.staff.saved",
        "desk.staff.closed_already", "desk.staff.claimed_already", "desk.staff.undelivered.no_channel",
        "desk.staff.undelivered.refused", "desk.staff.undelivered.later", "desk.staff.undelivered.uncertain",
        "desk.staff.save_unanswered", "desk.staff.save_refused",
        "desk.staff.no_knowledge",
    }
)  # fmt: skip


CLOSED_NOTES = {
    "staff": "web.desk.note.closed",
    "idle": "web.desk.note.closed_idle",
    "person": "web.desk.note.closed_person",
}


@dataclass(frozen=True, slots=True)
class Line:
    """One message of a transcript as the page shows it."""

    id: int
    at: float
    who: str
    text: str
    direction: str
    undelivered: bool  # a staff answer the platform refused
    uncertain: bool  # a staff answer whose sending never reported back (a crash): not sent again
    sending: bool = False  # a staff answer in the reply outbox, on its way


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/desk", desk)
    router.add_get("/desk/list", listing)
    router.add_get("/desk/{id:\\d+}", ticket)
    router.add_get("/desk/{id:\\d+}/transcript", transcript)
    router.add_post("/desk/{id:\\d+}/reply", reply)
    router.add_post("/desk/{id:\\d+}/claim", claim)
    router.add_post("/desk/{id:\\d+}/close", close)
    router.add_post("/desk/{id:\\d+}/save", save)


def _desk(request: web.Request) -> TicketDesk:
    tickets = console_of(request).tickets
    if tickets is None:
        raise web.HTTPNotFound()
    return tickets


def _state(request: web.Request) -> str:
    form = Form(request.query)
    return form.choice("state", FILTERS, "active")


def _tickets(request: web.Request, state: str) -> list[Ticket]:
    states = ACTIVE if state == "active" else (state,)
    return _desk(request).store.listing(states, limit=PAGE_SIZE)


def _list_context(request: web.Request, state: str) -> dict[str, Any]:
    tickets = _desk(request)
    return {"tickets": _tickets(request, state), "state": state, "counts": tickets.store.counts()}


async def desk(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    if console.tickets is None:
        return await page(request, "desk_off.html", {}, current="desk")
    state = _state(request)
    return await page(
        request, "desk.html", {**_list_context(request, state), "filters": FILTERS}, current="desk"
    )


async def listing(request: web.Request) -> web.StreamResponse:
    """The list alone, for the page's script to refresh."""
    return await page(request, "_desk_list.html", _list_context(request, _state(request)), current="desk")


def _ticket(request: web.Request) -> Ticket:
    found = _desk(request).store.get(int(request.match_info["id"]))
    if found is None:
        raise web.HTTPNotFound()
    return found


def _lines(request: web.Request, ticket: Ticket) -> list[Line]:
    lang = lang_of(request)
    console = console_of(request)

    def who(m: TicketMessage) -> str:
        if m.direction == "in":
            return ticket.who
        if m.direction == "note":
            return console.t(lang, "web.desk.note")
        return m.author_name or m.author

    shown = []
    store = _desk(request).store
    on_the_way = store.in_outbox(ticket.id)
    for m in store.messages(ticket.id):
        text = m.text
        if m.direction == "note":
            text = _note_text(console, lang, m.text, m.author_name or m.author)
        out = m.direction == "out"
        shown.append(
            Line(
                m.id,
                m.at,
                who(m),
                text,
                m.direction,
                out and m.delivered is False,
                out and m.delivered is None and m.id not in on_the_way,
                out and m.delivered is None and m.id in on_the_way,
            )
        )
    return shown


def _note_text(console: StaffConsole, lang: str, note: str, by: str) -> str:
    kind, _, rest = note.partition(":")
    if kind == "claimed":
        return console.t(lang, "web.desk.note.claimed", by=by)
    if kind == "closed":
        return console.t(lang, CLOSED_NOTES.get(rest, "web.desk.note.closed"), by=by)
    if kind == "saved":
        return console.t(lang, "web.desk.note.saved", by=by, id=rest)
    return note


async def ticket(
    request: web.Request, *, errors: dict[str, str] | None = None, draft: str = ""
) -> web.StreamResponse:
    found = _ticket(request)
    console = console_of(request)
    lang = lang_of(request)
    said_key = request.query.get("said", "")
    said = None
    if said_key in SAID:
        detail = request.query.get("detail", "")[:300]
        channel = _desk(request).channel_label(lang, found.key.channel)
        said = console.t(lang, said_key, id=found.id, name=found.who, channel=channel,
                         claimed=found.claimed_name or found.claimed_by or "", detail=detail)  # fmt: skip
    return await page(
        request,
        "ticket.html",
        {
            "ticket": found,
            "lines": _lines(request, found),
            "errors": errors or {},
            "draft": draft,
            "said": said,
            "said_ok": said_key
            in ("desk.staff.sent", "desk.staff.claimed", "desk.staff.closed", "desk.staff.saved"),
            "channel": _desk(request).channel_label(lang, found.key.channel),
            "limit": REPLY_LIMIT,
        },
        current="desk",
        status=400 if errors else 200,
    )


async def transcript(request: web.Request) -> web.StreamResponse:
    """The transcript alone, for the page's script to refresh."""
    found = _ticket(request)
    return await page(
        request, "_transcript.html", {"ticket": found, "lines": _lines(request, found)}, current="desk"
    )


def _done(ticket_id: int, outcome: Outcome) -> web.HTTPSeeOther:
    query = f"?said={outcome.key}"
    if outcome.detail:
        from urllib.parse import quote

        query += "&detail=" + quote(outcome.detail)
    return web.HTTPSeeOther(f"{BASE}/desk/{ticket_id}{query}#said")


async def reply(request: web.Request) -> web.StreamResponse:
    """The reply box: the answer goes to the person as a staff reply from the chat does."""
    console = console_of(request)
    found = _ticket(request)
    form = Form(await request.post())
    text = form.text("text", max_chars=REPLY_LIMIT, required=True)
    if form.errors:
        lang = lang_of(request)
        raw = form.data.get("text")
        return await ticket(
            request,
            errors=form.messages(lambda key, **v: console.t(lang, key, **v)),
            draft=raw if isinstance(raw, str) else "",
        )
    who = staff_of(request).id
    outcome = await _desk(request).reply(found.id, text, by=who, name=None, via="console")
    console.audit.record(
        who,
        "ticket.reply",
        f"ticket:{found.id}",
        {"chars": len(text), "delivered": outcome.ok, "said": outcome.key},
    )
    raise _done(found.id, outcome)


async def claim(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    found = _ticket(request)
    who = staff_of(request).id
    outcome = await _desk(request).claim(found.id, by=who, name=None)
    if outcome.ok:
        console.audit.record(who, "ticket.claim", f"ticket:{found.id}")
    raise _done(found.id, outcome)


async def close(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    found = _ticket(request)
    who = staff_of(request).id
    outcome = await _desk(request).close(found.id, by=who, name=None)
    if outcome.ok:
        console.audit.record(who, "ticket.close", f"ticket:{found.id}")
    raise _done(found.id, outcome)


async def save(request: web.Request) -> web.StreamResponse:
    """存为常见问题: the question and the last answer as a staff entry (edit it on the
    knowledge page)."""
    console = console_of(request)
    found = _ticket(request)
    who = staff_of(request).id
    outcome = await _desk(request).save(found.id, by=who, name=None)
    if outcome.ok:
        console.audit.record(who, "ticket.save", f"ticket:{found.id}", {"entry": outcome.detail})
    raise _done(found.id, outcome)
