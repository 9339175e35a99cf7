"""The staff console as one object: what it reads and writes, and its aiohttp sub-application.

:func:`console_from_settings` makes it (bot/app.py calls it); :meth:`StaffConsole.web` is
the sub-application the shared server mounts under ``/console``.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from bot.broadcast.report import CHANNELS, local_time, topic_label
from bot.broadcast.subscriptions import Subscription
from bot.settings import TIMEZONE, Settings

from .access import IDLE_TIMEOUT, LINK_TTL, Access, BadLinkLimiter, Staff
from .audit import AuditLog
from .core import BASE, CONSOLE_KEY, auth_middleware, errors_middleware

if TYPE_CHECKING:
    from bot.broadcast.store import BroadcastStore
    from bot.db import Db
    from bot.service import Assistant
    from bot.store import SqliteStore
    from bot.tickets import TicketDesk

__all__ = ["COOKIE", "ConsoleError", "NavEntry", "StaffConsole", "console_from_settings"]

COOKIE = "zjtx_console"
# aiohttp-session keeps its request keys as strings; aiohttp suggests typed keys, nothing is wrong
warnings.filterwarnings("ignore", "It is recommended to use web.RequestKey", UserWarning, "aiohttp_session")
HERE = Path(__file__).resolve().parent
STATIC_VERSION = hashlib.sha256(
    b"".join(p.read_bytes() for p in sorted((HERE / "static").glob("*")) if p.is_file())
).hexdigest()[:10]
UPLOAD_LIMIT = 4 * 1024 * 1024  # a request body: the largest broadcast image and its text


class AddRobot(Protocol):
    """Subscribe a WeCom group by its robot's webhook URL (bot/channels/wecom/sender.py's
    ``add_robot``, handed over by bot/app.py). Raises ValueError with a catalog ``key``."""

    def __call__(
        self, subscriptions: Any, url: str, *, name: str, topics: Iterable[str], by: str, now: float
    ) -> Subscription: ...


def _no_robots(
    subscriptions: Any, url: str, *, name: str, topics: Iterable[str], by: str, now: float
) -> Subscription:
    raise ValueError("no WeCom robot sender in this process")


class ConsoleError(ValueError):
    """The console's settings cannot be used; the message says what to set."""


@dataclass(frozen=True, slots=True)
class NavEntry:
    id: str
    path: str
    label: str  # catalog key
    admin: bool = False


# The pages in the order of the navigation. The desk (工单) joins when a ticket store exists.
PAGES = (
    NavEntry("desk", f"{BASE}/desk", "web.nav.desk"),
    NavEntry("enquiries", f"{BASE}/enquiries", "web.nav.enquiries"),
    NavEntry("assessments", f"{BASE}/assessments", "web.nav.assessments"),
    NavEntry("statistics", f"{BASE}/statistics", "web.nav.statistics"),
    NavEntry("broadcasts", f"{BASE}/broadcasts", "web.nav.broadcasts"),
    NavEntry("groups", f"{BASE}/groups", "web.nav.groups", admin=True),
    NavEntry("knowledge", f"{BASE}/knowledge", "web.nav.knowledge"),
    NavEntry("audit", f"{BASE}/audit", "web.nav.audit", admin=True),
)


class Formats:
    """How values read on a page, in one language (times in Beijing time)."""

    def __init__(self, console: StaffConsole, lang: str) -> None:
        self.console = console
        self.lang = lang

    def t(self, key: str, **values: Any) -> str:
        return self.console.t(self.lang, key, **values)

    def time(self, timestamp: float | None) -> str:
        return "" if timestamp is None else local_time(timestamp)

    def iso(self, text: str | None) -> str:
        """A stored ISO time (UTC) as Beijing time, "2026-12-01 09:00"."""
        if not text:
            return ""
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")

    def tier(self, tier: str | None) -> str:
        for t in self.console.rules.tiers.tier:
            if t.id == tier:
                return str(t.label.get(self.lang))
        return self.t("web.tier.none") if tier in (None, "") else str(tier)

    def kind(self, kind: str) -> str:
        key = f"lead.kind.{kind}"
        return self.t(key) if self.console.catalogs.has(key) else kind

    def channel(self, channel: str) -> str:
        key = CHANNELS.get(channel) or f"web.channel.{channel}"
        return self.t(key) if self.console.catalogs.has(key) else channel

    def topic(self, topic: str) -> str:
        return topic_label(self.console.catalogs, self.lang, topic)

    def topics(self, topics: tuple[str, ...] | list[str]) -> str:
        if not topics:
            return self.t("broadcast.topics.all")
        return self.t("list.sep").join(self.topic(t) for t in topics)

    def reason(self, reason: str | None) -> str:
        """A stored reason: a catalog key (broadcast.reason.removed) or a platform's own words."""
        if not reason:
            return "-"
        return self.t(reason) if self.console.catalogs.has(reason) else reason

    def yesno(self, value: object) -> str:
        if value is None:
            return self.t("value.none")
        return self.t("web.yes") if value else self.t("web.no")


