"""A broadcast as Telegram and WeCom will show it, for the compose page.

The text goes through the same code as a real broadcast: :func:`bot.broadcast.markup.render`
(fixed when the broadcast is created) and each platform's own layout of the messages a
target gets (the ``parts`` of its :class:`~bot.broadcast.sending.Platform`, which the
store holds: the image with the text as its caption or the image then the text on
Telegram, the markdown then the image on WeCom). Each part is
then shown in HTML the way that platform draws it, from an allowlist: Telegram's HTML
subset, WeCom's markdown subset; everything else is escaped.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from markupsafe import Markup

from bot.broadcast.content import ROBOT, TELEGRAM, Content, Part
from bot.broadcast.desk import check_text
from bot.broadcast.markup import Rendered
from bot.broadcast.outbox import Outbox

__all__ = ["Preview", "PreviewPart", "preview", "telegram_html", "wecom_html"]

_TELEGRAM_TAGS = {
    "b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "ins": "u", "s": "s", "strike": "s",
    "del": "s", "code": "code", "pre": "pre", "blockquote": "blockquote", "a": "a",
}  # fmt: skip
_SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)


class _TelegramHtml(HTMLParser):
    """Telegram's HTML subset, rebuilt from an allowlist (the input is our own renderer's)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = _TELEGRAM_TAGS.get(tag)
        if name is None:
            return
        if name == "a":
            href = dict(attrs).get("href") or ""
            if not _SAFE_URL.match(href):
                self.open.append("")
                return
            self.out.append(
                f'<a href="{html.escape(href, quote=True)}" rel="noopener noreferrer" target="_blank">'
            )
        else:
            self.out.append(f"<{name}>")
        self.open.append(name)

    def handle_endtag(self, tag: str) -> None:
        if _TELEGRAM_TAGS.get(tag) is None or not self.open:
            return
        name = self.open.pop()
        if name:
            self.out.append(f"</{name}>")

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False).replace("\n", "<br>"))

    def result(self) -> str:
        while self.open:
            name = self.open.pop()
            if name:
                self.out.append(f"</{name}>")
        return "".join(self.out)


def telegram_html(text: str) -> Markup:
    """Telegram HTML (parse_mode HTML) as a browser should draw it."""
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    return Markup(parser.result())


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+)\)")


def _wecom_inline(escaped: str) -> str:
    out = _CODE.sub(r"<code>\1</code>", escaped)
    out = _BOLD.sub(r"<b>\1</b>", out)
    return _LINK.sub(r'<a href="\2" rel="noopener noreferrer" target="_blank">\1</a>', out)


def wecom_html(markdown: str) -> Markup:
    """WeCom group-robot markdown as the WeCom client draws it: headings, quotes, bold,
    inline code and links; the rest is text."""
    lines = []
    for raw in markdown.split("\n"):
        line = html.escape(raw, quote=True)
        if heading := re.match(r"^(#{1,6}) (.*)$", line):
            level = len(heading.group(1))
            lines.append(f'<div class="wc-h wc-h{min(level, 3)}">{_wecom_inline(heading.group(2))}</div>')
        elif quote := re.match(r"^&gt; ?(.*)$", line):
            lines.append(f'<div class="wc-quote">{_wecom_inline(quote.group(1))}</div>')
        elif not line.strip():
            lines.append('<div class="wc-blank"></div>')
        else:
            lines.append(f"<div>{_wecom_inline(line)}</div>")
    return Markup("".join(lines))


@dataclass(frozen=True, slots=True)
class PreviewPart:
    kind: str  # text | photo | markdown | image
    body: Markup  # the text as drawn ("" for an image without caption)
    image: str | None  # a data: URL of the image, if the part carries one


@dataclass(frozen=True, slots=True)
class Preview:
    telegram: list[PreviewPart]
    wecom: list[PreviewPart]
    problem: tuple[str, dict[str, object]] | None  # why it cannot be sent (catalog key, values)
    rendered: Rendered


def _data_url(image: bytes | None) -> str | None:
    if image is None:
        return None
    kind = "png" if image.startswith(b"\x89PNG") else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(image).decode('ascii')}"


def _parts(parts: list[Part], draw: object) -> list[PreviewPart]:
    shown = []
    for part in parts:
        body = draw(part.text) if part.text else Markup("")  # type: ignore[operator]
        shown.append(PreviewPart(part.kind, body, _data_url(part.image)))
    return shown


def preview(source: str, image: bytes | None, outbox: Outbox) -> Preview:
    """What each platform's target gets for ``source`` (and ``image``), in order, laid out
    by the platforms ``outbox`` sends to."""
    rendered, problem = check_text(source)
    content = Content(
        0, rendered.telegram_html, rendered.telegram_visible, rendered.wecom_markdown, rendered.plain, image
    )
    return Preview(
        _parts(outbox.parts(TELEGRAM, content), telegram_html),
        _parts(outbox.parts(ROBOT, content), wecom_html),
        (problem.key, dict(problem.values)) if problem is not None else None,
        rendered,
    )
