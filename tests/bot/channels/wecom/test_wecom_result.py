"""The result on WeCom, end to end: a whole assessment through encrypted callbacks ends in the
score card (uploaded as image media, then an image message naming the media_id the fake
issued), the short result, and numbered options one short line each; typing a number opens
the part; the PDF report comes as a file message; a what-if leaves /result unchanged. The
console (`zjtx chat --jsonl`) is the oracle for every text."""

from __future__ import annotations

import io
import logging
import re
from typing import Any

import aiohttp
import pytest
from PIL import Image as PILImage
from pypdf import PdfReader

from bot.channels.wecom import WeComApi, WeComError
from bot.channels.wecom.media import MediaIds, send_media
from bot.store import MemoryStore
from dialogs import results
from rules import default_rules
from tests.conversations import ENGINE, EXAMPLE_A_TYPED, TODAY, Chat
from tests.fakes.pictures import png
from tests.fakes.wecom_api import MEDIA_UPLOAD, MESSAGE_SEND, FakeWeComApi, ManualClock
from tests.rules.examples import EXAMPLE_A, assess_answers

from . import test_wecom_channel as channel_tests
from .test_wecom_channel import ZH, MakeServed, Served, answer_until_result, options, texts

make_served = channel_tests.make_served  # the fixture: a running server with the fake API

DETAILS = {part: ZH[key] for part, key in results.DETAIL_LABELS.items()}


def kinds(messages: list[dict[str, Any]]) -> list[str]:
    return [m["msgtype"] for m in messages]


def console() -> tuple[Chat, dict[str, Any]]:
    chat = Chat(MemoryStore())
    return chat, chat.answer_all(EXAMPLE_A_TYPED)


def console_text(lines: list[dict[str, Any]]) -> str:
    return "\n\n".join(line["text"] for line in lines if line["type"] == "message")


async def finish(served: Served) -> list[dict[str, Any]]:
    replies = await served.say("/assess")
    return await answer_until_result(served, replies)


def numbered(messages: list[dict[str, Any]]) -> dict[str, str]:
    """The numbered options of the last text: label → the number to type."""
    return options(texts(messages)[-1])


# ---- the result ----------------------------------------------------------------------------------


async def test_a_whole_assessment_ends_in_an_image_then_the_short_result_then_numbered_options(
    make_served: MakeServed,
) -> None:
    _, at_console = console()
    served = await make_served()
    replies = await finish(served)

    assert kinds(replies)[0] == "image"  # the picture comes first
    card = served.fake.media_of(replies[0])
    assert (card.type, card.filename, card.content_type) == (
        "image",
        "zjtx-score-2026-11-23.png",
        "image/png",
    )
    shown = PILImage.open(io.BytesIO(card.content))
    assert (shown.format, shown.size) == ("PNG", (1080, 1350))
    [upload] = served.fake.calls_to(MEDIA_UPLOAD)
    assert upload.query["type"] == "image" and upload.query["access_token"].startswith("fake-token-")

    assert kinds(replies)[1] == "text"
    result, menu = texts(replies)[0], texts(replies)[-1]
    assert result == at_console["text"]  # the short result, a message of its own
    assert results.screen_lines(result) <= results.LINE_BUDGET == 15
    assert menu.endswith(ZH["wecom.pick_number"])  # too many for a card: how to pick says so
    shown_options = numbered(replies)
    assert list(shown_options)[: len(DETAILS) + 1] == [*DETAILS.values(), f"{ZH['report.button']}（/report）"]
    assert "申请入会（/join）" in shown_options and len(shown_options) == 12
    assert list(shown_options)[-1] == f"{ZH['remind.yearly_button']}（/remind_yearly）"  # the yearly opt-in
    option_lines = [line for line in texts(replies)[-1].splitlines() if re.match(r"^\d+\. ", line)]
    assert all(results.columns(line) <= 44 for line in option_lines)  # one short line each on a phone


