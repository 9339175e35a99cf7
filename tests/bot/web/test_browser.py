"""The console in a real Chromium (Debian's, driven by Playwright; no browser is downloaded),
against a real `zjtx serve` whose Telegram channel polls the fake Bot API: log in by link,
answer a ticket (the fake platform receives the reply), see a new ticket appear without a
reload, schedule a broadcast and read its report, export enquiries, open the statistics; a
screenshot of every page at desk and phone width.

Without a Chromium that starts these tests fail (ZJTX_SKIP_BROWSER=1 skips them on purpose)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import broadcast_platforms
from bot.broadcast.desk import check_text
from bot.broadcast.store import BroadcastStore
from bot.db import connect
from bot.store import SessionKey, SqliteStore
from bot.tickets.store import Opening, TicketStore
from tests.fakes.telegram_api import FakeTelegramBotApi

from .conftest import ADMIN, KEY, STAFF

CHROMIUM = os.environ.get("ZJTX_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("ZJTX_ARTIFACTS", ROOT / "artifacts")) / "console"
WIDTHS = {"desk": (1280, 900), "phone": (390, 844)}

if os.environ.get("ZJTX_SKIP_BROWSER") == "1":
    pytest.skip("ZJTX_SKIP_BROWSER=1: browser tests skipped on purpose", allow_module_level=True)


@dataclass
class Server:
    url: str
    env: dict[str, str]
    db: Path

    def link(self, staff: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "console", "link", staff],
            env=self.env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout.strip()


@dataclass
class Platform:
    """The fake Bot API, served from its own event loop in a thread beside the browser."""

    api: FakeTelegramBotApi
    loop: asyncio.AbstractEventLoop

    def run(self, work: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)


PERSON = 7  # the Telegram user of the seeded ticket


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The first assessment's answers have long names in English and large figures: a narrow
# screen must wrap the names, never the figures.
LONG_ANSWERS = {
    "rd_expense_avg_2y": "160000000",
    "equity_financing_2y": "1600000000",
    "main_revenue_growth_pct": "12.5",
    "registered_capital": "160000000",
}

REASONS = {
    "failed": "Forbidden: bot was kicked",
    "uncertain": "timed out",
    "skipped": "broadcast.reason.removed",
}


def _seed(path: Path) -> None:
    """What the pages show: assessments over some weeks, enquiries (one with a script in it),
    subscriptions, a delivered broadcast with every kind of row."""
    db = connect(path)
    store = SqliteStore(db)
    districts = ["天河区", "黄埔区", "番禺区", "海珠区", "白云区"]
    tiers = [None, "member", "director", "vice_president"]
    today = date.today()
    with db.tx() as conn:
        for i in range(120):
            score = (i * 37) % 101
            day = today - timedelta(days=(i * 5) % 150)
            conn.execute(
                "INSERT INTO assessments (channel, chat_id, user_id, made_on, rules_version, answers, "
                "result, created_at) VALUES (?,?,?,?,?,?,?,?)",
                [
                    "telegram" if i % 3 else "wecom", str(i), str(i), day.isoformat(), "2026.11.0",
                    json.dumps(
                        {"district": districts[i % 5], "revenue": 30_000_000 + i}
                        | ({} if i else LONG_ANSWERS), ensure_ascii=False,
                    ),
                    json.dumps({"score": score, "eligible": score >= 60, "tier": tiers[i % 4],
                                "failed_conditions": [] if score >= 60 else ["score_or_direct"]}),
                    f"{day.isoformat()}T02:00:00+00:00",
                ],
            )  # fmt: skip
    store.add_lead(
        SessionKey("telegram", "7", "7"), "join", "广州星河智能装备有限公司", "王小明", "13800138000"
    )
    store.add_lead(
        SessionKey("wecom", "lisi", "lisi"), "callme", "<script>alert('x')</script>", "李四", "020-87654321"
    )
    broadcasts = BroadcastStore(db, broadcast_platforms())
    now = time.time()
    for n in range(6):
        broadcasts.subscribe(
            "telegram", f"-100{n}", kind="group", name=f"会员{n}群", topics=["policy"], by="t", now=now
        )
    broadcasts.subscribe(
        "wecom_robot", "k1", kind="robot", name="理事单位群", topics=[], by="t", now=now,
        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
    )  # fmt: skip
    gone = broadcasts.subscribe("telegram", "-2001", kind="group", name="旧群", topics=[], by="t", now=now)
    broadcasts.retire(gone.id, "broadcast.reason.removed", now)
    rendered, _ = check_text(
        "# 政策速递\n**2026 年**专精特新申报通知已发布，详见 [通知](https://example.org/n)。"
    )
    made = broadcasts.create(
        by="console:telegram:9001", source="# 政策速递\n**2026 年**专精特新申报通知已发布。",
        rendered=rendered, topics=["policy"], send_at=time.time() - 3600, now=time.time() - 3600,
    )  # fmt: skip
    broadcasts.start_due(time.time() - 3500)
    with db.tx() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM broadcast_outbox ORDER BY id").fetchall()]
        states = ["sent", "sent", "sent", "failed", "uncertain", "skipped", "sent"]
        for row_id, state in zip(ids, states, strict=False):
            conn.execute(
                "UPDATE broadcast_outbox SET state=?, parts_done=?, last_at=?, error=? WHERE id=?",
                [state, 1 if state == "sent" else 0, time.time() - 3400, REASONS.get(state), row_id],
            )  # fmt: skip
    broadcasts.finish_if_complete(made.id, time.time() - 3300)
    tickets = TicketStore(db)
    ticket, _ = tickets.open(
        Opening(
            key=SessionKey("telegram", str(PERSON), str(PERSON)), question="会员证书丢了怎么补办", lang="zh",
            now=time.time() - 600, name="王小明 (@wxm)", reason="not_in_sources", topic="membership",
            recent=[
                {"who": "person", "text": "入会要交多少会费"},
                {"who": "assistant", "text": "会员单位的会费…"},
            ],
        )
    )  # fmt: skip
    tickets.person_wrote(
        ticket.id, "<script>alert('t')</script> 证书编号忘了", time.time() - 500, "王小明", "telegram"
    )
    db.close()


@pytest.fixture(scope="module")
def telegram() -> Iterator[Platform]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def started() -> FakeTelegramBotApi:
        api = FakeTelegramBotApi()
        await api.start()
        return api

    platform = Platform(asyncio.run_coroutine_threadsafe(started(), loop).result(30), loop)
    yield platform
    platform.run(platform.api.stop())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, telegram: Platform) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("console-browser")
    db = folder / "zjtx.db"
    _seed(db)
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ZJTX_", "TELEGRAM_", "WECOM_"))},
        "ZJTX_DB": str(db), "ZJTX_LISTEN": f"127.0.0.1:{port}", "ZJTX_STAFF": f"{STAFF},{ADMIN}",
        "ZJTX_ADMIN": ADMIN, "ZJTX_CONSOLE_KEY": KEY, "ZJTX_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TELEGRAM_BOT_TOKEN": telegram.api.token, "TELEGRAM_API_BASE_URL": telegram.api.base_url,
    }  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], env=env, cwd=folder, stderr=subprocess.PIPE, text=True
    )
    killer = threading.Timer(60, proc.kill)  # a server that never says it listens fails the fixture
    killer.start()
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "listening on" in line:
            break
    killer.cancel()
    assert proc.poll() is None, "zjtx serve did not start:\n" + "".join(lines)
    drain = threading.Thread(target=lambda: [None for _ in proc.stderr or ()], daemon=True)
    drain.start()
    yield Server(f"http://127.0.0.1:{port}", env, db)
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        try:
            launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=60_000)
        except Exception as exc:  # fail loudly: a browser test that cannot run must not pass
            pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}")
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    print(f"\nconsole screenshots: {ARTIFACTS}")
    return ARTIFACTS


def _logged_in(browser, server: Server, width: str, staff: str = ADMIN):
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, accept_downloads=True, locale="zh-CN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(server.link(staff))
    page.click("#login")
    page.wait_for_url(re.compile(r"/console$"))
    return context, page


def test_log_in_by_link_and_a_used_link_is_refused(browser, server: Server, shots: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    link = server.link(STAFF)
    page.goto(link)
    page.screenshot(path=shots / "login-phone.png", full_page=True)
    page.click("#login")
    page.wait_for_url(re.compile(r"/console$"))
    assert "待处理意向" in page.inner_text("main")
    assert page.locator("nav.pages a[href='/console/groups']").count() == 0  # staff, not admin
    other = browser.new_context(locale="zh-CN").new_page()
    other.goto(link)
    other.click("#login")
    assert "已经用过" in other.inner_text("main")
    context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_at_desk_and_phone_width(browser, server: Server, shots: Path, width: str) -> None:
    context, page = _logged_in(browser, server, width)
    pages = {
        "home": "/console",
        "enquiries": "/console/enquiries?handled=all",
        "enquiry": "/console/enquiries/2",
        "assessments": "/console/assessments",
        "assessment": "/console/assessments/1",
        "statistics": "/console/statistics",
        "broadcasts": "/console/broadcasts",
        "report": "/console/broadcasts/1",
        "resend": "/console/broadcasts/1/resend",
        "groups": "/console/groups",
        "knowledge": "/console/knowledge?q=入会要交多少会费",
        "audit": "/console/audit",
        "desk": "/console/desk",
        "ticket": "/console/desk/1",
        "not-found": "/console/no-such-page",
    }
    for name, path in pages.items():
        page.goto(server.url + path)
        assert page.locator("main").count() == 1, name
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} is wider than the {width} screen by {overflow}px"
        page.screenshot(path=shots / f"{name}-{width}.png", full_page=True)
    page.goto(server.url + "/console/enquiries?handled=all")
    assert "<script>alert('x')</script>" in page.inner_text("main")  # shown as text, never run
    page.goto(server.url + "/console/broadcasts/new")
    page.fill("#source", "# 申报提醒\n**截止**在即，请尽快 [提交](https://example.org/s)。\n> 详情见通知")
    page.locator("#preview .tg-text b").first.wait_for()
    page.screenshot(path=shots / f"compose-{width}.png", full_page=True)
    context.close()


def test_compose_and_schedule_a_broadcast_then_read_its_report(browser, server: Server, shots: Path) -> None:
    context, page = _logged_in(browser, server, "desk")
    page.goto(server.url + "/console/broadcasts/new")
    page.fill("#source", "**活动预告**：下周三专精特新政策解读会。")
    page.locator("#preview .tg-text", has_text="活动预告").first.wait_for()  # the live preview
    assert "活动预告" in page.inner_text("#preview .wecom")
    page.check("input[name=topic][value='policy']")
    page.check("input[name=when][value='at']")
    page.fill("#at", (date.today() + timedelta(days=2)).isoformat() + "T09:30")
    page.click("#send-button")
    page.wait_for_url(re.compile(r"/console/broadcasts/\d+$"))
    assert page.inner_text("#state") == "定时"
    assert "09:30" in page.inner_text("main")
    page.screenshot(path=shots / "scheduled-report-desk.png", full_page=True)
    page.click("#cancel-broadcast")
    assert page.inner_text("#state") == "已取消"
    context.close()


def test_export_enquiries(browser, server: Server) -> None:
    context, page = _logged_in(browser, server, "desk", STAFF)
    page.goto(server.url + "/console/enquiries?handled=all")
    with page.expect_download() as download:
        page.click("#export-csv")
    saved = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert "广州星河智能装备有限公司" in saved and "13800138000" in saved
    with page.expect_download() as workbook:
        page.click("#export-xlsx")
    assert workbook.value.suggested_filename.endswith(".xlsx")
    context.close()


def test_the_statistics_open_with_their_charts(browser, server: Server) -> None:
    context, page = _logged_in(browser, server, "phone", STAFF)
    page.goto(server.url + "/console/statistics")
    assert page.locator("svg.chart").count() == 4
    assert int(page.inner_text("#finished")) > 0
    context.close()


def test_answer_a_ticket_and_the_fake_platform_receives_the_reply(
    browser, server: Server, telegram: Platform, shots: Path
) -> None:
    context, page = _logged_in(browser, server, "desk", STAFF)
    page.goto(server.url + "/console/desk")
    page.click("#ticket-1 a")
    page.wait_for_url(re.compile(r"/console/desk/1$"))
    assert "<script>alert('t')</script>" in page.inner_text("#transcript")  # shown as text, never run
    assert "入会要交多少会费" in page.inner_text("main")  # the conversation before the hand-off
    since = telegram.run(_checkpoint(telegram.api))
    page.fill("#reply", "补办请带营业执照到秘书处，当天可以办好。")
    page.click("#send-reply")
    page.wait_for_selector("#said")
    assert "正在发给 王小明" in page.inner_text("#said")  # committed; the reply outbox sends it
    sent = telegram.run(telegram.api.wait_for_message(PERSON, containing="营业执照", since=since, timeout=20))
    assert sent["text"].startswith("💬 秘书处答复（工单 #1）")
    page.locator("#transcript", has_text="当天可以办好").wait_for()
    page.locator("#transcript .pill", has_text="发送中").wait_for(state="detached")  # delivered
    page.screenshot(path=shots / "ticket-answered-desk.png", full_page=True)
    calls = telegram.run(_sent_to(telegram.api, PERSON))
    assert len([c for c in calls if "营业执照" in c]) == 1  # exactly once
    context.close()


def test_a_new_ticket_appears_on_the_desk_without_a_reload(browser, server: Server, shots: Path) -> None:
    context, page = _logged_in(browser, server, "phone", STAFF)
    page.goto(server.url + "/console/desk")
    assert page.locator("#ticket-2").count() == 0
    db = connect(server.db)
    TicketStore(db).open(
        Opening(
            key=SessionKey("wecom", "zhaoliu", "zhaoliu"),
            question="协会可以开发票吗",
            lang="zh",
            now=time.time(),
        )
    )
    db.close()
    page.locator("#ticket-2").wait_for()  # the list refreshes itself (console.js)
    assert "协会可以开发票吗" in page.inner_text("#desk-list")
    page.screenshot(path=shots / "desk-new-ticket-phone.png", full_page=True)
    context.close()


async def _checkpoint(api: FakeTelegramBotApi) -> int:
    return api.checkpoint()


async def _sent_to(api: FakeTelegramBotApi, chat: int) -> list[str]:
    return [m.get("text", "") for m in api.sent_messages(chat)]


# A figure as the pages write it: ¥160,000,000, 1.2 亿元, 30,000,001, 2026-11-23 …
_FIGURES_SPLIT = r"""
() => {
  const figure = /[¥￥]?\d[\d,.]*\d(?:\s?(?:亿元|万元|元|%))?/g;
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const box = node.parentElement && node.parentElement.getBoundingClientRect();
    if (!box || box.width === 0 || node.parentElement.closest("svg, details:not([open])")) continue;
    for (const m of node.data.matchAll(figure)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(m[0]);
    }
  }
  return broken;
}
"""


def test_at_phone_width_in_english_figures_stay_whole_and_charts_say_so_when_empty(
    browser, server: Server, shots: Path
) -> None:
    """390 px, English (the longer words): no figure is broken across lines ("¥160,000,0 /
    00"), the tier chart names each tier in full ("Council…"), and a chart with nothing in
    its range says so instead of drawing a lone axis."""
    context, page = _logged_in(browser, server, "phone")
    page.click("button[value='en']")
    page.wait_for_load_state()
    for name, path in {
        "assessment": "/console/assessments/1",
        "assessments": "/console/assessments",
        "statistics": "/console/statistics",
        "enquiries": "/console/enquiries?handled=all",
        "enquiry": "/console/enquiries/1",
        "home": "/console",
        "knowledge": "/console/knowledge?q=理事单位的条件",
        "knowledge-en": "/console/knowledge?q=What+does+a+council+member+need",
        "desk": "/console/desk",
        "ticket": "/console/desk/1",
        "report": "/console/broadcasts/1",
    }.items():
        page.goto(server.url + path)
        assert page.evaluate(_FIGURES_SPLIT) == [], name
        page.screenshot(path=shots / f"{name}-phone-en.png", full_page=True)
    page.goto(server.url + "/console/statistics")
    labels = page.locator("svg.chart text").all_text_contents()
    assert "Council member" in labels and "Vice-president member" in labels
    assert not [label for label in labels if label.endswith("…")]
    page.goto(server.url + "/console/statistics?from=2001-01-01&to=2001-01-31")
    cards = page.locator("section.chart-card")
    assert cards.count() == 5
    for i in range(cards.count()):
        card = cards.nth(i)
        assert card.locator("svg").count() == 0 and card.locator("p.muted").count() == 1, card.inner_text()
    page.screenshot(path=shots / "statistics-empty-phone-en.png", full_page=True)
    context.close()


def test_at_phone_width_every_page_link_is_in_view(browser, server: Server, shots: Path) -> None:
    """390 px, as an admin (every link), in English (the longer words): the page links wrap
    rather than scroll out of sight, so none is cut or hidden past the edge."""
    context, page = _logged_in(browser, server, "phone")
    page.click("button[value='en']")
    page.wait_for_load_state()
    links = page.locator("nav.pages a")
    assert links.count() >= 8
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, links.nth(i).inner_text()
    page.locator("nav.pages").screenshot(path=shots / "nav-phone-en.png")
    context.close()
