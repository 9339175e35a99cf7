"""WeCom lists a menu's choices numbered: the number typed picks that line, after a restart
of the assistant too (the open menu is in the person's session, not in the process)."""

from __future__ import annotations

from pathlib import Path

from tests.bot.channels.wecom.test_wecom_channel import ZH, MakeServed, restart, texts
from tests.bot.channels.wecom.test_wecom_channel import make_served as make_served  # the fixture


async def test_a_number_typed_after_a_restart_picks_the_menus_line(
    make_served: MakeServed, tmp_path: Path
) -> None:
    db = tmp_path / "menus.db"
    served = await make_served(db)
    [menu] = texts(await served.event("enter_agent", EventKey=""))
    assert any(line.startswith("2. ") and "/tiers" in line for line in menu.splitlines())
    again = await restart(served, make_served, db)
    [tiers] = texts(await again.say("2"))  # the main menu's second line: /tiers
    assert tiers.startswith(ZH["tiers.title"])
    assert again.session().menu is not None  # a text reply leaves the menu open


async def test_forget_asks_first_and_a_yes_typed_after_a_restart_confirms(
    make_served: MakeServed, tmp_path: Path
) -> None:
    db = tmp_path / "forget.db"
    served = await make_served(db)
    await served.say("/tiers")
    [asked] = texts(await served.say("/forget"))
    assert asked.startswith(ZH["forget.confirm"])
    again = await restart(served, make_served, db)
    [done] = texts(await again.say("好的"))
    assert done.startswith(ZH["forget.done"].split("（")[0])
    assert again.store.db.row("SELECT count(*) FROM sessions") == (0,)
