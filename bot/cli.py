"""The `zjtx` command line (docs/interfaces.md#command-line). Each subcommand lives in its own module.

A command that cannot use its database (a folder that does not exist, a directory, a file
that is not a database, one it may not write, a full disk, a newer version's file) or
cannot write its output ends with one line saying what is wrong and what to do, and exit
status 2; nothing is half-written (the database's transactions roll back, an output file
is written beside its name and moved into place only once complete).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zjtx", description="The 专精特新 association's assistant: assess, chat, serve."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from bot.batch import add_parser as add_assess_parser

    add_assess_parser(sub)  # assess FILE|- [-o OUT] [--sheet NAME] [--lang] [--template]

    p = sub.add_parser("serve", help="run every channel configured in the settings (Telegram, WeCom, WeChat)")

    p = sub.add_parser("ask", help="answer a question from the FAQ knowledge base")
    p.add_argument("question", help="the question, in Chinese or English")
    p.add_argument("--lang", choices=["zh", "en"], help="answer in this language (default: the question's)")
    p.add_argument(
        "--json", action="store_true", help="decision, reason, answer, source, suggestions, handoff, contacts"
    )

    p = sub.add_parser("leads", help="enquiries for the secretariat")
    leads = p.add_subparsers(dest="leads_command", required=True, metavar="ACTION")
    q = leads.add_parser("export", help="write the enquiries as CSV (for a spreadsheet)")
    q.add_argument("--csv", action="store_true", help="CSV output (the default and only format)")
    q.add_argument("-o", "--output", help="the file to write (default: standard output)")
    q.add_argument("--all", action="store_true", help="include enquiries already handled")
    q.add_argument("--db", help="the SQLite file (default: $ZJTX_DB or zjtx.db)")

    p = sub.add_parser("assessments", help="finished self-assessments")
    sa = p.add_subparsers(dest="assessments_command", required=True, metavar="ACTION")
    q = sa.add_parser("export", help="write every finished assessment as JSON lines (answers and result)")
    q.add_argument("-o", "--output", help="the file to write (default: standard output)")
    q.add_argument("--db", help="the SQLite file (default: $ZJTX_DB or zjtx.db)")

    p = sub.add_parser("console", help="the staff console on the web")
    ca = p.add_subparsers(dest="console_command", required=True, metavar="ACTION")
    q = ca.add_parser("link", help="print a one-time login link for a staff member (valid 10 minutes)")
    q.add_argument("staff_id", help="as in ZJTX_STAFF or ZJTX_ADMIN, e.g. telegram:123456")
    q.add_argument("--db", help="the SQLite file (default: $ZJTX_DB or zjtx.db)")

    p = sub.add_parser("chat", help="talk to the assistant in the terminal (no token, no network)")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per line, for programs")
    p.add_argument("--lang", choices=["zh", "en"], help="the language to speak (remembered)")
    p.add_argument("--user", default="local", help="who is talking (default: local)")
    p.add_argument("--db", help="the SQLite file (default: $ZJTX_DB or zjtx.db)")
    p.add_argument("--files", help="where score cards and reports are written (default: <db name>-files/)")
    p.add_argument("--today", help=argparse.SUPPRESS)

    from bot.broadcast.cli import add_parsers as add_broadcast_parsers

    add_broadcast_parsers(sub)  # broadcast send|list|report|cancel|resend|worker, groups add|list|remove

    from bot.tickets.cli import add_parsers as add_desk_parsers

    add_desk_parsers(sub)  # tickets stats, faq list|remove|export

    p = sub.add_parser("wechat", help="the WeChat Official Account (公众号)")
    wechat = p.add_subparsers(dest="wechat_command", required=True, metavar="ACTION")
    q = wechat.add_parser("menu", help="set the account's custom menu: 自测评估, 常见问题, 联系我们")
    q.add_argument("--show", action="store_true", help="print the menu as JSON instead of setting it")
    q.add_argument("--lang", choices=["zh", "en"], default="zh", help="the labels' language (default: zh)")
    q.add_argument("--db", help="the SQLite file keeping the access token (default: $ZJTX_DB or zjtx.db)")

    return parser


def _today(value: str | None) -> date:
    from bot.settings import today_in_guangzhou

    if value is None:
        return today_in_guangzhou()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SystemExit(f"zjtx: --today must be YYYY-MM-DD, got {value!r}") from None


LEAD_COLUMNS = (
    "id",
    "created_at",
    "kind",
    "company",
    "contact",
    "phone",
    "score",
    "tier",
    "channel",
    "user_id",
    "assessment_id",
    "handled_at",
    "handled_by",
)


def run_leads_export(args: argparse.Namespace) -> int:
    import csv

    from bot.cell_safety import safe_csv_cell
    from bot.db import connect
    from bot.store import SqliteStore

    store = SqliteStore(connect(settings_for(args).db, read_only=True))
    rows = store.leads(open_only=not args.all)
    with output(args.output, newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(LEAD_COLUMNS)
        for lead in rows:
            # what people typed (a company name, a contact) must not run as a formula in Excel
            writer.writerow(
                safe_csv_cell(cell)
                for cell in [
                    lead.id,
                    lead.created_at,
                    lead.kind,
                    lead.company,
                    lead.contact,
                    lead.phone,
                    "" if lead.score is None else lead.score,
                    lead.tier or "",
                    lead.key.channel,
                    lead.key.user_id,
                    lead.assessment_id or "",
                    lead.handled_at or "",
                    lead.handled_by or "",
                ]
            )
    print(f"{len(rows)} enquiries written", file=sys.stderr)
    return 0


def run_assessments_export(args: argparse.Namespace) -> int:
    import json

    from bot.db import connect
    from bot.store import SqliteStore

    store = SqliteStore(connect(settings_for(args).db, read_only=True))
    count = 0
    with output(args.output, encoding="utf-8") as out:
        for a in store.assessments():
            record = {
                "id": a.id,
                "channel": a.key.channel,
                "user_id": a.key.user_id,
                "made_on": a.made_on.isoformat(),
                "rules_version": a.rules_version,
                "answers": a.answers,
                "assessment": a.result,
            }
            if a.readings:  # answers given as a range or a bound: as given (answers hold the cautious end)
                record["readings"] = a.readings
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    print(f"{count} assessments written", file=sys.stderr)
    return 0


@contextlib.contextmanager
def output(path: str | None, *, newline: str | None = None, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Standard output, or the file ``path`` written complete or not at all: beside it under
    another name first, moved into place at the end (removed if the command fails)."""
    if not path:
        yield sys.stdout
        return
    final = Path(path)
    partial = final.with_name(f".{final.name}.{os.getpid()}.partial")
    try:
        with open(partial, "w", newline=newline, encoding=encoding) as out:
            yield out
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)


