"""The result on Telegram, end to end: a whole assessment through the fake Bot API ends in the
score card (sendPhoto, a real PNG), the short result, and buttons that open each part; the
PDF report comes as a document whose text carries the figures; a what-if leaves /result
as it was. The console (`zjtx chat --jsonl`) is the oracle for every text."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage
from pypdf import PdfReader

from bot.channels.telegram.render import command_data, plan_messages
from bot.store import MemoryStore
from dialogs import results
from dialogs.messages import Choice, Menu, Outbound, Result, Text
from rules import default_rules
from tests.conversations import ENGINE, EXAMPLE_A_TYPED, TODAY, Chat
from tests.fakes.telegram_api import ApiError, FakeTelegramBotApi, find_button
from tests.rules.examples import EXAMPLE_A, assess_answers

from .test_telegram_channel import (
    EN,
    GROUP,
    USER,
    ZH,
    Served,
    answer_question,
    labels,
    start_served,
    stop_served,
)

SENDS = ("sendMessage", "sendPhoto", "sendDocument")
DETAILS = {part: ZH[key] for part, key in results.DETAIL_LABELS.items()}


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Served]:
    async with FakeTelegramBotApi() as api:
        served = await start_served(api, tmp_path / "zjtx.db")
        try:
            yield served
        finally:
            await stop_served(served)


def sent(bot: Served, since: int) -> list[dict[str, Any]]:
    """Every message the bot sent to the person since `since`: texts, photos and documents."""
    return [
        c.result
        for c in bot.api.calls()[since:]
        if c.method in SENDS and c.ok and c.result["chat"]["id"] == USER
    ]


async def finish(bot: Served, **say: Any) -> list[dict[str, Any]]:
    """Take the whole assessment (buttons where there are buttons); the messages of the last turn."""
    await bot.say("/assess", **say)
    for _ in range(60):
        since = bot.api.checkpoint()
        await answer_question(bot)
        if bot.session().mode != "assess":
            return sent(bot, since)
    raise AssertionError("no result")


async def do(bot: Served, action: Any) -> list[dict[str, Any]]:
    since = bot.api.checkpoint()
    await action
    return sent(bot, since)


def console() -> tuple[Chat, dict[str, Any]]:
    """The same assessment at the console: what every text should say."""
    chat = Chat(MemoryStore())
    return chat, chat.answer_all(EXAMPLE_A_TYPED)


def texts_of(lines: list[dict[str, Any]]) -> str:
    return "\n\n".join(line["text"] for line in lines if "text" in line)


def picture(bot: Served, message: dict[str, Any]) -> PILImage.Image:
    data = bot.api.file_content(message["photo"][-1]["file_id"])
    shown = PILImage.open(io.BytesIO(data))
    shown.load()
    return shown


def pdf_text(data: bytes) -> str:
    """The report's text without whitespace (the extractor spaces CJK glyphs apart)."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


# ---- the result ----------------------------------------------------------------------------------


async def test_a_whole_assessment_ends_in_the_card_then_a_short_result_then_buttons(bot: Served) -> None:
    chat, at_console = console()
    [image_line] = [line for line in chat.send("/result") if line["type"] == "image"]

    card, result, menu = await finish(bot)

    assert "photo" in card and "text" not in card  # the picture comes first
    assert card["caption"] == image_line["alt"]
    assert card["caption"].startswith("自测得分 72/100")
    shown = picture(bot, card)
    assert (shown.format, shown.size) == ("PNG", (1080, 1350))
    low, high = shown.convert("L").getextrema()  # dark text on a light card, not a blank picture
    assert isinstance(low, int) and isinstance(high, int) and high - low > 100
    [upload] = bot.api.calls("sendPhoto")
    assert upload.files["photo"].filename == "zjtx-score-2026-11-23.png"
    assert upload.files["photo"].content_type == "image/png"

    assert result["text"] == at_console["text"]  # the short result, as a message of its own
    assert results.screen_lines(result["text"]) <= results.LINE_BUDGET == 15
    assert "reply_markup" not in result

    buttons = labels(menu)
    assert buttons[: len(DETAILS) + 1] == [*DETAILS.values(), ZH["report.button"]]
    assert buttons[-3:] == [ZH["menu.join"], ZH["menu.callme"], ZH["remind.yearly_button"]]
    assert any(b.startswith("如果") for b in buttons)  # the suggested changes, as what-ifs
    assert all(
        len(b["callback_data"].encode()) <= 64 for row in menu["reply_markup"]["inline_keyboard"] for b in row
    )


async def test_each_detail_button_opens_its_part(bot: Served) -> None:
    chat, _ = console()
    await finish(bot)
    for part, label in DETAILS.items():
        [opened] = await bot.press(label)
        expected = texts_of([line for line in chat.send(f"/details {part}") if line["type"] == "message"])
        assert opened["text"] == expected, part
    [indicators] = await bot.press(DETAILS["indicators"])
    shown = re.sub(r"\s+", "", indicators["text"])
    for ind in default_rules().indicators.indicator:  # all 13, each with its band
        assert re.sub(r"\s+", "", ind.label.zh) in shown, ind.label.zh


