"""Staff answer across channels: a WeCom person from the Telegram staff group, a Telegram
person from a WeCom staff member; forum topics; the timers; saved answers; /forget."""

from __future__ import annotations

from .conftest import (
    GROUP,
    PERSON,
    STAFF,
    WECHAT_PERSON,
    WECOM_PERSON,
    WECOM_STAFF,
    Desk,
    MakeDesk,
    texts,
    wecom_texts,
)

NOT_IN_SOURCES = "会员证书丢了怎么补办"
HOUR = 3600.0


async def test_a_wecom_person_is_answered_from_the_telegram_staff_group(desk: Desk) -> None:
    said = wecom_texts(await desk.wecom_say(NOT_IN_SOURCES))
    assert "已转给秘书处的工作人员" in said
    notice = desk.notice(1)
    assert "企业微信" in notice["text"] and WECOM_PERSON in notice["text"]
    seen = len(desk.wecom.delivered_messages())
    telegram_since = desk.telegram.checkpoint()
    await desk.in_group("补办请带营业执照到秘书处。", reply_to=notice)
    delivered = desk.wecom_to(WECOM_PERSON, seen)
    assert len(delivered) == 1 and "补办请带营业执照" in wecom_texts(delivered)
    assert "秘书处答复（工单 #1）" in wecom_texts(delivered)
    assert desk.sent_to(PERSON, telegram_since) == []  # no Telegram person gets it


async def test_a_wechat_follower_is_answered_from_the_telegram_staff_group(desk: Desk) -> None:
    await desk.wechat_say(NOT_IN_SOURCES)  # the hand-off is the passive reply
    notice = desk.notice(1)
    assert "公众号" in notice["text"] and WECHAT_PERSON in notice["text"]
    await desk.in_group("请带营业执照来补办。", reply_to=notice)
    delivered = [m["text"]["content"] for m in desk.wechat.delivered(WECHAT_PERSON) if m["msgtype"] == "text"]
    assert len([m for m in delivered if "请带营业执照来补办" in m]) == 1
    assert "已答复" in desk.notice(1)["text"]


async def test_a_telegram_person_is_answered_by_a_wecom_staff_member(make_desk: MakeDesk) -> None:
    desk = await make_desk(ZJTX_STAFF_CHAT=f"wecom:{WECOM_STAFF}")
    said = texts(await desk.say(NOT_IN_SOURCES))
    assert "已转给秘书处的工作人员" in said
    notices = wecom_texts(desk.wecom_to(WECOM_STAFF))
    assert "工单 #1" in notices and "#1 答复内容" in notices and "/claim 1" in notices
    since = desk.telegram.checkpoint()
    confirm = await desk.wecom_say("#1 补办请带营业执照到秘书处。", user=WECOM_STAFF)
    [answer] = desk.sent_to(PERSON, since)
    assert "补办请带营业执照" in answer["text"]
    assert "已发给 王小明" in wecom_texts(confirm)
    listing = wecom_texts(await desk.wecom_say("/tickets", user=WECOM_STAFF))
    assert "#1 · 已答复" in listing
    closing = wecom_texts(await desk.wecom_say("/close 1", user=WECOM_STAFF))
    assert "已关闭工单 #1" in closing
    assert "已结束这次人工服务" in desk.sent_to(PERSON, since)[-1]["text"]


async def test_a_wecom_user_who_is_not_staff_cannot_answer(make_desk: MakeDesk) -> None:
    desk = await make_desk(ZJTX_STAFF_CHAT=f"wecom:{WECOM_STAFF}")
    await desk.say(NOT_IN_SOURCES)
    since = desk.telegram.checkpoint()
    refused = wecom_texts(await desk.wecom_say("/reply 1 冒充的答复", user="wangwu"))
    assert "仅限本会工作人员" in refused
    assert desk.sent_to(PERSON, since) == []


