"""A fake WeChat Official Account server API on 127.0.0.1.

stable_token and the ordinary token, customer-service messages (message/custom/send),
temporary media (media/upload) and the custom menu (menu/create), speaking WeChat's JSON
(``errcode`` / ``errmsg``). It records every call and fails on demand (an errcode queued
for the next calls to a path, every token expired). It keeps the platform's rules:

- an ordinary token (``/cgi-bin/token``) invalidates the ordinary ones issued before it;
  stable tokens are apart from them, and stable_token without force_refresh hands out the
  one still valid;
- a customer-service message reaches a follower only within 48 hours of their last message
  (5 messages per message) or a minute of their last event (3 per event), and never after
  they unsubscribed: 45015, 45047, 43004 otherwise. Tests tell it what followers did
  (:meth:`FakeWeChatApi.follower_messaged` …), as WeChat knows it;
- a text over 2,048 bytes is 45002;
- a temporary image (media/upload) is a readable PNG, JPEG, GIF or BMP of at most 10 MB:
  40004 for anything else, 40009 for a larger one.

Time is an injectable clock (``ManualClock``), so tests never sleep.
"""

from __future__ import annotations

import io
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image, UnidentifiedImageError

from tests.fakes.wecom_api import ManualClock, RecordedCall

__all__ = ["FakeWeChatApi", "Follower", "ManualClock", "RecordedCall"]

TOKEN = "/cgi-bin/token"
STABLE_TOKEN = "/cgi-bin/stable_token"
CUSTOM_SEND = "/cgi-bin/message/custom/send"
MEDIA_UPLOAD = "/cgi-bin/media/upload"
MENU_CREATE = "/cgi-bin/menu/create"

MESSAGE_WINDOW = 48 * 3600.0
MESSAGE_QUOTA = 5
EVENT_WINDOW = 60.0
EVENT_QUOTA = 3
IMAGE_LIMIT_BYTES = 10 * 1024 * 1024
IMAGE_FORMATS = frozenset({"PNG", "JPEG", "GIF", "BMP"})


@dataclass
class Follower:
    """What the platform knows of one follower."""

    subscribed: bool = True
    last_message_at: float | None = None
    message_sends: int = 0
    last_event_at: float | None = None
    event_sends: int = 0


@dataclass
class _Token:
    expires_at: float
    stable: bool


@dataclass
class Upload:
    media_id: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)


