"""SIGKILL `zjtx serve` while people answer, start it again, and count (tests/kill_probe.py).

For each channel: people answering a whole assessment, the server killed at seeded random
moments, the fake platform delivering again whatever was not acknowledged. Afterwards
every acknowledged update is in a committed turn, none is applied twice, and every reply
expected was delivered; a reply whose send was in flight at a kill may have arrived twice
(at most one message per chat per kill).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.kill_probe import Figures, Mode, run_probe

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def assert_nothing_lost(figures: Figures) -> None:
    assert figures.notes == []
    assert figures.kills > 0
    assert figures.acknowledged == figures.updates
    assert (figures.lost, figures.applied_twice, figures.replies_skipped) == (0, 0, 0)
    assert figures.replies_duplicated <= figures.kills * figures.people
    assert figures.tracebacks == 0


@pytest.mark.parametrize(
    ("mode", "eager", "seed"),
    [("webhook", True, 11), ("polling", False, 12), ("wecom", True, 13)],
    ids=["telegram-webhook-backlog", "telegram-polling-human-pace", "wecom-backlog"],
)
async def test_a_killed_server_loses_nothing_acknowledged_and_applies_nothing_twice(
    tmp_path: Path, mode: Mode, eager: bool, seed: int
) -> None:
    figures = await run_probe(tmp_path, mode, people=10, kills=3, seed=seed, eager=eager, timeout=240)
    assert_nothing_lost(figures)