async def test_in_a_forum_each_ticket_has_its_topic_and_staff_answer_there(desk: Desk) -> None:
    desk.telegram.make_forum(GROUP, title="秘书处工作群")
    await desk.say(NOT_IN_SOURCES)
    [topic] = desk.telegram.topics(GROUP)
    assert topic["forum_topic_created"]["name"].startswith("#1 会员证书丢了")
    notice = desk.notice(1)
    assert notice["message_thread_id"] == topic["message_thread_id"]
    await desk.say("证书编号我记不清了")
    forwarded = [m for m in desk.sent_to(GROUP) if m["text"].startswith("💬 #1")]
    assert forwarded and forwarded[0]["message_thread_id"] == topic["message_thread_id"]
    since = desk.telegram.checkpoint()
    # written in the topic, not as a reply to anything in particular
    confirm = await desk.in_group("没关系，我们按公司名查。", message_thread_id=topic["message_thread_id"])
    [answer] = desk.sent_to(PERSON, since)
    assert "按公司名查" in answer["text"]
    assert confirm and confirm[0]["message_thread_id"] == topic["message_thread_id"]


async def test_a_ticket_nobody_claims_is_raised_once_after_four_working_hours(desk: Desk) -> None:
    await desk.say(NOT_IN_SOURCES)  # Tuesday 10:00
    tickets = desk.app.tickets
    assert tickets is not None
    desk.clock.advance(3.9 * HOUR)
    assert await tickets.sweep() == (0, 0)
    desk.clock.advance(0.2 * HOUR)  # 14:06: four working hours have passed
    assert await tickets.sweep() == (1, 0)
    reminders = [m for m in desk.sent_to(GROUP) if m["text"].startswith("⏰ 工单 #1")]
    assert (
        len(reminders) == 1 and reminders[0]["reply_to_message"]["message_id"] == desk.notice(1)["message_id"]
    )
    desk.clock.advance(48 * HOUR)
    assert await tickets.sweep() == (0, 0)  # once
    assert len([m for m in desk.sent_to(GROUP) if m["text"].startswith("⏰")]) == 1


async def test_working_hours_skip_the_night(desk: Desk) -> None:
    desk.clock.advance(7 * HOUR)  # Tuesday 17:00: one working hour left today
    await desk.say(NOT_IN_SOURCES)
    tickets = desk.app.tickets
    assert tickets is not None
    desk.clock.advance(14 * HOUR)  # Wednesday 07:00
    assert await tickets.sweep() == (0, 0)
    desk.clock.advance(5 * HOUR)  # Wednesday 12:00: 1 + 3 working hours
    assert await tickets.sweep() == (1, 0)


async def test_a_claimed_ticket_is_not_raised(desk: Desk) -> None:
    await desk.say(NOT_IN_SOURCES)
    await desk.press(desk.notice(1), "认领")
    desk.clock.advance(30 * HOUR)
    assert await desk.app.tickets.sweep() == (0, 0)  # type: ignore[union-attr]


async def test_an_answered_ticket_closes_after_seven_idle_days_and_tells_the_person(desk: Desk) -> None:
    await desk.say(NOT_IN_SOURCES)
    await desk.in_group("请带营业执照来补办。", reply_to=desk.notice(1))
    tickets = desk.app.tickets
    assert tickets is not None
    desk.clock.advance(6 * 24 * HOUR)
    await desk.say("好的，还需要带什么？")  # the person writes: the idle time starts again
    await desk.in_group("公章即可。", reply_to=desk.notice(1))
    desk.clock.advance(6.9 * 24 * HOUR)
    assert await tickets.sweep() == (0, 0)
    since = desk.telegram.checkpoint()
    desk.clock.advance(0.2 * 24 * HOUR)
    assert await tickets.sweep() == (0, 1)
    [told] = desk.sent_to(PERSON, since)
    assert "已自动结束" in told["text"]
    assert "已关闭" in desk.notice(1)["text"]


