"""The score card and the PDF report on Telegram: sendPhoto and sendDocument.

:func:`send_media` sends one :class:`~dialogs.messages.Image` (sendPhoto, its alt text as
the caption) or :class:`~dialogs.messages.Document` (sendDocument, its file name and
caption). The first time, the file is drawn (:func:`bot.media.rendered`) and uploaded as
multipart/form-data with python-telegram-bot's InputFile; the file_id Telegram answers is
kept (:class:`FileIds`), so the same card or report sent again (/result, /report twice) is
neither drawn nor uploaded again. A file_id Telegram no longer takes is forgotten and the
file uploaded afresh.

Limits (https://core.telegram.org/bots/api#sending-files): a photo at most 10 MB, its width
and height at most 10000 together; any other file at most 50 MB; a caption at most 1024
characters. A file over its limit is not sent (:class:`MediaTooLarge`); what Telegram
refuses raises its TelegramError. The channel shows the alt text or caption instead.
"""

from __future__ import annotations

import logging
from typing import Final

from telegram import Bot, InputFile, Message, ReplyParameters
from telegram.error import BadRequest

from bot.media import Sent, rendered
from dialogs.messages import Document, Image

from .render import utf16_len

__all__ = [
    "CAPTION_LIMIT",
    "DOCUMENT_LIMIT_BYTES",
    "PHOTO_LIMIT_BYTES",
    "FileIds",
    "MediaTooLarge",
    "send_media",
]

PHOTO_LIMIT_BYTES: Final = 10 * 1024 * 1024
DOCUMENT_LIMIT_BYTES: Final = 50 * 1024 * 1024
CAPTION_LIMIT: Final = 1024  # characters (UTF-16 units) after entity parsing

log = logging.getLogger("zjtx.telegram")

Media = Image | Document


class MediaTooLarge(ValueError):
    """The drawn file is larger than Telegram takes for its kind."""


class FileIds(Sent[str]):
    """The file_id Telegram gave each picture or document sent."""


def _caption(text: str) -> str:
    """`text` within Telegram's caption limit."""
    if utf16_len(text) <= CAPTION_LIMIT:
        return text
    out: list[str] = []
    used = 1  # the ellipsis
    for ch in text:
        used += utf16_len(ch)
        if used > CAPTION_LIMIT:
            break
        out.append(ch)
    return "".join(out) + "…"


async def _send(
    bot: Bot,
    chat_id: int | str,
    message: Media,
    file: InputFile | str,
    reply_parameters: ReplyParameters | None,
) -> Message:
    if isinstance(message, Image):
        return await bot.send_photo(
            chat_id, file, caption=_caption(message.alt) or None, reply_parameters=reply_parameters
        )
    return await bot.send_document(
        chat_id,
        file,
        caption=_caption(message.caption) or None,
        filename=message.filename if isinstance(file, InputFile) else None,
        reply_parameters=reply_parameters,
    )


def _file_id(sent: Message) -> str | None:
    if sent.photo:
        return sent.photo[-1].file_id  # the largest size
    if sent.document is not None:
        return sent.document.file_id
    return None


async def send_media(
    bot: Bot,
    chat_id: int | str,
    message: Media,
    *,
    file_ids: FileIds | None = None,
    reply_parameters: ReplyParameters | None = None,
) -> Message:
    """Send `message` to `chat_id`: by the file_id `file_ids` remembers for it, else drawn and
    uploaded (and its file_id remembered). Return the Message Telegram answered.

    Raises MediaTooLarge for a file over Telegram's limit (nothing sent), TelegramError for
    what Telegram refuses (RetryAfter included: the caller decides whether to wait)."""
    known = file_ids.get(message) if file_ids is not None else None
    if known is not None and file_ids is not None:
        try:
            return await _send(bot, chat_id, message, known, reply_parameters)
        except BadRequest as exc:  # a file_id of another bot, or one Telegram has dropped
            log.info("telegram.file_id_refused chat=%s error=%s (uploading again)", chat_id, exc)
            file_ids.forget(message)
    content = await rendered(message)
    limit = PHOTO_LIMIT_BYTES if isinstance(message, Image) else DOCUMENT_LIMIT_BYTES
    if len(content) > limit:
        raise MediaTooLarge(f"{message.filename} is {len(content)} bytes; Telegram takes {limit}")
    sent = await _send(bot, chat_id, message, InputFile(content, filename=message.filename), reply_parameters)
    file_id = _file_id(sent)
    if file_ids is not None and file_id is not None:
        file_ids.put(message, file_id)
    return sent
