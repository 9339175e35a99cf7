"""The FAQ knowledge base: questions and answers written from the seeds, and the search lexicon.

:func:`load_faq` reads ``faq.toml`` (the entries) and ``faq_lexicon.toml`` (the domain
dictionary, synonyms, hand-off phrases and search thresholds) from a rules folder, checks
them and returns a :class:`FaqBase`. Any problem raises :class:`~rules.loader.RulesError`
naming the file and the entry id, in the style of :func:`~rules.loader.load_rules`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from rules.loader import DATA_DIR, RulesError, _load
from rules.model import Label, Meta, Source, Strict, _unique

Topic = Literal[
    "association",
    "membership",
    "contacts",
    "recognition",
    "indicators",
    "application",
    "subsidies",
    "action_plan",
    "service_station",
    "districts",
    "listing_alliance",
]

# Seed 001 is a consultancy's article: its company name and its 400 line are advertising,
# and in seed 000 that 400 line is glued to the end of a mobile number. Never a contact.
ADVERTISER_MARKERS = ("400-086-8855", "4000868855", "400 086 8855", "华夏泰科")

# Dates in the seeds run from 2019 to 2025; anything far outside is a typing slip.
_EARLIEST, _LATEST = date(1980, 1, 1), date(2100, 12, 31)


def _blank(text: str) -> bool:
    return not text.strip()


# A not-in-sources answer says in its own words whom to ask (the secretariat, or another
# body and the association); the reply follows it with the secretariat's contacts under a
# heading that does not ask again (faq.not_in_sources.contacts).
ASKS_THE_ASSOCIATION: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "zh": (("请向", "请与"), ("秘书处", "本会")),
    "en": (("ask", "check"), ("secretariat", "association")),
}

# Enough phrasings to cover how people ask, few enough that each one is read by a person.
MAX_ASKS = 12
MAX_ASKS_EN = 8

# An answer worked out from the rules data the scoring engine uses, instead of a text:
# an indicator's bands (and the points of a value named in the question), a tier's
# requirements, the tier the figures of a question reach, the four recognition conditions
# or one of them, the direct-pass routes, the district SME authorities (the one a question
# names, else all of them).
RULE_PATTERN = (
    r"^(indicator:[0-9]{1,2}|tier:(member|director|vice_president)|tiers|tier_for|conditions"
    r"|condition:(innovative_sme|niche_years|rd_expense|revenue|score_or_direct)|direct_routes|districts)$"
)


class FaqEntry(Strict):
    """One question and its answer, in both languages, with the ways people ask it.

    Either `answer` (a text written from the seeds) or `rule` (an answer computed from the
    rules data, see :data:`RULE_PATTERN`). `not_in_sources`: the answer says that the
    sources do not state what is asked, and gives the secretariat's contacts.
    `asks`, `asks_en`: other ways people ask it (no two entries share one). `about`: facet
    words (see :class:`Facet`) the entry is about beyond those its question names.
    `replaces`: ids of entries merged into this one, which still name it (a suggestion
    button sent before the merge, a stored question set).
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    topic: Topic
    question: Label
    answer: Label | None = None
    rule: str | None = Field(default=None, pattern=RULE_PATTERN)
    not_in_sources: bool = False
    asks: list[str] = Field(min_length=3, max_length=MAX_ASKS)
    asks_en: list[str] = Field(default_factory=list, max_length=MAX_ASKS_EN)
    about: list[str] = Field(default_factory=list)
    replaces: list[str] = Field(default_factory=list)
    source: Source
    valid_from: date | None = None
    valid_to: date | None = None
    as_of: date | None = None

    @model_validator(mode="after")
    def _sound(self) -> FaqEntry:
        if (self.answer is None) == (self.rule is None):
            raise ValueError("give exactly one of answer and rule")
        if self.rule is not None and self.not_in_sources:
            raise ValueError("a computed answer is in the sources: drop not_in_sources")
        if self.not_in_sources and self.answer is not None:
            for lang, (verbs, whom) in ASKS_THE_ASSOCIATION.items():
                said = self.answer.get(lang).lower()
                if not (any(v in said for v in verbs) and any(w in said for w in whom)):
                    raise ValueError(
                        f"answer.{lang} is not in the sources: say whom to ask "
                        f"({' / '.join(verbs)} … {' / '.join(whom)}); their contacts follow it"
                    )
        labels = [("question", self.question)] + ([("answer", self.answer)] if self.answer else [])
        for name, label in labels:
            for lang in ("zh", "en"):
                if _blank(label.get(lang)):
                    raise ValueError(f"{name}.{lang} is blank")
        for ask in [*self.asks, *self.asks_en]:
            if _blank(ask):
                raise ValueError("an ask is blank")
        _unique([a.strip() for a in self.asks], "ask")
        _unique([a.strip().lower() for a in self.asks_en], "English ask")
        for old in self.replaces:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", old):
                raise ValueError(f"replaces {old!r}: not an entry id")
        for when in (self.valid_from, self.valid_to, self.as_of):
            if when is not None and not _EARLIEST <= when <= _LATEST:
                raise ValueError(f"date {when} is out of range")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        if self.rule is not None and (self.valid_to or self.as_of):
            raise ValueError("a computed answer takes no dates: the rules data carries them")
        # A dated answer must say its date, so that no one takes an old figure for a current one.
        for when, what in ((self.valid_to, "valid_to"), (self.as_of, "as_of")):
            if when is not None and self.answer is not None:
                for lang in ("zh", "en"):
                    if str(when.year) not in self.answer.get(lang):
                        raise ValueError(f"answer.{lang} must mention the year of {what} ({when.year})")
        for text in self.texts():
            for marker in ADVERTISER_MARKERS:
                if marker in text:
                    raise ValueError(f"mentions the advertiser of seed 001 ({marker!r})")
        return self

    def texts(self) -> list[str]:
        """Every text of the entry: questions, answers (when written out) and asks."""
        answers = [self.answer.zh, self.answer.en] if self.answer else []
        return [self.question.zh, self.question.en, *answers, *self.asks, *self.asks_en]


