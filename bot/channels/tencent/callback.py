"""What every callback request is checked for before its signature: the query, the body's
size, the timestamp's age; and how a refusal is answered and logged.

Shared by ``/wecom/callback`` and ``/wechat/callback``: both platforms sign and time their
requests the same way and retry whatever they get no 200 for.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote

from aiohttp import web

__all__ = ["Rejected", "check_fresh", "raw_query", "read_body", "refuse"]


class Rejected(Exception):
    """A request answered with ``status`` and the reason code ``reason``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def raw_query(raw: str) -> dict[str, str]:
    """Return the query parameters, percent-decoded but with '+' kept as '+' (base64 needs it).

    Raises Rejected(400) when one of the parameters appears twice.
    """
    params: dict[str, str] = {}
    for pair in raw.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        name = unquote(name)
        if name in params:
            raise Rejected(400, "duplicate_parameter")
        params[name] = unquote(value)
    return params


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """Return the request's body; raise Rejected(413) as soon as it passes ``max_bytes``."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise Rejected(413, "body_too_large")
    body = bytearray()
    async for chunk in request.content.iter_chunked(8192):
        body += chunk
        if len(body) > max_bytes:
            raise Rejected(413, "body_too_large")
    return bytes(body)


def check_fresh(timestamp: str, now: float, max_age_seconds: float) -> None:
    """Raise Rejected(400) for a timestamp that is not an integer, Rejected(403) for one more
    than ``max_age_seconds`` away from ``now`` (a future one is as suspect as an old one)."""
    try:
        sent_at = int(timestamp)
    except ValueError as exc:
        raise Rejected(400, "bad_timestamp") from exc
    if abs(now - sent_at) > max_age_seconds:
        raise Rejected(403, "stale_timestamp")


def refuse(logger: logging.Logger, request: web.Request, what: str, status: int, reason: str) -> web.Response:
    """Log a refused request (``wecom.message_rejected status=403 reason=bad_signature``) and
    answer it with ``{"error": reason}``. ``logger`` is the platform's (zjtx.wecom)."""
    platform = logger.name.rpartition(".")[2]
    logger.warning(
        "%s.%s_rejected status=%d reason=%s peer=%s", platform, what, status, reason, request.remote
    )
    return web.json_response({"error": reason}, status=status)