async def test_typing_each_number_opens_its_part(make_served: MakeServed) -> None:
    chat, _ = console()
    served = await make_served()
    shown = numbered(await finish(served))
    for part, label in DETAILS.items():
        opened = await served.say(shown[label])
        assert texts(opened) == [console_text(chat.send(f"/details {part}"))], part
    indicators = re.sub(r"\s+", "", texts(await served.say(shown[DETAILS["indicators"]]))[0])
    for ind in default_rules().indicators.indicator:
        assert re.sub(r"\s+", "", ind.label.zh) in indicators, ind.label.zh


async def test_the_report_comes_as_a_file_message_whose_pdf_carries_the_figures(
    make_served: MakeServed,
) -> None:
    served = await make_served()
    shown = numbered(await finish(served))
    [message] = await served.say(shown[f"{ZH['report.button']}（/report）"])
    assert message["msgtype"] == "file"
    report = served.fake.media_of(message)
    assert (report.type, report.filename) == ("file", "zjtx-report-2026-11-23.pdf")
    reader = PdfReader(io.BytesIO(report.content))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert "评分：72/100分（及格线70分）" in text
    for ind in default_rules().indicators.indicator:
        assert re.sub(r"\s+", "", ind.label.zh) in text, ind.label.zh

    [again] = await served.say("/report")
    assert again["file"]["media_id"] == message["file"]["media_id"]  # kept: not uploaded again
    assert [c.query["type"] for c in served.fake.calls_to(MEDIA_UPLOAD)] == ["image", "file"]


async def test_a_whatif_leaves_the_result_unchanged(make_served: MakeServed) -> None:
    served = await make_served()
    replies = await finish(served)
    first = texts(replies)[0]
    shown = numbered(replies)
    suggestion = next(label for label in shown if label.startswith("如果"))
    whatif = texts(await served.say(shown[suggestion]))
    assert "72" in whatif[0] and "→" in whatif[0]
    assert texts(await served.say("/whatif 研发费用 300万"))

    again = await served.say("/result")
    assert kinds(again)[0] == "image"
    assert again[0]["image"]["media_id"] == replies[0]["image"]["media_id"]  # the same card
    result = texts(again)[0]
    assert result.endswith(first)  # the same result, after a line saying when it was made
    assert ZH["result.again"].format(date="2026-11-23") in result
    assert len(list(served.store.assessments())) == 1


# ---- when WeCom refuses ---------------------------------------------------------------------------


async def test_a_refused_upload_sends_the_alt_text_and_the_result_follows(
    make_served: MakeServed, caplog: pytest.LogCaptureFixture
) -> None:
    served = await make_served()
    served.fake.fail_next(MEDIA_UPLOAD, 40009, errmsg="invalid image size")
    with caplog.at_level(logging.ERROR, "zjtx.wecom"):
        replies = await finish(served)
    assert kinds(replies)[0] == "text"
    headline, result = texts(replies)[:2]
    assert headline.startswith("自测得分 72/100")
    assert result.startswith("📊")
    assert ("wecom.media_refused" in caplog.text and "errcode=40009" in caplog.text) or "40009" in caplog.text


async def test_a_busy_upload_is_retried(make_served: MakeServed) -> None:
    served = await make_served()
    served.fake.fail_next(MEDIA_UPLOAD, -1, errmsg="system busy")
    replies = await finish(served)
    assert kinds(replies)[0] == "image"
    assert [c.answer["errcode"] for c in served.fake.calls_to(MEDIA_UPLOAD)] == [-1, 0]
    assert served.clock.sleeps  # backed off on the injected clock, not waited for


async def test_an_expired_media_id_is_uploaded_again(make_served: MakeServed) -> None:
    served = await make_served()
    replies = await finish(served)
    served.clock.advance(3 * 24 * 3600)  # the card's media_id has expired at WeCom
    again = await served.say("/result")
    assert again[0]["msgtype"] == "image"
    assert again[0]["image"]["media_id"] != replies[0]["image"]["media_id"]
    assert served.fake.media_of(again[0]).content == served.fake.media_of(replies[0]).content


# ---- the fake's media/upload ----------------------------------------------------------------------


