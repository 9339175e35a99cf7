"""A broadcast's content as stored, and the platform messages ("parts") it becomes.

Each platform says which parts one of its targets gets (its :class:`~bot.broadcast.sending.Platform`
``parts``, in bot/channels/<platform>/sender.py); parts are sent in order, each recorded
before the next is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ROBOT", "TELEGRAM", "Content", "Part"]

# The channels of subscriptions (the names staff and the reports see)
TELEGRAM = "telegram"
ROBOT = "wecom_robot"

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
