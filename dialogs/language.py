"""Which language a typed message is written in, when it plainly is one."""

from __future__ import annotations

import re
from typing import Final

_HAN: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Characters that write numbers and units: 五六千万 or 300万 says nothing about the language.
_NUMERAL_HAN: Final = frozenset(
    "零〇一二两三四五六七八九十百千万亿元年月个多余左右约半壹贰叁肆伍陆柒捌玖拾佰仟萬億"
)
_WORD: Final = re.compile(r"[a-z]{2,}")
_MARKUP: Final = re.compile(r"[<>{}=\\|_#@*^`]")  # code or markup is not English prose
# Words that go with figures in either language: "300万 RMB", "5 million", "ISO 9001".
_FIGURE_WORDS: Final = frozenset(
    {"rmb", "cny", "yuan", "million", "millions", "billion", "thousand", "percent", "pct", "year",
     "years", "yrs", "month", "months", "mn", "bn", "iso", "ok", "no", "yes"}
)  # fmt: skip


def message_lang(text: str) -> str | None:
    """ "zh" for a message with two or more Chinese characters that are not numerals or
    units, "en" for one with two or more English words (one of three letters or more) and
    no Chinese, else None (a number, one word, a command, markup)."""
    if text.lstrip().startswith("/"):
        return None
    han = _HAN.findall(text)
    if sum(1 for ch in han if ch not in _NUMERAL_HAN) >= 2:
        return "zh"
    if han:
        return None
    if _MARKUP.search(text):
        return None
    words = [w for w in _WORD.findall(text.casefold()) if w not in _FIGURE_WORDS]
    return "en" if len(words) >= 2 and any(len(w) >= 3 for w in words) else None
