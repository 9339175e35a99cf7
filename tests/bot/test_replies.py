"""The reply outbox: every Outbound type survives its JSON, a row's moves, /forget, pruning."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.db import connect
from bot.replies import (
    Again,
    Dropped,
    Postman,
    Reply,
    ReplyOutbox,
    Sent,
    Undeliverable,
    Verdict,
    dump_messages,
    load_messages,
)
from dialogs import messages
from dialogs.messages import Choice, Menu, Outbound, Question, Result, Text

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]))


def strategy_for(kind: type[Any]) -> st.SearchStrategy[Any]:
    """Instances of a dataclass of dialogs/messages.py: plain JSON where a field is Any."""
    hints = typing.get_type_hints(kind, vars(messages))
    overrides: dict[str, st.SearchStrategy[Any]] = {}
    for f in dataclasses.fields(kind):
        hint = hints[f.name]
        if hint is str:
            overrides[f.name] = TEXT
        elif typing.get_origin(hint) is dict:
            overrides[f.name] = st.dictionaries(st.text(max_size=5), JSON, max_size=4)
    return st.builds(kind, **overrides)


OUTBOUND_TYPES = typing.get_args(Outbound)


def test_every_outbound_type_is_a_dataclass_the_outbox_knows() -> None:
    assert len(OUTBOUND_TYPES) >= 4
    for kind in OUTBOUND_TYPES:
        assert dataclasses.is_dataclass(kind)


@pytest.mark.parametrize("kind", OUTBOUND_TYPES, ids=[k.__name__ for k in OUTBOUND_TYPES])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_outbound_type_survives_the_outbox(kind: type[Any], data: st.DataObject) -> None:
    message = data.draw(strategy_for(kind))
    assert load_messages(dump_messages([message])) == (message,)


def test_a_channels_own_items_pass_through_as_they_were() -> None:
    item = {"_t": "telegram.planned", "html": "<b>x</b>", "plain": "x", "markup": {"inline_keyboard": [[1]]}}
    result = Result({"score": 72, "subsidies": ["a", "b"]}, ("part one", "part two"))
    assert load_messages(dump_messages([Text("a"), item, result])) == (Text("a"), item, result)


class Recorder:
    """A sender that answers from a script, part by part, and records what it was given."""

    def __init__(self, verdicts: list[Verdict] | None = None) -> None:
        self.verdicts = list(verdicts or [])
        self.sent: list[str] = []

    def parts(self, reply: Reply) -> list[str]:
        return [getattr(m, "text", "") for m in reply.messages]

    async def send(self, reply: Reply, part: Any) -> Verdict:
        verdict = self.verdicts.pop(0) if self.verdicts else Sent()
        if isinstance(verdict, Sent):
            self.sent.append(part)
        return verdict


async def no_wait(seconds: float) -> None:
    """A clock that does not wait."""


async def test_a_row_goes_out_part_by_part_and_is_recorded_sent(tmp_path: Path) -> None:
    outbox = ReplyOutbox(connect(tmp_path / "z.db"))
    row = outbox.add("x", "chat", [Text("one"), Text("two")], user_id="u", lang="zh")
    sender = Recorder([Sent(), Again("busy"), Sent()])
    postman = Postman(outbox, sleep=no_wait)
    postman.attach("x", sender)
    await postman.drain("x")
    assert sender.sent == ["one", "two"]
    assert outbox.db.rows("SELECT state, parts_done, attempts FROM reply_outbox WHERE id=?", [row]) == [
        ("sent", 2, 1)
    ]


async def test_a_row_left_sending_is_sent_again_from_the_part_in_flight(tmp_path: Path) -> None:
    outbox = ReplyOutbox(connect(tmp_path / "z.db"))
    row = outbox.add("x", "chat", [Text("one"), Text("two"), Text("three")], user_id="u", lang="zh")
    assert outbox.claim(row, "crashed")
    outbox.progress(row, "crashed", 1, final=False)  # part one recorded, part two on the wire: killed
    sender = Recorder()
    postman = Postman(outbox, sleep=no_wait)
    postman.attach("x", sender)  # the next start
    await postman.drain("x")
    assert sender.sent == ["two", "three"]  # nothing skipped; "two" may have arrived twice


async def test_a_dropped_part_is_skipped_and_an_undeliverable_reply_fails(tmp_path: Path) -> None:
    outbox = ReplyOutbox(connect(tmp_path / "z.db"))
    first = outbox.add("x", "chat", [Text("card"), Text("text")], user_id="u", lang="zh")
    second = outbox.add("x", "chat", [Text("blocked")], user_id="u", lang="zh")
    third = outbox.add("x", "chat", [Text("later")], user_id="u", lang="zh")
    sender = Recorder([Dropped("no cards"), Sent(), Undeliverable("blocked")])
    postman = Postman(outbox, sleep=no_wait)
    postman.attach("x", sender)
    await postman.drain("x")
    states: dict[int, str] = dict(outbox.db.rows("SELECT id, state FROM reply_outbox"))
    assert states == {first: "sent", second: "failed", third: "sent"}  # a failed row blocks no other
    assert sender.sent == ["text", "later"]


async def test_one_chats_rows_go_in_order(tmp_path: Path) -> None:
    outbox = ReplyOutbox(connect(tmp_path / "z.db"))
    for n in range(20):
        outbox.add("x", "chat" if n % 2 else "other", [Text(str(n))], user_id="u", lang="zh")
    sender = Recorder()
    postman = Postman(outbox, sleep=no_wait)
    postman.attach("x", sender)
    await postman.drain("x")
    assert [int(s) for s in sender.sent if int(s) % 2] == list(range(1, 20, 2))


def test_forget_deletes_what_was_sent_and_marks_the_rest_to_go_once_sent(tmp_path: Path) -> None:
    outbox = ReplyOutbox(connect(tmp_path / "z.db"))
    sent = outbox.add("x", "42", [Text("a")], user_id="42", lang="zh")
    assert outbox.claim(sent, "a")
    outbox.progress(sent, "a", 1, final=True)
    waiting = outbox.add("x", "42", [Text("b")], user_id="42", lang="zh")
    other = outbox.add("x", "43", [Text("c")], user_id="43", lang="zh")
    assert outbox.forget("x", "42") == 1
    assert outbox.claim(waiting, "b")
    outbox.progress(waiting, "b", 1, final=True)
    assert [r[0] for r in outbox.db.rows("SELECT id FROM reply_outbox")] == [other]


def test_pruning_deletes_only_rows_done_before_the_cutoff(tmp_path: Path) -> None:
    now = [1000.0]
    outbox = ReplyOutbox(connect(tmp_path / "z.db"), clock=lambda: now[0])
    old = outbox.add("x", "1", [Text("a")], user_id=None, lang="zh")
    assert outbox.claim(old, "a")
    outbox.progress(old, "a", 1, final=True)
    now[0] = 5000.0
    pending = outbox.add("x", "1", [Text("b")], user_id=None, lang="zh")
    assert outbox.prune(before=2000.0) == 1
    assert [r[0] for r in outbox.db.rows("SELECT id FROM reply_outbox")] == [pending]


def test_questions_and_menus_keep_their_choices() -> None:
    q = Question("revenue", "营业收入？", (Choice("1", "一"),), True, (3, 22), True)
    m = Menu("菜单", (Choice("/assess", "自测"),))
    assert load_messages(dump_messages([q, m])) == (q, m)
