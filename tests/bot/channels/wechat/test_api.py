"""The Official Account API client against the fake WeChat server: the stable token kept
across restarts, refreshed once, never invalidated by someone else's token; retries;
messages, media and the menu."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.backoff import Backoff
from bot.channels.tencent import TransportError
from bot.channels.wechat import WeChatApi, WeChatError, WeChatStore
from bot.db import connect
from tests.fakes.pictures import png
from tests.fakes.wechat_api import CUSTOM_SEND, MEDIA_UPLOAD, STABLE_TOKEN, TOKEN, FakeWeChatApi, ManualClock

from .conftest import APP_ID, SECRET

OPENID = "oFollower0001"


def client(
    fake: FakeWeChatApi, clock: ManualClock, store: WeChatStore | None = None, **options: object
) -> WeChatApi:
    return WeChatApi(
        app_id=APP_ID,
        secret=SECRET,
        base_url=fake.base_url,
        tokens=store,
        clock=clock,
        sleep=clock.sleep,
        **options,  # type: ignore[arg-type]
    )


async def test_the_token_is_fetched_once_and_kept_across_a_restart(
    fake_api: FakeWeChatApi, clock: ManualClock, tmp_path: Path
) -> None:
    db = connect(tmp_path / "t.db")
    fake_api.follower_messaged(OPENID)
    async with client(fake_api, clock, WeChatStore(db)) as api:
        await api.send_text(OPENID, "一")
        await api.send_text(OPENID, "二")
    async with client(fake_api, clock, WeChatStore(db)) as again:  # a new process, same database
        await again.send_text(OPENID, "三")
    assert len(fake_api.calls_to(STABLE_TOKEN)) == 1
    assert fake_api.calls_to(STABLE_TOKEN)[0].body["force_refresh"] is False
    assert len(fake_api.delivered(OPENID)) == 3
    db.close()


async def test_a_token_about_to_expire_is_replaced_before_use(
    fake_api: FakeWeChatApi, clock: ManualClock
) -> None:
    fake_api.follower_messaged(OPENID)
    async with client(fake_api, clock) as api:
        first = await api.access_token()
        clock.advance(7200 - 200)  # inside the five-minute margin: asked again …
        assert await api.access_token() == first  # … WeChat keeps it while it is valid
        clock.advance(201)
        second = await api.access_token()
    assert first != second and len(fake_api.calls_to(STABLE_TOKEN)) == 3


async def test_someone_elses_ordinary_token_does_not_invalidate_ours(
    fake_api: FakeWeChatApi, clock: ManualClock
) -> None:
    fake_api.follower_messaged(OPENID)
    async with client(fake_api, clock) as api:
        await api.send_text(OPENID, "一")
        async with api._http().get(
            f"{fake_api.base_url}{TOKEN}",
            params={"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET},
        ) as response:
            assert "access_token" in await response.json()  # a staff tool takes a token …
        await api.send_text(OPENID, "二")  # … and ours still works, without a refresh
    assert [c.answer["errcode"] for c in fake_api.calls_to(CUSTOM_SEND)] == [0, 0]
    assert len(fake_api.calls_to(STABLE_TOKEN)) == 1


@pytest.mark.parametrize("errcode", [40001, 42001])
async def test_a_rejected_token_is_refreshed_once_and_the_call_repeated(
    fake_api: FakeWeChatApi, clock: ManualClock, tmp_path: Path, errcode: int
) -> None:
    db = connect(tmp_path / "t.db")
    store = WeChatStore(db)
    fake_api.follower_messaged(OPENID)
    async with client(fake_api, clock, store) as api:
        await api.access_token()
        stale = store.load_token(APP_ID)
        fake_api.fail_next(CUSTOM_SEND, errcode)
        await api.send_text(OPENID, "一")
        # asked for the current one, given the refused one back: asked for a new one
        assert [c.body["force_refresh"] for c in fake_api.calls_to(STABLE_TOKEN)] == [False, False, True]
        assert store.load_token(APP_ID) != stale  # the stored token was replaced too
        fake_api.fail_next(CUSTOM_SEND, errcode, times=2)
        with pytest.raises(WeChatError) as caught:  # refreshed once, not forever
            await api.send_text(OPENID, "二")
    assert caught.value.errcode == errcode
    db.close()


async def test_busy_is_retried_with_backoff(fake_api: FakeWeChatApi, clock: ManualClock) -> None:
    fake_api.follower_messaged(OPENID)
    fake_api.fail_next(CUSTOM_SEND, -1, times=2)
    async with client(fake_api, clock) as api:
        await api.send_text(OPENID, "一")
    assert clock.sleeps == [1.0, 2.0] and len(fake_api.delivered(OPENID)) == 1


async def test_a_wrong_secret_is_an_error_at_once(fake_api: FakeWeChatApi, clock: ManualClock) -> None:
    api = WeChatApi(app_id=APP_ID, secret="wrong", base_url=fake_api.base_url, clock=clock, sleep=clock.sleep)
    with pytest.raises(WeChatError) as caught:
        await api.access_token()
    await api.aclose()
    assert caught.value.errcode == 40125 and clock.sleeps == []


async def test_an_unreachable_wechat_is_a_transport_error_after_the_retries(clock: ManualClock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    api = WeChatApi(
        app_id=APP_ID,
        secret=SECRET,
        base_url=f"http://127.0.0.1:{closed}",
        clock=clock,
        sleep=clock.sleep,
        backoff=Backoff(attempts=3),
    )
    with pytest.raises(TransportError):
        await api.access_token()
    await api.aclose()
    assert clock.sleeps == [1.0, 2.0]


async def test_text_over_2048_bytes_is_refused_before_wechat_would(
    fake_api: FakeWeChatApi, clock: ManualClock
) -> None:
    fake_api.follower_messaged(OPENID)
    async with client(fake_api, clock) as api:
        with pytest.raises(ValueError):
            await api.send_text(OPENID, "字" * 683)  # 2,049 bytes
        await api.send_text(OPENID, "字" * 682 + "a" * 2)  # 2,048 bytes: accepted
        with pytest.raises(WeChatError) as caught:
            await api.send(OPENID, "text", {"content": "字" * 683})
    assert caught.value.errcode == 45002


async def test_a_picture_is_uploaded_and_sent(fake_api: FakeWeChatApi, clock: ManualClock) -> None:
    fake_api.follower_messaged(OPENID)
    async with client(fake_api, clock) as api:
        media_id = await api.upload_image(png(), "card.png")
        await api.send_image(OPENID, media_id)
    assert fake_api.uploads[media_id].data == png()
    assert fake_api.calls_to(MEDIA_UPLOAD)[0].query["type"] == "image"
    assert fake_api.delivered(OPENID) == [
        {"touser": OPENID, "msgtype": "image", "image": {"media_id": media_id}}
    ]


async def test_an_upload_that_is_not_a_picture_is_refused_and_a_chinese_name_kept(
    fake_api: FakeWeChatApi, clock: ManualClock
) -> None:
    async with client(fake_api, clock) as api:
        with pytest.raises(WeChatError) as caught:
            await api.upload_image(b"\x89PNG" + bytes(100), "card.png")  # a signature, no picture
        media_id = await api.upload_image(png(), "得分卡.png")
    assert caught.value.errcode == 40004
    assert fake_api.uploads[media_id].filename == "得分卡.png"


async def test_a_menu_message_carries_its_items(fake_api: FakeWeChatApi, clock: ManualClock) -> None:
    fake_api.follower_messaged(OPENID)
    async with client(fake_api, clock) as api:
        await api.send_menu(
            OPENID, "您的数字化水平？", [("10013", "3. 三级及以上"), ("10012", "2. 二级")], "点选"
        )
        with pytest.raises(ValueError):
            await api.send_menu(OPENID, "太多", [(str(n), str(n)) for n in range(11)])
    [sent] = fake_api.delivered(OPENID)
    assert sent["msgmenu"]["list"] == [
        {"id": "10013", "content": "3. 三级及以上"},
        {"id": "10012", "content": "2. 二级"},
    ]


async def test_the_custom_menu_is_created(fake_api: FakeWeChatApi, clock: ManualClock) -> None:
    buttons = [{"type": "click", "name": "自测评估", "key": "/assess"}]
    async with client(fake_api, clock) as api:
        await api.create_menu(buttons)
        with pytest.raises(WeChatError) as caught:
            await api.create_menu([{"type": "click", "name": "一个太长太长的菜单名字", "key": "/x"}])
    assert fake_api.menu == buttons and caught.value.errcode == 40018
