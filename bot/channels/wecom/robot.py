"""Group robot (群机器人) webhooks: text, markdown and image messages to a WeCom group chat.

A robot is addressed by the key of its webhook URL (:func:`robot_key`). Each robot takes
at most 20 messages a minute; the sender keeps to that with a sliding window per key
(unless its caller paces, as the broadcast worker does), waits out a 45009 answer anyway
(another process may share the key), and raises RobotRevoked on 93000 so the caller can
retire the key.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from bot.channels.tencent.http import (
    Again,
    Backoff,
    HttpClient,
    Sleep,
    call_with_retries,
    key_hint,
    request_json,
)
from bot.channels.tencent.text import TEXT_LIMIT_BYTES, split_text
from bot.images import check_image
from bot.pacing import Rate, WindowLimiter

from .config import DEFAULT_API_BASE_URL
from .errors import RobotRevoked

__all__ = [
    "MARKDOWN_LIMIT_BYTES",
    "ROBOT_IMAGE_LIMIT_BYTES",
    "ROBOT_RATE",
    "RobotSender",
    "WebhookError",
    "robot_key",
]

logger = logging.getLogger("zjtx.wecom")

MARKDOWN_LIMIT_BYTES = 4096
ROBOT_IMAGE_LIMIT_BYTES = 2 * 1024 * 1024  # before base64
ROBOT_RATE = Rate(20, 60.0)  # messages a minute, per robot
WEBHOOK_PATH = "/cgi-bin/webhook/send"
ROBOT_REVOKED = 93000
RATE_LIMITED = 45009
SYSTEM_BUSY = -1
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class WebhookError(ValueError):
    """A group-robot webhook URL we cannot use; ``key`` names the catalog message saying why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def robot_key(url: str) -> str:
    """The robot key of a webhook URL (…/cgi-bin/webhook/send?key=…).

    Raises WebhookError for another URL; plain http only to this machine (tests)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
        raise WebhookError("broadcast.webhook.bad_url")
    if not parts.path.rstrip("/").endswith(WEBHOOK_PATH):
        raise WebhookError("broadcast.webhook.bad_url")
    keys = parse_qs(parts.query).get("key", [])
    if len(keys) != 1 or not keys[0].strip():
        raise WebhookError("broadcast.webhook.no_key")
    return keys[0].strip()


class RobotSender(HttpClient):
    """Sends messages to group robots by webhook key through ``{base}/cgi-bin/webhook/send``.

    ``per_minute`` messages a minute per robot are let through (None: none are held back,
    for a caller that paces itself). Pass a ``session`` to share one; otherwise
    ``aclose`` (or ``async with``) closes the sender's own.
    """

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_API_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        per_minute: int | None = ROBOT_RATE.limit,
        backoff: Backoff | None = None,
        rate_limit_wait_seconds: float = 60.0,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        super().__init__(session)
        self._sleep = sleep
        self._limiter = (
            None
            if per_minute is None
            else WindowLimiter(Rate(per_minute, ROBOT_RATE.window), clock=clock, sleep=sleep)
        )
        self._backoff = backoff or Backoff()
        self._rate_limit_wait = rate_limit_wait_seconds
        self._timeout = timeout_seconds

    async def send_text(
        self,
        key: str,
        content: str,
        *,
        mentioned_users: Sequence[str] = (),
        mentioned_mobiles: Sequence[str] = (),
    ) -> int:
        """Send ``content`` as text messages of at most 2048 bytes; mentions go on the first.

        Returns the number of messages sent. Raises RobotRevoked or WeComError.
        """
        sent = 0
        for part in split_text(content, TEXT_LIMIT_BYTES):
            text: dict[str, Any] = {"content": part}
            if sent == 0 and mentioned_users:
                text["mentioned_list"] = list(mentioned_users)
            if sent == 0 and mentioned_mobiles:
                text["mentioned_mobile_list"] = list(mentioned_mobiles)
            await self.send(key, {"msgtype": "text", "text": text})
            sent += 1
        return sent

    async def send_markdown(self, key: str, content: str) -> int:
        """Send ``content`` as markdown messages of at most 4096 bytes.

        Returns the number of messages sent. Raises RobotRevoked or WeComError.
        """
        sent = 0
        for part in split_text(content, MARKDOWN_LIMIT_BYTES):
            await self.send(key, {"msgtype": "markdown", "markdown": {"content": part}})
            sent += 1
        return sent

    async def send_image(self, key: str, image: bytes) -> None:
        """Send a PNG or JPEG image (at most 2 MB before encoding) as base64 with its MD5.

        Raises ImageError (a ValueError) for an empty, oversized or non-PNG/JPEG image;
        RobotRevoked or WeComError."""
        check_image(image, ROBOT_IMAGE_LIMIT_BYTES)
        payload = {
            "msgtype": "image",
            "image": {
                "base64": base64.b64encode(image).decode("ascii"),
                "md5": hashlib.md5(image, usedforsecurity=False).hexdigest(),
            },
        }
        await self.send(key, payload)

    async def send(self, key: str, payload: Mapping[str, Any]) -> None:
        """Send one webhook message ``payload`` (the JSON WeCom documents) to robot ``key``.

        Waits for room in the robot's minute, waits out 45009, backs off on -1 and network
        errors. Raises RobotRevoked on 93000, WeComError on any other errcode or when the
        attempts run out (WeComTransportError when WeCom was unreachable).
        """
        hint = key_hint(key)

        async def wait_for_room() -> None:
            if self._limiter is not None:
                waited = await self._limiter.acquire(key)
                if waited:
                    logger.info("wecom.robot_throttled key=%s wait=%.1f", hint, waited)

        async def once() -> dict[str, Any]:
            return await request_json(
                self._http(),
                "POST",
                self._base_url + WEBHOOK_PATH,
                params={"key": key},
                payload=payload,
                timeout_seconds=self._timeout,
            )

        def decide(errcode: int, data: Mapping[str, Any], attempt: int) -> Again | None:
            if errcode == ROBOT_REVOKED:
                logger.error("wecom.robot_revoked key=%s errcode=%d", hint, errcode)
                raise RobotRevoked(hint, str(data.get("errmsg", "")))
            if errcode == RATE_LIMITED:
                return Again(self._rate_limit_wait)
            if errcode == SYSTEM_BUSY:
                return Again(self._backoff.delay(attempt))
            return None

        await call_with_retries(
            once,
            before=wait_for_room,
            decide=decide,
            backoff=self._backoff,
            sleep=self._sleep,
            what=f"robot key={hint}",
        )
