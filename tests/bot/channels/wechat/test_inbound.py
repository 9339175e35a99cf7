"""Official Account callback XML → WeChatInbound."""

from __future__ import annotations

import pytest

from bot.channels.tencent import XmlError
from bot.channels.wechat import parse_inbound


def xml(body: str, msg_type: str = "text", created: str = "1409735668") -> bytes:
    return (
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
        "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>"
    ).encode()


def test_a_text_message() -> None:
    inbound = parse_inbound(xml("<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"))
    assert (inbound.kind, inbound.content, inbound.msg_id) == ("text", "abcdteT", "6054768590064713728")
    assert inbound.from_user == "oyORnuP8q7ou2gfYjqLzSIWZf0rs" and inbound.to_user == "gh_10f6c3c3ac5a"
    assert inbound.replay_key() == "wechat:msg:6054768590064713728"


def test_a_click_in_a_menu_message_carries_its_id() -> None:
    inbound = parse_inbound(
        xml("<Content><![CDATA[2. 二级]]></Content><MsgId>1</MsgId><bizmsgmenuid>52342</bizmsgmenuid>")
    )
    assert (inbound.content, inbound.menu_id) == ("2. 二级", "52342")


def test_events_are_told_apart_by_sender_time_event_and_key() -> None:
    click = parse_inbound(
        xml("<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[/assess]]></EventKey>", "event")
    )
    other = parse_inbound(
        xml("<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[/faq]]></EventKey>", "event")
    )
    assert (click.kind, click.event, click.event_key, click.msg_id) == ("event", "CLICK", "/assess", None)
    assert click.replay_key().startswith("wechat:event:oyORnuP8q7ou2gfYjqLzSIWZf0rs:1409735668:")
    assert click.replay_key() != other.replay_key()


@pytest.mark.parametrize("kind", ["image", "voice", "video", "shortvideo", "location", "link"])
def test_media_of_every_kind(kind: str) -> None:
    inbound = parse_inbound(xml("<MediaId><![CDATA[m]]></MediaId><MsgId>2</MsgId>", kind))
    assert (inbound.kind, inbound.raw_type, inbound.extras["MediaId"]) == ("media", kind, "m")


def test_an_unknown_type_is_other() -> None:
    assert parse_inbound(xml("<MsgId>3</MsgId>", "hologram")).kind == "other"


@pytest.mark.parametrize(
    "data",
    [
        b"<xml><ToUserName>a</ToUserName></xml>",
        xml("", created="yesterday"),
        b"<xml><FromUserName>a</FromUserName><ToUserName>b</ToUserName><CreateTime>1</CreateTime></xml>",
        b"<not-closed>",
    ],
)
def test_missing_or_wrong_fields_are_malformed(data: bytes) -> None:
    with pytest.raises(XmlError) as caught:
        parse_inbound(data)
    assert caught.value.reason == "malformed_xml"
