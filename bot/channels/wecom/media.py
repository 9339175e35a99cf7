"""The score card and the PDF report on WeCom: uploaded as temporary media, then sent as an
image message or a file message of the app.

:func:`send_media` takes one :class:`~dialogs.messages.Image` (media/upload type=image, then
msgtype image) or :class:`~dialogs.messages.Document` (type=file, then msgtype file, which
shows the file name given at upload). Drawing happens in a worker thread
(:func:`bot.media.rendered`); the media_id WeCom answers is valid for three days and kept
(:class:`MediaIds`) for a day less, so the same card or report sent again is neither drawn
nor uploaded again. A media_id WeCom no longer knows (40007) is forgotten and the file
uploaded afresh. Calls go through :class:`~bot.channels.wecom.api.WeComApi`: its token
handling and retries apply to the upload as to any call.
"""

from __future__ import annotations

import logging

from bot.media import Sent, rendered
from dialogs.messages import Document, Image

from .api import MediaKind, SendResult, Uploaded, WeComApi
from .errors import WeComError

__all__ = ["INVALID_MEDIA_ID", "MediaIds", "send_media"]

INVALID_MEDIA_ID = 40007
REUSE_MARGIN_SECONDS = 24 * 3600.0  # a media_id lives three days: reuse it for two

log = logging.getLogger("zjtx.wecom")

Media = Image | Document


class MediaIds(Sent[Uploaded]):
    """The upload (media_id and expiry) WeCom answered for each picture or document sent."""


def _kind(message: Media) -> MediaKind:
    return "image" if isinstance(message, Image) else "file"


async def _send(api: WeComApi, user_id: str, uploaded: Uploaded) -> SendResult:
    if uploaded.kind == "image":
        return await api.send_image(user_id, uploaded.media_id)
    return await api.send_file(user_id, uploaded.media_id)


async def send_media(
    api: WeComApi, user_id: str, message: Media, *, media_ids: MediaIds | None = None
) -> SendResult:
    """Send `message` to `user_id` as an image or file message: by the media_id `media_ids`
    keeps for it while it has a day to live, else drawn and uploaded first.

    Raises ValueError when the drawn file is outside WeCom's limits (image 10 MB, file
    20 MB; nothing sent), WeComError when WeCom refuses the upload or the message."""
    known = media_ids.get(message) if media_ids is not None else None
    if known is not None and media_ids is not None:
        if api.valid_for(known) > REUSE_MARGIN_SECONDS:
            try:
                return await _send(api, user_id, known)
            except WeComError as exc:
                if exc.errcode != INVALID_MEDIA_ID:
                    raise
                log.info("wecom.media_id_refused user=%s (uploading again)", user_id)
        media_ids.forget(message)
    content = await rendered(message)
    uploaded = await api.upload_media(
        _kind(message), content, filename=message.filename, content_type=message.mime
    )
    if media_ids is not None:
        media_ids.put(message, uploaded)
    return await _send(api, user_id, uploaded)
