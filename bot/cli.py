"""The `zjtx` command line (contract §3). Each subcommand lives in its own module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


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

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "assess":
        from bot.batch import run_assess

        return run_assess(args, sys.stdin, sys.stdout, sys.stderr)
    raise AssertionError(f"unhandled command {args.command}")  # argparse refuses unknown ones


if __name__ == "__main__":
    sys.exit(main())
