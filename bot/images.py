"""Images people may send through the assistant: PNG or JPEG, within a platform's size."""

from __future__ import annotations

__all__ = ["IMAGE_SIGNATURES", "ImageError", "check_image", "size_text"]

IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # PNG, JPEG


class ImageError(ValueError):
    """The image cannot be sent; ``key`` names the catalog message saying why, ``values``
    fill its placeholders."""

    def __init__(self, key: str, values: dict[str, str] | None = None) -> None:
        super().__init__(key)
        self.key = key
        self.values = values or {}


def size_text(limit_bytes: int) -> str:
    """A size limit as the messages state it: "2 MB"."""
    megabytes = limit_bytes / (1024 * 1024)
    return f"{megabytes:g} MB"


def check_image(data: bytes, limit_bytes: int) -> bytes:
    """Return ``data`` if it is a PNG or JPEG of 1 byte to ``limit_bytes``.

    Raises ImageError("broadcast.image.too_big") for an empty or larger one, and
    ImageError("broadcast.image.not_png_jpeg") for any other kind of file."""
    if not data or len(data) > limit_bytes:
        raise ImageError("broadcast.image.too_big", {"limit": size_text(limit_bytes)})
    if not data.startswith(IMAGE_SIGNATURES):
        raise ImageError("broadcast.image.not_png_jpeg")
    return data
