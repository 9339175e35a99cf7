"""What staff write for a broadcast, and how each platform shows it (pure functions).

Input is a small Markdown subset, or the same subset in HTML, one line at a time:
``# 标题`` (to ``###``), ``- 项目`` (or ``* ``, ``• ``), ``> 引文``; inline ``**粗体**``,
``*斜体*``, ```代码```, ``[文字](https://…)``, and ``<b> <strong> <i> <em> <u> <s> <code>
<a href="…"> <br>``. ``\\*`` is a literal star. Anything else is text, shown as typed.

The parsed lines are rendered three ways: Telegram HTML (parse_mode HTML), WeCom group-robot
markdown, and plain text (previews in the terminal, fallbacks). Rendering is fixed when a
broadcast is created, so what was previewed is what is sent.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "TELEGRAM_CAPTION_LIMIT",
    "TELEGRAM_TEXT_LIMIT",
    "WECOM_MARKDOWN_LIMIT_BYTES",
    "Line",
    "Rendered",
    "Span",
    "parse",
    "render",
    "utf16_len",
]

TELEGRAM_TEXT_LIMIT = 4096  # UTF-16 code units of the text as shown (after entity parsing)
TELEGRAM_CAPTION_LIMIT = 1024
WECOM_MARKDOWN_LIMIT_BYTES = 4096

Style = Literal["bold", "italic", "underline", "strike", "code"]
LineKind = Literal["text", "heading", "bullet", "quote", "blank"]


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    styles: frozenset[Style] = frozenset()
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    kind: LineKind
    spans: tuple[Span, ...] = ()
    level: int = 0  # headings: 1 to 3


@dataclass(frozen=True, slots=True)
class Rendered:
    """One broadcast as each platform will show it."""

    telegram_html: str
    telegram_visible: int  # length Telegram counts (UTF-16 units of the text without tags)
    wecom_markdown: str
    plain: str

    @property
    def wecom_bytes(self) -> int:
        return len(self.wecom_markdown.encode("utf-8"))


_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*•]\s+(.*)$")
_QUOTE = re.compile(r"^>\s?(.*)$")
_URL = re.compile(r"^https?://[^\s<>\"']+$")
_TAG_STYLES: dict[str, Style] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "s": "strike",
    "code": "code",
}
_OPEN_TAG = re.compile(r"<(b|strong|i|em|u|s|code)>", re.IGNORECASE)
_OPEN_LINK = re.compile(r"""<a\s+href\s*=\s*(?:"([^"]*)"|'([^']*)')\s*>""", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ANY_TAG = re.compile(r"</?(?:b|strong|i|em|u|s|code|a)\b[^>]*>|<br\s*/?>", re.IGNORECASE)
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")
_ESCAPABLE = frozenset("*`[]()<>\\_#-")


def parse(source: str) -> list[Line]:
    """Return the lines of ``source`` with their inline styles; runs of blank lines become one."""
    uses_html = bool(_ANY_TAG.search(source))
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    if uses_html:
        text = _BREAK.sub("\n", text)
    lines: list[Line] = []
    for raw in text.split("\n"):
        line = raw.rstrip()
        if not line.strip():
            if lines and lines[-1].kind != "blank":
                lines.append(Line("blank"))
            continue
        if heading := _HEADING.match(line):
            lines.append(Line("heading", _inline(heading.group(2), uses_html), len(heading.group(1))))
        elif bullet := _BULLET.match(line):
            lines.append(Line("bullet", _inline(bullet.group(1), uses_html)))
        elif quote := _QUOTE.match(line):
            lines.append(Line("quote", _inline(quote.group(1), uses_html)))
        else:
            lines.append(Line("text", _inline(line, uses_html)))
    while lines and lines[-1].kind == "blank":
        lines.pop()
    return lines


def _inline(text: str, uses_html: bool) -> tuple[Span, ...]:
    spans: list[Span] = []
    _scan(text, frozenset(), None, uses_html, spans)
    merged: list[Span] = []
    for span in spans:
        if merged and merged[-1].styles == span.styles and merged[-1].href == span.href:
            merged[-1] = Span(merged[-1].text + span.text, span.styles, span.href)
        elif span.text:
            merged.append(span)
    return tuple(merged)


def _scan(text: str, styles: frozenset[Style], href: str | None, uses_html: bool, out: list[Span]) -> None:
    """Append the spans of ``text`` (already inside ``styles`` and ``href``) to ``out``."""
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            chunk = "".join(buffer)
            out.append(Span(html.unescape(chunk) if uses_html else chunk, styles, href))
            buffer.clear()

    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
            buffer.append(text[i + 1])
            i += 2
            continue
        if "code" not in styles:
            found = _styled_at(text, i, uses_html)
            if found is not None:
                inner, style, link, end = found
                flush()
                if style == "code":
                    out.append(Span(inner, styles | {"code"}, href))
                else:
                    _scan(
                        inner,
                        styles | {style} if style else styles,
                        link if link is not None else href,
                        uses_html,
                        out,
                    )
                i = end
                continue
        buffer.append(char)
        i += 1
    flush()


