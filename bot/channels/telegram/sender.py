"""Broadcasts on Telegram: how one becomes messages, the limits kept, and the sender.

A broadcast is one message for a Telegram chat (the text; or the image with the text as its
caption when the text fits a caption), else the image and then the text. The worker keeps
to Telegram's limits (:data:`TELEGRAM_PACING`): about 30 messages a second overall, 20 a
minute to one group, 1 a second to one private chat, each window a little longer than
Telegram's own. :class:`TelegramSender` maps every Bot API answer to a verdict: a 429 pauses
the lane, a migrated group moves, a blocked bot or a removed chat retires the
subscription, and a request that may have arrived is never sent again.
"""

from __future__ import annotations

import asyncio
import logging
import re

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

from bot.broadcast.content import TELEGRAM, Content, Part
from bot.broadcast.markup import TELEGRAM_CAPTION_LIMIT
from bot.broadcast.sending import (
    Delivered,
    Moved,
    Permanent,
    Platform,
    Refused,
    Transient,
    Uncertain,
    Verdict,
)
from bot.pacing import Pacing, Rate

from .transport import file_base_url, retry_after_seconds

__all__ = [
    "TELEGRAM_BROADCAST",
    "TELEGRAM_IMAGE_LIMIT_BYTES",
    "TELEGRAM_PACING",
    "TelegramSender",
    "telegram_parts",
]

log = logging.getLogger("zjtx.broadcast")

TELEGRAM_IMAGE_LIMIT_BYTES = 10 * 1024 * 1024  # sendPhoto
TELEGRAM_PACING = Pacing(
    overall=Rate(30, 1.02, gap=1 / 32),
    per_kind={"group": Rate(20, 61.0), "private": Rate(1, 1.0)},
    in_flight=8,
)


def telegram_parts(content: Content) -> list[Part]:
    """The messages one Telegram chat gets for a broadcast, in order."""
    if content.image is None:
        return [Part("text", content.telegram_html)]
    if content.telegram_visible <= TELEGRAM_CAPTION_LIMIT:
        return [Part("photo", content.telegram_html, content.image, content.telegram_file_id)]
    return [
        Part("photo", image=content.image, file_id=content.telegram_file_id),
        Part("text", content.telegram_html),
    ]


TELEGRAM_BROADCAST = Platform(TELEGRAM, telegram_parts, TELEGRAM_IMAGE_LIMIT_BYTES, TELEGRAM_PACING)

# Bad requests that mean the chat cannot receive anything from the bot any more.
_GONE = ("chat not found", "not enough rights", "chat_write_forbidden", "peer_id_invalid", "have no rights")


_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _chat(address: str) -> int | str:
    return int(address) if re.fullmatch(r"-?[0-9]{1,20}", address) else address


class TelegramSender:
    """Sends parts with python-telegram-bot (HTML parse mode), without its rate limiter: the
    worker paces (:data:`TELEGRAM_BROADCAST`), and an answer is judged once, here."""

    platform = TELEGRAM_BROADCAST

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
            return member.status in ("administrator", "creator")
        except Exception as exc:  # a refusal, or an answer that cannot be read: not an admin then
            log.warning("broadcast.admin_check_failed chat=%s: %s", chat_id, exc)
            return False

    async def chat_name(self, chat_id: str) -> str | None:
        """The group's title or the person's name, None when Telegram cannot tell."""
        try:
            await self._start()
            chat = await self.bot.get_chat(_chat(chat_id))
            name = chat.title or chat.full_name or chat.username
        except Exception as exc:  # a refusal, or an answer that cannot be read: the name is optional
            log.warning("broadcast.chat_name_failed chat=%s: %s", chat_id, exc)
            return None
        return name if isinstance(name, str) else None

    async def preview(self, chat_id: str, content: Content) -> bool:
        """Send the broadcast to one chat exactly as targets get it; False if Telegram refused."""
        for part in telegram_parts(content):
            verdict = await self.send(chat_id, part)
            if not isinstance(verdict, Delivered):
                log.warning("broadcast.preview_failed chat=%s: %s", chat_id, verdict)
                return False
        return True
