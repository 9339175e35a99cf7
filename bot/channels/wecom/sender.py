"""Broadcasts to WeCom group robots: how one becomes messages, the limits kept, the sender.

A robot group gets the markdown, then the image (PNG or JPEG of at most 2 MB). A robot
takes 20 messages a minute (:data:`ROBOT_PACING`, its window a little longer than
WeCom's); the worker keeps to that, so the RobotSender under :class:`RobotWebhookSender`
holds nothing back and tries each part once: every answer is judged here (45009: wait a
minute; -1: retry; 93000: retire the group).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import aiohttp

from bot.backoff import Backoff
from bot.broadcast.content import ROBOT, Content, Part
from bot.broadcast.sending import Delivered, Permanent, Platform, Refused, Transient, Uncertain, Verdict
from bot.broadcast.subscriptions import Subscription, Subscriptions
from bot.channels.tencent.http import Sleep
from bot.pacing import Pacing, Rate

from .errors import RobotRevoked, WeComError, WeComTransportError
from .robot import RATE_LIMITED, ROBOT_IMAGE_LIMIT_BYTES, ROBOT_RATE, SYSTEM_BUSY, RobotSender, robot_key

__all__ = ["ROBOT_BROADCAST", "ROBOT_PACING", "RobotWebhookSender", "add_robot", "robot_parts"]

ROBOT_PACING = Pacing(per_kind={"robot": Rate(ROBOT_RATE.limit, 61.0)}, in_flight=16)


def robot_parts(content: Content) -> list[Part]:
    """The messages one robot group gets for a broadcast, in order."""
    markdown = Part("markdown", content.wecom_markdown)
    return [markdown] if content.image is None else [markdown, Part("image", image=content.image)]


ROBOT_BROADCAST = Platform(ROBOT, robot_parts, ROBOT_IMAGE_LIMIT_BYTES, ROBOT_PACING)


def add_robot(
    subscriptions: Subscriptions, url: str, *, name: str, topics: Iterable[str], by: str, now: float
) -> Subscription:
    """Subscribe a WeCom group by its robot's webhook URL. Raises WebhookError for a bad URL."""
    key = robot_key(url)
    return subscriptions.subscribe(
        ROBOT, key, kind="robot", name=name, topics=topics, by=by, now=now, webhook_url=url.strip()
    )


class RobotWebhookSender:
    """Sends parts to group robots through the house RobotSender, one attempt each, so that
    every answer is judged here (45009: wait a minute; -1: retry; 93000: retire)."""

    platform = ROBOT_BROADCAST

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
                per_minute=None,  # the worker's window is the one limit per robot
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
            if exc.errcode == RATE_LIMITED:
                return Refused(self._rate_limit_wait, f"errcode 45009: {exc.errmsg}")
            if exc.errcode == SYSTEM_BUSY:
                return Transient(f"errcode -1: {exc.errmsg}")
            return Permanent(f"errcode {exc.errcode}: {exc.errmsg}")
        except ValueError as exc:  # an image the robot cannot take (the desk checks them first)
            return Permanent(f"the robot cannot take this image ({exc})")
        return Delivered()
