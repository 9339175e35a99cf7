"""``zjtx tickets stats`` and ``zjtx faq list|remove|export``: the desk's figures and the
knowledge base's staff entries, from the command line (docs/interfaces.md#command-line)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, time
from pathlib import Path
from typing import TextIO

from bot.settings import TIMEZONE
from dialogs.i18n import Catalogs

from .stats import TicketStats, Waits, ticket_stats

__all__ = ["add_parsers", "run"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `tickets` and `faq` commands to the `zjtx` parser."""
    p = sub.add_parser("tickets", help="the staff desk's tickets")
    actions = p.add_subparsers(dest="tickets_command", required=True, metavar="ACTION")
    q = actions.add_parser(
        "stats", help="opened, answered, closed, open now, time to the first reply, topics"
    )
    q.add_argument("--since", help="count from this Beijing day, YYYY-MM-DD (default: every ticket)")
    q.add_argument("--json", action="store_true", help="one JSON object (times in seconds)")
    _common(q)

    p = sub.add_parser("faq", help="the knowledge base: its entries, and those staff made from their answers")
    actions = p.add_subparsers(dest="faq_command", required=True, metavar="ACTION")
    q = actions.add_parser("list", help="the entries (id, topic, question, source)")
    q.add_argument("--staff", action="store_true", help="only the entries staff made (存为常见问题)")
    _common(q)
    q = actions.add_parser("remove", help="remove an entry staff made (the seed entries live in rules/data)")
    q.add_argument("id", help="the entry's id, e.g. staff_12")
    _common(q)
    q = actions.add_parser("export", help="the staff entries as TOML in the format of rules/data/faq.toml")
    q.add_argument("-o", "--output", help="the file to write (default: standard output)")
    _common(q)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="the SQLite file (default: $ZJTX_DB or zjtx.db)")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the output")


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one `tickets` or `faq` action; return the exit status."""
    from bot.app import build
    from bot.cli import settings_for

    out, err = out or sys.stdout, err or sys.stderr
    since = None
    if getattr(args, "since", None):
        try:
            day = datetime.strptime(args.since, "%Y-%m-%d").date()
        except ValueError:
            print(f"zjtx tickets: --since must be YYYY-MM-DD, got {args.since!r}", file=err)
            return 2
        since = datetime.combine(day, time(), TIMEZONE).timestamp()
    app = build(settings_for(args), channels=False, worker=False)
    cat, lang = app.assistant.catalogs, args.lang
    try:
        if args.command == "tickets":
            stats = ticket_stats(app.db, since)
            if args.json:
                out.write(json.dumps(stats.as_json(), ensure_ascii=False) + "\n")
            else:
                out.write(stats_text(stats, cat, lang, args.since) + "\n")
            return 0
        knowledge = app.knowledge
        assert knowledge is not None
        if args.faq_command == "list":
            for record in knowledge.records():
                shown = record.question_zh if lang == "zh" and record.question_zh else record.question_en
                who = record.made_by_name or record.made_by
                line = cat.text(
                    lang, "cli.faq.staff_line", id=record.id, topic=record.topic, question=shown or "",
                    date=record.made_on.isoformat(), who=who,
                )  # fmt: skip
                out.write(line + "\n")
            if not args.staff:
                for entry in knowledge.base.entries:
                    out.write(
                        cat.text(lang, "cli.faq.seed_line", id=entry.id, topic=entry.topic,
                                 question=entry.question.get(lang), source=entry.source.file) + "\n"
                    )  # fmt: skip
            return 0
        if args.faq_command == "remove":
            if knowledge.remove(args.id):
                print(cat.text(lang, "desk.staff.removed", id=args.id), file=err)
                return 0
            seed = any(e.id == args.id for e in knowledge.base.entries)
            print(
                cat.text(lang, "cli.faq.seed_kept" if seed else "desk.staff.remove_unknown", id=args.id),
                file=err,
            )
            return 1
        text = knowledge.export_toml()
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            out.write(text)
        print(cat.text(lang, "cli.faq.exported", count=len(knowledge.records())), file=err)
        return 0
    finally:
        app.close()


def stats_text(stats: TicketStats, cat: Catalogs, lang: str, since: str | None) -> str:
    """The figures as the secretariat reads them."""

    def t(key: str, **values: object) -> str:
        return cat.text(lang, key, **values)

    def waits(label: str, w: Waits) -> str:
        if not w.answered:
            return t("cli.tickets.waits_none", label=t(label))
        return t(
            "cli.tickets.waits",
            label=t(label),
            answered=w.answered,
            median=span(cat, lang, w.median or 0),
            p90=span(cat, lang, w.p90 or 0),
        )

    lines = [t("cli.tickets.title_since", since=since) if since else t("cli.tickets.title")]
    lines.append(
        t("cli.tickets.counts", opened=stats.opened, answered=stats.answered, closed=stats.closed,
          open_now=stats.open_now)
    )  # fmt: skip
    lines += [
        waits("cli.tickets.all", stats.waits),
        waits("cli.tickets.in_hours", stats.in_hours),
        waits("cli.tickets.out_of_hours", stats.out_of_hours),
    ]
    if stats.topics:
        lines.append(t("cli.tickets.topics"))
        for topic, count in stats.topics:
            label = (
                cat.text(lang, TOPIC_LABELS[topic]) if topic in TOPIC_LABELS else t("cli.tickets.no_topic")
            )
            lines.append(t("cli.tickets.topic_line", topic=label, count=count))
    return "\n".join(lines)


def span(cat: Catalogs, lang: str, seconds: float) -> str:
    """A wait as people say it: 12 分钟, 3 小时 5 分钟, 2 天 4 小时."""
    minutes = max(0, round(seconds / 60))
    if minutes < 60:
        return cat.text(lang, "cli.duration.minutes", minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return cat.text(lang, "cli.duration.hours", hours=hours, minutes=minutes)
    days, hours = divmod(hours, 24)
    return cat.text(lang, "cli.duration.days", days=days, hours=hours)


def _topic_labels() -> dict[str, str]:
    from bot.knowledge import TOPICS

    return {topic: f"web.knowledge.topic.{topic}" for topic in TOPICS}


TOPIC_LABELS = _topic_labels()
