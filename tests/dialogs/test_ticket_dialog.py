"""The dialog with a ticket open: typed text goes to staff, commands still work, 回到助手 ends
it; the hand-off says what is shared and when staff answer; the recent conversation is kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dialogs.engine import DialogEngine
from dialogs.messages import Inbound, Menu
from dialogs.office_hours import OfficeHours
from dialogs.session import RECENT_KEPT, Session

TODAY = date(2026, 11, 24)
GZ = ZoneInfo("Asia/Shanghai")
ENGINE = DialogEngine(staff_reachable=True, office_hours=OfficeHours.parse(None))


def said(turn_replies: Sequence[object]) -> str:
    return "\n".join(getattr(r, "text", "") for r in turn_replies)


def test_with_a_ticket_typed_text_goes_to_it_and_is_not_answered() -> None:
    turn = ENGINE.handle(Session(), Inbound(text="入会要交多少会费"), TODAY, ticket=12)
    assert turn.to_ticket == "入会要交多少会费" and turn.replies == [] and turn.notices == []


def test_with_a_ticket_commands_and_the_questionnaire_still_work() -> None:
    menu = ENGINE.handle(Session(), Inbound(text="/menu"), TODAY, ticket=12)
    assert isinstance(menu.replies[0], Menu) and menu.to_ticket is None
    started = ENGINE.handle(Session(), Inbound(text="/assess"), TODAY, ticket=12)
    answer = ENGINE.handle(started.session, Inbound(text="企业"), TODAY, ticket=12)
    assert answer.to_ticket is None and answer.session.answers  # an answer, not a message to staff


def test_back_to_the_assistant_ends_the_ticket() -> None:
    for typed in ("回到助手", "/bot", "Back to the assistant."):
        turn = ENGINE.handle(Session(), Inbound(text=typed), TODAY, ticket=12)
        assert turn.release_ticket and turn.to_ticket is None, typed
    idle = ENGINE.handle(Session(), Inbound(text="/bot"), TODAY)
    assert not idle.release_ticket and "您现在就在和助手对话" in said(idle.replies)


def test_the_hand_off_says_what_is_shared_and_when_staff_answer() -> None:
    open_now = datetime(2026, 11, 24, 10, tzinfo=GZ)
    text = said(ENGINE.handle(Session(), Inbound(text="转人工"), TODAY, now=open_now).replies)
    assert "最近几条对话会提供给促进会的工作人员" in text and "会尽快回复" in text
    saturday = datetime(2026, 11, 28, 10, tzinfo=GZ)
    text = said(ENGINE.handle(Session(), Inbound(text="转人工"), TODAY, now=saturday).replies)
    assert "非工作时间" in text and "11月30日（周一）09:00" in text and "会尽快回复" not in text


def test_without_staff_nothing_is_promised_or_shared() -> None:
    engine = DialogEngine(office_hours=OfficeHours.parse(None))
    turn = engine.handle(Session(), Inbound(text="转人工"), TODAY, now=datetime(2026, 11, 24, 10, tzinfo=GZ))
    text = said(turn.replies)
    assert "已转给" not in text and "提供给促进会的工作人员" not in text and turn.notices == []


def test_the_recent_conversation_is_kept_short() -> None:
    session = Session()
    for n in range(10):
        session = ENGINE.handle(session, Inbound(text=f"/tiers {n}"), TODAY).session
    assert len(session.recent) == RECENT_KEPT
    assert session.recent[-2].who == "person" and session.recent[-2].text == "/tiers 9"
    assert session.recent[-1].who == "assistant"
    long = ENGINE.handle(Session(), Inbound(text="字" * 2000), TODAY).session
    assert len(long.recent[0].text) <= 300
