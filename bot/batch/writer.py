"""A workbook written by a process of its own while this one reads and scores the rows.

Writing an .xlsx file with openpyxl costs about as much as reading one and scoring its
rows together, and the machine has more than one core: so :class:`WorkbookWriter` hands
the rows, in batches, to a child process that runs :class:`~bot.batch.sheets.XlsxSink`.
The queue between them is short, so a slow writer holds the reader back and memory stays
flat. A problem in the child (a full disk, say) comes back as an :class:`OSError` or a
:class:`WriterError` from the next call; the child never outlives the run.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import signal
from collections.abc import Sequence
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any, Final

from bot.batch.sheets import SummaryLine, XlsxSink

__all__ = ["WorkbookWriter", "WriterError"]

_BATCH: Final = 500  # rows a message
_QUEUE: Final = 8  # messages in flight at most
_WAIT: Final = 1.0  # seconds between looks at whether the child is still there
_STOP: Final = 10.0  # seconds a child may take to discard its workbook


class WriterError(Exception):
    """The writing process failed; the message says how."""


class WorkbookWriter:
    """The :class:`~bot.batch.sheets.Sink` of a workbook, written by a child process."""

    def __init__(
        self, sheet_title: str, freeze_below: int, widths: Sequence[float], numeric: set[int]
    ) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no state copied
        self._rows: Queue[Any] = context.Queue(maxsize=_QUEUE)
        self._result: Queue[Any] = context.Queue()
        self._process = context.Process(
            target=_write,
            args=(self._rows, self._result, sheet_title, freeze_below, list(widths), set(numeric)),
            name="zjtx-workbook-writer",
            daemon=True,
        )
        self._process.start()
        self._batch: list[tuple[Any, ...]] = []

    def preamble(self, values: Sequence[Any]) -> None:
        self._add(("preamble", list(values)))

    def header(self, names: Sequence[str], kept: int, comments: dict[int, str]) -> None:
        self._add(("header", list(names), kept, dict(comments)))

    def row(
        self, values: Sequence[Any], formats: Sequence[str | None] | None, results: Sequence[Any]
    ) -> None:
        self._add(("row", values, formats, results))

    def summary(
        self, title: str, lines: Sequence[SummaryLine], chart_title: str, histogram: Sequence[tuple[str, int]]
    ) -> None:
        self._add(("summary", title, list(lines), chart_title, list(histogram)))

    def save(self, path: Path) -> None:
        """Write the workbook to `path` and wait for it. Raises OSError or :class:`WriterError`."""
        self._add(("save", str(path)))
        self._flush()
        self._put(None)
        outcome = self._outcome()
        self._process.join()
        if outcome is not None:
            raise outcome

    def close(self) -> None:
        """Stop the child, if it is still running (a run that stopped half-way): asked to
        discard the workbook, then ended if it does not."""
        if self._process.is_alive():
            with contextlib.suppress(Exception):
                self._rows.put([("discard",)], timeout=_WAIT)
                self._rows.put(None, timeout=_WAIT)
            self._process.join(timeout=_STOP)
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._rows.close()
        self._result.close()

    def _add(self, message: tuple[Any, ...]) -> None:
        self._batch.append(message)
        if len(self._batch) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self._put(batch)

    def _put(self, item: Any) -> None:
        while True:
            try:
                self._rows.put(item, timeout=_WAIT)
                return
            except queue.Full:
                if not self._process.is_alive():
                    raise self._outcome() or WriterError("the workbook writer stopped") from None

    def _outcome(self) -> Exception | None:
        """What the child reported at its end: None when it saved the workbook."""
        while True:
            try:
                kind, detail = self._result.get(timeout=_WAIT)
            except queue.Empty:
                if not self._process.is_alive():
                    return WriterError(f"the workbook writer stopped (exit {self._process.exitcode})")
                continue
            if kind == "ok":
                return None
            if kind == "oserror":
                errno, strerror, filename = detail
                return OSError(errno, strerror, filename)
            return WriterError(detail)


def _write(
    rows: Queue[Any],
    result: Queue[Any],
    sheet_title: str,
    freeze_below: int,
    widths: list[float],
    numeric: set[int],
) -> None:
    """The child: build the workbook from the messages until the end, then report."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops us
    try:
        sink = XlsxSink(sheet_title, freeze_below, widths, numeric)
        while (batch := rows.get()) is not None:
            for kind, *args in batch:
                if kind == "save":
                    sink.save(Path(args[0]))
                elif kind == "discard":
                    sink.discard()
                    return
                else:
                    getattr(sink, kind)(*args)
        result.put(("ok", None))
    except OSError as exc:
        result.put(("oserror", (exc.errno, exc.strerror, exc.filename)))
    except Exception as exc:  # reported to the parent, which words it
        result.put(("error", f"{type(exc).__name__}: {exc}"))