class FakeWeChatApi:
    """The fake server. ``async with FakeWeChatApi() as fake:`` then use ``fake.base_url``."""

    def __init__(
        self,
        *,
        app_id: str = "wxfakeappid00001",
        secret: str = "fake-app-secret",
        clock: Callable[[], float] | None = None,
        token_ttl: int = 7200,
    ) -> None:
        self.app_id = app_id
        self.secret = secret
        self.clock: Callable[[], float] = clock or ManualClock()
        self.token_ttl = token_ttl
        self.calls: list[RecordedCall] = []
        self.followers: dict[str, Follower] = {}
        self.uploads: dict[str, Upload] = {}
        self.menu: list[dict[str, Any]] | None = None
        self._tokens: dict[str, _Token] = {}
        self._stable: str | None = None
        self._failures: dict[str, deque[tuple[int, str]]] = {}
        self._ids = itertools.count(1)
        self._server: TestServer | None = None
        self.base_url = ""
        app = web.Application(client_max_size=12 * 1024 * 1024)
        app.router.add_get(TOKEN, self._token)
        app.router.add_post(STABLE_TOKEN, self._stable_token)
        app.router.add_post(CUSTOM_SEND, self._custom_send)
        app.router.add_post(MEDIA_UPLOAD, self._media_upload)
        app.router.add_post(MENU_CREATE, self._menu_create)
        self._app = app

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on a random port of 127.0.0.1; return the base URL."""
        self._server = TestServer(self._app, host="127.0.0.1")
        await self._server.start_server()
        self.base_url = str(self._server.make_url("")).rstrip("/")
        return self.base_url

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- what followers do (WeChat knows; tests tell the fake) ----------------------------------

    def follower_messaged(self, openid: str) -> None:
        follower = self.followers.setdefault(openid, Follower())
        follower.subscribed = True
        follower.last_message_at, follower.message_sends = self.clock(), 0

    def follower_event(self, openid: str, event: str) -> None:
        follower = self.followers.setdefault(openid, Follower())
        if event == "unsubscribe":
            follower.subscribed = False
            return
        follower.subscribed = True
        follower.last_event_at, follower.event_sends = self.clock(), 0

    # --- steering -----------------------------------------------------------------------------

    def fail_next(self, path: str, errcode: int, *, times: int = 1, errmsg: str | None = None) -> None:
        """Answer the next ``times`` calls to ``path`` with ``errcode`` (before any other check)."""
        self._failures.setdefault(path, deque()).extend(
            [(errcode, errmsg or f"fake error {errcode}")] * times
        )

    def expire_tokens(self) -> None:
        """Make every token issued so far expired (42001 on next use)."""
        for token in self._tokens.values():
            token.expires_at = float("-inf")

    # --- reading the record ---------------------------------------------------------------------

    def calls_to(self, path: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.path == path]

    def delivered(self, openid: str | None = None) -> list[dict[str, Any]]:
        """The customer-service messages accepted (to ``openid``, or to anyone)."""
        return [
            call.body
            for call in self.calls_to(CUSTOM_SEND)
            if call.answer.get("errcode") == 0 and (openid is None or call.body.get("touser") == openid)
        ]

    def refused(self, errcode: int) -> list[dict[str, Any]]:
        """The customer-service messages refused with ``errcode``."""
        return [call.body for call in self.calls_to(CUSTOM_SEND) if call.answer.get("errcode") == errcode]

    # --- handlers -----------------------------------------------------------------------------

    async def _record(self, request: web.Request, body: Any = None) -> RecordedCall:
        if body is None and request.can_read_body and request.content_type == "application/json":
            body = await request.json()
        call = RecordedCall(request.method, request.path, dict(request.query), body)
        self.calls.append(call)
        return call

    def _answer(self, call: RecordedCall, answer: dict[str, Any]) -> web.Response:
        call.answer = answer
        return web.json_response(answer)

    def _error(self, call: RecordedCall, errcode: int, errmsg: str) -> web.Response:
        return self._answer(call, {"errcode": errcode, "errmsg": errmsg})

    def _queued_failure(self, call: RecordedCall) -> web.Response | None:
        queue = self._failures.get(call.path)
        if not queue:
            return None
        errcode, errmsg = queue.popleft()
        return self._error(call, errcode, errmsg)

    def _token_error(self, call: RecordedCall) -> web.Response | None:
        token = call.query.get("access_token")
        if not token:
            return self._error(call, 41001, "access_token missing")
        found = self._tokens.get(token)
        if found is None:
            return self._error(call, 40001, "invalid credential, access_token is invalid or not latest")
        if self.clock() >= found.expires_at:
            return self._error(call, 42001, "access_token expired")
        return None

    def _issue(self, stable: bool) -> str:
        token = f"fake-{'stable' if stable else 'token'}-{next(self._ids)}"
        self._tokens[token] = _Token(self.clock() + self.token_ttl, stable)
        return token

    async def _token(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        if (failure := self._queued_failure(call)) is not None:
            return failure
        if call.query.get("appid") != self.app_id:
            return self._error(call, 40013, "invalid appid")
        if call.query.get("secret") != self.secret:
            return self._error(call, 40125, "invalid appsecret")
        for value in [t for t, v in self._tokens.items() if not v.stable]:
            del self._tokens[value]  # the ordinary token invalidates the ones before it
        token = self._issue(stable=False)
        return self._answer(call, {"access_token": token, "expires_in": self.token_ttl})

    async def _stable_token(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        if (failure := self._queued_failure(call)) is not None:
            return failure
        body = call.body if isinstance(call.body, dict) else {}
        if body.get("grant_type") != "client_credential":
            return self._error(call, 40002, "invalid grant_type")
        if body.get("appid") != self.app_id:
            return self._error(call, 40013, "invalid appid")
        if body.get("secret") != self.secret:
            return self._error(call, 40125, "invalid appsecret")
        current = self._tokens.get(self._stable or "")
        if body.get("force_refresh") or current is None or self.clock() >= current.expires_at:
            if self._stable is not None:
                self._tokens.pop(self._stable, None)
            self._stable = self._issue(stable=True)
            current = self._tokens[self._stable]
        expires_in = int(current.expires_at - self.clock())
        return self._answer(call, {"access_token": self._stable, "expires_in": expires_in})

    async def _custom_send(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        if (failure := self._queued_failure(call)) is not None:
            return failure
        if (failure := self._token_error(call)) is not None:
            return failure
        body = call.body if isinstance(call.body, dict) else {}
        openid, msgtype = body.get("touser"), body.get("msgtype")
        content = body.get(msgtype) if isinstance(msgtype, str) else None
        if not openid or not isinstance(msgtype, str) or not isinstance(content, dict):
            return self._error(call, 40008, "invalid message type")
        if (refusal := self._refusal(msgtype, content)) is not None:
            return self._error(call, *refusal)
        follower = self.followers.get(openid)
        if follower is None:
            return self._error(call, 40003, "invalid openid")
        if not follower.subscribed:
            return self._error(call, 43004, "require subscribe")
        now = self.clock()
        in_message = follower.last_message_at is not None and now < follower.last_message_at + MESSAGE_WINDOW
        in_event = follower.last_event_at is not None and now < follower.last_event_at + EVENT_WINDOW
        if in_message and follower.message_sends < MESSAGE_QUOTA:
            follower.message_sends += 1
        elif in_event and follower.event_sends < EVENT_QUOTA:
            follower.event_sends += 1
        elif in_message or in_event:
            return self._error(call, 45047, "out of response count limit")
        else:
            return self._error(call, 45015, "response out of time limit or subscription is canceled")
        return self._answer(call, {"errcode": 0, "errmsg": "ok"})

    def _refusal(self, msgtype: str, content: dict[str, Any]) -> tuple[int, str] | None:
        if msgtype == "text":
            text = content.get("content")
            if not isinstance(text, str) or not text:
                return 44004, "empty content"
            if len(text.encode("utf-8")) > 2048:
                return 45002, "content size out of limit"
        elif msgtype == "image":
            if content.get("media_id") not in self.uploads:
                return 40007, "invalid media_id"
        elif msgtype == "msgmenu":
            items = content.get("list")
            if not isinstance(items, list) or not 1 <= len(items) <= 10:
                return 40008, "invalid msgmenu list"
            if any(not isinstance(i, dict) or not i.get("id") or not i.get("content") for i in items):
                return 40008, "invalid msgmenu item"
        else:
            return 40008, "invalid message type"
        return None

    async def _media_upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        call = await self._record(request, body={"type": request.query.get("type")})
        if (failure := self._queued_failure(call)) is not None:
            return failure
        if (failure := self._token_error(call)) is not None:
            return failure
        media = form.get("media")
        if request.query.get("type") != "image" or not isinstance(media, web.FileField):
            return self._error(call, 40004, "invalid media type")
        data = media.file.read()
        if len(data) > IMAGE_LIMIT_BYTES:
            return self._error(call, 40009, "invalid image size")
        if not _is_image(data):
            return self._error(call, 40004, "invalid media type")
        media_id = f"fake-media-{next(self._ids)}"
        self.uploads[media_id] = Upload(media_id, media.filename, media.content_type, data)
        return self._answer(call, {"type": "image", "media_id": media_id, "created_at": int(self.clock())})

    async def _menu_create(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        if (failure := self._queued_failure(call)) is not None:
            return failure
        if (failure := self._token_error(call)) is not None:
            return failure
        buttons = call.body.get("button") if isinstance(call.body, dict) else None
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return self._error(call, 40017, "invalid button size")
        for button in buttons:
            name = button.get("name", "") if isinstance(button, dict) else ""
            if not name or len(name.encode("utf-8")) > 16:
                return self._error(call, 40018, "invalid button name size")
            if button.get("type") == "click" and not 0 < len(str(button.get("key", "")).encode()) <= 128:
                return self._error(call, 40019, "invalid button key size")
        self.menu = buttons
        return self._answer(call, {"errcode": 0, "errmsg": "ok"})


def _is_image(data: bytes) -> bool:
    """Whether ``data`` opens as a picture in a format WeChat takes for an image."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            kind = picture.format
            picture.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    return kind in IMAGE_FORMATS