async def test_the_report_button_and_report_send_the_pdf_with_the_figures(bot: Served) -> None:
    await finish(bot)
    [document] = await do(bot, bot.press(ZH["report.button"]))
    assert document["document"]["file_name"] == "zjtx-report-2026-11-23.pdf"
    assert document["document"]["mime_type"] == "application/pdf"
    assert document["caption"] == ZH["report.caption"].format(date="2026-11-23")
    data = bot.api.file_content(document["document"]["file_id"])
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "评分：72/100分（及格线70分）" in text
    for ind in default_rules().indicators.indicator:
        assert re.sub(r"\s+", "", ind.label.zh) in text, ind.label.zh
    assert "18011714912" in text and "2026-11-23" in text

    [again] = await do(bot, bot.say("/report"))
    assert again["document"]["file_id"] == document["document"]["file_id"]  # sent by its file_id
    assert len(bot.api.calls("sendDocument")[-1].files) == 0  # nothing drawn or uploaded again


async def test_a_whatif_leaves_the_result_unchanged(bot: Served) -> None:
    _, at_console = console()
    card, result, _ = await finish(bot)
    suggestion = next(b for b in labels(bot.latest_keyboard()) if b.startswith("如果"))
    [whatif] = await bot.press(suggestion)
    assert "72" in whatif["text"] and whatif["text"] != result["text"]
    typed = await bot.say("/whatif 研发费用 300万 研发人员占比 20%")
    assert typed and all("photo" not in m for m in typed)

    again_card, again, _ = await do(bot, bot.say("/result"))
    assert again["text"].endswith(result["text"])  # the same result, after a line saying when it was made
    assert ZH["result.again"].format(date="2026-11-23") in again["text"]
    assert again_card["photo"][-1]["file_id"] == card["photo"][-1]["file_id"]  # the same card
    [stored] = bot.store.assessments()  # nothing kept
    assert stored.result == at_console["assessment"]


async def test_an_english_session_gets_an_english_card_result_and_report(bot: Served) -> None:
    await finish(bot)
    await bot.say("/lang en")
    card, result, menu = await do(bot, bot.say("/result"))
    assert "72/100" in card["caption"] and not re.search(r"[\u4e00-\u9fff]", card["caption"])
    assert (picture(bot, card).format, picture(bot, card).size) == ("PNG", (1080, 1350))
    assert results.screen_lines(result["text"]) <= results.LINE_BUDGET
    assert labels(menu)[0] == EN["details.button.indicators"]
    [document] = await do(bot, bot.press(EN["report.button"]))
    assert "Indicator" in pdf_text(bot.api.file_content(document["document"]["file_id"]))


# ---- when Telegram refuses the file -----------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS"), ApiError(413, "Request Entity Too Large")],
)
async def test_a_refused_card_is_replaced_by_its_caption_and_the_result_follows(
    bot: Served, error: ApiError, caplog: pytest.LogCaptureFixture
) -> None:
    bot.api.fail_next(error, method="sendPhoto")
    with caplog.at_level(logging.ERROR, "zjtx.telegram"):
        headline, result, menu = await finish(bot)
    assert headline["text"].startswith("自测得分 72/100") and "photo" not in headline
    assert result["text"].startswith("📊") and labels(menu)[0] == DETAILS["indicators"]
    assert "telegram.media_refused" in caplog.text and "zjtx-score-2026-11-23.png" in caplog.text


async def test_a_refused_report_says_so_and_how_to_ask_again(
    bot: Served, caplog: pytest.LogCaptureFixture
) -> None:
    await finish(bot)
    bot.api.fail_next(ApiError(413, "Request Entity Too Large"), method="sendDocument")
    with caplog.at_level(logging.ERROR, "zjtx.telegram"):
        [said] = await do(bot, bot.press(ZH["report.button"]))
    assert said["text"] == ZH["report.caption"].format(date="2026-11-23") + "\n" + ZH["media.document_unsent"]
    assert "telegram.media_refused" in caplog.text
    [document] = await do(bot, bot.say("/report"))  # asked again: it comes
    assert document["document"]["file_name"].endswith(".pdf")


async def test_a_rate_limited_card_is_waited_out_and_sent_once(bot: Served) -> None:
    bot.api.rate_limit_next(1, retry_after=0.01, method="sendPhoto")
    card, _, _ = await finish(bot)
    assert "photo" in card
    assert [c.ok for c in bot.api.calls("sendPhoto")] == [False, True]


def test_a_picture_a_result_and_a_document_are_each_a_message_of_their_own() -> None:
    a = assess_answers(EXAMPLE_A, TODAY)
    image = ENGINE.score_image("zh", a, TODAY)
    document = ENGINE.report_document("zh", a, dict(EXAMPLE_A), TODAY)
    replies: list[Outbound] = [
        Text("已记录"),
        image,
        Result({}, ("得分", "联系")),
        Menu("还可以：", (Choice("/report", "PDF 报告"),)),
        document,
    ]
    planned = plan_messages(replies, lambda key, **v: key, lambda v: command_data(v) or "v:x")
    assert [(p.media, p.plain) for p in planned] == [
        (None, "已记录"),
        (image, image.alt),
        (None, "得分\n\n联系"),
        (None, "还可以："),
        (document, document.caption),
    ]
    assert planned[3].markup is not None and planned[2].markup is None


@pytest.mark.parametrize("command", ["/report", "/details indicators", "/whatif 研发费用 300万", "/result"])
async def test_in_a_group_ones_result_report_and_whatifs_go_private(bot: Served, command: str) -> None:
    await finish(bot)  # a result of one's own, in the private chat
    since = bot.api.checkpoint()
    await bot.say(command, chat=GROUP, chat_type="supergroup")
    [link] = [c.result for c in bot.api.calls()[since:] if c.method in SENDS and c.ok]
    assert link["chat"]["id"] == GROUP and link["text"] == ZH["tg.go_private"]
    assert find_button(link, ZH["tg.open_private"])["url"] == "https://t.me/zjtx_test_bot"
