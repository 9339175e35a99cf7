"""The score card: a portrait PNG (1080×1350) drawn from a :class:`ScoreCard` with Pillow.

:func:`draw` returns the picture and every text it drew with its box, so tests can check
that each character has a real glyph and that the picture is not blank where text is;
:func:`render_card` returns the PNG bytes a channel sends.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image as PILImage
from PIL import ImageDraw

from bot.media.fonts import card_font, printable
from dialogs.messages import Check, ScoreCard

WIDTH, HEIGHT = 1080, 1350
MARGIN = 60

NAVY = (18, 53, 91)
INK = (33, 37, 41)
MUTED = (108, 117, 125)
PAPER = (244, 246, 250)
WHITE = (255, 255, 255)
TRACK = (226, 231, 238)
GREEN = (30, 150, 100)
RED = (200, 60, 50)
AMBER = (222, 130, 40)
BLUE = (45, 110, 190)
PALE = (200, 214, 232)

Color = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Drawn:
    """A text the card drew: where, in what size and colour."""

    text: str
    box: tuple[int, int, int, int]
    size: int
    fill: Color


class _Canvas:
    def __init__(self) -> None:
        self.image = PILImage.new("RGB", (WIDTH, HEIGHT), PAPER)
        self.draw = ImageDraw.Draw(self.image)
        self.drawn: list[Drawn] = []

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        size: int,
        fill: Color,
        anchor: str = "la",
        max_width: int | None = None,
        bold: bool = False,
        min_size: int = 18,
    ) -> tuple[int, int, int, int]:
        """Draw `text`, made smaller (down to `min_size`) and then cut to fit `max_width`."""
        if not text:
            return (int(xy[0]), int(xy[1]), int(xy[0]), int(xy[1]))
        stroke = 1 if bold else 0
        text = printable(text)
        text, size = self.fit(text, size, max_width, stroke, min_size)
        font = card_font(size)
        self.draw.text(xy, text, font=font, fill=fill, anchor=anchor, stroke_width=stroke, stroke_fill=fill)
        box = self.draw.textbbox(xy, text, font=font, anchor=anchor, stroke_width=stroke)
        ibox = (int(box[0]), int(box[1]), math.ceil(box[2]), math.ceil(box[3]))
        self.drawn.append(Drawn(text, ibox, size, fill))
        return ibox

    def fit(
        self, text: str, size: int, max_width: int | None, stroke: int = 0, min_size: int = 18
    ) -> tuple[str, int]:
        """`text` and a size at which it fits `max_width`: smaller first, then cut."""
        if max_width is None:
            return text, size
        while size > min_size and self._width(text, size, stroke) > max_width:
            size -= 1
        while len(text) > 1 and self._width(text, size, stroke) > max_width:
            text = text[:-2] + "…"
        return text, size

    def _width(self, text: str, size: int, stroke: int) -> float:
        return card_font(size).getlength(text) + 2 * stroke

    def panel(self, top: int, bottom: int) -> None:
        self.draw.rounded_rectangle((MARGIN - 20, top, WIDTH - MARGIN + 20, bottom), radius=28, fill=WHITE)


def draw(card: ScoreCard) -> tuple[PILImage.Image, list[Drawn]]:
    """The score card of `card`, and every text drawn on it."""
    c = _Canvas()
    d = c.draw
    d.rectangle((0, 0, WIDTH, 190), fill=NAVY)
    c.text((MARGIN, 48), card.title, 56, WHITE, bold=True, max_width=WIDTH - 2 * MARGIN)
    c.text((MARGIN, 126), card.subtitle, 28, PALE, max_width=WIDTH - 2 * MARGIN)

    if card.score is None:
        _institution(c, card)
    else:
        _score_panel(c, card)
        _groups(c, card, top=580)
        _conditions(c, card, top=870)

    y = HEIGHT - 112
    for i, line in enumerate(card.footer):
        c.text(
            (WIDTH / 2, y + 34 * i),
            line,
            24 if i else 26,
            MUTED if i else INK,
            anchor="ma",
            max_width=WIDTH - 2 * MARGIN,
        )
    return c.image, c.drawn


def render_card(card: ScoreCard) -> bytes:
    """The score card as PNG bytes."""
    image, _ = draw(card)
    # a flat picture: a 64-colour palette keeps the text smooth and the file small
    small = image.quantize(colors=64, method=PILImage.Quantize.MEDIANCUT, dither=PILImage.Dither.NONE)
    out = io.BytesIO()
    small.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()


# ---------------------------------------------------------------- parts


def _verdict_color(card: ScoreCard) -> Color:
    if card.verdict_ok is None:
        return BLUE
    return GREEN if card.verdict_ok else AMBER


def _score_panel(c: _Canvas, card: ScoreCard) -> None:
    top, bottom = 214, 556
    c.panel(top, bottom)
    d = c.draw
    assert card.score is not None
    cx, cy, r, w = MARGIN + 170, (top + bottom) // 2, 140, 26
    box = (cx - r, cy - r, cx + r, cy + r)
    d.arc(box, 0, 360, fill=TRACK, width=w)
    share = max(0.0, min(1.0, card.score / card.score_max))
    if share > 0:
        d.arc(box, -90, -90 + 360 * share, fill=_verdict_color(card), width=w)
    # the pass line: a tick across the ring, and its number outside
    angle = math.radians(-90 + 360 * card.pass_mark / card.score_max)
    inner, outer = r - w - 6, r + 6
    d.line(
        (
            cx + inner * math.cos(angle),
            cy + inner * math.sin(angle),
            cx + outer * math.cos(angle),
            cy + outer * math.sin(angle),
        ),
        fill=INK,
        width=5,
    )
    lx, ly = cx + (r + 26) * math.cos(angle), cy + (r + 26) * math.sin(angle)
    c.text((lx, ly), str(card.pass_mark), 24, INK, anchor="mm")
    c.text((cx, cy - 12), str(card.score), 112, INK, anchor="mm", bold=True)
    c.text((cx, cy + 62), f"/{card.score_max}", 32, MUTED, anchor="mm")

    x = MARGIN + 400
    right = WIDTH - MARGIN
    pill_top = top + 40
    verdict, size = c.fit(card.verdict, 38, right - x - 56, stroke=1)
    width = int(card_font(size).getlength(verdict)) + 2
    d.rounded_rectangle(
        (x, pill_top, min(right, x + width + 56), pill_top + 70), radius=35, fill=_verdict_color(card)
    )
    c.text((x + 28, pill_top + 35), verdict, size, WHITE, anchor="lm", bold=True)
    c.text((x, pill_top + 100), card.pass_caption, 28, MUTED, max_width=right - x)
    c.text((x, pill_top + 160), card.tier_title, 26, MUTED, max_width=right - x)
    c.text((x, pill_top + 198), card.tier, 42, NAVY, max_width=right - x, bold=True)
    c.text((x, pill_top + 258), card.next_tier, 26, MUTED, max_width=right - x)


def _groups(c: _Canvas, card: ScoreCard, top: int) -> None:
    c.panel(top, top + 266)
    c.text((MARGIN, top + 28), card.groups_title, 32, NAVY, bold=True)
    d = c.draw
    label_w, value_w = 230, 110
    x0, x1 = MARGIN + label_w, WIDTH - MARGIN - value_w
    for i, bar in enumerate(card.groups):
        y = top + 98 + 46 * i
        c.text((MARGIN, y), bar.label, 28, INK, anchor="lm", max_width=label_w - 16)
        d.rounded_rectangle((x0, y - 12, x1, y + 12), radius=12, fill=TRACK)
        share = max(0.0, min(1.0, bar.value / bar.max)) if bar.max else 0.0
        if share > 0:
            d.rounded_rectangle((x0, y - 12, x0 + max(24, (x1 - x0) * share), y + 12), radius=12, fill=BLUE)
        c.text((WIDTH - MARGIN, y), f"{bar.value}/{bar.max}", 28, INK, anchor="rm")


def _mark(c: _Canvas, cx: float, cy: float, met: bool) -> None:
    d = c.draw
    r = 17
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=GREEN if met else RED)
    if met:
        d.line((cx - 8, cy + 1, cx - 2, cy + 8, cx + 9, cy - 7), fill=WHITE, width=4, joint="curve")
    else:
        d.line((cx - 7, cy - 7, cx + 7, cy + 7), fill=WHITE, width=4)
        d.line((cx - 7, cy + 7, cx + 7, cy - 7), fill=WHITE, width=4)


def _conditions(c: _Canvas, card: ScoreCard, top: int) -> None:
    rows: Sequence[Check] = card.conditions
    c.panel(top, top + 96 + 50 * len(rows))
    c.text((MARGIN, top + 28), card.conditions_title, 32, NAVY, bold=True)
    for i, check in enumerate(rows):
        y = top + 104 + 50 * i
        _mark(c, MARGIN + 17, y, check.met)
        shown = check.label if check.met or not check.note else check.note
        c.text(
            (MARGIN + 50, y),
            shown,
            28,
            INK if check.met else RED,
            anchor="lm",
            max_width=WIDTH - 2 * MARGIN - 50,
        )


def _institution(c: _Canvas, card: ScoreCard) -> None:
    c.panel(240, 700)
    x = MARGIN
    c.text((x, 300), card.verdict, 34, MUTED, max_width=WIDTH - 2 * MARGIN)
    c.text((x, 400), card.tier_title, 30, MUTED)
    c.text((x, 460), card.tier, 72, NAVY, bold=True, max_width=WIDTH - 2 * MARGIN)
    c.text((x, 600), card.next_tier, 30, MUTED, max_width=WIDTH - 2 * MARGIN)