async def test_an_english_speaker_is_told_in_english(desk: Desk) -> None:
    said = texts(await desk.say("I want to talk to someone", language_code="en"))
    assert "passed you to the secretariat's staff" in said and "shared with the association's staff" in said
    since = desk.telegram.checkpoint()
    await desk.in_group("We will call you this afternoon.", reply_to=desk.notice(1))
    [answer] = desk.sent_to(PERSON, since)
    assert answer["text"].startswith("💬 The secretariat replies (ticket #1)")
    await desk.press(desk.notice(1), "关闭")
    assert "closed this conversation" in desk.sent_to(PERSON, since)[-1]["text"]


async def test_a_saved_answer_answers_the_next_person_without_a_restart(desk: Desk) -> None:
    await desk.say(NOT_IN_SOURCES)
    await desk.in_group(
        "会员证书遗失的，请发邮件到秘书处申请补办，3 个工作日内寄出。", reply_to=desk.notice(1)
    )
    await desk.press(desk.notice(1), "存为常见问题")
    saved = [m for m in desk.sent_to(GROUP) if "已存为常见问题 staff_1" in m["text"]]
    assert len(saved) == 1
    answer = texts(await desk.say(NOT_IN_SOURCES, user=44))
    assert "请发邮件到秘书处申请补办" in answer and "来源：秘书处答复（2026-11-24）" in answer
    assert "陈老师" not in answer  # the staff member is kept with the entry, not shown
    assert desk.app.tickets.store.counts()["open"] == 0  # type: ignore[union-attr]  # no new ticket
    removed = texts(await desk.in_group("/faq_remove staff_1"))
    assert "已删除常见问题 staff_1" in removed
    again = texts(await desk.say(NOT_IN_SOURCES, user=45))
    assert "请发邮件到秘书处申请补办" not in again and "已转给秘书处的工作人员" in again


async def test_saving_before_any_answer_says_what_to_do(desk: Desk) -> None:
    await desk.say(NOT_IN_SOURCES)
    said = texts(await desk.in_group("/save 1"))
    assert "先答复，再存为常见问题" in said


async def test_forget_deletes_the_persons_tickets_and_their_messages(desk: Desk) -> None:
    await desk.say(NOT_IN_SOURCES)
    await desk.say("补充：公司名是广州示例科技")
    await desk.in_group("请带营业执照来补办。", reply_to=desk.notice(1))
    store = desk.app.tickets.store  # type: ignore[union-attr]
    assert store.messages(1)
    await desk.say("/forget")
    said = texts(await desk.say("是"))
    assert "工单" in said
    assert store.get(1) is None and store.messages(1) == []
    db = desk.app.db
    assert db.row("SELECT count(*) FROM ticket_posts") == (0,)
    assert db.row("SELECT count(*) FROM tickets") == (0,)
    since = desk.telegram.checkpoint()
    late = texts(await desk.in_group("迟到的答复", reply_to=desk.notice(1)))
    assert desk.sent_to(PERSON, since) == [] and "迟到的答复" not in late


async def test_staff_commands_from_a_private_chat(desk: Desk) -> None:
    await desk.say(NOT_IN_SOURCES)
    listing = texts(await desk.say("/tickets", user=STAFF))
    assert "#1 · 待认领 · 王小明" in listing
    assert "已认领工单 #1" in texts(await desk.say("/claim 1", user=STAFF))
    assert "已由" in texts(await desk.say("/claim 1", user=STAFF))
    since = desk.telegram.checkpoint()
    assert "已发给" in texts(await desk.say("/reply 1 这是私聊里的答复", user=STAFF))
    assert "私聊里的答复" in desk.sent_to(PERSON, since)[0]["text"]
    assert "用法" in texts(await desk.say("/reply abc", user=STAFF))
    assert "没有工单 #99" in texts(await desk.say("/reply 99 你好", user=STAFF))
    assert "仅限本会工作人员" in texts(await desk.say("/tickets"))  # the person is no staff
