"""Splitting long text for WeCom and the WeChat Official Account, whose limits count UTF-8
bytes, not characters (a longer WeChat text is refused with errcode 45002)."""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["TEXT_LIMIT_BYTES", "split_text", "utf8_size"]

TEXT_LIMIT_BYTES = 2048  # text and app-markdown content, both platforms: "不超过2048个字节"

_PARAGRAPH_BREAK = re.compile(r"(?<=\n\n)(?=[^\n])")
_LINE_BREAK = re.compile(r"(?<=\n)")
# Where a line that is too long may still be cut gracefully: after these characters.
_SOFT_BREAKS = frozenset(" \t。！？；，、.!?;,")


def utf8_size(text: str) -> int:
    """Return the length of ``text`` in UTF-8 bytes."""
    return len(text.encode("utf-8"))


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """Return ``text`` in pieces of at most ``limit`` UTF-8 bytes, in order.

    Pieces are cut between paragraphs where possible, else between lines, else after a
    space or punctuation mark, else between characters (never inside one). Blank lines
    at a cut are dropped; whitespace-only text gives an empty list. Raises ValueError
    when ``limit`` is below 4 (the size of the largest UTF-8 character).
    """
    if limit < 4:
        raise ValueError("limit must be at least 4 bytes")
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        if utf8_size(current + piece) <= limit:
            current += piece
            continue
        _flush(chunks, current)
        current = piece
    _flush(chunks, current)
    return chunks


def _flush(chunks: list[str], chunk: str) -> None:
    trimmed = chunk.strip("\n")
    if trimmed.strip():
        chunks.append(trimmed)


def _pieces(text: str, limit: int) -> Iterator[str]:
    """Yield consecutive pieces of ``text``, each at most ``limit`` bytes, largest units first."""
    for paragraph in _PARAGRAPH_BREAK.split(text):
        if utf8_size(paragraph) <= limit:
            yield paragraph
            continue
        for line in _LINE_BREAK.split(paragraph):
            if utf8_size(line) <= limit:
                yield line
            else:
                yield from _cut_line(line, limit)


def _cut_line(line: str, limit: int) -> Iterator[str]:
    start = 0
    while start < len(line):
        end, size, soft = start, 0, -1
        while end < len(line):
            char_size = utf8_size(line[end])
            if size + char_size > limit:
                break
            size += char_size
            end += 1
            if line[end - 1] in _SOFT_BREAKS:
                soft = end
        if end < len(line) and soft > start + (end - start) // 2:
            end = soft
        yield line[start:end]
        start = end
