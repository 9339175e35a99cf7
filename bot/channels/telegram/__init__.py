"""The Telegram channel, on python-telegram-bot.

- :mod:`~bot.channels.telegram.channel`: the adapter between PTB's Application and the Assistant
- :mod:`~bot.channels.telegram.groups`: when the bot speaks in a group, what goes private
- :mod:`~bot.channels.telegram.render`: replies as HTML messages and inline keyboards
- :mod:`~bot.channels.telegram.transport`: PTB's HTTP transport on aiohttp, Bot API URLs
"""

import os

# python-telegram-bot 22 gives time periods (RetryAfter.retry_after) as int seconds and warns
# that its next major version gives a datetime.timedelta; PTB_TIMEDELTA, the switch PTB
# documents, opts in to that now (unless the environment says otherwise). The code that
# reads one (transport.retry_after_seconds) takes either. Set before any PTB error is built:
# every module of this package runs this first.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from .channel import (
    ALLOWED_UPDATES,
    BOT_COMMANDS,
    CHANNEL,
    SECRET_HEADER,
    WEBHOOK_PATH,
    ConversationOrder,
    TelegramChannel,
    channel_from_settings,
)
from .render import TEXT_LIMIT
from .transport import DEFAULT_API_BASE_URL, AiohttpRequest, file_base_url

__all__ = [
    "ALLOWED_UPDATES",
    "BOT_COMMANDS",
    "CHANNEL",
    "DEFAULT_API_BASE_URL",
    "SECRET_HEADER",
    "TEXT_LIMIT",
    "WEBHOOK_PATH",
    "AiohttpRequest",
    "ConversationOrder",
    "TelegramChannel",
    "channel_from_settings",
    "file_base_url",
]