# The source of an entry made from a staff answer (bot/knowledge.py): no seed document, the
# secretariat itself on the day it answered (the clause); kept apart from the seed entries.
STAFF_SOURCE = "secretariat"


class StaffEntry(FaqEntry):
    """An entry made by staff from an answer they gave: checked like every entry, but one
    phrasing (the question as it was asked) is enough."""

    asks: list[str] = Field(min_length=1, max_length=MAX_ASKS)

    @model_validator(mode="after")
    def _staff_source(self) -> StaffEntry:
        if self.source.file != STAFF_SOURCE:
            raise ValueError(f"a staff entry cites {STAFF_SOURCE!r}, not {self.source.file!r}")
        return self


class FaqEntries(Strict):
    entry: list[FaqEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self) -> FaqEntries:
        # an id merged into an entry stays taken: it still names that entry
        _unique([i for e in self.entry for i in (e.id, *e.replaces)], "entry")
        # one phrasing in two entries would make the search pick one of them at random
        seen: dict[str, str] = {}
        for e in self.entry:
            for text in (e.question.zh, e.question.en, *e.asks, *e.asks_en):
                key = _phrasing_key(text)
                if key in seen and seen[key] != e.id:
                    raise ValueError(f"entry[{e.id}]: {text!r} is also a phrasing of entry[{seen[key]}]")
                seen[key] = e.id
        return self


def phrasing_key(text: str) -> str:
    """A phrasing as compared across entries: case, spaces and punctuation aside."""
    return _phrasing_key(text)


def _phrasing_key(text: str) -> str:
    """A phrasing as compared across entries: case, spaces and punctuation aside."""
    return re.sub(r"[\s\W_]+", "", unicodedata.normalize("NFKC", text).lower())


# ---------------------------------------------------------------- lexicon


class Terms(Strict):
    zh: list[str]


class Synonym(Strict):
    """A canonical word and the ways people say it. `boost`: whether the canonical word,
    when a question has it, weighs `synonym_boost` (it says what is asked: 条件, 会费); not
    for a word that only says how it is asked (含义: "什么意思").)"""

    word: str = Field(min_length=1)
    zh: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)
    # Chinese phrases found in the text as typed, without becoming words of the tokenizer
    # ("可以申请吗" says 条件 without taking 申请 out of the question's words).
    phrases: list[str] = Field(default_factory=list)
    boost: bool = True


class Phrases(Strict):
    zh: list[str]
    en: list[str]


class Places(Strict):
    """Place names, by how far the knowledge base reaches (its answers are Guangzhou's,
    the recognition rules are Guangdong's, the listing alliance is national)."""

    guangzhou: list[str]
    province: list[str]  # Guangdong itself: the province's rules, never another place
    guangdong: list[str]  # its other cities
    national: list[str]
    elsewhere: list[str]
    province_topics: list[Topic]
    national_topics: list[Topic]
    # Topics where a place outside Guangzhou is no other place's policy but a question the
    # sources leave open: whether a firm from Hong Kong or Beijing may join the association.
    open_topics: list[Topic] = Field(default_factory=list)


class Foreign(Strict):
    """Named things the knowledge base does not cover: another programme, organisation or
    subject. `who`: the catalog key of a hint on who does cover it."""

    kind: Literal["programme", "organisation", "subject"]
    names: list[str] = Field(min_length=1)
    who: str | None = Field(default=None, pattern=r"^faq\.who\.[a-z_]+$")


