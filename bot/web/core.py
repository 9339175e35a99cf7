"""The plumbing every console page shares: the request's person and language, CSRF, the
error pages, security headers, and rendering a template with the catalogs.

Handlers are plain aiohttp handlers marked with :func:`public` (no session needed: the
login page, static files) or :func:`admin_only`; every other handler needs a live session
(:mod:`bot.web.access`), and every request that is not GET/HEAD carries the session's CSRF
token (form field ``csrf`` or header ``X-CSRF-Token``), compared in constant time.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from dialogs.i18n import DEFAULT_LANG, LANGS, normalize_lang

from .access import Staff

if TYPE_CHECKING:
    from .console import StaffConsole

__all__ = [
    "BASE",
    "CONSOLE_KEY",
    "Handler",
    "admin_only",
    "client_address",
    "console_of",
    "csrf_token",
    "errors_middleware",
    "lang_of",
    "page",
    "public",
    "staff_of",
]

log = logging.getLogger("zjtx.console")
BASE = "/console"
CONSOLE_KEY = web.AppKey("console", object)
STAFF_KEY = web.RequestKey("staff", Staff)
LANG_KEY = web.RequestKey("lang", str)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK = frozenset({"127.0.0.1", "::1"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Handler)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a login link in the address bar never leaves as a referrer
    "X-Frame-Options": "DENY",
}


def public(handler: H) -> H:
    """A handler that needs no session (the login page)."""
    handler._console_public = True  # type: ignore[attr-defined]
    return handler


def admin_only(handler: H) -> H:
    """A handler for admins (ZJTX_ADMIN) only; staff get 403."""
    handler._console_admin = True  # type: ignore[attr-defined]
    return handler


def console_of(request: web.Request) -> StaffConsole:
    return request.config_dict[CONSOLE_KEY]  # type: ignore[return-value]


def staff_of(request: web.Request) -> Staff:
    staff = request.get(STAFF_KEY)
    assert isinstance(staff, Staff), "only handlers behind the session check ask"
    return staff


def client_address(request: web.Request) -> str:
    """The client's address; behind a reverse proxy on this host, the one it forwarded."""
    remote = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if remote in LOOPBACK and forwarded:
        return forwarded.split(",")[-1].strip() or remote
    return remote


def lang_of(request: web.Request) -> str:
    """The page's language: the switch's choice, else ``?lang=``, else the browser's, else Chinese."""
    chosen = request.get(LANG_KEY)
    if isinstance(chosen, str):
        return chosen
    asked = normalize_lang(request.query.get("lang"))
    if asked:
        return asked
    for part in request.headers.get("Accept-Language", "").split(","):
        found = normalize_lang(part.split(";")[0])
        if found:
            return found
    return DEFAULT_LANG


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _wants_html(request: web.Request) -> bool:
    """A page a person opens (redirected to the login page), not a script's fetch (401)."""
    if request.method != "GET" or "X-Requested-With" in request.headers:
        return False
    return "json" not in request.headers.get("Accept", "")


def _handler_flag(request: web.Request, flag: str) -> bool:
    route = request.match_info.route
    if isinstance(route.resource, web.StaticResource):
        return flag == "_console_public"
    return bool(getattr(route.handler, flag, False))


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The session check, the role check and the CSRF check, in that order."""
    session = await get_session(request)
    if isinstance(session.get("lang"), str) and session["lang"] in LANGS:
        request[LANG_KEY] = session["lang"]
    if _handler_flag(request, "_console_public"):
        return await handler(request)
    console = console_of(request)
    sid = session.get("sid")
    staff = console.access.session(sid) if isinstance(sid, str) else None
    if staff is None:
        if sid is not None:
            session.invalidate()  # ended, idle or no longer staff: the cookie goes too
        if _wants_html(request):
            raise web.HTTPFound(f"{BASE}/login")
        raise web.HTTPUnauthorized(text="401: log in first\n")
    request[STAFF_KEY] = staff
    session["seen"] = int(console.clock() // 60)  # re-sealed each minute: the cookie expires when idle
    if _handler_flag(request, "_console_admin") and not staff.admin:
        log.warning("console.forbidden %s %s by %s", request.method, request.path, staff.id)
        raise web.HTTPForbidden()
    if request.method not in SAFE_METHODS:
        expected = session.get("csrf")
        sent = request.headers.get("X-CSRF-Token")
        if sent is None and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            form = await request.post()
            field = form.get("csrf")
            sent = field if isinstance(field, str) else None
        if not isinstance(expected, str) or sent is None or not hmac.compare_digest(sent, expected):
            log.warning("console.csrf_refused %s %s by %s", request.method, request.path, staff.id)
            raise web.HTTPForbidden(reason="CSRF")
    return await handler(request)


ERROR_PAGES = {400: "web.error.400", 403: "web.error.403", 404: "web.error.404", 405: "web.error.405"}


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as pages in the page's language, never a stack trace; security headers on all."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.status == 401 or exc.status == 429:
            _secure(exc)
            raise
        response = await _error_page(request, exc.status, ERROR_PAGES.get(exc.status, "web.error.other"))
    except Exception:
        log.exception("console.error %s %s", request.method, request.path)
        response = await _error_page(request, 500, "web.error.500")
    _secure(response)
    return response


def _secure(response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.content_type == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")


async def _error_page(request: web.Request, status: int, message: str) -> web.Response:
    lang = lang_of(request)
    console = console_of(request)
    context = {"status": status, "message": console.t(lang, message), **_base_context(request, lang)}
    context["staff"] = request.get(STAFF_KEY)
    context["csrf"] = ""
    response = aiohttp_jinja2.render_template("error.html", request, context, status=status)
    return response


def _base_context(request: web.Request, lang: str) -> dict[str, Any]:
    console = console_of(request)

    def t(key: str, **values: Any) -> str:
        return console.t(lang, key, **values)

    return {
        "t": t,
        "lang": lang,
        "base": BASE,
        "path": request.path_qs,
        "nav": [],
        "staff": None,
        "console": console,
        "fmt": console.formats(lang),
        "static": console.static_url,
        "link_minutes": console.link_minutes,
    }


async def page(
    request: web.Request,
    template: str,
    context: Mapping[str, Any],
    *,
    current: str = "",
    status: int = 200,
) -> web.Response:
    """Render ``template`` with the catalogs in the page's language, the navigation (pages
    the person may open), their CSRF token and ``context``."""
    lang = lang_of(request)
    console = console_of(request)
    staff = request.get(STAFF_KEY)
    full = _base_context(request, lang)
    full.update(
        {
            "staff": staff,
            "csrf": await csrf_token(request),
            "nav": console.navigation(staff) if isinstance(staff, Staff) else [],
            "current": current,
        }
    )
    full.update(context)
    return aiohttp_jinja2.render_template(template, request, full, status=status)
