"""How fast a self-assessment runs through the assistant with its SQLite store, and how big
the store grows. Prints figures and ratios; asserts nothing.

(a) Full assessments through the assistant ``bot.app.build`` makes for ``zjtx chat``
    (Assistant → DialogEngine → SqliteStore on a temporary file), one message at a time,
    on one core. A step is one ``Assistant.handle_now`` call: load
    the session and the last result, run the dialog, commit the new session (and, at the
    end, the finished assessment). Reported: answers per second, p50/p90/p99/max latency
    per step, and the slowest kinds of step. The same steps through MemoryStore are the
    baseline, reported side by side and as a ratio: what the SQLite commit costs.
    Every step also writes the turn's reminder and statistics events in its commit.
(b) The store's size with many finished assessments: real assessments (of the same three
    conversations as in (a)) saved with ``SqliteStore.save``, one person and one commit
    each, as in service; and as many people stopped in the middle of a questionnaire, each
    with its reminder scheduled and the events of the question they stopped at (the same
    save, one commit each). Reported: bytes on disk after a checkpoint, bytes per
    assessment, the share of each table where SQLite can tell, the step latency of (a)
    again on the full store, and the reminder scheduler's queries (what is due, when the
    next one is) over the waiting reminders.

Run from the repository root: ``python -m bench.dialog [--dialogs 200] [--assessments 100000]
[--reminders 100000] [--quick]`` (``--quick``: 20 dialogs, 5,000 of each).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import App, build
from bot.db import connect
from bot.reminders.timing import ReminderPolicy
from bot.service import Assistant
from bot.settings import TIMEZONE, Settings
from bot.store import MemoryStore, SessionKey, SqliteStore
from dialogs.engine import DialogEngine, Finished
from dialogs.flow import CONFIRM, CONFIRM_PREFIX
from dialogs.intents import Event, Reminder
from dialogs.messages import Inbound, Question, Result
from dialogs.session import Session
from tests.conversations import EXAMPLE_A_TYPED, INSTITUTION_TYPED, SMALL_MUNICIPAL_TYPED, TODAY

# Three conversations, answered the way people type (tests/conversations.py): worked
# example A; a small municipal enterprise below the pass mark (the longest path); a
# service institution (the shortest).
CONVERSATIONS = (EXAMPLE_A_TYPED, SMALL_MUNICIPAL_TYPED, INSTITUTION_TYPED)


@dataclass
class Timings:
    steps: list[float] = field(default_factory=list)
    by_step: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    finished: list[Finished] = field(default_factory=list)

    def add(self, step: str, seconds: float) -> None:
        self.steps.append(seconds)
        self.by_step[step].append(seconds)


def converse(assistant: Assistant, key: SessionKey, answers: dict[str, str], timings: Timings) -> None:
    """One person from /assess to the result; each handle_now call timed on its own."""
    step, inbound = "/assess", Inbound(text="/assess")
    for _ in range(80):
        start = time.perf_counter()
        replies = assistant.handle_now(key, inbound)
        timings.add(step, time.perf_counter() - start)
        if any(isinstance(r, Result) for r in replies):
            return
        question = replies[-1]
        if not isinstance(question, Question):
            raise RuntimeError(f"{key}: expected a question after {step!r}, got {replies!r}")
        step = question.id
        if step == CONFIRM:
            text = "确认"
        elif step.startswith(CONFIRM_PREFIX):
            text = "是"
        else:
            text = answers[step]
        inbound = Inbound(text=text)
    raise RuntimeError(f"{key}: no result after 80 messages")


def run_dialogs(assistants: dict[str, Assistant], count: int) -> dict[str, Timings]:
    """`count` conversations with each assistant, interleaved (one with each in turn, the
    order alternating) so that drift in the machine's speed falls on both alike."""
    for name, assistant in assistants.items():
        for i, answers in enumerate(CONVERSATIONS):  # warm every code path first
            converse(assistant, SessionKey("warmup", f"{name}{i}", f"{name}{i}"), answers, Timings())
    timings = {name: Timings() for name in assistants}
    order = list(assistants)
    for i in range(count):
        for name in order if i % 2 == 0 else reversed(order):
            key = SessionKey("bench", f"{name}{i}", f"{name}{i}")
            converse(assistants[name], key, CONVERSATIONS[i % len(CONVERSATIONS)], timings[name])
    return timings


