"""Pictures and documents drawn from the dialogs' intents: the score card PNG and the PDF
report, in Noto Sans CJK installed with the project.

A channel sending an :class:`~dialogs.messages.Image` or a
:class:`~dialogs.messages.Document` calls :func:`render` for its bytes (PNG or PDF) and uses
the message's `filename`, `mime` and `alt` or `caption`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dialogs.messages import Document, Image
from rules import Rules

__all__ = ["render", "report_pdf"]


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
    assessment = assess(parse_profile(answers, rules.contacts.districts), rules, today)
    return render(engine.report_document(lang, assessment, answers, today))
