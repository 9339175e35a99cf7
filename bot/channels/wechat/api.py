"""The Official Account server API: the stable access token, customer-service messages
(客服消息), temporary media and the custom menu.

The access token comes from ``/cgi-bin/stable_token`` (force_refresh false), so another
process or a staff tool fetching one does not invalidate the token this one uses (as
``/cgi-bin/token`` would). It is cached until shortly before it expires, in memory and in
SQLite (:class:`~bot.channels.wechat.store.WeChatStore`), so a restart keeps using it. A call
WeChat answers 40001 / 42001 / 40014 (token invalid or expired) fetches a fresh token once
and is repeated; -1 (busy) and network errors are retried with backoff by the shared loop
(:func:`bot.channels.tencent.http.call_with_retries`); any other errcode raises WeChatError.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import aiohttp

from bot.backoff import Backoff
from bot.channels.tencent.http import HttpClient, Sleep, call_with_token, upload_media
from bot.channels.tencent.text import TEXT_LIMIT_BYTES, utf8_size

from .config import DEFAULT_API_BASE_URL, WeChatConfig
from .errors import WeChatError
from .store import StoredToken

__all__ = [
    "MENU_ITEM_LIMIT",
    "OUT_OF_QUOTA",
    "OUT_OF_WINDOW",
    "TEXT_TOO_LONG",
    "UNSUBSCRIBED",
    "TokenStore",
    "WeChatApi",
]

logger = logging.getLogger("zjtx.wechat")

STABLE_TOKEN = "/cgi-bin/stable_token"
CUSTOM_SEND = "/cgi-bin/message/custom/send"
MENU_CREATE = "/cgi-bin/menu/create"

TOKEN_INVALID = 40001
TOKEN_NOT_VALID = 40014
TOKEN_EXPIRED = 42001
SYSTEM_BUSY = -1
TEXT_TOO_LONG = 45002
OUT_OF_WINDOW = 45015  # "response out of time limit or subscription is canceled"
OUT_OF_QUOTA = 45047  # "out of response count limit"
UNSUBSCRIBED = 43004  # "require subscribe"
MENU_ITEM_LIMIT = 10
_TOKEN_ERRORS = frozenset({TOKEN_INVALID, TOKEN_NOT_VALID, TOKEN_EXPIRED})


class TokenStore(Protocol):
    def load_token(self, app_id: str) -> StoredToken | None: ...

    def save_token(self, app_id: str, token: StoredToken, now: float) -> None: ...

    def discard_token(self, app_id: str, access_token: str) -> None: ...


class WeChatApi(HttpClient):
    """A client of one Official Account's server API.

    ``tokens`` keeps the access token across restarts (None: memory only). ``clock`` is Unix
    time (a stored token's expiry must mean the same after a restart); ``sleep`` waits
    between retries. Pass a ``session`` to share one; otherwise ``aclose`` closes its own.
    """

    def __init__(
        self,
        *,
        app_id: str,
        secret: str,
        base_url: str = DEFAULT_API_BASE_URL,
        tokens: TokenStore | None = None,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        backoff: Backoff | None = None,
        token_margin_seconds: float = 300.0,
        timeout_seconds: float = 10.0,
    ) -> None:
        super().__init__(session)
        self._app_id = app_id
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        self._tokens = tokens
        self._clock = clock
        self._sleep = sleep
        self._backoff = backoff or Backoff()
        self._margin = token_margin_seconds
        self._timeout = timeout_seconds
        self._token: StoredToken | None = None
        self._use_until = 0.0  # when the cached token is replaced (shortly before it expires)
        self._token_lock = asyncio.Lock()

    @classmethod
    def from_config(cls, config: WeChatConfig, **options: Any) -> WeChatApi:
        """A client for the account in ``config``; ``options`` go to the constructor."""
        return cls(app_id=config.app_id, secret=config.secret, base_url=config.api_base_url, **options)

    # --- access token ---------------------------------------------------------------------------

    async def access_token(self, rejected: str | None = None) -> str:
        """A valid access token: the cached one (memory, then SQLite) unless it is about to
        expire, else a fresh one from stable_token. When WeChat has just ``rejected`` a token
        and stable_token hands that same one back, it is asked with force_refresh for a new
        one. Raises WeChatError (a wrong AppID or secret: 40013, 40125; an IP not on the
        allowlist: 40164)."""
        if self._token is not None and self._clock() < self._use_until:
            return self._token.access_token
        async with self._token_lock:
            if self._token is not None and self._clock() < self._use_until:
                return self._token.access_token
            if self._tokens is not None:
                stored = self._tokens.load_token(self._app_id)
                if stored is not None and self._clock() < stored.expires_at - self._margin:
                    self._token, self._use_until = stored, stored.expires_at - self._margin
                    return stored.access_token
            value, expires_in = await self._stable_token(force=False)
            if rejected is not None and value == rejected:
                logger.warning("wechat.token_still_rejected (fetching a new one with force_refresh)")
                value, expires_in = await self._stable_token(force=True)
            now = self._clock()
            fresh = StoredToken(value, now + expires_in)
            # a token handed back near its end is used for half of what is left, then asked again
            self._token, self._use_until = fresh, fresh.expires_at - min(self._margin, expires_in / 2)
            if self._tokens is not None:
                self._tokens.save_token(self._app_id, fresh, now)
            logger.info("wechat.token_refreshed expires_in=%d", int(expires_in))
            return value

    async def _stable_token(self, *, force: bool) -> tuple[str, float]:
        data = await self._call(
            "POST",
            STABLE_TOKEN,
            payload={
                "grant_type": "client_credential",
                "appid": self._app_id,
                "secret": self._secret,
                "force_refresh": force,
            },
            with_token=False,
        )
        value = data.get("access_token")
        if not isinstance(value, str) or not value:
            raise WeChatError(-1, "stable_token answered without access_token")
        return value, float(data.get("expires_in", 7200))

    def _forget_token(self, value: str) -> None:
        if self._token is not None and self._token.access_token == value:
            self._token = None
        if self._tokens is not None:
            self._tokens.discard_token(self._app_id, value)

    # --- customer-service messages --------------------------------------------------------------

    async def send_text(self, openid: str, content: str) -> None:
        """Send one text message. Raises ValueError for content over 2048 UTF-8 bytes (WeChat
        would answer 45002: split it first) or blank; WeChatError from WeChat."""
        if not content.strip():
            raise ValueError("a text message needs content")
        if utf8_size(content) > TEXT_LIMIT_BYTES:
            raise ValueError(f"text over {TEXT_LIMIT_BYTES} bytes")
        await self.send(openid, "text", {"content": content})

    async def send_image(self, openid: str, media_id: str) -> None:
        """Send an image message of an uploaded picture. Raises WeChatError."""
        await self.send(openid, "image", {"media_id": media_id})

    async def send_menu(
        self, openid: str, head: str, items: Sequence[tuple[str, str]], tail: str = ""
    ) -> None:
        """Send a click-to-reply menu (msgmenu): ``head``, then one line per (id, content)
        item, then ``tail``. A click comes back as a text message whose Content is the item's
        and whose bizmsgmenuid is its id. Raises ValueError for 0 or more than 10 items;
        WeChatError from WeChat."""
        if not 1 <= len(items) <= MENU_ITEM_LIMIT:
            raise ValueError(f"a menu takes 1 to {MENU_ITEM_LIMIT} items")
        body = {
            "head_content": head,
            "list": [{"id": i, "content": c} for i, c in items],
            "tail_content": tail,
        }
        await self.send(openid, "msgmenu", body)

    async def send(self, openid: str, msgtype: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Send one customer-service message of ``msgtype``; return WeChat's answer.

        Raises WeChatError (45015: outside the 48 hours; 45047: too many since the person's
        last message; 43004: not subscribed; 45002: too long)."""
        payload = {"touser": openid, "msgtype": msgtype, msgtype: dict(body)}
        return await self._call("POST", CUSTOM_SEND, payload=payload)

    # --- media and menu -------------------------------------------------------------------------

    async def upload_image(self, data: bytes, filename: str, mime: str = "image/png") -> str:
        """Upload ``data`` as a temporary image (kept three days by WeChat); return its media_id.

        Raises WeChatError."""
        return await upload_media(self._call, "image", data, filename=filename, content_type=mime)

    async def create_menu(self, buttons: Sequence[Mapping[str, Any]]) -> None:
        """Replace the account's custom menu with ``buttons`` (menu/create). Raises WeChatError."""
        await self._call("POST", MENU_CREATE, payload={"button": [dict(b) for b in buttons]})

    # --- the retry loop -------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
        with_token: bool = True,
    ) -> dict[str, Any]:
        return await call_with_token(
            self._http(),
            method,
            self._base_url + path,
            params=params,
            payload=payload,
            form=form,
            timeout_seconds=self._timeout,
            token=self.access_token if with_token else None,
            forget=self._forget_token,
            token_errors=_TOKEN_ERRORS,
            retryable=frozenset({SYSTEM_BUSY}),
            backoff=self._backoff,
            sleep=self._sleep,
            what=f"api path={path}",
            platform="wechat",
        )
