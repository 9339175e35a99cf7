"""Reading answers as people type them: amounts, percentages, years, choices.

Pure functions, no I/O. A reading that fails raises :class:`AnswerError` with a machine
code (``money.invalid``, ``percent.range``, …) and details; the dialog layer words it from
the message catalogs, so nothing here is a sentence meant for a person.

Every parser accepts full-width forms, traditional characters (營業收入五千萬, 2018年開始),
Chinese numerals (including 壹贰叁…), thousands separators and the approximation words people
add (约, 左右, about, …). Bounds that say "less than" (不到, 以下, under, …) and ranges
(300-500万) are refused rather than guessed:
reading "不到100万" as 100万 could pass a threshold the enterprise does not meet.
Callers check :func:`is_skip` before calling a parser; a parser reads "不清楚" as invalid.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import (
    ROUND_DOWN,
    Context,
    Decimal,
    DecimalException,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from functools import cache, lru_cache
from typing import Final, Generic, Literal, TypeVar

import opencc

__all__ = [
    "ALL_WORDS",
    "MAX_ANSWER_CHARS",
    "MAX_MONEY",
    "MAX_YEARS",
    "NONE_WORDS",
    "NO_WORDS",
    "SINCE_YEAR",
    "SKIP_WORDS",
    "YES_WORDS",
    "AnswerError",
    "ChoiceValue",
    "Figure",
    "FigureKind",
    "MoneyReading",
    "Option",
    "format_decimal",
    "is_skip",
    "likelier_reading",
    "menu_number",
    "normalize",
    "parse_choice",
    "parse_choices",
    "parse_money",
    "parse_money_reading",
    "parse_percent",
    "parse_years",
    "read_money",
    "read_percent",
    "read_years",
    "simplified",
    "strict_yes_no",
    "yes_no_options",
]

MAX_ANSWER_CHARS: Final = 500
"""Longest answer read; longer input raises ``too_long`` (a paste, not an answer)."""

MAX_MONEY: Final = Decimal(10) ** 15
"""Largest amount in yuan (1,000 万亿): far beyond any enterprise, so larger is a typo."""

MAX_YEARS: Final = Decimal(200)
"""Longest span in years accepted by :func:`parse_years`."""

# Input this long is refused before it is even normalised, to bound the work done on it.
_HARD_LIMIT: Final = MAX_ANSWER_CHARS * 20
# Caps on one written number keep every Decimal operation exact and cheap.
_MAX_INT_DIGITS: Final = 20
_MAX_FRACTION_DIGITS: Final = 10
_EXACT: Final = Context(
    prec=100, Emax=10_000, Emin=-10_000, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact]
)

MoneyReading = Literal["yi", "wan", "yuan", "bare_wan", "en"]
"""How an amount was written: with 亿, with 万, in yuan (元/¥/RMB with no magnitude), as a
bare number read as 万元 (docs/rules.md#units-and-conventions), or with an English
multiplier (5m, 800k, 1.2 billion)."""

ChoiceValue = str | int | bool
V = TypeVar("V", bound=ChoiceValue)


class AnswerError(ValueError):
    """An answer that could not be read.

    ``code`` is a message key such as ``money.invalid``; ``details`` hold what the message
    needs (``low``/``high`` for ``percent.range``, ``candidates`` for ``choice.ambiguous``,
    ``reason`` = ``"range"`` or ``"upper_bound"`` when a range or a "less than" was given).
    """

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details: dict[str, object] = details


# ---------------------------------------------------------------------------------------
# Normalisation


_INVISIBLE: Final = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\ufe0e\ufe0f\u20e3",
    ),
    None,
)


def normalize(text: str) -> str:
    """Return `text` in NFKC (full-width → ASCII), without zero-width characters, with
    runs of whitespace collapsed to one space and no space at either end."""
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return " ".join(folded.split())


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """`text` in simplified characters (創新型中小企業 → 创新型中小企业, 營業收入五千萬 →
    营业收入五千万), as the labels, words and numerals the parsers know are written."""
    return _converted(text) if text and not text.isascii() else text


@lru_cache(maxsize=4096)  # answers are short and repeat (是, 没有, 天河): looked up, not converted
def _converted(text: str) -> str:
    converted: str = _t2s().convert(text)
    return converted


def _prepare(text: str) -> str:
    """Normalise an answer (simplified characters too); raise ``too_long``, ``empty``
    (nothing but spaces) or ``no_words`` (only punctuation or emoji)."""
    if len(text) > _HARD_LIMIT:
        raise AnswerError("too_long", max=MAX_ANSWER_CHARS)
    prepared = simplified(normalize(text))
    if len(prepared) > MAX_ANSWER_CHARS:
        raise AnswerError("too_long", max=MAX_ANSWER_CHARS)
    if not any(ch.isalnum() for ch in prepared):
        if not prepared.strip():
            raise AnswerError("empty")
        # "😀😀😀" or "？！" is not empty: it holds nothing an answer is read from
        raise AnswerError("no_words")
    return prepared


def _loose(text: str) -> str:
    """Letters and digits only, case-folded: the key skip words are compared on."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


_NON_WORD: Final = re.compile(r"[\W_]+")
_SPACE_BY_CJK: Final = re.compile(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])")


def _key(text: str) -> str:
    """The form labels and answers are compared in: case-folded, punctuation and emoji
    gone, words split by one space, no spaces around Chinese characters."""
    words = _NON_WORD.sub(" ", normalize(text).casefold()).strip()
    return _SPACE_BY_CJK.sub("", words)


def _is_ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


_MENU_NUMBER: Final = re.compile(r"[0-9]{1,4}")


def menu_number(text: str) -> int | None:
    """The number of a line or button, typed as one to four ASCII digits; None for anything
    else. Never raises: unlike ``str.isdigit`` and ``int``, it refuses ², ⑴, ፩, 𐩀 and a
    paste of thousands of digits."""
    stripped = text.strip()
    return int(stripped) if _MENU_NUMBER.fullmatch(stripped) else None


# ---------------------------------------------------------------------------------------
# Skip words


# fmt: off
SKIP_WORDS: Final[tuple[str, ...]] = (
    "不清楚", "不太清楚", "不知道", "不晓得", "不了解", "不太了解", "不确定", "不太确定", "说不清",
    "说不准", "不好说", "不记得", "记不清", "忘了", "跳过", "略过", "跳过这题", "这题跳过", "跳过此题",
    "不答", "不回答", "不想回答", "不想说", "暂无数据", "没有数据", "没数据", "无数据", "数据不详",
    "不方便透露", "不便透露", "不方便说", "不方便", "保密", "不详", "未知", "待定", "skip", "/skip",
    "pass", "don't know", "dont know", "do not know", "i don't know", "not sure", "unsure", "unknown",
    "no idea", "idk", "n/a", "prefer not to say", "rather not say", "confidential",
)
# fmt: on
"""Answers meaning "I don't know / won't say": the question stays unanswered."""

_SKIP_KEYS: Final = frozenset(_loose(word) for word in SKIP_WORDS)
# fmt: off
_SKIP_PREFIXES: Final = tuple(
    _loose(word)
    for word in (
        "抱歉", "不好意思", "sorry", "这个问题", "这个数据", "这个数字", "这个", "这题", "具体数字",
        "具体数据", "具体", "数据", "嗯", "额", "呃", "唉", "哎", "我们也", "我们", "我也", "我",
        "目前", "暂时", "现在", "还", "真的", "实在", "确实", "先", "i'm", "i am", "i", "honestly",
        "really",
    )
)
_SKIP_SUFFIXES: Final = tuple(
    _loose(word)
    for word in (
        "具体数字", "具体数据", "具体", "这个数据", "这个", "这题", "哈哈", "呵呵", "啊", "呢", "吧",
        "哦", "呀", "哈", "啦", "了", "耶", "嘛", "诶", "抱歉", "sorry", "lol", "yet", "really",
    )
)
# fmt: on


def is_skip(text: str) -> bool:
    """Return whether `text` says "don't know / skip" (不清楚, 跳过, n/a, /skip, …), with
    politeness around it (抱歉，我不太清楚呢😅) tolerated. Never raises."""
    if len(text) > _HARD_LIMIT:
        return False
    folded = simplified(normalize(text)).casefold().replace("’", "'")
    if folded.startswith("/"):
        folded = folded.split("@", 1)[0]  # a command addressed to a bot: /skip@name
    key = _loose(folded)
    if not key or len(key) > 40:
        return False
    for _ in range(8):
        if key in _SKIP_KEYS:
            return True
        shorter = _strip_one(key, _SKIP_PREFIXES, _SKIP_SUFFIXES)
        if shorter == key or not shorter:
            return False
        key = shorter
    return key in _SKIP_KEYS


def _strip_one(key: str, prefixes: Sequence[str], suffixes: Sequence[str]) -> str:
    for prefix in prefixes:
        if key.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix) :]
    for suffix in suffixes:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


# ---------------------------------------------------------------------------------------
# Words around a number


@dataclass(frozen=True)
class _Affixes:
    """Words that may come before or after a number, each with what it tells (a tag)."""

    prefixes: tuple[tuple[str, str], ...]
    suffixes: tuple[tuple[str, str], ...]


