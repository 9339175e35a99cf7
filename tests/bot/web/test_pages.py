"""The console's pages as staff use them, through the real server on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app import App
from bot.broadcast.outbox import UNCERTAIN
from bot.cli import main
from bot.service import Assistant
from bot.store import SessionKey
from dialogs.i18n import load_catalogs
from dialogs.messages import Inbound, Text
from dialogs.session import Session

from .conftest import ADMIN, STAFF, Client, console_settings, log_in, seed

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- enquiries ---------------------------------------------------------------------------------


async def test_enquiries_filter_by_kind_state_and_date(app: App, client: Client) -> None:
    seed(app, company="甲公司")
    second = app.store.add_lead(SessionKey("wecom", "u2", "u2"), "callme", "乙公司", "李四", "020-12345678")
    app.store.mark_handled(second.id, "test")
    await log_in(client, app)
    body = await (await client.get("/console/enquiries")).text()
    assert "甲公司" in body and "乙公司" not in body  # open ones first
    assert "乙公司" in await (await client.get("/console/enquiries?handled=all&kind=callme")).text()
    assert "甲公司" not in await (await client.get("/console/enquiries?handled=all&kind=callme")).text()
    assert "甲公司" not in await (await client.get("/console/enquiries?from=2099-01-01")).text()
    bad = await (await client.get("/console/enquiries?from=yesterday&to=2020-01-01")).text()
    assert "日期格式应为 2026-12-01" in bad and 'aria-invalid="true"' in bad


async def test_a_note_and_marking_handled(app: App, client: Client) -> None:
    seeded = seed(app)
    csrf = await log_in(client, app)
    path = f"/console/enquiries/{seeded.lead_id}"
    empty = await client.post(f"{path}/notes", data={"csrf": csrf, "note": "  "})
    assert empty.status == 400 and "请填写这一项" in await empty.text()
    saved = await client.post(f"{path}/notes", data={"csrf": csrf, "note": "已电话沟通，下周上门"})
    assert "已电话沟通，下周上门" in await saved.text()
    handled = await client.post(f"{path}/handled", data={"csrf": csrf})
    assert f"console:{STAFF}" in await handled.text()
    assert app.store.leads(open_only=True) == []
    actions = [r[0] for r in app.db.rows("SELECT action FROM console_audit ORDER BY id")]
    assert actions[-2:] == ["lead.note", "lead.handled"]


async def test_forgetting_a_person_takes_the_notes_about_them(app: App, client: Client) -> None:
    seeded = seed(app)
    csrf = await log_in(client, app)
    await client.post(f"/console/enquiries/{seeded.lead_id}/notes", data={"csrf": csrf, "note": "私人备注"})
    app.store.forget_user("telegram", "555")
    assert app.db.rows("SELECT * FROM lead_notes") == []


async def test_exports_neutralise_formulas(app: App, client: Client) -> None:
    seed(app, company='=HYPERLINK("http://x.example","点我")')
    await log_in(client, app)
    response = await client.get("/console/enquiries/export.csv?handled=all")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert rows[0][:4] == ["编号", "提交时间", "类型", "单位"]
    assert rows[1][3] == '\'=HYPERLINK("http://x.example","点我")'
    assert rows[1][5] == "13800138000"
    book = load_workbook(io.BytesIO(await (await client.get("/console/enquiries/export.xlsx")).read()))
    sheet = book.active
    assert sheet is not None
    cell = sheet.cell(row=2, column=4)
    assert cell.value == '=HYPERLINK("http://x.example","点我")' and cell.data_type == "s"
    assert cell.quotePrefix
    assert sheet.cell(row=2, column=7).value == 72  # numbers stay numbers


# --- assessments and statistics -------------------------------------------------------------------


async def test_assessments_filter_and_show_answers_and_result(app: App, client: Client) -> None:
    seeded = seed(app, district="黄埔区")
    await log_in(client, app)
    listed = text_of(
        await (await client.get("/console/assessments?district=黄埔区&eligible=yes&tier=member")).text()
    )
    assert "黄埔区" in listed and "72" in listed
    assert "共 0 条" in text_of(await (await client.get("/console/assessments?district=天河区")).text())
    assert "共 0 条" in text_of(await (await client.get("/console/assessments?tier=none")).text())
    assert "共 1 条" in text_of(await (await client.get("/console/assessments?channel=telegram")).text())
    detail = text_of(await (await client.get(f"/console/assessments/{seeded.assessment_id}")).text())
    assert "营业收入" in detail and "5000 万元" in detail
    assert "营业收入未达" in detail  # the stored failed condition, with the rules' figures filled in
    assert "会员单位" in detail


async def test_a_chat_assessment_shows_its_result_in_the_detail(app: App, client: Client) -> None:
    """Answers stored by a real conversation keep their figures as exact strings ("120000000"):
    the detail restores them as the session does and shows the result, not a refusal."""
    from tests.conversations import EXAMPLE_A_TYPED

    key = SessionKey("telegram", "77", "77")
    replies = app.assistant.handle_now(key, Inbound(text="/assess"))
    for _ in range(60):
        question = next((r for r in reversed(replies) if hasattr(r, "id")), None)
        if question is None:
            break
        qid = question.id
        typed = "是" if qid.startswith("confirm") else EXAMPLE_A_TYPED.get(qid, "跳过")
        replies = app.assistant.handle_now(key, Inbound(text=typed))
    row = app.db.row("SELECT id, answers FROM assessments WHERE user_id='77'")
    assert row is not None and '"revenue": "120000000"' in row[1]  # as the chat stores it
    await log_in(client, app)
    detail = text_of(await (await client.get(f"/console/assessments/{row[0]}")).text())
    catalogs = load_catalogs()
    assert catalogs.text("zh", "web.assessment.no_rendering") not in detail
    assert "自测得分：72 分" in detail and "可申请本会：会员单位" in detail


async def test_statistics_count_from_the_daily_rollup(app: App, client: Client) -> None:
    seed(app, district="黄埔区")
    seed(app, district="天河区")
    await log_in(client, app)
    body = await (await client.get("/console/statistics?from=2026-10-01&to=2026-11-30")).text()
    assert re.search(r'id="finished">2<', body)
    assert body.count("<svg") == 4 and "问卷事件记录尚未启用" not in body  # recorded, none yet
    assert "黄埔区: 1" in body and "70–79: 2" in body
    app.store.forget_user("telegram", "555")
    after = await (await client.get("/console/statistics?from=2026-10-01&to=2026-11-30")).text()
    assert re.search(r'id="finished">0<', after)
    reversed_range = await (await client.get("/console/statistics?from=2026-11-30&to=2026-10-01")).text()
    assert "结束日期早于开始日期" in reversed_range


async def test_statistics_show_starts_completion_and_where_people_stop_from_the_event_log(
    app: App, client: Client
) -> None:
    from tests.conversations import INSTITUTION_TYPED

    def say(key: SessionKey, *texts: str) -> None:
        for text in texts:
            app.assistant.handle_now(key, Inbound(text=text))

    answers = [INSTITUTION_TYPED[q] for q in ("org_type", "registered_capital", "operates_park", "district")]
    say(SessionKey("telegram", "1", "1"), "/assess", *answers, "确认")  # finished
    say(SessionKey("wecom", "2", "2"), "/assess", "1", "4")  # stopped at the district
    say(SessionKey("telegram", "3", "3"), "/assess", "1", "4")  # stopped there too
    say(SessionKey("telegram", "4", "4"), "/assess", "1", "/cancel")  # gave up at the certification
    await log_in(client, app)
    body = text_of(await (await client.get("/console/statistics")).text())
    assert "4 开始的问卷" in body and "25% 完成率" in body
    assert "所在区: 2" in body and "已获认定: 1" in body
    telegram = text_of(await (await client.get("/console/statistics?channel=telegram")).text())
    assert "3 开始的问卷" in telegram and "所在区: 1" in telegram
    app.store.forget_user("telegram", "3")
    after = text_of(await (await client.get("/console/statistics")).text())
    assert "3 开始的问卷" in after and "所在区: 1" in after
    assert "0 已发出的提醒" in after and "未发出" not in after


async def test_statistics_count_the_reminders_settled_in_the_range(app: App, client: Client) -> None:
    for user in ("1", "2", "3"):
        for text in ("/assess", "1"):
            app.assistant.handle_now(SessionKey("telegram", user, user), Inbound(text=text))
    now = time.time()
    for user, state in (("1", "sent"), ("2", "sent"), ("3", "uncertain")):  # as the scheduler leaves them
        with app.db.tx() as conn:
            conn.execute("UPDATE reminders SET state=?, last_at=? WHERE user_id=?", [state, now, user])
    await log_in(client, app)
    body = await (await client.get("/console/statistics")).text()
    assert re.search(r'id="reminders-sent">2<', body) and "0 · 1" in body
    wecom = await (await client.get("/console/statistics?channel=wecom")).text()
    assert re.search(r'id="reminders-sent">0<', wecom)


# --- broadcasts -----------------------------------------------------------------------------------


async def test_the_preview_is_each_platforms_rendering(app: App, client: Client) -> None:
    csrf = await log_in(client, app)
    source = "# 通知\n**新政**发布 <script>x</script>\n> 引用\n[详情](https://example.org/a)"
    fragment = await (
        await client.post(
            "/console/broadcasts/preview", data={"source": source}, headers={"X-CSRF-Token": csrf}
        )
    ).text()
    telegram, wecom = fragment.split("在企业微信群中")
    assert "<b>通知</b>" in telegram and "<b>新政</b>" in telegram and "<blockquote>" in telegram
    assert '<a href="https://example.org/a"' in telegram
    assert '<div class="wc-h wc-h1">通知</div>' in wecom and '<div class="wc-quote">引用</div>' in wecom
    assert "&lt;script&gt;" in fragment and "<script>x" not in fragment


async def test_compose_refuses_bad_input_beside_each_field(app: App, client: Client) -> None:
    csrf = await log_in(client, app)
    empty = await client.post("/console/broadcasts/new", data={"csrf": csrf, "source": "", "action": "send"})
    body = await empty.text()
    assert empty.status == 400 and "请填写这一项" in body and "请选择主题" in body
    past = await client.post(
        "/console/broadcasts/new",
        data={
            "csrf": csrf,
            "source": "通知",
            "topic": "*",
            "when": "at",
            "at": "2020-01-01T09:00",
            "action": "send",
        },
    )
    assert "2020-01-01 09:00" in await past.text()
    garbled = await client.post(
        "/console/broadcasts/new",
        data={"csrf": csrf, "source": "通知", "topic": "*", "when": "at", "at": "soon", "action": "send"},
    )
    assert garbled.status == 400
    assert app.db.row("SELECT count(*) FROM broadcasts") == (0,)


@pytest.mark.parametrize(
    ("image", "message"), [(b"GIF89a" + b"\0" * 40, "PNG"), (PNG + b"\0" * (3 * 1024 * 1024), "2 MB")]
)
async def test_an_image_too_large_or_not_an_image_is_refused(
    app: App, client: Client, image: bytes, message: str
) -> None:
    import aiohttp

    csrf = await log_in(client, app)
    form = aiohttp.FormData()
    for name, value in {
        "csrf": csrf,
        "source": "通知",
        "topic": "*",
        "when": "now",
        "action": "send",
    }.items():
        form.add_field(name, value)
    form.add_field("image", image, filename="poster.png", content_type="image/png")
    response = await client.post("/console/broadcasts/new", data=form)
    assert response.status == 400 and message in await response.text()
    assert app.db.row("SELECT count(*) FROM broadcasts") == (0,)


async def test_schedule_see_the_report_and_cancel(app: App, client: Client) -> None:
    app.broadcasts.subscribe(
        "telegram", "-1001", kind="group", name="会员群", topics=["policy"], by="t", now=1.0
    )
    csrf = await log_in(client, app)
    tomorrow = time.strftime("%Y-%m-%dT09:00", time.localtime(time.time() + 2 * 86400))
    import aiohttp

    form = aiohttp.FormData()
    for name, value in {
        "csrf": csrf,
        "source": "**政策速递**",
        "topic": "policy",
        "when": "at",
        "at": tomorrow,
    }.items():
        form.add_field(name, value)
    form.add_field("action", "send")
    form.add_field("image", PNG, filename="p.png", content_type="image/png")
    response = await client.post("/console/broadcasts/new", data=form)
    body = text_of(await response.text())
    assert str(response.url).endswith("/console/broadcasts/1") and "定时" in body
    stored = app.broadcasts.broadcast(1)
    assert stored is not None and stored.state == "scheduled" and stored.has_image
    assert stored.topics == ("policy",) and stored.created_by == f"console:{STAFF}"
    cancelled = await client.post("/console/broadcasts/1/cancel", data={"csrf": csrf})
    assert "已取消" in text_of(await cancelled.text())
    assert "政策速递" in await (await client.get("/console/broadcasts")).text()


async def test_uncertain_rows_are_resent_only_after_a_warning(app: App, client: Client) -> None:
    app.broadcasts.subscribe("telegram", "-1001", kind="group", name="会员群", topics=[], by="t", now=1.0)
    from bot.broadcast.desk import check_text

    rendered, _ = check_text("通知")
    made = app.broadcasts.create(by="t", source="通知", rendered=rendered, topics=[], send_at=0.0, now=0.0)
    app.broadcasts.start_due(1.0)
    with app.db.tx() as conn:
        conn.execute("UPDATE broadcast_outbox SET state=?, error='timed out'", [UNCERTAIN])
    app.broadcasts.finish_if_complete(made.id, 2.0)
    csrf = await log_in(client, app)
    report = text_of(await (await client.get(f"/console/broadcasts/{made.id}")).text())
    assert "会员群" in report and "timed out" in report and "重发不确定的 1 条" in report
    warning = text_of(await (await client.get(f"/console/broadcasts/{made.id}/resend")).text())
    assert "可能收到两次" in warning
    unconfirmed = await client.post(f"/console/broadcasts/{made.id}/resend", data={"csrf": csrf})
    assert unconfirmed.status == 200 and app.db.row("SELECT state FROM broadcast_outbox") == (UNCERTAIN,)
    await client.post(f"/console/broadcasts/{made.id}/resend", data={"csrf": csrf, "confirm": "yes"})
    assert app.db.row("SELECT state FROM broadcast_outbox") == ("pending",)


# --- groups and knowledge ---------------------------------------------------------------------------


async def test_admins_add_and_remove_a_robot(app: App, client: Client) -> None:
    csrf = await log_in(client, app, ADMIN)
    bad = await client.post(
        "/console/groups/robots", data={"csrf": csrf, "webhook": "http://evil/x", "name": "群"}
    )
    assert bad.status == 400 and "webhook" in (await bad.text()).lower()
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123"
    added = await client.post(
        "/console/groups/robots", data={"csrf": csrf, "webhook": url, "name": "会员二群", "topic": "event"}
    )
    assert "会员二群" in await added.text() and "abc-123" not in await added.text()
    (sub,) = app.broadcasts.subscriptions()
    assert sub.topics == ("event",)
    removed = text_of(
        await (await client.post(f"/console/groups/{sub.id}/remove", data={"csrf": csrf})).text()
    )
    assert "已停用的订阅" in removed and "已被工作人员移除" in removed
    assert app.broadcasts.subscriptions() == []


async def test_the_knowledge_box_shows_what_the_assistant_would_answer(app: App, client: Client) -> None:
    await log_in(client, app)
    body = await (await client.get("/console/knowledge?q=入会要交多少会费")).text()
    engine = app.assistant.engine
    turn = engine.handle(Session(lang="zh"), Inbound(text="/faq 入会要交多少会费"), app.assistant.today())
    import html as html_lib

    for reply in turn.replies:
        assert html_lib.escape(reply.text, quote=True) in body
    found = engine.faq.search("入会要交多少会费")
    assert found.top[0][0] in body
    listing = await (await client.get("/console/knowledge")).text()
    assert listing.count('class="card entry"') == len(engine.faq.base.entries)
    assert "来源：" in listing


async def test_the_knowledge_box_asks_as_someone_writing_in_the_questions_language(
    app: App, client: Client
) -> None:
    csrf = await log_in(client, app)
    await client.post("/console/lang", data={"csrf": csrf, "lang": "en", "next": "/console/knowledge"})
    body = await (await client.get("/console/knowledge?q=入会要交多少会费")).text()
    assert "Knowledge" in body  # the page in English
    offer = load_catalogs().text("zh", "lang.offer").split("{")[0]
    assert "秘书处" in body and offer not in body  # a Chinese asker is answered in Chinese, no /lang offer


async def test_the_knowledge_list_shows_the_answers_computed_from_rules(app: App, client: Client) -> None:
    await log_in(client, app)
    faq = app.assistant.engine.faq
    computed = [e for e in faq.base.entries if e.rule is not None]
    assert computed  # the tiers, the conditions, the points…
    listing = await (await client.get("/console/knowledge")).text()
    import html as html_lib

    for e in computed:
        assert html_lib.escape(faq.answer_text(e, "zh"), quote=True) in listing
    assert '<p class="entry-answer">None</p>' not in listing


# --- getting a link ---------------------------------------------------------------------------------


async def test_console_in_a_private_chat_gives_staff_a_link(app: App) -> None:
    assistant: Assistant = app.assistant
    private = await assistant.handle(SessionKey("telegram", "1001", "1001"), Inbound(text="/console"))
    assert isinstance(private[0], Text)
    assert re.search(r"http://127\.0\.0\.1:8080/console/login\?token=[\w-]{40,}", private[0].text)
    group = await assistant.handle(SessionKey("telegram", "-100", "1001"), Inbound(text="/console"))
    assert "私聊" in group[0].text and "token" not in group[0].text
    stranger = await assistant.handle(SessionKey("telegram", "42", "42"), Inbound(text="/console"))
    assert "token" not in stranger[0].text
    assert app.db.row("SELECT count(*) FROM console_links") == (1,)


def test_zjtx_console_link_prints_a_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    settings = console_settings(tmp_path)
    for name, value in {
        "ZJTX_DB": settings.db, "ZJTX_STAFF": settings.staff, "ZJTX_ADMIN": settings.admin,
        "ZJTX_CONSOLE_KEY": settings.console_key, "ZJTX_PUBLIC_URL": settings.public_url,
    }.items():  # fmt: skip
        monkeypatch.setenv(name, str(value))
    monkeypatch.chdir(tmp_path)
    assert main(["console", "link", STAFF]) == 0
    assert capsys.readouterr().out.startswith("http://127.0.0.1:8080/console/login?token=")
    assert main(["console", "link", "telegram:42"]) == 1
    monkeypatch.delenv("ZJTX_CONSOLE_KEY")
    assert main(["console", "link", STAFF]) == 2
    assert "ZJTX_CONSOLE_KEY" in capsys.readouterr().err
