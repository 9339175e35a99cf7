"""Composing a broadcast, step by step, and reading the times and topics staff type."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.settings import TIMEZONE
from dialogs.broadcast_compose import (
    Ask,
    Cancelled,
    Draft,
    Fetch,
    Problem,
    Review,
    Schedule,
    Send,
    advance,
    image_fetched,
    parse_send_time,
    parse_topics,
)

NOW = datetime(2026, 11, 23, 10, 30, tzinfo=TIMEZONE)
KNOWN = ("政策", "活动", "申报通知")


def step(draft: Draft, said: str) -> tuple[Draft | None, object]:
    return advance(draft, said, known_topics=KNOWN, now=NOW, check_text=lambda text: None)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-01 09:00", datetime(2026, 12, 1, 9, 0)),
        ("2026/12/01 9:00", datetime(2026, 12, 1, 9, 0)),
        ("2026年12月1日 9：00", datetime(2026, 12, 1, 9, 0)),
        ("12-01 09:00", datetime(2026, 12, 1, 9, 0)),
        ("12月1日 18:30", datetime(2026, 12, 1, 18, 30)),
        ("15:00", datetime(2026, 11, 23, 15, 0)),
        ("明天 9:00", datetime(2026, 11, 24, 9, 0)),
        ("tomorrow 9:00", datetime(2026, 11, 24, 9, 0)),
        ("后天 08:05", datetime(2026, 11, 25, 8, 5)),
    ],
)
def test_send_times_are_read_as_beijing_time(typed: str, expected: datetime) -> None:
    assert parse_send_time(typed, NOW) == expected.replace(tzinfo=TIMEZONE)


@pytest.mark.parametrize("typed", ["", "下周", "2026-02-30 09:00", "25:00", "12-01", "9点"])
def test_other_times_are_not_guessed(typed: str) -> None:
    assert parse_send_time(typed, NOW) is None


@pytest.mark.parametrize(
    ("typed", "topics", "unknown"),
    [
        ("政策", ["政策"], []),
        ("活动 政策", ["政策", "活动"], []),
        ("政策、申报通知，政策", ["政策", "申报通知"], []),
        ("1 3", ["政策", "申报通知"], []),
        ("全部", [], []),
        ("ALL", [], []),
        ("体育 政策", ["政策"], ["体育"]),
        ("", None, []),
    ],
)
def test_topics_by_name_number_or_all(typed: str, topics: list[str] | None, unknown: list[str]) -> None:
    assert parse_topics(typed, KNOWN) == (topics, unknown)


@pytest.mark.parametrize("typed", ["9" * 5000, "²", "١"])
def test_a_number_int_refuses_is_an_unknown_topic_not_a_crash(typed: str) -> None:
    assert parse_topics(typed, KNOWN) == ([], [typed])


def test_the_steps_in_order_then_send() -> None:
    draft, action = step(Draft(), "**新政**")
    assert draft is not None and draft.step == "image" and action == Ask("image")
    draft, action = step(draft, "/broadcast noimage")
    assert draft is not None and draft.step == "topics" and action == Ask("topics")
    draft, action = step(draft, "/broadcast topic 政策")
    assert draft is not None and draft.topics == ["政策"] and action == Review()
    assert step(draft, "/broadcast send") == (None, Send())


def test_an_image_link_is_fetched_before_the_topics() -> None:
    draft, _ = step(Draft(), "正文")
    assert draft is not None
    fetching, action = step(draft, "https://example.cn/a.png")
    assert action == Fetch("https://example.cn/a.png") and fetching is not None and fetching.step == "image"
    failed, problem = image_fetched(fetching, Problem("broadcast.image.not_png_jpeg"))
    assert failed.step == "image" and failed.image_url is None and isinstance(problem, Problem)
    fetched, action = image_fetched(fetching, None)
    assert fetched.step == "topics" and action == Ask("topics")
    assert step(draft, "跳过")[1] == Ask("topics")
    assert isinstance(step(draft, "一张图")[1], Problem)


def test_scheduling_wants_a_time_at_least_a_minute_ahead() -> None:
    review = Draft(step="review", source="正文", topics=["活动"])
    draft, action = step(review, "/broadcast schedule")
    assert draft is not None and action == Ask("when")
    assert step(draft, "下周")[1] == Problem("broadcast.compose.bad_time")
    assert step(draft, "10:30")[1] == Problem("broadcast.compose.past", {"at": "2026-11-23 10:30"})
    assert step(draft, "明天 9:00") == (None, Schedule(datetime(2026, 11, 24, 9, 0, tzinfo=TIMEZONE)))


def test_cancel_works_at_every_step_and_edit_starts_over() -> None:
    for where in ("text", "image", "topics", "review", "when"):
        assert step(Draft(step=where, source="x"), "/cancel") == (None, Cancelled())
        assert step(Draft(step=where, source="x"), "/broadcast cancel")[1] == Cancelled()
    assert step(Draft(step="review", source="x"), "/broadcast edit") == (Draft(), Ask("text"))


def test_what_does_not_fit_the_step_is_refused_and_the_draft_stays() -> None:
    review = Draft(step="review", source="正文")
    assert step(review, "好的") == (review, Problem("broadcast.compose.choose"))
    assert step(Draft(), "/broadcast send") == (Draft(), Problem("broadcast.compose.need_text"))
    topics = Draft(step="topics", source="正文")
    draft, problem = step(topics, "体育")
    assert (
        draft == topics and isinstance(problem, Problem) and problem.values["unknown"] == ("体育",)
    )  # joined when shown
    refused = advance(
        Draft(), "太长", known_topics=KNOWN, now=NOW, check_text=lambda text: Problem("broadcast.text.empty")
    )
    assert refused == (Draft(), Problem("broadcast.text.empty"))
