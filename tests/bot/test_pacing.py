"""Pacing: a message holds its place from its send until a window after its answer."""

from __future__ import annotations

import math

from bot.pacing import Rate, SlidingWindow


def test_a_full_window_frees_a_window_after_the_oldest_answer() -> None:
    w = SlidingWindow(Rate(2, 10.0))
    assert w.free_at("k", 0.0) == 0.0
    w.sent("k", 0.0)
    w.sent("k", 1.0)
    assert math.isinf(w.free_at("k", 2.0))  # both still in flight: wait for an answer
    w.answered("k", 3.0)  # the first answer came back late: its window starts there
    assert w.free_at("k", 3.0) == 13.0
    w.answered("k", 3.5)
    assert w.free_at("k", 14.0) == 14.0 and w.free_at("other", 4.0) == 4.0


def test_a_gap_spaces_messages_and_a_block_holds_them() -> None:
    w = SlidingWindow(Rate(30, 1.0, gap=0.1))
    w.sent("k", 5.0)
    assert w.free_at("k", 5.0) == 5.1
    w.block("k", 9.0)
    assert w.free_at("k", 6.0) == 9.0


def test_what_an_earlier_worker_sent_counts_in_any_order() -> None:
    w = SlidingWindow(Rate(2, 60.0))
    w.seen("robot", 30.0)
    w.seen("robot", 10.0)
    assert w.free_at("robot", 40.0) == 70.0
