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


# Question words that make a message a question rather than an answer: not 呢 (还没有呢 is
# "not yet"), not 什么都没有 / 啥也没有 / 没什么 (none), not 不怎么.
_ZH_ASKS: Final = re.compile(
    r"(?<!没)(?:什么|啥)(?![都也])|哪些|哪个|哪种|哪类|哪里|(?<!不)怎么|怎样|如何|为什么|为何|是否|能否|可否"
    r"|几点|几时|多久|多长时间|谁"
    r"|吗[\s。.!！~～?？]*$"
)


def asks(text: str) -> bool:
    """Whether ``text`` asks something with a question word (什么, 怎么, 为什么, 吗…; what,
    how, why, does… at the start): never read as an answer to the question waiting. A bare
    question mark does not count (二级？ is an answer said with doubt)."""
    return bool(_ZH_ASKS.search(text) or _EN_ASKING.match(text))


# "What does this mean?" about the question being asked: what is left of the message once
# its fillers, "this" and particles are gone (这个是什么意思啊 → 是什么意思).
_ZH_FILLERS: Final = re.compile(
    r"请问|你好|您好|老师|那个|这道题|这一题|这个问题|这个|这题|这一项|这项|这里|这|那|该项|此项|此题|本题"
    r"|一下|到底|具体|呀|啊|呢|吗|嘛|哦|呃|嗯|额|的"
)
_ZH_MEANING: Final = frozenset(
    {"什么意思", "是什么意思", "啥意思", "是啥意思", "什么", "是什么", "啥", "是啥", "问什么", "问的是什么",
     "指什么", "是指什么", "不懂", "看不懂", "没看懂", "不明白", "不太明白", "不理解", "不太懂", "解释",
     "怎么填", "怎么回答", "怎么答", "怎么选", "怎么写", "如何填写", "如何回答", "填什么", "写什么",
     "为什么", "为啥", "为什么问", "为什么要问", "为啥问", "为啥要问", "问干嘛", "问干什么", "干嘛问",
     "有什么用", "有啥用", "什么用", "问有什么用", "干嘛用"}
)  # fmt: skip
_EN_MEANING: Final = re.compile(
    r"(?:what|wh?at'?s) ?(?:does|do|is|'s)? ?(?:this|that|it)? ?(?:question )?(?:mean|meaning|about|for)?"
    r"|what do you mean|meaning|i don'?t understand|don'?t understand|i do not understand|not clear|unclear"
    r"|(?:please |can you |could you )?explain(?: this| that| it| please)?|huh"
    r"|why(?: do| are| is| would)?(?: you)?(?: ask| asking| need| want)?(?: this| that| it| me| for this)?"
    r"(?: question)?|how (?:do|should) i answer(?: this| it)?|what should i (?:answer|put|type|write)"
)


def asks_meaning(text: str) -> bool:
    """Whether ``text`` only asks what the question waiting means, or why it is asked
    ("这是什么意思？", "什么意思", "为什么要问这个", "what does this mean?", "why?", "?"):
    answered with an explanation of that question, not looked up in the FAQ."""
    stripped = text.strip()
    if len(stripped) > 40:
        return False  # longer is a question of its own, or an answer
    if stripped and all(ch in "?？" for ch in stripped):
        return True
    zh = _ZH_FILLERS.sub("", re.sub(r"[\s\W_]+", "", stripped))
    if zh in _ZH_MEANING:
        return True
    en = " ".join(re.sub(r"[^a-z' ]+", " ", stripped.casefold().replace("’", "'")).split())
    return bool(en) and _EN_MEANING.fullmatch(en) is not None


def about(text: str, subject_zh: str, subject_en: str) -> str | None:
    """``text`` with "this" (这个, 这题, this, it…) replaced by the subject it stands for in a
    questionnaire — "这个包括哪些？" at the R&D question → "上年度研发费用包括哪些？" — or None
    when it points at nothing."""
    if _ZH_THIS.search(text):
        return _ZH_THIS.sub(subject_zh, text, count=1)
    if _EN_THIS.search(text):
        return _EN_THIS.sub(subject_en, text, count=1)
    return None
