"""Files a person opens through a link: signed, expiring, served by the shared server.

The WeChat Official Account's customer-service messages cannot carry a file, so the PDF
report goes out as a link under ZJTX_PUBLIC_URL: ``/files/<id>.<expiry>.<signature>``,
the signature an HMAC-SHA256 (key ZJTX_LINK_SECRET) of the id and the expiry. The file
itself is kept in SQLite (``document_links``) until it expires; the route serves it only
for an untampered, unexpired token (403 otherwise, 410 once expired, 404 when gone), and
``/forget`` deletes a person's files.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from bot.db import Db

__all__ = ["FILES_PATH", "DocumentLinks", "Link", "link_key"]

FILES_PATH = "/files/{token}"
DEFAULT_TTL_SECONDS = 3 * 24 * 3600.0

log = logging.getLogger("zjtx.links")


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    expires_at: float  # Unix seconds


def link_key(link_secret: str | None, fallback_secret: str | None) -> bytes | None:
    """The HMAC key of the links: ZJTX_LINK_SECRET, else one derived from another secret
    the deployment already keeps (the WeChat app secret), else None (no links)."""
    if link_secret:
        return link_secret.encode("utf-8")
    if fallback_secret:
        return hmac.new(fallback_secret.encode("utf-8"), b"zjtx document links", hashlib.sha256).digest()
    return None


class DocumentLinks:
    """Publishes files behind signed links under ``public_url`` and serves them.

    ``clock`` is Unix time. Raises ValueError for an empty key or a public URL that is not
    http(s)."""

    def __init__(
        self,
        db: Db,
        *,
        key: bytes,
        public_url: str,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not key:
            raise ValueError("document links need a key")
        if not public_url.startswith(("https://", "http://")):
            raise ValueError("ZJTX_PUBLIC_URL must start with https:// (or http:// for a test)")
        self._db = db
        self._key = key
        self._base = public_url.rstrip("/")
        self._ttl = ttl_seconds
        self._clock = clock

    def install(self, app: web.Application) -> None:
        app.router.add_get(FILES_PATH, self.serve, allow_head=False)

    def publish(self, channel: str, user_id: str, filename: str, mime: str, data: bytes) -> Link:
        """Keep ``data`` for ``user_id`` and return the link that opens it until it expires."""
        now = self._clock()
        expires = int(now + self._ttl)
        file_id = secrets.token_urlsafe(16)
        with self._db.tx() as conn:
            conn.execute("DELETE FROM document_links WHERE expires_at <= ?", [now])
            conn.execute(
                "INSERT INTO document_links "
                "(id, channel, user_id, filename, mime, data, created_at, expires_at) "
                "VALUES (?,?,?,?,?,?,?,?)",
                [file_id, channel, user_id, filename, mime, data, now, float(expires)],
            )
        token = f"{file_id}.{expires}.{self._sign(file_id, expires)}"
        return Link(f"{self._base}/files/{token}", float(expires))

    def forget(self, channel: str, user_id: str) -> int:
        """/forget: delete ``user_id``'s files on ``channel``."""
        with self._db.tx() as conn:
            return conn.execute(
                "DELETE FROM document_links WHERE channel=? AND user_id=?", [channel, user_id]
            ).rowcount

    async def serve(self, request: web.Request) -> web.StreamResponse:
        """GET /files/{token}: the file, for a valid token only."""
        file_id, expires, given = _parts(request.match_info["token"])
        if file_id is None or not hmac.compare_digest(self._sign(file_id, expires), given):
            log.warning("links.refused reason=bad_token peer=%s", request.remote)
            return web.json_response({"error": "bad_token"}, status=403)
        if self._clock() >= expires:
            return web.json_response({"error": "expired"}, status=410)
        row = self._db.row("SELECT filename, mime, data FROM document_links WHERE id=?", [file_id])
        if row is None:
            return web.json_response({"error": "not_found"}, status=404)
        filename, mime, data = row
        return web.Response(
            body=data,
            content_type=mime,
            headers={
                "Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}",
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    def _sign(self, file_id: str, expires: int) -> str:
        digest = hmac.new(self._key, f"{file_id}.{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _parts(token: str) -> tuple[str | None, int, str]:
    file_id, _, rest = token.partition(".")
    expiry, _, given = rest.partition(".")
    if not file_id or not given or not expiry.isdecimal() or len(expiry) > 12:
        return None, 0, ""
    return file_id, int(expiry), given
