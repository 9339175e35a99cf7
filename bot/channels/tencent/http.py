"""One JSON request to a Tencent platform, the retry loop every client shares, and the
temporary media upload both platforms take alike.

The WeCom app API, the WeCom group robots and the WeChat Official Account API all answer
JSON with ``errcode`` / ``errmsg`` and retry the same way: :func:`call_with_retries`
with :class:`bot.backoff.Backoff`, the platform named in the log (``wecom.api_retry``,
``wechat.api_retry``). ``/cgi-bin/media/upload`` (上传临时素材) is the same multipart call on
both: :func:`upload_media`."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

import aiohttp

from bot.backoff import Backoff

from .errors import ApiError, TransportError

__all__ = [
    "MEDIA_UPLOAD",
    "Again",
    "ApiCall",
    "Backoff",
    "HttpClient",
    "call_with_retries",
    "call_with_token",
    "errcode_of",
    "key_hint",
    "request_json",
    "upload_media",
]

MEDIA_UPLOAD = "/cgi-bin/media/upload"

Sleep = Callable[[float], Awaitable[None]]


class HttpClient:
    """A platform client's HTTP session: the one it was given, or its own, opened on first use
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
    form: Callable[[], aiohttp.FormData] | None = None,
    timeout_seconds: float = 10.0,
) -> dict[str, Any]:
    """Return the JSON object the platform answered to ``payload`` sent as JSON, or to the
    multipart form ``form`` makes (made afresh for each attempt: a form is read once).

    Raises TransportError for network errors, timeouts, a non-200 status or a body
    that is not a JSON object. The message never contains the URL's query (it can hold
    an access token or a robot key).
    """
    body: bytes | aiohttp.FormData | None = None
    headers: dict[str, str] | None = None
    if form is not None:
        body = form()
    elif payload is not None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
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
                raise TransportError(f"HTTP {response.status}")
            raw = await response.read()
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise TransportError(type(exc).__name__) from exc
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise TransportError("answer is not JSON") from exc
    if not isinstance(data, dict):
        raise TransportError("answer is not a JSON object")
    return data


def errcode_of(data: Mapping[str, Any]) -> int:
    """Return the ``errcode`` of an answer (0 when absent, -1 when unreadable)."""
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
    platform: str = "wecom",
) -> dict[str, Any]:
    """Call ``once`` until the platform answers errcode 0, and return that answer.

    ``before`` runs ahead of every attempt (fetch a token, wait for room) and is not
    retried here: what it raises goes to the caller. A transport failure of ``once`` is
    retried with ``backoff``; another errcode as ``decide`` says.
    ``what`` names the call in the log ("api path=/cgi-bin/gettoken", "robot key=693a…"),
    ``platform`` the logger (``zjtx.wecom``) and the event prefix (``wecom.api_retry``).
    Raises TransportError when the platform stayed unreachable, ApiError when it refused
    (or the attempts ran out), or whatever ``decide`` raises."""
    logger = logging.getLogger(f"zjtx.{platform}")
    kind, _, where = what.partition(" ")
    attempt = 0
    while True:
        attempt += 1
        if before is not None:
            await before()
        try:
            data = await once()
        except TransportError as exc:
            if attempt >= backoff.attempts:
                logger.error(
                    "%s.%s_unreachable %s attempts=%d error=%s", platform, kind, where, attempt, exc.errmsg
                )
                raise
            await _pause(
                logger, platform, sleep, what, attempt, f"transport:{exc.errmsg}", backoff.delay(attempt)
            )
            continue
        errcode = errcode_of(data)
        if errcode == 0:
            return data
        again = decide(errcode, data, attempt)
        if again is None or (again.counts and attempt >= backoff.attempts):
            errmsg = str(data.get("errmsg", ""))
            logger.error("%s.%s_error %s errcode=%d errmsg=%s", platform, kind, where, errcode, errmsg)
            raise ApiError(errcode, errmsg)
        if not again.counts:
            attempt -= 1
        if again.delay > 0:
            await _pause(logger, platform, sleep, what, attempt, f"errcode:{errcode}", again.delay)