def _affixes(prefixes: Mapping[str, Iterable[str]], suffixes: Mapping[str, Iterable[str]]) -> _Affixes:
    def ordered(table: Mapping[str, Iterable[str]]) -> tuple[tuple[str, str], ...]:
        pairs = {(word, tag) for tag, words in table.items() for word in words}
        return tuple(sorted(pairs, key=lambda pair: (-len(pair[0]), pair)))

    return _Affixes(ordered(prefixes), ordered(suffixes))


def _strip_affixes(text: str, table: _Affixes) -> tuple[str, list[str]]:
    """Peel known words off both ends of `text`, longest first, until none is left there.
    Return what remains and the tags of the words peeled, in order."""
    core = text.strip()
    tags: list[str] = []
    changed = True
    while changed and core:
        changed = False
        for word, tag in table.prefixes:
            end = len(word)
            if core.startswith(word) and not (
                _is_ascii_letter(word[-1]) and end < len(core) and _is_ascii_letter(core[end])
            ):
                core = core[end:].strip()
                tags.append(tag)
                changed = True
                break
        for word, tag in table.suffixes:
            start = len(core) - len(word)
            if core.endswith(word) and not (
                _is_ascii_letter(word[0]) and start > 0 and _is_ascii_letter(core[start - 1])
            ):
                core = core[:start].strip()
                tags.append(tag)
                changed = True
                break
    return core, tags


# fmt: off
_APPROX_BEFORE: Final = (
    "大约", "大概", "大致", "约为", "约莫", "约合", "约", "差不多", "将近", "接近", "近", "估计",
    "about", "around", "approximately", "approx.", "approx", "roughly", "circa", "ca.", "almost",
    "nearly", "~", "≈",
)
_AT_LEAST_BEFORE: Final = (
    "超过", "超", "逾", "至少", "不少于", "不低于", "高于", "多于", "大于", "over", "more than", "above",
    "at least",
)
_APPROX_AFTER: Final = (
    "左右", "上下", "吧", "啊", "呢", "哦", "了", "的样子", "这样", "or so",
)
_AT_LEAST_AFTER: Final = (
    "以上", "或以上", "及以上", "多", "余", "出头", "之多", "不止", "or more", "+", "plus",
)
_UPPER_BEFORE: Final = (
    "不到", "不足", "低于", "少于", "小于", "未满", "不超过", "最多", "至多", "less than", "under",
    "below", "up to", "at most", "within",
)
_UPPER_AFTER: Final = ("以下", "或以下", "及以下", "以内", "之内", "不到", "or less", "or below")
_FILLER_BEFORE: Final = (
    "是", "有", "为", "共", "总共", "一共", "合计", "总计", "全年", "去年", "我们", "我司", "本公司", "公司",
    "企业", "目前", "暂时", "还", "is", "was", "we had", "we have", "it is", "it was",
)
# What the question was about, repeated in the answer: 营收大概3000万, 没有融资.
_MONEY_SUBJECTS: Final = (
    "营收", "营业收入", "收入", "销售额", "研发费用", "研发投入", "研发", "融资", "股权融资", "注册资本",
    "纳税", "税收", "交税", "年营收", "年收入", "投资", "revenue", "sales", "turnover", "financing",
    "funding", "equity financing", "investment", "r&d", "r&d spending", "tax", "taxes",
)
# "None of it": 没有融资, 无研发投入, no financing (with nothing else, reads 0).
_NONE_BEFORE: Final = (
    "没有", "没", "无", "暂无", "还没有", "尚无", "并无", "从未有过", "一直没有", "no", "zero",
)

_MONEY_AFFIXES: Final = _affixes(
    {
        "currency": ("¥", "rmb", "cny", "人民币"),
        "approx": _APPROX_BEFORE,
        "at_least": _AT_LEAST_BEFORE,
        "upper": _UPPER_BEFORE,
        "filler": (*_FILLER_BEFORE, *_MONEY_SUBJECTS),
        "none": _NONE_BEFORE,
        "neg": (
            "-", "−", "–", "负", "净亏损", "净亏", "亏损了", "亏损", "亏了", "亏", "minus", "negative",
            "a loss of", "net loss of", "net loss", "loss of", "loss", "deficit of", "deficit",
        ),
        "pos": (
            "+", "正", "净利润", "净利", "净赚", "盈利了", "盈利", "利润", "赚了", "赚",
            "net profit of", "net profit", "profit of", "profit", "gain of",
        ),
    },
    {
        "currency": ("元", "圆", "块钱", "块", "rmb", "cny", "yuan", "人民币"),
        "approx": _APPROX_AFTER,
        "at_least": _AT_LEAST_AFTER,
        "upper": _UPPER_AFTER,
        "filler": ("整", *_MONEY_SUBJECTS),
        "none": ("没有", "都没有", "为零", "为0", "是零", "是0"),
        "neg": ("亏损", "的亏损", "loss", "deficit"),
        "pos": ("盈利", "利润", "profit"),
    },
)

_PERCENT_AFFIXES: Final = _affixes(
    {
        "pct": ("百分之",),
        "approx": _APPROX_BEFORE,
        "at_least": _AT_LEAST_BEFORE,
        "upper": _UPPER_BEFORE,
        "filler": (
            *_FILLER_BEFORE,
            "同比", "年均", "平均", "每年", "占比", "占", "比例", "比例是", "average", "avg",
            "on average", "yearly", "annual",
        ),
        "neg": (
            "-", "−", "–", "负", "负增长", "减少了", "减少", "下降了", "下降", "下滑了", "下滑",
            "降低了", "降低", "降了", "降", "减", "跌了", "跌", "minus", "negative", "down",
            "decrease of", "decreased", "decrease", "decline of", "declined", "decline", "fell",
            "dropped", "drop of", "drop",
        ),
        "pos": (
            "+", "正", "增长了", "增长", "增加了", "增加", "上升了", "上升", "提高了", "提高",
            "提升了", "提升", "增", "涨了", "涨", "up", "increase of", "increased", "increase",
            "growth of", "growth", "grew", "rose", "rise of", "rise",
        ),
    },
    {
        "pct": ("%", "个百分点", "百分点", "个点", "percent", "per cent", "pct"),
        "permille": ("‰",),
        "tenth": ("成",),
        "approx": _APPROX_AFTER,
        "at_least": _AT_LEAST_AFTER,
        "upper": _UPPER_AFTER,
        "neg": ("的下降", "下降", "的负增长", "负增长", "decrease", "decline"),
        "pos": ("的增长", "增长", "increase", "growth"),
    },
)

_YEARS_AFFIXES: Final = _affixes(
    {
        "approx": (*_APPROX_BEFORE, "已经", "已", "做了", "干了", "从业", "深耕"),
        "at_least": _AT_LEAST_BEFORE,
        "upper": _UPPER_BEFORE,
        "filler": (*_FILLER_BEFORE, "才", "刚", "刚刚", "就", "只有", "只"),
        "since": (
            "从", "自从", "自", "始于", "成立于", "创立于", "于", "since", "from", "in", "started in",
            "starting in", "started", "began in", "began", "we started in", "we started", "beginning in",
        ),
    },
    {
        "year": ("年", "个年头", "年头", "周年", "years", "year", "yrs", "yr", "y"),
        "month": ("个月", "months", "month", "mos", "mo"),
        "half": ("年半", "and a half", "and half"),
        "approx": (*_APPROX_AFTER, "之久", "时间", "的时间"),
        "at_least": _AT_LEAST_AFTER,
        "upper": _UPPER_AFTER,
        "ago": ("前", "以前", "之前", "ago"),
        "since": (
            "起", "开始", "以来", "至今", "到现在", "到今天", "到今", "成立", "创立", "进入", "入行",
            "起步", "onwards", "onward", "until now", "till now", "to now", "to date",
        ),
        # 2019年开始做的, 去年才开始: the words around "since" people add
        "filler": ("做的", "干的", "做起", "的", "才", "就", "做", "干", "刚", "刚刚"),
    },
)

# fmt: on
_RANGE: Final = re.compile(
    r"[0-9零一二两三四五六七八九十百千万亿%]\s*(?:-|~|到|至|—|–|或)\s*[0-9零一二两三四五六七八九十]"
    r"|[0-9]\s+to\s+[0-9]"
)


_EN_SMALL: Final = {
    word: index
    for index, word in enumerate(
        (
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
            "nineteen",
        )
    )
}  # fmt: skip
_EN_TENS: Final = {
    word: 10 * index
    for index, word in enumerate(
        ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"), start=2
    )
}  # fmt: skip
_EN_NUMBER: Final = re.compile(
    r"(?<![a-z])(?:(?P<tens>"
    + "|".join(_EN_TENS)
    + r")(?:[ -](?P<unit>"
    + "|".join(list(_EN_SMALL)[1:10])
    + r"))?|(?P<small>"
    + "|".join(sorted(_EN_SMALL, key=len, reverse=True))
    + r"))(?![a-z])"
)
_EN_ARTICLE: Final = re.compile(
    r"(?<![a-z])(?<!half )an?(?= (?:year|month|million|billion|thousand)s?(?![a-z]))"
)


