"""`zjtx broadcast …` and `zjtx groups …`: broadcasts and subscriptions from the command line.

Whoever can open the database is staff here; each broadcast records `cli:<login>` (or
`--by`) as its sender. `broadcast send` delivers at once in this process when no other
worker holds the database, else it shows the progress of the one that does.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.app import App
    from dialogs.i18n import Catalogs

    from .store import BroadcastStore
    from .worker import Worker

__all__ = ["add_parsers", "run"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `broadcast` and `groups` commands to the `zjtx` parser."""
    p = sub.add_parser("broadcast", help="policy-update broadcasts to subscribed chats and WeCom groups")
    actions = p.add_subparsers(dest="broadcast_command", required=True, metavar="ACTION")

    q = actions.add_parser("send", help="send (or schedule) a broadcast written in a file")
    q.add_argument("--file", required=True, help="the text: Markdown/HTML subset, UTF-8")
    q.add_argument(
        "--topic", action="append", required=True, help="a topic (repeat for several; 全部 for everyone)"
    )
    q.add_argument("--image", help="a PNG or JPEG of at most 2 MB to send with it")
    q.add_argument("--at", help='send at this Beijing time, e.g. "2026-12-01 09:00" (default: now)')
    q.add_argument("--by", help="who sends it, for the audit trail (default: cli:<login>)")
    q.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    q.add_argument("--no-wait", action="store_true", help="queue it and return; a worker delivers it")
    _common(q)

    q = actions.add_parser("list", help="recent broadcasts with their delivery counts")
    q.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    _common(q)

    q = actions.add_parser("report", help="the delivery report of one broadcast")
    q.add_argument("id", type=int)
    _common(q)

    q = actions.add_parser("cancel", help="cancel a scheduled broadcast that has not started")
    q.add_argument("id", type=int)
    _common(q)

    q = actions.add_parser("resend", help="queue a broadcast's uncertain rows again (may duplicate them)")
    q.add_argument("id", type=int)
    _common(q)

    q = actions.add_parser("worker", help="deliver due broadcasts (zjtx serve runs one too)")
    q.add_argument("--until-done", action="store_true", help="exit once nothing due is left to deliver")
    _common(q)

    p = sub.add_parser("groups", help="broadcast subscriptions: WeCom group robots and Telegram chats")
    actions = p.add_subparsers(dest="groups_command", required=True, metavar="ACTION")
    q = actions.add_parser("add", help="subscribe a WeCom group by its robot's webhook URL")
    q.add_argument("--webhook", required=True, help="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…")
    q.add_argument("--name", required=True, help="the group's name, as staff know it")
    q.add_argument("--topic", action="append", default=[], help="a topic (repeat; none: every topic)")
    q.add_argument("--by", help="who adds it (default: cli:<login>)")
    _common(q)
    q = actions.add_parser("list", help="the subscriptions (active ones unless --all)")
    q.add_argument("--all", action="store_true", help="include inactive ones, with the reason")
    _common(q)
    q = actions.add_parser("remove", help="stop broadcasting to one subscription")
    q.add_argument("id", type=int)
    _common(q)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="the SQLite file (default: $ZJTX_DB or zjtx.db)")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the output")


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one `broadcast` or `groups` action; return the exit status."""
    from bot.app import build
    from bot.cli import settings_for

    delivers = args.command == "broadcast" and args.broadcast_command in ("send", "worker")
    app = build(settings_for(args), channels=False, worker=delivers)
    cli = _Cli(app, args.lang, out or sys.stdout, err or sys.stderr)
    try:
        if args.command == "groups":
            return cli.groups(args)
        return cli.broadcast(args)
    finally:
        app.close()


class _Cli:
    def __init__(self, app: App, lang: str, out: TextIO, err: TextIO) -> None:
        self.app = app
        self.store: BroadcastStore = app.broadcasts
        self.cat: Catalogs = app.assistant.catalogs
        self.lang = lang
        self.out = out
        self.err = err

    def t(self, message: str, **values: object) -> str:
        return self.cat.text(self.lang, message, **values)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def warn(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    # --- groups ---------------------------------------------------------------------------------

    def groups(self, args: argparse.Namespace) -> int:
        from bot.channels.wecom.robot import WebhookError, robot_key
        from bot.channels.wecom.sender import add_robot
        from dialogs.broadcast_compose import ALL_TOPICS

        from .report import subscription_line, topic_names, topics_label
        from .subscriptions import REMOVED

        if args.groups_command == "add":
            names = topic_names(self.cat, self.store.known_topics())  # a label names its topic
            chosen = [names.get(t.casefold(), t) for t in args.topic]  # others are kept as typed
            topics = [] if any(t.lower() in ALL_TOPICS for t in args.topic) else list(dict.fromkeys(chosen))
            try:
                sub = add_robot(
                    self.store,
                    args.webhook,
                    name=args.name,
                    topics=topics,
                    by=args.by or _login(),
                    now=time.time(),
                )
            except WebhookError as exc:
                self.warn(self.t(exc.key))
                return 2
            hint = robot_key(args.webhook)[:4] + "…"
            self.say(
                self.t(
                    "cli.groups.added",
                    id=sub.id,
                    name=sub.name,
                    robot=hint,
                    topics=topics_label(self.cat, self.lang, sub.topics),
                )
            )
            return 0
        if args.groups_command == "list":
            subs = self.store.subscriptions(active_only=not args.all)
            if not subs:
                self.say(self.t("cli.groups.none"))
            for sub in subs:
                self.say(subscription_line(self.cat, self.lang, sub))
            return 0
        if self.store.retire(args.id, REMOVED, time.time()):
            self.say(self.t("cli.groups.removed", id=args.id))
            return 0
        self.warn(self.t("cli.groups.not_found", id=args.id))
        return 1

    # --- broadcasts -----------------------------------------------------------------------------

    def broadcast(self, args: argparse.Namespace) -> int:
        from .report import report_lines, summary_line

        command = args.broadcast_command
        if command == "send":
            return self.send(args)
        if command == "worker":
            return asyncio.run(self.work(args.until_done))
        if command == "list":
            recent = self.store.broadcasts(limit=args.limit)
            if not recent:
                self.say(self.t("broadcast.list.none"))
            for b in recent:
                report = self.store.report(b.id, time.time())
                assert report is not None
                self.say(summary_line(self.cat, self.lang, report))
            return 0
        if command == "report":
            report = self.store.report(args.id, time.time())
            if report is None:
                self.warn(self.t("broadcast.report.not_found", id=args.id))
                return 1
            lines = report_lines(self.cat, self.lang, report, self.store.failures(args.id, limit=1000))
            self.say("\n".join(lines))
            return 0
        if command == "cancel":
            if self.store.cancel(args.id, _login()):
                self.say(self.t("broadcast.cancel.done", id=args.id))
                return 0
            self.warn(self.t("broadcast.cancel.not_found", id=args.id))
            return 1
        count = self.store.resend_uncertain(args.id)
        self.say(self.t("cli.resend.done", id=args.id, count=count))
        return 0

    def send(self, args: argparse.Namespace) -> int:
        from bot.images import ImageError, check_image
        from bot.settings import TIMEZONE
        from dialogs.broadcast_compose import MIN_LEAD, parse_send_time, parse_topics

        from .content import ROBOT, TELEGRAM
        from .desk import check_text
        from .report import local_time, problem_text, topic_names, topics_label

        try:
            source = Path(args.file).read_text(encoding="utf-8")
            image = (
                check_image(Path(args.image).read_bytes(), self.store.image_limit_bytes)
                if args.image
                else None
            )
        except (OSError, UnicodeDecodeError) as exc:
            self.warn(self.t("cli.file_unreadable", error=exc))
            return 2
        except ImageError as exc:
            self.warn(self.t(exc.key, **exc.values))
            return 2
        rendered, problem = check_text(source)
        if problem is not None:
            self.warn(problem_text(self.cat, self.lang, problem.key, problem.values))
            return 2
        known = self.store.known_topics()
        topics, unknown = parse_topics(" ".join(args.topic), known, topic_names(self.cat, known))
        if unknown or topics is None:
            values = {"unknown": tuple(unknown) or ("-",), "known": tuple(known)}
            self.warn(problem_text(self.cat, self.lang, "broadcast.compose.bad_topics", values))
            return 2
        now = time.time()
        send_at = now
        if args.at:
            local_now = datetime.fromtimestamp(now, TIMEZONE)
            at = parse_send_time(args.at, local_now)
            if at is None:
                self.warn(self.t("broadcast.compose.bad_time"))
                return 2
            if at < local_now + MIN_LEAD:
                self.warn(self.t("broadcast.compose.past", at=at.strftime("%Y-%m-%d %H:%M")))
                return 2
            send_at = at.timestamp()
        audience = self.store.audience(topics)
        when = self.t("cli.broadcast.at", at=local_time(send_at)) if args.at else self.t("cli.broadcast.now")
        self.say(rendered.plain)
        self.say("")
        self.say(
            self.t(
                "cli.broadcast.summary",
                telegram=audience[TELEGRAM],
                robots=audience[ROBOT],
                topics=topics_label(self.cat, self.lang, topics),
                when=when,
                image=self.t("broadcast.compose.with_image") if image else "",
            )
        )
        if not args.yes and sys.stdin.isatty():
            answer = input(self.t("cli.broadcast.confirm"))
            if answer.strip().lower() not in ("y", "yes", "是", "好"):
                self.say(self.t("cli.broadcast.aborted"))
                return 1
        broadcast = self.store.create(
            by=args.by or _login(),
            source=source,
            rendered=rendered,
            topics=topics,
            send_at=send_at,
            now=now,
            image=image,
        )
        if args.at:
            self.say(self.t("broadcast.compose.scheduled", id=broadcast.id, at=local_time(send_at)))
            return 0
        self.say(self.t("cli.broadcast.queued", id=broadcast.id))
        if args.no_wait:
            return 0
        return asyncio.run(self.deliver(broadcast.id))

    async def deliver(self, broadcast_id: int) -> int:
        """Deliver in this process (or watch another worker do it); print the report."""
        from .content import TELEGRAM
        from .report import report_lines

        worker = self._worker()
        stop = asyncio.Event()
        if not any(s.platform.channel == TELEGRAM for s in self.app.senders):
            waiting = self.store.audience(self._broadcast_topics(broadcast_id))[TELEGRAM]
            if waiting:
                self.warn(self.t("cli.broadcast.no_telegram", count=waiting))
        progress = asyncio.create_task(self._progress(broadcast_id, stop))
        try:
            ran = await worker.run(stop, until_done=True, wait_for_lease=False)
            if not ran:
                self.warn(self.t("cli.broadcast.watching"))
                await self._until_done(broadcast_id)
        finally:
            stop.set()
            await progress
            await self.app.close_senders()
        report = self.store.report(broadcast_id, time.time())
        assert report is not None
        self.say("\n".join(report_lines(self.cat, self.lang, report, self.store.failures(broadcast_id))))
        return 0 if report.counts["sent"] + report.counts["skipped"] == report.total else 1

    def _broadcast_topics(self, broadcast_id: int) -> tuple[str, ...]:
        found = self.store.broadcast(broadcast_id)
        return found.topics if found else ()

    async def _until_done(self, broadcast_id: int) -> None:
        while True:
            found = self.store.broadcast(broadcast_id)
            if found is None or found.state in ("done", "cancelled"):
                return
            await asyncio.sleep(1.0)

    async def _progress(self, broadcast_id: int, stop: asyncio.Event) -> None:
        tty = self.err.isatty()
        last_line = 0.0
        while True:
            report = self.store.report(broadcast_id, time.time())
            if report is not None and report.total:
                done = report.total - report.open
                filled = round(30 * done / report.total)
                line = self.t(
                    "cli.broadcast.progress",
                    id=broadcast_id,
                    bar="#" * filled + "." * (30 - filled),
                    done=done,
                    total=report.total,
                    sent=report.counts["sent"],
                    failed=report.counts["failed"] + report.counts["uncertain"],
                )
                if tty:
                    print(f"\r{line}", end="", file=self.err, flush=True)
                elif time.monotonic() - last_line >= 10 or stop.is_set():
                    print(line, file=self.err, flush=True)
                    last_line = time.monotonic()
            if stop.is_set():
                if tty:
                    print(file=self.err, flush=True)
                return
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                continue

    def _worker(self) -> Worker:
        assert self.app.worker is not None, "built with a worker for send and worker"
        return self.app.worker

    async def work(self, until_done: bool) -> int:
        """`zjtx broadcast worker`: deliver until SIGTERM/SIGINT (or, with --until-done, the end)."""
        import logging

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)
        worker = self._worker()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await worker.run(stop, until_done=until_done)
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            await self.app.close_senders()
        return 0


def _login() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
