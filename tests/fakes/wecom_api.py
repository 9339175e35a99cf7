"""A fake WeCom server API on 127.0.0.1: gettoken, media/upload, message/send and group-robot
webhooks.

It speaks WeCom's JSON (``errcode`` / ``errmsg``), records every call, and fails on
demand: queue an errcode for the next calls to a path, expire the issued tokens,
revoke a robot key. Robots get 20 messages a minute (45009 past that) on an
injectable clock, so tests never sleep.

media/upload takes a multipart form whose file field is ``media`` and checks it as WeCom's
上传临时素材 documents: type image (JPG or PNG, at most 10 MB), voice (AMR, 2 MB), video (MP4,
10 MB) or file (20 MB), every file more than 5 bytes; it answers a media_id valid for three
days, which image, voice, video and file messages must name (40007 otherwise).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.web_request import FileField

__all__ = [
    "GETTOKEN",
    "MEDIA_UPLOAD",
    "MESSAGE_SEND",
    "WEBHOOK_SEND",
    "FakeWeComApi",
    "ManualClock",
    "RecordedCall",
    "UploadedMedia",
]

GETTOKEN = "/cgi-bin/gettoken"
MEDIA_UPLOAD = "/cgi-bin/media/upload"
MESSAGE_SEND = "/cgi-bin/message/send"
WEBHOOK_SEND = "/cgi-bin/webhook/send"

MEDIA_TTL_SECONDS = 3 * 24 * 3600
MEDIA_MIN_BYTES = 6  # "every file must be larger than 5 bytes"
MEDIA_LIMITS = {  # type → (largest size in bytes, the signatures of the formats taken; () any)
    "image": (10 * 1024 * 1024, (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")),
    "voice": (2 * 1024 * 1024, (b"#!AMR",)),
    "video": (10 * 1024 * 1024, ()),
    "file": (20 * 1024 * 1024, ()),
}


class ManualClock:
    """A clock that moves only when told: call it for the time, ``sleep`` to advance it.

    ``sleeps`` records every sleep requested, so tests can assert on waits without waiting.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)  # still let other tasks run, as a real sleep would


@dataclass
class RecordedCall:
    """One request the fake received and what it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UploadedMedia:
    """A file media/upload took: its type, the form part's file name and type, its bytes."""

    media_id: str
    type: str
    filename: str
    content_type: str
    content: bytes
    created_at: float