class Scope(Strict):
    """What lies outside the knowledge base, and the words that say a question is inside."""

    places: Places
    foreign: list[Foreign]
    # Words that name what the knowledge base covers: with one of them, a foreign word
    # is context ("我们是高新技术企业，能申报专精特新吗"), not the subject.
    anchors: list[str]
    # Words of the domain that do not name a programme (会员, 补贴, 条件): a question with
    # one of them and no match is in the domain but not in the sources.
    domain: list[str]
    organisation_suffixes: list[str]
    known_organisations: list[str]
    # Entries of a topic that only answer when the question names it (联盟的会员).
    topic_requires: dict[Topic, list[str]]


class Facet(Strict):
    """Words of which a question names one (a tier, a level of recognition, what is asked):
    an entry about one of them does not answer a question that names another. With a
    `default`, a question that names none is read as naming it (or them): the general entry
    (the 会员单位's rights, the provincial conditions) answers a general question."""

    name: str = Field(pattern=r"^[a-z][a-z_]*$")
    words: list[str] = Field(min_length=2)
    default: list[str] = Field(default_factory=list)
    # Whether its words, as canonical words of the synonym table, weigh `synonym_boost`:
    # yes for what is asked (条件, 流程), no for whose or which it is (促进会, 理事单位).
    boost: bool = True
    # What an entry about none of its words is about, by its topic (every entry is someone's:
    # the association's, the programme's, the alliance's…); an entry of a topic not listed,
    # and of a facet without this, is about none of them (an entry for every tier is general).
    by_topic: dict[Topic, str] = Field(default_factory=dict)
    # Words (canonical, of the synonym table or of other facets) that name one of its words
    # too: a question about 理事单位 or 入会 is about the association.
    implied_by: dict[str, list[str]] = Field(default_factory=dict)
    # Words that make one of its words possible beside the defaults, rather than instead of
    # them, in a question that names none of its words: a district of Guangzhou named
    # ("黄埔区找谁") may be asked of its SME authority, or be where the firm is ("黄埔区的企业
    # 怎么申报"); with 促进会 named, it is where the association is.
    widened_by: dict[str, list[str]] = Field(default_factory=dict)
    # The word a question that names nothing but other facets' words is read as naming:
    # "服务站" alone asks what the service stations are.
    bare: str | None = None

    @model_validator(mode="after")
    def _sound(self) -> Facet:
        _unique(self.words, "facet word")
        named = [
            *self.default,
            *self.by_topic.values(),
            *self.implied_by,
            *self.widened_by,
            *([self.bare] if self.bare else []),
        ]
        for word in named:
            if word not in self.words:
                raise ValueError(f"facet {self.name}: {word!r} is not one of its words")
        return self


class OptionAlias(Strict):
    """Words that name an option of an indicator in a question ("有ISO9001能加几分"), beyond
    the option's own aliases in indicators.toml; the rule answers score the options named."""

    indicator: int = Field(ge=1)
    option: str = Field(min_length=1)
    words: list[str] = Field(min_length=1)


class IndicatorCue(Strict):
    """Words of an indicator that bind a value to it when a question names several values
    ("主营业务占比85%、负债率45%": 45% is the debt ratio's)."""

    indicator: int = Field(ge=1)
    words: list[str] = Field(min_length=1)


class SearchSettings(Strict):
    k1: float = Field(gt=0)
    b: float = Field(ge=0, le=1)
    variant_weight: float = Field(ge=0)
    entry_weight: float = Field(ge=0)
    answer_weight: float = Field(ge=0)
    ngram_weight: float = Field(ge=0)
    cosine_weight: float = Field(ge=0)
    cosine_ngram_weight: float = Field(ge=0)
    synonym_boost: float = Field(ge=1)
    handoff_below: float = Field(ge=0)
    suggest_at: float = Field(ge=0)
    answer_at: float = Field(ge=0)
    close_ratio: float = Field(gt=0, le=1)
    clear_gap: float = Field(gt=0)
    # The share of the question's subject words the best entry must use, or it is a weak match.
    subject_floor: float = Field(ge=0, le=1)
    # A match at `lead_at` or more answers when the runner-up scores at most `lead_ratio` of it.
    lead_at: float = Field(ge=0)
    lead_ratio: float = Field(ge=0, le=1)
    # An unknown proper name (a place, a company) weighs this many times an unknown word.
    unknown_name_weight: float = Field(ge=1)
    # An entry about another word of a facet than the question's keeps this share of its score.
    facet_penalty: float = Field(gt=0, le=1)
    max_chars: int = Field(gt=0)

    @model_validator(mode="after")
    def _order(self) -> SearchSettings:
        weights = (self.variant_weight, self.entry_weight, self.answer_weight, self.ngram_weight)
        if sum(weights) + self.cosine_weight + self.cosine_ngram_weight <= 0:
            raise ValueError("the channel weights are all 0")
        if self.answer_at < self.handoff_below:
            raise ValueError("answer_at is below handoff_below")
        if self.suggest_at > self.handoff_below:
            raise ValueError("suggest_at is above handoff_below")
        return self


