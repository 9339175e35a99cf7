"""The router: a message for a conversation goes through the running channel that owns it,
by its push (as reminders go), or into the group a ticket came from."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.db import connect
from bot.delivery import Router
from bot.reminders.pushing import Dropped, Later, Pushed, Sent, Uncertain
from bot.store import MemoryStore, SessionKey
from bot.tickets import TicketDesk, TicketStore
from dialogs.i18n import load_catalogs
from dialogs.messages import Outbound, Text

KEY = SessionKey("wecom", "zhangsan", "zhangsan")
SENT = Sent()


class Recorder:
    def __init__(self, name: str, verdict: Pushed | int = SENT, fail: bool = False) -> None:
        self.name = name
        self.verdict = verdict
        self.fail = fail
        self.sent: list[tuple[str, list[Outbound]]] = []
        self.in_groups: list[SessionKey] = []

    async def push(self, user_id: str, replies: Sequence[Outbound]) -> Pushed | int:
        if self.fail:
            raise RuntimeError("platform down")
        self.sent.append((user_id, list(replies)))
        return self.verdict

    async def deliver_in_chat(self, key: SessionKey, messages: Sequence[Outbound]) -> bool:
        self.in_groups.append(key)
        return True


async def test_a_message_goes_through_the_channel_of_the_key_only() -> None:
    telegram, wecom = Recorder("telegram"), Recorder("wecom")
    router = Router([telegram, wecom])
    assert (await router.deliver(KEY, [Text("你好")])).ok
    assert wecom.sent == [("zhangsan", [Text("你好")])] and telegram.sent == []


async def test_a_group_conversation_goes_into_its_group() -> None:
    telegram = Recorder("telegram")
    group = SessionKey("telegram", "-1001", "42")
    assert (await Router([telegram]).deliver(group, [Text("答复")])).ok
    assert telegram.in_groups == [group] and telegram.sent == []


async def test_every_verdict_is_reported_never_raised() -> None:
    assert (await Router([]).deliver(KEY, [Text("x")])).reason == "no_channel"
    for verdict, reason in (
        (Dropped("blocked"), "refused"), (Later(60, "429"), "later"), (Uncertain("timeout"), "uncertain"),
        (0, "refused"),
    ):  # fmt: skip
        assert (await Router([Recorder("wecom", verdict)]).deliver(KEY, [Text("x")])).reason == reason
    assert (await Router([Recorder("wecom", fail=True)]).deliver(KEY, [Text("x")])).reason == "uncertain"


async def test_the_composition_roots_pushers_come_first_and_channels_made_later_are_found() -> None:
    channels: list[object] = []
    pushed: list[str] = []

    async def push(user_id: str, replies: Sequence[Outbound]) -> Pushed:
        pushed.append(user_id)
        return Sent()

    router = Router(channels, lambda: {"wechat": push})
    assert not router.reaches("wecom") and router.reaches("wechat")
    channels.append(Recorder("wecom"))
    assert router.reaches("wecom")
    assert (await router.deliver(SessionKey("wechat", "o1", "o1"), [Text("x")])).ok and pushed == ["o1"]


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
