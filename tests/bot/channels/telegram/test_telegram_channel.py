"""The Telegram channel end to end: the real python-telegram-bot Application against the fake
Bot API server on 127.0.0.1, the dialog engine and a SQLite store behind it.

Most tests run in webhook mode: the fake POSTs each update to the shared server and
`Served.push` returns once the channel has handled it and sent its replies, so no test
waits on a clock. Polling is tested through `zjtx serve` itself.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from telegram.error import NetworkError

from bot.app import build, http_app, serve
from bot.channels.telegram import (
    BOT_COMMANDS,
    TEXT_LIMIT,
    WEBHOOK_PATH,
    AiohttpRequest,
    TelegramChannel,
    channel_from_settings,
)
from bot.channels.telegram.render import (
    CHECKED,
    command_data,
    parse_callback,
    plan_messages,
    question_tag,
    utf16_len,
)
from bot.db import connect
from bot.service import Assistant
from bot.settings import Settings
from bot.store import MemoryStore, SessionKey, SqliteStore
from dialogs.engine import DialogEngine
from dialogs.flow import STEP_BY_FIELD, options_for
from dialogs.i18n import load_catalogs
from dialogs.messages import Choice, Menu, Question, Result, Text
from dialogs.session import Session
from tests.conversations import EXAMPLE_A, EXAMPLE_A_TYPED, Chat
from tests.fakes.telegram_api import FakeTelegramBotApi, find_button

TODAY = date(2026, 11, 23)
ENGINE = DialogEngine()
CAT = load_catalogs().messages
ZH, EN = CAT["zh"], CAT["en"]
USER = 42
GROUP = -1001234567890
STAFF = 7
SECRET = "webhook-s3cret_token"
PUBLIC_URL = "https://bot.example.org/telegram/webhook"
MAIN_MENU = ["自测评估", "会员等级", "政策补贴", "常见问题", "联系我们"]


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


def stored(bot: Served, update: dict[str, Any]) -> str | None:
    """The state of an update's inbox row ("pending", "done"), None if it was not stored."""
    found = bot.store.db.row(
        "SELECT state FROM inbox WHERE channel='telegram' AND platform_id=?", [str(update["update_id"])]
    )
    return found[0] if found else None


def first_line(key: str, lang: Mapping[str, str] = ZH) -> str:
    return lang[key].split("\n", 1)[0]


