"""Arbitrary lines for fuzzing, from a seeded generator: the same seed, the same lines.

A mixture of what people paste and what breaks parsers: any Unicode (astral planes, lone
surrogates, controls, zero-width and direction marks, combining marks), digits int() takes
or refuses in every script (², ⑴, ፩, 𐩀, ١٢٣, １２３), digit runs longer than int() reads,
figures with units and signs (1e999999999, NaN, 两千万, -3%), commands with odd arguments,
and very long lines.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

ODD_DIGITS = "²³¹⁰⁴⑴⑵⑩①②፩፪𐩀𐩁١٢٣٤٠۱۲۳१२३੧௧๑໑၁១᠑０１２３４５６７８９"
WORDS = [
    "万",
    "亿",
    "元",
    "千万",
    "百万",
    "%",
    "％",
    "百分之",
    "年",
    "是",
    "否",
    "无",
    "有",
    "跳过",
    "不清楚",
    "确认",
    "A",
    "B",
    "C",
    "D,E",
    "1、3",
    "都没有",
    "约",
    "以上",
    "以下",
    "到",
    "-",
    "~",
    "e",
    "E",
    "NaN",
    "inf",
    "-inf",
    "1e999999999",
    "0x1F",
    "½",
    "⅓",
    "1,2,3",
    "一",
    "两",
    "零",
    "壹",
    "贰",
]
COMMANDS = [
    "/back",
    "/skip",
    "/restart",
    "/cancel",
    "/assess",
    "/menu",
    "/help",
    "/result",
    "/tiers",
    "/subsidies",
    "/contacts",
    "/faq",
    "/join",
    "/callme",
    "/lang",
    "/lang xx",
    "/handled",
    "/leads",
    "/broadcasts",
    "/broadcast",
    "/subscribe",
    "/unsubscribe",
    "/start",
    "/x",
    "/",
    "//",
    "/@bot",
]
MARKS = "\u200b\u200d\u200e\u202e\u2066\ufeff\u0301\u0308\u20dd\x00\x07\x1b\t\r\x0b"


def _code_point(rng: random.Random, surrogates: bool) -> str:
    while True:
        kind = rng.random()
        if kind < 0.45:
            cp = rng.randrange(0x20, 0x7F)
        elif kind < 0.75:
            cp = rng.randrange(0x4E00, 0x9FFF)
        elif kind < 0.9:
            cp = rng.randrange(0xA0, 0x3000)
        else:
            cp = rng.randrange(0x10000, 0x110000)
        if 0xD800 <= cp <= 0xDFFF and not surrogates:
            continue
        return chr(cp)


def line(rng: random.Random, *, surrogates: bool = False) -> str:
    """One arbitrary line (no newline in it); ``surrogates``: lone ones too (as a JSON update may carry)."""
    kind = rng.randrange(10)
    if kind == 0:
        return "".join(_code_point(rng, surrogates) for _ in range(rng.choice([1, 2, 5, 30, 300])))
    if kind == 1:
        return "".join(rng.choice(ODD_DIGITS) for _ in range(rng.randint(1, 6)))
    if kind == 2:
        return rng.choice(["", "-", "#", "0"]) + "9" * rng.choice([5, 19, 20, 21, 400, 4301, 6000])
    if kind == 3:
        pool = [*WORDS, str(rng.randint(-(10**6), 10**9))]
        return " ".join(rng.choice(pool) for _ in range(rng.randint(1, 5)))
    if kind == 4:
        tail = rng.choice(
            ["", " ", " 12", " ²", " " + "8" * 5000, " cancel 3", " cancel ⑴", " #7", " 政策 活动"]
        )
        return rng.choice(COMMANDS) + tail
    if kind == 5:
        return "".join(rng.choice(MARKS + "12万a") for _ in range(rng.randint(1, 12)))
    if kind == 6:
        return (rng.choice(WORDS) + rng.choice(ODD_DIGITS)) * rng.randint(1, 3000)
    if kind == 7:
        return f"{rng.uniform(-1e20, 1e20):.{rng.randint(0, 30)}f}{rng.choice(['', '万', '亿', '%', '元'])}"
    if kind == 8 and surrogates:
        return "".join(chr(rng.randrange(0xD800, 0xE000)) for _ in range(rng.randint(1, 3))) + "12"
    return rng.choice(["1", "2", "3", "4", "5", "6", "10", "1,2", "是", "否", "跳过", "确认", "   "])


def lines(seed: int, count: int, *, surrogates: bool = False) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(count):
        yield line(rng, surrogates=surrogates)
