"""One JSON request to WeCom, and the retry loop shared by the API client and the robot sender."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import aiohttp

from bot.backoff import Backoff

from .errors import WeComError, WeComTransportError

__all__ = ["Again", "Backoff", "HttpClient", "call_with_retries", "errcode_of", "key_hint", "request_json"]

logger = logging.getLogger("zjtx.wecom")
Sleep = Callable[[float], Awaitable[None]]


class HttpClient:
    """A WeCom client's HTTP session: the one it was given, or its own, opened on first use
    and closed by ``aclose`` (or ``async with``)."""

    def __init__(self, session: aiohttp.ClientSession | None) -> None:
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session if this client opened it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session


async def request_json(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    payload: Mapping[str, Any] | None = None,
    form: aiohttp.FormData | None = None,
    timeout_seconds: float = 10.0,
) -> dict[str, Any]:
    """Return the JSON object WeCom answered to a JSON ``payload`` or a multipart ``form``
    (an upload; a FormData is sent once, so give a fresh one to each attempt).

    Raises WeComTransportError for network errors, timeouts, a non-200 status or a body
    that is not a JSON object. The message never contains the URL's query (it can hold
    an access token or a robot key).
    """
    body: bytes | aiohttp.FormData | None = (
        form
        if form is not None
        else None
        if payload is None
        else json.dumps(payload, ensure_ascii=False).encode()
    )
    headers = (
        None if payload is None or form is not None else {"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        async with session.request(
            method,
            url,
            params=params,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout_seconds),
        ) as response:
            if response.status != 200:
                raise WeComTransportError(f"HTTP {response.status}")
            raw = await response.read()
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise WeComTransportError(type(exc).__name__) from exc
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise WeComTransportError("answer is not JSON") from exc
    if not isinstance(data, dict):
        raise WeComTransportError("answer is not a JSON object")
    return data


def errcode_of(data: Mapping[str, Any]) -> int:
    """Return the ``errcode`` of a WeCom answer (0 when absent, -1 when unreadable)."""
    value = data.get("errcode", 0)
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def key_hint(secret: str) -> str:
    """Return a loggable hint of a secret key: its first 4 characters."""
    return f"{secret[:4]}…" if secret else "(empty)"


@dataclass(frozen=True, slots=True)
class Again:
    """Try the call again after ``delay`` seconds; ``counts`` False when this try does not
    use up an attempt (the access token was only refreshed)."""

    delay: float
    counts: bool = True


# (errcode, the answer, attempt number) → how to try again, or None to give up; may raise
Decide = Callable[[int, Mapping[str, Any], int], Again | None]


async def call_with_retries(
    once: Callable[[], Awaitable[dict[str, Any]]],
    *,
    before: Callable[[], Awaitable[None]] | None = None,
    decide: Decide,
    backoff: Backoff,
    sleep: Sleep,
    what: str,
) -> dict[str, Any]:
    """Call ``once`` until WeCom answers errcode 0, and return that answer.

    ``before`` runs ahead of every attempt (fetch a token, wait for room) and is not
    retried here: what it raises goes to the caller. A transport failure of ``once`` is
    retried with ``backoff``; another errcode as ``decide`` says.
    ``what`` names the call in the log ("api path=/cgi-bin/gettoken", "robot key=693a…").
    Raises WeComTransportError when WeCom stayed unreachable, WeComError when it refused
    (or the attempts ran out), or whatever ``decide`` raises."""
    kind, _, where = what.partition(" ")
    attempt = 0
    while True:
        attempt += 1
        if before is not None:
            await before()
        try:
            data = await once()
        except WeComTransportError as exc:
            if attempt >= backoff.attempts:
                logger.error("wecom.%s_unreachable %s attempts=%d error=%s", kind, where, attempt, exc.errmsg)
                raise
            await _pause(sleep, what, attempt, f"transport:{exc.errmsg}", backoff.delay(attempt))
            continue
        errcode = errcode_of(data)
        if errcode == 0:
            return data
        again = decide(errcode, data, attempt)
        if again is None or (again.counts and attempt >= backoff.attempts):
            errmsg = str(data.get("errmsg", ""))
            logger.error("wecom.%s_error %s errcode=%d errmsg=%s", kind, where, errcode, errmsg)
            raise WeComError(errcode, errmsg)
        if not again.counts:
            attempt -= 1
        if again.delay > 0:
            await _pause(sleep, what, attempt, f"errcode:{errcode}", again.delay)


async def _pause(sleep: Sleep, what: str, attempt: int, why: str, delay: float) -> None:
    kind, _, where = what.partition(" ")
    logger.warning("wecom.%s_retry %s attempt=%d reason=%s delay=%.1f", kind, where, attempt, why, delay)
    await sleep(delay)