def run_serve() -> int:
    import asyncio
    import logging

    from bot.app import serve
    from bot.settings import Settings, SettingsError
    from bot.web import ConsoleError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(serve(Settings()))
    except (ConsoleError, SettingsError) as exc:  # settings that cannot be used: say which, no traceback
        print(f"zjtx serve: {exc}", file=sys.stderr)
        return 2


def run_console_link(args: argparse.Namespace) -> int:
    """`zjtx console link STAFF_ID`: a one-time login link on standard output."""
    from bot.app import build
    from bot.web import ConsoleError

    try:
        app = build(settings_for(args), channels=False, worker=False)
    except ConsoleError as exc:
        print(f"zjtx console: {exc}", file=sys.stderr)
        return 2
    try:
        if app.console is None:
            print(
                "zjtx console: the console is not configured: set ZJTX_CONSOLE_KEY and ZJTX_PUBLIC_URL",
                file=sys.stderr,
            )
            return 2
        try:
            print(app.console.link_for(args.staff_id, via="cli"))
        except PermissionError:
            print(f"zjtx console: {args.staff_id} is in neither ZJTX_STAFF nor ZJTX_ADMIN", file=sys.stderr)
            return 1
        return 0
    finally:
        app.close()


def settings_for(args: argparse.Namespace) -> Settings:
    """The settings, with the database a command's ``--db`` names instead of ZJTX_DB."""
    from bot.settings import Settings

    settings = Settings()
    db = getattr(args, "db", None)
    return settings.model_copy(update={"db": db}) if db else settings


