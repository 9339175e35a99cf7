"""Decrypted callback XML → WeComInbound."""

from __future__ import annotations

import pytest

from bot.channels.wecom import WeComInbound, WeComXmlError, parse_inbound

from . import samples


def inner(fields: str) -> bytes:
    return (
        "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>"
        "<FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1700000000</CreateTime>"
        f"{fields}<AgentID>1000002</AgentID></xml>"
    ).encode()


def test_the_official_sample_is_a_text_message() -> None:
    inbound = parse_inbound(samples.POST_PLAINTEXT)
    assert inbound == WeComInbound(
        kind="text",
        from_user="mycreate",
        to_user="wx5823bf96d3bd56c7",
        create_time=1409659813,
        agent_id="218",
        content="hello",
        msg_id="4561255354251345929",
        raw_type="text",
    )
    assert inbound.replay_key() == "wecom:msg:4561255354251345929"


def test_a_button_click_is_an_event_with_its_key_and_task() -> None:
    inbound = parse_inbound(
        inner(
            "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>"
            "<EventKey><![CDATA[certification:provincial]]></EventKey><TaskId><![CDATA[q-17]]></TaskId>"
            "<CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[rc1]]></ResponseCode>"
        )
    )
    assert (inbound.kind, inbound.event, inbound.event_key) == (
        "event",
        "template_card_event",
        "certification:provincial",
    )
    assert inbound.msg_id is None
    assert inbound.extras == {"TaskId": "q-17", "CardType": "button_interaction", "ResponseCode": "rc1"}
    assert (
        inbound.replay_key() == "wecom:event:zhangsan:1700000000:template_card_event:certification:provincial"
    )


@pytest.mark.parametrize("msg_type", ["image", "voice", "file"])
def test_media_kinds_keep_their_media_id(msg_type: str) -> None:
    inbound = parse_inbound(inner(f"<MsgType>{msg_type}</MsgType><MediaId>m1</MediaId><MsgId>9</MsgId>"))
    assert inbound.kind == msg_type
    assert inbound.extras["MediaId"] == "m1"


def test_other_types_are_other_with_the_raw_type() -> None:
    inbound = parse_inbound(inner("<MsgType>location</MsgType><Location_X>23.1</Location_X><MsgId>9</MsgId>"))
    assert (inbound.kind, inbound.raw_type, inbound.extras["Location_X"]) == ("other", "location", "23.1")


def test_enter_agent_event_without_key() -> None:
    inbound = parse_inbound(inner("<MsgType>event</MsgType><Event>enter_agent</Event><EventKey></EventKey>"))
    assert (inbound.kind, inbound.event, inbound.event_key) == ("event", "enter_agent", "")


@pytest.mark.parametrize(
    "data",
    [
        b"<xml><ToUserName>a</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
        b"<xml><FromUserName>a</FromUserName><ToUserName>b</ToUserName><MsgType>text</MsgType></xml>",
        b"<xml><FromUserName>a</FromUserName><ToUserName>b</ToUserName><CreateTime>x</CreateTime>"
        b"<MsgType>text</MsgType></xml>",
        b"<xml><FromUserName>a</FromUserName>",
        b"",
    ],
)
def test_missing_or_broken_fields_are_malformed(data: bytes) -> None:
    with pytest.raises(WeComXmlError) as caught:
        parse_inbound(data)
    assert caught.value.reason == "malformed_xml"


def test_a_dtd_is_forbidden_even_inside_the_envelope() -> None:
    with pytest.raises(WeComXmlError) as caught:
        parse_inbound(
            b'<!DOCTYPE xml [<!ENTITY a "b">]>' + inner("<MsgType>text</MsgType><Content>&a;</Content>")
        )
    assert caught.value.reason == "xml_forbidden"
