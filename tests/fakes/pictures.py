"""Real pictures for tests: the fake platforms open what is uploaded as a photo, as the real
ones do, so a few bytes after a PNG signature no longer pass for one."""

from __future__ import annotations

import io

from PIL import Image

__all__ = ["png"]


def png(width: int = 64, height: int = 48, colour: str = "navy") -> bytes:
    """A PNG of one colour, `width` × `height` pixels."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()
