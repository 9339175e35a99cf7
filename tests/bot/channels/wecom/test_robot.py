"""Group robot webhooks against the fake WeCom server."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator

import pytest

from bot.channels.wecom import RobotRevoked, RobotSender, WeComError, utf8_size
from bot.pacing import Rate, WindowLimiter
from tests.fakes.wecom_api import WEBHOOK_SEND, FakeWeComApi, ManualClock

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def robot(fake_api: FakeWeComApi, clock: ManualClock) -> AsyncIterator[RobotSender]:
    async with RobotSender(base_url=fake_api.base_url, clock=clock, sleep=clock.sleep) as sender:
        yield sender


async def test_text_reaches_the_group(robot: RobotSender, fake_api: FakeWeComApi) -> None:
    assert await robot.send_text(KEY, "本周政策速递", mentioned_users=["@all"]) == 1
    assert fake_api.robot_messages(KEY) == [
        {"msgtype": "text", "text": {"content": "本周政策速递", "mentioned_list": ["@all"]}}
    ]


async def test_the_21st_message_in_a_minute_waits(
    robot: RobotSender, fake_api: FakeWeComApi, clock: ManualClock
) -> None:
    start = clock()
    for i in range(20):
        await robot.send_text(KEY, f"消息 {i}")
    assert clock.sleeps == []
    await robot.send_text(KEY, "消息 20")
    assert clock.sleeps == [60.0] and clock() == start + 60
    answers = [call.answer["errcode"] for call in fake_api.calls_to(WEBHOOK_SEND)]
    assert answers == [0] * 21  # the server never had to refuse


async def test_robots_are_limited_separately(robot: RobotSender, clock: ManualClock) -> None:
    for i in range(20):
        await robot.send_text(KEY, str(i))
    await robot.send_text("another-key", "x")
    assert clock.sleeps == []


async def test_a_45009_is_waited_out(fake_api: FakeWeComApi, clock: ManualClock) -> None:
    # Someone else used the robot too: our limiter thinks there is room, the server disagrees.
    async with RobotSender(
        base_url=fake_api.base_url, clock=clock, sleep=clock.sleep, per_minute=100
    ) as robot:
        for i in range(21):
            await robot.send_text(KEY, str(i))
    assert clock.sleeps == [60.0]
    answers = [call.answer["errcode"] for call in fake_api.calls_to(WEBHOOK_SEND)]
    assert answers == [0] * 20 + [45009, 0]
    assert len(fake_api.robot_messages(KEY)) == 21


async def test_a_revoked_key_raises_robot_revoked(robot: RobotSender, fake_api: FakeWeComApi) -> None:
    fake_api.revoke_robot(KEY)
    with pytest.raises(RobotRevoked) as caught:
        await robot.send_markdown(KEY, "**通知**")
    assert caught.value.errcode == 93000 and KEY not in str(caught.value)
    assert len(fake_api.calls_to(WEBHOOK_SEND)) == 1


async def test_other_errcodes_raise(robot: RobotSender, fake_api: FakeWeComApi, clock: ManualClock) -> None:
    fake_api.fail_next(WEBHOOK_SEND, 40008, errmsg="invalid message type")
    with pytest.raises(WeComError) as caught:
        await robot.send_text(KEY, "x")
    assert caught.value.errcode == 40008 and clock.sleeps == []


async def test_system_busy_backs_off(robot: RobotSender, fake_api: FakeWeComApi, clock: ManualClock) -> None:
    fake_api.fail_next(WEBHOOK_SEND, -1, times=2)
    await robot.send_text(KEY, "x")
    assert clock.sleeps == [1.0, 2.0]


async def test_an_image_goes_as_base64_with_the_md5_of_the_raw_bytes(
    robot: RobotSender, fake_api: FakeWeComApi
) -> None:
    await robot.send_image(KEY, PNG)
    [message] = fake_api.robot_messages(KEY)
    assert message == {
        "msgtype": "image",
        "image": {"base64": base64.b64encode(PNG).decode(), "md5": hashlib.md5(PNG).hexdigest()},
    }


@pytest.mark.parametrize("image", [b"", b"GIF89a....", b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024)])
async def test_unsendable_images_are_refused(
    robot: RobotSender, fake_api: FakeWeComApi, image: bytes
) -> None:
    with pytest.raises(ValueError):
        await robot.send_image(KEY, image)
    assert fake_api.calls == []


async def test_long_markdown_is_split_under_4096_bytes(robot: RobotSender, fake_api: FakeWeComApi) -> None:
    text = "\n\n".join(["## 第一节\n" + "内容" * 600, "## 第二节\n" + "内容" * 600])  # ~3.6 KB each
    assert await robot.send_markdown(KEY, text) == 2
    contents = [message["markdown"]["content"] for message in fake_api.robot_messages(KEY)]
    assert all(utf8_size(content) <= 4096 for content in contents)
    assert contents[1].startswith("## 第二节")


async def test_the_limiter_waits_only_as_long_as_needed() -> None:
    clock = ManualClock()
    limiter = WindowLimiter(Rate(2, 60.0), clock=clock, sleep=clock.sleep)
    assert await limiter.acquire("k") == 0.0
    clock.advance(10)
    assert await limiter.acquire("k") == 0.0
    assert await limiter.acquire("k") == 50.0  # the first slot frees at t=60
    assert await limiter.acquire("k") == 10.0  # the second at t=70
