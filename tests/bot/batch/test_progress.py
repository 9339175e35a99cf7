"""The progress bar: on a terminal only, redrawn now and then, cleared at the end."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.batch.progress import Progress
from tests.bot.batch.workbooks import run, write_csv


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bar_on_a_terminal() -> None:
    screen, clock = Terminal(), Clock()
    bar = Progress(screen, 1000, "评估中", "行", clock)
    for n in range(1, 1001):
        clock.now = n / 100  # ten seconds in all
        bar.tick()
    drawn = screen.getvalue()
    assert drawn.count("\r") > 5 and " 96% 960/1,000 行" in drawn
    assert drawn.startswith("\r评估中 █") and "░" in drawn
    bar.done()
    assert screen.getvalue().endswith("\r\x1b[2K")  # the line is cleared for the summary


def test_a_count_when_the_length_is_unknown() -> None:
    bar = Progress(Terminal(), None, "Scoring", "rows")
    bar.count = 12_345
    assert bar.line() == "Scoring 12,345 rows"


def test_nothing_for_a_quick_run_or_a_pipe() -> None:
    screen, clock = Terminal(), Clock()
    bar = Progress(screen, 100, "评估中", "行", clock)
    for _ in range(100):
        bar.tick()  # no time passes
    bar.done()
    pipe = io.StringIO()
    piped = Progress(pipe, 100, "评估中", "行", Clock())
    assert screen.getvalue() == "" and not piped.enabled


def test_a_run_into_a_log_has_no_escape_sequences(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["ip"], *[["A"]] * 500])
    _, _, err = run(capsys, "assess", str(source), "-o", str(tmp_path / "out.csv"))
    assert "\r" not in err and "\x1b" not in err