class Served:
    """One running bot: the shared server with the Telegram channel, its store, the fake API."""

    def __init__(
        self, api: FakeTelegramBotApi, channel: TelegramChannel, store: SqliteStore, runner: web.AppRunner
    ) -> None:
        self.api = api
        self.channel = channel
        self.store = store
        self.runner = runner

    async def push(self, update: dict[str, Any], **kwargs: Any) -> int | None:
        """Deliver an update to the webhook; return its HTTP status once it is fully handled."""
        status = await self.api.push_update(update, **kwargs)
        await self.channel.drain()
        return status

    def sent_since(self, since: int, chat: int = USER) -> list[dict[str, Any]]:
        return [
            call.result
            for call in self.api.calls()[since:]
            if call.method == "sendMessage" and call.ok and call.result["chat"]["id"] == chat
        ]

    async def say(self, text: str, chat: int = USER, user: int = USER, **kwargs: Any) -> list[dict[str, Any]]:
        since = self.api.checkpoint()
        update = self.api.message_update(chat, user, text, **kwargs)
        assert await self.push(update) == 200
        return self.sent_since(since, chat)

    async def press(
        self, label: str, chat: int = USER, user: int = USER, message: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Press the button labelled `label` (or "n. label", or "✅ label") on the latest keyboard."""
        shown = message or self.latest_keyboard(chat)
        text = next(
            t
            for t in labels(shown)
            if t == label or re.fullmatch(rf"({CHECKED}|\d+\. )*{re.escape(label)}", t)
        )
        since = self.api.checkpoint()
        update = self.api.button_press_update(chat, user, text, message=shown)
        assert await self.push(update) == 200
        return self.sent_since(since, chat)

    async def press_data(
        self, data: str, chat: int = USER, user: int = USER, message: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Press a button carrying `data`, as an old or forged keyboard would."""
        since = self.api.checkpoint()
        assert await self.push(self.api.callback_update(chat, user, data, message=message)) == 200
        return self.sent_since(since, chat)

    def latest_keyboard(self, chat: int = USER) -> dict[str, Any]:
        shown = [m for m in self.api.chat_messages(chat) if "reply_markup" in m]
        assert shown, "no message with buttons"
        return shown[-1]

    def session(self, chat: int = USER, user: int = USER) -> Session:
        return self.store.load(SessionKey("telegram", str(chat), str(user))).session

    def rev(self, chat: int = USER, user: int = USER) -> int:
        return self.store.load(SessionKey("telegram", str(chat), str(user))).rev


async def start_served(api: FakeTelegramBotApi, db: Path, **options: Any) -> Served:
    store = SqliteStore(connect(db))
    assistant = Assistant(store, ENGINE, lambda: TODAY, staff=frozenset({f"telegram:{STAFF}"}))
    channel = TelegramChannel(
        assistant,
        token=api.token,
        api_base_url=api.base_url,
        webhook_url=PUBLIC_URL,
        webhook_secret=SECRET,
        **options,
    )
    runner = web.AppRunner(http_app(store.db, [channel]))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    api.webhook_redirect = f"http://127.0.0.1:{runner.addresses[0][1]}{WEBHOOK_PATH}"
    await channel.start()
    return Served(api, channel, store, runner)


async def stop_served(served: Served) -> None:
    await served.channel.stop()
    await served.runner.cleanup()
    served.store.close()


MakeServed = Callable[..., Awaitable[Served]]


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramBotApi]:
    async with FakeTelegramBotApi() as fake:
        yield fake


@pytest.fixture
async def make(api: FakeTelegramBotApi, tmp_path: Path) -> AsyncIterator[MakeServed]:
    running: list[Served] = []

    async def factory(**options: Any) -> Served:
        served = await start_served(api, tmp_path / "zjtx.db", **options)
        running.append(served)
        return served

    yield factory
    for served in running:
        await stop_served(served)


@pytest.fixture
async def bot(make: MakeServed) -> Served:
    return await make()


# ---- answering a whole assessment ---------------------------------------------------------------


def label_of(qid: str, value: Any) -> str:
    return next(label for v, label, _ in options_for(qid, ENGINE.rules, "zh") if v == value)


TYPED_CHOICES = {"district", "talent"}  # choice questions answered by typing, not by a button


async def answer_question(bot: Served) -> list[dict[str, Any]]:
    """Answer the pending question the way a person would: buttons where there are buttons."""
    qid = bot.session().pending
    assert qid is not None
    if qid == "confirm":
        return await bot.press(ZH["summary.submit"])
    if qid.startswith("confirm_"):
        return await bot.press(ZH["check.keep"])
    step = STEP_BY_FIELD[qid]
    if step.kind == "multi":
        values = EXAMPLE_A[qid]
        assert isinstance(values, list)
        for value in values:
            await bot.press(label_of(qid, value))
        return await bot.press(ZH["tg.multi_done"])
    if step.kind in ("choice", "yesno") and qid not in TYPED_CHOICES:
        return await bot.press(label_of(qid, EXAMPLE_A[qid]))
    return await bot.say(EXAMPLE_A_TYPED.get(qid, "跳过"))


async def answer_until_result(bot: Served, limit: int = 60) -> list[dict[str, Any]]:
    """Messages sent from the last answer on, once the questionnaire is over."""
    for _ in range(limit):
        sent = await answer_question(bot)
        if bot.session().mode != "assess":
            return sent
    raise AssertionError("no result")


def expected_result_text() -> str:
    return str(Chat(MemoryStore()).answer_all(EXAMPLE_A_TYPED)["text"])


