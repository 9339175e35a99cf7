"""The Official Account callback endpoint: server verification (GET) and messages (POST).

GET carries ``signature`` = SHA-1 of the sorted token, timestamp and nonce, and is
answered with the bare ``echostr``. A POST in safe mode (``encrypt_type=aes``) is checked
(size, XML, ``msg_signature`` over the ``Encrypt`` and ``signature`` in constant time,
freshness), decrypted with the AppID as receive id, parsed, de-duplicated durably, and
handed to ``on_message``, whose :class:`Answer` is the HTTP response: an encrypted passive
reply (被动回复) or ``success``. A plaintext POST (no ``encrypt_type``) is refused unless
the config allows it (``WECHAT_PLAINTEXT=1``). What ``on_message`` wants done after the
answer (the customer-service messages of the turn) starts once the response is written,
so it can never arrive before the passive reply.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.channels.tencent.callback import Rejected, check_fresh, raw_query, read_body, refuse
from bot.channels.tencent.crypto import CryptoError, MsgCrypto
from bot.channels.tencent.replay import ReplayGuard
from bot.channels.tencent.xml import XmlError, child_text, parse_xml

from .config import WeChatConfig
from .inbound import WeChatInbound, parse_inbound

__all__ = ["CALLBACK_PATH", "SUCCESS", "Answer", "OnMessage", "WeChatCallback"]

CALLBACK_PATH = "/wechat/callback"
SUCCESS = "success"  # what WeChat wants when there is no passive reply (it then retries nothing)
RECENT_REPLIES = 1024  # passive replies kept to answer a retry of the same callback alike

logger = logging.getLogger("zjtx.wechat")


@dataclass(frozen=True, slots=True)
class Answer:
    """What to answer a callback with: ``reply``, the passive reply's XML before encryption
    (None: ``success``), and ``after``, started once the answer is written."""

    reply: bytes | None = None
    after: Callable[[], None] | None = None


OnMessage = Callable[[WeChatInbound], Awaitable[Answer]]


class WeChatCallback:
    """Serves ``/wechat/callback`` for one account and asks ``on_message`` for each verified,
    first-time message. ``clock`` returns Unix time in seconds (it judges ``timestamp``).

    Raises CryptoError(bad_key) when the config's AES key is unusable."""

    def __init__(
        self,
        config: WeChatConfig,
        on_message: OnMessage,
        *,
        replay_guard: ReplayGuard,
        clock: Callable[[], float] = time.time,
        max_age_seconds: float = 300.0,
        max_body_bytes: int = 64 * 1024,
    ) -> None:
        self._token_crypto = MsgCrypto(config.token, config.aes_key or _NO_KEY, config.app_id)
        self._crypto = self._token_crypto if config.aes_key else None
        self._plaintext = config.plaintext
        self._on_message = on_message
        self._replay_guard = replay_guard
        self._clock = clock
        self._max_age = max_age_seconds
        self._max_body = max_body_bytes
        self._recent: OrderedDict[str, bytes] = OrderedDict()

    # --- GET: server verification ---------------------------------------------------------------

    async def handle_get(self, request: web.Request) -> web.StreamResponse:
        """Answer server verification with the bare ``echostr``.

        400 for a missing echostr or a duplicated parameter, 403 for a missing or bad
        signature or a stale timestamp.
        """
        try:
            params = raw_query(request.rel_url.raw_query_string)
            signature, timestamp, nonce = _signed(params, "signature")
            echostr = params.get("echostr")
            if not echostr:
                raise Rejected(400, "missing_parameter")
            self._token_crypto.verify_signature(signature, timestamp, nonce)
            check_fresh(timestamp, self._clock(), self._max_age)
        except Rejected as exc:
            return refuse(logger, request, "verify", exc.status, exc.reason)
        except CryptoError as exc:
            return refuse(logger, request, "verify", 403, exc.reason.value)
        logger.info("wechat.url_verified")
        return web.Response(text=echostr, content_type="text/plain")

    # --- POST: messages and events --------------------------------------------------------------

    async def handle_post(self, request: web.Request) -> web.StreamResponse:
        """Answer a callback with its passive reply (encrypted in safe mode) or ``success``.

        413 for a body over the size limit; 400 for refused or malformed XML, an unknown
        ``encrypt_type`` or a duplicated parameter; 403 for a missing or forged signature, a
        stale timestamp, a failed decryption (a wrong AppID) or a plaintext callback not
        allowed. Nothing is stored or handled then.
        A replay is answered as the first time was (if that answer is still known) and not
        handled again.
        """
        try:
            params = raw_query(request.rel_url.raw_query_string)
            body = await read_body(request, self._max_body)
            inbound, sealed = self._open(params, body)
        except Rejected as exc:
            return refuse(logger, request, "message", exc.status, exc.reason)
        except XmlError as exc:
            return refuse(logger, request, "message", 400, exc.reason)
        except CryptoError as exc:
            return refuse(logger, request, "message", 403, exc.reason.value)

        key = inbound.replay_key()
        if not await self._replay_guard.first_time(key):
            logger.info("wechat.replay_ignored kind=%s msg_id=%s", inbound.kind, inbound.msg_id)
            return self._response(self._recent.get(key), sealed)
        answer = await self._on_message(inbound)
        if answer.reply is not None:
            self._remember(key, answer.reply)
        response = self._response(answer.reply, sealed)
        if answer.after is None:
            return response
        try:
            await response.prepare(request)
            await response.write_eof()
        finally:  # even when WeChat hung up: the turn is committed, its other messages still go
            answer.after()
        return response

    # --- helpers --------------------------------------------------------------------------------

    def _open(self, params: dict[str, str], body: bytes) -> tuple[WeChatInbound, bool]:
        """The inbound message of a checked request, and whether it came encrypted."""
        encrypt_type = params.get("encrypt_type", "raw")
        if encrypt_type == "aes":
            if self._crypto is None:
                raise Rejected(403, "safe_mode_not_configured")
            msg_signature, timestamp, nonce = _signed(params, "msg_signature")
            encrypt = child_text(parse_xml(body), "Encrypt")
            if not encrypt:
                raise Rejected(400, "missing_encrypt")
            self._crypto.verify(msg_signature, timestamp, nonce, encrypt)
            if "signature" in params:  # always sent by WeChat; a wrong one is a forgery too
                self._crypto.verify_signature(params["signature"], timestamp, nonce)
            check_fresh(timestamp, self._clock(), self._max_age)
            return parse_inbound(self._crypto.decrypt(encrypt)), True
        if encrypt_type != "raw":
            raise Rejected(400, "unknown_encrypt_type")
        if not self._plaintext:
            raise Rejected(403, "plaintext_refused")
        signature, timestamp, nonce = _signed(params, "signature")
        self._token_crypto.verify_signature(signature, timestamp, nonce)
        check_fresh(timestamp, self._clock(), self._max_age)
        return parse_inbound(body), False

    def _response(self, reply: bytes | None, sealed: bool) -> web.Response:
        if reply is None:
            return web.Response(text=SUCCESS, content_type="text/plain")
        if sealed and self._crypto is not None:
            reply = self._crypto.seal(
                reply, timestamp=str(int(self._clock())), nonce=str(secrets.randbelow(10**10))
            )
        return web.Response(body=reply, content_type="application/xml", charset="utf-8")

    def _remember(self, key: str, reply: bytes) -> None:
        self._recent[key] = reply
        while len(self._recent) > RECENT_REPLIES:
            self._recent.popitem(last=False)


_NO_KEY = "A" * 43  # a well-formed key for the signature-only crypto of a plaintext account


def _signed(params: dict[str, str], name: str) -> tuple[str, str, str]:
    """The signature ``name`` and what it signs; an unsigned request is refused as a forgery."""
    signature = params.get(name)
    timestamp = params.get("timestamp")
    nonce = params.get("nonce")
    if not signature or not timestamp or nonce is None:
        raise Rejected(403, "missing_signature")
    return signature, timestamp, nonce
