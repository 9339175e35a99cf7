"""Logging in by a one-time link, logging out, and the language switch."""

from __future__ import annotations

import hmac
import logging

from aiohttp import web
from aiohttp_session import get_session, new_session

from dialogs.i18n import LANGS

from ..access import Refused
from ..core import BASE, client_address, console_of, page, public, staff_of

log = logging.getLogger("zjtx.console")

REFUSALS = {
    "unknown": "web.login.unknown",
    "expired": "web.login.expired",
    "used": "web.login.used",
    "not_staff": "web.login.not_staff",
}


def routes(router: web.UrlDispatcher) -> None:
    router.add_get("/login", login_page)
    router.add_post("/login", login)
    router.add_post("/logout", logout)
    router.add_post("/lang", switch_lang)


@public
async def login_page(request: web.Request) -> web.StreamResponse:
    """The link's landing page: a button that spends the link (a link preview that fetches
    the address spends nothing)."""
    token = request.query.get("token", "")
    return await page(request, "login.html", {"token": token, "refusal": None})


@public
async def login(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    address = client_address(request)
    form = await request.post()
    token = form.get("token")
    # A valid link always works: what is limited is bad ones (a 256-bit token cannot be
    # guessed; the limit keeps a client that hammers the page out of the log and the audit)
    result = console.access.redeem(token if isinstance(token, str) else "")
    if isinstance(result, Refused):
        wait = console.limiter.blocked(address)
        if wait:
            log.debug("console.login_rate_limited address=%s", address)
            response = await page(
                request, "login.html", {"token": "", "refusal": "web.login.too_many"}, status=429
            )
            response.headers["Retry-After"] = str(int(wait))
            return response
        console.limiter.missed(address)
        if console.limiter.blocked(address):
            log.warning(
                "console.login_rate_limited address=%s: bad links refused quietly for a while", address
            )
        log.warning("console.login_refused reason=%s address=%s", result.reason, address)
        console.audit.record("anonymous", "login.refused", "", {"reason": result.reason, "address": address})
        return await page(
            request, "login.html", {"token": "", "refusal": REFUSALS[result.reason]}, status=403
        )
    old = await get_session(request)
    lang = old.get("lang")
    session = await new_session(request)  # a fresh cookie: nothing of before carries over
    session["sid"] = result.session_id
    if isinstance(lang, str):
        session["lang"] = lang
    console.audit.record(result.staff_id, "login", "", {"address": address})
    log.info("console.login staff=%s address=%s", result.staff_id, address)
    raise web.HTTPSeeOther(BASE)


async def logout(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    session = await get_session(request)
    sid = session.get("sid")
    if isinstance(sid, str):
        console.access.end(sid)
    console.audit.record(staff_of(request).id, "logout")
    session.invalidate()
    raise web.HTTPSeeOther(f"{BASE}/login?bye=1")


@public
async def switch_lang(request: web.Request) -> web.StreamResponse:
    """中文 / English for this browser (kept in the session cookie); the page it came from again."""
    form = await request.post()
    session = await get_session(request)
    expected = session.get("csrf")
    sent = form.get("csrf")
    lang = form.get("lang")
    # the switch works before logging in too; with a session it must carry its token
    if session.get("sid") is not None and (
        not isinstance(sent, str) or not isinstance(expected, str) or not hmac.compare_digest(sent, expected)
    ):
        raise web.HTTPForbidden()
    if isinstance(lang, str) and lang in LANGS:
        session["lang"] = lang
    back = form.get("next")
    target = back if isinstance(back, str) and back.startswith(f"{BASE}") and "//" not in back else BASE
    raise web.HTTPSeeOther(target)
