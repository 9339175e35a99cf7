"""The WeCom server API for one self-built app: access token, media uploads and app messages.

Calls retry with exponential backoff on 45009 (rate limit), -1 (system busy) and
network errors; an expired or invalid access token (42001, 40014) is refreshed once
and the call repeated; any other non-zero errcode raises WeComError at once. The loop
itself is :func:`bot.channels.tencent.http.call_with_retries`, shared with the robots
and the WeChat Official Account; so is the media upload (:func:`~bot.channels.tencent.http.upload_media`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from bot.channels.tencent.http import (
    Backoff,
    HttpClient,
    Sleep,
    call_with_token,
    upload_media,
)
from bot.channels.tencent.text import TEXT_LIMIT_BYTES, split_text

from .config import DEFAULT_API_BASE_URL, WeComConfig
from .errors import WeComError

__all__ = [
    "FILE_LIMIT_BYTES",
    "IMAGE_LIMIT_BYTES",
    "ChoiceButton",
    "MediaKind",
    "SendResult",
    "Uploaded",
    "WeComApi",
]

logger = logging.getLogger("zjtx.wecom")

TOKEN_EXPIRED = 42001
TOKEN_INVALID = 40014
RATE_LIMITED = 45009
SYSTEM_BUSY = -1
_TOKEN_ERRORS = frozenset({TOKEN_EXPIRED, TOKEN_INVALID})
_RETRYABLE = frozenset({RATE_LIMITED, SYSTEM_BUSY})
_TASK_ID = re.compile(r"^[A-Za-z0-9_\-@]{1,128}$")
_MAX_BUTTONS = 6
# media/upload (上传临时素材): an image is a JPG or PNG of at most 10 MB, a file at most
# 20 MB, each more than 5 bytes; the media_id answered is valid for three days.
IMAGE_LIMIT_BYTES = 10 * 1024 * 1024
FILE_LIMIT_BYTES = 20 * 1024 * 1024
MEDIA_MIN_BYTES = 6
MEDIA_TTL_SECONDS = 3 * 24 * 3600.0
MediaKind = Literal["image", "file"]
_MEDIA_LIMITS: dict[str, int] = {"image": IMAGE_LIMIT_BYTES, "file": FILE_LIMIT_BYTES}


@dataclass(frozen=True, slots=True)
class ChoiceButton:
    """One button of a choice card: ``key`` comes back as the click event's EventKey.

    ``style`` is WeCom's button style 1–4.
    """

    key: str
    text: str
    style: int = 1


@dataclass(frozen=True, slots=True)
class SendResult:
    """What message/send answered: the message id, recipients it could not reach, and the
    ``response_code`` a template card can later be updated with."""

    msgid: str | None
    invalid_users: tuple[str, ...] = ()
    response_code: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class Uploaded:
    """What media/upload answered: the media_id to send, and when it stops being valid
    (on the client's monotonic clock)."""

    media_id: str
    kind: MediaKind
    expires_at: float


class WeComApi(HttpClient):
    """A client of ``/cgi-bin/gettoken``, ``/cgi-bin/media/upload`` and ``/cgi-bin/message/send``
    for one app.

    ``clock`` (monotonic seconds) times the token cache; ``sleep`` waits between retries.
    Pass a ``session`` to share one; otherwise the client opens its own and ``aclose``
    (or ``async with``) closes it.
    """

    def __init__(
        self,
        *,
        corp_id: str,
        secret: str,
        agent_id: int,
        base_url: str = DEFAULT_API_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        backoff: Backoff | None = None,
        token_margin_seconds: float = 300.0,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._corp_id = corp_id
        self._secret = secret
        self._agent_id = agent_id
        self._base_url = base_url.rstrip("/")
        super().__init__(session)
        self._clock = clock
        self._sleep = sleep
        self._backoff = backoff or Backoff()
        self._margin = token_margin_seconds
        self._timeout = timeout_seconds
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_lock = asyncio.Lock()

    @classmethod
    def from_config(cls, config: WeComConfig, **options: Any) -> WeComApi:
        """Return a client for the app in ``config``; ``options`` go to the constructor."""
        return cls(
            corp_id=config.corp_id,
            secret=config.secret,
            agent_id=config.agent_id,
            base_url=config.api_base_url,
            **options,
        )

    # --- access token ---------------------------------------------------------------------------

    async def access_token(self) -> str:
        """Return a valid access token, fetching one when none is cached or it is about to expire.

        Raises WeComError when gettoken fails (for example a wrong corp id or secret).
        """
        token = self._cached_token()
        if token is not None:
            return token
        async with self._token_lock:
            token = self._cached_token()
            if token is not None:
                return token
            data = await self._call_with_retries(
                "GET",
                "/cgi-bin/gettoken",
                params={"corpid": self._corp_id, "corpsecret": self._secret},
                payload=None,
                with_token=False,
            )
            token = data.get("access_token")
            if not isinstance(token, str) or not token:
                raise WeComError(-1, "gettoken answered without access_token")
            expires_in = float(data.get("expires_in", 7200))
            margin = min(self._margin, expires_in / 2)
            self._token = token
            self._token_expires_at = self._clock() + expires_in - margin
            logger.info("wecom.token_refreshed expires_in=%d", int(expires_in))
            return token

    def _cached_token(self) -> str | None:
        if self._token is not None and self._clock() < self._token_expires_at:
            return self._token
        return None

    def _forget_token(self, token: str) -> None:
        if self._token == token:  # another call may already have refreshed it
            self._token = None

    # --- messages -------------------------------------------------------------------------------

    async def send_text(self, user_id: str, content: str) -> list[SendResult]:
        """Send ``content`` to ``user_id`` as text messages, split under 2048 bytes each.

        Returns one SendResult per message sent (none for blank content). Raises WeComError.
        """
        return [
            await self.send_message(user_id, "text", {"content": part})
            for part in split_text(content, TEXT_LIMIT_BYTES)
        ]

    async def send_markdown(self, user_id: str, content: str) -> list[SendResult]:
        """Send ``content`` to ``user_id`` as markdown messages, split under 2048 bytes each.

        Returns one SendResult per message sent (none for blank content). Raises WeComError.
        """
        return [
            await self.send_message(user_id, "markdown", {"content": part})
            for part in split_text(content, TEXT_LIMIT_BYTES)
        ]

    async def send_choices(
        self,
        user_id: str,
        *,
        title: str,
        task_id: str,
        buttons: Sequence[ChoiceButton],
        description: str | None = None,
    ) -> SendResult:
        """Send a button_interaction template card; a click comes back as a
        ``template_card_event`` whose EventKey is the button's ``key`` and TaskId is ``task_id``.

        Raises ValueError for 0 or more than 6 buttons, duplicate keys, or a ``task_id``
        that is not 1–128 characters of letters, digits and ``_-@``; WeComError from WeCom.
        """
        if not 1 <= len(buttons) <= _MAX_BUTTONS:
            raise ValueError("a choice card takes 1 to 6 buttons")
        if len({button.key for button in buttons}) != len(buttons):
            raise ValueError("button keys must be distinct")
        if not _TASK_ID.match(task_id):
            raise ValueError("task_id must be 1-128 characters of letters, digits and _-@")
        main_title: dict[str, str] = {"title": title}
        if description:
            main_title["desc"] = description
        card = {
            "card_type": "button_interaction",
            "main_title": main_title,
            "task_id": task_id,
            "button_list": [
                {"text": button.text, "style": button.style, "key": button.key} for button in buttons
            ],
        }
        return await self.send_message(user_id, "template_card", card)

    async def upload_media(
        self, kind: MediaKind, content: bytes, *, filename: str, content_type: str
    ) -> Uploaded:
        """Upload ``content`` as temporary media of ``kind`` (``image``: JPG or PNG at most
        10 MB; ``file``: at most 20 MB) under ``filename``, the name a file message shows.

        Raises ValueError for content outside those limits (before any call), WeComError."""
        limit = _MEDIA_LIMITS[kind]
        if not MEDIA_MIN_BYTES <= len(content) <= limit:
            raise ValueError(f"a WeCom {kind} takes {MEDIA_MIN_BYTES} bytes to {limit // (1024 * 1024)} MB")

        started = self._clock()
        media_id = await upload_media(
            self._call_with_retries, kind, content, filename=filename, content_type=content_type
        )
        logger.info("wecom.media_uploaded type=%s bytes=%d", kind, len(content))
        return Uploaded(media_id, kind, started + MEDIA_TTL_SECONDS)

    def valid_for(self, uploaded: Uploaded) -> float:
        """Seconds left before ``uploaded``'s media_id expires (negative once it has)."""
        return uploaded.expires_at - self._clock()

    async def send_image(self, user_id: str, media_id: str) -> SendResult:
        """Send the uploaded image ``media_id`` to ``user_id``. Raises WeComError."""
        return await self.send_message(user_id, "image", {"media_id": media_id})

    async def send_file(self, user_id: str, media_id: str) -> SendResult:
        """Send the uploaded file ``media_id`` to ``user_id``. Raises WeComError."""
        return await self.send_message(user_id, "file", {"media_id": media_id})

    async def send_message(self, user_id: str, msgtype: str, body: Mapping[str, Any]) -> SendResult:
        """Send one app message of ``msgtype`` with ``body`` (the object under that key) to ``user_id``.

        Returns the SendResult; a user WeCom could not reach is reported in
        ``invalid_users`` (and logged), not raised. Raises WeComError.
        """
        payload = {"touser": user_id, "msgtype": msgtype, "agentid": self._agent_id, msgtype: dict(body)}
        data = await self._call_with_retries("POST", "/cgi-bin/message/send", params={}, payload=payload)
        invalid = tuple(user for user in str(data.get("invaliduser") or "").split("|") if user)
        if invalid:
            logger.warning("wecom.send_invalid_user msgtype=%s count=%d", msgtype, len(invalid))
        msgid = data.get("msgid")
        code = data.get("response_code")
        return SendResult(
            msgid=str(msgid) if msgid else None,
            invalid_users=invalid,
            response_code=str(code) if code else None,
            raw=data,
        )

    # --- the retry loop -------------------------------------------------------------------------

    async def _call_with_retries(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str],
        payload: Mapping[str, Any] | None,
        form: Callable[[], aiohttp.FormData] | None = None,
        with_token: bool = True,
    ) -> dict[str, Any]:
        async def token(rejected: str | None) -> str:
            return await self.access_token()

        return await call_with_token(
            self._http(),
            method,
            self._base_url + path,
            params=params,
            payload=payload,
            form=form,
            timeout_seconds=self._timeout,
            token=token if with_token else None,
            forget=self._forget_token,
            token_errors=_TOKEN_ERRORS,
            retryable=_RETRYABLE,
            backoff=self._backoff,
            sleep=self._sleep,
            what=f"api path={path}",
            platform="wecom",
        )
