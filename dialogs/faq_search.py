"""Find the FAQ entry that answers a question, or decide to suggest or to hand off.

Built once from a loaded :class:`~rules.faq.FaqBase` (entries and lexicon); a query does
no I/O. The pipeline:

1. **Normalise**: Unicode NFKC, control and format characters out, lower case,
   traditional → simplified Chinese (OpenCC ``t2s``, which ships its dictionaries).
2. **Tokenise**: Chinese with jieba (``rjieba``, dictionary shipped) plus the domain terms,
   English words by a regular expression, numbers with their unit ("450万", "70分") kept
   whole; stopwords out.
3. **Expand synonyms**: a variant ("交钱", "dues") adds its canonical word ("会费").
4. **Score** four BM25 channels, each divided by the most the question could score there
   so that scores compare across questions, and blend them: words against each question
   variant (an entry counts its best one), words against all variants of an entry at
   once, words against the answer (it holds facts no variant repeats), and character
   n-grams (Chinese bigrams, English trigrams) against each variant, which forgive typos
   and odd segmentation of short questions.
5. **Scope**: a place, programme or organisation the knowledge base does not know
   (from the lexicon's ``[scope]``, or a proper name the tokenizer tags and the entries
   never use) keeps the question out, unless it also names what the knowledge base covers
   and, for a place, the best entry is one that place's firms are answered by (the
   provincial rules for a Guangdong city, the national listing alliance for anywhere).
6. **Decide**: out of scope on garbage, a foreign name or a weak match with no word of
   the domain; "not in the sources" on a weak match within the domain (a hand-off when
   staff are reachable); a hand-off when a person is asked for; an answer when the best
   match is strong and clearly ahead; otherwise the top three to choose from.

Why a small BM25 of our own rather than a library: the corpus is a few hundred short
texts, the per-query normalisation and the max-over-variants need the postings anyway,
and it keeps numpy and scipy out of the chat path.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import opencc
import rjieba

from dialogs.i18n import Catalogs, load_catalogs
from dialogs.rule_answers import CUE, rule_text
from rules import Rules, default_rules
from rules.faq import ADVERTISER_MARKERS, FaqBase, FaqEntry, Lexicon, SearchSettings, default_faq

Decision = Literal["answer", "suggest", "handoff", "out_of_scope"]
Lang = Literal["zh", "en"]
Region = Literal["guangzhou", "province", "guangdong", "national", "elsewhere"]
# Tags of the tokenizer for proper names: places, people, organisations. Not "nrt"
# (transliterated names): it tags pieces of ordinary questions ("特色化里加几分" → 里加, Riga).
_NAME_TAGS = frozenset({"ns", "nr", "nt"})
# Of the words no entry uses: nouns, abbreviations and set phrases name something (医保,
# 任期); adverbs, conjunctions, pronouns, particles, prepositions, numerals and measure
# words only shape the sentence (一定, 要是, 分别) and are dropped.
_NAMING_TAGS = frozenset("njli")
_FUNCTION_TAGS = frozenset("dcruypmqfeo")
# Words of the knowledge base outweigh the tokenizer's general dictionary, so that
# "营收不到" reads 营收 / 不到, not 营 / 收不到.
_DOMAIN_FREQ = 200_000

TOP_N = 3

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_HAN_RUN = re.compile(f"[{_HAN}]+")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9]*(?:[&'-][a-z0-9]+)*")
# A number and its unit stay one token, and apart from the words around them ("450万得几分"
# would otherwise read as "万得", a company name).
_NUMBER = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|亿元|万|亿|元|%|分|年|家|名|强|人|辆|级)?")
_CONTENT = re.compile(f"[{_HAN}a-z0-9]")
# A bare number ("6", "18", "2019") says nothing of what is asked: no content word.
_BARE_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# A run of digits as a phone number is written: 400-086-8855, 400 086 8855, 4000868855.
_DIGIT_RUN = re.compile(r"\d(?:[\d\s.\-\u2010-\u2015]*\d)?")
# The tags of a name that, after a place name, makes one company name of both ("华夏" +
# "泰科": a consultancy, not a place called 华夏).
_AFTER_PLACE_NAME = frozenset({"nz", "nr", "nrt", "nt", "nrfg"})
# A question to the assistant about itself, as compared: greetings before it, closing
# particles, spaces and signs aside ("请问，你是谁呀？" is "你是谁").
_ABOUT_ME_NOISE = re.compile(r"^(?:请问|你好|您好|hi|hello|hey)|[\s?？!！。.,，、~～]+|[呀啊呢吗嘛哈]+$")
# A Chinese numeral with a unit after it ("七十分", "一千万", "三年半") reads as digits, as
# people also type it ("70分", "1000万"); a numeral without one ("一下", "开四停四") stays.
_CN_NUMERAL = re.compile(
    r"(?<![零〇一二两三四五六七八九十百千])([零〇一二两三四五六七八九十百千]+)"
    r"(?=万|亿|元|分|年|%|家|名|强|人|项|辆|级|倍|个百分点|成)"
)
_CN_PERCENT = re.compile(r"百分之([零〇一二两三四五六七八九十百]+)")
# Two neighbouring digits before a unit are a range ("五六千万", "两三年"): the search reads
# the first, so that the figure is one token as "5000万" is (the rule answers read the range).
_CN_PAIR = re.compile(
    r"(?<![零〇一二两三四五六七八九十百千])([一二两三四五六七八九])([一二两三四五六七八九])(?=[十百千万亿年%分成])"
)
_DIGIT_THOUSAND = re.compile(r"(\d+(?:\.\d+)?)\s*千万")
_CN_VALUE = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_SUSPICIOUS = re.compile(
    r"<\s*/?\s*(?:script|iframe|object|embed|svg|img|style)\b|javascript\s*:|\bon[a-z]+\s*=|"
    r"\{\{|\{%|\$\{|<\?php|\bunion\s+select\b|;\s*drop\s+table\b|\bexec\s*\(|\beval\s*\("
)


@dataclass(frozen=True)
class FaqResult:
    """What to do with a question.

    `decision`: "answer" (give `top[0]`; with reason "not_in_sources" and no `top`, say the
    sources do not answer it), "suggest" (offer `top`), "handoff" (a person: asked for, or
    staff are reachable and the sources do not answer) or "out_of_scope" (say what the
    assistant covers). `top`: up to three (entry id, score), best first. `confidence`:
    the best score, clipped to 0..1. `reason`: a short machine-readable why: confident,
    clear_lead, close_call, low_confidence, not_in_sources, asked_for_human, other_place,
    other_programme, other_organisation, other_subject, off_topic, empty, no_text,
    no_words (nothing but numbers and stopwords: "6", "100个", "请问"), too_long,
    suspicious, advertiser (the consultancy of seed 001 or its 400 line: never its
    contacts), about_me ("你是谁": the assistant introduces itself). `lang`: the language
    to answer in. `named`: the foreign word that
    kept the question out, and `who` the catalog key of a hint on who covers it.
    """

    decision: Decision
    top: list[tuple[str, float]]
    confidence: float
    reason: str
    lang: Lang
    named: str | None = None
    who: str | None = None

    @property
    def entry_id(self) -> str | None:
        """The entry that answers, if the decision is an answer from an entry."""
        return self.top[0][0] if self.decision == "answer" and self.top else None

    @property
    def not_in_sources(self) -> bool:
        return self.reason == "not_in_sources"


@dataclass(frozen=True)
class Match:
    """A ranking still to be decided on (see :meth:`FaqSearch.match`): the top entries, best
    first; whether the question has a word of the domain; the language to answer in."""

    top: list[tuple[str, float]]
    domain: bool
    lang: Lang
    # the share (by IDF) of the question's subject words, all but those saying what is
    # asked, that the best entry uses: low when the subject is something it does not know
    covered: float = 1.0
    # the question names a place whose firms the sources neither admit nor exclude (香港公司
    # 能入会吗): only an entry that says the sources leave it open answers it
    unstated: bool = False


@dataclass(frozen=True)
class _Named:
    """What a question names: places by region, and foreign names by kind."""

    places: dict[str, Region]
    foreign: list[tuple[str, str, str | None]]  # (word, kind, who)
    anchored: bool  # it names something the knowledge base covers
    domain: bool  # it has a word of the domain


@dataclass(frozen=True)
class _Query:
    words: frozenset[str]
    ngrams: frozenset[str]
    concepts: frozenset[str] = frozenset()  # canonical words of the synonym table
    unknown: frozenset[str] = frozenset()  # nouns no entry uses: what the FAQ may not know


class _Bm25:
    """BM25 over a fixed corpus, with the per-(term, document) weights precomputed."""

    def __init__(self, docs: list[list[str]], k1: float, b: float) -> None:
        self.size = len(docs)
        self.k1 = k1
        avgdl = sum(len(d) for d in docs) / max(1, len(docs)) or 1.0
        df: dict[str, int] = defaultdict(int)
        for doc in docs:
            for term in set(doc):
                df[term] += 1
        self.idf = {t: self._idf(n) for t, n in df.items()}
        self.unseen_idf = self._idf(0)
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            counts: dict[str, int] = defaultdict(int)
            for term in doc:
                counts[term] += 1
            norm = k1 * (1 - b + b * len(doc) / avgdl)
            for term, tf in counts.items():
                self.postings[term].append((i, self.idf[term] * tf * (k1 + 1) / (tf + norm)))

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, terms: dict[str, float]) -> dict[int, float]:
        """BM25 of every document sharing a term; `terms` maps a term to its query weight."""
        out: dict[int, float] = defaultdict(float)
        for term, boost in terms.items():
            for doc, weight in self.postings.get(term, ()):
                out[doc] += boost * weight
        return out

    def ideal(self, terms: dict[str, float]) -> float:
        """The most any document could score for these terms (a term weighs at most
        (k1 + 1) × its IDF); a term no document has counts at the highest IDF, so that
        words the FAQ has never seen pull the normalised score down."""
        return (self.k1 + 1) * sum(boost * self.idf.get(t, self.unseen_idf) for t, boost in terms.items())


class _Cosine:
    """TF-IDF cosine over a fixed corpus of short texts (each a set of terms): 1 for a
    question that is one of the texts, whatever its length, where BM25 cannot reach its
    ideal. Same interface as :class:`_Bm25`: a score divided by :meth:`ideal` is the cosine."""

    def __init__(self, docs: list[list[str]]) -> None:
        size = len(docs)
        df: dict[str, int] = defaultdict(int)
        for doc in docs:
            for term in set(doc):
                df[term] += 1
        self.idf = {t: math.log(1 + (size - n + 0.5) / (n + 0.5)) for t, n in df.items()}
        self.unseen_idf = math.log(1 + (size + 0.5) / 0.5)
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            terms = set(doc)
            norm = math.sqrt(sum(self.idf[t] ** 2 for t in terms)) or 1.0
            for term in terms:
                self.postings[term].append((i, self.idf[term] ** 2 / norm))

    def scores(self, terms: dict[str, float]) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for term, boost in terms.items():
            for doc, weight in self.postings.get(term, ()):
                out[doc] += boost * weight
        return out

    def ideal(self, terms: dict[str, float]) -> float:
        """The length of the question's vector; a term no text has counts at the highest IDF."""
        return math.sqrt(sum((boost * self.idf.get(t, self.unseen_idf)) ** 2 for t, boost in terms.items()))