def _styled_at(text: str, i: int, uses_html: bool) -> tuple[str, Style | None, str | None, int] | None:
    """A styled run starting at ``i``: (inner text, style, link, index after it), or None."""
    if text.startswith("**", i):
        end = text.find("**", i + 2)
        if end > i + 2:
            return text[i + 2 : end], "bold", None, end + 2
        return None
    char = text[i]
    if char == "*":
        end = text.find("*", i + 1)
        # not 2*3*4: a star between ASCII letters or digits is arithmetic, not emphasis
        inside_word = (i > 0 and _ASCII_WORD.match(text[i - 1])) or (
            end + 1 < len(text) and _ASCII_WORD.match(text[end + 1])
        )
        if end > i + 1 and not text.startswith("**", end) and not text[i + 1].isspace() and not inside_word:
            return text[i + 1 : end], "italic", None, end + 1
        return None
    if char == "`":
        end = text.find("`", i + 1)
        if end > i + 1:
            return text[i + 1 : end], "code", None, end + 1
        return None
    if char == "[":
        close = text.find("](", i + 1)
        if close > i + 1:
            end = text.find(")", close + 2)
            url = text[close + 2 : end] if end > 0 else ""
            if _URL.match(url):
                return text[i + 1 : close], None, url, end + 1
        return None
    if char == "<" and uses_html:
        if tag := _OPEN_TAG.match(text, i):
            name = tag.group(1).lower()
            end = text.lower().find(f"</{name}>", tag.end())
            if end >= 0:
                return text[tag.end() : end], _TAG_STYLES[name], None, end + len(name) + 3
        elif link := _OPEN_LINK.match(text, i):
            url = html.unescape(link.group(1) if link.group(1) is not None else link.group(2))
            end = text.lower().find("</a>", link.end())
            if end >= 0 and _URL.match(url):
                return text[link.end() : end], None, url, end + 4
    return None


# --- rendering ------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _telegram_span(span: Span) -> str:
    out = html.escape(span.text, quote=False)
    for style, tag in (("code", "code"), ("strike", "s"), ("underline", "u"), ("italic", "i"), ("bold", "b")):
        if style in span.styles:
            out = f"<{tag}>{out}</{tag}>"
    if span.href:
        out = f'<a href="{html.escape(span.href, quote=True)}">{out}</a>'
    return out


def _wecom_span(span: Span) -> str:
    # Group-robot markdown knows bold, links and inline code; other styles show as text.
    out = f"`{span.text}`" if "code" in span.styles else span.text
    if "bold" in span.styles and out.strip():
        out = f"**{out}**"
    if span.href:
        out = f"[{out}]({span.href})"
    return out


def _plain_span(span: Span) -> str:
    if span.href and span.href != span.text:
        return f"{span.text} ({span.href})"
    return span.text


def _visible_span(span: Span) -> str:
    return span.text


def _lines(lines: list[Line], platform: Literal["telegram", "wecom", "plain", "visible"]) -> str:
    span_of = {
        "telegram": _telegram_span,
        "wecom": _wecom_span,
        "plain": _plain_span,
        "visible": _visible_span,
    }[platform]
    out: list[str] = []
    quote: list[str] = []

    def end_quote() -> None:
        if quote:
            body = "\n".join(quote)
            out.append(f"<blockquote>{body}</blockquote>" if platform == "telegram" else body)
            quote.clear()

    for line in lines:
        body = "".join(span_of(s) for s in line.spans)
        if line.kind == "quote":
            quote.append(body if platform in ("telegram", "visible") else f"> {body}")
            continue
        end_quote()
        if line.kind == "blank":
            out.append("")
        elif line.kind == "heading":
            if platform == "telegram":
                out.append(f"<b>{body}</b>")
            elif platform == "wecom":
                out.append(f"{'#' * line.level} {body}")
            else:
                out.append(body)
        elif line.kind == "bullet":
            out.append(f"• {body}")
        else:
            out.append(body)
    end_quote()
    return "\n".join(out)


def render(source: str) -> Rendered:
    """Return ``source`` as Telegram HTML, WeCom markdown and plain text."""
    lines = parse(source)
    return Rendered(
        telegram_html=_lines(lines, "telegram"),
        telegram_visible=utf16_len(_lines(lines, "visible")),
        wecom_markdown=_lines(lines, "wecom"),
        plain=_lines(lines, "plain"),
    )
