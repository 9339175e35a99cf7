"""Questions typed outside the questionnaire: answered from the FAQ, or handed to a person."""

from __future__ import annotations

from datetime import date

from bot.service import Assistant
from bot.store import MemoryStore, SessionKey
from dialogs.engine import DialogEngine
from dialogs.messages import Inbound, Menu, Notify, Text

ENGINE = DialogEngine()
KEY = SessionKey("telegram", "5", "5")


def make() -> tuple[Assistant, list[Notify]]:
    notices: list[Notify] = []

    async def notify(n: Notify) -> None:
        notices.append(n)

    return Assistant(MemoryStore(), ENGINE, lambda: date(2026, 11, 23), notify=notify), notices


async def test_a_clear_question_gets_the_answer_with_its_source() -> None:
    bot, notices = make()
    replies = await bot.handle(KEY, Inbound(text="上市联盟的会费是多少"))
    text = replies[0].text if isinstance(replies[0], Text) else ""
    assert "2 万元" in text or "2万元" in text
    assert "来源" in text and not notices


async def test_asking_for_a_person_hands_off_with_contacts_and_tells_staff() -> None:
    bot, notices = make()
    replies = await bot.handle(KEY, Inbound(text="转人工"))
    assert isinstance(replies[0], Text) and "18011714912" in replies[0].text
    assert len(notices) == 1 and "转人工" in notices[0].text and "telegram" in notices[0].text


async def test_unsure_offers_three_questions_then_hands_off_after_two_misses() -> None:
    bot, notices = make()
    first = await bot.handle(KEY, Inbound(text="会费多少"))
    assert isinstance(first[0], Menu) and len(first[0].choices) == 3
    picked = await bot.handle(KEY, Inbound(choice=first[0].choices[0].value))
    assert isinstance(picked[0], Text) and "来源" in picked[0].text
    await bot.handle(KEY, Inbound(text="会费多少"))
    second = await bot.handle(KEY, Inbound(text="会费多少"))
    assert isinstance(second[0], Text) and notices  # two misses in a row: a person takes over


async def test_script_injection_and_emoji_are_handled_politely() -> None:
    bot, _ = make()
    for text in ("<script>alert(1)</script>", "😀😀😀", "x" * 5000):
        replies = await bot.handle(KEY, Inbound(text=text))
        assert replies and all(isinstance(r, Text | Menu) for r in replies)
        assert "<script>" not in " ".join(getattr(r, "text", "") for r in replies)


async def test_english_questions_are_answered_in_english() -> None:
    bot, _ = make()
    replies = await bot.handle(KEY, Inbound(text="How do we apply to join the association?"))
    assert isinstance(replies[0], Text | Menu)
    assert "Source" in replies[0].text or "Which of these" in replies[0].text
