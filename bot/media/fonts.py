"""The CJK font the pictures and reports are drawn in: Noto Sans CJK SC, installed from the
package index with the project (the `noto-cjk-sans-otc` wheel), never a system font.

Pillow reads the collection directly. A PDF embeds a subset of the font; fpdf2 would parse
all 65,535 glyphs of the collection for every document, so :func:`pdf_font` first cuts the
font down, once per machine, to the characters the assistant can print (every character of
the catalogs and the rules data, ASCII and the common punctuation), gives it TrueType
outlines (a CID-keyed CFF font gets a custom encoding in the PDF that some text extractors
misread, and subsetting TrueType is several times faster) and keeps it in a cache folder
(``$ZJTX_CACHE_DIR``, else ``~/.cache/zjtx-assistant``). A document with any other
character is written with the whole collection instead.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import noto_cjk_sans_otc
from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from PIL import ImageFont

from dialogs.i18n import _locale_dir
from rules.loader import DATA_DIR

COLLECTION = Path(str(noto_cjk_sans_otc.FONT_PATH))
SC_INDEX = 2  # the collection's faces: JP, KR, SC, TC, HK, then the Mono ones
CACHE_ENV = "ZJTX_CACHE_DIR"

# Besides the catalogs and the rules data: ASCII, Latin-1, general punctuation, arrows,
# maths, geometric shapes, CJK punctuation and full-width forms.
_BLOCKS = ((0x20, 0x7F), (0xA0, 0x180), (0x2000, 0x2070), (0x2190, 0x2200), (0x2200, 0x2300),
           (0x2460, 0x2500), (0x25A0, 0x2600), (0x3000, 0x3040), (0xFF00, 0xFFF0))  # fmt: skip


@cache
def card_font(size: int) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK SC at `size` pixels, for Pillow."""
    return ImageFont.truetype(str(COLLECTION), size, index=SC_INDEX)


@cache
def cmap() -> frozenset[int]:
    """The code points the SC face has a glyph for."""
    font = TTFont(str(COLLECTION), fontNumber=SC_INDEX, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def missing(texts: Iterable[str], have: frozenset[int] | None = None) -> set[str]:
    """The characters of `texts` the font has no glyph for (line breaks and spaces aside)."""
    glyphs = cmap() if have is None else have
    return {
        ch
        for text in texts
        for ch in text
        if ord(ch) not in glyphs and not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Mn")
    }


# Chat symbols a printed page shows otherwise (the font has ✓ and × but not ✗ or emoji).
_SUBSTITUTES = {"✗": "×", "✘": "×", "❌": "×", "✅": "✓", "✔": "✓"}


def printable(text: str, have: frozenset[int] | None = None) -> str:
    """`text` as the font can draw it: ✗ as ×, ✅ as ✓, emoji and other symbols the font
    lacks left out (with the space after them), so no glyph is ever drawn as a box."""
    glyphs = cmap() if have is None else have
    out: list[str] = []
    skip_space = False
    for ch in text:
        ch = _SUBSTITUTES.get(ch, ch)
        if ord(ch) in glyphs or ch in "\n\t":
            if not (skip_space and ch == " "):
                out.append(ch)
            skip_space = False
        elif unicodedata.category(ch) in ("So", "Sk", "Cf", "Mn", "Co", "Cn"):
            skip_space = True  # an emoji or a variation selector: drop it and its space
        else:
            out.append("?")
            skip_space = False
    return "".join(out)


def repertoire() -> frozenset[int]:
    """What the assistant can print: the characters of its catalogs and rules data, and the
    common blocks."""
    chars = {cp for lo, hi in _BLOCKS for cp in range(lo, hi)}
    for folder, pattern in ((_locale_dir(), "*.po"), (DATA_DIR, "*.toml")):
        for path in sorted(folder.glob(pattern)):
            chars |= {ord(ch) for ch in path.read_text(encoding="utf-8")}
    return frozenset(chars) & cmap()


@dataclass(frozen=True)
class PdfFont:
    path: Path
    index: int  # the face in a collection (0 for a single font)
    glyphs: frozenset[int]


_lock = threading.Lock()


@cache
def pdf_font() -> PdfFont:
    """The cut-down SC font for PDFs (built on first use, then read from the cache folder)."""
    chars = repertoire()
    digest = hashlib.sha256(f"{COLLECTION.stat().st_size}:{sorted(chars)}".encode()).hexdigest()[:16]
    with _lock:
        for folder in _cache_folders():
            path = folder / f"noto-sans-sc-{digest}.ttf"
            if path.exists():
                return PdfFont(path, 0, chars)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                _cut(chars, path)
            except OSError:
                continue  # a folder we may not write: try the next
            return PdfFont(path, 0, chars)
    return full_pdf_font()


def full_pdf_font() -> PdfFont:
    """The whole SC face of the collection (slower to embed, but has every glyph)."""
    return PdfFont(COLLECTION, SC_INDEX, cmap())


def _cache_folders() -> list[Path]:
    given = os.environ.get(CACHE_ENV)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folders = [Path(given)] if given else []
    return [*folders, Path(base) / "zjtx-assistant", Path(tempfile.gettempdir()) / "zjtx-assistant"]


def _cut(chars: frozenset[int], path: Path) -> None:
    font = TTFont(str(COLLECTION), fontNumber=SC_INDEX, lazy=True)
    options = subset.Options()
    options.layout_features = ["*"]
    options.notdef_outline = True
    options.name_IDs = ["*"]
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=chars)
    cutter.subset(font)
    _to_truetype(font)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        font.save(str(partial))
        os.replace(partial, path)  # whole or not at all: another process may read it at once
    finally:
        font.close()
        if partial.exists():
            partial.unlink()


def _to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines of `font` by quadratic TrueType ones (within 1/1000 em)."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    font["head"].glyphDataFormat = 0
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["post"].formatType = 3.0  # no glyph names: they are not needed to print
    font.sfntVersion = "\x00\x01\x00\x00"
