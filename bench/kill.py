"""The kill-and-restart probe at scale: `zjtx serve` SIGKILLed at seeded random moments while
people answer whole assessments, for each channel, at human pace and as a backlog. Prints
what was acknowledged, lost, applied twice, skipped and duplicated (tests/kill_probe.py
says how each is counted); asserts nothing.

Run from the repository root: ``python -m bench.kill [--people 50] [--kills 10] [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from tests.kill_probe import run_probe


async def main(people: int, kills: int, seed: int) -> None:
    print(f"{people} people, {kills} SIGKILLs a run, seed {seed}")
    for mode in ("webhook", "polling", "wecom"):
        for eager in (False, True):
            with tempfile.TemporaryDirectory() as folder:
                figures = await run_probe(
                    Path(folder), mode, people=people, kills=kills, seed=seed, eager=eager, timeout=900
                )
            print("  " + figures.line() + (f"  {figures.notes}" if figures.notes else ""))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="10 people, 3 kills")
    args = parser.parse_args()
    people, kills = (10, 3) if args.quick else (args.people, args.kills)
    asyncio.run(main(people, kills, args.seed))
