"""`zjtx wechat menu` (its arguments are in bot/cli.py): set the Official Account's custom
menu (自定义菜单) from the catalogs.

The three buttons — 自测评估, 常见问题, 联系我们 — are CLICK buttons whose keys are the
commands the channel runs (/assess, /faq, /contacts). The access token is the channel's
own stable token, kept in the database, so running this beside ``zjtx serve`` invalidates
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

__all__ = ["run"]


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run `zjtx wechat menu`. Exit status 0 when set (or shown), 1 when WeChat refused it,
    2 when the account is not configured."""
    from bot.cli import settings_for
    from bot.db import connect
    from dialogs.i18n import load_catalogs

    from .api import WeChatApi
    from .channel import config_from_settings, custom_menu
    from .errors import WeChatError
    from .store import WeChatStore

    out, err = out or sys.stdout, err or sys.stderr
    buttons = custom_menu(load_catalogs(), args.lang)
    if args.show:
        out.write(json.dumps({"button": buttons}, ensure_ascii=False, indent=2) + "\n")
        return 0
    settings = settings_for(args)
    config = config_from_settings(settings)
    if config is None:
        err.write("zjtx: set WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_TOKEN and WECHAT_AES_KEY first\n")
        return 2
    db = connect(settings.db)

    async def create() -> None:
        async with WeChatApi.from_config(config, tokens=WeChatStore(db)) as api:
            await api.create_menu(buttons)

    try:
        asyncio.run(create())
    except WeChatError as exc:
        err.write(f"zjtx: WeChat refused the menu: errcode {exc.errcode} {exc.errmsg}\n")
        return 1
    finally:
        db.close()
    out.write("custom menu set: " + " / ".join(b["name"] for b in buttons) + "\n")
    return 0
