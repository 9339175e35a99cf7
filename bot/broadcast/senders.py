"""One platform call per part, and a verdict on what it proves.

The worker resends a part only when the platform's answer proves it was not delivered
(a flood refusal, WeCom "busy", a connection that never opened). When the request may have
reached the platform (a timeout after it was written, a dropped connection, a 5xx) the
verdict is Uncertain and the part is not sent again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
import httpx
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.channels.telegram.transport import file_base_url, retry_after_seconds
from bot.channels.wecom import Backoff, RobotRevoked, RobotSender, WeComError, WeComTransportError
from bot.settings import Settings

from .content import ROBOT, TELEGRAM, Content, Part, parts_for
from .outbox import robot_key

__all__ = [
    "Delivered",
    "Moved",
    "Permanent",
    "Refused",
    "RobotWebhookSender",
    "Sender",
    "TelegramSender",
    "Transient",
    "Uncertain",
    "Verdict",
    "senders_from_settings",
]

log = logging.getLogger("zjtx.broadcast")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Delivered:
    message_id: str = ""
    file_id: str | None = None  # Telegram: the uploaded photo, for the next sends


@dataclass(frozen=True, slots=True)
class Refused:
    """Not delivered: the platform asked to wait ``wait`` seconds (the whole lane if ``lane``)."""

    wait: float
    reason: str
    lane: bool = False


@dataclass(frozen=True, slots=True)
class Transient:
    """Not delivered (the request never left, or the platform was busy): retry with backoff."""

    reason: str


@dataclass(frozen=True, slots=True)
class Permanent:
    """Not delivered and retrying will not help; ``retire`` the subscription too when the chat
    is gone (bot blocked or removed, robot key revoked)."""

    reason: str
    retire: bool = False


@dataclass(frozen=True, slots=True)
class Uncertain:
    """The request may have been delivered: never resend it automatically."""

    reason: str


@dataclass(frozen=True, slots=True)
class Moved:
    """Not delivered: the Telegram group is now a supergroup with ``chat_id``."""

    chat_id: str


Verdict = Delivered | Refused | Transient | Permanent | Uncertain | Moved


class Sender(Protocol):
    channel: str

    async def start(self) -> None:
        """Get ready to send (log in); a failure is logged, and sending tries again."""
        ...

    async def send(self, address: str, part: Part) -> Verdict:
        """Send one part to ``address`` (a chat id or a webhook URL); never raises for the
        platform's refusals, only returns a verdict."""
        ...

    async def aclose(self) -> None: ...


# --- Telegram -----------------------------------------------------------------------------------

# Bad requests that mean the chat cannot receive anything from the bot any more.
_GONE = ("chat not found", "not enough rights", "chat_write_forbidden", "peer_id_invalid", "have no rights")


_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _chat(address: str) -> int | str:
    return int(address) if address.lstrip("-").isdigit() else address


class TelegramSender:
    """Sends parts with python-telegram-bot (HTML parse mode), without its rate limiter: the
    worker paces, and an answer is judged once, here."""

    channel = TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._ready = False
        self._starting = asyncio.Lock()

    @classmethod
    def from_token(
        cls, token: str, base_url: str, *, connections: int = 8, read_timeout: float = 20.0
    ) -> TelegramSender:
        request = HTTPXRequest(
            connection_pool_size=connections,
            read_timeout=read_timeout,
            write_timeout=read_timeout,
            connect_timeout=5.0,
            pool_timeout=5.0,
        )
        return cls(Bot(token, base_url=base_url, base_file_url=file_base_url(base_url), request=request))

    async def _start(self) -> None:
        async with self._starting:  # one getMe, not one per concurrent first send
            if not self._ready:
                await self.bot.initialize()
                self._ready = True

    async def start(self) -> None:
        try:
            await self._start()
        except TelegramError as exc:
            log.warning("broadcast.telegram_not_ready: %s", exc)

    async def aclose(self) -> None:
        if self._ready:
            await self.bot.shutdown()
            self._ready = False

    async def send(self, address: str, part: Part) -> Verdict:
        try:
            await self._start()
            chat = _chat(address)
            if part.kind == "text":
                message = await self.bot.send_message(
                    chat, part.text, parse_mode=ParseMode.HTML, link_preview_options=_NO_PREVIEW
                )
                return Delivered(str(message.message_id))
            if part.kind == "photo":
                photo = part.file_id or part.image
                assert photo is not None
                message = await self.bot.send_photo(
                    chat, photo, caption=part.text or None, parse_mode=ParseMode.HTML if part.text else None
                )
                file_id = message.photo[-1].file_id if message.photo else None
                return Delivered(str(message.message_id), file_id)
            return Permanent(f"Telegram cannot send a {part.kind} part")
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            return Refused(max(wait, 1.0), f"429: {exc.message}", lane=True)
        except ChatMigrated as exc:
            return Moved(str(exc.new_chat_id))
        except Forbidden as exc:
            return Permanent(exc.message, retire=True)
        except BadRequest as exc:
            gone = any(mark in exc.message.lower() for mark in _GONE)
            return Permanent(exc.message, retire=gone)
        except InvalidToken as exc:
            log.error("broadcast.telegram_token_refused: %s", exc.message)
            return Refused(300.0, f"token refused: {exc.message}", lane=True)
        except TimedOut as exc:
            if isinstance(exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout):
                return Transient(f"not sent: {exc.message}")
            return Uncertain(f"timed out after sending: {exc.message}")
        except NetworkError as exc:
            if isinstance(exc.__cause__, httpx.ConnectError):
                return Transient(f"not sent: {exc.message}")
            return Uncertain(exc.message)
        except TelegramError as exc:
            return Uncertain(exc.message)

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool:
        """Whether the user administers the group (False when Telegram cannot tell)."""
        try:
            await self._start()
            member = await self.bot.get_chat_member(_chat(chat_id), int(user_id))
        except (TelegramError, ValueError) as exc:
            log.warning("broadcast.admin_check_failed chat=%s: %s", chat_id, exc)
            return False
        return member.status in ("administrator", "creator")

    async def chat_name(self, chat_id: str) -> str | None:
        """The group's title or the person's name, None when Telegram cannot tell."""
        try:
            await self._start()
            chat = await self.bot.get_chat(_chat(chat_id))
        except TelegramError:
            return None
        return chat.title or chat.full_name or chat.username

    async def preview(self, chat_id: str, content: Content) -> bool:
        """Send the broadcast to one chat exactly as targets get it; False if Telegram refused."""
        for part in parts_for(TELEGRAM, content):
            verdict = await self.send(chat_id, part)
            if not isinstance(verdict, Delivered):
                log.warning("broadcast.preview_failed chat=%s: %s", chat_id, verdict)
                return False
        return True


