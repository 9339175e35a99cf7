"""The router: a message for a conversation goes through the running channel that owns it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.db import connect
from bot.delivery import Router
from bot.store import MemoryStore, SessionKey
from bot.tickets import TicketDesk, TicketStore
from dialogs.i18n import load_catalogs
from dialogs.messages import Outbound, Text

KEY = SessionKey("wecom", "zhangsan", "zhangsan")


class Recorder:
    def __init__(self, name: str, ok: bool = True, fail: bool = False) -> None:
        self.name = name
        self.ok = ok
        self.fail = fail
        self.sent: list[tuple[SessionKey, list[Outbound]]] = []

    async def deliver(self, key: SessionKey, messages: Sequence[Outbound]) -> bool:
        if self.fail:
            raise RuntimeError("platform down")
        self.sent.append((key, list(messages)))
        return self.ok


async def test_a_message_goes_through_the_channel_of_the_key_only() -> None:
    telegram, wecom = Recorder("telegram"), Recorder("wecom")
    router = Router([telegram, wecom])
    assert (await router.deliver(KEY, [Text("你好")])).ok
    assert wecom.sent == [(KEY, [Text("你好")])] and telegram.sent == []


async def test_no_channel_a_refusal_and_a_crash_are_reported_not_raised() -> None:
    assert (await Router([]).deliver(KEY, [Text("x")])).reason == "no_channel"
    assert (await Router([Recorder("wecom", ok=False)]).deliver(KEY, [Text("x")])).reason == "refused"
    assert (await Router([Recorder("wecom", fail=True)]).deliver(KEY, [Text("x")])).reason == "refused"


async def test_channels_made_later_are_found() -> None:
    channels: list[object] = []
    router = Router(channels)
    assert not router.reaches("wecom")
    channels.append(Recorder("wecom"))
    router.add(Recorder("wechat"))
    assert router.reaches("wecom") and router.reaches("wechat") and router.board("wecom") is None


async def test_the_desk_sweeps_until_it_is_stopped() -> None:
    desk = TicketDesk(TicketStore(connect(":memory:")), MemoryStore(), load_catalogs(), Router())
    stop = asyncio.Event()
    sweeps = 0

    async def counted(now: float | None = None) -> tuple[int, int]:
        nonlocal sweeps
        sweeps += 1
        stop.set()  # the first sweep runs at once; the loop then ends without waiting its minute
        return 0, 0

    desk.sweep = counted  # type: ignore[method-assign]
    await asyncio.wait_for(desk.run(stop, every=3600), timeout=5)
    assert sweeps == 1