def _english_numbers(text: str) -> str:
    """Write English number words (one … ninety-nine, "a year", "a million") as digits."""

    def digits(match: re.Match[str]) -> str:
        if match["small"] is not None:
            return str(_EN_SMALL[match["small"]])
        unit = _EN_SMALL[match["unit"]] if match["unit"] is not None else 0
        return str(_EN_TENS[match["tens"]] + unit)

    return _EN_ARTICLE.sub("1", _EN_NUMBER.sub(digits, text))


# ---------------------------------------------------------------------------------------
# Numerals: Arabic and Chinese, mixed, with 十百千万亿 and 点


class _NumeralError(Exception):
    def __init__(self, reason: Literal["invalid", "too_large"]) -> None:
        super().__init__(reason)
        self.reason = reason


# Financial and traditional forms (壹贰叁, 萬億) read as the everyday ones.
_TRADITIONAL: Final = str.maketrans(
    "壹弌贰貳弍叁參弎肆伍陆陸柒捌玖拾佰仟萬億兩〇○點", "一一二二二三三三四五六六七八九十百千万亿两零零点"
)
_CN_DIGITS: Final = dict(zip("零一二三四五六七八九", range(10), strict=True)) | {"两": 2}
_SMALL_UNITS: Final = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS: Final = {"万": 10**4, "w": 10**4, "亿": 10**8}
_WAN: Final = 10**4
_YI: Final = 10**8
_ARABIC: Final = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+"
_TOKEN: Final = re.compile(
    rf"(?P<arabic>{_ARABIC})|(?P<cn>[零一二两三四五六七八九]+)|(?P<small>[十百千])|(?P<big>[万亿w])"
    r"|(?P<point>点)|(?P<space> +)"
)
_PLAIN_DIGITS: Final = re.compile(r"[0-9]+")


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise _NumeralError("invalid")
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group()))
        position = match.end()
    return tokens


def _arabic_value(text: str) -> Decimal:
    plain = text.replace(",", "")
    whole, _, fraction = plain.partition(".")
    if len(whole.lstrip("0")) > _MAX_INT_DIGITS:
        raise _NumeralError("too_large")
    if len(fraction) > _MAX_FRACTION_DIGITS:
        raise _NumeralError("invalid")
    return Decimal(plain)


def _cn_digits(text: str) -> str:
    return "".join(str(_CN_DIGITS[ch]) for ch in text)


def _read_numeral(text: str, *, big_units: bool) -> tuple[Decimal, Literal["yi", "wan"] | None]:
    """Read a number written in Arabic or Chinese numerals or a mix (1亿2000万, 3.5千万,
    一千二百, 十二点五, 二零一五). Return its exact value and the largest of 亿/万 used.

    A lone digit right after a unit of 百 or more continues it, as people say it: 三千五 is
    3500, 两万五 25,000, 一亿二 1.2亿. After 亿, a remainder with neither 万 nor 零
    (1亿2000) is refused as ambiguous.
    """
    tokens = _tokenize(text.translate(_TRADITIONAL))
    if not tokens:
        raise _NumeralError("invalid")
    try:
        with localcontext(_EXACT):
            return _evaluate(tokens, big_units=big_units)
    except DecimalException as error:
        raise _NumeralError("invalid") from error


def _evaluate(
    tokens: list[tuple[str, str]], *, big_units: bool
) -> tuple[Decimal, Literal["yi", "wan"] | None]:
    total = Decimal(0)  # everything up to and including 亿
    wan = Decimal(0)  # the 万 part under the current 亿
    section = Decimal(0)  # the part below 万
    number: Decimal | None = None  # a number not yet multiplied by a unit
    number_has_point = False
    carry = 1  # what a lone digit after a unit is worth (三千五: 5 × 100)
    smallest: int | None = None  # 十/百/千 must decrease within a section
    previous: str | None = None
    previous_unit = 0
    group_used = False  # a number or 十/百/千 since the last 万/亿
    seen_wan = seen_yi = False
    marked_after_yi = False  # a 万 or a 零 after 亿 makes the remainder unambiguous
    largest: Literal["yi", "wan"] | None = None
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        if kind in ("arabic", "cn"):
            if number is not None:
                raise _NumeralError("invalid")
            if kind == "cn" and not text.strip("零") and previous is not None:
                marked_after_yi = marked_after_yi or seen_yi  # 一千零五, 1亿零500万: a gap
                previous = "zero"
                index += 1
                continue
            if kind == "arabic":
                number = _arabic_value(text)
            else:
                digits = _cn_digits(text)
                if len(digits.lstrip("0")) > _MAX_INT_DIGITS:
                    raise _NumeralError("too_large")
                number = Decimal(digits)
                marked_after_yi = marked_after_yi or (seen_yi and text.startswith("零"))
            lone_digit = len(text) == 1 and previous in ("small", "big") and previous_unit >= 100
            carry = previous_unit // 10 if lone_digit else 1
            number_has_point = kind == "arabic" and "." in text
            group_used = True
            previous = "number"
        elif kind == "point":
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if number_has_point or following is None:
                raise _NumeralError("invalid")
            following_kind, following_text = following
            if following_kind == "arabic" and _PLAIN_DIGITS.fullmatch(following_text):
                fraction = following_text
            elif following_kind == "cn":
                fraction = _cn_digits(following_text)
            else:
                raise _NumeralError("invalid")
            if len(fraction) > _MAX_FRACTION_DIGITS:
                raise _NumeralError("invalid")
            number = (number if number is not None else Decimal(0)) + Decimal("0." + fraction)
            number_has_point, carry, group_used = True, 1, True
            previous = "number"
            index += 2
            continue
        elif kind == "small":
            unit = _SMALL_UNITS[text]
            if smallest is not None and unit >= smallest:
                raise _NumeralError("invalid")
            if number is None:
                if previous not in (None, "big", "zero"):
                    raise _NumeralError("invalid")
                count = Decimal(1)  # 十二, 百万, 千万
            else:
                count = number
            section += count * unit
            number, number_has_point, carry = None, False, 1
            smallest, previous_unit, group_used = unit, unit, True
            previous = "small"
        else:  # big: 万, w or 亿
            if not big_units:
                raise _NumeralError("invalid")
            unit = _BIG_UNITS[text]
            part = section + (number * carry if number is not None else 0)
            if unit == _WAN:
                if seen_wan or not group_used:
                    raise _NumeralError("invalid")
                wan = part * unit
                seen_wan = True
                marked_after_yi = marked_after_yi or seen_yi
                largest = largest or "wan"
            else:
                if seen_yi or not (group_used or seen_wan):
                    raise _NumeralError("invalid")
                total = (wan + part) * unit
                wan = Decimal(0)
                seen_wan, seen_yi, largest = False, True, "yi"
            section = Decimal(0)
            number, number_has_point, carry = None, False, 1
            smallest, previous_unit, group_used = None, unit, False
            previous = "big"
        index += 1
    rest = section + (number * carry if number is not None else 0)
    continues_yi = carry == _YI // 10 and section == 0
    if seen_yi and rest != 0 and not marked_after_yi and not continues_yi:
        raise _NumeralError("invalid")
    return total + wan + rest, largest


def _canonical(value: Decimal) -> Decimal:
    """The same value without trailing zeros or exponent: 1.5E+8 → 150000000, 2.50 → 2.5."""
    with localcontext(_EXACT):
        if value.is_zero():
            return Decimal(0)
        if value == value.to_integral_value():
            return value.quantize(Decimal(1))
        return value.normalize()


def format_decimal(value: Decimal) -> str:
    """Return the shortest plain form of `value`, without exponent: "1.2", "300", "0.5".

    Raises ValueError for NaN and infinity."""
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    if value.is_zero():
        return "0"
    digits = len(value.as_tuple().digits)
    return format(value.normalize(Context(prec=max(digits, 1))), "f")


# ---------------------------------------------------------------------------------------
# Figures: one value, a range or a bound


FigureKind = Literal["exact", "range", "at_least", "below"]
_Bound = Literal["exact", "at_least", "below"]


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure as a person gave it: one value (``exact``), a range (五六千万, 3-5年:
    ``range``), a lower bound (一千多万, 50%以上: ``at_least``) or an upper bound (不到两千万:
    ``below``).

    `low` and `high` are its ends, exact Decimals in the field's unit, None where it is
    open; `reading` says how it was written: a :data:`MoneyReading`, ``"percent"`` or
    ``"years"``."""

    kind: FigureKind
    low: Decimal | None
    high: Decimal | None
    reading: str

    @property
    def value(self) -> Decimal | None:
        """The one value of an ``exact`` figure; None for any other."""
        return self.low if self.kind == "exact" else None


def likelier_reading(value: Decimal, reading: str, unit: str) -> Decimal | None:
    """The likelier reading of an implausible figure, or None: the amount in yuan where a
    bare number was read as 万元 (or 万 typed after yuan, 亿 for 万); the percentage where
    a fraction was typed (0.92 → 92). `reading` is a :class:`Figure`'s, `unit` the
    field's (``yuan``, ``pct``, ``years``)."""
    with localcontext(_EXACT):
        if unit == "yuan" and reading in ("bare_wan", "wan", "yi"):
            return Decimal(format_decimal(value / _WAN))
        if unit == "pct" and 0 < value < 1:
            return Decimal(format_decimal(value * 100))
    return None


