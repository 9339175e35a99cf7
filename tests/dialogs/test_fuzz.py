"""10,000 arbitrary lines at every question (tests/fuzzing.py, seeded): the engine always
answers and never raises.

Every question the walks of test_robustness reach, the enquiry's steps, an idle session
and one after a result; each line typed, and as a button's value. The default is 1,000
lines a question so the suite stays quick; ``ZJTX_FUZZ_LINES=10000`` runs the full count.
"""

from __future__ import annotations

import os
import zlib
from functools import cache

import pytest

from dialogs.engine import Turn
from dialogs.messages import Inbound, Question
from dialogs.session import Session
from tests.dialogs.test_robustness import ENGINE, TODAY, reachable
from tests.fuzzing import lines

LINES = int(os.environ.get("ZJTX_FUZZ_LINES", "1000"))


@cache
def sessions() -> dict[str, Session]:
    found = dict(reachable())
    turn: Turn = ENGINE.handle(Session(), Inbound(text="/join"), TODAY)
    for step in ("yes", "广州某某科技有限公司", "李四"):
        question = turn.replies[-1]
        assert isinstance(question, Question)
        found[question.id] = turn.session
        turn = ENGINE.handle(turn.session, Inbound(text=step), TODAY)
    question = turn.replies[-1]
    assert isinstance(question, Question) and question.id == "lead_phone"
    found["lead_phone"] = turn.session
    found["idle"] = Session()
    confirm = reachable()["confirm"]
    found["after a result"] = ENGINE.handle(
        confirm.model_copy(deep=True), Inbound(text="确认"), TODAY
    ).session
    return found


@pytest.mark.parametrize("where", sorted(sessions()))
def test_arbitrary_lines_never_crash_the_engine(where: str) -> None:
    start = sessions()[where]
    for n, text in enumerate(lines(seed=zlib.crc32(where.encode()), count=LINES)):
        inbound = Inbound(choice=text) if n % 7 == 6 else Inbound(text=text)
        turn = ENGINE.handle(start.model_copy(deep=True), inbound, TODAY)
        assert turn.replies, (where, text)
        turn.session.model_dump_json()  # what the store writes
