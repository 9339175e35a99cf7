"""Which column of a sheet feeds which profile field, and in which unit.

A header cell names a field by its id (``revenue``), its Chinese or English label or one
of its aliases (``rules/data/fields.toml``), compared without spaces, case-folded and in
half-width form. A unit in brackets after the name (``营业收入（万元）``, ``Revenue (10k
yuan)``, ``研发人员占比(%)``) says how a bare number in that column is read; a bracket that
holds no unit (``营业收入（2024年）``) is a note and is ignored. Every other column is kept
as it is; the first whose header names the enterprise (企业名称, 公司名称, name…) is quoted
in error messages. Columns an earlier run added (评价得分, Score, …) are dropped, so an
output can be scored again.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from dialogs.i18n import Catalogs
from rules import Rules
from rules.loader import column_key
from rules.model import FieldInfo, FieldKind

__all__ = [
    "MONEY_UNITS",
    "NAME_COLUMNS",
    "TEMPLATE_MONEY_SCALE",
    "ColumnError",
    "FieldColumn",
    "Layout",
    "has_chinese",
    "header_for",
    "layout",
    "split_unit",
]

# Yuan per bare number, by the unit a money header names (compared as column keys).
MONEY_UNITS: Final[dict[str, Decimal]] = {
    **dict.fromkeys(("元", "人民币元", "人民币", "yuan", "rmb", "cny", "¥"), Decimal(1)),
    **dict.fromkeys(("千元", "thousandyuan", "1000yuan", "1,000yuan", "kyuan"), Decimal(1000)),
    **dict.fromkeys(
        ("万元", "万", "万元人民币", "10kyuan", "10,000yuan", "10000yuan", "wan"), Decimal(10**4)
    ),
    **dict.fromkeys(("亿元", "亿", "100myuan", "100millionyuan", "yi"), Decimal(10**8)),
}
# The template's money columns are in 万元, as Chinese statements usually are.
TEMPLATE_MONEY_SCALE: Final = Decimal(10**4)
PERCENT_UNITS: Final = frozenset({"%", "百分比", "百分数", "percent", "pct"})
YEARS_UNITS: Final = frozenset({"年", "years", "year", "yrs"})
UNIT_WORDS: Final[dict[str, frozenset[str]]] = {
    "money": frozenset(MONEY_UNITS),
    "percent": PERCENT_UNITS,
    "years": YEARS_UNITS,
}
# Headers that name the enterprise, in the order they are preferred.
NAME_COLUMNS: Final = tuple(
    column_key(n)
    for n in (
        "企业名称", "公司名称", "单位名称", "机构名称", "企业全称", "公司全称", "申报单位", "名称", "企业",
        "公司", "单位", "company name", "enterprise name", "company", "enterprise", "name",
        "organisation", "organization",
    )
)  # fmt: skip

_BRACKETED: Final = re.compile(
    r"^(?P<name>.*?)\s*[(\[【〔]\s*(?P<inside>[^()\[\]【】〔〕]*?)\s*[)\]】〕]\s*$"
)
_UNIT_PREFIX: Final = re.compile(r"^(?:单位|金额单位|unit|units|in)\s*[:：]?\s*", re.IGNORECASE)
_OPENING: Final = re.compile(r"[(\[【〔]")
_CJK: Final = re.compile(r"[\u3400-\u9fff]")


class ColumnError(Exception):
    """The header cannot be scored: a field named twice, or a unit that does not fit.

    `key` is the message key and `values` fill it; the run words it in the staff's language.
    """

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class FieldColumn:
    index: int
    field: str
    kind: FieldKind
    name: str  # the header as written, without its unit: how messages name the column
    scale: Decimal = Decimal(1)  # money: yuan per bare number
    unit_given: bool = False


@dataclass
class Layout:
    """What the header row says, for reading the rows under it."""

    header: list[str]
    fields: list[FieldColumn]
    kept: list[int]  # the input columns repeated in the output, in order
    name_column: int | None
    lang: str
    passthrough: list[str] = field(default_factory=list)  # columns that are not fields
    near_misses: list[tuple[str, str]] = field(default_factory=list)  # (column, field it resembles)

    @property
    def width(self) -> int:
        return len(self.header)


def header_for(info: FieldInfo, lang: str, cat: Catalogs) -> str:
    """A field's header as the template writes it: its label and, for figures, its unit."""
    unit = {"money": "batch.unit.wan", "percent": "batch.unit.percent", "years": "batch.unit.years"}.get(
        info.kind
    )
    label = info.label.get(lang)
    return cat.text(lang, "batch.header.with_unit", name=label, unit=cat.text(lang, unit)) if unit else label