async def test_start_greets_in_chinese_with_the_main_menu_as_buttons(bot: Served) -> None:
    [greeting] = await bot.say("/start")
    assert greeting["text"].startswith(first_line("start.greeting"))
    assert labels(greeting) == MAIN_MENU
    assert bot.session().lang == "zh"


async def test_start_greets_in_english_for_an_english_telegram_and_remembers_it(bot: Served) -> None:
    [greeting] = await bot.say("/start", language_code="en-US")
    assert greeting["text"].startswith(first_line("start.greeting", EN))
    assert labels(greeting) == [EN[f"menu.{c}"] for c in ("assess", "tiers", "subsidies", "faq", "contacts")]
    [menu] = await bot.say("/menu", language_code="")  # a client that sends no language
    assert menu["text"].startswith(EN["menu.text"])


async def test_the_command_menu_is_set_in_chinese_and_english_from_the_catalogs(bot: Served) -> None:
    for code, lang in (("", ZH), ("zh", ZH), ("en", EN)):
        shown = bot.api.commands(language_code=code)
        assert [c["command"] for c in shown] == [name for name, _ in BOT_COMMANDS]
        assert [c["description"] for c in shown] == [lang[key] for _, key in BOT_COMMANDS]
    english = bot.api.visible_commands(USER, USER, language_code="en-GB")
    assert english[0]["description"] == EN["tgcmd.assess"]
    offered = {c["command"] for c in bot.api.commands(language_code="")}
    assert {"details", "report", "whatif", "remind_yearly", "stop_reminders", "forget"} <= offered


async def test_a_whole_assessment_by_buttons_and_typed_answers(bot: Served) -> None:
    [first] = await bot.say("/assess")
    assert ZH["assess.intro"] in first["text"]
    assert labels(first) == [label for _, label, _ in options_for("org_type", ENGINE.rules, "zh")]
    since = bot.api.checkpoint()

    final = await answer_until_result(bot)

    texts = [m["text"] for m in final]
    assert all(utf16_len(t) <= TEXT_LIMIT for t in texts)
    for paragraph in expected_result_text().split("\n\n"):
        assert any(paragraph in t for t in texts), paragraph
    assert labels(final[-1])[:2] == [ZH["details.button.indicators"], ZH["details.button.conditions"]]
    assert labels(final[-1])[-3:] == [ZH["menu.join"], ZH["menu.callme"], ZH["remind.yearly_button"]]
    [stored] = bot.store.assessments()
    assert stored.answers["quality"] == EXAMPLE_A["quality"]
    assert stored.answers["district"] == "天河区"  # typed, although it had buttons
    # every question answered by a button now shows the answer, and no button is left on it
    answered = [m for m in bot.api.chat_messages(USER) if ZH["tg.chosen"].split("{")[0] in m.get("text", "")]
    assert len(answered) >= 10
    assert all("reply_markup" not in m for m in answered)
    assert all(c.ok for c in bot.api.calls()[since:])


async def test_typing_is_shown_while_the_reply_is_prepared(bot: Served) -> None:
    since = bot.api.checkpoint()
    await bot.say("/tiers")
    calls = bot.api.calls()[since:]
    assert [c.method for c in calls] == ["sendChatAction", "sendMessage"]
    assert calls[0].params["action"] == "typing"


async def test_a_long_result_is_split_between_paragraphs_with_bold_headings(make: MakeServed) -> None:
    bot = await make(text_limit=120)
    await bot.say("/assess")
    final = await answer_until_result(bot)
    assert len(final) > 3
    assert all(utf16_len(m["text"]) <= 120 for m in final)
    paragraphs = [p for m in final for p in m["text"].split("\n\n")]
    for paragraph in expected_result_text().split("\n\n"):
        if utf16_len(paragraph) <= 120:
            assert paragraph in paragraphs, paragraph
    # each result part starts with a bold line
    assert any(e["type"] == "bold" and e["offset"] == 0 for m in final for e in m.get("entities", []))


