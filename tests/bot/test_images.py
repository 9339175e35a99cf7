"""The one image rule: PNG or JPEG, within the platform's size."""

from __future__ import annotations

import pytest

from bot.images import ImageError, check_image, size_text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff" + b"\x00" * 16


def test_png_and_jpeg_within_the_limit_pass() -> None:
    assert check_image(PNG, 1024) == PNG and check_image(JPEG, len(JPEG)) == JPEG


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "broadcast.image.too_big"),
        (PNG, "broadcast.image.too_big"),
        (b"GIF89a" * 3, "broadcast.image.not_png_jpeg"),
    ],
)
def test_anything_else_is_refused_saying_why(data: bytes, key: str) -> None:
    with pytest.raises(ImageError) as refused:
        check_image(data, 20)
    assert refused.value.key == key


def test_the_limit_is_stated_as_the_messages_state_it() -> None:
    with pytest.raises(ImageError) as refused:
        check_image(PNG, 10)
    assert refused.value.values == {"limit": size_text(10)}
    assert (size_text(2 * 1024 * 1024), size_text(10 * 1024 * 1024)) == ("2 MB", "10 MB")
