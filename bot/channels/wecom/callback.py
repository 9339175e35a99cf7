"""The WeCom callback endpoint: URL verification (GET) and encrypted messages (POST).

A POST is checked (size, XML, signature, freshness), decrypted, parsed, de-duplicated,
acknowledged with an empty 200 at once, and handed to ``on_message`` in a background
task: WeCom retries a callback it has no answer to within 5 s, so the dialog is never
awaited before answering.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.channels.tencent.callback import Rejected as _Rejected
from bot.channels.tencent.callback import check_fresh, raw_query, read_body, refuse
from bot.channels.tencent.replay import ReplayGuard

from .config import WeComConfig
from .crypto import WeComCrypto, WeComCryptoError
from .inbound import WeComInbound, WeComXmlError, child_text, parse_inbound, parse_xml

__all__ = ["CALLBACK_PATH", "OnMessage", "WeComCallback"]

CALLBACK_PATH = "/wecom/callback"

OnMessage = Callable[[WeComInbound], Awaitable[None]]

logger = logging.getLogger("zjtx.wecom")


class WeComCallback:
    """Serves ``/wecom/callback`` and delivers verified inbound messages to ``on_message``.

    ``clock`` returns Unix time in seconds (it judges the ``timestamp`` parameter).
    Deliveries for the same user run one after another, in arrival order; deliveries
    for different users run concurrently. Call ``drain`` (or use ``install``) on shutdown.
    """

    def __init__(
        self,
        config: WeComConfig,
        on_message: OnMessage,
        *,
        replay_guard: ReplayGuard,
        clock: Callable[[], float] = time.time,
        max_age_seconds: float = 300.0,
        max_body_bytes: int = 64 * 1024,
        path: str = CALLBACK_PATH,
    ) -> None:
        """Raise WeComCryptoError(bad_key) when the config's AES key is unusable."""
        self._crypto = WeComCrypto(config.token, config.aes_key, config.corp_id)
        self._on_message = on_message
        self._replay_guard = replay_guard
        self._clock = clock
        self._max_age = max_age_seconds
        self._max_body = max_body_bytes
        self._path = path
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_by_user: dict[str, asyncio.Task[None]] = {}

    # --- wiring -------------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        """Return the GET and POST routes for the callback path."""
        return [
            web.get(self._path, self.handle_get, allow_head=False),
            web.post(self._path, self.handle_post),
        ]

    def install(self, app: web.Application) -> None:
        """Add the routes to ``app`` and drain in-flight deliveries when it shuts down."""
        app.add_routes(self.routes())
        app.on_shutdown.append(self._drain_on_shutdown)

    @property
    def in_flight(self) -> int:
        """The number of deliveries not yet finished."""
        return len(self._tasks)

    async def drain(self, grace_seconds: float | None = None) -> None:
        """Return once every delivery started so far has finished.

        After ``grace_seconds`` the ones still running are cancelled (and logged).
        """
        while self._tasks:
            pending = set(self._tasks)
            _, still = await asyncio.wait(pending, timeout=grace_seconds)
            if still:
                logger.warning("wecom.drain_timeout cancelled=%d", len(still))
                for task in still:
                    task.cancel()
                await asyncio.gather(*still, return_exceptions=True)
                return

    async def _drain_on_shutdown(self, _app: web.Application) -> None:
        await self.drain(grace_seconds=10.0)

    # --- GET: URL verification ----------------------------------------------------------------

    async def handle_get(self, request: web.Request) -> web.StreamResponse:
        """Answer URL verification with the decrypted echostr as the bare body.

        400 for missing or malformed parameters, 403 for a bad signature, stale
        timestamp or undecryptable echostr.
        """
        try:
            params = raw_query(request.rel_url.raw_query_string)
            signature, timestamp, nonce = _signed_params(params)
            echostr = params.get("echostr")
            if not echostr:
                raise _Rejected(400, "missing_parameter")
            self._crypto.verify(signature, timestamp, nonce, echostr)
            self._check_fresh(timestamp)
            echo = self._crypto.verify_url(signature, timestamp, nonce, echostr)
        except _Rejected as exc:
            return _reject(request, "verify", exc.status, exc.reason)
        except WeComCryptoError as exc:
            return _reject(request, "verify", 403, exc.reason.value)
        logger.info("wecom.url_verified")
        return web.Response(text=echo, content_type="text/plain")

    # --- POST: messages -----------------------------------------------------------------------

    async def handle_post(self, request: web.Request) -> web.StreamResponse:
        """Acknowledge a callback with an empty 200 and deliver it in the background.

        413 for a body over the size limit; 400 for refused or malformed XML or missing
        parameters; 403 for a forged signature, a stale timestamp or a failed decryption
        (nothing is stored or delivered then). A replay is answered 200 and not delivered.
        """
        try:
            params = raw_query(request.rel_url.raw_query_string)
            signature, timestamp, nonce = _signed_params(params)
            body = await self._read_body(request)
            encrypt = child_text(parse_xml(body), "Encrypt")
            if not encrypt:
                raise _Rejected(400, "missing_encrypt")
            self._crypto.verify(signature, timestamp, nonce, encrypt)
            self._check_fresh(timestamp)
            inbound = parse_inbound(self._crypto.decrypt(encrypt))
        except _Rejected as exc:
            return _reject(request, "message", exc.status, exc.reason)
        except WeComXmlError as exc:
            return _reject(request, "message", 400, exc.reason)
        except WeComCryptoError as exc:
            return _reject(request, "message", 403, exc.reason.value)

        if not await self._replay_guard.first_time(inbound.replay_key()):
            logger.info("wecom.replay_ignored kind=%s msg_id=%s", inbound.kind, inbound.msg_id)
            return web.Response(status=200)
        self._deliver_later(inbound)
        return web.Response(status=200)

    # --- helpers ------------------------------------------------------------------------------

    async def _read_body(self, request: web.Request) -> bytes:
        return await read_body(request, self._max_body)

    def _check_fresh(self, timestamp: str) -> None:
        check_fresh(timestamp, self._clock(), self._max_age)

    def _deliver_later(self, inbound: WeComInbound) -> None:
        previous = self._last_by_user.get(inbound.from_user)
        task = asyncio.create_task(self._deliver(inbound, previous), name=f"wecom-deliver-{inbound.kind}")
        self._tasks.add(task)
        self._last_by_user[inbound.from_user] = task

        def finished(done: asyncio.Task[None]) -> None:
            self._tasks.discard(done)
            if self._last_by_user.get(inbound.from_user) is done:
                del self._last_by_user[inbound.from_user]

        task.add_done_callback(finished)

    async def _deliver(self, inbound: WeComInbound, previous: asyncio.Task[None] | None) -> None:
        if previous is not None and not previous.done():
            # Keep one user's messages in order; the previous task never raises (see below).
            await asyncio.wait([previous])
        try:
            await self._on_message(inbound)
        except Exception:
            logger.exception("wecom.delivery_failed kind=%s msg_id=%s", inbound.kind, inbound.msg_id)


def _signed_params(params: dict[str, str]) -> tuple[str, str, str]:
    signature = params.get("msg_signature")
    timestamp = params.get("timestamp")
    nonce = params.get("nonce")
    if not signature or not timestamp or nonce is None:
        raise _Rejected(400, "missing_parameter")
    return signature, timestamp, nonce


def _reject(request: web.Request, what: str, status: int, reason: str) -> web.Response:
    return refuse(logger, request, what, status, reason)