async def call_with_token(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None,
    payload: Mapping[str, Any] | None,
    form: Callable[[], aiohttp.FormData] | None,
    timeout_seconds: float,
    token: Callable[[str | None], Awaitable[str]] | None,
    forget: Callable[[str], None],
    token_errors: frozenset[int],
    retryable: frozenset[int],
    backoff: Backoff,
    sleep: Sleep,
    what: str,
    platform: str,
) -> dict[str, Any]:
    """One call of a platform API that takes ``access_token`` in the query, with the retry
    loop of :func:`call_with_retries`: ``token(rejected)`` gives the token before each
    attempt (``rejected``: the one the platform refused, or None; ``token`` None for a call
    without one); an answer in ``token_errors`` forgets that token and tries once more with a
    fresh one, without using up an attempt; one in ``retryable`` waits out ``backoff``."""
    current: str | None = None
    rejected: str | None = None

    async def fetch_token() -> None:
        nonlocal current
        assert token is not None
        current = await token(rejected)

    async def once() -> dict[str, Any]:
        query = dict(params or {})
        if current is not None:
            query["access_token"] = current
        return await request_json(
            http, method, url, params=query, payload=payload, form=form, timeout_seconds=timeout_seconds
        )

    def decide(errcode: int, data: Mapping[str, Any], attempt: int) -> Again | None:
        nonlocal rejected
        if current is not None and errcode in token_errors and rejected is None:
            logging.getLogger(f"zjtx.{platform}").info(
                "%s.token_rejected %s errcode=%d", platform, what.partition(" ")[2], errcode
            )
            forget(current)
            rejected = current
            return Again(0.0, counts=False)  # a token refresh is not a failed attempt
        if errcode in retryable:
            return Again(backoff.delay(attempt))
        return None

    return await call_with_retries(
        once,
        before=fetch_token if token is not None else None,
        decide=decide,
        backoff=backoff,
        sleep=sleep,
        what=what,
        platform=platform,
    )


async def _pause(
    logger: logging.Logger, platform: str, sleep: Sleep, what: str, attempt: int, why: str, delay: float
) -> None:
    kind, _, where = what.partition(" ")
    logger.warning(
        "%s.%s_retry %s attempt=%d reason=%s delay=%.1f", platform, kind, where, attempt, why, delay
    )
    await sleep(delay)


class ApiCall(Protocol):
    """A client's authenticated call with retries (``WeComApi._call_with_retries``,
    ``WeChatApi._call``)."""

    def __call__(
        self,
        method: str,
        path: str,
        /,
        *,
        params: Mapping[str, str],
        payload: Mapping[str, Any] | None,
        form: Callable[[], aiohttp.FormData] | None,
    ) -> Awaitable[dict[str, Any]]: ...


async def upload_media(call: ApiCall, kind: str, content: bytes, *, filename: str, content_type: str) -> str:
    """Upload ``content`` as temporary media of ``kind`` (``image``, ``file``…) through
    ``call``, in one multipart part named ``media`` under ``filename``; return the media_id.

    The form is made afresh for each attempt (a FormData is read once), the file name as
    UTF-8 in the part's header, as the platforms show it (aiohttp would otherwise
    percent-encode a Chinese name). Raises ApiError (also when the answer has no media_id)."""

    def form() -> aiohttp.FormData:
        data = aiohttp.FormData(quote_fields=False)
        data.add_field("media", content, filename=filename, content_type=content_type)
        return data

    answer = await call("POST", MEDIA_UPLOAD, params={"type": kind}, payload=None, form=form)
    media_id = answer.get("media_id")
    if not isinstance(media_id, str) or not media_id:
        raise ApiError(-1, "media/upload answered without media_id")
    return media_id