class StaffConsole:
    """Everything the console's pages use, made once by :func:`console_from_settings`."""

    def __init__(
        self,
        *,
        db: Db,
        store: SqliteStore,
        broadcasts: BroadcastStore,
        assistant: Assistant,
        access: Access,
        key: bytes | str,
        public_url: str,
        clock: Callable[[], float] = time.time,
        limiter: BadLinkLimiter | None = None,
        nudge: Callable[[], None] | None = None,
        add_robot: AddRobot | None = None,
    ) -> None:
        self.db = db
        self.store = store
        self.broadcasts = broadcasts
        self.assistant = assistant
        self.access = access
        self.audit = AuditLog(db, clock=clock)
        self.limiter = limiter or BadLinkLimiter()
        self.clock = clock
        self.nudge = nudge
        self.add_robot: AddRobot = add_robot or _no_robots
        self.public_url = public_url.rstrip("/")
        self.secure = self.public_url.startswith("https://")
        self._fernet = Fernet(key)
        self.tickets: TicketDesk | None = None  # the staff desk (bot/app.py sets it)

    # --- what pages ask ----------------------------------------------------------------------

    @property
    def catalogs(self) -> Any:
        return self.assistant.catalogs

    @property
    def rules(self) -> Any:
        return self.assistant.engine.rules

    def t(self, lang: str, key: str, **values: Any) -> str:
        return self.assistant.catalogs.text(lang, key, **values)

    def formats(self, lang: str) -> Formats:
        return Formats(self, lang)

    def today(self) -> date:
        return self.assistant.today()

    def navigation(self, staff: Staff) -> list[NavEntry]:
        """The pages this person may open; the desk only once tickets are kept."""
        return [
            p for p in PAGES if (staff.admin or not p.admin) and (p.id != "desk" or self.tickets is not None)
        ]

    @property
    def body_limit(self) -> int:
        """The largest request the console takes (a broadcast with its image)."""
        return UPLOAD_LIMIT

    def static_url(self, name: str) -> str:
        """A static file's address, with a version that changes with the files (cache busting)."""
        return f"{BASE}/static/{name}?v={STATIC_VERSION}"

    def may_enter(self, staff_id: str) -> bool:
        return self.access.may_enter(staff_id)

    @property
    def link_minutes(self) -> int:
        return LINK_TTL // 60

    def link_for(self, staff_id: str, via: str) -> str:
        """A one-time login link for ``staff_id``, asked for ``via`` a chat channel or the
        command line (recorded in the audit log). Raises PermissionError for anyone not
        staff or admin."""
        token = self.access.mint(staff_id)
        self.audit.record(staff_id, "login.link", "", {"via": via})
        return f"{self.public_url}{BASE}/login?token={token}"

    # --- the sub-application -------------------------------------------------------------------

    def web(self) -> web.Application:
        """The console's routes under ``/console`` (mount with ``add_subapp``)."""
        from .pages import install

        storage = EncryptedCookieStorage(
            self._fernet,
            cookie_name=COOKIE,
            path=BASE,
            max_age=IDLE_TIMEOUT,
            secure=self.secure,
            httponly=True,
            samesite="Lax",
        )
        app = web.Application(
            middlewares=[errors_middleware, session_middleware(storage), auth_middleware],
            client_max_size=UPLOAD_LIMIT,
        )
        app[CONSOLE_KEY] = self
        aiohttp_jinja2.setup(
            app,
            loader=jinja2.FileSystemLoader(str(HERE / "templates")),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        app.router.add_static("/static", HERE / "static")
        install(app.router)
        return app


def console_key(settings: Settings) -> bytes:
    """The Fernet key of ZJTX_CONSOLE_KEY. Raises ConsoleError saying how to make one."""
    how = (
        'make one with: python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())"'
    )
    if not settings.console_key:
        raise ConsoleError(f"the staff console needs ZJTX_CONSOLE_KEY (a Fernet key); {how}")
    key = settings.console_key.strip().encode("ascii", "replace")
    try:
        Fernet(key)
    except ValueError as exc:
        raise ConsoleError(
            f"ZJTX_CONSOLE_KEY is not a Fernet key (32 bytes, url-safe base64); {how}"
        ) from exc
    return key


def public_url(settings: Settings) -> str:
    """ZJTX_PUBLIC_URL, checked. Raises ConsoleError when it is missing or not http(s)."""
    url = (settings.public_url or "").strip()
    if not url.startswith(("https://", "http://")):
        raise ConsoleError(
            "the staff console needs ZJTX_PUBLIC_URL, the address people reach this server at "
            "(https://console.example.org)"
        )
    return url


def console_from_settings(
    settings: Settings,
    *,
    db: Db,
    store: SqliteStore,
    broadcasts: BroadcastStore,
    assistant: Assistant,
    nudge: Callable[[], None] | None = None,
    add_robot: AddRobot | None = None,
) -> StaffConsole | None:
    """The console the settings describe: None without ZJTX_CONSOLE_KEY (ZJTX_PUBLIC_URL
    alone serves the document links, not a console). Raises ConsoleError when the key is set
    and bad, or ZJTX_PUBLIC_URL is missing or bad."""
    if not settings.console_wanted:
        return None
    key = console_key(settings)
    url = public_url(settings)
    access = Access(db, settings.staff_ids, settings.admin_ids)
    return StaffConsole(
        db=db, store=store, broadcasts=broadcasts, assistant=assistant, access=access, key=key,
        public_url=url, nudge=nudge, add_robot=add_robot,
    )  # fmt: skip
