"""python-telegram-bot's HTTP transport on aiohttp, the HTTP library the rest of the
assistant already uses (PTB's documented extension point: a `BaseRequest` subclass), and
the two Bot API facts both the channel and the broadcast sender need: where files are
downloaded from, and how long a 429 asks to wait.

PTB's default transport (httpx) costs several times more per call than aiohttp's client;
the benchmark (bench/telegram.py) is where that shows. Everything above the transport
(PTB's Bot, the rate limiter, error classes) is unchanged: an HTTP status and body go
back to PTB, which raises RetryAfter, BadRequest, Forbidden… from them as usual.
"""

from __future__ import annotations

import urllib.request
from datetime import timedelta
from typing import Final
from urllib.parse import urlsplit

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

__all__ = ["DEFAULT_API_BASE_URL", "AiohttpRequest", "file_base_url", "retry_after_seconds"]

DEFAULT_API_BASE_URL: Final = "https://api.telegram.org/bot"

DEFAULT_CONNECT_TIMEOUT: Final = 5.0
DEFAULT_READ_TIMEOUT: Final = 5.0
DEFAULT_WRITE_TIMEOUT: Final = 5.0
DEFAULT_POOL_TIMEOUT: Final = 1.0
MEDIA_WRITE_TIMEOUT: Final = 20.0


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session with up to `connection_pool_size` connections,
    through the proxy HTTPS_PROXY names (if any, and NO_PROXY does not exempt the host).

    Timeouts (seconds, None for none) are the defaults for calls that do not pass their own,
    as in PTB's HTTPXRequest. Raises TimedOut on a timeout and NetworkError on any other
    transport failure; RuntimeError when used before `initialize` or after `shutdown`."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float | None = DEFAULT_READ_TIMEOUT,
        write_timeout: float | None = DEFAULT_WRITE_TIMEOUT,
        pool_timeout: float | None = DEFAULT_POOL_TIMEOUT,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], tuple[URL | None, aiohttp.BasicAuth | None]] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return its HTTP status and body."""
        if self._session is None or self._session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        # aiohttp has no separate write timeout: a request's time to its first byte back
        # covers sending it, so the write allowance is added to the read one.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=None if read is None else read + (write or 0.0),
        )
        data: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            form = aiohttp.FormData(fields or {})
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            data = form
        proxy, proxy_auth = self._proxy_for(url)
        try:
            async with self._session.request(
                method, url, data=data, timeout=timeout, proxy=proxy, proxy_auth=proxy_auth
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def _proxy_for(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The proxy HTTPS_PROXY / HTTP_PROXY name for `url` (unless NO_PROXY exempts its host),
        read once per host: aiohttp's own trust_env reads it (and ~/.netrc) on every call."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            exempt = bool(parts.hostname) and bool(urllib.request.proxy_bypass(parts.hostname or ""))
            named = None if exempt else urllib.request.getproxies().get(parts.scheme)
            if named:
                proxy = URL(named if "://" in named else f"http://{named}")
                self._proxies[key] = (proxy.with_user(None), aiohttp.BasicAuth.from_url(proxy))
            else:
                self._proxies[key] = (None, None)
        return self._proxies[key]


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def file_base_url(api_base_url: str) -> str:
    """The file download base beside a Bot API base: …/bot → …/file/bot (TELEGRAM_API_BASE_URL
    may name a self-hosted Bot API server or a test server)."""
    base = api_base_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


def retry_after_seconds(exc: RetryAfter) -> float:
    """How long a 429 asks to wait, in seconds: PTB gives a timedelta with PTB_TIMEDELTA
    (which this package sets) and from its next major version on, int seconds before."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
