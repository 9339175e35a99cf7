"""Group robot (群机器人) webhooks: text, markdown and image messages to a WeCom group chat.

Each robot takes at most 20 messages a minute; the sender keeps to that with a
sliding window per key, waits out a 45009 answer anyway (another process may share
the key), and raises RobotRevoked on 93000 so the caller can retire the key.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import aiohttp

from ._http import Backoff, Sleep, errcode_of, key_hint, request_json
from .config import DEFAULT_API_BASE_URL
from .errors import RobotRevoked, WeComError, WeComTransportError
from .text import TEXT_LIMIT_BYTES, split_text

__all__ = [
    "MARKDOWN_LIMIT_BYTES",
    "ROBOT_IMAGE_LIMIT_BYTES",
    "RobotSender",
    "SlidingWindowLimiter",
]

logger = logging.getLogger("zjtx.wecom")

MARKDOWN_LIMIT_BYTES = 4096
ROBOT_IMAGE_LIMIT_BYTES = 2 * 1024 * 1024
ROBOT_REVOKED = 93000
RATE_LIMITED = 45009
SYSTEM_BUSY = -1
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


class SlidingWindowLimiter:
    """Allows at most ``limit`` acquisitions per key in any ``window`` seconds; later ones wait.

    ``clock`` gives monotonic seconds and ``sleep`` waits (both injectable for tests).
    """

    def __init__(
        self,
        limit: int = 20,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Raise ValueError for a non-positive ``limit`` or ``window``."""
        if limit < 1 or window <= 0:
            raise ValueError("limit and window must be positive")
        self._limit = limit
        self._window = window
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, deque[float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def acquire(self, key: str) -> float:
        """Return the seconds waited before ``key`` had room for one more message (and take it)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        waited = 0.0
        async with lock:  # FIFO per key, so concurrent senders cannot overshoot together
            sent = self._sent.setdefault(key, deque())
            while True:
                now = self._clock()
                while sent and sent[0] <= now - self._window:
                    sent.popleft()
                if len(sent) < self._limit:
                    sent.append(now)
                    return waited
                pause = sent[0] + self._window - now
                logger.info("wecom.robot_throttled key=%s wait=%.1f", key_hint(key), pause)
                await self._sleep(pause)
                waited += pause


class RobotSender:
    """Sends messages to group robots by webhook key through ``{base}/cgi-bin/webhook/send``.

    Pass a ``session`` to share one; otherwise ``aclose`` (or ``async with``) closes the
    sender's own.
    """

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_API_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        per_minute: int = 20,
        backoff: Backoff | None = None,
        rate_limit_wait_seconds: float = 60.0,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._session = session
        self._owns_session = session is None
        self._sleep = sleep
        self._limiter = SlidingWindowLimiter(per_minute, 60.0, clock=clock, sleep=sleep)
        self._backoff = backoff or Backoff()
        self._rate_limit_wait = rate_limit_wait_seconds
        self._timeout = timeout_seconds

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session if this sender opened it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

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

        Raises ValueError for an empty, oversized or non-PNG/JPEG image; RobotRevoked or WeComError.
        """
        if not image or len(image) > ROBOT_IMAGE_LIMIT_BYTES:
            raise ValueError("image must be 1 byte to 2 MB")
        if not image.startswith(_IMAGE_SIGNATURES):
            raise ValueError("image must be PNG or JPEG")
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
        attempt = 0
        while True:
            attempt += 1
            await self._limiter.acquire(key)
            try:
                data = await request_json(
                    self._http(),
                    "POST",
                    f"{self._base_url}/cgi-bin/webhook/send",
                    params={"key": key},
                    payload=payload,
                    timeout_seconds=self._timeout,
                )
            except WeComTransportError as exc:
                if attempt >= self._backoff.attempts:
                    logger.error(
                        "wecom.robot_unreachable key=%s attempts=%d error=%s", hint, attempt, exc.errmsg
                    )
                    raise
                await self._pause(hint, attempt, f"transport:{exc.errmsg}", self._backoff.delay(attempt))
                continue
            errcode = errcode_of(data)
            if errcode == 0:
                return
            errmsg = str(data.get("errmsg", ""))
            if errcode == ROBOT_REVOKED:
                logger.error("wecom.robot_revoked key=%s errcode=%d", hint, errcode)
                raise RobotRevoked(hint, errmsg)
            if errcode in (RATE_LIMITED, SYSTEM_BUSY) and attempt < self._backoff.attempts:
                delay = self._rate_limit_wait if errcode == RATE_LIMITED else self._backoff.delay(attempt)
                await self._pause(hint, attempt, f"errcode:{errcode}", delay)
                continue
            logger.error("wecom.robot_error key=%s errcode=%d errmsg=%s", hint, errcode, errmsg)
            raise WeComError(errcode, errmsg)

    async def _pause(self, hint: str, attempt: int, why: str, delay: float) -> None:
        logger.warning("wecom.robot_retry key=%s attempt=%d reason=%s delay=%.1f", hint, attempt, why, delay)
        await self._sleep(delay)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session
