"""The fake Bot API server, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession, web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram.transport import retry_after_seconds
from tests.fakes.pictures import png
from tests.fakes.telegram_api import (
    BOT_BLOCKED,
    BOT_KICKED_FROM_SUPERGROUP,
    CHAT_NOT_FOUND,
    Call,
    FakeTelegramBotApi,
    find_button,
)

GROUP = -1001234567890
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
AnyApplicationBuilder = ApplicationBuilder[Any, Any, Any, Any, Any, Any]


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramBotApi]:
    async with FakeTelegramBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeTelegramBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


def application(
    api: FakeTelegramBotApi, *, rate_limiter: AIORateLimiter | None = None
) -> AnyApplicationBuilder:
    builder = ApplicationBuilder().token(api.token).base_url(api.base_url).base_file_url(api.base_file_url)
    return builder.rate_limiter(rate_limiter) if rate_limiter is not None else builder


@contextlib.asynccontextmanager
async def polling(app: AnyApplication) -> AsyncIterator[AnyApplication]:
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=dtm.timedelta(seconds=10))
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---- the client connects ----------------------------------------------------------------------


async def test_bot_initialises_with_get_me(api: FakeTelegramBotApi, bot: Bot) -> None:
    assert (bot.id, bot.username) == (api.bot_id, api.bot_username)
    assert [call.method for call in api.calls()] == ["getMe"]


async def test_wrong_token_is_unauthorized(api: FakeTelegramBotApi) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("42:wrong-token", base_url=api.base_url):
            pass
    assert api.calls()[0].status == 401


async def test_unknown_method_is_not_found(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")


async def test_json_bodies_query_strings_and_any_capitalisation_are_understood(
    api: FakeTelegramBotApi,
) -> None:
    async with ClientSession() as session:
        url = f"{api.base_url}{api.token}"
        async with session.post(f"{url}/SENDMESSAGE", json={"chat_id": "42", "text": "42"}) as response:
            sent = await response.json()
        async with session.get(f"{url}/getChat?chat_id=42") as response:
            chat = await response.json()
        async with session.post(f"{url}/nothing") as response:
            missing = (response.status, await response.json())
    assert sent["result"]["text"] == "42"
    assert sent["result"]["chat"]["id"] == 42
    assert chat["result"]["type"] == "private"
    assert missing == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_string_parameters_are_not_decoded_as_json(api: FakeTelegramBotApi, bot: Bot) -> None:
    message = await bot.send_message(42, "42")
    assert message.text == "42"
    assert api.calls("sendMessage")[0].params == {"chat_id": 42, "text": "42"}


# ---- polling ----------------------------------------------------------------------------------


async def test_polling_application_answers_a_pushed_command(api: FakeTelegramBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_user is not None
        await update.effective_message.reply_text(f"你好，{update.effective_user.first_name}")

    app = application(api).build()
    app.add_handler(CommandHandler("start", start))
    async with polling(app):
        await api.push_update(api.message_update(42, 42, "/start"))
        reply = await api.wait_for_message(chat_id=42)
    assert reply["text"] == "你好，测试用户"
    assert reply["from"]["id"] == api.bot_id
    assert api.pending_updates == []  # the application confirmed the update when it stopped


async def test_button_press_is_answered_and_the_message_edited(api: FakeTelegramBotApi) -> None:
    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("是", callback_data="answer:yes")]])
        await update.effective_message.reply_text("是否为专精特新企业？", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"已选择：{query.data}")

    app = application(api).build()
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(pressed))
    async with polling(app):
        await api.push_update(api.message_update(42, 42, "/menu"))
        question = await api.wait_for_message(chat_id=42)
        assert find_button(question, "是")["callback_data"] == "answer:yes"
        await api.push_update(api.button_press_update(42, 42, "是"))
        await api.wait_for(lambda call: call.method == "editMessageText" and call.ok)
    assert api.calls("answerCallbackQuery")[0].ok
    assert [message["text"] for message in api.chat_messages(42)] == ["/menu", "已选择：answer:yes"]
    assert "reply_markup" not in api.chat_messages(42)[-1]  # editing without a keyboard removes it


async def test_long_poll_returns_as_soon_as_an_update_is_pushed(api: FakeTelegramBotApi, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for_poll()
    pushed = api.message_update(42, 42, "在吗")
    await api.push_update(pushed)
    async with asyncio.timeout(5):  # a bound, not a synchronisation: the poll would wait 30 s
        updates = await poll
    assert [update.update_id for update in updates] == [pushed["update_id"]]


async def test_offset_confirms_updates_and_a_duplicate_can_be_pushed(
    api: FakeTelegramBotApi, bot: Bot
) -> None:
    first, second = api.message_update(42, 42, "一"), api.message_update(42, 42, "二")
    await api.push_update(first)
    await api.push_update(second)
    assert len(await bot.get_updates()) == 2
    assert len(await bot.get_updates()) == 2  # unconfirmed updates come again
    assert await bot.get_updates(offset=second["update_id"] + 1) == ()
    await api.push_update(first)  # the same update_id again, on purpose
    again = await bot.get_updates(offset=second["update_id"] + 1)
    assert [update.update_id for update in again] == [first["update_id"]]
    assert await bot.get_updates(offset=second["update_id"] + 1) == ()


async def test_negative_offset_keeps_only_the_last_updates(api: FakeTelegramBotApi, bot: Bot) -> None:
    for text in ("一", "二", "三"):
        await api.push_update(api.message_update(42, 42, text))
    updates = await bot.get_updates(offset=-1)
    assert [update.effective_message.text for update in updates if update.effective_message] == ["三"]


async def test_updates_of_types_not_allowed_are_discarded(api: FakeTelegramBotApi, bot: Bot) -> None:
    await bot.get_updates(allowed_updates=["callback_query"])
    await api.push_update(api.message_update(42, 42, "你好"))
    assert api.pending_updates == []
    assert len(api.discarded_updates) == 1


async def test_a_second_poller_ends_the_first_with_a_conflict(api: FakeTelegramBotApi, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for_poll()
    async with Bot(api.token, base_url=api.base_url) as second_instance:
        assert await second_instance.get_updates() == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


# ---- webhook ----------------------------------------------------------------------------------


async def test_webhook_receives_updates_with_the_secret(api: FakeTelegramBotApi) -> None:
    secret = "s3cret-token"

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text is not None
        await update.effective_message.reply_text(update.effective_message.text)

    app = application(api).updater(None).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))

    async def receive(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
            return web.Response(status=403)
        await app.update_queue.put(Update.de_json(await request.json(), app.bot))
        return web.Response()

    server = web.Application()
    server.router.add_post("/telegram", receive)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/telegram"
    try:
        async with app:
            await app.start()
            assert await app.bot.set_webhook(url, secret_token=secret, allowed_updates=["message"])
            assert api.webhook is not None
            assert (api.webhook.url, api.webhook.secret_token) == (url, secret)
            assert (await app.bot.get_webhook_info()).url == url

            assert await api.push_update(api.message_update(42, 42, "你好")) == 200
            assert (await api.wait_for_message(chat_id=42))["text"] == "你好"
            assert await api.push_update(api.message_update(42, 42, "伪造"), forged_secret="wrong") == 403
            assert await api.push_update(api.message_update(42, 42, "无密钥"), omit_secret=True) == 403
            with pytest.raises(Conflict, match="webhook is active"):
                await app.bot.get_updates()

            assert await app.bot.delete_webhook(drop_pending_updates=True)
            await app.stop()
    finally:
        await runner.cleanup()
    assert api.webhook is None
    assert [delivery.status for delivery in api.webhook_deliveries] == [200, 403, 403]
    assert [message["text"] for message in api.sent_messages(42)] == ["你好"]


# ---- failures ---------------------------------------------------------------------------------


async def test_rate_limiter_retries_after_a_429(api: FakeTelegramBotApi) -> None:
    # retry_after=0 is not seen as a rate limit by PTB (next test); a fraction keeps this fast.
    api.rate_limit_next(method="sendMessage", retry_after=0.01)
    async with application(api, rate_limiter=AIORateLimiter(max_retries=2)).build() as app:
        message = await app.bot.send_message(42, "通知")
    assert message.text == "通知"
    assert [call.status for call in api.calls("sendMessage")] == [429, 200]


async def test_retry_after_zero_reaches_ptb_as_a_network_error(api: FakeTelegramBotApi) -> None:
    api.rate_limit_next(method="sendMessage", retry_after=0)
    async with application(api, rate_limiter=AIORateLimiter(max_retries=2)).build() as app:
        with pytest.raises(NetworkError, match="unknown parameters"):
            await app.bot.send_message(42, "通知")
    assert len(api.calls("sendMessage")) == 1  # not retried


async def test_whole_second_retry_after_reaches_ptb_as_retry_after(api: FakeTelegramBotApi, bot: Bot) -> None:
    api.rate_limit_next(count=2, method="sendMessage", retry_after=3)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(42, "通知")
        assert retry_after_seconds(caught.value) == 3
    assert (await bot.send_message(42, "通知")).text == "通知"


def test_a_retry_after_is_read_as_seconds_from_a_timedelta_or_an_int(monkeypatch: pytest.MonkeyPatch) -> None:
    assert os.environ["PTB_TIMEDELTA"] == "true"  # the package opts in to PTB's timedelta
    assert RetryAfter(7).retry_after == dtm.timedelta(seconds=7)
    assert retry_after_seconds(RetryAfter(7)) == 7.0
    monkeypatch.setenv("PTB_TIMEDELTA", "false")  # PTB 22's default: int seconds, with a warning
    with pytest.warns(PTBDeprecationWarning):
        assert retry_after_seconds(RetryAfter(7)) == 7.0


async def test_flood_limits_refuse_sends_beyond_telegrams_limits() -> None:
    clock = ManualClock()
    async with (
        FakeTelegramBotApi(clock=clock) as api,
        Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as bot,
    ):
        api.enforce_flood_limits()
        for user_id in range(1, 31):
            await bot.send_message(user_id, "通知")
        with pytest.raises(RetryAfter) as overall:
            await bot.send_message(31, "通知")
        clock.now += 1
        await bot.send_message(31, "通知")

        for _ in range(20):
            clock.now += 1
            await bot.send_message(GROUP, "群通知")
        with pytest.raises(RetryAfter) as group:
            await bot.send_message(GROUP, "群通知")
        clock.now += retry_after_seconds(group.value)
        await bot.send_message(GROUP, "群通知")
    assert retry_after_seconds(overall.value) == 1
    assert retry_after_seconds(group.value) == 41  # the first of the 20 was sent 41 s before the window frees
    assert api.flood_refusals == 2


async def test_permanent_errors_per_chat(api: FakeTelegramBotApi, bot: Bot) -> None:
    api.fail_chat(7, BOT_BLOCKED)
    api.fail_chat(GROUP, BOT_KICKED_FROM_SUPERGROUP)
    api.fail_chat(8, CHAT_NOT_FOUND)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(7, "通知")
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(GROUP, "通知")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(8, "通知")
    api.restore_chat(7)
    assert (await bot.send_message(7, "通知")).chat.id == 7


async def test_bot_removed_from_a_group_then_fails_to_send(api: FakeTelegramBotApi, bot: Bot) -> None:
    await api.push_update(api.my_chat_member_update(-555, 42))
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(-555, "通知")
    await api.push_update(api.my_chat_member_update(-555, 42, old_status="left", new_status="member"))
    assert (await bot.send_message(-555, "通知")).chat.type == "group"


async def test_next_calls_of_any_method_can_fail(api: FakeTelegramBotApi, bot: Bot) -> None:
    api.fail_next(BOT_BLOCKED, count=2)
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.get_chat(42)
    assert (await bot.get_chat(42)).id == 42


# ---- messages ---------------------------------------------------------------------------------


async def test_sent_messages_have_increasing_ids_and_echo_inline_keyboards(
    api: FakeTelegramBotApi, bot: Bot
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("查看", callback_data="view")]])
    first = await bot.send_message(42, "一")
    second = await bot.send_message(42, "二", reply_markup=keyboard, reply_to_message_id=first.message_id)
    assert second.message_id == first.message_id + 1
    assert second.reply_markup == keyboard
    assert second.reply_to_message is not None and second.reply_to_message.text == "一"
    assert [message["text"] for message in api.sent_messages(42)] == ["一", "二"]
    assert api.sent_messages(43) == []


async def test_reply_keyboards_are_not_echoed_but_tracked(api: FakeTelegramBotApi, bot: Bot) -> None:
    shown = await bot.send_message(42, "选择", reply_markup=ReplyKeyboardMarkup([[KeyboardButton("开始")]]))
    assert shown.reply_markup is None
    assert api.reply_keyboard(42) == {"keyboard": [[{"text": "开始"}]]}
    await bot.send_message(42, "好", reply_markup=ReplyKeyboardRemove())
    assert api.reply_keyboard(42) is None


async def test_html_is_parsed_into_entities(bot: Bot) -> None:
    message = await bot.send_message(
        42, '<b>粗体</b> &amp; <a href="https://example.com">链接</a>', parse_mode="HTML"
    )
    assert message.text == "粗体 & 链接"
    assert [(entity.type, entity.offset, entity.length) for entity in message.entities] == [
        ("bold", 0, 2),
        ("text_link", 5, 2),
    ]
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(42, "1 < 2", parse_mode="HTML")


async def test_edits_and_deletes_follow_the_real_rules(api: FakeTelegramBotApi, bot: Bot) -> None:
    message = await bot.send_message(42, "文本")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("文本", 42, message.message_id)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="ok")]])
    edited = await bot.edit_message_reply_markup(42, message.message_id, reply_markup=keyboard)
    assert not isinstance(edited, bool) and edited.reply_markup == keyboard
    assert await bot.delete_message(42, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(42, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("新", 42, message.message_id)

    await api.push_update(api.message_update(GROUP, 42, "用户消息", chat_type="supergroup"))
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await bot.delete_message(GROUP, 1)


async def test_callback_queries_are_answered_once(api: FakeTelegramBotApi, bot: Bot) -> None:
    await bot.send_message(
        42, "选择", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("是", callback_data="y")]])
    )
    press = api.button_press_update(42, 42, "是")
    await api.push_update(press)
    query_id = press["callback_query"]["id"]
    assert await bot.answer_callback_query(query_id, text="收到")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_chat_actions(api: FakeTelegramBotApi, bot: Bot) -> None:
    assert await bot.send_chat_action(42, "typing")
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(42, "dancing")


async def test_photos_upload_and_download(api: FakeTelegramBotApi, bot: Bot) -> None:
    picture = png(1080, 1350)
    sent = await bot.send_photo(42, photo=picture, caption="<b>证书</b>", parse_mode="HTML")
    assert sent.caption == "证书" and sent.caption_entities[0].type == "bold"
    assert api.calls("sendPhoto")[0].files["photo"].content == picture
    downloaded = await (await bot.get_file(sent.photo[-1].file_id)).download_as_bytearray()
    assert bytes(downloaded) == picture == api.file_content(sent.photo[-1].file_id)
    # the sizes Telegram makes: scaled into 90, 320, 800 and 1280 pixels, the shape kept
    assert [(p.width, p.height) for p in sent.photo] == [(72, 90), (256, 320), (640, 800), (1024, 1280)]
    again = await bot.send_photo(42, photo=sent.photo[-1].file_id)
    assert again.photo[-1].file_id == sent.photo[-1].file_id
    assert (await bot.send_photo(42, photo="https://example.com/a.jpg")).photo  # not fetched
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(42, photo="no-such-file")


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (png(9000, 1001), "PHOTO_INVALID_DIMENSIONS"),  # width + height over 10000
        (png(2100, 100), "PHOTO_INVALID_DIMENSIONS"),  # more than 20 times as wide as high
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024), "PHOTO_SAVE_FILE_INVALID"),  # over 10 MB
        (b"\x89PNG not really", "IMAGE_PROCESS_FAILED"),
    ],
)
async def test_uploaded_photos_are_checked_as_telegram_checks_them(
    api: FakeTelegramBotApi, bot: Bot, content: bytes, error: str
) -> None:
    with pytest.raises(BadRequest, match=error.capitalize()):
        await bot.send_photo(42, photo=content)
    [call] = api.calls("sendPhoto")
    assert call.status == 400 and call.files["photo"].content == content
    assert api.bot_messages(42) == []


async def test_documents_upload_with_their_file_name_and_caption(api: FakeTelegramBotApi, bot: Bot) -> None:
    pdf = b"%PDF-1.7 a report"
    sent = await bot.send_document(
        42, InputFile(pdf, filename="报告.pdf"), caption="自测报告（2026-11-23）", filename="报告.pdf"
    )
    assert sent.document is not None and sent.caption == "自测报告（2026-11-23）"
    assert (sent.document.file_name, sent.document.mime_type) == ("报告.pdf", "application/pdf")
    [call] = api.calls("sendDocument")
    assert call.files["document"].filename == "报告.pdf" and call.files["document"].content == pdf
    assert api.file_content(sent.document.file_id) == pdf
    again = await bot.send_document(42, sent.document.file_id)  # by file_id: nothing uploaded
    assert again.document is not None and again.document.file_name == "报告.pdf"
    assert [m["message_id"] for m in api.bot_messages(42)] == [sent.message_id, again.message_id]
    with pytest.raises(BadRequest, match=r"(?i)non-empty"):
        await bot.send_document(42, InputFile(b"", filename="empty.pdf"))
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(42, InputFile(pdf, filename="a.pdf"), caption="长" * 1025)


async def test_a_document_over_50_mb_is_refused_with_413(api: FakeTelegramBotApi, bot: Bot) -> None:
    with pytest.raises(NetworkError):
        await bot.send_document(
            42, InputFile(b"x" * (50 * 1024 * 1024 + 1), filename="big.pdf"), write_timeout=60
        )
    [call] = api.calls("sendDocument")
    assert call.status == 413 and call.error is not None
    assert call.error.description == "Request Entity Too Large"


async def test_users_photos_and_voices_can_be_downloaded(api: FakeTelegramBotApi, bot: Bot) -> None:
    photo = Update.de_json(api.photo_update(42, 42, content=b"jpeg bytes"), bot)
    voice = Update.de_json(api.voice_update(42, 42, content=b"ogg bytes"), bot)
    assert photo.message is not None and voice.message is not None and voice.message.voice is not None
    assert bytes(await (await photo.message.photo[-1].get_file()).download_as_bytearray()) == b"jpeg bytes"
    assert bytes(await (await voice.message.voice.get_file()).download_as_bytearray()) == b"ogg bytes"


# ---- chats and members ------------------------------------------------------------------------


async def test_admins_members_and_leaving(api: FakeTelegramBotApi, bot: Bot) -> None:
    api.set_admins(GROUP, [7, api.bot_id], owner_id=1)
    admins = await bot.get_chat_administrators(GROUP)
    assert [(member.user.id, member.status) for member in admins] == [
        (1, "creator"),
        (7, "administrator"),
        (api.bot_id, "administrator"),
    ]
    assert (await bot.get_chat_member(GROUP, 9)).status == "member"
    assert (await bot.get_chat(GROUP)).type == "supergroup"
    with pytest.raises(BadRequest, match=r"(?i)no administrators in the private chat"):
        await bot.get_chat_administrators(42)
    assert await bot.leave_chat(GROUP)
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_message(GROUP, "通知")


async def test_commands_by_scope_and_language(api: FakeTelegramBotApi, bot: Bot) -> None:
    private = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(
        [BotCommand("start", "开始"), BotCommand("help", "帮助")], scope=private, language_code="zh"
    )
    await bot.set_my_commands([BotCommand("start", "Start")])
    got = await bot.get_my_commands(scope=private, language_code="zh")
    assert [command.command for command in got] == ["start", "help"]
    assert api.commands({"type": "all_private_chats"}, "zh")[1] == {"command": "help", "description": "帮助"}
    assert [command["description"] for command in api.visible_commands(42, 42, "zh-hans")] == ["开始", "帮助"]
    assert [command["description"] for command in api.visible_commands(GROUP, 42, "zh-hans")] == ["Start"]
    assert api.calls("setMyCommands")[0].params["language_code"] == "zh"
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "大写不行")])


# ---- building updates -------------------------------------------------------------------------


async def test_built_updates_parse_as_ptb_updates(api: FakeTelegramBotApi, bot: Bot) -> None:
    text = api.message_update(42, 42, "😀 /help@zjtx_test_bot @someone https://example.com")
    message = Update.de_json(text, bot).message
    assert message is not None
    assert message.parse_entities() == {
        message.entities[0]: "/help@zjtx_test_bot",
        message.entities[1]: "@someone",
        message.entities[2]: "https://example.com",
    }
    assert message.from_user is not None and message.from_user.language_code == "zh-hans"

    reply = Update.de_json(
        api.message_update(GROUP, 7, "回复", chat_type="supergroup", reply_to_message=text), bot
    )
    assert reply.message is not None and reply.message.reply_to_message is not None

    edited = Update.de_json(api.edited_message_update(text, "改过"), bot).edited_message
    assert edited is not None and edited.text == "改过" and edited.edit_date is not None

    sticker = Update.de_json(api.sticker_update(42, 42), bot).message
    assert sticker is not None and sticker.sticker is not None and sticker.sticker.emoji == "👍"

    removed = Update.de_json(api.my_chat_member_update(-555, 42), bot).my_chat_member
    assert removed is not None and removed.new_chat_member.status == "kicked"
    assert removed.new_chat_member.user.id == api.bot_id

    post = Update.de_json(api.channel_post_update(-1009876543210, "公告"), bot).channel_post
    assert post is not None and post.chat.type == "channel"

    await bot.send_message(
        42, "选择", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("是", callback_data="y")]])
    )
    query = Update.de_json(api.callback_update(42, 42, "forged"), bot).callback_query
    assert query is not None and query.data == "forged" and query.message is not None


def test_impossible_chats_are_refused() -> None:
    api = FakeTelegramBotApi()
    with pytest.raises(ValueError, match="private chat's id is the user's id"):
        api.message_update(42, 43, "你好")
    with pytest.raises(ValueError, match="cannot be a 'group' chat"):
        api.message_update(42, 42, "你好", chat_type="group")


async def test_wait_for_names_the_calls_it_saw(api: FakeTelegramBotApi, bot: Bot) -> None:
    with pytest.raises(TimeoutError, match=r"getMe\(200\)"):
        await api.wait_for(lambda call: call.method == "sendMessage", timeout=0.05)


async def test_wait_for_since_skips_earlier_calls(api: FakeTelegramBotApi, bot: Bot) -> None:
    await bot.send_message(42, "旧")
    mark = api.checkpoint()
    sending = asyncio.create_task(bot.send_message(42, "新"))
    call: Call = await api.wait_for(lambda call: call.method == "sendMessage", since=mark)
    await sending
    assert call.result["text"] == "新"


# ---- forum topics --------------------------------------------------------------------------------


async def test_a_forum_topic_is_made_and_messages_land_in_it(api: FakeTelegramBotApi, bot: Bot) -> None:
    api.make_forum(GROUP, title="工作群")
    api.set_admins(GROUP, [api.bot_id])
    assert (await bot.get_chat(GROUP)).is_forum
    topic = await bot.create_forum_topic(GROUP, "#1 会员证书")
    sent = await bot.send_message(GROUP, "在话题里", message_thread_id=topic.message_thread_id)
    assert sent.message_thread_id == topic.message_thread_id and sent.is_topic_message
    reply = await bot.send_message(GROUP, "回复", reply_to_message_id=sent.message_id)
    assert reply.message_thread_id == topic.message_thread_id  # a reply stays in its topic
    [made] = api.topics(GROUP)
    assert made["forum_topic_created"]["name"] == "#1 会员证书"
    update = api.message_update(
        GROUP, 5, "写在话题里", chat_type="supergroup", message_thread_id=topic.message_thread_id
    )
    message = update["message"]
    assert (
        message["is_topic_message"] and message["reply_to_message"]["message_id"] == topic.message_thread_id
    )
    assert message["chat"]["is_forum"]


async def test_topics_need_a_forum_the_rights_and_a_name(api: FakeTelegramBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)not a forum"):
        await bot.create_forum_topic(GROUP, "x")
    api.make_forum(GROUP)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.create_forum_topic(GROUP, "x")
    api.set_admins(GROUP, [api.bot_id])
    with pytest.raises(BadRequest, match=r"(?i)topic_name_invalid"):
        await bot.create_forum_topic(GROUP, "x" * 129)
    with pytest.raises(BadRequest, match=r"(?i)thread not found"):
        await bot.send_message(GROUP, "无处可去", message_thread_id=999)
    with pytest.raises(ValueError, match="supergroup"):
        api.make_forum(-12345)