@pytest.fixture
async def api(fake_api: FakeWeComApi, clock: ManualClock) -> Any:
    async with WeComApi(
        corp_id=fake_api.corp_id,
        secret=fake_api.secret,
        agent_id=218,
        base_url=fake_api.base_url,
        clock=clock,
    ) as client:
        yield client


async def test_media_upload_takes_a_multipart_media_field_and_answers_a_media_id(
    api: WeComApi, fake_api: FakeWeComApi
) -> None:
    picture = png(1080, 1350)
    uploaded = await api.upload_media("image", picture, filename="卡片.png", content_type="image/png")
    [call] = fake_api.calls_to(MEDIA_UPLOAD)
    assert call.query["type"] == "image" and call.body["media"].filename == "卡片.png"
    assert fake_api.media[uploaded.media_id].content == picture
    await api.send_image("zhangsan", uploaded.media_id)
    [sent] = fake_api.delivered_messages()
    assert sent["msgtype"] == "image" and fake_api.media_of(sent).content == picture


@pytest.mark.parametrize(
    ("kind", "content", "errcode"),
    [
        ("image", b"GIF89a" + b"\x00" * 32, 40004),  # an image is a JPG or a PNG
        ("image", b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024), 40009),  # over 10 MB
        ("file", b"x" * (20 * 1024 * 1024 + 1), 40006),  # over 20 MB
        ("file", b"tiny", 40006),  # 5 bytes or fewer
        ("sticker", b"%PDF-1.7 report", 40005),  # no such type
    ],
)
async def test_the_fake_refuses_what_wecom_refuses(
    fake_api: FakeWeComApi, kind: str, content: bytes, errcode: int
) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{fake_api.base_url}/cgi-bin/gettoken",
            params={"corpid": fake_api.corp_id, "corpsecret": "fake-secret"},
        ) as response:
            token = (await response.json())["access_token"]
        form = aiohttp.FormData()
        form.add_field("media", content, filename="a.bin", content_type="application/octet-stream")
        async with session.post(
            f"{fake_api.base_url}{MEDIA_UPLOAD}", params={"access_token": token, "type": kind}, data=form
        ) as response:
            assert (await response.json())["errcode"] == errcode
    assert fake_api.media == {}


async def test_the_client_refuses_a_file_over_the_limit_before_any_call(
    api: WeComApi, fake_api: FakeWeComApi
) -> None:
    with pytest.raises(ValueError, match="10 MB"):
        await api.upload_media(
            "image", b"\x89PNG" + b"\x00" * (10 * 1024 * 1024), filename="a.png", content_type="image/png"
        )
    assert fake_api.calls == []


async def test_an_upload_with_an_expired_token_refreshes_it_once(
    api: WeComApi, fake_api: FakeWeComApi
) -> None:
    await api.access_token()
    fake_api.expire_tokens()
    await api.upload_media("file", b"%PDF-1.7 report", filename="r.pdf", content_type="application/pdf")
    assert [c.answer["errcode"] for c in fake_api.calls_to(MEDIA_UPLOAD)] == [42001, 0]


async def test_a_message_must_name_media_the_fake_issued(api: WeComApi, fake_api: FakeWeComApi) -> None:
    with pytest.raises(WeComError) as refused:
        await api.send_file("zhangsan", "no-such-media")
    assert refused.value.errcode == 40007
    assert fake_api.calls_to(MESSAGE_SEND)[-1].answer["errcode"] == 40007


async def test_send_media_keeps_the_media_id_for_the_same_message(
    api: WeComApi, fake_api: FakeWeComApi
) -> None:
    a = assess_answers(EXAMPLE_A, TODAY)
    document = ENGINE.report_document("zh", a, dict(EXAMPLE_A), TODAY)
    kept = MediaIds()
    first = await send_media(api, "zhangsan", document, media_ids=kept)
    second = await send_media(api, "zhangsan", document, media_ids=kept)
    assert first.msgid != second.msgid
    assert len(fake_api.calls_to(MEDIA_UPLOAD)) == 1
    [one, two] = fake_api.delivered_messages()
    assert one["file"] == two["file"] and fake_api.media_of(one).content.startswith(b"%PDF")
