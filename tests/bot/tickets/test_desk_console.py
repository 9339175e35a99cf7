"""The console's desk page against the running assistant: a reply typed in the browser
reaches the person through the fake Telegram exactly as a reply in the staff group does;
claim, close, 存为常见问题 and editing the saved entry; CSRF, audit, escaping."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from tests.bot.web.conftest import log_in

from .conftest import PERSON, STAFF, Desk, MakeDesk, texts

KEY = Fernet.generate_key().decode()
ADMIN = "telegram:9001"
NOT_IN_SOURCES = "会员证书丢了怎么补办"
Client = TestClient[Any, Any]


@pytest.fixture
async def served(make_desk: MakeDesk) -> Desk:
    return await make_desk(
        WECOM_CORP_ID=None,
        ZJTX_CONSOLE_KEY=KEY,
        ZJTX_PUBLIC_URL="http://127.0.0.1:8080",
        ZJTX_STAFF=f"telegram:{STAFF},{ADMIN}",
        ZJTX_ADMIN=ADMIN,
    )


@pytest.fixture
async def client(served: Desk) -> AsyncIterator[Client]:
    async with TestClient(TestServer(served.app.web(), host="127.0.0.1")) as made:
        yield made


async def test_the_desk_lists_tickets_and_a_reply_from_the_console_reaches_the_person(
    served: Desk, client: Client
) -> None:
    await served.say(NOT_IN_SOURCES)
    await served.say("<script>alert(1)</script> 证书编号忘了")
    csrf = await log_in(client, served.app, f"telegram:{STAFF}")
    listing = await (await client.get("/console/desk")).text()
    assert NOT_IN_SOURCES in listing and 'data-live="/console/desk/list?state=active"' in listing
    page = await (await client.get("/console/desk/1")).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    since = served.telegram.checkpoint()
    sent = await client.post("/console/desk/1/reply", data={"csrf": csrf, "text": "请带营业执照来补办。"})
    # committed with the request, sent by the reply outbox: the page says it is on its way
    assert sent.status == 200 and "正在发给 王小明" in await sent.text()
    await served.drain()
    [answer] = served.sent_to(PERSON, since)
    assert "秘书处答复（工单 #1）" in answer["text"] and "请带营业执照来补办" in answer["text"]
    assert "已答复" in served.notice(1)["text"]  # the staff group's notice shows it too
    page = await (await client.get("/console/desk/1")).text()
    assert "发送中" not in page and "不会重发" not in page  # delivered: neither on its way nor uncertain
    audit = served.app.db.rows("SELECT who, action, subject FROM console_audit WHERE action LIKE 'ticket.%'")
    assert audit == [(f"telegram:{STAFF}", "ticket.reply", "ticket:1")]


async def test_a_reply_without_the_csrf_token_or_text_is_refused(served: Desk, client: Client) -> None:
    await served.say(NOT_IN_SOURCES)
    csrf = await log_in(client, served.app, f"telegram:{STAFF}")
    since = served.telegram.checkpoint()
    forged = await client.post("/console/desk/1/reply", data={"text": "伪造"}, allow_redirects=False)
    assert forged.status == 403
    empty = await client.post("/console/desk/1/reply", data={"csrf": csrf, "text": "  "})
    assert empty.status == 400 and "field-error" in await empty.text()
    assert served.sent_to(PERSON, since) == []


async def test_claim_close_and_save_from_the_console(served: Desk, client: Client) -> None:
    await served.say(NOT_IN_SOURCES)
    csrf = await log_in(client, served.app, ADMIN)
    claimed = await (await client.post("/console/desk/1/claim", data={"csrf": csrf})).text()
    assert "已认领工单 #1" in claimed and "认领：telegram:9001" in served.notice(1)["text"]
    await client.post("/console/desk/1/reply", data={"csrf": csrf, "text": "遗失的证书请发邮件申请补办。"})
    saved = await (await client.post("/console/desk/1/save", data={"csrf": csrf})).text()
    assert "已存为常见问题 staff_1" in saved
    knowledge = await (await client.get("/console/knowledge?origin=staff")).text()
    assert "遗失的证书请发邮件申请补办" in knowledge and "秘书处答复" in knowledge
    form = await (await client.get("/console/knowledge/staff/staff_1")).text()
    assert "遗失的证书请发邮件申请补办" in form
    edited = await client.post(
        "/console/knowledge/staff/staff_1",
        data={
            "csrf": csrf, "topic": "membership", "question_zh": NOT_IN_SOURCES,
            "answer_zh": "遗失的证书请发邮件到 gzzjtx@gzzjtx.com 申请补办。",
            "question_en": "How do I replace a lost membership certificate?",
            "answer_en": "Email gzzjtx@gzzjtx.com to ask for a new one.", "asks": "证书丢了\n证书遗失怎么办",
        },
    )  # fmt: skip
    assert edited.status == 200
    english = texts(await served.say("How do I replace a lost membership certificate?", user=46))
    assert "Email gzzjtx@gzzjtx.com" in english
    closed = await (await client.post("/console/desk/1/close", data={"csrf": csrf})).text()
    assert "已关闭工单 #1" in closed
    actions = [
        r[0] for r in served.app.db.rows("SELECT action FROM console_audit WHERE who=? ORDER BY id", [ADMIN])
    ]
    assert actions[-5:] == ["ticket.claim", "ticket.reply", "ticket.save", "faq.edit", "ticket.close"]


async def test_a_staff_entry_that_repeats_a_phrasing_is_refused_beside_the_form(
    served: Desk, client: Client
) -> None:
    await served.say(NOT_IN_SOURCES)
    await served.in_group("请发邮件申请补办。", reply_to=served.notice(1))
    await served.in_group("/save 1")
    csrf = await log_in(client, served.app, ADMIN)
    refused = await client.post(
        "/console/knowledge/staff/staff_1",
        data={"csrf": csrf, "topic": "membership", "question_zh": "会员有几个等级", "answer_zh": "见章程。"},
    )
    body = await refused.text()
    assert refused.status == 400 and "已经有同样的问法" in body


async def test_staff_cannot_edit_entries_and_admins_remove_them(served: Desk, client: Client) -> None:
    await served.say(NOT_IN_SOURCES)
    await served.in_group("请发邮件申请补办。", reply_to=served.notice(1))
    await served.in_group("/save 1")
    csrf = await log_in(client, served.app, f"telegram:{STAFF}")
    assert (await client.get("/console/knowledge/staff/staff_1")).status == 403
    refused = await client.post("/console/knowledge/staff/staff_1/remove", data={"csrf": csrf})
    assert refused.status == 403
    async with TestClient(TestServer(served.app.web(), host="127.0.0.1")) as admin:
        token = await log_in(admin, served.app, ADMIN)
        gone = await admin.post("/console/knowledge/staff/staff_1/remove", data={"csrf": token})
        assert gone.status == 200
    assert served.app.knowledge is not None and served.app.knowledge.records() == []
    assert "请发邮件申请补办" not in texts(await served.say(NOT_IN_SOURCES, user=47))


async def test_the_list_fragment_shows_a_new_ticket(served: Desk, client: Client) -> None:
    await log_in(client, served.app, f"telegram:{STAFF}")
    before = await (await client.get("/console/desk/list", headers={"X-Requested-With": "fetch"})).text()
    assert 'id="ticket-1"' not in before
    await served.say(NOT_IN_SOURCES)
    after = await (await client.get("/console/desk/list", headers={"X-Requested-With": "fetch"})).text()
    assert after.startswith('<div id="desk-list"') and 'id="ticket-1"' in after
    assert re.search(r'id="count-open">1<', after)
    transcript = await (await client.get("/console/desk/1/transcript")).text()
    assert transcript.startswith('<div id="transcript"') and NOT_IN_SOURCES in transcript


async def test_a_ticket_of_a_channel_not_running_says_it_was_not_sent(served: Desk, client: Client) -> None:
    with served.app.db.tx() as conn:  # a WeCom person's ticket; WeCom is not configured in this server
        conn.execute(
            "INSERT INTO tickets (channel, chat_id, user_id, lang, question, state, opened_at, changed_at) "
            "VALUES ('wecom', 'zhaoliu', 'zhaoliu', 'zh', '发票怎么开', 'open', 0, 0)"
        )
    csrf = await log_in(client, served.app, f"telegram:{STAFF}")
    said = await (await client.post("/console/desk/1/reply", data={"csrf": csrf, "text": "稍后回复"})).text()
    assert "没能发出" in said
    store = served.app.tickets.store  # type: ignore[union-attr]
    [out] = [m for m in store.messages(1) if m.direction == "out"]
    assert out.delivered is False and store.get(1).state == "open"  # type: ignore[union-attr]
    assert "未送达" in await (await client.get("/console/desk/1")).text()
