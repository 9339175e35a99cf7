"""Where a run's input comes from and its output goes: names, and whole-or-nothing files."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["InputError", "output_file", "output_path", "shown_name"]


class InputError(Exception):
    """The input cannot be read at all (exit status 2); the message says why and what to do."""


def shown_name(source: str) -> str:
    return "standard input" if source == "-" else source


@contextlib.contextmanager
def output_path(output: str) -> Iterator[Path]:
    """A path to write `output` through: a temporary file renamed over it at the end.

    So a run that stops half-way leaves an earlier result intact, and `output` may even
    name the input. A path that is not a regular file (a pipe, a device) is written directly.
    """
    path = Path(output)
    if path.exists() and not path.is_file():
        yield path
        return
    temp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        yield temp
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def output_file(output: str, encoding: str, newline: str | None = None) -> Iterator[TextIO]:
    """`output` opened for text, written whole or not at all (see :func:`output_path`)."""
    with output_path(output) as path, open(path, "w", encoding=encoding, newline=newline) as fh:
        yield fh