def built(path: Path, engine: DialogEngine) -> App:
    """The assistant as `zjtx chat` builds it, on the SQLite file at ``path``."""
    settings = Settings(_env_file=None, ZJTX_DB=str(path), ZJTX_STAFF="")
    return build(settings, today=lambda: TODAY, engine=engine, channels=False, worker=False)


def in_memory(engine: DialogEngine) -> Assistant:
    """The baseline: the same dialog with the sessions in a dict."""
    return Assistant(MemoryStore(), engine, lambda: TODAY)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:7.3f} ms"


def quantiles(values: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p90": cuts[89], "p99": cuts[98], "max": max(values)}


def report_steps(title: str, sqlite: Timings, memory: Timings) -> None:
    print(f"\n{title}")
    q, mq = quantiles(sqlite.steps), quantiles(memory.steps)
    rate, m_rate = len(sqlite.steps) / sum(sqlite.steps), len(memory.steps) / sum(memory.steps)
    print(f"  {'':<10} {'SQLite (WAL)':>14} {'memory':>14} {'SQLite/memory':>14}")
    print(f"  {'answers/s':<10} {rate:>14,.0f} {m_rate:>14,.0f} {rate / m_rate:>13.2f}x")
    for name, value in q.items():
        print(f"  {name:<10} {ms(value):>14} {ms(mq[name]):>14} {value / mq[name]:>13.2f}x")
    kinds = {step: quantiles(values) for step, values in sqlite.by_step.items() if len(values) > 1}
    print("  SQLite, slowest kinds of step (p50 / p99):")
    shown = sorted(kinds, key=lambda step: -kinds[step]["p99"])[:4]
    if CONFIRM in kinds and CONFIRM not in shown:
        shown.append(CONFIRM)
    for step in shown:
        label = "confirm (result + commit)" if step == CONFIRM else step
        count = len(sqlite.by_step[step])
        print(f"    {label:<30} {ms(kinds[step]['p50'])} / {ms(kinds[step]['p99'])}  ({count:,} steps)")
    print(f"  {len(sqlite.steps):,} steps; p99 under 5 ms: {'yes' if q['p99'] < 0.005 else 'NO'}")


def finished_assessments(engine: DialogEngine) -> list[Finished]:
    """One real finished assessment of each conversation, as the dialog hands it over."""
    out: list[Finished] = []
    for answers in CONVERSATIONS:
        s = Session()
        turn = engine.handle(s, Inbound(text="/assess"), TODAY)
        while turn.finished is None:
            question = turn.replies[-1]
            assert isinstance(question, Question)
            qid = question.id
            text = "确认" if qid == CONFIRM else "是" if qid.startswith(CONFIRM_PREFIX) else answers[qid]
            turn = engine.handle(turn.session, Inbound(text=text), TODAY)
        out.append(turn.finished)
    return out


def table_bytes(path: Path) -> dict[str, int] | None:
    """Bytes per table and index, where this SQLite has the dbstat table."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()
    return {str(name): int(size) for name, size in rows}


def store_size(path: Path, engine: DialogEngine, count: int, waiting: int) -> None:
    print(
        f"\n(b) The store with {count:,} finished assessments and {waiting:,} people stopped mid-way "
        "with a reminder scheduled (one person and one commit each)"
    )
    finished = finished_assessments(engine)
    store = SqliteStore(connect(path))
    idle = Session()
    start = time.perf_counter()
    for i in range(count):
        store.save(SessionKey("bench", f"s{i}", f"s{i}"), idle, 0, finished[i % len(finished)])
    seconds = time.perf_counter() - start
    policy = ReminderPolicy()
    questions = ("revenue", "rd_expense", "debt_ratio_pct", "quality", "district")
    moment = datetime.combine(TODAY, datetime.min.time(), TIMEZONE) + timedelta(hours=9)
    start = time.perf_counter()
    for i in range(waiting):
        question = questions[i % len(questions)]
        paused = Session(mode="assess", pending=question, attempt=1)
        at = moment + timedelta(seconds=i * 0.5)  # spread over the day, as people come and go
        timers = policy.timers([Reminder("schedule", "paused", question=question)], paused, at)
        events = [Event("answered", 1, "org_type", at), Event("asked", 1, question, at)]
        store.save(SessionKey("bench", f"w{i}", f"w{i}"), paused, 0, timers=timers, events=events, at=at)
    waited = time.perf_counter() - start
    store.db.row("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    size = path.stat().st_size
    wal = Path(f"{path}-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    print(f"  assessments saved in {seconds:.1f} s ({count / seconds:,.0f} commits/s)")
    if waiting:
        print(f"  waiting people saved in {waited:.1f} s ({waiting / waited:,.0f} commits/s)")
    print(
        f"  file {size:,} bytes ({size / 2**20:.1f} MiB) + WAL {wal_size:,} bytes; "
        f"{size / (count + waiting):,.0f} bytes per person (a session row, and an assessment or a "
        "reminder with two events)"
    )
    tables = table_bytes(path)
    if tables:
        parts = ", ".join(f"{name} {b / size:.0%}" for name, b in tables.items() if b / size >= 0.01)
        print(f"  by table: {parts}")


def scheduler_queries(path: Path, rounds: int = 200) -> None:
    """The scheduler's two reads over the waiting reminders: the due ones (a page of 100), and
    when the next is due; each timed on its own."""
    store = SqliteStore(connect(path))
    book = store.reminders
    pending = book.counts()["pending"]
    if not pending:
        store.close()
        return
    horizon = datetime.combine(TODAY, datetime.min.time(), TIMEZONE) + timedelta(days=2)
    due: list[float] = []
    upcoming: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        page = book.due(horizon.timestamp(), ["telegram", "wecom", "wechat", "bench"])
        due.append(time.perf_counter() - start)
        start = time.perf_counter()
        book.next_due(["telegram", "wecom", "wechat", "bench"])
        upcoming.append(time.perf_counter() - start)
    from bot.web.pages.statistics import Range, dropoff

    events = store.db.row("SELECT count(*) FROM questionnaire_events")
    span = Range(TODAY - timedelta(days=182), TODAY, "")
    stats: list[float] = []
    for _ in range(5):
        start = time.perf_counter()
        drop = dropoff(store.db, span)
        stats.append(time.perf_counter() - start)
    store.close()
    d, n = quantiles(due), quantiles(upcoming)
    print(f"\n(c) The reminder scheduler's reads with {pending:,} reminders waiting")
    print(f"  due now (a page of {len(page)}): p50 {ms(d['p50'])}, p99 {ms(d['p99'])}")
    print(f"  next due:               p50 {ms(n['p50'])}, p99 {ms(n['p99'])}")
    assert drop is not None and events is not None
    print(
        f"  the console's drop-off over {events[0]:,} events ({drop.started:,} started): "
        f"median {ms(statistics.median(stats))} of 5"
    )


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity"):
        # the last CPU, not the first: the kernel's disk work tends to run on CPU 0, and a
        # benchmark pinned there reports it as the dialog's tail latency
        cpu = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity here)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dialogs", type=int, default=200, help="full assessments timed in (a)")
    parser.add_argument("--assessments", type=int, default=100_000, help="finished assessments stored in (b)")
    parser.add_argument(
        "--reminders", type=int, default=100_000, help="people waiting with a reminder in (b)"
    )
    parser.add_argument("--quick", action="store_true", help="20 dialogs, 5,000 assessments and reminders")
    args = parser.parse_args()
    dialogs, stored, waiting = (
        (20, 5_000, 5_000) if args.quick else (args.dialogs, args.assessments, args.reminders)
    )
    print(f"one process, {pin_to_one_core()}; SQLite {sqlite3.sqlite_version}")
    engine = DialogEngine()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        app = built(path, engine)
        first = run_dialogs({"sqlite": app.assistant, "memory": in_memory(engine)}, dialogs)
        app.close()
        title = f"(a) {dialogs:,} full assessments, one message per step, on an empty store"
        report_steps(title, first["sqlite"], first["memory"])
        store_size(path, engine, stored, waiting)
        app = built(path, engine)
        again = run_dialogs({"full": app.assistant, "memory": in_memory(engine)}, max(dialogs // 4, 3))
        app.close()
        title = (
            f"(a') {max(dialogs // 4, 3):,} more on the store holding {stored:,} assessments "
            f"and {waiting:,} reminders"
        )
        report_steps(title, again["full"], again["memory"])
        scheduler_queries(path)


if __name__ == "__main__":
    main()
