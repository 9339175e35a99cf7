"""Pictures and documents drawn from the dialogs' intents: the score card PNG and the PDF
report, in Noto Sans CJK installed with the project.

A channel sending an :class:`~dialogs.messages.Image` or a
:class:`~dialogs.messages.Document` awaits :func:`rendered` (or calls :func:`render`) for its
bytes (PNG or PDF) and uses the message's `filename`, `mime` and `alt` or `caption`; when
the platform refuses the file it shows :func:`unsent_text` instead.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any, Generic, TypeVar

from dialogs.messages import Document, Image
from rules import Rules

__all__ = ["Sent", "render", "rendered", "report_pdf", "unsent_text"]

V = TypeVar("V")

# FreeType faces (cached per size in bot.media.fonts) are not safe to share between threads:
# drawing happens one message at a time.
_DRAWING = threading.Lock()


def _render_locked(message: Image | Document) -> bytes:
    with _DRAWING:
        return render(message)


async def rendered(message: Image | Document) -> bytes:
    """:func:`render` in a worker thread, so that the event loop keeps serving other people
    while a card (tens of milliseconds) or a report (a little more) is drawn."""
    return await asyncio.to_thread(_render_locked, message)


class Sent(Generic[V]):
    """What a platform answered for each picture or document sent (Telegram's file_id,
    WeCom's upload), the `size` most recent ones, so the same file sent again is neither
    drawn nor uploaded again.

    In memory: after a restart a file is uploaded once more, which costs a little time and
    nothing else."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._kept: OrderedDict[Image | Document, V] = OrderedDict()

    def get(self, message: Image | Document) -> V | None:
        found = self._kept.get(message)
        if found is not None:
            self._kept.move_to_end(message)
        return found

    def put(self, message: Image | Document, value: V) -> None:
        self._kept[message] = value
        self._kept.move_to_end(message)
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)

    def forget(self, message: Image | Document) -> None:
        self._kept.pop(message, None)

    def __len__(self) -> int:
        return len(self._kept)


def unsent_text(message: Image | Document, t: Callable[..., str]) -> str:
    """What to show when a platform refuses the picture or the file: the picture's alt text;
    the document's caption and how to ask for it again. `t` reads the person's catalog."""
    if isinstance(message, Image):
        return message.alt
    return f"{message.caption}\n{t('media.document_unsent')}"


def render(message: Image | Document) -> bytes:
    """The bytes of `message`: a PNG for an Image, a PDF for a Document."""
    if isinstance(message, Image):
        from bot.media.card import render_card

        return render_card(message.card)
    from bot.media.pdf import render_report

    return render_report(message.report)


def report_pdf(answers: dict[str, Any], rules: Rules, today: date, lang: str = "zh") -> bytes:
    """The PDF report of one profile (answers as in docs/interfaces.md#profile) as of
    `today`: for staff, from `zjtx assess PROFILE --pdf out.pdf`."""
    from dialogs.engine import DialogEngine
    from rules import assess, parse_profile

    engine = DialogEngine(rules)
    profile = parse_profile(answers, rules.contacts.districts)
    if profile.district is not None:  # "tianhe" or "天河" in the file: the district's own id
        answers = {**answers, "district": profile.district}
    return render(engine.report_document(lang, assess(profile, rules, today), answers, today))
