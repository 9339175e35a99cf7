"""The ticket store: one open ticket per person, the states, messages, posts, due times, forget."""

from __future__ import annotations

import pytest

from bot.db import connect
from bot.store import SessionKey
from bot.tickets.store import Opening, TicketStore

PERSON = SessionKey("telegram", "42", "42")


@pytest.fixture
def store() -> TicketStore:
    return TicketStore(connect(":memory:"))


def opened(
    store: TicketStore, key: SessionKey = PERSON, question: str = "会员证书丢了怎么补办", now: float = 100.0
):
    return store.open(Opening(key=key, question=question, lang="zh", now=now, remind_at=now + 50))


def answer(
    store: TicketStore, ticket_id: int, by: str, name: str | None, text: str, now: float, **how: object
):
    """A staff answer as the desk records it: stored, then how its delivery went."""
    sent = store.sending(ticket_id, by, name, text, now, via=str(how.get("via", "telegram")))
    return store.answered(
        ticket_id,
        sent,
        by,
        name,
        now,
        delivered=bool(how["delivered"]),
        close_at=how.get("close_at"),  # type: ignore[arg-type]
    )


def test_a_person_has_one_ticket_open_at_a_time(store: TicketStore) -> None:
    first, created = opened(store)
    again, created_again = opened(
        store, SessionKey("telegram", "-100", "42"), question="还有一个问题", now=110
    )
    assert created and not created_again and again.id == first.id
    assert [m.text for m in store.messages(first.id)] == ["会员证书丢了怎么补办", "还有一个问题"]
    other, _ = opened(store, SessionKey("wecom", "42", "42"))  # another channel's 42 is someone else
    assert other.id != first.id
    store.close(first.id, "telegram:7", "staff", 120)
    third, created = opened(store)
    assert created and third.id not in (first.id, other.id)


def test_open_claimed_answered_and_back(store: TicketStore) -> None:
    ticket, _ = opened(store)
    assert ticket.state == "open" and store.open_in(PERSON) == ticket
    assert store.open_in(SessionKey("telegram", "-100", "42")) is None  # captured only where it was opened
    claimed, ok = store.claim(ticket.id, "telegram:7", "陈老师", 101)
    assert ok and claimed is not None and claimed.state == "claimed" and claimed.remind_at is None
    assert store.claim(ticket.id, "telegram:8", "李老师", 102)[1] is False
    answered = answer(
        store, ticket.id, "telegram:7", "陈老师", "答复", 103, via="telegram", delivered=True, close_at=500
    )
    assert answered is not None and answered.state == "answered" and answered.first_reply_at == 103
    back = store.person_wrote(ticket.id, "还有问题", 104, "王小明", "telegram")
    assert back is not None and back.state == "claimed" and back.close_at is None
    closed, ok = store.close(ticket.id, "telegram:7", "staff", 105)
    assert (
        ok
        and closed is not None
        and closed.state == "closed"
        and store.close(ticket.id, "x", "staff", 106)[1] is False
    )
    assert [m.direction for m in store.messages(ticket.id)] == ["in", "note", "out", "in", "note"]


def test_an_undelivered_answer_is_kept_but_does_not_answer(store: TicketStore) -> None:
    ticket, _ = opened(store)
    after = answer(
        store, ticket.id, "telegram:7", None, "答复", 103, via="console", delivered=False, close_at=500
    )
    assert after is not None and after.state == "open" and after.first_reply_at is None
    assert store.messages(ticket.id)[-1].delivered is False


def test_an_answer_without_a_claim_claims_it_for_its_author(store: TicketStore) -> None:
    ticket, _ = opened(store)
    after = answer(
        store, ticket.id, "wecom:lisi", "李四", "答复", 103, via="wecom", delivered=True, close_at=None
    )
    assert after is not None and (after.claimed_by, after.claimed_name) == ("wecom:lisi", "李四")


def test_due_times_are_found_and_a_reminder_is_taken_once(store: TicketStore) -> None:
    ticket, _ = opened(store)
    assert store.due_reminders(149) == [] and [t.id for t in store.due_reminders(150)] == [ticket.id]
    assert store.reminded(ticket.id, 151) and not store.reminded(ticket.id, 152)
    assert store.due_reminders(10_000) == []
    answer(store, ticket.id, "telegram:7", None, "答复", 160, via="telegram", delivered=True, close_at=900)
    assert store.due_closing(899) == [] and [t.id for t in store.due_closing(900)] == [ticket.id]


def test_posts_and_topics_lead_back_to_their_ticket(store: TicketStore) -> None:
    ticket, _ = opened(store)
    store.set_notice(ticket.id, "telegram:-100", "55", "54")
    store.add_post("telegram:-100", "60", ticket.id)
    assert (
        store.by_post("telegram:-100", "55") == ticket.id
        and store.by_post("telegram:-100", "60") == ticket.id
    )
    assert store.by_post("telegram:-200", "55") is None  # another chat's message 55 is not it
    assert store.by_thread("telegram:-100", "54") == ticket.id


def test_forget_takes_the_tickets_messages_and_posts(store: TicketStore) -> None:
    ticket, _ = opened(store)
    store.add_post("telegram:-100", "60", ticket.id)
    kept, _ = opened(store, SessionKey("telegram", "43", "43"))
    assert store.forget("telegram", "42") == 1
    assert store.get(ticket.id) is None and store.messages(ticket.id) == []
    assert store.by_post("telegram:-100", "60") is None and store.get(kept.id) is not None
