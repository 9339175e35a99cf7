"""The columns a scored sheet adds after the input's, and the run's summary.

In order: the score, the four group scores, whether the recognition conditions are met,
the conditions not met with what is missing in words, the association tier, what the next
tier needs, the subsidies, the three changes worth most points, the notes on how figures
were read (a range or a bound taken at its conservative end), and the error. Headers
and words are in the sheet's language; labels come from the rules data, sentences from the
catalogs (the same words as the chat's result), figures from the assessment. Numbers are
numbers; text cells are one line (parts separated by ；), so 100,000 rows stay readable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from dialogs import render
from dialogs.i18n import LANGS, Catalogs
from rules import Assessment, Rules
from rules.assessment import ConditionResult, Gap, Improvement, SubsidyHint
from rules.loader import column_key
from rules.model import Tier

__all__ = ["HISTOGRAM_BINS", "ResultColumns", "Tally", "result_names"]

IMPROVEMENTS: Final = 3
HISTOGRAM_BINS: Final = 10  # scores 0–9, 10–19, …, 90–100


def _headers(rules: Rules, cat: Catalogs, lang: str) -> list[str]:
    groups = [g.label.get(lang) for g in rules.indicators.group]
    improvements = [cat.text(lang, "batch.col.improvement", n=n) for n in range(1, IMPROVEMENTS + 1)]
    return [
        cat.text(lang, "batch.col.score"),
        *groups,
        cat.text(lang, "batch.col.eligible"),
        cat.text(lang, "batch.col.failed"),
        cat.text(lang, "batch.col.tier"),
        cat.text(lang, "batch.col.next_tier"),
        cat.text(lang, "batch.col.subsidies"),
        *improvements,
        cat.text(lang, "batch.col.notes"),
        cat.text(lang, "batch.col.error"),
    ]


def result_names(rules: Rules, cat: Catalogs) -> frozenset[str]:
    """The column keys of every result column in every language: dropped from an input."""
    return frozenset(column_key(h) for lang in LANGS for h in _headers(rules, cat, lang))


class ResultColumns:
    """The result headers and cells of one run, in one language, as of one date."""

    def __init__(self, rules: Rules, cat: Catalogs, lang: str, today: date) -> None:
        self.rules, self.cat, self.lang, self.today = rules, cat, lang, today
        self.headers = _headers(rules, cat, lang)
        self.sep = cat.text(lang, "batch.sep")
        self._tiers: dict[str, Tier] = {t.id: t for t in rules.tiers.tier}
        self._yes_no = {o.value: o.label.get(lang) for o in rules.choices.yes_no.options}
        recognition = rules.certifications.get(rules.conditions.recognition_level)
        self._recognition = recognition.label.get(lang)
        statuses = {
            (s.valid_from, s.valid_to, render.subsidy_status(s, today)) for s in rules.subsidies.subsidy
        }
        # One validity for every item (the action plan's): said in full in the header's note, and
        # each expired item still marked in its cell
        self.uniform_validity = len(statuses) == 1
        self.validity_note = ""
        if self.uniform_validity:
            start, end, status = next(iter(statuses))
            self.validity_note = render.validity_text(start, end, status, lang, cat)
        self.subsidies_index = 1 + len(rules.indicators.group) + 4
        self._words = _Words()
        # score, groups and eligible: short cells
        self.narrow_columns = frozenset(range(2 + len(rules.indicators.group)))

    @property
    def width(self) -> int:
        return len(self.headers)

    def subsidies_note(self) -> str:
        """What the subsidies column's header says about the items' validity and source."""
        files = dict.fromkeys(s.source.file for s in self.rules.subsidies.subsidy)
        titles = [t.get(self.lang) for f in files if (t := self.rules.meta.source_title(f)) is not None]
        sources = [self.cat.text(self.lang, "batch.subsidies.source", title=title) for title in titles]
        return self.sep.join(part for part in (self.validity_note, *sources) if part)

    def cells(self, a: Assessment) -> list[Any]:
        """The result cells of an assessment, without the notes and the error (in
        `headers` order)."""
        groups: list[Any] = (
            [None] * len(self.rules.indicators.group)
            if a.groups is None
            else [a.groups[g.id] for g in self.rules.indicators.group]
        )
        improvements: list[Any] = [self._improvement(i) for i in a.improvements]
        improvements += [None] * (IMPROVEMENTS - len(improvements))
        return [
            a.score,
            *groups,
            None if a.eligible is None else self._yes_no[a.eligible],
            self._failed(a) or None,
            self._tier(a),
            self._next_tier(a) or None,
            self._subsidies(a) or None,
            *improvements[:IMPROVEMENTS],
        ]

    def empty(self) -> list[Any]:
        """The result cells of a row not scored, without the notes and the error."""
        return [None] * (self.width - 2)

    def _improvement(self, i: Improvement) -> str:
        return self._words.get(i, lambda: render.improvement_line(i, self.rules, self.lang, self.cat))

    def _failed(self, a: Assessment) -> str:
        return self._words.get(a.conditions, lambda: self._conditions(a.conditions))

    def _conditions(self, conditions: tuple[ConditionResult, ...]) -> str:
        lines: list[str] = []
        for cond in conditions:
            if not cond.met:
                lines += [
                    line.strip() for line in render.condition_lines(cond, self.rules, self.lang, self.cat)
                ]
        return self.sep.join(line for line in lines if line)

    def _tier(self, a: Assessment) -> str:
        if a.tier:
            return self._tiers[a.tier].label.get(self.lang)
        lowest = self.rules.tiers.tier[0].label.get(self.lang)
        return self.cat.text(self.lang, "batch.tier.none", tier=lowest)

    def _next_tier(self, a: Assessment) -> str:
        nxt = a.next_tier
        if nxt is None:
            return self.cat.text(self.lang, "batch.next_tier.top") if a.tier else ""
        tier = self._tiers[nxt.tier].label.get(self.lang)
        if not nxt.gaps:
            return self.cat.text(self.lang, "batch.next_tier.verify", tier=tier)
        gaps = [self._gap(g) for g in nxt.gaps]
        return self.cat.text(self.lang, "batch.next_tier", tier=tier, needs=self.sep.join(gaps))

    def _gap(self, g: Gap) -> str:
        return self._words.get(g, lambda: render.gap_line(g, self.rules, self.lang, self.cat))

    def _subsidies(self, a: Assessment) -> str:
        hints = a.subsidy_hints
        return self._words.get(hints, lambda: self.sep.join(self._hint(h) for h in hints))

    def _hint(self, hint: SubsidyHint) -> str:
        title = hint.title.get(self.lang)
        if hint.status == "expired":  # in the cell itself: a copied or filtered cell keeps it
            title += self.cat.text(self.lang, "subsidy.expired_mark")
        if hint.potential:
            return self.cat.text(self.lang, "batch.subsidy.potential", title=title, level=self._recognition)
        return title


class _Words:
    """The words of result parts already worded in this run: rows share conditions, gaps,
    improvements and subsidy lists, and wording them again is most of a row's cost."""

    _LIMIT: Final = 2048

    def __init__(self) -> None:
        self._known: dict[object, str] = {}

    def get(self, key: object, word: Callable[[], str]) -> str:
        """The words for `key`, from `word()` the first time."""
        found = self._known.get(key)
        if found is None:
            if len(self._known) >= self._LIMIT:
                self._known.clear()  # keep memory flat on any number of rows
            found = self._known[key] = word()
        return found


@dataclass
class Tally:
    """What a run counts for its summary."""

    rows: int = 0
    scored: int = 0
    failed: int = 0
    blank: int = 0
    institutions: int = 0
    conservative: int = 0  # rows scored with a range or a bound taken at its conservative end
    enterprises: int = 0
    eligible: int = 0
    tiers: Counter[str | None] = field(default_factory=Counter)
    histogram: list[int] = field(default_factory=lambda: [0] * HISTOGRAM_BINS)
    uncached: tuple[int, list[str]] = (0, [])  # formula cells without a saved result, the first few

    def add(self, a: Assessment) -> None:
        self.scored += 1
        self.tiers[a.tier] += 1
        if a.score is None:
            self.institutions += 1
            return
        self.enterprises += 1
        self.eligible += bool(a.eligible)
        self.histogram[min(a.score // 10, HISTOGRAM_BINS - 1)] += 1

    @property
    def eligible_share(self) -> float | None:
        return self.eligible / self.enterprises if self.enterprises else None