class FaqSearch:
    """The FAQ index. Build once (a fraction of a second), then call :meth:`search` per question."""

    def __init__(self, base: FaqBase, rules: Rules | None = None, catalogs: Catalogs | None = None) -> None:
        self.base = base
        self.rules = rules or default_rules()
        self.cat = catalogs or load_catalogs()
        lexicon = base.lexicon
        self.settings = lexicon.search
        self._t2s = opencc.OpenCC("t2s")
        self._jieba = rjieba.Jieba()
        self._stop = frozenset(w.lower() for w in (*lexicon.stopwords.zh, *lexicon.stopwords.en))
        self._synonyms: dict[str, str] = {}
        self._phrases: list[tuple[re.Pattern[str], str]] = []
        for syn in lexicon.synonym:
            canonical = self._norm(syn.word)
            for variant in (*syn.zh, *syn.en, syn.word):
                self._variant(self._norm(variant), canonical)
            for phrase in syn.phrases:
                self._phrases.append((re.compile(re.escape(self._norm(phrase))), canonical))
        for word in lexicon.terms.zh:
            self._add_word(self._norm(word))
        self._handoff_zh = frozenset(self._norm(p) for p in lexicon.handoff.zh)
        for phrase in self._handoff_zh:
            self._add_word(phrase)
        self._handoff_en = [_words_pattern(self._norm(p)) for p in lexicon.handoff.en]
        self._about_me = frozenset(
            _about_me_key(self._norm(p)) for p in (*lexicon.about_me.zh, *lexicon.about_me.en)
        )
        self._scope_index()
        self._facet_index(base)

        entry_of: list[int] = []
        variant_docs: list[list[str]] = []
        gram_docs: list[list[str]] = []
        entry_docs: list[list[str]] = []
        answer_docs: list[list[str]] = []
        for index, entry in enumerate(base.entries):
            together: list[str] = []
            for text in _variants(entry):
                q = self._analyse(self._norm(text))
                variant_docs.append(sorted(q.words))
                gram_docs.append(sorted(q.ngrams))
                together += q.words
                entry_of.append(index)
            entry_docs.append(together)
            answer = self._analyse(
                self._norm(" ".join(self.answer_text(entry, lang) for lang in ("zh", "en")))
            )
            answer_docs.append(sorted(answer.words))
        self._entry_of = entry_of
        self._known = frozenset(w for doc in (*variant_docs, *answer_docs) for w in doc)
        vocabulary: list[set[str]] = [set(doc) for doc in answer_docs]
        for doc, owner in zip(variant_docs, entry_of, strict=True):
            vocabulary[owner].update(doc)
        self._vocabulary_of = [frozenset(v) for v in vocabulary]
        self._topic_of = [e.topic for e in base.entries]
        self._index_of = {e.id: n for n, e in enumerate(base.entries)}
        k1, b = self.settings.k1, self.settings.b
        own = list(range(len(base.entries)))
        # (the setting of its weight, index, the entry of each document, n-grams rather than words)
        self._channels: tuple[tuple[str, _Bm25 | _Cosine, list[int], bool], ...] = (
            ("variant_weight", _Bm25(variant_docs, k1, b), entry_of, False),
            ("entry_weight", _Bm25(entry_docs, k1, b), own, False),
            ("answer_weight", _Bm25(answer_docs, k1, b), own, False),
            ("ngram_weight", _Bm25(gram_docs, k1, b), entry_of, True),
            ("cosine_weight", _Cosine(variant_docs), entry_of, False),
            ("cosine_ngram_weight", _Cosine(gram_docs), entry_of, True),
        )

    # ------------------------------------------------------------ building

    def _norm(self, text: str) -> str:
        return arabic_numerals(normalise(text, self._t2s))

    def _add_word(self, word: str) -> None:
        if _HAN_CHAR.search(word):
            self._jieba.add_word(word, _DOMAIN_FREQ, None)

    def _variant(self, variant: str, canonical: str) -> None:
        if _HAN_CHAR.search(variant) and re.search(r"\d", variant):
            # numbers are cut out before segmenting ("开4停4"): match the text itself
            self._phrases.append((re.compile(re.escape(variant)), canonical))
        elif _HAN_CHAR.search(variant):
            self._add_word(variant)
            self._synonyms[variant] = canonical
        elif " " in variant or not _LATIN_WORD.fullmatch(variant):
            self._phrases.append((_words_pattern(variant), canonical))
        else:
            self._synonyms[_stem(variant)] = canonical

    def _scope_index(self) -> None:
        scope = self.base.lexicon.scope
        places = scope.places
        self._places: dict[str, Region] = {}
        self._places_en: list[tuple[re.Pattern[str], str, Region]] = []
        regions: list[tuple[Region, list[str]]] = [
            ("elsewhere", places.elsewhere),
            ("national", places.national),
            ("guangdong", places.guangdong),
            ("province", places.province),
            ("guangzhou", places.guangzhou),
        ]
        for region, names in regions:
            for name in names:
                norm = self._norm(name)
                if _HAN_CHAR.search(norm):
                    self._add_word(norm)
                    self._places[norm] = region
                else:
                    self._places_en.append((_words_pattern(norm), norm, region))
        self._foreign: dict[str, tuple[str, str | None]] = {}
        self._foreign_en: list[tuple[re.Pattern[str], str, str, str | None]] = []
        for group in scope.foreign:
            for name in group.names:
                norm = self._norm(name)
                if _HAN_CHAR.search(norm):
                    self._add_word(norm)
                    self._foreign[norm] = (group.kind, group.who)
                else:
                    self._foreign_en.append((_words_pattern(norm), norm, group.kind, group.who))
        self._anchors = self._word_set(scope.anchors)
        lexicon = self.base.lexicon
        words = [*lexicon.terms.zh, *scope.domain, *scope.anchors]
        # ways of saying what is asked (怎么办理, 要求, 电话) are no sign of the domain:
        # "怎么办理身份证" is not the association's business
        asked = {w for facet in lexicon.facet if facet.boost for w in facet.words}
        words += [w for syn in lexicon.synonym if syn.word not in asked for w in (syn.word, *syn.zh)]
        self._vocabulary = frozenset(self._norm(w) for w in words if _HAN_CHAR.search(w)) - self._stop
        self._domain_words = self._word_set(scope.domain)
        self._org_suffixes = tuple(self._norm(w) for w in scope.organisation_suffixes)
        self._known_orgs = tuple(self._norm(w) for w in scope.known_organisations)
        for org in self._known_orgs:
            self._add_word(org)
        self._province_topics = frozenset(places.province_topics)
        self._national_topics = frozenset(places.national_topics)
        self._open_topics = frozenset(places.open_topics)
        self._requires = {
            topic: frozenset(self._norm(w) for w in words) for topic, words in scope.topic_requires.items()
        }

    def _facet_index(self, base: FaqBase) -> None:
        """The words of each facet, and the ones each entry is about (its `about`: said in
        the data rather than guessed from its question, where 奖励 of 科技奖励 is no subsidy;
        else its topic's, for a facet that says so)."""
        self._facets: list[tuple[frozenset[str], frozenset[str]]] = []
        self._implied: list[dict[str, str]] = []  # per facet: a word that implies → the facet word
        self._widened: list[dict[str, str]] = []  # per facet: a word that adds → the facet word
        for facet in base.lexicon.facet:
            words = frozenset(self._norm(w) for w in facet.words)
            for word in words:
                self._add_word(word)
            self._facets.append((words, frozenset(self._norm(w) for w in facet.default)))
            self._implied.append(
                {self._norm(by): self._norm(word) for word, bys in facet.implied_by.items() for by in bys}
            )
            self._widened.append(
                {self._norm(by): self._norm(word) for word, bys in facet.widened_by.items() for by in bys}
            )
        self._facet_words = frozenset(w for words, _ in self._facets for w in words)
        self._unboosted = frozenset(
            self._norm(w) for facet in base.lexicon.facet if not facet.boost for w in facet.words
        ) | {self._norm(syn.word) for syn in base.lexicon.synonym if not syn.boost}
        # the words that say what is asked (the boosted facets'): no subject of a question
        self._asked = frozenset(
            self._norm(w) for facet in base.lexicon.facet if facet.boost for w in facet.words
        )
        self._entry_facets: list[list[frozenset[str]]] = []
        for entry in base.entries:
            about = {self._norm(w) for w in entry.about}
            mine = []
            for facet, (words, _) in zip(base.lexicon.facet, self._facets, strict=True):
                named = words & about
                if not named and entry.topic in facet.by_topic:
                    named = frozenset({self._norm(facet.by_topic[entry.topic])})
                mine.append(named)
            self._entry_facets.append(mine)

    def _facet_factor(self, query: _Query) -> list[float]:
        """Per entry, the share of its score it keeps: `facet_penalty` for each facet where
        it is about a word other than the question's (or, when the question names none,
        other than the facet's defaults)."""
        named = query.words | query.concepts
        # nothing but what it is about ("服务站", "上市联盟"): each word a facet's or a synonym's of one
        bare = bool(named) and all(
            w in self._facet_words or self._synonyms.get(w) in self._facet_words for w in named
        )
        asked, bare_words = [], []
        for facet, (words, default), implied, widened in zip(
            self.base.lexicon.facet, self._facets, self._implied, self._widened, strict=True
        ):
            found = (words & named) | {implied[w] for w in named if w in implied}
            intro = not found and bare and facet.bare is not None
            if intro:
                found = frozenset({self._norm(facet.bare or "")})
            # a word that widens reads beside the defaults, not beside a word the question names
            asked.append(frozenset(found) or default | {widened[w] for w in named if w in widened})
            bare_words.append(intro)
        penalty = self.settings.facet_penalty
        factors = []
        for about in self._entry_facets:
            factor = 1.0
            for mine, theirs, intro in zip(about, asked, bare_words, strict=True):
                if (mine or intro) and theirs and not mine & theirs:
                    factor *= penalty  # an entry about nothing of a bare question's facet is no intro
            factors.append(factor)
        return factors

    def _word_set(self, words: list[str]) -> tuple[frozenset[str], list[re.Pattern[str]]]:
        zh, en = set(), []
        for word in words:
            norm = self._norm(word)
            if _HAN_CHAR.search(norm):
                self._add_word(norm)
                zh.add(norm)
            else:
                en.append(_words_pattern(norm))
        return frozenset(zh), en

    def answer_text(self, entry: FaqEntry, lang: str) -> str:
        """The entry's answer with no value named: its text, or the rule's computed one."""
        if entry.rule is not None:
            return rule_text(entry.rule, self.rules, lang, self.cat)
        assert entry.answer is not None
        return entry.answer.get(lang)

    # ------------------------------------------------------------ analysis

    def _tokens(self, text: str) -> tuple[list[str], list[str]]:
        """(precise tokens, search tokens) of a normalised text, stopwords included."""
        spaced = _NUMBER.sub(lambda m: f" {m.group(0).replace(' ', '')} ", text)
        numbers = [m.group(0).replace(" ", "") for m in _NUMBER.finditer(text)]
        latin: list[str] = []
        for word in _LATIN_WORD.findall(spaced):
            latin.append(_stem(word))
            if "-" in word:
                latin += [_stem(part) for part in word.split("-")]
        precise = [t for t in self._jieba.cut(spaced) if _HAN_CHAR.search(t)]
        search = [t for t in self._jieba.cut_for_search(spaced) if _HAN_CHAR.search(t)]
        return precise + latin + numbers, search + latin + numbers

    def _analyse(self, text: str) -> _Query:
        precise, _ = self._tokens(text)
        canon = {self._synonyms[t] for t in precise if t in self._synonyms}
        canon |= {canonical for pattern, canonical in self._phrases if pattern.search(text)}
        # Precise tokens only: search-mode sub-words ("会长", "单位" of "副会长单位") would let
        # a long name outweigh the word that says what is asked; the n-grams cover sub-words.
        words = frozenset(t for t in (*precise, *canon) if t not in self._stop)
        concepts = frozenset(c for c in canon if c not in self._stop)
        grams: set[str] = set()
        for piece in (text, *canon):
            for run in _HAN_RUN.findall(piece):
                grams.update(run[i : i + 2] for i in range(len(run) - 1))
                if len(run) == 1:
                    grams.add(run)
            for word in _LATIN_WORD.findall(piece):
                if word not in self._stop:
                    padded = f"#{word}#"
                    grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
        return _Query(words=words, ngrams=frozenset(grams), concepts=concepts)

    # ------------------------------------------------------------ scoring

    def _question(self, norm: str) -> _Query:
        """The analysis of a question. Of the words no entry uses, a noun ("身份证", "任期")
        names what the FAQ may not know and weighs against every match; a number ("7000万")
        or a word of another kind ("一定", "要是", "分别") says nothing either way and is
        dropped."""
        query = self._analyse(norm)
        tags = dict(self._jieba.tag(_NUMBER.sub(lambda m: f" {m.group(0)} ", norm)))
        words, unknown = set(), set()
        for word in query.words:
            if word in self._known or word in query.concepts:
                words.add(word)
            elif _NUMBER.fullmatch(word):
                continue
            elif not _HAN_CHAR.search(word):
                words.add(word)  # English has no tags to tell a noun by
            elif tags.get(word, "n")[:1] in _NAMING_TAGS and word not in self._synonyms:
                words.add(word)
                unknown.add(word)
            elif tags.get(word, "")[:1] not in _FUNCTION_TAGS:
                words.add(word)
        return _Query(frozenset(words), query.ngrams, query.concepts, frozenset(unknown))

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every entry that shares anything with the question, best first, with its score.

        The score blends the two channels, each divided by the most the question could
        score, so it lies in 0..1 (the answer share may push it a little past 1).
        """
        return self._rank(self._question(self._norm(text)))

    def _rank(self, query: _Query, heavy: frozenset[str] = frozenset()) -> list[tuple[str, float]]:
        per_entry: dict[int, float] = defaultdict(float)
        total = 0.0
        boost = self.settings.synonym_boost
        name_weight = self.settings.unknown_name_weight
        heavy = heavy | query.unknown
        boosted = query.concepts - self._unboosted
        words = {w: boost if w in boosted else name_weight if w in heavy else 1.0 for w in query.words}
        ngrams = dict.fromkeys(query.ngrams, 1.0)
        allowed = [self._allowed(i, query) for i in range(len(self.base.entries))]
        for setting, index, owner, grams in self._channels:
            weight = float(getattr(self.settings, setting))
            terms = ngrams if grams else words
            ideal = index.ideal(terms)
            total += weight
            if not ideal or not weight:
                continue
            best: dict[int, float] = defaultdict(float)
            for doc, score in index.scores(terms).items():
                entry = owner[doc]
                if allowed[entry]:
                    best[entry] = max(best[entry], score)
            for entry, score in best.items():
                per_entry[entry] += weight * score / ideal
        if not per_entry or not total:
            return []
        factors = self._facet_factor(query)
        per_entry = {entry: score * factors[entry] for entry, score in per_entry.items()}
        ranked = sorted(per_entry.items(), key=lambda item: (-item[1], item[0]))
        return [(self.base.entries[i].id, round(s / total, 4)) for i, s in ranked]

    def _covered(self, query: _Query, heavy: frozenset[str], top: list[tuple[str, float]]) -> float:
        """The share of the question's subject words (by IDF, an unknown noun or name
        weighing unknown_name_weight) that the best entry's phrasings or answer use; 1 when
        the question has no subject words (only what is asked: "联系方式")."""
        if not top:
            return 0.0
        idf = self._channels[0][1]
        # the words that say what it is about: known to the knowledge base, or unknown nouns
        # ("笔试"); not an unknown verb or adjective ("尽", "可靠") that only shapes the question
        # a synonym counts as its canonical word; a place of Guangzhou is context, not subject
        subject = set()
        for w in query.words:
            w = self._synonyms.get(w, w)
            if w in self._asked or self._places.get(w) == "guangzhou":
                continue
            # an unknown word of two characters or more is a subject too ("注销", "上班"): the
            # entry has nothing on it; a single character ("尽") only shapes the sentence
            if w in self._known or w in query.concepts or w in query.unknown or len(w) >= 2:
                subject.add(w)
        if not subject:
            return 1.0
        weighty = heavy | query.unknown
        mine = self._vocabulary_of[self._index_of[top[0][0]]]

        def mass(words: set[str]) -> float:
            name_weight = self.settings.unknown_name_weight
            return sum(idf.idf.get(w, idf.unseen_idf) * (name_weight if w in weighty else 1.0) for w in words)

        return mass(subject & mine) / mass(subject)

    def _named(self, norm: str, query: _Query) -> _Named:
        """The places, foreign names and domain words of a normalised question."""
        spaced = _NUMBER.sub(" ", norm)
        tagged = _company_names([(w, t) for w, t in self._jieba.tag(spaced) if w.strip()], self._known)
        # as typed: the canonical word a synonym adds ("怎么办理" → 流程) is no word of the question
        tokens = {w for w, _ in tagged} | (set(query.words) - set(query.concepts))
        places: dict[str, Region] = {}
        foreign: list[tuple[str, str, str | None]] = []
        for word, tag in tagged:
            if word in self._places:
                places[word] = self._places[word]
            elif word in self._foreign:
                kind, who = self._foreign[word]
                foreign.append((word, kind, who))
            elif (inner := self._foreign_inside(word)) is not None:
                kind, who = self._foreign[inner]
                foreign.append((inner, kind, who))
            elif self._unknown_name(word, tag):
                if tag == "ns" or word.endswith(("省", "市", "县")):
                    places[word] = "elsewhere"
                else:
                    foreign.append((word, "organisation", None))
        for pattern, name, region in self._places_en:
            if pattern.search(norm):
                places[name] = region
        for pattern, name, kind, who in self._foreign_en:
            if pattern.search(norm):
                foreign.append((name, kind, who))
        foreign += [(org, "organisation", None) for org in self._organisations(tagged)]

        literal = {w for w, _ in tagged}  # as typed: 协会 is not 促进会 here

        def has(words: tuple[frozenset[str], list[re.Pattern[str]]]) -> bool:
            return bool(words[0] & literal) or any(p.search(norm) for p in words[1])

        # a word of the dictionary, in search-mode pieces too (邮箱地址 → 地址), or a figure
        # with its unit (70分, 500万) is of the domain
        pieces = {w for w in self._jieba.cut_for_search(spaced) if len(w) > 1} | tokens
        known = bool(pieces & self._vocabulary) or any(
            _NUMBER.fullmatch(w) and not w.isdigit() for w in query.words
        )
        anchored = has(self._anchors)
        # a district of Guangzhou is the domain's too: its SME authority is in the sources
        local = "guangzhou" in places.values()
        return _Named(places, foreign, anchored, anchored or known or local or has(self._domain_words))

    def _foreign_inside(self, word: str) -> str | None:
        """A foreign name inside a word the knowledge base does not know ("房贷利率" → 利率)."""
        if word in self._known or len(word) < 3 or not _HAN_CHAR.search(word):
            return None
        return next((name for name in self._foreign if len(name) >= 2 and name in word), None)

    def _unknown_name(self, word: str, tag: str) -> bool:
        """A proper name (by its tag) that no entry, anchor or domain word uses."""
        return (
            tag in _NAME_TAGS
            and len(word) >= 2
            and bool(_HAN_CHAR.search(word))
            and word not in self._known
            and word not in self._stop
            and word not in self._anchors[0]
            and word not in self._domain_words[0]
        )

    def _organisations(self, tagged: list[tuple[str, str]]) -> list[str]:
        """Names of organisations the knowledge base does not describe: a word ending in
        协会/商会/联盟… with a name before it ("中国中小企业协会"); "你们协会" is ours."""
        found = []
        for i, (word, _) in enumerate(tagged):
            if not word.endswith(self._org_suffixes):
                continue
            name = word
            j = i - 1
            while (
                j >= 0
                and (tagged[j][1].startswith("n") or tagged[j][1] == "j")
                and tagged[j][0] not in self._stop
            ):
                name = tagged[j][0] + name
                j -= 1
            if name in self._org_suffixes and j >= 0 and tagged[j][1] == "r":
                continue  # 你们协会, 贵会
            # a known body, or a name that ends in one ("广州专精特新促进会"); a place before it
            # is read as a place ("深圳专精特新促进会" is kept out as Shenzhen's)
            if name in self._org_suffixes or any(
                name in known or known in name for known in self._known_orgs
            ):
                continue
            found.append(name)
        return found

    def _allowed(self, entry_index: int, query: _Query) -> bool:
        """Whether an entry may answer: a topic that requires a word (the alliance's) has it."""
        needs = self._requires.get(self._topic_of[entry_index])
        return needs is None or bool(needs & (query.words | query.concepts))

    def _place_keeps_out(self, named: _Named, top_id: str | None) -> str | None:
        """The place that keeps the question out, if any: a place outside Guangzhou, when
        the question names no Guangzhou place and the best entry does not answer for it."""
        regions = set(named.places.values())
        if "guangzhou" in regions or not top_id:
            return None
        topic = self.base.get(top_id).topic
        for place, region in named.places.items():
            if region == "elsewhere" and topic not in self._national_topics:
                return place
            if region == "guangdong" and topic not in self._province_topics | self._national_topics:
                return place
        return None

    # ------------------------------------------------------------ deciding

    def search(
        self,
        text: str,
        lang: str | None = None,
        fallback_lang: str | None = None,
        staff_reachable: bool = False,
    ) -> FaqResult:
        """Decide how to answer `text`. Never raises; garbage is out of scope with a reason.

        `lang` ("zh" or "en") forces the language of the answer; otherwise it is the
        question's own, and `fallback_lang` (the session's) when the question has no words
        to tell by. `staff_reachable`: a person can take the question over, so a question
        of the domain that the sources do not answer is handed off rather than answered
        with the secretariat's contacts.
        """
        found = self.match(text, lang, fallback_lang)
        return found if isinstance(found, FaqResult) else self.conclude(found, staff_reachable)

    def match(
        self, text: str, lang: str | None = None, fallback_lang: str | None = None
    ) -> FaqResult | Match:
        """The first half of :meth:`search`: a final result for what is decided without the
        thresholds (garbage, a request for a person, a foreign name or place), else the
        ranking for :meth:`conclude`. Never raises."""
        raw = text if isinstance(text, str) else ""
        forced: Lang | None = "en" if lang == "en" else "zh" if lang == "zh" else None
        fallback: Lang = "en" if fallback_lang == "en" else "zh"
        limit = self.settings.max_chars

        def result(decision: Decision, reason: str, found: Lang, **more: Any) -> FaqResult:
            return FaqResult(decision, [], 0.0, reason, forced or found, **more)

        if len(raw) > 4 * limit:  # cheap refusal before any work on a pasted document
            return result("out_of_scope", "too_long", detect_lang(raw[:limit], fallback))
        norm = self._norm(raw)
        found = detect_lang(norm, fallback)
        if not norm:
            return result("out_of_scope", "empty", found)
        if len(norm) > limit:
            return result("out_of_scope", "too_long", found)
        if _SUSPICIOUS.search(norm):
            return result("out_of_scope", "suspicious", found)
        if not _CONTENT.search(norm):
            return result("out_of_scope", "no_text", found)
        if _names_advertiser(norm):
            return result("out_of_scope", "advertiser", found)
        if self._asks_for_person(norm):
            return result("handoff", "asked_for_human", found)
        if _about_me_key(norm) in self._about_me:
            return result("out_of_scope", "about_me", found)
        query = self._question(norm)
        if all(_BARE_NUMBER.fullmatch(w) for w in query.words):
            # no content word: a number alone matches whatever entry cites it ("6" → 6 月 18 日)
            return result("out_of_scope", "no_words", found)
        named = self._named(norm, query)
        if named.foreign and not named.anchored:
            word, kind, who = named.foreign[0]
            return result("out_of_scope", f"other_{kind}", found, named=word, who=who)
        heavy = frozenset(w for w, kind, _ in named.foreign if kind == "organisation")
        top = self._rank(query, heavy)[:TOP_N]
        place = self._place_keeps_out(named, top[0][0] if top else None)
        unstated = place is not None and self.base.get(top[0][0]).topic in self._open_topics
        if place is not None and not unstated:
            return result("out_of_scope", "other_place", found, named=place)
        return Match(top, named.domain, forced or found, self._covered(query, heavy, top), unstated)

    def conclude(
        self, found: Match, staff_reachable: bool = False, settings: SearchSettings | None = None
    ) -> FaqResult:
        """The second half of :meth:`search`: the decision on a ranking, by the thresholds
        of `settings` (the lexicon's unless a calibration tries others)."""
        s = settings or self.settings
        top, lang = found.top, found.lang

        def result(decision: Decision, reason: str, ranked: list[tuple[str, float]]) -> FaqResult:
            return FaqResult(decision, ranked, _confidence(ranked), reason, lang)

        if found.unstated:
            # a firm from elsewhere: the sources say nothing of it; the entry that says so
            # answers, else the sources' silence whatever entry is nearest
            if top and self.base.get(top[0][0]).not_in_sources and self.decide(top, s)[0] == "answer":
                return result("answer", "not_in_sources", top)
            return result("handoff" if staff_reachable else "answer", "not_in_sources", [])
        decision, reason = self.decide(top, s)
        if found.covered < s.subject_floor:
            decision = "handoff"  # the best entry knows what is asked, not what it is asked of
        if decision == "handoff":  # a weak match
            if not found.domain:
                return result("out_of_scope", "off_topic", [])
            if staff_reachable:
                return result("handoff", "not_in_sources", [])
            if top and _confidence(top) >= s.suggest_at:
                # nothing sure in the sources: say so, and offer the nearest questions
                return result("suggest", "not_in_sources", top)
            return result("answer", "not_in_sources", [])
        if self.base.get(top[0][0]).not_in_sources:
            # the likeliest reading is one the sources leave open: say so, whatever else is near
            reason = "not_in_sources"
        return result(decision, reason, top)

    def decide(
        self, top: list[tuple[str, float]], settings: SearchSettings | None = None
    ) -> tuple[Decision, str]:
        """(decision, reason) for a ranking, by the calibrated thresholds of the lexicon (or
        `settings`); "handoff" here means only that the match is too weak to offer."""
        s = settings or self.settings
        if top and _confidence(top) >= s.lead_at and (len(top) < 2 or top[1][1] <= s.lead_ratio * top[0][1]):
            return "answer", "clear_lead"  # far ahead of the rest, though not a close paraphrase
        if not top or _confidence(top) < s.handoff_below:
            return "handoff", "no_match"
        clear = len(top) < 2 or top[0][1] - top[1][1] >= s.clear_gap
        if not clear and top[1][1] >= s.close_ratio * top[0][1]:
            return "suggest", "close_call"
        if _confidence(top) >= s.answer_at:
            return "answer", "confident"
        return "suggest", "low_confidence"

    def _asks_for_person(self, norm: str) -> bool:
        precise, _ = self._tokens(norm)
        if self._handoff_zh.intersection(precise):
            return True
        return any(pattern.search(norm) for pattern in self._handoff_en)

    def normalise(self, text: str) -> str:
        """`text` in NFKC, lower case and simplified Chinese, its numerals as typed (the
        rule answers read 一级 and 三年半 themselves)."""
        return normalise(text, self._t2s)

    @property
    def option_words(self) -> dict[tuple[int, str], list[str]]:
        """Words that name an indicator's option, and (under CUE) the indicator's own words,
        for the rule answers (see the lexicon)."""
        words = {(a.indicator, a.option): a.words for a in self.base.lexicon.option_alias}
        return words | {(c.indicator, CUE): c.words for c in self.base.lexicon.indicator_cue}

    def entry(self, entry_id: str) -> FaqEntry:
        return self.base.get(entry_id)

    @property
    def lexicon(self) -> Lexicon:
        return self.base.lexicon


# ---------------------------------------------------------------- helpers


def normalise(text: str, t2s: opencc.OpenCC | None = None) -> str:
    """NFKC, control/format/surrogate characters to spaces, lower case, simplified Chinese."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text).lower()
    text = (t2s or _default_t2s()).convert(text)
    return " ".join(text.split())


@cache
def _default_t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def arabic_numerals(text: str) -> str:
    """Chinese numerals that carry a unit as digits: "七十分" → "70分", "一千万" → "1000万",
    "百分之五" → "5%", "6千万" → "6000万", the first of a range "五六千万" → "5000万"; any
    other numeral is left as it is."""
    text = _CN_PERCENT.sub(lambda m: _cn_number(m.group(1), m.group(0)) + "%", text)
    text = _CN_PAIR.sub(_pair_first, text)
    text = _CN_NUMERAL.sub(lambda m: _cn_number(m.group(1), m.group(0)), text)
    return _DIGIT_THOUSAND.sub(lambda m: _thousand_wan(m.group(1)), text)


def _pair_first(match: re.Match[str]) -> str:
    """五六 → 五 (and 三五 → 三): the first of two neighbouring digits; else as typed."""
    first, second = _CN_VALUE[match[1]], _CN_VALUE[match[2]]
    return match[1] if second == first + 1 or (first, second) == (3, 5) else match[0]


def _cn_number(numeral: str, original: str) -> str:
    """The digits of a Chinese numeral below 10 000 ("三千五百" → "3500", "二〇二四" → "2024"),
    or `original` when it is not one."""
    if all(ch in _CN_VALUE for ch in numeral):  # digit by digit: 二〇二四, 五
        return "".join(str(_CN_VALUE[ch]) for ch in numeral)
    total, digit = 0, None
    for ch in numeral:
        if ch in _CN_VALUE:
            if digit is not None and _CN_VALUE[ch] != 0:
                return original  # two digits in a row inside a positional numeral
            digit = _CN_VALUE[ch] or None
            continue
        place = {"十": 10, "百": 100, "千": 1000}[ch]
        total += (1 if digit is None and place == 10 else digit or 0) * place
        if digit is None and place != 10:
            return original  # 百 or 千 with no digit before it
        digit = None
    return str(total + (digit or 0))


def _thousand_wan(number: str) -> str:
    value = float(number) * 1000
    return f"{value:g}万" if value < 1e12 else number + "千万"


def detect_lang(text: str, fallback: Lang = "zh") -> Lang:
    """English when the text is mostly Latin words, Chinese when it has Chinese, else
    `fallback` (a text of numbers and signs says nothing)."""
    han = len(_HAN_CHAR.findall(text))
    latin = len(re.findall(r"[A-Za-z]{2,}", text))
    if latin and (han == 0 or (latin >= 2 and 3 * latin >= han)):
        return "en"
    return "zh" if han else fallback


_ADVERTISER_DIGITS = tuple(
    "".join(ch for ch in m if ch.isdigit()) for m in ADVERTISER_MARKERS if any(ch.isdigit() for ch in m)
)
_ADVERTISER_NAMES = tuple(m.lower() for m in ADVERTISER_MARKERS if not any(ch.isdigit() for ch in m))


def _names_advertiser(norm: str) -> bool:
    """Whether a normalised question names the consultancy whose article is seed 001, or
    its 400 line however it is spaced: its contacts are advertising, never given."""
    if any(name in norm for name in _ADVERTISER_NAMES):
        return True
    runs = ("".join(ch for ch in run if ch.isdigit()) for run in _DIGIT_RUN.findall(norm))
    return any(number in run for run in runs for number in _ADVERTISER_DIGITS)


def _about_me_key(norm: str) -> str:
    # twice: "你好，你是谁呀？" loses the greeting, the signs, then the particle before them
    return _ABOUT_ME_NOISE.sub("", _ABOUT_ME_NOISE.sub("", norm))


def _company_names(tagged: list[tuple[str, str]], known: frozenset[str]) -> list[tuple[str, str]]:
    """A place name followed by a name ("华夏" + "泰科") is one company name, tagged as an
    organisation: a company is not a place."""
    out: list[tuple[str, str]] = []
    for word, tag in tagged:
        if out and out[-1][1] == "ns" and tag in _AFTER_PLACE_NAME and word not in known:
            out[-1] = (out[-1][0] + word, "nt")
        else:
            out.append((word, tag))
    return out


def _variants(entry: FaqEntry) -> list[str]:
    return [entry.question.zh, entry.question.en, *entry.asks, *entry.asks_en]


def _words_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])")


def _stem(word: str) -> str:
    """A light English stemmer: plurals only (fees → fee, subsidies → subsidy)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _confidence(top: list[tuple[str, float]] | None) -> float:
    return round(min(1.0, max(0.0, top[0][1])), 4) if top else 0.0


@cache
def default_search() -> FaqSearch:
    """The search over the bundled FAQ, built once per process."""
    return FaqSearch(default_faq(), default_rules(), load_catalogs())