def run_chat(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.app import build
    from bot.channels.console import CHANNEL, Console, files_beside
    from bot.reminders.scheduler import ReminderScheduler

    settings = settings_for(args)
    day = _today(args.today) if args.today else None
    # staff compose and list broadcasts here too (the preview is text); nothing is sent from here
    app = build(settings, today=(lambda: day) if day else None, channels=False, worker=False)
    try:
        if args.jsonl:  # one JSON object a line, always UTF-8, whatever the locale says
            sys.stdout.reconfigure(encoding="utf-8", errors="strict")  # type: ignore[union-attr]
        files = Path(args.files) if args.files else files_beside(app.db.path)
        console = Console(app.assistant, args.user, sys.stdout, args.jsonl, files)
        app.assistant.on_forget(console.forget)  # the person's pictures and reports go too
        console.reminders = ReminderScheduler(
            app.store.reminders,
            app.assistant.reminder,
            {CHANNEL: console.push},
            clock=app.assistant.clock,
            user=(args.user, args.user),
            shown=app.assistant.note_shown,
        )
        if not args.jsonl and sys.stdin.isatty():
            prompt = app.assistant.t(args.lang or "zh", "console.prompt")
            return console.run(_prompted(prompt), args.lang)
        return console.run(read_lines(sys.stdin.buffer), args.lang)
    finally:
        app.close()


def read_lines(raw: Iterable[bytes]) -> Iterator[str]:
    """Lines of standard input read as bytes and decoded as UTF-8; bytes that are not UTF-8
    become U+FFFD (the replacement character), so nothing read can make invalid UTF-8 out."""
    for line in raw:
        yield line.decode("utf-8", errors="replace")


def _prompted(prompt: str) -> Iterator[str]:
    while True:
        try:
            yield input(prompt)
        except EOFError:
            return


def main(argv: Sequence[str] | None = None) -> int:
    from pydantic import ValidationError

    args = build_parser().parse_args(argv)
    from bot.db import DatabaseError, describe
    from bot.settings import SettingsError

    try:
        return _run(args)
    except (DatabaseError, SettingsError) as exc:
        print(f"zjtx: {exc}", file=sys.stderr)
    except ValidationError as exc:  # the environment or .env
        if exc.title != "Settings":
            raise
        # a setting that cannot be read (ZJTX_NOW without its offset…): say which, no traceback
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"])
            print(
                f"zjtx: the setting {name} is not valid: {error['msg'].removeprefix('Value error, ')}",
                file=sys.stderr,
            )
    except sqlite3.Error as exc:  # met while working: the transaction in progress was rolled back
        print(f"zjtx: {describe(exc, str(Path(settings_for(args).db)))}", file=sys.stderr)
    except OSError as exc:  # an output file that cannot be written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"zjtx: {where}{exc.strerror or exc}; nothing was written.", file=sys.stderr)
    return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "assess":
        from bot.batch import run_assess

        return run_assess(args, sys.stdin, sys.stdout, sys.stderr)
    if args.command == "chat":
        return run_chat(args)
    if args.command == "assessments":
        return run_assessments_export(args)
    if args.command == "leads":
        return run_leads_export(args)
    if args.command == "serve":
        return run_serve()
    if args.command == "console":
        return run_console_link(args)
    if args.command == "ask":
        from bot.ask import run_ask

        return run_ask(args.question, args.lang, args.json, sys.stdout, _today(None))
    if args.command in ("tickets", "faq"):
        from bot.tickets.cli import run as run_desk

        return run_desk(args)
    if args.command == "wechat":
        from bot.channels.wechat.cli import run as run_wechat

        return run_wechat(args)
    if args.command in ("broadcast", "groups"):
        from bot.broadcast.cli import run as run_broadcast

        return run_broadcast(args)
    raise AssertionError(f"unhandled command {args.command}")  # argparse refuses unknown ones


if __name__ == "__main__":
    sys.exit(main())
