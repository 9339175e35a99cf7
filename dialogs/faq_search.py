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
5. **Decide**: hand off on garbage, a request for a person or a weak best match; answer
   when the best match is strong and clearly ahead; otherwise suggest the top three.

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
from typing import Literal

import opencc
import rjieba

from rules.faq import FaqBase, FaqEntry, Lexicon, default_faq

Decision = Literal["answer", "suggest", "handoff"]
Lang = Literal["zh", "en"]

TOP_N = 3

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_HAN_RUN = re.compile(f"[{_HAN}]+")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9]*(?:[&'-][a-z0-9]+)*")
# A number and its unit stay one token, and apart from the words around them ("450万得几分"
# would otherwise read as "万得", a company name).
_NUMBER = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|亿元|万|亿|元|%|分|年|家|名|强|人|项|辆|级)?")
_CONTENT = re.compile(f"[{_HAN}a-z0-9]")
_SUSPICIOUS = re.compile(
    r"<\s*/?\s*(?:script|iframe|object|embed|svg|img|style)\b|javascript\s*:|\bon[a-z]+\s*=|"
    r"\{\{|\{%|\$\{|<\?php|\bunion\s+select\b|;\s*drop\s+table\b|\bexec\s*\(|\beval\s*\("
)


@dataclass(frozen=True)
class FaqResult:
    """What to do with a question.

    `decision`: "answer" (give `top[0]`), "suggest" (offer `top`) or "handoff" (a person).
    `top`: up to three (entry id, score), best first; empty when nothing matched.
    `confidence`: the best score, clipped to 0..1. `reason`: a short machine-readable why.
    `lang`: the asker's language, detected unless given.
    """

    decision: Decision
    top: list[tuple[str, float]]
    confidence: float
    reason: str
    lang: Lang


@dataclass(frozen=True)
class _Query:
    words: frozenset[str]
    ngrams: frozenset[str]
    concepts: frozenset[str] = frozenset()  # canonical words of the synonym table


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


class FaqSearch:
    """The FAQ index. Build once (a fraction of a second), then call :meth:`search` per question."""

    def __init__(self, base: FaqBase) -> None:
        self.base = base
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
        for word in lexicon.terms.zh:
            self._add_word(self._norm(word))
        self._handoff_zh = frozenset(self._norm(p) for p in lexicon.handoff.zh)
        for phrase in self._handoff_zh:
            self._add_word(phrase)
        self._handoff_en = [_words_pattern(self._norm(p)) for p in lexicon.handoff.en]

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
            answer = self._analyse(self._norm(f"{entry.answer.zh} {entry.answer.en}"))
            answer_docs.append(sorted(answer.words))
        self._entry_of = entry_of
        self._known = frozenset(w for doc in (*variant_docs, *answer_docs) for w in doc)
        k1, b = self.settings.k1, self.settings.b
        own = list(range(len(base.entries)))
        # (index, the entry of each document, n-grams rather than words, weight)
        self._channels = (
            (_Bm25(variant_docs, k1, b), entry_of, False, self.settings.variant_weight),
            (_Bm25(entry_docs, k1, b), own, False, self.settings.entry_weight),
            (_Bm25(answer_docs, k1, b), own, False, self.settings.answer_weight),
            (_Bm25(gram_docs, k1, b), entry_of, True, self.settings.ngram_weight),
        )

    # ------------------------------------------------------------ building

    def _norm(self, text: str) -> str:
        return normalise(text, self._t2s)

    def _add_word(self, word: str) -> None:
        if _HAN_CHAR.search(word):
            self._jieba.add_word(word, None, None)

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
        """The analysis of a question; a number the FAQ never mentions ("7000万") says
        nothing either way, so it is dropped rather than counted as an unknown word."""
        query = self._analyse(norm)
        words = frozenset(w for w in query.words if w in self._known or not _NUMBER.fullmatch(w))
        return _Query(words=words, ngrams=query.ngrams, concepts=query.concepts)

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every entry that shares anything with the question, best first, with its score.

        The score blends the two channels, each divided by the most the question could
        score, so it lies in 0..1 (the answer share may push it a little past 1).
        """
        return self._rank(self._question(self._norm(text)))

    def _rank(self, query: _Query) -> list[tuple[str, float]]:
        per_entry: dict[int, float] = defaultdict(float)
        total = 0.0
        boost = self.settings.synonym_boost
        words = {w: boost if w in query.concepts else 1.0 for w in query.words}
        ngrams = dict.fromkeys(query.ngrams, 1.0)
        for index, owner, grams, weight in self._channels:
            terms = ngrams if grams else words
            ideal = index.ideal(terms)
            total += weight
            if not ideal or not weight:
                continue
            best: dict[int, float] = defaultdict(float)
            for doc, score in index.scores(terms).items():
                entry = owner[doc]
                best[entry] = max(best[entry], score)
            for entry, score in best.items():
                per_entry[entry] += weight * score / ideal
        if not per_entry or not total:
            return []
        ranked = sorted(per_entry.items(), key=lambda item: (-item[1], item[0]))
        return [(self.base.entries[i].id, round(s / total, 4)) for i, s in ranked]

    # ------------------------------------------------------------ deciding

    def search(self, text: str, lang: str | None = None) -> FaqResult:
        """Decide how to answer `text`. Never raises; garbage hands off with a reason.

        `lang` ("zh" or "en") overrides the detected language of the asker.
        """
        raw = text if isinstance(text, str) else ""
        asked: Lang | None = "en" if lang == "en" else "zh" if lang == "zh" else None
        limit = self.settings.max_chars

        def handoff(reason: str, found: Lang = "zh", top: list[tuple[str, float]] | None = None) -> FaqResult:
            return FaqResult("handoff", top or [], _confidence(top), reason, asked or found)

        if len(raw) > 4 * limit:  # cheap refusal before any work on a pasted document
            return handoff("too_long", detect_lang(raw[:limit]))
        norm = self._norm(raw)
        found = detect_lang(norm)
        if not norm:
            return handoff("empty", found)
        if len(norm) > limit:
            return handoff("too_long", found)
        if _SUSPICIOUS.search(norm):
            return handoff("suspicious", found)
        if not _CONTENT.search(norm):
            return handoff("no_text", found)
        if self._asks_for_person(norm):
            return handoff("asked_for_human", found)
        top = self._rank(self._question(norm))[:TOP_N]
        decision, reason = self.decide(top)
        return FaqResult(decision, top, _confidence(top), reason, asked or found)

    def decide(self, top: list[tuple[str, float]]) -> tuple[Decision, str]:
        """(decision, reason) for a ranking, by the calibrated thresholds of the lexicon."""
        s = self.settings
        if not top or _confidence(top) < s.handoff_below:
            return "handoff", "no_match"
        if len(top) > 1 and top[1][1] >= s.close_ratio * top[0][1]:
            return "suggest", "close_call"
        if _confidence(top) >= s.answer_at:
            return "answer", "confident"
        return "suggest", "low_confidence"

    def _asks_for_person(self, norm: str) -> bool:
        precise, _ = self._tokens(norm)
        if self._handoff_zh.intersection(precise):
            return True
        return any(pattern.search(norm) for pattern in self._handoff_en)

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


def detect_lang(text: str) -> Lang:
    """English when the text is mostly Latin words, else Chinese (the default)."""
    han = len(_HAN_CHAR.findall(text))
    latin = len(re.findall(r"[A-Za-z]{2,}", text))
    if latin and (han == 0 or (latin >= 2 and 3 * latin >= han)):
        return "en"
    return "zh"


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
    return FaqSearch(default_faq())