async def test_a_restart_halfway_resumes_from_sqlite_even_on_the_old_buttons(
    api: FakeTelegramBotApi, tmp_path: Path
) -> None:
    db = tmp_path / "zjtx.db"
    bot = await start_served(api, db)
    try:
        await bot.say("/assess")
        while bot.session().pending != "quality":
            await answer_question(bot)
        await bot.press(label_of("quality", "quality_certification"))  # toggled before the restart
        before = bot.session().answers
    finally:
        await stop_served(bot)

    bot = await start_served(api, db)  # a new process: new store, new Application
    try:
        assert bot.session().answers == before
        await bot.press(label_of("quality", "own_brand"))  # on the keyboard sent before the restart
        await bot.press(ZH["tg.multi_done"])
        assert bot.session().answers["quality"] == ["quality_certification", "own_brand"]
        await answer_until_result(bot)
        [stored] = bot.store.assessments()
        assert stored.result == Chat(MemoryStore()).answer_all(EXAMPLE_A_TYPED)["assessment"]
    finally:
        await stop_served(bot)


async def test_none_of_these_answers_a_several_answer_question(bot: Served) -> None:
    await bot.say("/assess")
    while bot.session().pending != "quality":
        await answer_question(bot)
    shown = bot.latest_keyboard()
    await bot.press(ZH["tg.multi_done"])  # nothing toggled yet: a notice, no answer
    assert bot.api.calls("answerCallbackQuery")[-1].params.get("text") == ZH["tg.multi_empty"]
    assert bot.session().pending == "quality"
    await bot.press(ZH["tg.multi_none"], message=shown)
    assert bot.session().answers["quality"] == []
    assert bot.session().pending != "quality"


# ---- the webhook -------------------------------------------------------------------------------


async def test_the_webhook_is_registered_with_its_secret(bot: Served) -> None:
    assert bot.api.webhook is not None
    assert (bot.api.webhook.url, bot.api.webhook.secret_token) == (PUBLIC_URL, SECRET)
    assert set(bot.api.allowed_updates) == {"message", "edited_message", "callback_query"}