# --- WeCom group robots ---------------------------------------------------------------------------


class RobotWebhookSender:
    """Sends parts to group robots through the house RobotSender, one attempt each, so that
    every answer is judged here (45009: wait a minute; -1: retry; 93000: retire)."""

    channel = ROBOT

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        timeout_seconds: float = 10.0,
        rate_limit_wait: float = 61.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._timeout = timeout_seconds
        self._rate_limit_wait = rate_limit_wait
        self._session: aiohttp.ClientSession | None = None
        self._robots: dict[str, RobotSender] = {}

    def _robot(self, base_url: str) -> RobotSender:
        robot = self._robots.get(base_url)
        if robot is None:
            if self._session is None:
                self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32))
            robot = RobotSender(
                base_url=base_url,
                session=self._session,
                clock=self._clock,
                sleep=self._sleep,
                backoff=Backoff(attempts=1),
                timeout_seconds=self._timeout,
            )
            self._robots[base_url] = robot
        return robot

    async def start(self) -> None:
        """Nothing to log in to: a robot's key is its webhook URL."""

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._robots.clear()

    async def send(self, address: str, part: Part) -> Verdict:
        try:
            key = robot_key(address)
        except ValueError:
            return Permanent("broadcast.webhook.bad_url", retire=True)
        parts = urlsplit(address)
        robot = self._robot(f"{parts.scheme}://{parts.netloc}")
        try:
            if part.kind == "markdown":
                await robot.send(key, {"msgtype": "markdown", "markdown": {"content": part.text}})
            elif part.kind == "image" and part.image is not None:
                await robot.send_image(key, part.image)
            else:
                return Permanent(f"a group robot cannot send a {part.kind} part")
        except RobotRevoked as exc:
            return Permanent(f"errcode 93000: {exc.errmsg}", retire=True)
        except WeComTransportError as exc:
            if isinstance(exc.__cause__, aiohttp.ClientConnectorError):
                return Transient(f"not sent: {exc.errmsg}")
            return Uncertain(exc.errmsg)
        except WeComError as exc:
            if exc.errcode == 45009:
                return Refused(self._rate_limit_wait, f"errcode 45009: {exc.errmsg}")
            if exc.errcode == -1:
                return Transient(f"errcode -1: {exc.errmsg}")
            return Permanent(f"errcode {exc.errcode}: {exc.errmsg}")
        except ValueError as exc:  # an image the robot cannot take
            return Permanent(str(exc))
        return Delivered()


def senders_from_settings(settings: Settings) -> tuple[list[Sender], TelegramSender | None]:
    """The senders the settings allow: group robots always, Telegram with a bot token."""
    telegram = (
        TelegramSender.from_token(settings.telegram_bot_token, settings.telegram_api_base_url)
        if settings.telegram_bot_token
        else None
    )
    senders: list[Sender] = [RobotWebhookSender()]
    if telegram is not None:
        senders.insert(0, telegram)
    return senders, telegram
