"""群组 Groups (admins): subscriptions by channel and topic, WeCom robots added and removed,
the inactive ones and why."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from bot.broadcast.content import ROBOT
from bot.broadcast.subscriptions import REMOVED, Subscription

from ..core import BASE, admin_only, console_of, lang_of, page, staff_of
from ..forms import Form

ALL = "*"


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/groups", groups)
    router.add_post("/groups/robots", add_robot_form)
    router.add_post("/groups/{id:\\d+}/remove", remove)


def _context(request: web.Request) -> dict[str, Any]:
    store = console_of(request).broadcasts
    everyone = store.subscriptions(active_only=False)
    active = [s for s in everyone if s.active]
    by_channel: dict[str, list[Subscription]] = {}
    for sub in active:
        by_channel.setdefault(sub.channel, []).append(sub)
    known = store.known_topics()
    per_topic = {t: sum(1 for s in active if not s.topics or t in s.topics) for t in known}
    return {
        "by_channel": by_channel,
        "inactive": [s for s in everyone if not s.active],
        "known_topics": known,
        "per_topic": per_topic,
        "robot": ROBOT,
        "all": ALL,
        "errors": {},
        "values": {},
    }


@admin_only
async def groups(request: web.Request) -> web.StreamResponse:
    return await page(request, "groups.html", _context(request), current="groups")


@admin_only
async def add_robot_form(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    lang = lang_of(request)
    form = Form(await request.post())
    url = form.text("webhook", max_chars=500, required=True)
    name = form.text("name", max_chars=100, required=True)
    picked = form.many("topic")
    known = console.broadcasts.known_topics()
    if any(t not in known and t != ALL for t in picked):
        form.errors["topic"] = ("web.form.unknown_choice", {})
    topics = [] if ALL in picked or not picked else [t for t in known if t in picked]
    if not form.errors:
        try:
            sub = console.add_robot(
                console.broadcasts,
                url,
                name=name,
                topics=topics,
                by=f"console:{staff_of(request).id}",
                now=time.time(),
            )
        except ValueError as exc:  # WebhookError: its key names the catalog message
            form.errors["webhook"] = (getattr(exc, "key", "broadcast.webhook.bad_url"), {})
        else:
            console.audit.record(
                staff_of(request).id,
                "group.added",
                f"subscription:{sub.id}",
                {"name": name, "topics": topics},
            )
            raise web.HTTPSeeOther(f"{BASE}/groups")
    context = _context(request)
    context["errors"] = form.messages(lambda key, **v: console.t(lang, key, **v))
    context["values"] = {"name": name, "topics": picked}  # the URL holds the robot's key: typed again
    return await page(request, "groups.html", context, current="groups", status=400)


@admin_only
async def remove(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    sub_id = int(request.match_info["id"])
    if console.broadcasts.subscription_by_id(sub_id) is None:
        raise web.HTTPNotFound()
    if console.broadcasts.retire(sub_id, REMOVED, time.time()):
        console.audit.record(staff_of(request).id, "group.removed", f"subscription:{sub_id}")
    raise web.HTTPSeeOther(f"{BASE}/groups")
