"""Questions typed outside the questionnaire: answered from the FAQ, kept out when out of
scope, and handed to a person only when one is asked for or staff are reachable."""

from __future__ import annotations

from datetime import date

from bot.service import Assistant
from bot.store import MemoryStore, SessionKey
from dialogs.engine import DialogEngine
from dialogs.messages import Inbound, Menu, Notify, Outbound, Text

WITH_STAFF = DialogEngine(staff_reachable=True)
NO_STAFF = DialogEngine()
KEY = SessionKey("telegram", "5", "5")
PROMISES = ("会尽快回复", "will get back to you", "will reply soon")


def make(engine: DialogEngine = WITH_STAFF) -> tuple[Assistant, list[Notify]]:
    notices: list[Notify] = []

    async def notify(n: Notify) -> None:
        notices.append(n)

    return Assistant(MemoryStore(), engine, lambda: date(2026, 11, 23), notify=notify), notices


def text_of(replies: list[Outbound]) -> str:
    return "\n".join(getattr(r, "text", "") for r in replies)


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


async def test_without_staff_a_hand_off_gives_the_contacts_and_promises_nothing() -> None:
    bot, notices = make(NO_STAFF)
    for question in ("转人工", "国家级小巨人的认定条件是什么"):
        text = text_of(await bot.handle(KEY, Inbound(text=question)))
        assert "18011714912" in text and "gzzjtx@gzzjtx.com" in text
        assert not any(p in text for p in PROMISES)
    assert not notices


async def test_out_of_scope_says_what_is_covered_and_tells_no_one() -> None:
    for engine in (WITH_STAFF, NO_STAFF):
        bot, notices = make(engine)
        for question in ("明天天气怎么样", "深圳的小巨人奖励多少", "高新技术企业认定要什么条件"):
            text = text_of(await bot.handle(KEY, Inbound(text=question)))
            assert "专精特新" in text and not any(p in text for p in PROMISES)
            assert "100 万元" not in text  # never Guangzhou's award for Shenzhen
        assert not notices


async def test_a_figure_of_the_rules_is_computed() -> None:
    bot, _ = make()
    text = text_of(await bot.handle(KEY, Inbound(text="研发人员占比 20% 能拿几分")))
    assert "5 分" in text and "二、（四）12" in text


async def test_unsure_offers_three_questions_then_does_not_guess_again() -> None:
    bot, notices = make(NO_STAFF)
    first = await bot.handle(KEY, Inbound(text="奖励"))
    assert isinstance(first[0], Menu) and len(first[0].choices) == 3
    picked = await bot.handle(KEY, Inbound(choice=first[0].choices[0].value))
    assert isinstance(picked[0], Text) and "来源" in picked[0].text
    await bot.handle(KEY, Inbound(text="奖励"))
    second = await bot.handle(KEY, Inbound(text="奖励"))
    assert isinstance(second[0], Text) and "18011714912" in second[0].text  # two misses: the contacts
    assert not notices


async def test_two_misses_hand_off_when_staff_are_reachable() -> None:
    bot, notices = make()
    await bot.handle(KEY, Inbound(text="奖励"))
    second = await bot.handle(KEY, Inbound(text="奖励"))
    assert isinstance(second[0], Text) and notices


async def test_script_injection_and_emoji_are_handled_politely() -> None:
    bot, notices = make()
    for text in ("<script>alert(1)</script>", "😀😀😀", "x" * 5000):
        replies = await bot.handle(KEY, Inbound(text=text))
        assert replies and all(isinstance(r, Text | Menu) for r in replies)
        assert "<script>" not in " ".join(getattr(r, "text", "") for r in replies)
    assert not notices  # garbage is not a staff member's business


async def test_english_questions_are_answered_in_english_and_chinese_in_chinese() -> None:
    bot, _ = make()
    await bot.handle(KEY, Inbound(text="/lang zh"))
    english = text_of(await bot.handle(KEY, Inbound(text="How much is the alliance fee?")))
    assert "20,000" in english and "Source" in english
    await bot.handle(KEY, Inbound(text="/lang en"))
    chinese = text_of(await bot.handle(KEY, Inbound(text="上市联盟的会费是多少")))
    assert "来源" in chinese and "2 万元" in chinese
