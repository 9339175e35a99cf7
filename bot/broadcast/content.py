"""A broadcast's content as stored, and the platform messages ("parts") it becomes per target.

Telegram: one message (the text; or the image with the text as its caption when the text
fits 1024 characters), else the image and then the text. WeCom group robot: the markdown,
then the image. Parts are sent in order, each recorded before the next is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .markup import TELEGRAM_CAPTION_LIMIT

__all__ = [
    "CHANNELS",
    "IMAGE_LIMIT_BYTES",
    "ROBOT",
    "TELEGRAM",
    "Content",
    "ImageError",
    "Part",
    "check_image",
    "parts_for",
]

TELEGRAM = "telegram"
ROBOT = "wecom_robot"
CHANNELS = (TELEGRAM, ROBOT)
IMAGE_LIMIT_BYTES = 2 * 1024 * 1024  # the group robot's limit; Telegram's (10 MB) is larger
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")

PartKind = Literal["text", "photo", "markdown", "image"]


@dataclass(frozen=True, slots=True)
class Content:
    broadcast_id: int
    telegram_html: str
    telegram_visible: int
    wecom_markdown: str
    plain: str
    image: bytes | None = None
    telegram_file_id: str | None = None  # the image once uploaded, so later sends reuse it


@dataclass(frozen=True, slots=True)
class Part:
    kind: PartKind
    text: str = ""  # text, caption (Telegram HTML) or markdown
    image: bytes | None = None
    file_id: str | None = None


class ImageError(ValueError):
    """The image cannot be broadcast; ``key`` names the catalog message saying why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def check_image(data: bytes) -> bytes:
    """Return ``data`` if it is a PNG or JPEG of at most 2 MB; raise ImageError otherwise."""
    if not data or len(data) > IMAGE_LIMIT_BYTES:
        raise ImageError("broadcast.image.too_big")
    if not data.startswith(_IMAGE_SIGNATURES):
        raise ImageError("broadcast.image.not_png_jpeg")
    return data


def parts_for(channel: str, content: Content) -> list[Part]:
    """The messages one target of ``channel`` gets, in order. Raises ValueError for another channel."""
    if channel == TELEGRAM:
        if content.image is None:
            return [Part("text", content.telegram_html)]
        photo = Part("photo", image=content.image, file_id=content.telegram_file_id)
        if content.telegram_visible <= TELEGRAM_CAPTION_LIMIT:
            return [Part("photo", content.telegram_html, content.image, content.telegram_file_id)]
        return [photo, Part("text", content.telegram_html)]
    if channel == ROBOT:
        markdown = Part("markdown", content.wecom_markdown)
        return [markdown] if content.image is None else [markdown, Part("image", image=content.image)]
    raise ValueError(f"no such broadcast channel: {channel}")
