"""Charts drawn on the server as SVG: bars up (weeks, score bands) and bars across
(tiers, districts). Every text is escaped; each bar has a <title> with its exact value, and
the page shows the same figures in a table for readers without the picture."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = ["bars_across", "bars_up"]

WIDTH = 360  # the drawing's own units: one unit a pixel on a phone, scaled up on a desk
BAR_COLOUR = "#2f6f9f"


def _label(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bars_up(title: str, items: Sequence[tuple[str, int]], *, height: int = 180) -> Markup:
    """Vertical bars, one per (label, value), labels under every few bars."""
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


def bars_across(title: str, items: Sequence[tuple[str, int]], *, row: int = 22) -> Markup:
    """Horizontal bars, one row per (label, value), the label left and the value at the bar's end."""
    label_width, right = 92, 40
    height = max(1, len(items)) * row + 8
    most = max((v for _, v in items), default=0) or 1
    room = WIDTH - label_width - right
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        w = room * value / most
        parts.append(
            f'<text x="{label_width - 6}" y="{y + row * 0.65:.1f}" font-size="12" fill="#333" '
            f'text-anchor="end">{escape(_label(label, 8))}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{max(w, 0.5):.1f}" height="{row - 8}" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}: {value}</title></rect>'
        )
        parts.append(
            f'<text x="{label_width + w + 4:.1f}" y="{y + row * 0.65:.1f}" font-size="12" '
            f'fill="#333">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