def _figure(value: Decimal, bound: _Bound, reading: str) -> Figure:
    if bound == "at_least":
        return Figure("at_least", value, None, reading)
    if bound == "below":
        return Figure("below", None, value, reading)
    return Figure("exact", value, value, reading)


def _range_figure(a: Decimal, b: Decimal, reading: str) -> Figure:
    low, high = min(a, b), max(a, b)
    return Figure("exact" if low == high else "range", low, high, reading)


def _bound_of(tags: list[str], more_inside: bool, *, negative: bool = False) -> _Bound:
    """at_least for 300多万, 超过, 以上; below for 不到, 以下; swapped for a loss (亏损超过
    100万 is at most -100万). Both at once is no figure."""
    at_least = more_inside or "at_least" in tags
    below = "upper" in tags
    if at_least and below:
        raise AnswerError("invalid")
    if negative:
        at_least, below = below, at_least
    return "at_least" if at_least else "below" if below else "exact"


# Two neighbouring Chinese digits before a unit are a range: 五六千万, 一两亿, 十一二万, 三五年.
_CN_PAIR: Final = re.compile(
    r"(?<![零一二两三四五六七八九0-9点.])([一二两三四五六七八九])([一二两三四五六七八九])(?![零一二两三四五六七八九0-9])"
)
_RANGE_SIDES: Final = re.compile(
    r"(?P<left>.*?[0-9零一二两三四五六七八九十百千万亿%a-z])\s*(?:-|~|～|〜|到|至|—|–|或)\s*"
    r"(?P<right>[+\-−负]?\s*[0-9零一二两三四五六七八九十].*)"
)
_RANGE_SIDES_EN: Final = re.compile(
    r"(?:between\s+|from\s+)?(?P<left>.*?[0-9][a-z%]*)\s+(?:to|and)\s+(?P<right>[+\-−]?[0-9].*)"
)
_RANGE_AROUND: Final = re.compile(r"^(?:大概在|大约在|大致在|介于|在)|(?:之间|中间|区间)$")
_PLAIN_NUMBER: Final = re.compile(
    r"[+\-−负]?\s*(?:[0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+|[零一二两三四五六七八九]+)"
)
_UNIT_TAGS: Final = frozenset({"currency", "pct", "permille", "tenth", "year", "month", "half"})


def _contracted(text: str) -> tuple[str, str] | None:
    """五六千万 → (五千万, 六千万): the text with the first digit, and with the second."""
    text = text.translate(_TRADITIONAL)  # 伍陆仟萬, 一兩億
    for match in _CN_PAIR.finditer(text):
        first, second = _CN_DIGITS[match[1]], _CN_DIGITS[match[2]]
        if second == first + 1 or (first, second) == (3, 5):
            head, tail = text[: match.start()], text[match.end() :]
            return head + match[1] + tail, head + match[2] + tail
    return None


def _range_sides(text: str, table: _Affixes) -> tuple[str, str] | None:
    """The two ends of a range as texts each parser reads alone, or None for no range.

    5000-6000万 → (5000万, 6000万): a bare left end takes the right end's units; 五六千万 →
    (五千万, 六千万); "between 3 and 5 years", 在3到5年之间 too."""
    pair = _contracted(text)
    if pair is not None:
        return pair
    inner = _RANGE_AROUND.sub("", text).strip()
    match = _RANGE_SIDES.fullmatch(inner) or _RANGE_SIDES_EN.fullmatch(inner)
    if match is None or not any(ch.isdigit() or ch in _CN_DIGITS for ch in match["left"]):
        return None
    left, right = match["left"].strip(), match["right"].strip()
    core, tags = _strip_affixes(left, table)
    lead = _PLAIN_NUMBER.match(right)
    if _PLAIN_NUMBER.fullmatch(core) and not _UNIT_TAGS & set(tags) and lead is not None:
        left += right[lead.end() :]  # 5000-6000万: the left end is 5000万 too
    return left, right


def _refuse_range(text: str, kind: str) -> None:
    if _RANGE.search(text) or _contracted(text) is not None:
        raise AnswerError(f"{kind}.invalid", reason="range")


def _has_sign(text: str, table: _Affixes) -> bool:
    _, tags = _strip_affixes(text, table)
    return "neg" in tags or "pos" in tags


# ---------------------------------------------------------------------------------------
# Money


_EN_MULTIPLIERS: Final = (
    dict.fromkeys(("k", "thousand", "thousands"), 10**3)
    | dict.fromkeys(("m", "mn", "mio", "mil", "million", "millions", "milion"), 10**6)
    | dict.fromkeys(("b", "bn", "billion", "billions"), 10**9)
)
_EN_MONEY: Final = re.compile(
    rf"(?P<number>{_ARABIC}) ?(?P<multiplier>"
    + "|".join(sorted(_EN_MULTIPLIERS, key=len, reverse=True))
    + ")"
)
_NO_MONEY_WORDS: Final = frozenset({"没有", "没", "无", "暂无", "none", "nil", "nothing"})


def parse_money(text: str, *, allow_negative: bool = False) -> Decimal:
    """Return the amount in `text` in yuan, exactly. See :func:`parse_money_reading`."""
    return parse_money_reading(text, allow_negative=allow_negative)[0]


def parse_money_reading(text: str, *, allow_negative: bool = False) -> tuple[Decimal, MoneyReading]:
    """Return the amount in `text` in yuan, exactly, and how it was written.

    1.5亿, 6千万, 5500万元, 1,200万, 两千万, 1亿2000万, 一千二百万, 1.5个亿, ¥3,000,000元,
    300万左右, 300多万, RMB 5 million, 800k, 300w all read. A bare number (300, 一千二百)
    is 万元 (reading ``"bare_wan"``); 元/¥/RMB without 万 or 亿 means yuan. 没有/无 (没有融资,
    no financing) read 0. A lower bound (300多万, 超过300万) reads as the bound.

    Raises AnswerError: ``empty``, ``too_long``; ``money.invalid`` (not an amount; with
    ``reason="range"`` for 300-500万 or 五六千万, ``reason="upper_bound"`` for 不到300万);
    ``money.negative`` for a loss when `allow_negative` is false (-300万, 亏损300万);
    ``money.too_large`` above :data:`MAX_MONEY`. :func:`read_money` reads ranges and bounds.
    """
    value, reading, _ = _money_one(_prepare(text).casefold(), allow_negative=allow_negative, strict=True)
    return value, reading


def read_money(text: str, *, allow_negative: bool = False) -> Figure:
    """Return the amount, range or bound in `text`, in yuan: 1.2亿 (exact), 五六千万 and
    5000-6000万 (5000万 to 6000万), 一千多万 (at least 1000万), 不到两千万 (below 2000万).

    Raises AnswerError as :func:`parse_money_reading` does, without the ``reason``s."""
    prepared = _english_numbers(_prepare(text).casefold())
    sides = _range_sides(prepared, _MONEY_AFFIXES)
    if sides is not None:
        left, right = sides
        a, _, _ = _money_one(left, allow_negative=allow_negative, strict=False)
        b, reading, _ = _money_one(right, allow_negative=allow_negative, strict=False)
        if a < 0 < b and not _has_sign(right, _MONEY_AFFIXES):
            b = -b  # 亏损100-200万: the loss is on both ends
        return _range_figure(a, b, reading)
    value, reading, bound = _money_one(prepared, allow_negative=allow_negative, strict=False)
    return _figure(value, bound, reading)


def _money_one(prepared: str, *, allow_negative: bool, strict: bool) -> tuple[Decimal, MoneyReading, _Bound]:
    """One amount (no range) and its bound; `strict` refuses an upper bound (不到300万)."""
    _refuse_range(prepared, "money")
    core, tags = _strip_affixes(_english_numbers(prepared), _MONEY_AFFIXES)
    if strict and "upper" in tags:
        raise AnswerError("money.invalid", reason="upper_bound")
    signs = tags.count("neg") + tags.count("pos")
    if signs > 1:
        raise AnswerError("money.invalid")
    negative = "neg" in tags
    reading: MoneyReading
    more = False
    if "none" in tags or core in _NO_MONEY_WORDS:
        if (core and core not in _NO_MONEY_WORDS) or signs or {"at_least", "upper"} & set(tags):
            raise AnswerError("money.invalid")  # 没有300万, 没有亏损: not "none at all"
        value, reading = Decimal(0), "yuan"
    else:
        more = "多" in core or "余" in core
        core = core.replace("个亿", "亿").replace("多", "").replace("余", "").strip()
        value, reading = _money_core(core, has_currency="currency" in tags)
    if value > MAX_MONEY:
        raise AnswerError("money.too_large", max=MAX_MONEY)
    if negative and not value.is_zero():
        if not allow_negative:
            raise AnswerError("money.negative")
        value = -value
    try:
        bound = _bound_of(tags, more, negative=negative and not value.is_zero())
    except AnswerError:
        raise AnswerError("money.invalid") from None
    return _canonical(value), reading, bound


