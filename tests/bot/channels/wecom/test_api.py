"""The WeCom API client against the fake WeCom server."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.channels.wecom import (
    Backoff,
    ChoiceButton,
    WeComApi,
    WeComConfig,
    WeComError,
    WeComTransportError,
    utf8_size,
)
from tests.fakes.wecom_api import GETTOKEN, MESSAGE_SEND, FakeWeComApi, ManualClock


@pytest.fixture
async def api(config: WeComConfig, fake_api: FakeWeComApi, clock: ManualClock) -> AsyncIterator[WeComApi]:
    client = WeComApi.from_config(
        replace(config, api_base_url=fake_api.base_url), clock=clock, sleep=clock.sleep
    )
    async with client:
        yield client


async def test_text_reaches_the_user(api: WeComApi, fake_api: FakeWeComApi) -> None:
    [result] = await api.send_text("zhangsan", "您好")
    assert result.msgid and result.invalid_users == ()
    assert fake_api.delivered_messages() == [
        {"touser": "zhangsan", "msgtype": "text", "agentid": 218, "text": {"content": "您好"}}
    ]


async def test_the_token_is_cached(api: WeComApi, fake_api: FakeWeComApi) -> None:
    await api.send_text("zhangsan", "一")
    await api.send_markdown("zhangsan", "**二**")
    assert len(fake_api.calls_to(GETTOKEN)) == 1
    tokens = {call.query["access_token"] for call in fake_api.calls_to(MESSAGE_SEND)}
    assert len(tokens) == 1


async def test_the_token_is_renewed_shortly_before_it_expires(
    api: WeComApi, fake_api: FakeWeComApi, clock: ManualClock
) -> None:
    await api.send_text("zhangsan", "一")
    clock.advance(7200 - 300 - 1)
    await api.send_text("zhangsan", "二")
    assert len(fake_api.calls_to(GETTOKEN)) == 1
    clock.advance(2)
    await api.send_text("zhangsan", "三")
    assert len(fake_api.calls_to(GETTOKEN)) == 2
    assert clock.sleeps == []


async def test_an_expired_token_is_refreshed_once_and_the_call_retried(
    api: WeComApi, fake_api: FakeWeComApi
) -> None:
    await api.send_text("zhangsan", "一")
    fake_api.expire_tokens()
    await api.send_text("zhangsan", "二")
    sends = fake_api.calls_to(MESSAGE_SEND)
    assert [call.answer["errcode"] for call in sends] == [0, 42001, 0]
    assert len(fake_api.calls_to(GETTOKEN)) == 2
    assert sends[1].query["access_token"] != sends[2].query["access_token"]


@pytest.mark.parametrize("errcode", [42001, 40014])
async def test_a_token_error_after_the_refresh_is_raised(
    api: WeComApi, fake_api: FakeWeComApi, errcode: int
) -> None:
    fake_api.fail_next(MESSAGE_SEND, errcode, times=2)
    with pytest.raises(WeComError) as caught:
        await api.send_text("zhangsan", "一")
    assert caught.value.errcode == errcode
    assert len(fake_api.calls_to(GETTOKEN)) == 2  # refreshed once, not in a loop
    assert len(fake_api.calls_to(MESSAGE_SEND)) == 2


@pytest.mark.parametrize("errcode", [45009, -1])
async def test_rate_limit_and_busy_are_retried_with_backoff(
    api: WeComApi, fake_api: FakeWeComApi, clock: ManualClock, errcode: int
) -> None:
    fake_api.fail_next(MESSAGE_SEND, errcode, times=2)
    [result] = await api.send_text("zhangsan", "一")
    assert result.msgid
    assert clock.sleeps == [1.0, 2.0]
    assert [call.answer["errcode"] for call in fake_api.calls_to(MESSAGE_SEND)] == [errcode, errcode, 0]


async def test_retries_are_bounded(api: WeComApi, fake_api: FakeWeComApi, clock: ManualClock) -> None:
    fake_api.fail_next(MESSAGE_SEND, 45009, times=10)
    with pytest.raises(WeComError) as caught:
        await api.send_text("zhangsan", "一")
    assert caught.value.errcode == 45009
    assert len(fake_api.calls_to(MESSAGE_SEND)) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]


async def test_gettoken_is_retried_too(api: WeComApi, fake_api: FakeWeComApi, clock: ManualClock) -> None:
    fake_api.fail_next(GETTOKEN, -1)
    await api.send_text("zhangsan", "一")
    assert len(fake_api.calls_to(GETTOKEN)) == 2 and clock.sleeps == [1.0]


async def test_a_permanent_errcode_is_raised_at_once_and_logged(
    api: WeComApi, fake_api: FakeWeComApi, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake_api.fail_next(MESSAGE_SEND, 60020, errmsg="not allow to access from your ip")
    with caplog.at_level(logging.ERROR, logger="zjtx.wecom"), pytest.raises(WeComError) as caught:
        await api.send_text("zhangsan", "一")
    assert (caught.value.errcode, caught.value.errmsg) == (60020, "not allow to access from your ip")
    assert clock.sleeps == [] and len(fake_api.calls_to(MESSAGE_SEND)) == 1
    assert any("errcode=60020" in record.getMessage() for record in caplog.records)
    assert not any("access_token" in record.getMessage() for record in caplog.records)


async def test_a_wrong_secret_is_raised(
    config: WeComConfig, fake_api: FakeWeComApi, clock: ManualClock
) -> None:
    async with WeComApi(
        corp_id=config.corp_id,
        secret="wrong",
        agent_id=1,
        base_url=fake_api.base_url,
        clock=clock,
        sleep=clock.sleep,
    ) as api:
        with pytest.raises(WeComError) as caught:
            await api.access_token()
    assert caught.value.errcode == 40001


async def test_network_errors_are_retried_then_raised(config: WeComConfig, clock: ManualClock) -> None:
    with socket.socket() as probe:  # a port on 127.0.0.1 that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = replace(config, api_base_url=f"http://127.0.0.1:{port}")
    async with WeComApi.from_config(
        unreachable, clock=clock, sleep=clock.sleep, backoff=Backoff(attempts=3)
    ) as api:
        with pytest.raises(WeComTransportError) as caught:
            await api.access_token()
    assert caught.value.errcode == -1
    assert clock.sleeps == [1.0, 2.0]


async def test_long_text_is_split_under_2048_bytes(api: WeComApi, fake_api: FakeWeComApi) -> None:
    text = "\n\n".join(["第一段" * 200, "第二段" * 200, "第三段" * 50])  # 1800, 1800, 450 bytes
    results = await api.send_text("zhangsan", text)
    contents = [message["text"]["content"] for message in fake_api.delivered_messages()]
    assert len(results) == len(contents) == 3
    assert all(utf8_size(content) <= 2048 for content in contents)
    assert contents[0] == "第一段" * 200


async def test_markdown_is_sent_as_markdown(api: WeComApi, fake_api: FakeWeComApi) -> None:
    await api.send_markdown("zhangsan", "**评估结果**：72 分")
    [message] = fake_api.delivered_messages()
    assert message["msgtype"] == "markdown" and message["markdown"] == {"content": "**评估结果**：72 分"}


async def test_choices_go_as_a_button_card(api: WeComApi, fake_api: FakeWeComApi) -> None:
    result = await api.send_choices(
        "zhangsan",
        title="贵企业目前的认定层级？",
        description="请选择一项",
        task_id="certification-0001",
        buttons=[ChoiceButton("none", "尚未认定"), ChoiceButton("innovative", "创新型中小企业", style=2)],
    )
    assert result.response_code
    [message] = fake_api.delivered_messages()
    assert message["msgtype"] == "template_card"
    assert message["template_card"] == {
        "card_type": "button_interaction",
        "main_title": {"title": "贵企业目前的认定层级？", "desc": "请选择一项"},
        "task_id": "certification-0001",
        "button_list": [
            {"text": "尚未认定", "style": 1, "key": "none"},
            {"text": "创新型中小企业", "style": 2, "key": "innovative"},
        ],
    }


@pytest.mark.parametrize(
    ("buttons", "task_id"),
    [
        ([], "t1"),
        ([ChoiceButton(str(i), str(i)) for i in range(7)], "t1"),
        ([ChoiceButton("a", "A"), ChoiceButton("a", "B")], "t1"),
        ([ChoiceButton("a", "A")], "has space"),
        ([ChoiceButton("a", "A")], "x" * 129),
    ],
)
async def test_impossible_cards_are_refused_before_sending(
    api: WeComApi, fake_api: FakeWeComApi, buttons: list[ChoiceButton], task_id: str
) -> None:
    with pytest.raises(ValueError):
        await api.send_choices("zhangsan", title="?", task_id=task_id, buttons=buttons)
    assert fake_api.calls == []


async def test_unreachable_users_are_reported_not_raised(config: WeComConfig, clock: ManualClock) -> None:
    async with (
        FakeWeComApi(
            corp_id=config.corp_id, secret=config.secret, clock=clock, unknown_users=frozenset({"ghost"})
        ) as fake,
        WeComApi.from_config(
            replace(config, api_base_url=fake.base_url), clock=clock, sleep=clock.sleep
        ) as api,
    ):
        [result] = await api.send_text("ghost", "在吗")
    assert result.invalid_users == ("ghost",)
