"""A Telegram person hands off, the staff group answers: exactly once, to that person only."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.replies import Reply, Verdict
from bot.store import SessionKey

from .conftest import GROUP, OTHER, PERSON, STAFF, STRANGER, WEEKEND, Clock, Desk, MakeDesk, stop, texts

NOT_IN_SOURCES = "会员证书丢了怎么补办"  # the sources do not say: a hand-off when staff are reachable


async def test_a_hand_off_opens_a_ticket_and_the_staff_reply_reaches_the_person_once(desk: Desk) -> None:
    said = texts(await desk.say(NOT_IN_SOURCES))
    assert "已转给秘书处的工作人员" in said
    assert "最近几条对话会提供给促进会的工作人员" in said  # what is shared, said up front
    assert "工作人员会尽快回复" in said  # office hours: Tuesday 10:00
    notice = desk.notice(1)
    assert NOT_IN_SOURCES in notice["text"] and "王小明" in notice["text"] and "待认领" in notice["text"]
    buttons = [b["text"] for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["认领", "关闭"]

    since = desk.telegram.checkpoint()
    confirmations = await desk.in_group(
        "国家级小巨人由工业和信息化部认定，请关注工信部通知。", reply_to=notice
    )
    to_person = desk.sent_to(PERSON, since)
    assert len(to_person) == 1  # exactly once
    assert "秘书处答复（工单 #1）" in to_person[0]["text"]
    assert "工业和信息化部" in to_person[0]["text"]
    assert "已发给 王小明" in texts(confirmations)
    edited = desk.notice(1)
    assert "已答复" in edited["text"] and "陈老师" in edited["text"]  # who answered, on the notice
    assert [b["text"] for row in edited["reply_markup"]["inline_keyboard"] for b in row] == [
        "关闭",
        "存为常见问题",
    ]
    ticket = desk.app.tickets.store.get(1)  # type: ignore[union-attr]
    assert ticket is not None and ticket.state == "answered" and ticket.answered_by == f"telegram:{STAFF}"
    messages = desk.app.tickets.store.messages(1)  # type: ignore[union-attr]
    assert [(m.direction, m.delivered) for m in messages if m.direction != "note"] == [
        ("in", None),
        ("out", True),
    ]


async def test_the_persons_later_messages_arrive_in_the_same_thread_and_are_not_searched(desk: Desk) -> None:
    await desk.say("转人工")
    notice = desk.notice(1)
    replies = await desk.say("我们公司想了解申报小巨人的时间")
    assert replies == []  # the hand-off said so once; no FAQ answer
    forwarded = [m for m in desk.sent_to(GROUP) if m["text"].startswith("💬 #1")]
    assert len(forwarded) == 1 and "申报小巨人的时间" in forwarded[0]["text"]
    assert forwarded[0]["reply_to_message"]["message_id"] == notice["message_id"]
    since = desk.telegram.checkpoint()
    await desk.in_group("每年一般在5月前后申报。", reply_to=forwarded[0])  # a reply to the forwarded one
    [answer] = desk.sent_to(PERSON, since)
    assert "5月前后" in answer["text"]


async def test_commands_still_work_and_back_to_the_assistant_closes_the_ticket(desk: Desk) -> None:
    await desk.say("转人工")
    menu = await desk.say("/menu")
    assert menu and menu[0].get("reply_markup")  # the menu works while the ticket is open
    back = texts(await desk.say("回到助手"))
    assert "已回到助手" in back
    ticket = desk.app.tickets.store.get(1)  # type: ignore[union-attr]
    assert ticket is not None and ticket.state == "closed" and ticket.close_reason == "person"
    assert any("对方回到了助手" in m["text"] for m in desk.sent_to(GROUP))
    answered = texts(await desk.say("入会要交多少会费"))
    assert "会费" in answered and "来源" in answered  # the FAQ answers again


async def test_someone_in_the_staff_group_who_is_not_staff_is_ignored_and_logged(desk: Desk, caplog) -> None:
    await desk.say(NOT_IN_SOURCES)
    notice = desk.notice(1)
    since = desk.telegram.checkpoint()
    said = await desk.in_group("我来回答：随便填", user=STRANGER, reply_to=notice)
    await desk.press(notice, "认领", user=STRANGER)
    assert said == [] and desk.sent_to(PERSON, since) == []
    ticket = desk.app.tickets.store.get(1)  # type: ignore[union-attr]
    assert ticket is not None and ticket.state == "open" and ticket.claimed_by is None
    assert "desk.refused_non_staff" in caplog.text


async def test_claim_and_close_from_the_buttons_tell_the_notice_and_the_person(desk: Desk) -> None:
    await desk.say(NOT_IN_SOURCES)
    await desk.press(desk.notice(1), "认领")
    claimed = desk.notice(1)
    assert "已认领" in claimed["text"] and "认领：测试用户" in claimed["text"]  # who pressed it
    since = desk.telegram.checkpoint()
    await desk.press(claimed, "关闭")
    [told] = desk.sent_to(PERSON, since)
    assert "已结束这次人工服务（工单 #1）" in told["text"]
    assert "已关闭" in desk.notice(1)["text"]
    late = await desk.in_group("补充一句", reply_to=desk.notice(1))
    assert "已经关闭" in texts(late) and desk.sent_to(PERSON, since) == [told]


async def test_a_staff_answer_reaches_a_person_mid_questionnaire_without_touching_it(desk: Desk) -> None:
    await desk.say("转人工")
    await desk.say("/assess")
    await desk.say("企业")
    before = desk.app.store.load(SessionKey("telegram", str(PERSON), str(PERSON)))
    since = desk.telegram.checkpoint()
    await desk.in_group("稍后电话联系您。", reply_to=desk.notice(1))
    [answer] = desk.sent_to(PERSON, since)
    assert "稍后电话联系您" in answer["text"] and "可以接着回答" in answer["text"]
    after = desk.app.store.load(SessionKey("telegram", str(PERSON), str(PERSON)))
    assert (after.rev, after.session) == (before.rev, before.session)


async def test_nothing_of_one_ticket_reaches_another_person(desk: Desk) -> None:
    await desk.say("转人工", user=PERSON)
    await desk.say(NOT_IN_SOURCES, user=OTHER)
    since = desk.telegram.checkpoint()
    await desk.in_group("给第一位的答复", reply_to=desk.notice(1))
    await desk.in_group("/reply 2 给第二位的答复")
    first, second = desk.sent_to(PERSON, since), desk.sent_to(OTHER, since)
    assert len(first) == 1 and "第一位" in first[0]["text"] and "第二位" not in first[0]["text"]
    assert len(second) == 1 and "第二位" in second[0]["text"] and "第一位" not in second[0]["text"]


async def test_a_hash_answer_written_in_the_group_without_a_reply_reaches_its_person(desk: Desk) -> None:
    """ "#N text" is the desk's own shorthand: in the staff group it names no bot and replies
    to nothing, yet it is an answer (staff only: the same line from anyone else is ignored)."""
    await desk.say("转人工", user=PERSON)
    await desk.say(NOT_IN_SOURCES, user=OTHER)
    since = desk.telegram.checkpoint()
    ignored = await desk.in_group("#2 我冒充工作人员", user=STRANGER)
    confirmed = await desk.in_group("#2 答复二：证书可以补办，请来电。")
    assert ignored == [] and "已发给" in texts(confirmed)
    [answer] = desk.sent_to(OTHER, since)
    assert "证书可以补办" in answer["text"] and "冒充" not in answer["text"]
    assert desk.sent_to(PERSON, since) == []


async def test_one_open_ticket_per_person(desk: Desk) -> None:
    await desk.say("转人工")
    await desk.say(f"/faq {NOT_IN_SOURCES}")  # a second hand-off by command joins the open ticket
    store = desk.app.tickets.store  # type: ignore[union-attr]
    assert store.counts()["open"] == 1
    assert [m.text for m in store.messages(1) if m.direction == "in"] == ["转人工", NOT_IN_SOURCES]


async def test_a_restart_between_hand_off_and_answer_loses_nothing(make_desk: MakeDesk) -> None:
    first = await make_desk()
    await first.say(NOT_IN_SOURCES)
    notice = first.notice(1)
    await stop(first)
    again = await make_desk()
    since = again.telegram.checkpoint()
    await again.in_group("重启后的答复", reply_to=notice)
    [answer] = again.sent_to(PERSON, since)
    assert "重启后的答复" in answer["text"]


async def test_outside_office_hours_the_hand_off_says_when_to_expect_a_reply(make_desk: MakeDesk) -> None:
    desk = await make_desk(Clock(WEEKEND))
    said = texts(await desk.say("转人工"))
    assert "非工作时间" in said and "11月30日（周一）09:00" in said and "周一至周五 09:00–18:00" in said
    assert "会尽快回复" not in said


async def test_without_a_staff_chat_the_hand_off_promises_nothing(make_desk: MakeDesk) -> None:
    desk = await make_desk(ZJTX_STAFF_CHAT=None)
    for question in ("转人工", NOT_IN_SOURCES):
        said = texts(await desk.say(question))
        assert "18011714912" in said  # the secretariat's contacts instead
        assert "已转给" not in said and "会尽快回复" not in said and "回复会发到这里" not in said
    assert desk.app.tickets.store.counts()["open"] == 0  # type: ignore[union-attr]
    assert desk.sent_to(GROUP) == []


async def test_a_staff_chat_whose_channel_is_not_running_promises_nothing(make_desk: MakeDesk) -> None:
    desk = await make_desk(ZJTX_STAFF_CHAT="wecom:lisi", WECOM_CORP_ID=None)
    said = texts(await desk.say("转人工"))
    assert "已转给" not in said and "18011714912" in said


async def test_a_staff_answer_is_committed_with_the_staff_update_and_sent_after_a_crash(
    make_desk: MakeDesk,
) -> None:
    first = await make_desk()
    await first.say(NOT_IN_SOURCES)
    notice = first.notice(1)
    sending = first.channel.send

    async def dies_at_the_send(reply: Reply, part: Any) -> Verdict:
        if reply.chat_id == str(PERSON):  # the process "dies" as the answer would go out
            raise asyncio.CancelledError
        return await sending(reply, part)

    first.channel.send = dies_at_the_send  # type: ignore[method-assign]
    since = first.telegram.checkpoint()
    await first.in_group("证书可以补办，请带营业执照。", reply_to=notice)
    assert first.sent_to(PERSON, since) == [] and "已发给" not in texts(first.sent_to(GROUP, since))
    db = first.app.db
    # the staff's update is handled, and the answer with it: in one commit, waiting in the outbox
    assert db.rows("SELECT state FROM inbox ORDER BY id DESC LIMIT 1") == [("done",)]
    assert db.rows("SELECT kind, state, chat_id FROM reply_outbox WHERE kind='desk'") == [
        ("desk", "sending", str(PERSON))
    ]
    [out] = [m for m in first.app.tickets.store.messages(1) if m.direction == "out"]  # type: ignore[union-attr]
    assert out.delivered is None
    await stop(first)

    again = await make_desk()  # the next start sends what the outbox holds
    await again.drain()
    [answer] = again.sent_to(PERSON, since)
    assert "请带营业执照" in answer["text"] and "秘书处答复（工单 #1）" in answer["text"]
    assert "已发给 王小明" in texts(again.sent_to(GROUP, since))
    ticket = again.app.tickets.store.get(1)  # type: ignore[union-attr]
    assert ticket is not None and ticket.state == "answered"
    assert [m.delivered for m in again.app.tickets.store.messages(1) if m.direction == "out"] == [True]  # type: ignore[union-attr]


async def test_an_answer_the_platform_refuses_for_good_is_reported_to_staff(desk: Desk) -> None:
    await desk.say(NOT_IN_SOURCES)
    notice = desk.notice(1)
    desk.telegram.fail_chat(PERSON)  # the person blocked the bot since
    said = texts(await desk.in_group("稍后联系您。", reply_to=notice))
    assert "没能发出" in said
    ticket = desk.app.tickets.store.get(1)  # type: ignore[union-attr]
    assert ticket is not None and ticket.state == "open"
    assert [m.delivered for m in desk.app.tickets.store.messages(1) if m.direction == "out"] == [False]  # type: ignore[union-attr]


async def test_forget_after_a_ticket_a_staff_answer_and_a_reminder_leaves_no_row_naming_the_person(
    desk: Desk,
) -> None:
    from tests.bot.test_forget import rows_naming

    person = 7777123499  # an id no other value in the database contains
    await desk.say(NOT_IN_SOURCES, user=person)
    await desk.in_group("请带营业执照来补办。", reply_to=desk.notice(1))
    await desk.say("/bot", user=person)
    await desk.say("/assess", user=person)  # a questionnaire begun: its events, its reminder
    await desk.say("1", user=person)
    named = {table for table, _, _ in rows_naming(desk.app.db, str(person))}
    assert {"tickets", "reply_outbox", "inbox", "reminders", "questionnaire_events", "sessions"} <= named
    await desk.say("/forget", user=person)
    await desk.say("是", user=person)  # confirmed
    assert "已删除" in texts(desk.sent_to(person))
    assert rows_naming(desk.app.db, str(person)) == []


async def test_the_desk_never_lists_or_answers_tickets_in_another_group(desk: Desk) -> None:
    await desk.say(NOT_IN_SOURCES)
    members = -1005550001234  # a members' group the staff member is in too
    since = desk.telegram.checkpoint()
    for text in ("/tickets", "/reply 1 在群里答复", "#1 在群里答复"):
        update = desk.telegram.message_update(
            members, STAFF, text, chat_type="supergroup", first_name="陈老师"
        )
        await desk.push(update)
    said = texts(desk.sent_to(members, since))
    assert "私聊" in said and NOT_IN_SOURCES not in said and "王小明" not in said
    assert desk.sent_to(PERSON, since) == []  # nothing was answered from there
