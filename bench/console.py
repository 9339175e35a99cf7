"""Server time per page of the staff console, with a large database.

Setup: N finished assessments (default 100,000, spread over two years, districts, tiers and
channels), 2,000 enquiries, B broadcasts (default 1,000) with 10 targets each, 300
subscriptions, T tickets (default 10,000, as bench/desk.py stores them: 60 % closed, each
with three messages).
The console runs in this process behind aiohttp's test server on 127.0.0.1; a middleware
on the outer application times each request on the server, from the router to the last
byte of the body handed over, so the figures are server time, not the client's.

Baselines beside them: a bare aiohttp handler returning a page of the same size (the floor
of any page), and the statistics computed the naive way, a Python loop over every
assessment's JSON (what the rollup table avoids).

Run from the repository root: ``python -m bench.console [--assessments 100000]
[--broadcasts 1000] [--tickets 10000] [--requests 60]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from bot.app import broadcast_platforms, build
from bot.broadcast.desk import check_text
from bot.broadcast.store import BroadcastStore
from bot.db import connect
from bot.settings import Settings

from .desk import seed as seed_tickets

STAFF = "telegram:1"


def seed(path: Path, assessments: int, broadcasts: int) -> float:
    rnd = random.Random(17)
    db = connect(path)
    started = time.perf_counter()
    districts = [
        "天河区",
        "黄埔区",
        "番禺区",
        "白云区",
        "海珠区",
        "越秀区",
        "荔湾区",
        "花都区",
        "南沙区",
        "从化区",
        "增城区",
    ]
    tiers = [None, "member", "director", "vice_president"]
    first = date(2025, 1, 1)
    rows = []
    for i in range(assessments):
        day = (first + timedelta(days=rnd.randrange(700))).isoformat()
        score = rnd.randrange(101)
        answers = {"district": rnd.choice(districts), "revenue": rnd.randrange(10**6, 10**9)}
        result: dict[str, object] = {
            "score": score,
            "eligible": score >= 60,
            "tier": rnd.choice(tiers),
            "failed_conditions": [],
        }
        channel = rnd.choice(["telegram", "telegram", "wecom", "wechat"])
        rows.append(
            (
                channel, str(i), str(i), day, "2026.11.0", json.dumps(answers, ensure_ascii=False),
                json.dumps(result), f"{day}T02:00:00+00:00",
            )
        )  # fmt: skip
    with db.tx() as conn:
        conn.executemany(
            "INSERT INTO assessments (channel, chat_id, user_id, made_on, rules_version, answers, result, "
            "created_at) VALUES (?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO leads (channel, chat_id, user_id, kind, company, contact, phone, score, tier, "
            "created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                ("telegram", str(i), str(i), rnd.choice(["join", "callme"]), f"公司{i}", "张三",
                 "13800138000", rnd.randrange(101), rnd.choice(tiers), f"2026-{1 + i % 11:02d}-01T02:00:00Z")
                for i in range(2000)
            ],
        )  # fmt: skip
    store = BroadcastStore(db, broadcast_platforms())
    for n in range(300):
        store.subscribe("telegram", f"-100{n}", kind="group", name=f"群{n}", topics=[], by="b", now=1.0)
    rendered, _ = check_text("**政策速递**：新政发布")
    for n in range(broadcasts):
        store.create(by="b", source=f"通知 {n}", rendered=rendered, topics=["policy"], send_at=1e9, now=1e9)
    with db.tx() as conn:  # ten targets each, every row state
        states = ["sent"] * 7 + ["failed", "uncertain", "skipped"]
        conn.executemany(
            "INSERT INTO broadcast_outbox (broadcast_id, subscription_id, channel, kind, target, state, "
            "parts_total, parts_done, last_at) VALUES (?,?,?,?,?,?,1,?,?)",
            [
                (b, 1 + (b * 10 + k) % 300, "telegram", "group", f"群{k}", states[k],
                 int(states[k] == "sent"), 1e9)
                for b in range(1, broadcasts + 1)
                for k in range(10)
            ],
        )  # fmt: skip
        conn.execute("UPDATE broadcasts SET state='done', started_at=1e9, finished_at=1e9+60")
    db.close()
    return time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(path: Path, requests: int) -> dict[str, list[float]]:
    settings = Settings(
        _env_file=None, ZJTX_DB=str(path), ZJTX_STAFF=STAFF, ZJTX_ADMIN=STAFF,
        ZJTX_CONSOLE_KEY=Fernet.generate_key().decode(), ZJTX_PUBLIC_URL="http://127.0.0.1",
    )  # fmt: skip
    app = build(settings, channels=False, worker=False)
    timings: dict[str, list[float]] = {}
    current = {"page": ""}

    @web.middleware
    async def timed(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        started = time.perf_counter()
        response = await handler(request)
        timings.setdefault(current["page"], []).append((time.perf_counter() - started) * 1000)
        return response

    server = app.web()
    server.middlewares.insert(0, timed)
    assert app.console is not None
    pages = {
        "home": "/console",
        "enquiries": "/console/enquiries?handled=all",
        "enquiries, filtered": "/console/enquiries?kind=join&handled=all&from=2026-03-01&to=2026-06-30",
        "enquiries CSV (2,000 rows)": "/console/enquiries/export.csv?handled=all",
        "assessments": "/console/assessments",
        "assessments, district": "/console/assessments?district=黄埔区",
        "assessments, 3 filters": "/console/assessments?district=黄埔区&tier=member&eligible=yes",
        "assessments, page 20": "/console/assessments?before=99000",
        "assessment detail": "/console/assessments/5000",
        "statistics (26 weeks)": "/console/statistics?to=2026-11-30",
        "statistics (all time)": "/console/statistics?from=2025-01-01&to=2026-12-31",
        "statistics, one channel": "/console/statistics?from=2025-01-01&to=2026-12-31&channel=wecom",
        "broadcasts": "/console/broadcasts",
        "broadcasts, page 10": "/console/broadcasts?before=700",
        "broadcast report": "/console/broadcasts/500",
        "compose": "/console/broadcasts/new",
        "groups (300)": "/console/groups",
        "desk": "/console/desk",
        "desk, closed tickets": "/console/desk?state=closed",
        "desk list (refreshed)": "/console/desk/list",
        "ticket": "/console/desk/5007",
        "ticket transcript (refreshed)": "/console/desk/5007/transcript",
        "knowledge": "/console/knowledge",
        "knowledge, a question": "/console/knowledge?q=入会要交多少会费",
        "audit": "/console/audit",
    }
    gc.collect()
    gc.freeze()  # as `zjtx serve` does once it is built (bot/app.py)
    async with TestClient(TestServer(server, host="127.0.0.1")) as client:
        token = re.search(r"token=([\w-]+)", app.console.link_for(STAFF, via="bench"))
        assert token
        await client.post("/console/login", data={"token": token.group(1)})
        for name, address in pages.items():
            current["page"] = "warm-up"
            await client.get(address)
            current["page"] = name
            for _ in range(requests):
                response = await client.get(address)
                assert response.status == 200, (name, response.status)
                await response.read()
        size = len(await (await client.get(pages["assessments"])).read())
    app.close()

    bare = web.Application()
    body = b"x" * size

    async def fixed(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/html")

    bare.router.add_get("/", fixed)
    bare.middlewares.insert(0, timed)
    async with TestClient(TestServer(bare, host="127.0.0.1")) as client:
        current["page"] = f"baseline: bare handler, {size:,} bytes"
        for _ in range(requests):
            await (await client.get("/")).read()
    timings.pop("warm-up", None)
    timings.pop("", None)  # logging in
    return timings


def naive_statistics(path: Path, runs: int = 3) -> list[float]:
    """The statistics as a loop over every assessment in Python (the baseline)."""
    db = connect(path)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        bands: Counter[int] = Counter()
        tiers: Counter[str] = Counter()
        districts: Counter[str] = Counter()
        weeks: Counter[str] = Counter()
        for made_on, answers, result in db.rows("SELECT made_on, answers, result FROM assessments"):
            r, a = json.loads(result), json.loads(answers)
            bands[(r.get("score") or 0) // 10] += 1
            tiers[r.get("tier") or ""] += 1
            districts[a.get("district") or ""] += 1
            day = date.fromisoformat(made_on)
            weeks[(day - timedelta(days=day.weekday())).isoformat()] += 1
        times.append((time.perf_counter() - started) * 1000)
    db.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assessments", type=int, default=100_000)
    parser.add_argument("--broadcasts", type=int, default=1_000)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60, help="requests per page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "console.db"
        took = seed(path, args.assessments, args.broadcasts)
        started = time.perf_counter()
        seed_tickets(path, args.tickets)
        took += time.perf_counter() - started
        print(
            f"seeded {args.assessments:,} assessments, 2,000 enquiries, {args.broadcasts:,} broadcasts "
            f"({args.broadcasts * 10:,} targets), 300 subscriptions, {args.tickets:,} tickets in {took:.1f} s"
        )
        timings = asyncio.run(measure(path, args.requests))
        naive = naive_statistics(path)
    stats_p50 = statistics.median(timings["statistics (all time)"])
    print(f"\n{'page':40} {'p50 ms':>8} {'p99 ms':>8}")
    for name, values in timings.items():
        print(f"{name:40} {statistics.median(values):8.2f} {pct(values, 0.99):8.2f}")
    print(f"{'baseline: statistics as a Python loop':40} {statistics.median(naive):8.2f} {max(naive):8.2f}")
    print(
        f"\nstatistics (all time) vs the Python loop over {args.assessments:,} rows: "
        f"{statistics.median(naive) / stats_p50:.0f}x faster"
    )
    worst = max(pct(v, 0.99) for k, v in timings.items() if not k.startswith(("baseline", "enquiries CSV")))
    print(f"worst p99 of any page (the export aside): {worst:.2f} ms (aim: under 50 ms)")


if __name__ == "__main__":
    main()