def _money_core(core: str, *, has_currency: bool) -> tuple[Decimal, MoneyReading]:
    if not core:
        raise AnswerError("money.invalid")
    try:
        english = _EN_MONEY.fullmatch(core)
        if english is not None:
            number = _arabic_value(english["number"])
            with localcontext(_EXACT):
                return number * _EN_MULTIPLIERS[english["multiplier"]], "en"
        value, largest = _read_numeral(core, big_units=True)
    except _NumeralError as error:
        if error.reason == "too_large":
            raise AnswerError("money.too_large", max=MAX_MONEY) from None
        raise AnswerError("money.invalid") from None
    if largest is not None:
        return value, largest
    if has_currency:
        return value, "yuan"
    with localcontext(_EXACT):
        return value * _WAN, "bare_wan"


# ---------------------------------------------------------------------------------------
# Percentages


_PERCENT_LOW: Final = Decimal(0)
_PERCENT_HIGH: Final = Decimal(100)
_HALF_WORDS: Final = frozenset({"一半", "half", "a half"})


def parse_percent(
    text: str, *, low: Decimal | None = _PERCENT_LOW, high: Decimal | None = _PERCENT_HIGH
) -> Decimal:
    """Return the number of percent in `text`: 12.5%, 12.5, 百分之十二点五, 8个百分点, 八成,
    ５％, 5 percent; 负3%, -3%, 下降3%, 减少3% are negative, 增长5% positive. 0.08 stays 0.08.
    A lower bound (80%以上) reads as the bound.

    Raises AnswerError: ``empty``, ``too_long``; ``percent.invalid`` (with ``reason`` as for
    money); ``percent.range`` with ``low`` and ``high`` when the value lies outside them
    (either bound may be None: unbounded). :func:`read_percent` reads ranges and bounds.
    """
    return _percent_one(_prepare(text).casefold(), low=low, high=high, strict=True)[0]


def read_percent(
    text: str, *, low: Decimal | None = _PERCENT_LOW, high: Decimal | None = _PERCENT_HIGH
) -> Figure:
    """Return the percentage, range or bound in `text`: 45%, 10%到15%, 五六十%, 50%以上,
    不到5%. Each end must lie within `low` and `high`. Raises AnswerError as
    :func:`parse_percent` does, without the ``reason``s."""
    prepared = _english_numbers(_prepare(text).casefold())
    sides = _range_sides(prepared, _PERCENT_AFFIXES)
    if sides is not None:
        left, right = sides
        a, _ = _percent_one(left, low=low, high=high, strict=False)
        b, _ = _percent_one(right, low=low, high=high, strict=False)
        return _range_figure(a, b, "percent")
    value, bound = _percent_one(prepared, low=low, high=high, strict=False)
    return _figure(value, bound, "percent")


# 四成五 is 4.5 tenths (45%), 一成二 12%, 两成半 25%: the digit after 成 is a hundredth's tenth.
_TENTHS: Final = re.compile(
    r"(?<![0-9.零〇一二两三四五六七八九十])([0-9零〇一二两三四五六七八九])成([0-9一二三四五六七八九半])"
)
_CN_DIGIT: Final = dict(zip("零〇一二两三四五六七八九半", "0012234567895", strict=True))


def _tenths(found: re.Match[str]) -> str:
    whole, tenth = (_CN_DIGIT.get(ch, ch) for ch in found.groups())
    return f"{whole}.{tenth}成"


