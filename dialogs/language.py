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


_QUESTION_MARK: Final = re.compile(r"[?？]")
_ZH_ASKING: Final = re.compile(
    r"什么|哪些|哪个|哪种|哪类|哪里|怎么|怎样|如何|为什么|为何|是否|能否|可否|多少|啥|吗[\s。.!！~～]*$|呢[\s。.!！~～]*$"
)
_EN_ASKING: Final = re.compile(
    r"^\s*(what|which|how|why|when|where|who|whom|does|do|did|is|are|can|could|should|would|will|may)\b",
    re.IGNORECASE,
)
_ZH_THIS: Final = re.compile(r"这道题|这一题|这题|这一项|这项|这个|该项|此项|这里|这")
_EN_THIS: Final = re.compile(r"\b(this question|this item|this|that|it)\b", re.IGNORECASE)


def is_question(text: str) -> bool:
    """Whether ``text`` is plainly a question: a question mark, a question word (什么, 哪些,
    怎么, 吗…; what, how, does… at the start)."""
    return bool(_QUESTION_MARK.search(text) or _ZH_ASKING.search(text) or _EN_ASKING.match(text))


def about(text: str, subject_zh: str, subject_en: str) -> str | None:
    """``text`` with "this" (这个, 这题, this, it…) replaced by the subject it stands for in a
    questionnaire — "这个包括哪些？" at the R&D question → "上年度研发费用包括哪些？" — or None
    when it points at nothing."""
    if _ZH_THIS.search(text):
        return _ZH_THIS.sub(subject_zh, text, count=1)
    if _EN_THIS.search(text):
        return _EN_THIS.sub(subject_en, text, count=1)
    return None
