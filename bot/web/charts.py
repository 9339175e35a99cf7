"""Charts drawn on the server as SVG: bars up (weeks, score bands) and bars across
(tiers, districts). Every text is escaped; each bar has a <title> with its exact value, and
the page shows the same figures in a table for readers without the picture. A chart with
nothing to show says so in words (`empty`) rather than drawing an axis alone; a label is
never cut: one too long to stand left of its bar goes above it."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = ["bars_across", "bars_up"]

WIDTH = 360  # the drawing's own units: one unit a pixel on a phone, scaled up on a desk
BAR_COLOUR = "#2f6f9f"


def _label(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_width(text: str, size: float) -> float:
    """About how wide `text` is drawn at font `size`, in the drawing's units (a wide CJK
    character a full em, the rest a little over half)."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def _nothing(items: Sequence[tuple[str, int]], empty: str | None) -> Markup | None:
    if empty is not None and not any(v > 0 for _, v in items):
        return Markup('<p class="muted chart-empty">{}</p>').format(empty)
    return None


def bars_up(
    title: str, items: Sequence[tuple[str, int]], *, height: int = 180, empty: str | None = None
) -> Markup:
    """Vertical bars, one per (label, value), labels under every few bars; `empty` instead
    when no value is above 0."""
    nothing = _nothing(items, empty)
    if nothing is not None:
        return nothing
    top, bottom, left = 18, 30, 4
    plot = height - top - bottom
    most = max((v for _, v in items), default=0) or 1
    slot = (WIDTH - left * 2) / max(1, len(items))
    bar = max(1.0, slot * 0.8)
    every = max(1, round(len(items) / 6))  # about six labels, whatever the count
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot}" x2="{WIDTH - left}" y2="{top + plot}" '
        'stroke="#999" stroke-width="1"/>',
        f'<text x="{left}" y="12" font-size="11" fill="#555">{most}</text>',
    ]
    for i, (label, value) in enumerate(items):
        h = plot * value / most
        x = left + i * slot + (slot - bar) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}: {value}</title></rect>'
        )
        if i % every == 0:
            centre = min(max(x + bar / 2, 16.0), WIDTH - 16.0)  # a label never hangs off an edge
            parts.append(
                f'<text x="{centre:.1f}" y="{height - 12}" font-size="10" fill="#333" '
                f'text-anchor="middle">{escape(_label(label, 8))}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def bars_across(
    title: str, items: Sequence[tuple[str, int]], *, row: int = 22, empty: str | None = None
) -> Markup:
    """Horizontal bars, one row per (label, value), the label left and the value at the bar's
    end; labels too long for the left (English tier names on a phone) go above their bars,
    whole. `empty` instead when no value is above 0."""
    nothing = _nothing(items, empty)
    if nothing is not None:
        return nothing
    size, right = 12, 40
    widest = max((_text_width(label, size) for label, _ in items), default=0.0)
    above = widest > WIDTH * 0.3  # a label beside its bar would leave the bar too little room
    label_width = 4 if above else max(40, round(widest) + 10)
    line = row + (size + 4 if above else 0)
    height = max(1, len(items)) * line + 8
    most = max((v for _, v in items), default=0) or 1
    room = WIDTH - label_width - right
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(items):
        y = 4 + i * line
        if above:
            parts.append(
                f'<text x="{label_width}" y="{y + size:.1f}" font-size="{size}" fill="#333">'
                f"{escape(label)}</text>"
            )
            y += size + 4
        else:
            parts.append(
                f'<text x="{label_width - 6}" y="{y + row * 0.65:.1f}" font-size="{size}" fill="#333" '
                f'text-anchor="end">{escape(label)}</text>'
            )
        w = room * value / most
        parts.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{max(w, 0.5):.1f}" height="{row - 8}" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}: {value}</title></rect>'
        )
        parts.append(
            f'<text x="{label_width + w + 4:.1f}" y="{y + row * 0.65:.1f}" font-size="{size}" '
            f'fill="#333">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