def _percent_one(
    prepared: str, *, low: Decimal | None, high: Decimal | None, strict: bool
) -> tuple[Decimal, _Bound]:
    prepared = _TENTHS.sub(_tenths, prepared)
    _refuse_range(prepared, "percent")
    core, tags = _strip_affixes(_english_numbers(prepared), _PERCENT_AFFIXES)
    if strict and "upper" in tags:
        raise AnswerError("percent.invalid", reason="upper_bound")
    units = {tag for tag in tags if tag in ("pct", "permille", "tenth")}
    if tags.count("neg") + tags.count("pos") > 1 or len(units) > 1:
        raise AnswerError("percent.invalid")
    more = "多" in core
    core = core.replace("多", "").strip()
    if core in _HALF_WORDS and not units:
        value = Decimal(50)
    else:
        try:
            value, _ = _read_numeral(core, big_units=False)
        except _NumeralError as error:
            if error.reason == "too_large" and high is not None:
                raise AnswerError("percent.range", low=low, high=high) from None
            raise AnswerError("percent.invalid") from None
        with localcontext(_EXACT):
            if "permille" in units:
                value = value / 10
            elif "tenth" in units:
                value = value * 10
    if "neg" in tags:
        value = -value
    value = _canonical(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise AnswerError("percent.range", low=low, high=high)
    try:
        bound = _bound_of(tags, more, negative=value < 0)
    except AnswerError:
        raise AnswerError("percent.invalid") from None
    return value, bound


# ---------------------------------------------------------------------------------------
# Years


_YEAR_MONTH: Final = re.compile(
    r"(?P<year>[0-9]{4}|[零一二三四五六七八九]{4}) ?"
    r"(?:年 ?(?P<month>[0-9]{1,2}|十[一二]?|[一二三四五六七八九]) ?月份?|[-/.] ?(?P<month_digits>[0-9]{1,2}))"
)
_YEARS_AND_MONTHS: Final = re.compile(r"(?P<years>[^年]+)年 ?零? ?(?P<months>[^年]+)")
_HALF_YEAR: Final = frozenset({"半", "半年", "half", "half a", "half an", "half a year", "half year"})
_FIRST_YEAR: Final = 1900
# A year named relative to today: 去年才开始, since last year (years before today's year).
_RELATIVE_YEARS: Final = (
    ("大前年", 3), ("前年", 2), ("去年", 1), ("今年", 0), ("the year before last", 2),
    ("last year", 1), ("this year", 0),
)  # fmt: skip


def _relative_years(text: str, today: date) -> str:
    for word, back in _RELATIVE_YEARS:
        if word in text:
            year = today.year - back
            return text.replace(word, str(year) if word.isascii() else f"{year}年", 1)
    return text


def parse_years(text: str, *, today: date) -> Decimal:
    """Return a number of years: 7, 七年, 3.5年, 三年半, 半年, 18个月, 1年6个月, seven years;
    or the years since a calendar year (2015年, 从2015年起, 2019年开始做的, since 2015,
    2015年3月) or a year named from today (去年才开始, since last year) as of `today`.
    Months count in twelfths, cut down to two decimals. A lower bound (20年以上) reads as
    the bound.

    Raises AnswerError: ``empty``, ``too_long``; ``years.invalid`` for anything else,
    including a negative span, more than :data:`MAX_YEARS`, a year before 1900 or after
    `today` (then with ``year``), a range (``reason="range"``) or an upper bound
    (``reason="upper_bound"``: 不到两年). :func:`read_years` reads ranges and bounds.
    """
    prepared = _relative_years(_prepare(text).casefold(), today)
    return _years_one(prepared, today=today, strict=True).low


SINCE_YEAR: Final = "since_year"
"""The :attr:`Figure.reading` of years counted from a calendar year with no month (2024年开始,
前年): a range of whole years, from a start on its 31 December to one on its 1 January."""


def read_years(text: str, *, today: date) -> Figure:
    """Return the years, range or bound in `text`: 7年, 三到五年, 两三年, 十多年, 不到两年,
    as of `today`. A calendar year with no month is the range of full years a start in that
    year can be (2024年开始 on 2026-03-10: 1–2 years, reading :data:`SINCE_YEAR`); a month
    counts the full months from its last day. Raises AnswerError as :func:`parse_years`
    does, without the ``reason``s."""
    prepared = _english_numbers(_relative_years(_prepare(text).casefold(), today))
    core, _ = _strip_affixes(prepared, _YEARS_AFFIXES)
    calendar = _YEAR_MONTH.fullmatch(core) is not None  # 2019-05 is a month, not a range
    sides = None if calendar else _range_sides(prepared, _YEARS_AFFIXES)
    if sides is not None:
        left, right = sides
        a = _years_one(left, today=today, strict=False)
        b = _years_one(right, today=today, strict=False)
        return _range_figure(min(a.low, b.low), max(a.high, b.high), "years")
    one = _years_one(prepared, today=today, strict=False)
    if one.since_year and one.bound == "exact":
        return Figure("exact" if one.low == one.high else "range", one.low, one.high, SINCE_YEAR)
    return _figure(one.high if one.bound == "below" else one.low, one.bound, "years")


@dataclass(frozen=True, slots=True)
class _Years:
    low: Decimal
    high: Decimal
    bound: _Bound
    since_year: bool = False  # counted from a calendar year with no month


def _years_one(prepared: str, *, today: date, strict: bool) -> _Years:
    core, tags = _strip_affixes(_english_numbers(prepared), _YEARS_AFFIXES)
    if strict and "upper" in tags:
        raise AnswerError("years.invalid", reason="upper_bound")
    try:
        bound = _bound_of(tags, "多" in core or "余" in core)
    except AnswerError:
        raise AnswerError("years.invalid") from None
    calendar = _YEAR_MONTH.fullmatch(core)
    if calendar is not None:
        month_text = calendar["month"] or calendar["month_digits"]
        value = _years_since_month(_whole_number(calendar["year"]), _whole_number(month_text), today)
        return _Years(value, value, bound)
    _refuse_range(prepared, "years")
    value = _years_count(core.replace("多", "").replace("余", "").strip(), tags)
    if _is_calendar_year(value) and not {"half", "month", "ago"} & set(tags):
        low, high = _years_since_year(int(value), today)
        return _Years(low, high, bound, since_year=True)
    if "since" in tags or value < 0 or value > MAX_YEARS:
        raise AnswerError("years.invalid")
    return _Years(_canonical(value), _canonical(value), bound)


def _is_calendar_year(value: Decimal) -> bool:
    return value == value.to_integral_value() and 1000 <= value <= 9999


def _whole_number(text: str) -> int:
    try:
        value, _ = _read_numeral(text, big_units=False)
    except _NumeralError:
        raise AnswerError("years.invalid") from None
    return int(value)


def _years_since_year(year: int, today: date) -> tuple[Decimal, Decimal]:
    """The full years since a start in `year`: (from its 31 December, from its 1 January).
    Never the calendar-year difference alone: 2024 on 2026-03-10 is 1–2 years, not 2."""
    if year < _FIRST_YEAR or year > today.year:
        raise AnswerError("years.invalid", year=year)
    latest = today.year - year - (0 if (today.month, today.day) == (12, 31) else 1)
    return Decimal(max(latest, 0)), Decimal(today.year - year)


def _years_since_month(year: int, month: int, today: date) -> Decimal:
    """The full months since the last day of `month` of `year` (the cautious start), in years."""
    if year < _FIRST_YEAR or year > today.year:
        raise AnswerError("years.invalid", year=year)
    if not 1 <= month <= 12 or (year, month) > (today.year, today.month):
        raise AnswerError("years.invalid", year=year)
    start = _month_end(year, month)
    months = (today.year - year) * 12 + today.month - month
    later = year * 12 + month - 1 + months  # the month `months` after it, counted from year 0
    if min(start.day, _month_end(later // 12, later % 12 + 1).day) > today.day:
        months -= 1  # that month's anniversary of the start is still to come
    return _months_to_years(Decimal(max(months, 0)))


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def _months_to_years(months: Decimal) -> Decimal:
    # Cut down, never up: a threshold of whole years is never crossed by rounding.
    with localcontext(Context(prec=60)):
        return _canonical((months / 12).quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def _years_count(core: str, tags: list[str]) -> Decimal:
    half = "half" in tags
    if "month" in tags:
        if half or ("year" in tags and "年" not in core):
            raise AnswerError("years.invalid")
        both = _YEARS_AND_MONTHS.fullmatch(core)
        if both is not None:
            years, months = _years_number(both["years"]), _years_number(both["months"])
            return _canonical(years + _months_to_years(months))
        return _months_to_years(_years_number(core))
    if core in _HALF_YEAR:
        if half:
            raise AnswerError("years.invalid")
        return Decimal("0.5")
    value = _years_number(core)
    if half:
        if value != value.to_integral_value():
            raise AnswerError("years.invalid")
        value += Decimal("0.5")
    return value


def _years_number(core: str) -> Decimal:
    if not core:
        raise AnswerError("years.invalid")
    try:
        value, _ = _read_numeral(core, big_units=False)
    except _NumeralError:
        raise AnswerError("years.invalid") from None
    return value


# ---------------------------------------------------------------------------------------
# Choices


@dataclass(frozen=True, slots=True)
class Option(Generic[V]):
    """One answer to a choice question: the stored `value` and the `labels` a person may
    type for it (the Chinese label, the English label, then any aliases)."""

    value: V
    labels: tuple[str, ...] = ()


# fmt: off
YES_WORDS: Final[tuple[str, ...]] = (
    "是", "是的", "有", "有的", "对", "对的", "嗯", "嗯嗯", "没错", "yes", "y", "yeah", "yep", "true",
)
# fmt: on
"""Aliases for "yes" in yes-no questions. "1" is not one: it is the first option's number."""

# fmt: off
NO_WORDS: Final[tuple[str, ...]] = (
    "否", "不", "不是", "没有", "没", "无", "暂无", "还没有", "尚无", "no", "n", "nope", "false",
)
# fmt: on
"""Aliases for "no" in yes-no questions."""

# fmt: off
NONE_WORDS: Final[tuple[str, ...]] = (
    "无", "没有", "没", "暂无", "都没有", "都没", "都无", "均无", "全无", "均没有", "都不是",
    "以上都没有", "以上都不是", "以上均无", "以上皆无", "以上都无", "不涉及", "不适用", "none",
    "none of the above", "nothing", "no",
)
# fmt: on
"""Answers to a multi-choice question meaning "none of these": the empty list."""

# fmt: off
ALL_WORDS: Final[tuple[str, ...]] = (
    "全部", "全选", "都有", "都是", "全都有", "以上都有", "以上都是", "以上全部", "all",
    "all of the above",
)
# fmt: on
"""Answers to a multi-choice question meaning "all of these"."""


# fmt: off
_STRICT_YES: Final = frozenset({
    "是", "是的", "对", "对的", "好", "好的", "好啊", "好吧", "行", "行的", "可以", "可以的", "确认",
    "确定", "同意", "嗯", "嗯嗯", "没问题", "没错", "要", "ok", "okay", "yes", "y", "yeah", "yep",
    "sure", "confirm", "agree", "i agree", "go ahead", "yes please",
})
_STRICT_NO: Final = frozenset({
    "不", "不是", "否", "不要", "不用", "不用了", "不了", "算了", "取消", "不同意", "不行", "别", "先不",
    "先不了", "不要了", "没有", "no", "n", "nope", "cancel", "dont", "do not", "never mind",
    "not now", "no thanks",
})
# fmt: on
# What a yes or no can start with once NFKC-folded and case-folded, marks before it included.
_YES_NO_FIRST: Final = frozenset({w[0] for w in _STRICT_YES | _STRICT_NO} | set("“\"'「《(【["))


def strict_yes_no(text: str) -> bool | None:
    """True or False when the whole of `text` says yes (好的, 可以, 行, ok…) or no (不要, 算了,
    no…), with punctuation and a trailing 啊/吧/呀 tolerated; None for anything else. For
    confirming what cannot be undone: "是什么意思" is not a yes, "1" is not either."""
    if len(text) > 40:
        return None
    first = simplified(unicodedata.normalize("NFKC", text.lstrip()[:1]).casefold())
    if first not in _YES_NO_FIRST:
        return None  # most answers: no yes or no starts that way
    key = _key(simplified(text).replace("'", "").replace("’", ""))
    for candidate in (key, key.rstrip("啊吧呀哦呢嘛")):
        if candidate in _STRICT_YES:
            return True
        if candidate in _STRICT_NO:
            return False
    return None


def yes_no_options(
    yes_labels: Sequence[str] = ("是", "yes"), no_labels: Sequence[str] = ("否", "no")
) -> tuple[Option[bool], Option[bool]]:
    """The two options of a yes-no question, values True and False, with the yes/no words as
    aliases."""
    return Option(True, (*yes_labels, *YES_WORDS)), Option(False, (*no_labels, *NO_WORDS))


_NEGATIONS_CJK: Final = ("不", "没", "非", "无", "未", "否", "别")
_NEGATIONS_EN: Final = re.compile(
    r"(?<![a-z0-9])(?:not|no|none|never|dont|don|doesnt|isnt|without|non)(?![a-z0-9])"
)
# Words around an option's value or number: 我选A, A类, 3级以上, 第一个, option 2.
# fmt: off
_VALUE_PREFIXES: Final = (
    "我们选", "我选", "选择", "选项", "选", "答案是", "答案", "是", "option", "choice", "level", "第",
)
_VALUE_SUFFIXES: Final = (
    "及以上", "或以上", "以上", "选项", "项", "类", "级", "个", "号", "条", "种", "吧", "的",
)
# fmt: on
_INDEX_PREFIXES: Final = ("我们选", "我选", "选择", "选项", "选", "option", "choice", "no", "第")
_INDEX_SUFFIXES: Final = ("选项", "项", "个", "号", "条", "种", "吧")
_SMALL_INT: Final = re.compile(r"[0-9]{1,3}|[零一二两三四五六七八九十]{1,4}")


def _variants(key: str, prefixes: Sequence[str], suffixes: Sequence[str]) -> list[str]:
    """`key` and what remains of it as the listed words are peeled off, one at a time."""
    found = [key]
    for _ in range(6):
        shorter = _strip_one(key.replace(" ", ""), prefixes, suffixes)
        if shorter == key.replace(" ", ""):
            break
        key = shorter
        found.append(key)
    return found


def _small_int(key: str) -> int | None:
    if not _SMALL_INT.fullmatch(key):
        return None
    try:
        value, _ = _read_numeral(key, big_units=False)
    except _NumeralError:
        return None
    return int(value) if value == value.to_integral_value() else None


def _value_key(value: ChoiceValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _key(str(value))


def _is_numeric_value(value: ChoiceValue) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or _small_int(_key(value)) is not None


def _has_negation(text: str) -> bool:
    return any(mark in text for mark in _NEGATIONS_CJK) or _NEGATIONS_EN.search(text) is not None


def _contains_word(text: str, word: str) -> int:
    """Where `word` occurs in `text` as a whole word (ASCII) or anywhere (Chinese); -1 if not."""
    if word.isascii() and text.isascii():
        match = re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text)
        return match.start() if match else -1
    return text.find(word)


def _overlap(text: str, label: str, *, label_in_text: bool = True) -> int:
    """How much of `text` and `label` match when one contains the other; 0 if neither does.
    With `label_in_text` false, only a text that is part of a label counts."""
    if not label or not text:
        return 0
    if len(text) >= 2 and len(label) > len(text):
        inside = (
            re.search(rf"(?<![a-z0-9]){re.escape(text)}", label) is not None
            if text.isascii() and label.isascii()
            else text in label
        )
        if inside:
            return len(text)
    if label_in_text and len(text) >= 2 and len(label) < len(text):
        where = _contains_word(text, label)
        if where < 0 or (len(label) == 1 and (where != 0 or label.isascii())):
            return 0  # one Chinese character counts only as the start: 有两笔贷款, 无研发机构
        rest = text[:where] + " " + text[where + len(label) :]
        if _has_negation(rest) and not _has_negation(label):
            return 0  # 不是省级 must not read as 省级
        return len(label)
    return 0


def _exact_choice(key: str, options: Sequence[Option[V]]) -> list[V]:
    """Options matched by value, by number in the list, or by a whole label: at most the
    first of these steps that matches anything."""
    for variant in _variants(key, _VALUE_PREFIXES, _VALUE_SUFFIXES):
        number = _small_int(variant)
        for option in options:
            value = option.value
            if _value_key(value) == variant or (
                isinstance(value, int) and not isinstance(value, bool) and number == value
            ):
                return [value]
    if not any(_is_numeric_value(option.value) for option in options):
        for variant in _variants(key, _INDEX_PREFIXES, _INDEX_SUFFIXES):
            number = _small_int(variant)
            if number is not None and 1 <= number <= len(options):
                return [options[number - 1].value]
    by_label = [option.value for option in options if key in {_key(label) for label in option.labels}]
    if not by_label:
        squeezed = key.replace(" ", "")
        by_label = [
            option.value
            for option in options
            if squeezed in {_key(label).replace(" ", "") for label in option.labels}
        ]
    return by_label


def _names(option: Option[V]) -> list[str]:
    """The keys a person may type for `option`: its labels, and its value when a word."""
    names = [_key(label) for label in option.labels]
    if isinstance(option.value, str):
        names.append(_value_key(option.value))
    return [name for name in names if name]


def _match_choice(key: str, options: Sequence[Option[V]], shown: str, *, label_in_text: bool = True) -> V:
    exact = _exact_choice(key, options)
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise AnswerError("choice.ambiguous", text=shown, candidates=tuple(exact))
    if is_skip(key):
        raise AnswerError("choice.unknown", text=shown)  # 不清楚 must not read as 不 (no)
    best = 0
    candidates: list[V] = []
    for option in options:
        score = max((_overlap(key, name, label_in_text=label_in_text) for name in _names(option)), default=0)
        if score > best:
            best, candidates = score, [option.value]
        elif score == best and score > 0:
            candidates.append(option.value)
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise AnswerError("choice.ambiguous", text=shown, candidates=tuple(candidates))
    raise AnswerError("choice.unknown", text=shown)


def parse_choice(text: str, options: Sequence[Option[V]], *, all_means: V | None = None) -> V:
    """Return the value of the option `text` names.

    Tried in order: the value itself (any case; "A类", "选A", "3级" too); the option's
    1-based number (1, 第一个), unless some values are numbers, which then win; a whole
    label or alias; a label containing the text or contained in it (at least 2 characters,
    one-character labels only at the start, never behind a negation: 不是省级 is not 省级),
    the longest overlap winning. Failing those, the answer as people say it: 只有省级,
    我们有市级的 (words of having or "only" around a label); a none word (没有, none) names
    the one option that means none; an all word (都有, all of them) names `all_means`
    (the best option, for a question asking for the highest level held).

    Raises AnswerError: ``empty``, ``too_long``; ``choice.unknown`` with ``text``;
    ``choice.ambiguous`` with ``text`` and ``candidates`` (values, in option order).
    """
    prepared = _prepare(text)
    key = _key(prepared)
    if not key:
        raise AnswerError("empty")
    if _NEGATIVE_NUMBER.fullmatch(prepared):  # "-1" is no option's number, though "1" is
        raise AnswerError("choice.unknown", text=text)
    try:
        return _match_choice(key, options, prepared)
    except AnswerError as error:
        found = _natural_choice(prepared, options, all_means)
        if found is None:
            raise error from None
        return found


_NEGATIVE_NUMBER: Final = re.compile(r"\s*-\s*[0-9]+(?:\.[0-9]+)?\s*")
_STRONG_SEPARATORS: Final = re.compile(r"[,;/|\n、。]+")
_WEAK_SEPARATORS: Final = re.compile(r"\s+|以及|还有|和|与|及|跟|&|\+|(?<![a-z])and(?![a-z])")
_JOINING_WORDS: Final = re.compile(r"以及|还有|和|与|及|跟|也|都|(?<![a-z])(?:and|also)(?![a-z])|[\s&+]")
_LETTERS: Final = re.compile(r"[a-z]+")


def parse_choices(
    text: str,
    options: Sequence[Option[V]],
    *,
    none_words: Iterable[str] = NONE_WORDS,
    all_words: Iterable[str] = ALL_WORDS,
    max_choices: int | None = None,
) -> list[V]:
    """Return the values of the options `text` names, in option order, without repeats.

    Items are separated by commas, 、, ;, /, spaces, 和, 与, 及, and; "AC" reads as A and C
    when every value is a single letter; 1、3 are option numbers as in :func:`parse_choice`;
    labels may also simply follow each other (自主品牌和参与制定标准). A none word (都没有, 无,
    none) gives [], an all word (全部, 都有) every value. Failing those, the answer as people
    say it: 有ISO9001，还有自主品牌 and "we have ISO 9001 and also our own brand" (words of
    having and joining), 只有自主品牌 (only), 有质量认证，没有自主品牌 (a negated item is left
    out), 除了质量奖都有 and "all except the quality award" (all but the negated ones).

    Raises AnswerError: ``empty``, ``too_long``; ``choice.unknown`` or ``choice.ambiguous``
    naming the bad ``item`` (and its ``candidates``); ``choice.too_many`` with ``max`` when
    more than `max_choices` are named.
    """
    prepared = _prepare(text)
    key = _key(prepared)
    if not key:
        raise AnswerError("empty")
    squeezed = key.replace(" ", "")
    chosen: list[V]
    exact = _exact_choice(key, options)
    all_but = None if exact else _ALL_EXCEPT.match(normalize(prepared).casefold())
    if len(exact) == 1:
        chosen = exact
    elif all_but is not None:  # 除了质量奖都有: read before any label inside it is taken alone
        natural = _natural_choices(prepared, options, none_words, all_words)
        if natural is None:
            raise AnswerError("choice.unknown", item=prepared)
        chosen = natural
    elif squeezed in {_key(word).replace(" ", "") for word in none_words}:
        return []
    elif squeezed in {_key(word).replace(" ", "") for word in all_words}:
        chosen = [option.value for option in options]
    else:
        try:
            chosen = []
            for part in _STRONG_SEPARATORS.split(prepared):
                if _key(part):
                    chosen.extend(_choices_in_part(part.strip(), options))
        except AnswerError as error:
            natural = _natural_choices(prepared, options, none_words, all_words)
            if natural is None:
                raise error from None
            chosen = natural
    wanted = set(chosen)
    ordered = [option.value for option in options if option.value in wanted]
    if max_choices is not None and len(ordered) > max_choices:
        raise AnswerError("choice.too_many", max=max_choices)
    return ordered


def _choices_in_part(shown: str, options: Sequence[Option[V]]) -> list[V]:
    """The options one comma-separated part of a multi-choice answer names."""
    key = _key(shown)
    exact = _exact_choice(key, options)
    if len(exact) == 1:
        return exact
    letters = key.replace(" ", "")
    by_letter = {_value_key(option.value): option.value for option in options}
    if (
        len(letters) > 1
        and _LETTERS.fullmatch(letters)
        and all(len(name) == 1 and name.isalpha() for name in by_letter)
        and all(letter in by_letter for letter in letters)
    ):
        return [by_letter[letter] for letter in letters]
    first_error: AnswerError | None = None
    pieces = [piece for piece in _WEAK_SEPARATORS.split(shown.casefold()) if _key(piece)]
    if len(pieces) > 1:
        found: list[V] = []
        for piece in pieces:
            try:
                found.append(_match_choice(_key(piece), options, piece))
            except AnswerError as error:
                first_error = error
                break
        else:
            return found
    named = _labels_named(key, options)
    if len(named) > 1:
        return named
    try:
        # When some pieces were not understood, a label inside the text would drop them.
        return [_match_choice(key, options, shown, label_in_text=first_error is None)]
    except AnswerError as error:
        failed = first_error or error
        details = {name: detail for name, detail in failed.details.items() if name != "text"}
        raise AnswerError(failed.code, item=failed.details.get("text", shown), **details) from None


def _labels_named(key: str, options: Sequence[Option[V]]) -> list[V]:
    """The options whose labels follow each other in `key` with nothing but joining words
    between them (自主品牌和参与制定标准); [] when anything else is left over."""
    spans: list[tuple[int, int, V]] = []
    for option in options:
        for name in _names(option):
            if len(name) < 2:
                continue
            pattern = re.escape(name)
            if name.isascii():
                pattern = rf"(?<![a-z0-9]){pattern}(?![a-z0-9])"
            for match in re.finditer(pattern, key):
                if not _has_negation(key[max(0, match.start() - 4) : match.start()]):
                    spans.append((match.start(), match.end(), option.value))
    taken: list[tuple[int, int, V]] = []
    for span in sorted(spans, key=lambda span: (span[0] - span[1], span[0])):
        if all(span[1] <= other[0] or other[1] <= span[0] for other in taken):
            taken.append(span)
    rest = key
    for start, end, _ in sorted(taken, reverse=True):
        rest = rest[:start] + " " + rest[end:]
    if _JOINING_WORDS.sub("", rest):
        return []
    return [value for _, _, value in sorted(taken, key=lambda span: span[0])]


# ---------------------------------------------------------------------------------------
# Choices as people say them: having, only, not, all but


# fmt: off
_HAVING_WORDS: Final = tuple(sorted({
    "我们有", "我们还有", "我们也有", "我们都有", "公司有", "公司还有", "我司有", "还有", "也有", "另外还有",
    "另外有", "另外", "以及", "并且", "而且", "同时", "拥有", "已有", "具有", "具备", "获得了", "获得过",
    "获得", "取得了", "取得", "通过了", "通过", "属于", "只有", "仅有", "只", "仅", "就", "有", "是", "都",
    "但是", "但", "不过", "选", "还", "也", "另外还", "我们还",
    "we have", "we also have", "we've got", "we got", "we hold", "we are", "have", "has", "hold",
    "also", "and also", "plus", "only", "just", "our", "an", "a", "the", "but", "and", "we",
}, key=lambda word: (-len(word), word)))
_NEGATIONS: Final = tuple(sorted({
    "但是没有", "但没有", "不过没有", "可是没有", "并没有", "还没有", "暂时没有", "目前没有", "没有", "没",
    "无", "暂无", "尚未", "未", "不是", "不",
    "but no", "but not", "no", "not", "without", "don't have", "dont have", "do not have",
    "we don't have", "we do not have", "haven't", "no longer",
}, key=lambda word: (-len(word), word)))
_NEGATED_AFTER: Final = ("还没有", "暂时没有", "没有", "暂无", "没", "无", "not yet")
_HAVING_AFTER: Final = ("都有的", "都有", "也有", "都具备", "都是", "有的", "已获得", "有")
_REST_WORDS: Final = frozenset({
    "其他都有", "其它都有", "其余都有", "别的都有", "其他都是", "其余都是", "其他的都有", "其它的都有",
    "其余的都有", "其他", "其它", "其余", "都有", "全都有", "都是", "全部", "the rest", "all the rest",
    "all others", "all the others", "everything else", "the others", "all", "all of them", "everything",
})
_NATURAL_ALL: Final = frozenset({
    "都有", "全都有", "全部都有", "都具备", "都满足", "都符合", "全都是", "全都具备", "都有的", "全有",
    "all of them", "all of these", "everything", "we have all", "we have them all", "all yes",
})
_NATURAL_NONE: Final = frozenset({
    "一个都没有", "一项都没有", "都不具备", "都不符合", "都不满足", "全都没有", "啥都没有", "什么都没有",
    "none of them", "none of these", "neither", "nothing", "not any", "we have none", "no none",
})
# fmt: on
_CLAUSES: Final = re.compile(
    r"[,;/|\n、。，；]+|以及|还有|也有|另外|而且|并且|但是|不过|可是|和|(?<!参)与|跟|(?<![以涉])及"
    r"|(?<![a-z])(?:and also|as well as|but also|but|and|plus|also)(?![a-z])"
)
_ALL_EXCEPT: Final = re.compile(
    r"^(?:除了|除去|除)(?P<rest>.+?)(?:以外|之外|外)?[,，]?(?:其他|其它|其余|别的)?的?(?:都有|都是|全有|全都有|都具备|都满足|都符合)$"
    r"|^(?:都有|全都有|都是)[,，]?(?:除了|除去|就差|只差|只是没有|就是没有|但没有|没有)(?P<rest2>.+?)$"
    r"|^(?:all|everything|all of them|all of these)(?: of them)?,? (?:except|but|apart from|other than)"
    r" (?:for )?(?P<rest3>.+)$"
)


def _strip_words(text: str, words: Sequence[str]) -> tuple[str, bool]:
    """`text` without the listed words in front (longest first, as many as there are), and
    whether any was taken off. ASCII words end at a space; something must be left."""
    rest, taken = text.strip(), False
    changed = True
    while changed:
        changed = False
        for word in words:
            if not rest.startswith(word) or len(rest) == len(word):
                continue
            after = rest[len(word)]
            if _is_ascii_letter(word[-1]) and (_is_ascii_letter(after) or after.isdigit()):
                continue
            rest, taken, changed = rest[len(word) :].strip(), True, True
            break
    return rest, taken


def _negated(part: str) -> tuple[str, bool]:
    """(the item, whether it was said not to be held): 没有自主品牌, 自主品牌没有, no brand."""
    body, negated = _strip_words(part, _NEGATIONS)
    if not negated:
        for word in _NEGATED_AFTER:
            if body.endswith(word) and len(body) > len(word):
                return body[: -len(word)].strip(), True
    return body, negated


def _natural_item(part: str, options: Sequence[Option[V]]) -> V:
    body, _ = _strip_words(part, _HAVING_WORDS)
    for word in _HAVING_AFTER:
        if body.endswith(word) and len(body) > len(word):
            body = body[: -len(word)].strip()
            break
    try:
        return _match_choice(_key(body), options, body)
    except AnswerError:
        # ISO9001 for "ISO 9001 …": compare without the spaces
        squeezed = [
            Option(o.value, tuple(_key(label).replace(" ", "") for label in o.labels)) for o in options
        ]
        return _match_choice(_key(body).replace(" ", ""), squeezed, body)


def _natural_choices(
    prepared: str, options: Sequence[Option[V]], none_words: Iterable[str], all_words: Iterable[str]
) -> list[V] | None:
    """The values a multi-choice answer names as people say it; None when it does not read."""
    text = normalize(prepared).casefold()
    squeezed = _key(text).replace(" ", "")
    if squeezed in {_key(word).replace(" ", "") for word in _NATURAL_NONE}:
        return []
    if squeezed in {_key(word).replace(" ", "") for word in _NATURAL_ALL} or (
        squeezed == "both" and len(options) == 2
    ):
        return [option.value for option in options]
    every = [option.value for option in options]
    excepted = _ALL_EXCEPT.match(text)
    if excepted is not None:
        rest = excepted["rest"] or excepted["rest2"] or excepted["rest3"] or ""
        left_out = _natural_choices(rest, options, none_words, all_words)
        if not left_out:
            return None
        return [value for value in every if value not in left_out]
    held: list[V] = []
    lacking: list[V] = []
    rest_held = False
    for part in _CLAUSES.split(text):
        if not _key(part):
            continue
        body, negated = _negated(part.strip())
        plain, _ = _strip_words(body, _HAVING_WORDS)
        if not negated and (plain in _REST_WORDS or _key(plain).replace(" ", "") in _REST_WORDS):
            rest_held = True
            continue
        if negated and _key(plain).replace(" ", "") in {"", *(_key(w).replace(" ", "") for w in none_words)}:
            continue
        try:
            value = _natural_item(body, options)
        except AnswerError:
            return None
        (lacking if negated else held).append(value)
    if rest_held:
        return [value for value in every if value not in lacking]
    if not held and not lacking:
        return None
    return [value for value in held if value not in lacking]


def _natural_choice(prepared: str, options: Sequence[Option[V]], all_means: V | None) -> V | None:
    """The value a one-choice answer names as people say it (只有省级, 都有, 没有); None if none."""
    text = normalize(prepared).casefold()
    squeezed = _key(text).replace(" ", "")
    if all_means is not None and squeezed in {
        _key(word).replace(" ", "") for word in (*ALL_WORDS, *_NATURAL_ALL)
    }:
        return all_means
    if squeezed in {_key(word).replace(" ", "") for word in (*NONE_WORDS, *_NATURAL_NONE)}:
        nil = {_key(word).replace(" ", "") for word in NONE_WORDS}
        meaning_none = [
            option.value
            for option in options
            if option.value == "none" or any(_key(label).replace(" ", "") in nil for label in option.labels)
        ]
        return meaning_none[0] if len(meaning_none) == 1 else None
    body, taken = _strip_words(text, _HAVING_WORDS)
    if not taken or (len(body) == 1 and not body.isascii()):
        return None  # 是否: one character left is a guess, not an answer
    try:
        return _match_choice(_key(body), options, body)
    except AnswerError:
        return None