@pytest.mark.parametrize("how", [{"forged_secret": "wrong-secret"}, {"omit_secret": True}])
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_processed(
    bot: Served, how: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    since = bot.api.checkpoint()
    update = bot.api.message_update(USER, USER, "/start")
    assert await bot.push(update, **how) == 403
    assert bot.api.calls()[since:] == []
    assert bot.rev() == 0  # no session written
    assert stored(bot, update) is None  # not even stored
    assert "telegram.webhook_refused" in caplog.text


async def test_a_repeated_update_is_handled_once_even_after_a_restart(
    api: FakeTelegramBotApi, tmp_path: Path
) -> None:
    db = tmp_path / "zjtx.db"
    bot = await start_served(api, db)
    update = api.message_update(USER, USER, "/tiers")
    try:
        assert await bot.push(update) == 200
        assert await bot.push(update) == 200  # Telegram retrying the webhook
        assert len(bot.sent_since(0)) == 1
        assert stored(bot, update) == "done"
    finally:
        await stop_served(bot)
    bot = await start_served(api, db)
    try:
        since = api.checkpoint()
        assert await bot.push(update) == 200
        assert bot.sent_since(since) == []
    finally:
        await stop_served(bot)


async def test_a_channel_post_reaching_the_webhook_is_ignored(bot: Served) -> None:
    post = bot.api.channel_post_update(GROUP, "/start")
    since = bot.api.checkpoint()
    async with ClientSession() as session:
        assert bot.api.webhook_redirect is not None
        async with session.post(
            bot.api.webhook_redirect, json=post, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        ) as response:
            assert response.status == 200
    await bot.channel.drain()
    assert bot.api.calls()[since:] == []


async def test_a_body_that_is_not_an_update_is_a_bad_request(bot: Served) -> None:
    async with ClientSession() as session:
        assert bot.api.webhook_redirect is not None
        async with session.post(
            bot.api.webhook_redirect, data=b"[not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        ) as response:
            assert response.status == 400


# ---- groups ------------------------------------------------------------------------------------


async def test_in_a_group_the_bot_answers_a_mention_and_a_reply_and_ignores_the_rest(bot: Served) -> None:
    group: dict[str, Any] = {"chat": GROUP, "chat_type": "supergroup"}
    assert await bot.say("大家好，今天开会", **group) == []
    assert await bot.say("/tiers@another_bot", **group) == []
    [answer] = await bot.say(f"@{bot.api.bot_username} 你好", **group)
    assert answer["text"]  # whatever the dialog says to free text, it is said in the group
    assert answer["reply_to_message"]["text"].endswith("你好")
    [tiers] = await bot.say("/tiers", **group)
    [again] = await bot.say("谢谢，再看看", reply_to_message=tiers, **group)
    assert again["reply_to_message"]["text"] == "谢谢，再看看"


async def test_staff_reply_with_faq_answers_a_members_question_in_the_group(bot: Served) -> None:
    group: dict[str, Any] = {"chat": GROUP, "chat_type": "supergroup"}
    assert await bot.say("上市联盟的会费是多少", user=43, **group) == []  # not addressed: silence
    question = bot.api.chat_messages(GROUP)[-1]
    [answer] = await bot.say("/faq", user=STAFF, reply_to_message=question, **group)
    assert "2 万元" in answer["text"] or "2万元" in answer["text"]
    assert answer["reply_to_message"]["message_id"] == question["message_id"]
    [refused] = await bot.say("/faq", user=44, reply_to_message=question, **group)
    assert "2 万元" not in refused["text"] and "2万元" not in refused["text"]


@pytest.mark.parametrize("command", ["/assess", "/assess@zjtx_test_bot", "/start assess", "/result"])
async def test_in_a_group_the_questionnaire_moves_to_a_private_chat(bot: Served, command: str) -> None:
    [link] = await bot.say(command, chat=GROUP, chat_type="supergroup")
    assert link["text"] == ZH["tg.go_private"]
    url = find_button(link, ZH["tg.open_private"])["url"]
    expected = "https://t.me/zjtx_test_bot" + ("" if command == "/result" else "?start=assess")
    assert url == expected
    assert bot.session(GROUP).mode == "idle"
    # the deep link opens the private chat with "/start assess"
    [greeting, question] = await bot.say("/start assess")
    assert labels(greeting) == MAIN_MENU
    assert bot.session().pending == "org_type" and "reply_markup" in question


async def test_the_assess_button_of_a_group_menu_gives_the_link(bot: Served) -> None:
    [menu] = await bot.say("/menu", chat=GROUP, chat_type="supergroup")
    [link] = await bot.press("自测评估", chat=GROUP)
    assert find_button(link, ZH["tg.open_private"])["url"].endswith("?start=assess")
    [tiers] = await bot.press("会员等级", chat=GROUP, user=7, message=menu)
    assert tiers["chat"]["id"] == GROUP


async def test_one_conversation_is_handled_in_order_while_others_go_on(bot: Served) -> None:
    other = 77
    [question] = await bot.say("/assess")
    # a button press (answered and edited before the dialog runs) then typing, back to back:
    # each answer only makes sense after the one before
    mine = [
        bot.api.button_press_update(USER, USER, "企业", message=question),
        bot.api.message_update(USER, USER, "创新型"),
        bot.api.message_update(USER, USER, "天河"),
    ]
    theirs = [bot.api.message_update(other, other, text) for text in ("/start", "/tiers", "/contacts")]
    for update, interleaved in zip(mine, theirs, strict=True):
        assert await bot.api.push_update(update) == 200  # returns once queued, before it is handled
        assert await bot.api.push_update(interleaved) == 200
    await bot.channel.drain()
    answers = bot.session().answers
    assert (answers["org_type"], answers["certification"], answers["district"]) == (
        "enterprise",
        "innovative",
        "天河区",
    )
    assert len(bot.sent_since(0, other)) >= 3


async def test_stopping_finishes_the_updates_already_received_and_refuses_new_ones(bot: Served) -> None:
    users = range(100, 110)
    for user in users:  # each POST returns once the update is queued, not handled
        assert await bot.api.push_update(bot.api.message_update(user, user, "/start")) == 200
    await bot.channel.stop()
    assert {m["chat"]["id"] for m in bot.api.sent_messages()} == set(users)
    late = bot.api.message_update(USER, USER, "/start")
    assert await bot.api.push_update(late) == 503  # Telegram keeps it for the next process
    assert stored(bot, late) is None


# ---- Telegram saying no --------------------------------------------------------------------------


async def test_a_429_storm_is_waited_out_and_every_reply_delivered(bot: Served) -> None:
    bot.api.rate_limit_next(count=6, retry_after=0.05)
    [greeting] = await bot.say("/start")
    [question] = await bot.say("/assess")
    await bot.press(label_of("org_type", "enterprise"))
    assert labels(greeting) == MAIN_MENU
    assert "reply_markup" in question
    assert bot.session().answers["org_type"] == "enterprise"
    refused = [c for c in bot.api.calls() if c.status == 429]
    assert len(refused) == 6
    assert all(c.ok for c in bot.api.calls("answerCallbackQuery"))


async def test_a_blocked_bot_loses_no_answer(bot: Served) -> None:
    await bot.say("/assess")
    bot.api.fail_chat(USER)
    await bot.press(label_of("org_type", "enterprise"))
    bot.api.restore_chat(USER)
    assert bot.session().answers["org_type"] == "enterprise"
    [resumed, *_] = await bot.say("/assess")
    assert ZH["assess.resume"] in resumed["text"]


async def test_an_unreachable_bot_api_is_a_network_error_at_start(tmp_path: Path) -> None:
    store = SqliteStore(connect(tmp_path / "zjtx.db"))
    channel = TelegramChannel(
        Assistant(store, ENGINE, lambda: TODAY),
        token="1:nobody-listens",
        api_base_url=f"http://127.0.0.1:{free_port()}/bot",
    )
    with pytest.raises(NetworkError, match="aiohttp"):
        await channel.start()
    await channel.stop()
    store.close()


def test_the_transport_takes_the_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://user:pw@proxy.example.org:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    request = AiohttpRequest()
    proxy, auth = request._proxy_for("https://api.telegram.org/bot1:a/getMe")
    assert str(proxy) == "http://proxy.example.org:3128"
    assert auth is not None and (auth.login, auth.password) == ("user", "pw")
    assert request._proxy_for("http://127.0.0.1:8081/bot1:a/getMe") == (None, None)


# ---- bad input -----------------------------------------------------------------------------------


async def test_stickers_photos_voice_and_edits_get_a_short_helpful_reply(bot: Served) -> None:
    await bot.say("/assess")
    await bot.press(label_of("org_type", "enterprise"))

    def state() -> tuple[Any, ...]:
        return bot.session().answers, bot.session().pending, bot.rev()

    before = state()
    for update in (
        bot.api.sticker_update(USER, USER),
        bot.api.photo_update(USER, USER, caption="营业执照"),
        bot.api.voice_update(USER, USER),
    ):
        since = bot.api.checkpoint()
        assert await bot.push(update) == 200
        [reply] = bot.sent_since(since)
        assert reply["text"] == ZH["tg.please_type"]
    assert state() == before
    typed = bot.api.message_update(USER, USER, "创新型")
    await bot.push(typed)
    answered = state()
    assert answered[0]["certification"] == "innovative"
    since = bot.api.checkpoint()
    await bot.push(bot.api.edited_message_update(typed, "省级"))
    [reply] = bot.sent_since(since)
    assert reply["text"] == ZH["tg.edited"]
    assert state() == answered


async def test_in_a_group_stickers_and_edits_are_met_with_silence(bot: Served) -> None:
    since = bot.api.checkpoint()
    said = bot.api.message_update(GROUP, USER, "随便说说", chat_type="supergroup")
    for update in (
        bot.api.sticker_update(GROUP, USER, chat_type="supergroup"),
        said,
        bot.api.edited_message_update(said, "随便改改"),
    ):
        assert await bot.push(update) == 200
    assert bot.api.calls()[since:] == []


@pytest.mark.parametrize("data", ["garbage", "q:0123456789:1", "t:zz:1", "d:0123456789", "v:unknowntoken"])
async def test_forged_button_data_is_answered_and_the_current_question_asked_again(
    bot: Served, data: str
) -> None:
    await bot.say("/assess")
    before = (bot.session().answers, bot.session().pending, bot.rev())
    sent = await bot.press_data(data)
    answer = bot.api.calls("answerCallbackQuery")[-1]
    assert answer.ok and answer.params.get("text") == ZH["tg.stale_button"]
    assert (bot.session().answers, bot.session().pending, bot.rev()) == before
    assert sent[0]["text"].startswith(ZH["tg.stale_current"])
    assert ZH["q.org_type.text"] in sent[-1]["text"]


async def test_a_button_of_an_earlier_question_does_not_answer_the_current_one(bot: Served) -> None:
    [first] = await bot.say("/assess")
    await bot.press(label_of("org_type", "enterprise"))
    before = (bot.session().answers, bot.session().pending, bot.rev())
    sent = await bot.press_data(find_button(first, "服务机构")["callback_data"], message=first)
    assert (bot.session().answers, bot.session().pending, bot.rev()) == before
    assert sent[0]["text"].startswith(ZH["tg.stale_current"])


async def test_a_stale_menu_value_shows_the_menu(bot: Served) -> None:
    await bot.say("/start")
    sent = await bot.press_data("c:/nonexistent")
    assert ZH["command.unknown"].split("{")[0] in sent[0]["text"]


# ---- rendering ---------------------------------------------------------------------------------


def t(key: str, **values: Any) -> str:
    return load_catalogs().text("zh", key, **values)


def test_engine_text_is_escaped_for_telegram_html() -> None:
    [planned] = plan_messages([Text("<b>天河</b> & 5 < 6")], t, lambda v: "c:x")
    assert planned.html == "&lt;b&gt;天河&lt;/b&gt; &amp; 5 &lt; 6"
    [result] = plan_messages([Result({}, ("得分 <72>\n细节", "联系"))], t, lambda v: "c:x")
    assert result.html == "<b>得分 &lt;72&gt;</b>\n细节\n\n<b>联系</b>"


def test_a_paragraph_longer_than_a_message_is_cut_at_line_ends() -> None:
    long = "\n".join(f"第{i}行" + "字" * 30 for i in range(40))
    planned = plan_messages([Text("开头"), Text(long), Text("结尾")], t, lambda v: "c:x", limit=200)
    assert all(utf16_len(p.plain) <= 200 for p in planned)
    assert "\n".join(p.plain for p in planned).replace("\n\n", "\n") == f"开头\n{long}\n结尾"


def test_texts_run_into_the_question_whose_buttons_end_the_message() -> None:
    question = Question(
        "org_type", "第 1 题", (Choice("enterprise", "企业"), Choice("service_institution", "服务机构"))
    )
    menu = Menu("请选择：", (Choice("/assess", "自测评估"),))
    planned = plan_messages([Text("已记录"), question, menu], t, lambda v: command_data(v) or "v:x")
    assert [p.plain for p in planned] == ["已记录\n\n第 1 题", "请选择："]
    assert planned[0].markup is not None and planned[1].markup is not None
    data = [b.callback_data for row in planned[0].markup.inline_keyboard for b in row]
    assert data == [f"q:{question_tag(question)}:0", f"q:{question_tag(question)}:1"]


def test_callback_data_never_carries_a_long_value() -> None:
    assert command_data("/assess") == "c:/assess"
    assert command_data("/contacts " + "天河区" * 20) is None
    assert parse_callback("q:" + "0" * 10 + ":3") is not None
    assert parse_callback("q:" + "0" * 10 + ":x") is None
    assert parse_callback("c:assess") is None


def test_a_question_tag_changes_with_its_choices() -> None:
    one = Question("confirm", "", (Choice("yes", "提交"), Choice("revenue", "改收入")))
    two = Question("confirm", "", (Choice("yes", "提交"), Choice("profit", "改利润")))
    assert question_tag(one) != question_tag(two)


# ---- zjtx serve --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_zjtx_serve_polls_with_a_token_answers_healthz_and_stops_cleanly(
    api: FakeTelegramBotApi, tmp_path: Path
) -> None:
    port = free_port()
    settings = Settings(
        _env_file=None,
        ZJTX_DB=str(tmp_path / "zjtx.db"),
        ZJTX_LISTEN=f"127.0.0.1:{port}",
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        TELEGRAM_WEBHOOK_URL=None,
        TELEGRAM_WEBHOOK_SECRET=None,
        WECOM_CORP_ID=None,
    )
    stop = asyncio.Event()
    served = asyncio.create_task(serve(settings, stop))
    try:
        await api.wait_for_poll(timeout=10)  # the server listens before the channels start
        await api.push_update(api.message_update(USER, USER, "/start"))
        greeting = await api.wait_for_message(USER)
        assert labels(greeting) == MAIN_MENU
        async with ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200
            assert "telegram" in (await response.json())["channels"]
    finally:
        stop.set()
        assert await asyncio.wait_for(served, 15) == 0
    assert api.webhook is None  # polling
    assert api.pending_updates == []  # every update confirmed before exiting
    store = SqliteStore(connect(tmp_path / "zjtx.db"))
    assert store.load(SessionKey("telegram", str(USER), str(USER))).rev == 1
    store.close()


def test_the_factory_needs_a_token_and_both_webhook_settings(tmp_path: Path) -> None:
    store = MemoryStore()
    assistant = Assistant(store, ENGINE, lambda: TODAY)

    def settings(**values: Any) -> Settings:
        return Settings(_env_file=None, ZJTX_DB=str(tmp_path / "x.db"), **values)

    built = build(settings(TELEGRAM_BOT_TOKEN="1:a"), engine=ENGINE, worker=False)
    assert [c.name for c in built.channels] == ["telegram"]  # the composition root wires it
    built.close()

    assert channel_from_settings(settings(TELEGRAM_BOT_TOKEN=None), assistant) is None
    polling = channel_from_settings(
        settings(TELEGRAM_BOT_TOKEN="1:a", TELEGRAM_WEBHOOK_URL="https://x/telegram/webhook"), assistant
    )
    assert polling is not None and not polling.webhook_mode
    hooked = channel_from_settings(
        settings(
            TELEGRAM_BOT_TOKEN="1:a",
            TELEGRAM_WEBHOOK_URL="https://x/telegram/webhook",
            TELEGRAM_WEBHOOK_SECRET="s",
        ),
        assistant,
    )
    assert hooked is not None and hooked.webhook_mode
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        channel_from_settings(
            settings(
                TELEGRAM_BOT_TOKEN="1:a",
                TELEGRAM_WEBHOOK_URL="https://x/y",
                TELEGRAM_WEBHOOK_SECRET="no spaces",
            ),
            assistant,
        )


async def test_staff_notices_are_sent_escaped(bot: Served) -> None:
    await bot.channel.send_notice(str(GROUP), "新线索 <公司> & 电话")
    [notice] = bot.sent_since(0, GROUP)
    assert notice["text"] == "新线索 <公司> & 电话"
