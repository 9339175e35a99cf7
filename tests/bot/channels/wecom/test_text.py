"""Splitting long text under WeCom's byte limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.wecom import split_text, utf8_size


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_short_text_is_one_piece() -> None:
    assert split_text("你好\n\n世界") == ["你好\n\n世界"]


def test_blank_text_is_no_piece() -> None:
    assert split_text("") == [] and split_text(" \n\n ") == []


def test_cuts_between_paragraphs_first() -> None:
    first, second = "甲" * 500, "乙" * 500  # 1500 bytes each
    assert split_text(f"{first}\n\n{second}") == [first, second]


def test_packs_paragraphs_that_fit_together() -> None:
    paragraphs = ["段" * 100] * 5  # 300 bytes each
    assert split_text("\n\n".join(paragraphs), limit=1000) == [
        "\n\n".join(paragraphs[:3]),
        "\n\n".join(paragraphs[3:]),
    ]


def test_cuts_a_long_paragraph_between_lines() -> None:
    lines = ["行" * 300] * 4  # 900 bytes each
    assert split_text("\n".join(lines), limit=2048) == ["\n".join(lines[:2]), "\n".join(lines[2:])]


def test_cuts_a_long_line_after_punctuation_when_it_can() -> None:
    sentence = "这是一句话。" * 200  # 18 bytes a sentence, no newline at all
    pieces = split_text(sentence, limit=2048)
    assert all(utf8_size(piece) <= 2048 for piece in pieces)
    assert all(piece.endswith("。") for piece in pieces)
    assert "".join(pieces) == sentence


def test_never_cuts_inside_a_character() -> None:
    text = "😀" * 1000  # 4 bytes each, no break anywhere
    pieces = split_text(text, limit=2047)
    assert [utf8_size(piece) for piece in pieces[:-1]] == [2044] * (len(pieces) - 1)
    assert "".join(pieces) == text


def test_a_tiny_limit_is_refused() -> None:
    with pytest.raises(ValueError):
        split_text("abc", limit=3)


@given(
    st.text(alphabet=st.sampled_from(list("ab 中文😀\n。")), max_size=3000),
    st.integers(min_value=4, max_value=300),
)
def test_pieces_fit_and_keep_every_visible_character(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(0 < utf8_size(piece) <= limit for piece in pieces)
    assert squeeze("".join(pieces)) == squeeze(text)
