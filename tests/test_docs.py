"""The README keeps up with the command line: every `zjtx` subcommand is documented."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"


def commands(parser: argparse.ArgumentParser, prefix: str = "zjtx") -> Iterator[str]:
    """Every command as it is typed, down to the last level ("zjtx leads export")."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers and prefix != "zjtx":
        yield prefix
    for action in subparsers:
        for name, sub in action.choices.items():
            yield from commands(sub, f"{prefix} {name}")


COMMANDS = sorted(commands(build_parser()))


def documented(command: str, text: str) -> bool:
    # "zjtx assess" must not count as documented by "zjtx assessments export"
    return re.search(re.escape(command) + r"(?![\w-])", text) is not None


def test_the_command_line_is_read_down_to_its_last_level() -> None:
    assert {"zjtx chat", "zjtx assess", "zjtx leads export"} <= set(COMMANDS)
    assert "zjtx leads" not in COMMANDS
    assert not documented("zjtx assess", "zjtx assessments export")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_appears_in_the_readme(command: str) -> None:
    text = README.read_text(encoding="utf-8")  # read now: the README changes as we work
    assert documented(command, text), f"`{command}` is not mentioned in README.md"
