"""One JSON request to WeCom, and the backoff shared by the API client and the robot sender."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from .errors import WeComTransportError

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Bounded exponential backoff: ``attempts`` tries in all, delays ``base``, 2·base, … up to ``cap``."""

    attempts: int = 4
    base: float = 1.0
    cap: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base < 0 or self.cap < 0:
            raise ValueError("attempts must be at least 1 and delays non-negative")

    def delay(self, attempt: int) -> float:
        """Return the pause after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.cap, self.base * 2 ** (attempt - 1)))


async def request_json(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    payload: Mapping[str, Any] | None = None,
    timeout_seconds: float = 10.0,
) -> dict[str, Any]:
    """Return the JSON object WeCom answered.

    Raises WeComTransportError for network errors, timeouts, a non-200 status or a body
    that is not a JSON object. The message never contains the URL's query (it can hold
    an access token or a robot key).
    """
    body = None if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = None if body is None else {"Content-Type": "application/json; charset=utf-8"}
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