class FakeWeComApi:
    """The fake server. ``async with FakeWeComApi() as fake:`` then use ``fake.base_url``."""

    def __init__(
        self,
        *,
        corp_id: str = "wwfakecorp0001",
        secret: str = "fake-secret",
        clock: Callable[[], float] | None = None,
        token_ttl: int = 7200,
        robot_per_minute: int = 20,
        unknown_users: frozenset[str] = frozenset(),
    ) -> None:
        self.corp_id = corp_id
        self.secret = secret
        self.clock: Callable[[], float] = clock or ManualClock()
        self.token_ttl = token_ttl
        self.robot_per_minute = robot_per_minute
        self.unknown_users = unknown_users
        self.calls: list[RecordedCall] = []
        self._tokens: dict[str, float] = {}
        self._failures: dict[str, deque[tuple[int, str]]] = {}
        self._revoked: set[str] = set()
        self._robot_sent: dict[str, deque[float]] = {}
        self._ids = itertools.count(1)
        self.media: dict[str, UploadedMedia] = {}
        self._server: TestServer | None = None
        self.base_url = ""
        app = web.Application(client_max_size=24 * 1024 * 1024)  # past the largest upload WeCom takes
        app.router.add_get(GETTOKEN, self._gettoken)
        app.router.add_post(MEDIA_UPLOAD, self._media_upload)
        app.router.add_post(MESSAGE_SEND, self._message_send)
        app.router.add_post(WEBHOOK_SEND, self._webhook_send)
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

    # --- steering -----------------------------------------------------------------------------

    def fail_next(self, path: str, errcode: int, *, times: int = 1, errmsg: str | None = None) -> None:
        """Answer the next ``times`` calls to ``path`` with ``errcode`` (before any other check)."""
        queue = self._failures.setdefault(path, deque())
        queue.extend([(errcode, errmsg or f"fake error {errcode}")] * times)

    def expire_tokens(self) -> None:
        """Make every token issued so far expired (42001 on next use)."""
        for token in self._tokens:
            self._tokens[token] = float("-inf")

    def revoke_robot(self, key: str) -> None:
        """Make robot ``key`` invalid (93000 on next use)."""
        self._revoked.add(key)

    # --- reading the record ---------------------------------------------------------------------

    def calls_to(self, path: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.path == path]

    def delivered_messages(self) -> list[dict[str, Any]]:
        """The message/send bodies that were accepted."""
        return [call.body for call in self.calls_to(MESSAGE_SEND) if call.answer.get("errcode") == 0]

    def media_of(self, message: dict[str, Any]) -> UploadedMedia:
        """The upload an image, voice, video or file message names. Raises KeyError."""
        return self.media[message[message["msgtype"]]["media_id"]]

    def robot_messages(self, key: str) -> list[dict[str, Any]]:
        """The webhook bodies robot ``key`` accepted."""
        return [
            call.body
            for call in self.calls_to(WEBHOOK_SEND)
            if call.query.get("key") == key and call.answer.get("errcode") == 0
        ]

    # --- handlers -----------------------------------------------------------------------------

    async def _record(self, request: web.Request) -> RecordedCall:
        body: Any = None
        if request.content_type == "multipart/form-data":
            form = await request.post()
            body = {
                name: UploadedMedia("", "", value.filename, value.content_type, value.file.read(), 0.0)
                if isinstance(value, FileField)
                else str(value)
                for name, value in form.items()
            }
        elif request.can_read_body:
            body = await request.json()
        call = RecordedCall(request.method, request.path, dict(request.query), body)
        self.calls.append(call)
        return call

    async def _authorised(self, request: web.Request) -> tuple[RecordedCall, web.Response | None]:
        """Record an app API call; the answer to give instead when a failure is queued for it
        or its access token is missing, unknown or expired."""
        call = await self._record(request)
        if (failure := self._queued_failure(call)) is not None:
            return call, failure
        if (error := self._token_error(call.query.get("access_token"))) is not None:
            return call, self._answer(call, {"errcode": error[0], "errmsg": error[1]})
        return call, None

    def _answer(self, call: RecordedCall, answer: dict[str, Any]) -> web.Response:
        call.answer = answer
        return web.json_response(answer)

    def _queued_failure(self, call: RecordedCall) -> web.Response | None:
        queue = self._failures.get(call.path)
        if not queue:
            return None
        errcode, errmsg = queue.popleft()
        return self._answer(call, {"errcode": errcode, "errmsg": errmsg})

    def _token_error(self, token: str | None) -> tuple[int, str] | None:
        if not token:
            return 41001, "access_token missing"
        expires_at = self._tokens.get(token)
        if expires_at is None:
            return 40014, "invalid access_token"
        if self.clock() >= expires_at:
            return 42001, "access_token expired"
        return None

    async def _gettoken(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        if (failure := self._queued_failure(call)) is not None:
            return failure
        if call.query.get("corpid") != self.corp_id:
            return self._answer(call, {"errcode": 40013, "errmsg": "invalid corpid"})
        if call.query.get("corpsecret") != self.secret:
            return self._answer(call, {"errcode": 40001, "errmsg": "invalid credential"})
        token = f"fake-token-{next(self._ids)}"
        self._tokens[token] = self.clock() + self.token_ttl
        return self._answer(
            call, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_ttl}
        )

    async def _message_send(self, request: web.Request) -> web.Response:
        call, refused = await self._authorised(request)
        if refused is not None:
            return refused
        body = call.body if isinstance(call.body, dict) else {}
        msgtype = body.get("msgtype")
        if not body.get("touser") or "agentid" not in body or not msgtype or msgtype not in body:
            return self._answer(call, {"errcode": 40008, "errmsg": "invalid message type"})
        if msgtype in ("text", "markdown") and not body[msgtype].get("content"):
            return self._answer(call, {"errcode": 44004, "errmsg": "empty content"})
        if msgtype in MEDIA_LIMITS:
            media_id = body[msgtype].get("media_id") if isinstance(body[msgtype], dict) else None
            if not media_id:
                return self._answer(call, {"errcode": 41006, "errmsg": "media_id missing"})
            media = self.media.get(str(media_id))
            if media is None or media.type != msgtype or self.clock() >= media.created_at + MEDIA_TTL_SECONDS:
                return self._answer(call, {"errcode": 40007, "errmsg": "invalid media_id"})
        invalid = [user for user in str(body["touser"]).split("|") if user in self.unknown_users]
        answer: dict[str, Any] = {
            "errcode": 0,
            "errmsg": "ok",
            "invaliduser": "|".join(invalid),
            "msgid": f"fake-msg-{next(self._ids)}",
        }
        if msgtype == "template_card":
            answer["response_code"] = f"fake-response-{next(self._ids)}"
        return self._answer(call, answer)

    async def _media_upload(self, request: web.Request) -> web.Response:
        call, refused = await self._authorised(request)
        if refused is not None:
            return refused
        kind = call.query.get("type", "")
        if kind not in MEDIA_LIMITS:
            return self._answer(call, {"errcode": 40005, "errmsg": "invalid type"})
        upload = call.body.get("media") if isinstance(call.body, dict) else None
        if not isinstance(upload, UploadedMedia) or not upload.content:
            return self._answer(call, {"errcode": 44001, "errmsg": "empty media data"})
        limit, signatures = MEDIA_LIMITS[kind]
        if not MEDIA_MIN_BYTES <= len(upload.content) <= limit:
            errcode = 40009 if kind == "image" else 40006
            return self._answer(call, {"errcode": errcode, "errmsg": "invalid file size"})
        if signatures and not upload.content.startswith(signatures):
            return self._answer(call, {"errcode": 40004, "errmsg": "invalid media type"})
        media_id = f"fake-media-{next(self._ids)}"
        now = self.clock()
        self.media[media_id] = UploadedMedia(
            media_id, kind, upload.filename, upload.content_type, upload.content, now
        )
        return self._answer(
            call,
            {"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id, "created_at": str(int(now))},
        )

    async def _webhook_send(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        if (failure := self._queued_failure(call)) is not None:
            return failure
        key = call.query.get("key", "")
        if not key or key in self._revoked:
            return self._answer(call, {"errcode": 93000, "errmsg": "invalid webhook url"})
        now = self.clock()
        sent = self._robot_sent.setdefault(key, deque())
        while sent and sent[0] <= now - 60.0:
            sent.popleft()
        if len(sent) >= self.robot_per_minute:
            return self._answer(call, {"errcode": 45009, "errmsg": "api freq out of limit"})
        sent.append(now)
        return self._answer(call, {"errcode": 0, "errmsg": "ok"})
