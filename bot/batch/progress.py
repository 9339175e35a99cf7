"""A progress bar on standard error, for a terminal only.

Redrawn at most a few times a second and only once the run has taken a moment, so a
small sheet shows nothing and a pipe or a log file never gets escape sequences.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, TextIO

__all__ = ["Progress"]

_EVERY: Final = 0.25  # seconds between redraws
_AFTER: Final = 0.5  # seconds before the first one
_WIDTH: Final = 24


class Progress:
    """Counts rows; draws ``████░░░░ 45% 45,000/100,000 行`` (or the count alone)."""

    def __init__(
        self,
        stream: TextIO,
        total: int | None,
        label: str,
        unit: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        isatty = getattr(stream, "isatty", None)
        self.enabled = bool(isatty and isatty())
        self.stream, self.total, self.label, self.unit, self.clock = stream, total, label, unit, clock
        self.count = 0
        self._start = clock()
        self._next = self._start + _AFTER
        self._drawn = False

    def tick(self) -> None:
        self.count += 1
        if self.enabled and self.count & 63 == 0:
            now = self.clock()
            if now >= self._next:
                self._next = now + _EVERY
                self._draw()

    def done(self) -> None:
        """Clear the bar (the summary line takes its place)."""
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False

    def line(self) -> str:
        if self.total:
            share = min(self.count / self.total, 1.0)
            filled = round(share * _WIDTH)
            bar = "█" * filled + "░" * (_WIDTH - filled)
            return f"{self.label} {bar} {share:4.0%} {self.count:,}/{self.total:,} {self.unit}"
        return f"{self.label} {self.count:,} {self.unit}"

    def _draw(self) -> None:
        self.stream.write("\r" + self.line())
        self.stream.flush()
        self._drawn = True
