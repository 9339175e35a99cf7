"""How fast the rules engine scores, and whether ``zjtx assess`` on a spreadsheet keeps
its memory flat. Prints figures and ratios; asserts nothing.

(a) Profiles scored per second in this process, on one core: "parse+assess" from
    JSON-like answers, and "assess only" from already-parsed profiles.
(b) Wall time and peak memory of ``python -m bot assess in.csv -o out.csv`` on a generated
    10,000-row and 100,000-row spreadsheet, side by side. Flat memory shows as a ratio
    near 1 while the rows grow tenfold. Peak memory is ``getrusage(RUSAGE_CHILDREN)
    .ru_maxrss`` taken in a small launcher process whose only child is the command. The
    launcher matters: Linux counts in a child's peak the memory of the process that forked
    it, so a command started straight from this (large) benchmark would report this
    benchmark's size, not its own.

Run: ``python bench/assess.py [--quick]`` (``--quick`` uses smaller sizes).
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from rules import assess, default_rules, parse_profile
from rules.profile import BOOL_FIELDS, FIELDS, LIST_FIELDS

TODAY = date(2025, 1, 1)
ROOT = Path(__file__).resolve().parent.parent

CERTIFICATIONS = [
    "none",
    "innovative",
    "municipal",
    "provincial",
    "national_little_giant",
    "key_little_giant",
]
QUALITY = ["provincial_quality_award", "quality_certification", "own_brand", "standards"]
EDGES = [0, 3, 5, 10, 20, 50, 60, 70, 80, Decimal("79.99"), Decimal("50.01")]


def random_profile(rnd: random.Random) -> dict[str, Any]:
    """A valid profile with every field answered about 85 % of the time."""

    def money(top: int) -> Any:
        return rnd.choice([0, rnd.randint(0, top), Decimal(rnd.randint(0, top * 100)) / 100])

    def pct(low: int = 0, high: int = 100) -> Any:
        return rnd.choice([*EDGES, Decimal(rnd.randint(low * 100, high * 100)) / 100])

    profile: dict[str, Any] = {
        "org_type": rnd.choice(["enterprise"] * 9 + ["service_institution"]),
        "district": rnd.choice(["天河区", "黄埔区", "番禺区", "越秀区"]),
        "certification": rnd.choice(CERTIFICATIONS),
        "niche_years": rnd.randint(0, 15),
        "revenue": money(800_000_000),
        "profit": money(80_000_000) * rnd.choice([1, 1, 1, -1]),
        "rd_expense": money(12_000_000),
        "rd_expense_avg_2y": money(15_000_000),
        "equity_financing_2y": money(80_000_000),
        "sci_award": rnd.choice(["none", "provincial_top3", "national_top5"]),
        "maker_top500": rnd.random() < 0.1,
        "main_business_share_pct": pct(),
        "main_revenue_growth_pct": pct(-20, 30),
        "product_field": rnd.choice("ABC"),
        "digital_level": rnd.randint(1, 3),
        "quality": rnd.sample(QUALITY, rnd.randint(0, 4)),
        "debt_ratio_pct": pct(0, 120),
        "distinctive": rnd.sample("ABCDEF", rnd.randint(0, 4)),
        "talent": rnd.choice(["none", "national", "provincial", "municipal", "recommended"]),
        "ip": rnd.choice("ABCDE"),
        "rd_staff_pct": pct(),
        "rd_institution": rnd.choice(["national", "provincial", "municipal", "below_municipal", "none"]),
        "registered_capital": money(60_000_000),
        "operates_park": rnd.random() < 0.2,
        "listing_plan": rnd.random() < 0.3,
        "has_bank_loans": rnd.random() < 0.5,
        "provincial_tech_upgrade_funded": rnd.random() < 0.1,
        "relocating_to_guangzhou": rnd.random() < 0.05,
        "annual_tax": money(30_000_000),
    }
    return {k: v for k, v in profile.items() if rnd.random() < 0.85}


def to_cell(field: str, value: Any) -> str:
    if value is None:
        return ""
    if field in LIST_FIELDS:
        return ";".join(value)
    if field in BOOL_FIELDS:
        return "true" if value else "false"
    return str(value)


def write_csv(path: Path, rows: int, seed: int) -> None:
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELDS)
        for _ in range(rows):
            profile = random_profile(rnd)
            writer.writerow([to_cell(f, profile.get(f)) for f in FIELDS])


def rate(label: str, count: int, seconds: float) -> float:
    per_second = count / seconds
    print(f"  {label:<16} {per_second:>10,.0f} profiles/s  ({seconds * 1e6 / count:,.1f} µs each)")
    return per_second


def in_process(count: int) -> None:
    rules = default_rules()
    districts = rules.contacts.districts
    rnd = random.Random(1)
    answers = [random_profile(rnd) for _ in range(count)]
    for a in answers[:200]:  # warm up the per-rules caches and the allocator
        assess(parse_profile(a, districts), rules, TODAY)

    start = time.perf_counter()
    for a in answers:
        assess(parse_profile(a, districts), rules, TODAY)
    both = time.perf_counter() - start

    profiles = [parse_profile(a, districts) for a in answers]
    start = time.perf_counter()
    for p in profiles:
        assess(p, rules, TODAY)
    only = time.perf_counter() - start

    print(f"(a) in process, one core, {count:,} random profiles")
    rate("parse+assess", count, both)
    rate("assess only", count, only)


# Runs argv[1:] as its only child; prints its wall time, peak RSS (as getrusage reports it)
# and exit status. Small, so that what it passes on to the child by forking is small too.
LAUNCHER = """
import resource, subprocess, sys, time
start = time.perf_counter()
status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - start
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, status)
"""


def run_cli(source: Path, target: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MiB, exit status) of one `python -m bot assess` run."""
    command = [sys.executable, "-m", "bot", "assess", str(source), "-o", str(target), "--today", "2025-01-01"]
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], cwd=ROOT, capture_output=True, text=True, check=True
    )
    wall, maxrss, status = launched.stdout.split()
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    peak = int(maxrss) / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return float(wall), peak, int(status)


def spreadsheet(small: int, large: int) -> None:
    print(f"\n(b) python -m bot assess on a generated spreadsheet: {small:,} vs {large:,} rows")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures = {}
        for rows in (small, large):
            source = folder / f"in_{rows}.csv"
            write_csv(source, rows, seed=rows)
            wall, peak, status = run_cli(source, folder / f"out_{rows}.csv")
            figures[rows] = (wall, peak)
            size = source.stat().st_size / 1e6
            print(
                f"  {rows:>9,} rows ({size:5.1f} MB): {wall:6.2f} s wall, {rows / wall:>8,.0f} rows/s, "
                f"peak RSS {peak:6.1f} MiB, exit {status}"
            )
        (t_small, m_small), (t_large, m_large) = figures[small], figures[large]
        times, memory = t_large / t_small, m_large / m_small
        print(f"  ratio {large // small}x rows: time ×{times:.2f}, peak memory ×{memory:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    in_process(5_000 if args.quick else 50_000)
    if args.quick:
        spreadsheet(1_000, 10_000)
    else:
        spreadsheet(10_000, 100_000)


if __name__ == "__main__":
    main()
