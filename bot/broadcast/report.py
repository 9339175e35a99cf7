"""Broadcast reports and lists as staff read them (chat and command line), from the catalogs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.settings import TIMEZONE
from dialogs.i18n import LANGS, Catalogs

from .content import ROBOT, TELEGRAM
from .outbox import FAILED, PENDING, SENDING, SENT, SKIPPED, UNCERTAIN, Broadcast, Report
from .subscriptions import Subscription

__all__ = [
    "duration",
    "local_time",
    "problem_text",
    "report_lines",
    "subscription_line",
    "summary_line",
    "topic_label",
    "topic_names",
    "topics_label",
]

EXCERPT = 60
STATES = {
    "scheduled": "broadcast.state.scheduled",
    "delivering": "broadcast.state.delivering",
    "done": "broadcast.state.done",
    "cancelled": "broadcast.state.cancelled",
}
ROWS = {
    SENT: "broadcast.row.sent",
    FAILED: "broadcast.row.failed",
    SKIPPED: "broadcast.row.skipped",
    UNCERTAIN: "broadcast.row.uncertain",
    PENDING: "broadcast.row.pending",
    SENDING: "broadcast.row.sending",
}
CHANNELS = {TELEGRAM: "broadcast.channel.telegram", ROBOT: "broadcast.channel.wecom_robot"}


def local_time(timestamp: float) -> str:
    """A Unix time as Beijing time, e.g. "2026-12-01 09:00"."""
    return datetime.fromtimestamp(timestamp, TIMEZONE).strftime("%Y-%m-%d %H:%M")


def duration(cat: Catalogs, lang: str, seconds: float) -> str:
    whole = max(0, round(seconds))
    if whole < 60:
        return cat.text(lang, "broadcast.duration.seconds", seconds=whole)
    return cat.text(lang, "broadcast.duration.minutes", minutes=whole // 60, seconds=whole % 60)


def topic_label(cat: Catalogs, lang: str, topic: str) -> str:
    """A topic as people read it: the label of a topic of the rules data (``topic.<id>``), or
    a topic staff added themselves, as typed."""
    key = f"topic.{topic}"
    return cat.text(lang, key) if cat.has(key) else topic


def topics_label(cat: Catalogs, lang: str, topics: Sequence[str]) -> str:
    """Topics in a line with the catalog's separator; "every topic" for none."""
    if not topics:
        return cat.text(lang, "broadcast.topics.all")
    return cat.text(lang, "list.sep").join(topic_label(cat, lang, t) for t in topics)


def topic_names(cat: Catalogs, topics: Sequence[str]) -> dict[str, str]:
    """What people may type for each topic (its id, its label in every language), folded."""
    names: dict[str, str] = {}
    for topic in topics:
        for lang in LANGS:
            names.setdefault(topic_label(cat, lang, topic).casefold(), topic)
        names.setdefault(topic.casefold(), topic)
    return names


def problem_text(cat: Catalogs, lang: str, key: str, values: Mapping[str, object]) -> str:
    """A refusal of the compose steps, its lists of topics shown as labels."""
    shown = {
        name: topics_label(cat, lang, value) if isinstance(value, tuple) else value
        for name, value in values.items()
    }
    return cat.text(lang, key, **shown)


def _counts(cat: Catalogs, lang: str, report: Report) -> dict[str, object]:
    took = (
        ""
        if report.took is None
        else cat.text(lang, "broadcast.took", duration=duration(cat, lang, report.took))
    )
    return {
        "sent": report.counts[SENT],
        "failed": report.counts[FAILED],
        "skipped": report.counts[SKIPPED],
        "uncertain": report.counts[UNCERTAIN],
        "pending": report.counts[PENDING] + report.counts[SENDING],
        "total": report.total,
        "took": took,
    }


def summary_line(cat: Catalogs, lang: str, report: Report) -> str:
    """One broadcast in a list: number, state, topics, who and when, then its counts."""
    b = report.broadcast
    return cat.text(
        lang,
        "broadcast.list.line",
        id=b.id,
        state=cat.text(lang, STATES[b.state]),
        topics=topics_label(cat, lang, b.topics),
        by=b.created_by,
        when=local_time(b.send_at),
        **_counts(cat, lang, report),
    )


def _excerpt(broadcast: Broadcast) -> str:
    first = " ".join(broadcast.source.split())
    return first if len(first) <= EXCERPT else first[: EXCERPT - 1] + "…"


def report_lines(
    cat: Catalogs, lang: str, report: Report, failures: Sequence[tuple[str, str, str]] = ()
) -> list[str]:
    """The delivery report of one broadcast: who, when, what, the counts, why rows were not sent."""
    b = report.broadcast
    lines = [
        cat.text(
            lang,
            "broadcast.report.title",
            id=b.id,
            state=cat.text(lang, STATES[b.state]),
            by=b.created_by,
            created=local_time(b.created_at),
            topics=topics_label(cat, lang, b.topics),
            at=local_time(b.send_at),
            excerpt=_excerpt(b),
        ),
        cat.text(lang, "broadcast.report.counts", **_counts(cat, lang, report)),
    ]
    for state, reason, count in report.reasons:
        lines.append(
            cat.text(
                lang,
                "broadcast.report.reason",
                state=cat.text(lang, ROWS[state]),
                count=count,
                reason=cat.text(lang, reason) if reason else "-",
            )
        )
    for target, state, reason in failures:
        lines.append(
            cat.text(
                lang,
                "broadcast.report.target",
                target=target,
                state=cat.text(lang, ROWS[state]),
                reason=cat.text(lang, reason) if reason else "-",
            )
        )
    if report.counts[UNCERTAIN]:
        lines.append(cat.text(lang, "broadcast.report.uncertain_hint", id=b.id))
    return lines


def subscription_line(cat: Catalogs, lang: str, sub: Subscription) -> str:
    state = (
        cat.text(lang, "broadcast.subscription.active")
        if sub.active
        else cat.text(
            lang, "broadcast.subscription.inactive", reason=cat.text(lang, sub.inactive_reason or "-")
        )
    )
    return cat.text(
        lang,
        "broadcast.subscription.line",
        id=sub.id,
        channel=cat.text(lang, CHANNELS[sub.channel]),
        name=sub.name,
        topics=topics_label(cat, lang, sub.topics),
        state=state,
    )