class Lexicon(Strict):
    terms: Terms
    synonym: list[Synonym]
    stopwords: Phrases
    handoff: Phrases
    # Questions to the assistant about itself ("你是谁", "what can you do"), answered by its
    # introduction: the whole question, punctuation and particles aside.
    about_me: Phrases = Field(default_factory=lambda: Phrases(zh=[], en=[]))
    scope: Scope
    facet: list[Facet] = Field(default_factory=list)
    option_alias: list[OptionAlias] = Field(default_factory=list)
    indicator_cue: list[IndicatorCue] = Field(default_factory=list)
    search: SearchSettings

    @model_validator(mode="after")
    def _sound(self) -> Lexicon:
        words = [*self.terms.zh, *self.stopwords.zh, *self.stopwords.en, *self.handoff.zh, *self.handoff.en]
        words += [*self.about_me.zh, *self.about_me.en]
        places = self.scope.places
        words += [*places.guangzhou, *places.province, *places.guangdong, *places.national, *places.elsewhere]
        words += [n for f in self.scope.foreign for n in f.names] + self.scope.anchors + self.scope.domain
        for s in self.synonym:
            words += [s.word, *s.zh, *s.en, *s.phrases]
        words += [w for f in self.facet for w in f.words]
        if any(_blank(w) for w in words):
            raise ValueError("a word is blank")
        _unique([s.word for s in self.synonym], "synonym word")
        # A variant that belongs to two words would make the expansion depend on file order.
        _unique([v for s in self.synonym for v in {x.lower() for x in (*s.zh, *s.en)}], "synonym variant")
        # A place in two lists, or a foreign name that is also an anchor, would be read both ways.
        _unique(
            [
                p.lower()
                for p in (
                    *places.guangzhou,
                    *places.province,
                    *places.guangdong,
                    *places.national,
                    *places.elsewhere,
                )
            ],
            "place",
        )
        _unique([f.name for f in self.facet], "facet")
        _unique([w for f in self.facet for w in f.words], "facet word")
        foreign = {n.lower() for f in self.scope.foreign for n in f.names}
        both = sorted(foreign & {a.lower() for a in self.scope.anchors})
        if both:
            raise ValueError(f"{both[0]!r} is both a foreign name and an anchor")
        return self


# ---------------------------------------------------------------- the base


@dataclass(frozen=True)
class FaqBase:
    """The checked FAQ entries and the search lexicon."""

    entries: tuple[FaqEntry, ...]
    lexicon: Lexicon
    _by_id: dict[str, FaqEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id = {old: e for e in self.entries for old in e.replaces}
        by_id.update({e.id: e for e in self.entries})
        object.__setattr__(self, "_by_id", by_id)

    def get(self, entry_id: str) -> FaqEntry:
        """The entry with this id, or the one it was merged into. Raises KeyError for an
        unknown id."""
        return self._by_id[entry_id]

    def resolve(self, entry_id: str) -> str:
        """The id of the entry that answers for `entry_id` now (itself, unless merged).
        Raises KeyError for an unknown id."""
        return self._by_id[entry_id].id

    @property
    def ids(self) -> list[str]:
        """Every id that names an entry: the entries' own, then those merged into them."""
        return [e.id for e in self.entries] + [old for e in self.entries for old in e.replaces]


def load_faq(folder: Path | str = DATA_DIR) -> FaqBase:
    """Read and check ``faq.toml`` and ``faq_lexicon.toml`` in `folder`. Raises RulesError."""
    folder = Path(folder)
    meta = _load(folder, "meta.toml", Meta)
    entries = _load(folder, "faq.toml", FaqEntries)
    lexicon = _load(folder, "faq_lexicon.toml", Lexicon)
    seeds = {s.file for s in meta.sources}
    problems = [
        f"faq.toml: entry[{e.id}]: cites {e.source.file!r}, not a source in meta.toml"
        for e in entries.entry
        if e.source.file not in seeds
    ]
    facet_words = {w for f in lexicon.facet for w in f.words}
    problems += [
        f"faq.toml: entry[{e.id}].about: {word!r} is not a facet word of faq_lexicon.toml"
        for e in entries.entry
        for word in e.about
        if word not in facet_words
    ]
    if problems:
        raise RulesError("\n".join(problems))
    return FaqBase(entries=tuple(entries.entry), lexicon=lexicon)


@cache
def default_faq() -> FaqBase:
    """The bundled FAQ, loaded once per process."""
    return load_faq(DATA_DIR)
