"""The `zjtx` command line (contract §3). Each subcommand lives in its own module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from datetime import date


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zjtx", description="The 专精特新 association's assistant: assess, chat, serve."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("assess", help="score profiles: a JSON object or list, or a CSV spreadsheet")
    p.add_argument("input", help="a .json or .csv file, or - for standard input (JSON unless --format csv)")
    p.add_argument("-o", "--output", help="write the result to this file (default: standard output)")
    p.add_argument(
        "--format",
        choices=["json", "csv"],
        help="input format, also the output's (default: .csv is CSV, else JSON)",
    )
    p.add_argument("--today", help="score as of this date, YYYY-MM-DD (default: today)")
    p.add_argument("--explain", action="store_true", help="JSON: add the structured explanation")

    p = sub.add_parser("chat", help="talk to the assistant in the terminal (no token, no network)")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per line, for programs")
    p.add_argument("--lang", choices=["zh", "en"], help="the language to speak (remembered)")
    p.add_argument("--user", default="local", help="who is talking (default: local)")
    p.add_argument("--db", help="the SQLite file (default: $ZJTX_DB or zjtx.db)")
    p.add_argument("--today", help=argparse.SUPPRESS)

    return parser


def _today(value: str | None) -> date:
    from bot.settings import today_in_guangzhou

    if value is None:
        return today_in_guangzhou()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SystemExit(f"zjtx: --today must be YYYY-MM-DD, got {value!r}") from None


def run_chat(args: argparse.Namespace) -> int:
    from bot.channels.console import Console
    from bot.service import Assistant
    from bot.settings import Settings
    from bot.store import SqliteStore
    from dialogs.engine import DialogEngine

    db = args.db or Settings().db
    store = SqliteStore(db)
    day = _today(args.today)
    assistant = Assistant(store, DialogEngine(), lambda: day)
    console = Console(assistant, args.user, sys.stdout, args.jsonl)
    if not args.jsonl and sys.stdin.isatty():
        return console.run(
            _prompted(assistant.engine.cat.text(args.lang or "zh", "console.prompt")), args.lang
        )
    return console.run(sys.stdin, args.lang)


def _prompted(prompt: str) -> Iterator[str]:
    while True:
        try:
            yield input(prompt)
        except EOFError:
            return


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "assess":
        from bot.batch import run_assess

        return run_assess(args, sys.stdin, sys.stdout, sys.stderr)
    if args.command == "chat":
        return run_chat(args)
    raise AssertionError(f"unhandled command {args.command}")  # argparse refuses unknown ones


if __name__ == "__main__":
    sys.exit(main())