def has_chinese(text: str) -> bool:
    return _CJK.search(text) is not None


def split_unit(header: str) -> tuple[str, str | None]:
    """(name, unit) of a header cell: ``营业收入（万元）`` → (营业收入, 万元); no brackets → (header, None).

    The unit is what the brackets hold, without a ``单位：`` in front; the caller decides
    whether it is a unit at all.
    """
    text = " ".join(unicodedata.normalize("NFKC", header).split()).rstrip("* ")
    found = _BRACKETED.match(text)
    if found is None or not found["name"]:
        return text, None
    return found["name"], _UNIT_PREFIX.sub("", found["inside"])


def _is_result(header: str, result_names: Collection[str]) -> bool:
    """Whether `header` is a column an earlier run added (its header may carry a note)."""
    text = unicodedata.normalize("NFKC", header)
    return column_key(text) in result_names or column_key(_OPENING.split(text, maxsplit=1)[0]) in result_names


def _unit_kind(unit: str) -> str | None:
    key = column_key(unit)
    return next((kind for kind, words in UNIT_WORDS.items() if key in words), None)


def layout(
    header: Sequence[str], rules: Rules, result_names: Collection[str], lang: str | None = None
) -> Layout:
    """Read a header row. `result_names` are the column keys of the columns a run adds.

    The sheet's language (when `lang` is None) is the one its headers are written in: a
    Chinese label or a column in Chinese counts for Chinese, an English label or an English
    column for English, a field id for neither; Chinese wins a tie, English an empty count.

    Raises :class:`ColumnError` for a field named by two columns, or a unit of another
    kind than the field's (营业收入（%）).
    """
    names = [cell.strip().removeprefix("\ufeff").strip() for cell in header]
    while names and not names[-1]:
        names.pop()
    by_name: dict[str, tuple[FieldInfo, str | None]] = {}  # name → (field, the name's language)
    for info in rules.fields.field:
        by_name[column_key(info.id)] = (info, None)
        by_name[column_key(info.label.zh)] = (info, "zh")
        by_name.setdefault(column_key(info.label.en), (info, "en"))
        for alias in info.aliases:
            by_name.setdefault(column_key(alias), (info, "zh" if has_chinese(alias) else "en"))
    fields: list[FieldColumn] = []
    kept: list[int] = []
    passthrough: list[str] = []
    near: list[tuple[str, FieldInfo]] = []
    votes = {"zh": 0, "en": 0}
    name_column: tuple[int, int] | None = None  # (preference, index)
    for index, raw in enumerate(names):
        if _is_result(raw, result_names):
            continue  # an earlier run's result: replaced
        kept.append(index)
        whole = column_key(raw)
        name, unit = split_unit(raw)
        found = by_name.get(whole)
        if found is None:
            found = by_name.get(column_key(name))
        else:
            name, unit = raw, None
        if found is None:
            if raw:
                passthrough.append(raw)
                votes["zh" if has_chinese(raw) else "en"] += 1
                if whole in NAME_COLUMNS:
                    rank = NAME_COLUMNS.index(whole)
                    if name_column is None or rank < name_column[0]:
                        name_column = (rank, index)
                else:
                    close = difflib.get_close_matches(column_key(name), list(by_name), n=1, cutoff=0.75)
                    if close:
                        near.append((raw, by_name[close[0]][0]))
            continue
        info, written_in = found
        if written_in is not None:
            votes[written_in] += 1
        scale, given = Decimal(1), False
        kind = _unit_kind(unit) if unit else None
        if kind is not None:
            if kind != info.kind:
                raise ColumnError("batch.header.bad_unit", column=raw, unit=unit or "")
            given = True
            if kind == "money":
                scale = MONEY_UNITS[column_key(unit or "")]
        fields.append(FieldColumn(index, info.id, info.kind, name, scale, given))
    seen: dict[str, str] = {}
    for col in fields:
        if col.field in seen:
            raise ColumnError("batch.header.repeated", first=seen[col.field], second=names[col.index])
        seen[col.field] = names[col.index]
    lang = lang or ("zh" if votes["zh"] and votes["zh"] >= votes["en"] else "en")
    return Layout(
        header=names,
        fields=fields,
        kept=kept,
        name_column=name_column[1] if name_column else None,
        lang=lang,
        passthrough=passthrough,
        near_misses=[(column, info.label.get(lang)) for column, info in near],
    )
